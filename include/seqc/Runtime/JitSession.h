//===- JitSession.h - A compiled model and its parameters -------*- C++ -*-===//
//
// A JitSession is what a training run or an evaluation holds: one
// CompiledModel (the machine code of the entry points, immutable, callable
// from any thread; CompiledModel.h) and one ParameterStore (the values of
// the parameters and the optimizer state; ParameterStore.h). Calling an
// entry point passes the parameters and state automatically, in argument
// order, together with the caller's inputs and scalar hyperparameters, and
// returns the results as host tensors; trainStep() keeps the new values of
// an update step. A session is used by one thread at a time; threads that
// share a model share its CompiledModel and hold stores of their own.
//
// The arguments' markers (`seq.param`, `seq.state`, `seq.hyper`,
// `seq.input`) and update steps are described in ModelSignature.h.
//
//   auto session = JitSession::create(module, {});
//   (*session)->initParams(/*seed=*/0);
//   auto outputs = (*session)->run("forward", {x});
//   auto loss = (*session)->trainStep({x, y}, /*lr=*/1e-3, /*step=*/1);
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_RUNTIME_JITSESSION_H
#define SEQC_RUNTIME_JITSESSION_H

#include "seqc/Runtime/CompiledModel.h"
#include "seqc/Runtime/ParameterStore.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace seqc::rt {

class JitSession {
public:
  /// Compiles `seqModule` (which is left unchanged) and allocates its
  /// parameters and state. Fails when its signature does not read
  /// (readModelSignature), with the diagnostics of the first failing stage,
  /// or, before compiling or allocating anything, when the parameters and
  /// optimizer state cannot fit in the machine's memory.
  static llvm::Expected<std::unique_ptr<JitSession>>
  create(mlir::ModuleOp seqModule, const JitOptions &options = {});
  ~JitSession();

  /// How long the compilation took, and whether the cache served it.
  const CompileInfo &compileInfo() const { return compiled->compileInfo(); }

  /// The machine code, which other threads may call with stores of their
  /// own, and the parameters and state this session passes it.
  const CompiledModel &compiledModel() const { return *compiled; }
  std::shared_ptr<const CompiledModel> sharedModel() const { return compiled; }
  ParameterStore &parameterStore() { return *store; }
  const ParameterStore &parameterStore() const { return *store; }

  /// The module's `seq.model` attribute, or "" without one.
  llvm::StringRef modelName() const { return compiled->name(); }

  /// Entry points in module order; nullptr when there is none of that name.
  llvm::ArrayRef<EntryPoint> entryPoints() const {
    return compiled->entryPoints();
  }
  const EntryPoint *entryPoint(llvm::StringRef name) const {
    return compiled->entryPoint(name);
  }

  /// Parameters of all entry points, in order of first appearance, and their
  /// current values.
  llvm::ArrayRef<ParamInfo> params() const { return store->params(); }
  const Tensor *param(llvm::StringRef name) const { return store->param(name); }
  /// Replaces a parameter's value; its dtype and shape must match.
  llvm::Error setParam(llvm::StringRef name, const Tensor &value) {
    return store->setParam(name, value);
  }

  /// Initializes every parameter per its `seq.init` spec; parameter p draws
  /// from stream Rng::forStream(seed, p.name), so results do not depend on
  /// the order or number of other parameters.
  void initParams(uint64_t seed) { store->initParams(seed); }
  /// Loads every parameter from a safetensors file. The file must hold each
  /// parameter with the right dtype and shape and, unless `allowUnknown`,
  /// nothing else. Nothing is changed when the file does not fit.
  llvm::Error loadParams(llvm::StringRef path, bool allowUnknown = false) {
    return store->loadParams(path, allowUnknown);
  }
  /// Writes the parameters (atomically) with `metadata` plus the model name.
  llvm::Error saveParams(llvm::StringRef path,
                         const MetadataMap &metadata = {}) const {
    return store->saveParams(path, metadata);
  }

  /// Optimizer state of all entry points, in order of first appearance, and
  /// its current values (zero after creation and resetState()).
  llvm::ArrayRef<StateInfo> states() const { return store->states(); }
  const Tensor *state(llvm::StringRef name) const { return store->state(name); }
  llvm::Error setState(llvm::StringRef name, const Tensor &value) {
    return store->setState(name, value);
  }
  void resetState() { store->resetState(); }

  /// Writes a checkpoint (atomically): every parameter and state tensor, and
  /// `metadata` plus "seqc.model" and "seqc.state" (a JSON list of the state
  /// tensors' names).
  llvm::Error saveCheckpoint(llvm::StringRef path,
                             const MetadataMap &metadata = {}) const {
    return store->saveCheckpoint(path, metadata);
  }
  /// Sets the parameters, and with `withState` the optimizer state, from a
  /// checkpoint read by loadSafetensors; `path` names it in errors. The
  /// model name (when both have one) and every tensor's name, dtype and
  /// shape must fit; state tensors are ignored without `withState`. Nothing
  /// is changed when the checkpoint does not fit.
  llvm::Error loadCheckpoint(const SafetensorsFile &file, llvm::StringRef path,
                             bool withState) {
    return store->loadCheckpoint(file, path, withState);
  }

  /// Calls `entry` with the parameters, the state, `inputs` (in the entry's
  /// input order) and `hypers` (by name; every `seq.hyper` argument needs
  /// one). Checks every input's dtype and static sizes and that inputs with
  /// a dynamic leading (batch) axis agree on its size; an input whose first
  /// two axes are dynamic is a time-major sequence [T, N, ...], whose batch
  /// axis is the second, and such sequences must agree on T.
  llvm::Expected<std::vector<Tensor>>
  run(llvm::StringRef entry, llvm::ArrayRef<Tensor> inputs,
      llvm::ArrayRef<HyperValue> hypers = {}) {
    return compiled->call(entry, store->tensors(), inputs, hypers);
  }

  /// One training step: calls the update step `entry` (seqc-train-step's
  /// "train_step") on a batch with learning rate `lr` and the 1-based step
  /// number `step`. The new parameters and state are written into their
  /// buffers by the compiled step (`seq.updates`), or else swapped in from
  /// the buffers it returns, without copying. Returns the batch's loss,
  /// computed with the parameters before the update. When the loss is not
  /// finite, the parameters and state of an in-place step hold that step's
  /// (non-finite) update, and the caller should stop; a step that returns
  /// its new values leaves them as they were.
  llvm::Expected<double> trainStep(llvm::ArrayRef<Tensor> inputs, double lr,
                                   int64_t step,
                                   llvm::StringRef entry = "train_step");
  /// The batch-mean loss of `entry` ("loss": a function returning a 0-d
  /// float tensor) on a batch.
  llvm::Expected<double> evalLoss(llvm::ArrayRef<Tensor> inputs,
                                  llvm::StringRef entry = "loss");
  /// The outputs of `forward` on a batch.
  llvm::Expected<std::vector<Tensor>> predict(llvm::ArrayRef<Tensor> inputs) {
    return run("forward", inputs);
  }

private:
  JitSession(std::shared_ptr<const CompiledModel> compiled,
             std::unique_ptr<ParameterStore> store)
      : compiled(std::move(compiled)), store(std::move(store)) {}

  std::shared_ptr<const CompiledModel> compiled;
  std::unique_ptr<ParameterStore> store;
};

} // namespace seqc::rt

#endif // SEQC_RUNTIME_JITSESSION_H
