//===- Sema.cpp - Elaboration of a model into the typed IR ----------------===//
//
// The driver of elaboration: collects the declarations, selects the model
// and its train block, instantiates the model and elaborates its entry
// points; and the frontend's entry points elaborate and analyzeTrain. The
// Sema class is declared in SemaImpl.h, its other methods are defined by
// concern in the other Sema*.cpp files.
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
