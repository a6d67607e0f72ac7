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
