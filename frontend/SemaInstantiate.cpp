//===- SemaInstantiate.cpp - Instantiation of layers ----------------------===//
//
// Instantiation: binds the model's dimensions (options, data, defaults),
// instantiates its layers and cells with concrete dimensions, recursively,
// and the two directions of bidir; and binds the arguments of a call to
// the formals of a layer, function or builtin.
//
//===----------------------------------------------------------------------===//

#include "SemaImpl.h"

#include "llvm/ADT/ScopeExit.h"

using namespace seqc;
using namespace seqc::sema;

/// Beyond this nesting of layers the program is surely a mistake; refusing
/// keeps sema's recursion shallow.
static constexpr unsigned kMaxLayerDepth = 64;
// Layer instances of a model: a layer that holds two of the previous one,
// 20 deep, is a million instances; counted as they are made, so such a
// model is refused at once instead of after minutes and gigabytes.
static constexpr size_t kMaxInstances = 20000;

bool Sema::bindModelDims(Instance &model) {
  const ast::BlockDecl &decl = *model.decl;
  llvm::StringMap<int64_t> overrides;
  for (const auto &[name, size] : options.dimOverrides) {
    bool declared = llvm::any_of(
        decl.dims, [&](const ast::DimDecl &dim) { return dim.name == name; });
    if (!declared) {
      std::vector<std::string> names;
      for (const ast::DimDecl &dim : decl.dims)
        names.push_back(dim.name);
      error(decl.loc,
            "--dim " + name + "=" + Twine(size) + ": model '" + decl.name +
                "' has no dimension '" + name + "'" + suggest(name, names) +
                (names.empty() ? "" : " (it has " + joinNames(names) + ")"));
      continue;
    }
    if (size <= 0) {
      error(decl.loc, "--dim " + name + "=" + Twine(size) +
                          ": a dimension must be positive");
      continue;
    }
    overrides[name] = size;
  }

  // Sizes from the data (--data-dim, or the driver after reading it), and
  // the ones the train block implies by listing its columns.
  llvm::StringMap<int64_t> fromData;
  for (const auto &[kind, size] : options.dataDims) {
    if (!llvm::is_contained(dataDimKindNames(), kind)) {
      fileError("--data-dim " + kind + "=" + Twine(size) +
                ": unknown kind of data dimension '" + kind +
                "': expected one of " + joinNames(dataDimKindNames()) +
                suggest(kind, dataDimKindNames()));
      continue;
    }
    if (size <= 0) {
      fileError("--data-dim " + kind + "=" + Twine(size) +
                ": a dimension must be positive");
      continue;
    }
    fromData[kind] = size;
  }
  if (trainSpec && trainCheck.data) {
    const DataSpec &data = trainSpec->data;
    llvm::StringMap<int64_t> listed;
    if (!data.features.empty())
      listed["features"] = data.features.size();
    switch (data.targetKind) {
    case TargetKind::Scalar:
      listed["targets"] = 1;
      break;
    case TargetKind::Vector:
      listed["targets"] = data.targets.size();
      break;
    case TargetKind::MultiLabel:
      listed["targets"] = data.targets.size();
      listed["classes"] = data.targets.size();
      break;
    default:
      break;
    }
    for (const auto &entry : listed) {
      auto given = fromData.find(entry.first());
      if (given == fromData.end()) {
        fromData[entry.first()] = entry.second;
      } else if (given->second != entry.second) {
        error(selectedTrain->keywordLoc,
              "--data-dim " + entry.first() + "=" + Twine(given->second) +
                  " disagrees with the train block, whose data has " +
                  Twine(entry.second) + " " + entry.first());
      }
    }
  }
  if (failed)
    return false;

  for (const ast::DimDecl &dimDecl : decl.dims) {
    if (model.dims.count(dimDecl.name))
      continue; // duplicate, already reported
    DimBinding binding;
    binding.loc = dimDecl.loc;
    binding.source = dimDecl.source;
    binding.dim.name = dimDecl.name;
    auto overridden = overrides.find(dimDecl.name);
    auto data =
        dimDecl.source.empty() ? fromData.end() : fromData.find(dimDecl.source);
    if (overridden != overrides.end()) {
      if (data != fromData.end() && data->second != overridden->second) {
        error(dimDecl.loc, "--dim " + dimDecl.name + "=" +
                               Twine(overridden->second) +
                               " disagrees with the data: '" + dimDecl.name +
                               "' is the number of " + dimDecl.source + ", " +
                               Twine(data->second));
        continue;
      }
      binding.dim.size = overridden->second;
    } else if (data != fromData.end()) {
      binding.dim.size = data->second;
    } else if (dimDecl.defaultSize) {
      std::optional<tir::Dim> size =
          evalInt(*dimDecl.defaultSize, model, IntUse::Dim);
      if (!size)
        return false;
      if (size->size <= 0) {
        error(dimDecl.defaultSize->loc(),
              "dimension '" + dimDecl.name + "' must be positive, got " +
                  Twine(size->size),
              dimDecl.defaultSize->range);
        return false;
      }
      binding.dim.size = size->size;
    } else {
      binding.sized = false;
    }
    model.dims[dimDecl.name] = binding;
    model.dimOrder.push_back(dimDecl.name);
  }
  return !failed;
}

