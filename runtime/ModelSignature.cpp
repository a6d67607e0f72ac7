//===- ModelSignature.cpp - What a compiled model takes and returns -------===//
#include "seqc/Runtime/ModelSignature.h"
#include "seqc/Runtime/Error.h"

#include "seqc/Dialect/Seq/SeqOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

using namespace seqc::rt;
namespace seq = seqc::seq;

std::string seqc::rt::describeTensor(const Tensor &tensor) {
  return shapeToString(tensor.shape()) + " " + dtypeName(tensor.dtype()).str();
}

static std::optional<DType> convertElementType(mlir::Type type) {
  if (type.isF32())
    return DType::F32;
  if (type.isF64())
    return DType::F64;
  if (type.isSignlessInteger(32))
    return DType::I32;
  if (type.isSignlessInteger(64))
    return DType::I64;
  return std::nullopt;
}

static std::string typeToString(mlir::Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  type.print(os);
  return os.str();
}

/// The runtime's view of an entry point's argument or result type.
static llvm::Expected<TensorType> convertType(mlir::Type type,
                                              llvm::StringRef what) {
  auto tensorType = llvm::dyn_cast<mlir::RankedTensorType>(type);
  std::optional<DType> dtype =
      tensorType ? convertElementType(tensorType.getElementType())
                 : std::nullopt;
  if (!dtype)
    return makeError("{} has type {}; entry points take and return ranked "
                     "tensors of f32, f64, i32 or i64",
                     what.str(), typeToString(type));
  TensorType result;
  result.dtype = *dtype;
  for (int64_t size : tensorType.getShape())
    result.shape.push_back(mlir::ShapedType::isDynamic(size) ? kDynamicSize
                                                             : size);
  return result;
}

static llvm::Expected<InitSpec> parseInit(mlir::DictionaryAttr attr,
                                          llvm::StringRef what) {
  if (!attr)
    return makeError("{} has no {} initializer attribute", what.str(),
                     seq::kInitAttr.str());
  auto kindAttr = attr.getAs<mlir::StringAttr>("kind");
  if (!kindAttr)
    return makeError("{}: {} has no string 'kind'", what.str(),
                     seq::kInitAttr.str());
  auto kind = InitSpec::parseKind(kindAttr.getValue());
  if (!kind)
    return makeError("{}: {}", what.str(), llvm::toString(kind.takeError()));
  InitSpec spec;
  spec.kind = *kind;
  // a and b default to 0; integers are accepted where a float is meant.
  for (auto [key, slot] : {std::pair{"a", &spec.a}, std::pair{"b", &spec.b}}) {
    mlir::Attribute value = attr.get(key);
    if (!value)
      continue;
    if (auto floatAttr = llvm::dyn_cast<mlir::FloatAttr>(value))
      *slot = floatAttr.getValueAsDouble();
    else if (auto intAttr = llvm::dyn_cast<mlir::IntegerAttr>(value))
      *slot = static_cast<double>(intAttr.getInt());
    else
      return makeError("{}: {} entry '{}' is not a number", what.str(),
                       seq::kInitAttr.str(), key);
  }
  return spec;
}

/// An update step returns the loss (a 0-d float), then one value per
/// parameter argument and one per state argument, each of the argument's
/// type.
static llvm::Error checkUpdateResults(const EntryPoint &entry) {
  std::vector<const EntryArgument *> updated;
  for (const EntryArgument &argument : entry.arguments)
    if (argument.kind == EntryArgument::Kind::Param)
      updated.push_back(&argument);
  for (const EntryArgument &argument : entry.arguments)
    if (argument.kind == EntryArgument::Kind::State)
      updated.push_back(&argument);
  if (entry.results.size() != updated.size() + 1)
    return makeError("update step @{} returns {} values; expected the loss "
                     "and one per parameter and state argument ({})",
                     entry.name, entry.results.size(), updated.size() + 1);
  const TensorType &loss = entry.results.front();
  if (!loss.shape.empty() || !isFloat(loss.dtype))
    return makeError("update step @{} returns {} first; expected the loss, a "
                     "0-d float tensor",
                     entry.name, loss.str());
  for (auto [index, argument] : llvm::enumerate(updated)) {
    const TensorType &result = entry.results[index + 1];
    if (result.dtype != argument->type.dtype ||
        result.shape != argument->type.shape)
      return makeError("result #{} of update step @{} is {}, but it updates "
                       "'{}' of type {}",
                       index + 1, entry.name, result.str(), argument->name,
                       argument->type.str());
  }
  // Either every new value is written into its argument (`seq.updates`,
  // naming the argument it replaces) or none is.
  if (entry.updatesArgument.front() >= 0)
    return makeError("update step @{}: the loss cannot update an argument",
                     entry.name);
  bool inPlace = entry.updatesArgument[1] >= 0;
  for (auto [index, argument] : llvm::enumerate(updated)) {
    int64_t target = entry.updatesArgument[index + 1];
    if ((target >= 0) != inPlace)
      return makeError("update step @{}: either every new value or none "
                       "carries {}",
                       entry.name, seq::kUpdatesAttr.str());
    if (inPlace && &entry.arguments[target] != argument)
      return makeError("result #{} of update step @{} updates argument #{}, "
                       "not '{}'",
                       index + 1, entry.name, target, argument->name);
  }
  return llvm::Error::success();
}

