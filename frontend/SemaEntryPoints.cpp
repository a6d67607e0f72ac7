//===- SemaEntryPoints.cpp - Entry points ---------------------------------===//
//
// The entry points of the model: each one's inputs (and the padding mask
// of its sequences) and inlined body; the `loss` entry of the train block,
// which takes the forward's inputs and the target and returns the mean
// over the batch of the per-instance loss; and the check of the data
// against the forward's input.
//
//===----------------------------------------------------------------------===//

#include "SemaImpl.h"

using namespace seqc;
using namespace seqc::sema;

bool Sema::addInput(tir::EntryPoint &entry, Scope &scope,
                    const ast::ParamSpec &param, const Shape &shape,
                    bool sequence, bool token) {
  tir::Node *node = make(tir::NodeKind::Input, shape, true, param.loc);
  if (!node)
    return false;
  node->type.sequence = sequence;
  if (token)
    node->type.elem = tir::ElemKind::Token;
  if (sequence) {
    // Each sequence input has its own time axis and padding mask: an input
    // [T, N] declared after the others, once the loss has bound its target.
    node->type.time = int(sequenceMasks.size());
    tir::Node *mask = make(tir::NodeKind::Input, {}, true, param.loc);
    if (!mask)
      return false;
    mask->type.sequence = true;
    mask->type.time = node->type.time;
    sequenceMasks.push_back(mask);
    timeNames.push_back(param.name);
  }
  node->inputIndex = entry.inputs.size();
  tir::Input input;
  input.name = param.name;
  input.type = node->type;
  input.loc = toLoc(param.loc);
  entry.inputs.push_back(std::move(input));
  scope.locals[param.name] = Local{node, param.loc};
  return true;
}

void Sema::finishEntry(tir::EntryPoint &entry) {
  // One sequence: its mask is "mask"; several: "x_mask", "y_in_mask", ...
  for (size_t i = 0; i < sequenceMasks.size(); ++i) {
    sequenceMasks[i]->inputIndex = entry.inputs.size();
    tir::Input input;
    input.name = sequenceMasks.size() == 1 ? std::string("mask")
                                           : timeNames[i] + "_mask";
    input.type = sequenceMasks[i]->type;
    input.loc = entry.loc;
    entry.inputs.push_back(std::move(input));
  }
  program.entries.push_back(std::move(entry));
}

void Sema::elaborateEntry(const ast::FuncDecl &func, Instance &model) {
  paramNodes.clear();
  sequenceMasks.clear();
  timeNames.clear();
  tir::EntryPoint entry;
  entry.name = func.name;
  entry.loc = toLoc(func.loc);
  Scope scope{&model, &func, {}};
  bool ok = true;
  for (const ast::ParamSpec &param : func.params) {
    if (!param.type) {
      error(param.loc, "input '" + param.name + "' of '" + func.name +
                           "' needs a type, like '" + param.name + ": [H]'");
      ok = false;
      continue;
    }
    if (scope.locals.count(param.name)) {
      error(param.loc, "duplicate definition of input '" + param.name + "'");
      note(scope.locals[param.name].loc, "previous definition is here");
      ok = false;
      continue;
    }
    bool sequence = false, token = false;
    std::optional<Shape> shape = evalType(
        *param.type, model, "input '" + param.name + "'", &sequence, &token);
    if (!shape) {
      ok = false;
      continue;
    }
    if (!addInput(entry, scope, param, *shape, sequence, token))
      return;
  }
  if (!ok)
    return;
  calling.push_back(&func);
  entry.result = inlineBody(func, scope);
  calling.pop_back();
  if (entry.result)
    finishEntry(entry);
}

/// Whether a sum of terms has an unbatched term, through + - and scaling.
static bool hasUnbatchedTerm(const tir::Node *node) {
  using K = tir::NodeKind;
  if (!node->type.batched)
    return true;
  const auto &ops = node->operands;
  switch (node->kind) {
  case K::Add:
  case K::Sub:
    return hasUnbatchedTerm(ops[0]) || hasUnbatchedTerm(ops[1]);
  case K::Neg:
    return hasUnbatchedTerm(ops[0]);
  case K::Mul:
  case K::Div:
    if (!ops[1]->type.batched)
      return hasUnbatchedTerm(ops[0]);
    if (node->kind == K::Mul && !ops[0]->type.batched)
      return hasUnbatchedTerm(ops[1]);
    return false;
  default:
    return false;
  }
}

