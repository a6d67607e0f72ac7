//===- Sema.cpp - Elaboration of a model into the typed IR ----------------===//
//
// The methods of the Sema class (SemaImpl.h), which elaborates a parsed
// model into the typed IR, and the frontend's entry points elaborate and
// analyzeTrain.
//
//===----------------------------------------------------------------------===//

#include "seqc/Frontend/AST.h"
#include "seqc/Frontend/Frontend.h"

#include "SemaImpl.h"

using namespace seqc;
using namespace seqc::sema;

tir::Loc Sema::toLoc(SMLoc loc) const {
  tir::Loc out;
  if (!loc.isValid())
    return out;
  unsigned id = srcMgr.FindBufferContainingLoc(loc);
  if (!id)
    return out;
  out.file = srcMgr.getMemoryBuffer(id)->getBufferIdentifier().str();
  auto [line, col] = srcMgr.getLineAndColumn(loc, id);
  out.line = line;
  out.col = col;
  return out;
}

//===----------------------------------------------------------------------===//
// Functions and entry points
//===----------------------------------------------------------------------===//

void Sema::elaborateEntry(const ast::FuncDecl &func, Instance &model) {
  paramNodes.clear();
  sequenceMask = nullptr;
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

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

const tir::Node *Sema::unaryOp(tir::NodeKind kind, const tir::Node *x,
                               SMLoc loc) {
  if (!x)
    return nullptr;
  return make(kind, x->type.dims, x->type.batched, loc, {x});
}

const tir::Node *Sema::binaryOp(tir::NodeKind kind, const tir::Node *a,
                                const tir::Node *b, SMLoc loc) {
  if (!a || !b)
    return nullptr;
  std::optional<Shape> shape = broadcast(a->type.dims, b->type.dims);
  if (!shape) { // the callers match shapes first
    error(loc, "internal error: shapes " + formatShape(a->type.dims) + " and " +
                   formatShape(b->type.dims) + " do not broadcast");
    return nullptr;
  }
  return make(kind, *shape, a->type.batched || b->type.batched, loc, {a, b});
}

/// sum/mean over every per-instance axis; a scalar is its own sum and mean.
const tir::Node *Sema::reduceAll(tir::NodeKind kind, const tir::Node *x,
                                 SMLoc loc) {
  if (!x || x->type.rank() == 0)
    return x;
  tir::Node *node = make(kind, {}, x->type.batched, loc, {x});
  if (node)
    node->axis = -1;
  return node;
}

static const tir::Node *lookThrough(const tir::Node *node) {
  while (node->kind == tir::NodeKind::Identity)
    node = node->operands.front();
  return node;
}

/// log(p), computed stably when p is softmax(z) (log_softmax(z)) or exp(a).
const tir::Node *Sema::logOf(const tir::Node *p, SMLoc loc) {
  if (!p)
    return nullptr;
  const tir::Node *inner = lookThrough(p);
  if (inner->kind == tir::NodeKind::Softmax) {
    tir::Node *node = make(tir::NodeKind::LogSoftmax, inner->type.dims,
                           inner->type.batched, loc, {inner->operands[0]});
    if (node)
      node->axis = inner->axis;
    return node;
  }
  if (inner->kind == tir::NodeKind::Exp)
    return inner->operands[0];
  return unaryOp(tir::NodeKind::Log, p, loc);
}

tir::Node *Sema::oneHot(const tir::Node *y, int64_t depth, SMLoc loc) {
  if (!y)
    return nullptr;
  Shape shape = y->type.dims;
  shape.push_back(tir::Dim{"", depth});
  tir::Node *node =
      make(tir::NodeKind::OneHot, shape, y->type.batched, loc, {y});
  if (node)
    node->k = depth;
  return node;
}

/// Drops the axes of size 1 ([1] -> [], [3, 1] -> [3]).
const tir::Node *Sema::squeezeUnitAxes(const tir::Node *x, SMLoc loc) {
  for (size_t i = x->type.rank(); x && i-- > 0;) {
    if (x->type.dims[i].size != 1)
      continue;
    Shape dims = x->type.dims;
    dims.erase(dims.begin() + i);
    tir::Node *node =
        make(tir::NodeKind::Index, dims, x->type.batched, loc, {x});
    if (!node)
      return nullptr;
    node->axis = i;
    node->start = 0;
    node->size = 1;
    x = node;
  }
  return x;
}

/// The two values of a loss must have the same shape; axes of size 1 do not
/// count, so that a [1] prediction goes with a scalar target.
bool Sema::matchShapes(const tir::Node *&a, const tir::Node *&b,
                       const Expr &call, StringRef aName, StringRef bName,
                       const Expr &aExpr, const Expr &bExpr) {
  if (sameSizes(a->type.dims, b->type.dims))
    return true;
  const tir::Node *sa = squeezeUnitAxes(a, call.loc());
  const tir::Node *sb = squeezeUnitAxes(b, call.loc());
  if (!sa || !sb)
    return false;
  if (sameSizes(sa->type.dims, sb->type.dims)) {
    a = sa;
    b = sb;
    return true;
  }
  error(call.lhs->loc(),
        "shape mismatch in '" + call.calleeName() + "': " + aName +
            " has shape " + formatShape(a->type.dims) + " but " + bName +
            " has " + formatShape(b->type.dims) + "; they must be the same",
        {aExpr.range, bExpr.range});
  return false;
}

/// Binary cross-entropy from logits, stable for any z:
/// relu(z) - z * t + log(1 + exp(-|z|)).
const tir::Node *Sema::logitsBCE(const tir::Node *z, const tir::Node *t,
                                 SMLoc loc) {
  using K = tir::NodeKind;
  const tir::Node *softplus = unaryOp(
      K::Log,
      binaryOp(
          K::Add, constant(1.0, loc),
          unaryOp(K::Exp, unaryOp(K::Neg, unaryOp(K::Abs, z, loc), loc), loc),
          loc),
      loc);
  return binaryOp(K::Add,
                  binaryOp(K::Sub, unaryOp(K::Relu, z, loc),
                           binaryOp(K::Mul, z, t, loc), loc),
                  softplus, loc);
}

const tir::Node *Sema::evalLossBuiltin(StringRef name, const Expr &call,
                                       Scope &scope) {
  using K = tir::NodeKind;
  const LossBuiltin &builtin = *lookupLossBuiltin(name);
  std::string signature =
      std::string(builtin.name) + "(" + joinNames(builtin.formals) + ")";
  Binding binding;
  if (!bindArgs(call, builtin.name, signature, builtin.formals,
                builtin.formals.size(), /*variadic=*/false, binding))
    return nullptr;
  SMLoc loc = call.loc();
  const Expr &first = *binding.values[0].front();

  // l2(params): every parameter of the layer or model where it is written;
  // l2(fc): every parameter of the instance fc.
  bool allParams = first.kind == Expr::Kind::Ident && first.text == "params" &&
                   !scope.locals.count("params") &&
                   !scope.inst->params.count("params") &&
                   scope.inst != &fileScope;
  bool ofInstance = first.kind == Expr::Kind::Ident &&
                    scope.inst->children.count(first.text) &&
                    !scope.locals.count(first.text);
  if (name == "l2" && (allParams || ofInstance)) {
    std::string prefix = scope.inst->prefix;
    if (ofInstance)
      prefix += first.text + ".";
    const tir::Node *total = nullptr;
    for (size_t i = 0; i < program.params.size(); ++i) {
      if (!StringRef(program.params[i].name).starts_with(prefix))
        continue;
      const tir::Node *w = paramNode(i, first.loc());
      const tir::Node *squares =
          reduceAll(K::ReduceSum, binaryOp(K::Mul, w, w, loc), loc);
      total = total ? binaryOp(K::Add, total, squares, loc) : squares;
      if (!total)
        return nullptr;
    }
    if (!total) {
      error(first.loc(),
            "l2(" + first.text + "): " +
                (ofInstance ? scope.inst->children[first.text]->describe()
                            : scope.inst->describe()) +
                " has no parameters",
            first.range);
      return nullptr;
    }
    return total;
  }

  std::vector<const tir::Node *> args;
  if (name == "one_hot") {
    args.push_back(evalExpr(first, scope));
  } else {
    for (auto &values : binding.values)
      args.push_back(evalExpr(*values.front(), scope));
  }
  for (const tir::Node *arg : args)
    if (!arg)
      return nullptr;
  const Expr &secondExpr =
      binding.values.size() > 1 ? *binding.values[1].front() : first;
  // A loss compares a prediction and a target step by step or instance by
  // instance, never one value against every step of a sequence.
  if (args.size() > 1 && args[0]->type.sequence != args[1]->type.sequence) {
    bool targetPerStep = args[1]->type.sequence;
    error(call.lhs->loc(),
          "'" + name + "' compares a " +
              (targetPerStep ? "value per instance" : "sequence") + " ('" +
              sourceText(first) + "') with a " +
              (targetPerStep ? "sequence" : "value per instance") + " ('" +
              sourceText(secondExpr) + "')" +
              (targetPerStep
                   ? ": the data gives a target at every step, so the "
                     "prediction must be a sequence too, like seq<[V]>"
                   : ": take one step of the sequence first, like "
                     "last(...)"),
          {first.range, secondExpr.range});
    return nullptr;
  }
  bool secondIsIndex =
      args.size() > 1 && args[1]->type.elem == tir::ElemKind::Token;

  if (name == "one_hot") {
    if (args[0]->type.elem != tir::ElemKind::Token) {
      error(first.loc(),
            "one_hot needs a class index (the target of a data with label = "
            "\"column\"), got a number of shape " +
                formatShape(args[0]->type.dims),
            first.range);
      return nullptr;
    }
    std::optional<tir::Dim> depth =
        evalInt(secondExpr, *scope.inst, IntUse::Attribute);
    if (!depth)
      return nullptr;
    if (depth->size < 1) {
      error(secondExpr.loc(),
            "one_hot needs depth >= 1, got " + Twine(depth->size),
            secondExpr.range);
      return nullptr;
    }
    tir::Node *node = oneHot(args[0], depth->size, loc);
    if (node)
      node->type.dims.back() = *depth;
    return node;
  }

  if (!requireFloat(args[0], first))
    return nullptr;
  if (name == "l2")
    return reduceAll(K::ReduceSum, binaryOp(K::Mul, args[0], args[0], loc),
                     loc);

  // cross_entropy and nll take a class index or a distribution.
  if (name == "cross_entropy" || name == "nll") {
    const tir::Node *p = args[0], *y = args[1];
    const tir::Node *logp = name == "nll" ? p : nullptr;
    if (secondIsIndex) {
      if (p->type.rank() != 1) {
        error(first.loc(),
              name + " with a class index needs " + builtin.formals[0] +
                  " to be a vector with one " +
                  (name == "nll" ? "log-probability" : "probability") +
                  " per class, [C], got " + formatShape(p->type.dims),
              {first.range, secondExpr.range});
        return nullptr;
      }
      if (!logp)
        logp = logOf(p, loc);
      tir::Node *encoded = oneHot(y, p->type.dims[0].size, loc);
      if (!encoded)
        return nullptr;
      encoded->type.dims.back() = p->type.dims[0];
      y = encoded;
    } else {
      if (!sameSizes(p->type.dims, y->type.dims)) {
        error(call.lhs->loc(),
              "shape mismatch in '" + name + "': " + builtin.formals[0] +
                  " has shape " + formatShape(p->type.dims) + " but y has " +
                  formatShape(y->type.dims) +
                  "; y must be a class index or a distribution of the shape "
                  "of " +
                  builtin.formals[0],
              {first.range, secondExpr.range});
        return nullptr;
      }
      if (!logp)
        logp = logOf(p, loc);
    }
    return unaryOp(K::Neg,
                   reduceAll(K::ReduceSum, binaryOp(K::Mul, y, logp, loc), loc),
                   loc);
  }

  // The others compare two values of one shape.
  const tir::Node *a = args[0], *b = args[1];
  if (name == "bce" && secondIsIndex) {
    // A class index 0 or 1: t = one_hot(y, 2)[1].
    const tir::Node *sa = squeezeUnitAxes(a, loc);
    if (!sa)
      return nullptr;
    if (sa->type.rank() != 0) {
      error(first.loc(),
            "bce with a class index needs p to be one probability, [] or "
            "[1], got " +
                formatShape(a->type.dims),
            {first.range, secondExpr.range});
      return nullptr;
    }
    for (const auto &[kind, size] : options.dataDims)
      if (kind == "classes" && size != 2) {
        error(secondExpr.loc(),
              "bce with a class index needs 2 classes (0 and 1), but the data "
              "has " +
                  Twine(size),
              secondExpr.range);
        return nullptr;
      }
    a = sa;
    const tir::Node *encoded = oneHot(b, 2, loc);
    tir::Node *index =
        encoded ? make(K::Index, {}, b->type.batched, loc, {encoded}) : nullptr;
    if (!index)
      return nullptr;
    index->axis = 0;
    index->start = 1;
    index->size = 1;
    b = index;
  } else {
    if (!requireFloat(b, secondExpr))
      return nullptr;
    if (!matchShapes(a, b, call, builtin.formals[0], builtin.formals[1], first,
                     secondExpr))
      return nullptr;
  }

  if (name == "mse" || name == "sse") {
    const tir::Node *d = binaryOp(K::Sub, a, b, loc);
    return reduceAll(name == "mse" ? K::ReduceMean : K::ReduceSum,
                     binaryOp(K::Mul, d, d, loc), loc);
  }
  if (name == "bce" || name == "bce_with_logits") {
    const tir::Node *inner = lookThrough(a);
    const tir::Node *elementwise = nullptr;
    if (name == "bce_with_logits") {
      elementwise = logitsBCE(a, b, loc);
    } else if (inner->kind == K::Sigmoid) {
      elementwise = logitsBCE(inner->operands[0], b, loc);
    } else {
      // -(t log p + (1 - t) log(1 - p))
      const tir::Node *one = constant(1.0, loc);
      elementwise = unaryOp(
          K::Neg,
          binaryOp(K::Add, binaryOp(K::Mul, b, unaryOp(K::Log, a, loc), loc),
                   binaryOp(K::Mul, binaryOp(K::Sub, one, b, loc),
                            unaryOp(K::Log, binaryOp(K::Sub, one, a, loc), loc),
                            loc),
                   loc),
          loc);
    }
    return reduceAll(K::ReduceMean, elementwise, loc);
  }
  if (name == "kl_div") {
    // sum p * (log p - log q). A target distribution has zeros (one-hot),
    // whose terms count as 0: log p is taken of p + 1e-30, which is p itself
    // for any p > 1e-23 in single precision.
    const tir::Node *inner = lookThrough(a);
    const tir::Node *logp =
        inner->kind == K::Softmax || inner->kind == K::Exp
            ? logOf(a, loc)
            : unaryOp(K::Log, binaryOp(K::Add, a, constant(1e-30, loc), loc),
                      loc);
    return reduceAll(
        K::ReduceSum,
        binaryOp(K::Mul, a, binaryOp(K::Sub, logp, logOf(b, loc), loc), loc),
        loc);
  }
  error(loc, "internal error: unhandled loss '" + name + "'");
  return nullptr;
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
  if (node->type.sequence && sequenceMask)
    operands.push_back(sequenceMask);
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
  if (forward->params.size() != 1) {
    error(forward->loc, "the data gives one vector of features per instance, "
                        "but 'forward' takes " +
                            Twine(forward->params.size()) + " inputs");
    note(data.loc(), "the data is given here", data.range);
    return;
  }
  const ast::ParamSpec &input = forward->params.front();
  const DataSpec &dataSpec = trainSpec->data;
  if (dataSpec.kind != "csv") {
    // Text gives a sequence of tokens per instance, a series a sequence of
    // feature vectors.
    bool sequence = false, token = false;
    std::optional<Shape> shape = evalType(
        *input.type, model, "input '" + input.name + "'", &sequence, &token);
    if (!shape)
      return;
    bool tokens = dataSpec.kind != "series";
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
  sequenceMask = nullptr;
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

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//

/// The model to compile: named by the options, or the last one of the main
/// file.
const ast::BlockDecl *Sema::selectModel() {
  if (!options.modelName.empty()) {
    auto it = blocks.find(options.modelName);
    if (it == blocks.end() || !it->second->isModel()) {
      std::vector<std::string> models;
      for (const auto &entry : blocks)
        if (entry.second->isModel())
          models.push_back(entry.first().str());
      llvm::sort(models);
      fileError("no model named '" + options.modelName + "'" +
                suggest(options.modelName, models) +
                (models.empty() ? "" : " (models: " + joinNames(models) + ")"));
      return nullptr;
    }
    return it->second;
  }
  const ast::BlockDecl *last = nullptr;
  for (const auto &decl : module.mainFile().decls)
    if (const auto *block = llvm::dyn_cast<ast::BlockDecl>(decl.get()))
      if (block->isModel())
        last = block;
  if (!last)
    fileError("no model to compile: expected a 'model' definition");
  return last;
}

std::optional<tir::Program> Sema::run() {
  collectGlobals();
  modelDecl = selectModel();
  if (!modelDecl)
    return std::nullopt;

  llvm::StringMap<SMLoc> trained;
  for (const ast::TrainDecl *train : trains) {
    auto [it, inserted] = trained.try_emplace(train->name, train->loc);
    if (!inserted) {
      error(train->keywordLoc,
            "duplicate train block for model '" + train->name + "'");
      note(it->second, "previous train block is here");
      continue;
    }
    checkTrain(*train, train->name == modelDecl->name);
  }
  if (failed)
    return std::nullopt;

  program.modelName = modelDecl->name;
  program.modelLoc = toLoc(modelDecl->loc);
  Instance model;
  model.decl = modelDecl;
  model.name = modelDecl->name;
  if (!bindModelDims(model))
    return std::nullopt;
  // Go on after errors here: entry points report their own errors, and
  // uses of what failed stay silent.
  instantiate(model);

  for (const auto &member : modelDecl->members) {
    const auto *func = llvm::dyn_cast<ast::FuncDecl>(member.get());
    if (func && func->isEntry && model.funcs.lookup(func->name) == func)
      elaborateEntry(*func, model);
    if (tooLarge)
      break;
  }
  if (failed)
    return std::nullopt;
  checkDataAgainstForward(model);
  if (options.withLoss && !failed) {
    elaborateLoss(model);
  } else if (!failed && selectedTrain && trainCheck.loss) {
    // Checked even when it is not compiled: `seqc compile` of a model whose
    // loss is wrong must not succeed.
    size_t entries = program.entries.size();
    elaborateLoss(model);
    program.entries.resize(entries);
  }
  if (failed)
    return std::nullopt;

  for (const std::string &name : model.dimOrder) {
    const DimBinding &binding = model.dims[name];
    if (binding.sized)
      program.dims.emplace_back(name, binding.dim.size);
  }
  return std::move(program);
}

std::optional<TrainSpec> Sema::runTrain() {
  // Only the train block is checked here; elaborate checks the rest.
  collectGlobals(/*checkBlocks=*/false);
  modelDecl = selectModel();
  if (!modelDecl)
    return std::nullopt;
  const ast::TrainDecl *train = nullptr;
  for (const ast::TrainDecl *candidate : trains) {
    if (candidate->name != modelDecl->name)
      continue;
    if (train) {
      // Files are collected last-used first; report the later block.
      const ast::TrainDecl *later =
          candidate->keywordLoc.getPointer() > train->keywordLoc.getPointer()
              ? candidate
              : train;
      const ast::TrainDecl *earlier = later == candidate ? train : candidate;
      error(later->keywordLoc,
            "duplicate train block for model '" + later->name + "'");
      note(earlier->loc, "previous train block is here");
      return std::nullopt;
    }
    train = candidate;
  }
  if (!train) {
    error(modelDecl->loc, "model '" + modelDecl->name +
                              "' has no train block: expected 'train " +
                              modelDecl->name + " { data = ..., loss = ... }'");
    return std::nullopt;
  }
  checkTrain(*train, /*selected=*/true);
  if (failed)
    return std::nullopt;
  if (!trainCheck.data)
    error(train->loc, "the train block of '" + train->name +
                          "' has no 'data': expected a line like 'data = "
                          "csv(\"data.csv\", label = \"y\")'");
  if (!trainCheck.loss)
    error(train->loc, "the train block of '" + train->name +
                          "' has no 'loss': expected a line like 'loss = "
                          "cross_entropy(forward(x), y)'");
  if (failed)
    return std::nullopt;
  return *trainSpec;
}

std::optional<tir::Program> seqc::elaborate(const ast::Module &module,
                                            llvm::SourceMgr &srcMgr,
                                            const FrontendOptions &options) {
  if (module.files.empty())
    return std::nullopt;
  Sema sema(module, srcMgr, options);
  return sema.run();
}

std::optional<TrainSpec> seqc::analyzeTrain(const ast::Module &module,
                                            llvm::SourceMgr &srcMgr,
                                            const FrontendOptions &options) {
  if (module.files.empty())
    return std::nullopt;
  Sema sema(module, srcMgr, options);
  return sema.runTrain();
}
