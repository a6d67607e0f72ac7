//===- SemaDecls.cpp - Declarations ---------------------------------------===//
//
// The declarations of a module: the file-level pass over layers, models,
// cells, functions and train blocks (duplicate names, entry points, the
// train block of the selected model), and a parameter declaration of an
// instance with its shape and initializer.
//
//===----------------------------------------------------------------------===//

#include "SemaImpl.h"

using namespace seqc;
using namespace seqc::sema;

void Sema::collectGlobals(bool checkBlocks) {
  fileScope.decl = &fileBlock;
  // Used files first, so that a clash with the library is reported at the
  // user's definition.
  for (const auto &file : llvm::reverse(module.files)) {
    for (const auto &decl : file->decls) {
      if (const auto *block = llvm::dyn_cast<ast::BlockDecl>(decl.get())) {
        auto [it, inserted] = blocks.try_emplace(block->name, block);
        if (!inserted) {
          const ast::BlockDecl *previous = it->second;
          if (checkBlocks)
            duplicate(block->isModel() ? "model" : "layer", block->name,
                      block->loc, previous->loc);
          continue;
        }
        if (checkBlocks)
          checkBlock(*block);
      } else if (const auto *cell = llvm::dyn_cast<ast::CellDecl>(decl.get())) {
        auto [it, inserted] = cells.try_emplace(cell->name, cell);
        if (!inserted) {
          if (checkBlocks)
            duplicate("cell", cell->name, cell->loc, it->second->loc);
          continue;
        }
        // A cell is instantiated like a layer: it shares their names.
        auto [block, fresh] = blocks.try_emplace(cell->name, cell);
        if (!fresh) {
          if (checkBlocks)
            duplicate("cell", cell->name, cell->loc, block->second->loc);
          continue;
        }
        if (checkBlocks)
          sema::checkCell(*cell, *this);
      } else if (const auto *train =
                     llvm::dyn_cast<ast::TrainDecl>(decl.get())) {
        trains.push_back(train);
      } else if (const auto *func = llvm::dyn_cast<ast::FuncDecl>(decl.get())) {
        auto [it, inserted] = fileFuncs.try_emplace(func->name, func);
        if (!inserted && checkBlocks)
          duplicate("function", func->name, func->loc, it->second->loc);
      }
    }
  }
  for (const auto &entry : fileFuncs)
    fileScope.funcs[entry.first()] = entry.second;
}

/// Checks what does not depend on dimensions: duplicate names and entry
/// points. The rest is checked when the block is instantiated.
void Sema::checkBlock(const ast::BlockDecl &block) {
  llvm::StringMap<SMLoc> names;
  for (const ast::DimDecl &dim : block.dims) {
    auto [it, inserted] = names.try_emplace(dim.name, dim.loc);
    if (!inserted)
      duplicate("dimension", dim.name, dim.loc, it->second);
    if (!dim.source.empty() &&
        !llvm::is_contained(dataDimKindNames(), dim.source))
      error(dim.sourceLoc, "unknown kind of data dimension '" + dim.source +
                               "' for '" + dim.name + "': expected " +
                               joinNames(dataDimKindNames()) +
                               suggest(dim.source, dataDimKindNames()));
  }
  bool hasForward = false;
  for (const auto &member : block.members) {
    auto [it, inserted] = names.try_emplace(member->name, member->loc);
    if (!inserted) {
      StringRef what = llvm::isa<ast::ParamDecl>(member.get()) ? "parameter"
                       : llvm::isa<ast::InstanceDecl>(member.get())
                           ? "instance"
                           : "function";
      duplicate(what, member->name, member->loc, it->second);
    }
    const auto *func = llvm::dyn_cast<ast::FuncDecl>(member.get());
    if (!func || !func->isEntry)
      continue;
    if (func->name == "forward")
      hasForward = true;
    else if (!block.isModel())
      error(func->loc, "a layer has one entry point, 'forward'; use 'fn " +
                           func->name + "(...)' for a helper function");
  }
  if (!hasForward)
    error(block.loc, Twine(block.isModel() ? "model" : "layer") + " '" +
                         block.name +
                         "' has no 'forward': expected an entry point like "
                         "'forward(x: [I]) -> [O] = ...'");
}