/// The loss of a batch is the mean of the per-instance losses. The mean is
/// pushed through sums, differences and scaling by unbatched values down to
/// the unbatched terms, so that a term like `1e-3 * l2(params)` is added
/// once: mean(a + r) = mean(a) + r.
const tir::Node *Sema::batchMean(const tir::Node *node) {
  using K = tir::NodeKind;
  if (!node || !node->type.batched)
    return node;
  SMLoc loc; // the nodes keep their operands' locations below
  auto rebuild = [&](K kind, const tir::Node *a,
                     const tir::Node *b) -> const tir::Node * {
    if (!a || !b)
      return nullptr;
    tir::Node *out = make(kind, node->type.dims, false, loc, {a, b});
    if (out)
      out->loc = node->loc;
    return out;
  };
  const auto &ops = node->operands;
  switch (node->kind) {
  case K::Add:
  case K::Sub:
    if (hasUnbatchedTerm(node) &&
        sameSizes(ops[0]->type.dims, node->type.dims) &&
        sameSizes(ops[1]->type.dims, node->type.dims))
      return rebuild(node->kind, batchMean(ops[0]), batchMean(ops[1]));
    break;
  case K::Mul:
  case K::Div:
    if (!ops[1]->type.batched && ops[1]->type.rank() == 0)
      return rebuild(node->kind, batchMean(ops[0]), ops[1]);
    if (node->kind == K::Mul && !ops[0]->type.batched &&
        ops[0]->type.rank() == 0)
      return rebuild(node->kind, ops[0], batchMean(ops[1]));
    break;
  case K::Neg: {
    const tir::Node *inner = batchMean(ops[0]);
    if (!inner)
      return nullptr;
    tir::Node *out = make(K::Neg, node->type.dims, false, loc, {inner});
    if (out)
      out->loc = node->loc;
    return out;
  }
  default:
    break;
  }
  // A per-step loss is summed over the real steps of each instance.
  std::vector<const tir::Node *> operands = {node};
  if (node->type.sequence && maskOf(node))
    operands.push_back(maskOf(node));
  tir::Node *out = make(K::BatchMean, node->type.dims, false, loc, operands);
  if (out)
    out->loc = node->loc;
  return out;
}

/// A table gives `forward` one vector of features per instance.
void Sema::checkDataAgainstForward(Instance &model) {
  if (!trainSpec || !trainCheck.data)
    return;
  const ast::FuncDecl *forward = model.funcs.lookup("forward");
  if (!forward)
    return;
  const Expr &data = *trainCheck.data->value;
  if (trainSpec->data.kind == DataSourceKind::Pairs) {
    // The source and the decoder's input y_in, two sequences of tokens.
    bool tokens = forward->params.size() == 2;
    for (const ast::ParamSpec &param : forward->params) {
      bool sequence = false, token = false;
      std::optional<Shape> shape = evalType(
          *param.type, model, "input '" + param.name + "'", &sequence, &token);
      if (!shape)
        return;
      tokens &= sequence && token;
    }
    if (!tokens) {
      error(forward->loc,
            "the data gives two sequences of tokens per instance, the "
            "source and the decoder's input, so 'forward' must take "
            "(x: seq<token>, y_in: seq<token>)");
      note(data.loc(), "the data is given here", data.range);
    }
    return;
  }
  if (forward->params.size() != 1) {
    error(forward->loc, "the data gives one vector of features per instance, "
                        "but 'forward' takes " +
                            Twine(forward->params.size()) + " inputs");
    note(data.loc(), "the data is given here", data.range);
    return;
  }
  const ast::ParamSpec &input = forward->params.front();
  const DataSpec &dataSpec = trainSpec->data;
  if (dataSpec.kind != DataSourceKind::Csv) {
    // Text gives a sequence of tokens per instance, a series a sequence of
    // feature vectors.
    bool sequence = false, token = false;
    std::optional<Shape> shape = evalType(
        *input.type, model, "input '" + input.name + "'", &sequence, &token);
    if (!shape)
      return;
    bool tokens = dataSpec.kind != DataSourceKind::Series;
    int64_t features = int64_t(dataSpec.features.size());
    for (const auto &[kind, value] : options.dataDims)
      if (kind == "features")
        features = value;
    std::string expected =
        tokens ? "seq<token>"
               : "seq<[F]> with F = " + std::to_string(features) + " feature" +
                     (features == 1 ? "" : "s");
    bool matches =
        sequence && token == tokens &&
        (tokens || (shape->size() == 1 &&
                    (features == 0 || shape->front().size == features)));
    if (!matches) {
      error(input.type->range.Start,
            "the data gives " +
                Twine(tokens ? "a sequence of tokens"
                             : "a sequence of feature vectors") +
                " per instance, so 'forward' must take " + input.name + ": " +
                expected,
            input.type->range);
      note(data.loc(), "the data is given here", data.range);
    }
    return;
  }
  std::optional<Shape> shape =
      evalType(*input.type, model, "input '" + input.name + "'");
  if (!shape)
    return;
  if (shape->size() > 1) {
    error(input.type->range.Start,
          "the data gives a vector of features per instance, but 'forward' "
          "takes " +
              input.name + ": " + formatShape(*shape),
          input.type->range);
    note(data.loc(), "the data is given here", data.range);
    return;
  }
  int64_t size = shape->empty() ? 1 : shape->front().size;
  const DataSpec &spec = trainSpec->data;
  int64_t features = int64_t(spec.features.size());
  for (const auto &[kind, value] : options.dataDims)
    if (kind == "features")
      features = value;
  if (features == 0 || features == size)
    return;
  std::string listed;
  if (!spec.features.empty())
    listed = " (" + joinNames(spec.features) + ")";
  error(input.type->range.Start,
        "'forward' takes " + input.name + ": " + formatShape(*shape) +
            " but the data has " + Twine(features) + " feature" +
            (features == 1 ? "" : "s") + listed,
        input.type->range);
  note(data.loc(), "the data is given here", data.range);
}