bool Sema::instantiate(Instance &inst) {
  const ast::BlockDecl &decl = *inst.decl;
  if (instantiating.size() >= kMaxLayerDepth) {
    error(decl.loc, "layers are nested too deeply (more than " +
                        Twine(kMaxLayerDepth) + " levels)");
    return false;
  }
  if (tooLarge)
    return false;
  if (++instanceCount > kMaxInstances) {
    error(decl.loc, "the model has more than " + Twine(kMaxInstances) +
                        " layer instances (here, an instance of '" + decl.name +
                        "'); does a layer hold several of a "
                        "layer that holds several of another?");
    tooLarge = true;
    return false;
  }
  instantiating.push_back(&decl);
  auto pop = llvm::make_scope_exit([&] { instantiating.pop_back(); });

  for (const auto &member : decl.members) {
    if (inst.dims.count(member->name) || inst.params.count(member->name) ||
        inst.children.count(member->name) || inst.funcs.count(member->name))
      continue; // a duplicate, already reported
    if (const auto *param = llvm::dyn_cast<ast::ParamDecl>(member.get()))
      addParam(inst, *param);
    else if (const auto *child =
                 llvm::dyn_cast<ast::InstanceDecl>(member.get()))
      instantiateChild(inst, *child);
    else if (const auto *func = llvm::dyn_cast<ast::FuncDecl>(member.get()))
      inst.funcs[func->name] = func;
  }
  return !failed;
}

bool Sema::instantiateChild(Instance &parent, const ast::InstanceDecl &decl) {
  const Expr &call = *decl.call;
  parent.childDecls[decl.name] = &decl;
  if (call.calleeName() == "bidir" && !blocks.count("bidir"))
    return instantiateBidir(parent, decl);
  return instantiateLayer(parent, call, decl.name, parent.prefix + decl.name,
                          parent);
}