void Sema::checkTrain(const ast::TrainDecl &train, bool selected) {
  auto it = blocks.find(train.name);
  if (it == blocks.end() || !it->second->isModel()) {
    std::vector<std::string> models;
    for (const auto &entry : blocks)
      if (entry.second->isModel())
        models.push_back(entry.first().str());
    llvm::sort(models);
    if (it != blocks.end())
      error(train.loc,
            "'" + train.name + "' is a layer; 'train' expects a model");
    else
      error(train.loc, "unknown model '" + train.name + "' in train block" +
                           suggest(train.name, models));
    return;
  }

  auto spec = std::make_shared<TrainSpec>();
  TrainCheck check = checkTrainSettings(train, *spec, *this);
  if (!selected)
    return;
  selectedTrain = &train;
  trainSpec = spec;
  trainCheck = check;
  for (const ast::TrainSetting &setting : train.settings) {
    tir::Setting out;
    out.key = setting.key;
    out.text = setting.text.str();
    out.loc = toLoc(setting.keyLoc);
    program.trainSettings.push_back(std::move(out));
  }
  program.train = spec;
}

//===----------------------------------------------------------------------===//
// Parameters and initializers
//===----------------------------------------------------------------------===//

static constexpr const char *kInitializerList =
    "zeros, ones, a number, constant(v), uniform(low, high), "
    "normal(mean, std), xavier or he";

void Sema::addParam(Instance &inst, const ast::ParamDecl &decl) {
  std::optional<Shape> shape =
      evalType(decl.type, inst, "parameter '" + decl.name + "'");
  if (!shape)
    return;
  std::optional<tir::InitSpec> init = evalInit(decl, inst, *shape);
  if (!init)
    return;
  tir::Param param;
  param.name = inst.prefix + decl.name;
  param.shape = *shape;
  param.init = *init;
  param.loc = toLoc(decl.loc);
  inst.params[decl.name] = program.params.size();
  inst.paramDecls[decl.name] = &decl;
  program.params.push_back(std::move(param));
}

std::optional<tir::InitSpec>
Sema::evalInit(const ast::ParamDecl &decl, Instance &inst, const Shape &shape) {
  tir::InitSpec spec;
  if (!decl.init) {
    spec.kind =
        shape.size() >= 2 ? tir::InitKind::Xavier : tir::InitKind::Zeros;
    return spec;
  }
  const Expr &init = *decl.init;
  // A plain number (or an expression of numbers) is a constant.
  if (init.kind == Expr::Kind::Number || init.kind == Expr::Kind::Neg ||
      init.kind == Expr::Kind::Binary) {
    std::optional<double> value = evalNumber(init, inst);
    if (!value)
      return std::nullopt;
    spec.kind = tir::InitKind::Constant;
    spec.a = *value;
    return spec;
  }

  StringRef name;
  if (init.kind == Expr::Kind::Ident)
    name = init.text;
  else
    name = init.calleeName();
  const InitializerInfo *info = nullptr;
  for (const InitializerInfo &candidate : initializers())
    if (name == candidate.name)
      info = &candidate;
  if (!info) {
    std::vector<std::string> names;
    for (const InitializerInfo &candidate : initializers())
      names.push_back(candidate.name);
    if (name.empty())
      error(init.loc(), Twine("expected an initializer: ") + kInitializerList,
            init.range);
    else
      error(init.loc(),
            "unknown initializer '" + name + "': expected " + kInitializerList +
                suggest(name, names),
            init.range);
    return std::nullopt;
  }
  spec.kind = info->kind;
  if (StringRef(info->name) == "ones")
    spec.a = 1.0;

  if (init.kind == Expr::Kind::Ident) {
    if (!info->args.empty()) {
      error(init.loc(),
            "initializer '" + name + "' needs arguments: '" + name + "(" +
                joinNames(std::vector<std::string>(info->args.begin(),
                                                   info->args.end())) +
                ")'",
            init.range);
      return std::nullopt;
    }
    return spec;
  }

  std::vector<std::string> formals(info->args.begin(), info->args.end());
  std::string signature =
      std::string(info->name) + "(" + joinNames(formals) + ")";
  Binding binding;
  if (!bindArgs(init, name, signature, formals, formals.size(),
                /*variadic=*/false, binding))
    return std::nullopt;
  std::vector<double> values;
  for (auto &exprs : binding.values) {
    std::optional<double> value = evalNumber(*exprs.front(), inst);
    if (!value)
      return std::nullopt;
    values.push_back(*value);
  }
  if (values.size() > 0)
    spec.a = values[0];
  if (values.size() > 1)
    spec.b = values[1];
  if (spec.kind == tir::InitKind::Uniform && spec.a > spec.b) {
    error(init.loc(),
          "uniform(low, high) needs low <= high, got " + formatNumber(spec.a) +
              " > " + formatNumber(spec.b),
          init.range);
    return std::nullopt;
  }
  if (spec.kind == tir::InitKind::Normal && spec.b < 0) {
    error(init.loc(),
          "normal(mean, std) needs std >= 0, got " + formatNumber(spec.b),
          init.range);
    return std::nullopt;
  }
  return spec;
}