/// The bytes of a tensor of `type` with its dynamic sizes taken as 1, and
/// its description; nullopt for other types.
static std::optional<std::pair<double, std::string>>
activationBytes(mlir::Type type) {
  auto tensorType = llvm::dyn_cast<mlir::RankedTensorType>(type);
  if (!tensorType || !tensorType.getElementType().isIntOrFloat())
    return std::nullopt;
  double bytes = std::max<double>(1, tensorType.getElementTypeBitWidth() / 8.0);
  std::vector<int64_t> sizes;
  for (int64_t size : tensorType.getShape()) {
    sizes.push_back(mlir::ShapedType::isDynamic(size) ? 1 : size);
    bytes *= static_cast<double>(sizes.back());
  }
  return std::pair(bytes, shapeToString(sizes) + " " +
                              typeToString(tensorType.getElementType()));
}

/// The largest value that `func`'s body computes, nested regions (scan
/// bodies) included; kept in `largest` when it is larger.
static void findLargestActivation(mlir::func::FuncOp func,
                                  LargestActivation &largest) {
  func.walk([&](mlir::Operation *op) {
    for (mlir::Type type : op->getResultTypes()) {
      auto activation = activationBytes(type);
      if (activation && activation->first > largest.bytes) {
        largest.bytes = activation->first;
        largest.type = activation->second;
        largest.entry = func.getSymName().str();
      }
    }
  });
}