/// `rnn = bidir(GRU(E, H))`: two instances of the cell, "rnn.fwd" and
/// "rnn.bwd", under one that `rnn(x)` applies in both directions.
bool Sema::instantiateBidir(Instance &parent, const ast::InstanceDecl &decl) {
  const Expr &call = *decl.call;
  const Expr &callee = *call.lhs;
  if (call.args.size() != 1 || !call.args[0].keyword.empty() ||
      call.args[0].value->kind != Expr::Kind::Call) {
    error(callee.loc(),
          "'bidir' takes one cell instantiation, like 'bidir(GRU(E, H))'",
          call.range);
    return false;
  }
  const Expr &inner = *call.args[0].value;
  if (inner.calleeName() == "bidir" && !blocks.count("bidir")) {
    error(inner.lhs->loc(),
          "'bidir' runs a cell in both directions; 'bidir(...)' is not a "
          "cell",
          inner.lhs->range);
    return false;
  }
  auto it = blocks.find(inner.calleeName());
  if (it != blocks.end() && !llvm::isa<ast::CellDecl>(it->second)) {
    error(inner.lhs->loc(),
          "'bidir' runs a cell in both directions, but '" + inner.calleeName() +
              "' is not a cell",
          inner.lhs->range);
    note(it->second->loc, "'" + inner.calleeName() + "' is defined here");
    return false;
  }
  auto wrapper = std::make_unique<Instance>();
  wrapper->name = decl.name;
  wrapper->prefix = parent.prefix + decl.name + ".";
  wrapper->parent = &parent;
  wrapper->bidirectional = true;
  Instance &wrapperRef = *wrapper;
  parent.children[decl.name] = std::move(wrapper);
  for (StringRef direction : {"fwd", "bwd"})
    if (!instantiateLayer(wrapperRef, inner, direction,
                          wrapperRef.prefix + direction.str(), parent))
      return false;
  wrapperRef.decl = wrapperRef.children["fwd"]->decl;
  return true;
}

/// Instantiates the layer or cell `call` names as child `name` of `owner`,
/// its parameters prefixed by `prefix`; the sizes in `call` are evaluated
/// in `parent`.
bool Sema::instantiateLayer(Instance &owner, const Expr &call, StringRef name,
                            const std::string &prefix, Instance &parent) {
  StringRef layerName = call.calleeName();
  const Expr &callee = *call.lhs;
  auto it = blocks.find(layerName);
  if (it == blocks.end()) {
    std::vector<std::string> layers;
    for (const auto &entry : blocks)
      if (!entry.second->isModel())
        layers.push_back(entry.first().str());
    llvm::sort(layers);
    std::string hint = isBuiltinName(layerName)
                           ? " ('" + layerName.str() +
                                 "' is a builtin function: call it in a "
                                 "forward or fn body)"
                           : suggest(layerName, layers);
    error(callee.loc(), "unknown layer '" + layerName + "'" + hint,
          callee.range);
    return false;
  }
  const ast::BlockDecl &layer = *it->second;
  if (layer.isModel()) {
    error(callee.loc(),
          "'" + layerName + "' is a model; only layers can be instantiated",
          callee.range);
    note(layer.loc, "'" + layerName + "' is defined here");
    return false;
  }
  if (llvm::is_contained(instantiating, &layer)) {
    error(callee.loc(),
          "recursive layer: '" + layerName + "' contains an instance of itself",
          call.range);
    note(layer.loc, "'" + layerName + "' is defined here");
    return false;
  }

  // Bind the layer's dimensions: positionally, by name, or from defaults.
  std::vector<std::string> formals;
  unsigned required = 0;
  std::string signature = layer.name + "(";
  for (const ast::DimDecl &dim : layer.dims) {
    if (!dim.defaultSize)
      required = formals.size() + 1;
    signature += (formals.empty() ? "" : ", ") + dim.name;
    formals.push_back(dim.name);
  }
  signature += ")";
  Binding binding;
  if (!bindArgs(call, layerName, signature, formals, required,
                /*variadic=*/false, binding))
    return false;

  auto child = std::make_unique<Instance>();
  child->decl = &layer;
  child->name = name.str();
  child->prefix = prefix + ".";
  child->parent = &owner;
  for (size_t i = 0; i < layer.dims.size(); ++i) {
    const ast::DimDecl &dimDecl = layer.dims[i];
    if (child->dims.count(dimDecl.name))
      continue; // duplicate, already reported
    DimBinding dimBinding;
    dimBinding.loc = dimDecl.loc;
    std::optional<tir::Dim> value;
    const Expr *sizeExpr = nullptr;
    if (!binding.values[i].empty()) {
      sizeExpr = binding.values[i].front();
      value = evalInt(*sizeExpr, parent, IntUse::Dim); // caller's scope
    } else if (dimDecl.defaultSize) {
      sizeExpr = dimDecl.defaultSize.get();
      value = evalInt(*sizeExpr, *child, IntUse::Dim); // earlier dims
    }
    if (!value)
      return false;
    if (value->size <= 0) {
      error(sizeExpr->loc(),
            "dimension '" + dimDecl.name + "' of layer '" + layer.name +
                "' must be positive, got " + Twine(value->size),
            sizeExpr->range);
      return false;
    }
    // A dimension passed by name keeps the caller's name ("H"), so shapes in
    // messages and in the typed IR speak of the model's dimensions; one given
    // as a literal or an expression stays unnamed.
    dimBinding.dim = *value;
    child->dims[dimDecl.name] = dimBinding;
    child->dimOrder.push_back(dimDecl.name);
  }

  Instance &childRef = *child;
  owner.children[name] = std::move(child);
  unsigned errorsBefore = errorCount;
  bool ok = instantiate(childRef);
  std::string dims;
  for (const std::string &name : childRef.dimOrder)
    dims += (dims.empty() ? "" : ", ") + name + "=" +
            std::to_string(childRef.dims[name].dim.size);
  contextNote(errorsBefore, call.loc(),
              "in layer '" + layer.name + "' with " + dims +
                  ", instantiated here",
              call.range);
  return ok;
}

