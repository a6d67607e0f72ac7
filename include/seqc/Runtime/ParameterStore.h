//===- ParameterStore.h - Parameters and optimizer state -------*- C++ -*-===//
//
// The values of a model's parameters and optimizer state, apart from the
// compiled code that reads them: initialization (seeded), replacement with
// checked types, and safetensors files of parameters alone or with the
// state (checkpoints). One store belongs to one training run; it is not
// synchronized, so one thread at a time uses it.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_RUNTIME_PARAMETERSTORE_H
#define SEQC_RUNTIME_PARAMETERSTORE_H

#include "seqc/Runtime/ModelSignature.h"
#include "seqc/Runtime/SafeTensors.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace seqc::rt {

class ParameterStore {
public:
  /// Zero tensors for `params` and `states` of model `model` (a name for
  /// messages and checkpoints; may be empty).
  ParameterStore(std::string model, std::vector<ParamInfo> params,
                 std::vector<StateInfo> states);

  llvm::ArrayRef<ParamInfo> params() const { return paramInfos; }
  llvm::ArrayRef<StateInfo> states() const { return stateInfos; }
  /// What entry points read: the values in the order of params() and
  /// states(). An in-place update step writes into these buffers.
  HeldTensors tensors() const { return {paramValues, stateValues}; }

  const Tensor *param(llvm::StringRef name) const;
  /// Replaces a parameter's value; its dtype and shape must match.
  llvm::Error setParam(llvm::StringRef name, const Tensor &value);
  /// Replaces parameter `index` of params() (by a value of its type).
  void replaceParam(size_t index, Tensor value) {
    paramValues[index] = std::move(value);
  }

  /// Initializes every parameter per its `seq.init` spec; parameter p draws
  /// from stream Rng::forStream(seed, p.name), so results do not depend on
  /// the order or number of other parameters.
  void initParams(uint64_t seed);
  /// Loads every parameter from a safetensors file. The file must hold each
  /// parameter with the right dtype and shape and, unless `allowUnknown`,
  /// nothing else but optimizer state. Nothing is changed when the file
  /// does not fit.
  llvm::Error loadParams(llvm::StringRef path, bool allowUnknown = false);
  /// Writes the parameters (atomically) with `metadata` plus the model name.
  llvm::Error saveParams(llvm::StringRef path,
                         const MetadataMap &metadata = {}) const;

  const Tensor *state(llvm::StringRef name) const;
  llvm::Error setState(llvm::StringRef name, const Tensor &value);
  /// Replaces state tensor `index` of states() (by a value of its type).
  void replaceState(size_t index, Tensor value) {
    stateValues[index] = std::move(value);
  }
  /// Sets every state tensor to zero.
  void resetState();

  /// Writes a checkpoint (atomically): every parameter and state tensor, and
  /// `metadata` plus "seqc.model" and "seqc.state" (a JSON list of the state
  /// tensors' names).
  llvm::Error saveCheckpoint(llvm::StringRef path,
                             const MetadataMap &metadata = {}) const;
  /// Sets the parameters, and with `withState` the optimizer state, from a
  /// checkpoint read by loadSafetensors; `path` names it in errors. The
  /// model name (when both have one) and every tensor's name, dtype and
  /// shape must fit; state tensors are ignored without `withState`. Nothing
  /// is changed when the checkpoint does not fit.
  llvm::Error loadCheckpoint(const SafetensorsFile &file, llvm::StringRef path,
                             bool withState);

private:
  std::string model;
  std::vector<ParamInfo> paramInfos;
  std::vector<Tensor> paramValues;
  llvm::StringMap<size_t> paramIndex;
  std::vector<StateInfo> stateInfos;
  std::vector<Tensor> stateValues;
  llvm::StringMap<size_t> stateIndex;
};

} // namespace seqc::rt

#endif // SEQC_RUNTIME_PARAMETERSTORE_H
