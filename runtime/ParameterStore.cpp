//===- ParameterStore.cpp - A model's parameters and optimizer state ------===//
#include "seqc/Runtime/ParameterStore.h"
#include "seqc/Runtime/Error.h"
#include "seqc/Runtime/Init.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/JSON.h"

#include <fmt/format.h>

using namespace seqc::rt;

static constexpr llvm::StringLiteral kStateListKey = "seqc.state";
static constexpr llvm::StringLiteral kModelKey = "seqc.model";

ParameterStore::ParameterStore(std::string model, std::vector<ParamInfo> params,
                               std::vector<StateInfo> states)
    : model(std::move(model)), paramInfos(std::move(params)),
      stateInfos(std::move(states)) {
  for (const ParamInfo &info : paramInfos) {
    paramIndex[info.name] = paramValues.size();
    paramValues.emplace_back(info.type.dtype, info.type.shape);
  }
  for (const StateInfo &info : stateInfos) {
    stateIndex[info.name] = stateValues.size();
    stateValues.emplace_back(info.type.dtype, info.type.shape);
  }
}

//===----------------------------------------------------------------------===//
// Parameters
//===----------------------------------------------------------------------===//

const Tensor *ParameterStore::param(llvm::StringRef name) const {
  auto it = paramIndex.find(name);
  return it == paramIndex.end() ? nullptr : &paramValues[it->second];
}

llvm::Error ParameterStore::setParam(llvm::StringRef name,
                                     const Tensor &value) {
  auto it = paramIndex.find(name);
  if (it == paramIndex.end())
    return makeError("model '{}' has no parameter '{}'", model, name.str());
  const ParamInfo &info = paramInfos[it->second];
  if (!info.type.accepts(value))
    return makeError("parameter '{}' is {}, got {}", name.str(),
                     info.type.str(), describeTensor(value));
  paramValues[it->second] = value;
  return llvm::Error::success();
}

void ParameterStore::initParams(uint64_t seed) {
  for (auto [info, value] : llvm::zip(paramInfos, paramValues)) {
    Rng rng = Rng::forStream(seed, info.name);
    initializeTensor(value, info.init, rng);
  }
}

/// The names of the state tensors a checkpoint lists in its metadata.
static llvm::Expected<llvm::StringSet<>>
checkpointStateNames(const SafetensorsFile &file, llvm::StringRef path) {
  llvm::StringSet<> names;
  auto it = file.metadata.find(kStateListKey);
  if (it == file.metadata.end())
    return names;
  auto parsed = llvm::json::parse(it->second);
  const llvm::json::Array *array = parsed ? parsed->getAsArray() : nullptr;
  if (!parsed)
    llvm::consumeError(parsed.takeError());
  if (!array)
    return makeError("{}: corrupt checkpoint: metadata '{}' is not a JSON "
                     "list of names",
                     path.str(), kStateListKey.str());
  for (const llvm::json::Value &value : *array) {
    std::optional<llvm::StringRef> name = value.getAsString();
    if (!name)
      return makeError("{}: corrupt checkpoint: metadata '{}' is not a JSON "
                       "list of names",
                       path.str(), kStateListKey.str());
    names.insert(*name);
  }
  return names;
}

llvm::Error ParameterStore::loadParams(llvm::StringRef path,
                                       bool allowUnknown) {
  auto file = loadSafetensors(path);
  if (!file)
    return file.takeError();

  std::vector<std::string> problems;
  for (const ParamInfo &info : paramInfos) {
    auto it = file->tensors.find(info.name);
    if (it == file->tensors.end())
      problems.push_back(fmt::format("missing parameter '{}' ({})", info.name,
                                     info.type.str()));
    else if (!info.type.accepts(it->second))
      problems.push_back(fmt::format("parameter '{}' is {} in the file, but "
                                     "the model expects {}",
                                     info.name, describeTensor(it->second),
                                     info.type.str()));
  }
  // Optimizer state in a training checkpoint is not a parameter but belongs.
  auto stateNames = checkpointStateNames(*file, path);
  if (!stateNames)
    return stateNames.takeError();
  if (!allowUnknown)
    for (const auto &[name, tensor] : file->tensors)
      if (!paramIndex.count(name) && !stateNames->count(name))
        problems.push_back(fmt::format(
            "tensor '{}' is not a parameter of model '{}'", name, model));
  if (!problems.empty())
    return makeError("{}: does not fit model '{}':\n  {}", path.str(), model,
                     llvm::join(problems, "\n  "));

  for (auto [info, value] : llvm::zip(paramInfos, paramValues))
    value = std::move(file->tensors.find(info.name)->second);
  return llvm::Error::success();
}