//===----------------------------------------------------------------------===//
// Arguments
//===----------------------------------------------------------------------===//

bool Sema::bindArgs(const Expr &call, StringRef callee, StringRef signature,
                    llvm::ArrayRef<std::string> formals, unsigned required,
                    bool variadic, Binding &binding) {
  binding.values.assign(formals.size(), {});
  std::vector<SMLoc> givenAt(formals.size());
  size_t positional = 0;
  size_t totalPositional = llvm::count_if(
      call.args, [](const ast::Arg &arg) { return arg.keyword.empty(); });
  for (const ast::Arg &arg : call.args) {
    const Expr &value = *arg.value;
    size_t index;
    if (arg.keyword.empty()) {
      if (variadic) {
        binding.values[0].push_back(&value);
        givenAt[0] = value.loc();
        continue;
      }
      if (positional >= formals.size()) {
        std::string expected = required == formals.size()
                                   ? std::to_string(formals.size())
                                   : std::to_string(required) + " to " +
                                         std::to_string(formals.size());
        error(value.loc(),
              "wrong number of arguments to '" + signature + "': expected " +
                  expected + ", got " + Twine(totalPositional),
              value.range);
        return false;
      }
      index = positional++;
    } else {
      auto found = llvm::find(formals, arg.keyword);
      if (found == formals.end() || (variadic && found == formals.begin())) {
        std::vector<std::string> keywords(formals.begin() + (variadic ? 1 : 0),
                                          formals.end());
        error(arg.keywordLoc, "unknown keyword argument '" + arg.keyword +
                                  "' for '" + signature + "'" +
                                  suggest(arg.keyword, keywords));
        return false;
      }
      index = found - formals.begin();
    }
    if (!binding.values[index].empty()) {
      error(arg.keyword.empty() ? value.loc() : arg.keywordLoc,
            "argument '" + formals[index] + "' of '" + callee +
                "' is given twice",
            value.range);
      note(givenAt[index], "first given here");
      return false;
    }
    binding.values[index].push_back(&value);
    givenAt[index] = arg.keyword.empty() ? value.loc() : arg.keywordLoc;
  }
  if (variadic && binding.values[0].empty()) {
    error(call.loc(), "'" + signature + "' needs at least one value",
          call.range);
    return false;
  }
  for (unsigned i = variadic ? 1 : 0; i < required; ++i) {
    if (binding.values[i].empty()) {
      std::string expected = required == formals.size()
                                 ? std::to_string(formals.size())
                                 : std::to_string(required) + " to " +
                                       std::to_string(formals.size());
      error(call.loc(),
            "wrong number of arguments to '" + signature + "': expected " +
                expected + ", got " + Twine(totalPositional) + " ('" +
                formals[i] + "' is missing)",
            call.range);
      return false;
    }
  }
  return true;
}