/// The `loss` entry point: the forward's inputs, then the target; the value
/// is the loss of one instance, and the entry returns its mean over the
/// batch.
void Sema::elaborateLoss(Instance &model) {
  if (!selectedTrain) {
    error(modelDecl->loc, "model '" + modelDecl->name +
                              "' has no train block, so it has no loss to "
                              "compile: expected 'train " +
                              modelDecl->name + " { loss = ... }'");
    return;
  }
  if (!trainCheck.loss) {
    error(selectedTrain->loc,
          "the train block of '" + selectedTrain->name +
              "' has no 'loss': expected a line like 'loss = "
              "cross_entropy(forward(x), y)'");
    return;
  }
  const ast::FuncDecl *forward = model.funcs.lookup("forward");
  if (!forward)
    return; // reported with the model
  const Expr &lossExpr = *trainCheck.loss->value;

  paramNodes.clear();
  sequenceMasks.clear();
  timeNames.clear();
  tir::EntryPoint entry;
  entry.name = "loss";
  entry.loc = toLoc(trainCheck.loss->keyLoc);
  Scope scope{&model, nullptr, {}};
  for (const ast::ParamSpec &param : forward->params) {
    bool sequence = false, token = false;
    std::optional<Shape> shape = evalType(
        *param.type, model, "input '" + param.name + "'", &sequence, &token);
    if (!shape)
      return;
    if (!addInput(entry, scope, param, *shape, sequence, token))
      return;
  }
  LossTarget target;
  target.spec = trainSpec.get();
  target.hasData = trainCheck.data != nullptr;
  target.entry = &entry;
  scope.target = &target;

  unsigned errorsBefore = errorCount;
  const tir::Node *value = evalExpr(lossExpr, scope);
  contextNote(errorsBefore, trainCheck.loss->keyLoc,
              "in the loss of model '" + modelDecl->name + "'");
  if (!value)
    return;
  if (value->type.elem != tir::ElemKind::Float || value->type.rank() != 0) {
    error(lossExpr.loc(),
          "the loss must be one number per instance, got " +
              (value->type.elem == tir::ElemKind::Token
                   ? std::string("a class index")
                   : formatShape(value->type.dims)) +
              ": reduce it, like sum(...) or mean(...)",
          lossExpr.range);
    return;
  }

  // A target the expression does not use is still an input, so that the
  // loss always takes the forward's inputs and then the target.
  const DataSpec &data = trainSpec->data;
  if (!target.node && target.hasData && data.targetKind != TargetKind::None) {
    std::string name = "y";
    while (scope.locals.count(name))
      name += "_";
    Expr fake(Expr::Kind::Ident, lossExpr.range);
    fake.text = name;
    if (!bindTarget(fake, scope))
      return;
  }
  entry.result = batchMean(value);
  if (entry.result)
    finishEntry(entry);
}