llvm::Error ParameterStore::saveParams(llvm::StringRef path,
                                       const MetadataMap &metadata) const {
  std::vector<NamedTensorRef> tensors;
  for (auto [info, value] : llvm::zip(paramInfos, paramValues))
    tensors.push_back({info.name, &value});
  MetadataMap allMetadata = metadata;
  if (!model.empty())
    allMetadata.try_emplace(kModelKey.str(), model);
  return saveSafetensors(path, tensors, allMetadata);
}

//===----------------------------------------------------------------------===//
// Optimizer state and checkpoints
//===----------------------------------------------------------------------===//

const Tensor *ParameterStore::state(llvm::StringRef name) const {
  auto it = stateIndex.find(name);
  return it == stateIndex.end() ? nullptr : &stateValues[it->second];
}

llvm::Error ParameterStore::setState(llvm::StringRef name,
                                     const Tensor &value) {
  auto it = stateIndex.find(name);
  if (it == stateIndex.end())
    return makeError("model '{}' has no optimizer state '{}'", model,
                     name.str());
  const StateInfo &info = stateInfos[it->second];
  if (!info.type.accepts(value))
    return makeError("optimizer state '{}' is {}, got {}", name.str(),
                     info.type.str(), describeTensor(value));
  stateValues[it->second] = value;
  return llvm::Error::success();
}

void ParameterStore::resetState() {
  for (auto [info, value] : llvm::zip(stateInfos, stateValues))
    value = Tensor(info.type.dtype, info.type.shape);
}

llvm::Error ParameterStore::saveCheckpoint(llvm::StringRef path,
                                           const MetadataMap &metadata) const {
  std::vector<NamedTensorRef> tensors;
  for (auto [info, value] : llvm::zip(paramInfos, paramValues))
    tensors.push_back({info.name, &value});
  std::string stateList;
  llvm::raw_string_ostream stateStream(stateList);
  llvm::json::OStream json(stateStream);
  json.array([&] {
    for (auto [info, value] : llvm::zip(stateInfos, stateValues)) {
      tensors.push_back({info.name, &value});
      json.value(info.name);
    }
  });
  stateStream.flush();
  MetadataMap allMetadata = metadata;
  if (!model.empty())
    allMetadata[kModelKey.str()] = model;
  allMetadata[kStateListKey.str()] = stateList;
  return saveSafetensors(path, tensors, allMetadata);
}

llvm::Error ParameterStore::loadCheckpoint(const SafetensorsFile &file,
                                           llvm::StringRef path,
                                           bool withState) {
  auto modelIt = file.metadata.find(kModelKey);
  if (modelIt != file.metadata.end() && !model.empty() &&
      modelIt->second != model)
    return makeError("{}: the checkpoint is of model '{}', not '{}'",
                     path.str(), modelIt->second, model);
  auto stateNames = checkpointStateNames(file, path);
  if (!stateNames)
    return stateNames.takeError();

  std::vector<std::string> problems;
  auto check = [&](llvm::StringRef what, llvm::StringRef name,
                   const TensorType &type) {
    auto it = file.tensors.find(name);
    if (it == file.tensors.end())
      problems.push_back(fmt::format("missing {} '{}' ({})", what.str(),
                                     name.str(), type.str()));
    else if (!type.accepts(it->second))
      problems.push_back(fmt::format("{} '{}' is {} in the file, but the "
                                     "model expects {}",
                                     what.str(), name.str(),
                                     describeTensor(it->second), type.str()));
    else if (!it->second.allFinite())
      problems.push_back(fmt::format("{} '{}' holds NaN or infinite values "
                                     "(a diverged run?)",
                                     what.str(), name.str()));
  };
  for (const ParamInfo &info : paramInfos)
    check("parameter", info.name, info.type);
  if (withState)
    for (const StateInfo &info : stateInfos)
      check("optimizer state", info.name, info.type);
  for (const auto &[name, tensor] : file.tensors) {
    if (paramIndex.count(name))
      continue;
    if (!stateNames->count(name))
      problems.push_back(fmt::format(
          "tensor '{}' is not a parameter of model '{}'", name, model));
    else if (withState && !stateIndex.count(name))
      problems.push_back(fmt::format("optimizer state '{}' does not belong "
                                     "to this training (another optimizer?)",
                                     name));
  }
  if (!problems.empty())
    return makeError("{}: does not fit model '{}':\n  {}", path.str(), model,
                     llvm::join(problems, "\n  "));

  for (auto [info, value] : llvm::zip(paramInfos, paramValues))
    value = file.tensors.find(info.name)->second;
  if (withState)
    for (auto [info, value] : llvm::zip(stateInfos, stateValues))
      value = file.tensors.find(info.name)->second;
  return llvm::Error::success();
}