llvm::Expected<ModelSignature>
seqc::rt::readModelSignature(mlir::ModuleOp module) {
  ModelSignature signature;
  // Parameter and state names are unique across entry points.
  llvm::StringMap<size_t> paramIndex, stateIndex;
  if (auto name = module->getAttrOfType<mlir::StringAttr>(seq::kModelAttr))
    signature.model = name.str();

  for (auto func : module.getOps<mlir::func::FuncOp>()) {
    if (!func.isPublic() || func.isExternal())
      continue;
    EntryPoint entry;
    entry.name = func.getSymName().str();
    mlir::FunctionType type = func.getFunctionType();

    for (unsigned index = 0; index < func.getNumArguments(); ++index) {
      std::string what = fmt::format("argument #{} of @{}", index, entry.name);
      auto argType = convertType(type.getInput(index), what);
      if (!argType)
        return argType.takeError();
      auto paramName =
          func.getArgAttrOfType<mlir::StringAttr>(index, seq::kParamAttr);
      auto inputName =
          func.getArgAttrOfType<mlir::StringAttr>(index, seq::kInputAttr);
      auto stateName =
          func.getArgAttrOfType<mlir::StringAttr>(index, seq::kStateAttr);
      auto hyperName =
          func.getArgAttrOfType<mlir::StringAttr>(index, seq::kHyperAttr);
      if (int(bool(paramName)) + int(bool(inputName)) + int(bool(stateName)) +
              int(bool(hyperName)) !=
          1)
        return makeError("{} must carry exactly one of {}, {}, {} and {}", what,
                         seq::kParamAttr.str(), seq::kStateAttr.str(),
                         seq::kHyperAttr.str(), seq::kInputAttr.str());

      EntryArgument argument;
      argument.type = *argType;
      if (inputName) {
        argument.kind = EntryArgument::Kind::Input;
        argument.name = inputName.str();
        if (auto time =
                func.getArgAttrOfType<mlir::IntegerAttr>(index, seq::kTimeAttr))
          argument.time = time.getInt();
        entry.arguments.push_back(argument);
        entry.inputs.push_back(argument);
        continue;
      }
      if (hyperName) {
        argument.kind = EntryArgument::Kind::Hyper;
        argument.name = hyperName.str();
        if (!argument.type.shape.empty() || !isFloat(argument.type.dtype))
          return makeError("hyperparameter '{}' of @{} is {}; hyperparameters "
                           "are 0-d float tensors",
                           argument.name, entry.name, argument.type.str());
        if (llvm::any_of(entry.hypers, [&](const EntryArgument &other) {
              return other.name == argument.name;
            }))
          return makeError("@{} declares hyperparameter '{}' twice", entry.name,
                           argument.name);
        entry.isUpdateStep = true;
        entry.arguments.push_back(argument);
        entry.hypers.push_back(argument);
        continue;
      }
      if (stateName) {
        argument.kind = EntryArgument::Kind::State;
        argument.name = stateName.str();
        entry.isUpdateStep = true;
        if (llvm::is_contained(argument.type.shape, kDynamicSize))
          return makeError("state '{}' of @{} has dynamic type {}; state "
                           "needs a static shape",
                           argument.name, entry.name, argument.type.str());
        auto [it, inserted] =
            stateIndex.try_emplace(argument.name, signature.states.size());
        if (inserted)
          signature.states.push_back({argument.name, argument.type});
        else if (signature.states[it->second].type.dtype !=
                     argument.type.dtype ||
                 signature.states[it->second].type.shape !=
                     argument.type.shape) {
          return makeError("state '{}' of @{} is {}, but an earlier entry "
                           "point declares it {}",
                           argument.name, entry.name, argument.type.str(),
                           signature.states[it->second].type.str());
        }
        argument.stateIndex = it->second;
        entry.arguments.push_back(argument);
        continue;
      }

      argument.kind = EntryArgument::Kind::Param;
      argument.name = paramName.str();
      what = fmt::format("parameter '{}' of @{}", argument.name, entry.name);
      if (llvm::is_contained(argument.type.shape, kDynamicSize))
        return makeError("{} has dynamic type {}; parameters need static "
                         "shapes",
                         what, argument.type.str());
      auto init = parseInit(
          func.getArgAttrOfType<mlir::DictionaryAttr>(index, seq::kInitAttr),
          what);
      if (!init)
        return init.takeError();

      auto [it, inserted] =
          paramIndex.try_emplace(argument.name, signature.params.size());
      if (inserted) {
        signature.params.push_back({argument.name, argument.type, *init});
      } else {
        const ParamInfo &known = signature.params[it->second];
        if (known.type.dtype != argument.type.dtype ||
            known.type.shape != argument.type.shape)
          return makeError("{} is {}, but an earlier entry point declares it "
                           "{}",
                           what, argument.type.str(), known.type.str());
      }
      argument.paramIndex = it->second;
      entry.arguments.push_back(argument);
    }

    for (unsigned index = 0; index < func.getNumResults(); ++index) {
      auto resultType =
          convertType(type.getResult(index),
                      fmt::format("result #{} of @{}", index, entry.name));
      if (!resultType)
        return resultType.takeError();
      entry.results.push_back(*resultType);
      auto target =
          func.getResultAttrOfType<mlir::IntegerAttr>(index, seq::kUpdatesAttr);
      entry.updatesArgument.push_back(target ? target.getInt() : -1);
      auto name =
          func.getResultAttrOfType<mlir::StringAttr>(index, seq::kOutputAttr);
      entry.resultNames.push_back(name ? name.str()
                                  : func.getNumResults() == 1
                                      ? std::string("out")
                                      : fmt::format("out{}", index));
    }

    if (entry.isUpdateStep)
      if (llvm::Error error = checkUpdateResults(entry))
        return error;
    // Results written into their arguments are not returned by the
    // compiled function.
    for (size_t index = entry.results.size(); index-- > 0;)
      if (entry.updatesArgument[index] >= 0) {
        entry.results.erase(entry.results.begin() + index);
        entry.resultNames.erase(entry.resultNames.begin() + index);
        entry.updatesInPlace = true;
      }

    findLargestActivation(func, signature.largestActivation);
    signature.entryIndex[entry.name] = signature.entries.size();
    signature.entries.push_back(std::move(entry));
  }
  if (signature.entries.empty())
    return makeError("the module has no public function to run");
  return signature;
}

const EntryPoint *ModelSignature::entryPoint(llvm::StringRef name) const {
  auto it = entryIndex.find(name);
  return it == entryIndex.end() ? nullptr : &entries[it->second];
}
