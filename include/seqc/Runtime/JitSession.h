//===- JitSession.h - A compiled model and its parameters -------*- C++ -*-===//
//
// A JitSession owns one model compiled for the host: it reads the entry
// points and their parameter and input metadata from the seq module, lowers a
// clone of it to the LLVM dialect with seqc's pipelines, JIT-compiles that at
// -O3 for the host CPU, and keeps the parameters and the optimizer state.
// Calling an entry point passes the parameters and state automatically, in
// argument order, together with the caller's inputs and scalar
// hyperparameters, and returns the results as host tensors.
//
// Arguments are marked by attributes: `seq.param` (a parameter, with its
// `seq.init`), `seq.state` (optimizer state, zero-initialized and held here),
// `seq.hyper` (a 0-d scalar given per call, like "lr" and "step") and
// `seq.input`. An entry point with state or hyper arguments is an update step
// (what seqc-train-step builds): it returns the loss, then a new value for
// each of its parameter arguments and each of its state arguments, in
// argument order, and trainStep() swaps those in.
//
//   auto session = JitSession::create(module, {});
//   (*session)->initParams(/*seed=*/0);
//   auto outputs = (*session)->run("forward", {x});
//   auto loss = (*session)->trainStep({x, y}, /*lr=*/1e-3, /*step=*/1);
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_RUNTIME_JITSESSION_H
#define SEQC_RUNTIME_JITSESSION_H

#include "seqc/Pipeline/Pipeline.h"
#include "seqc/Runtime/Init.h"
#include "seqc/Runtime/SafeTensors.h"
#include "seqc/Runtime/Tensor.h"
#include "seqc/Runtime/TensorType.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace llvm {
class TargetMachine;
} // namespace llvm
namespace llvm {
class MemoryBuffer;
} // namespace llvm
namespace mlir {
class TimingScope;
} // namespace mlir

namespace seqc::rt {

class NativeCode;

struct ParamInfo {
  std::string name; // qualified: "fc1.W"
  TensorType type;  // fully static
  InitSpec init;
};

/// A tensor of optimizer state (`seq.state = "adam.m.fc.W"`): it has the
/// type of the parameter it belongs to and starts at zero.
struct StateInfo {
  std::string name; // "adam.m.fc.W"
  TensorType type;  // fully static
};

struct EntryArgument {
  enum class Kind { Param, State, Hyper, Input };
  Kind kind;
  std::string name; // the parameter's, state's, hyperparameter's or input's
  TensorType type;
  size_t paramIndex = 0; // into JitSession::params(), for Kind::Param
  size_t stateIndex = 0; // into JitSession::states(), for Kind::State
};

/// A hyperparameter's value for one call: a `seq.hyper` argument by name.
struct HyperValue {
  llvm::StringRef name;
  double value;
};

struct EntryPoint {
  std::string name;
  /// Every argument in call order as the function declares them.
  std::vector<EntryArgument> arguments;
  /// The inputs alone, in order: what run() takes.
  std::vector<EntryArgument> inputs;
  /// The `seq.hyper` arguments, in order.
  std::vector<EntryArgument> hypers;
  std::vector<TensorType> results;
  /// `seq.output` result attributes where present, else "out" / "out<i>".
  std::vector<std::string> resultNames;
  /// An update step: it has state or hyper arguments, and returns the loss
  /// followed by the new value of each parameter and state argument.
  bool isUpdateStep = false;
  /// The update step writes the new values into the parameter and state
  /// buffers it is given (results marked `seq.updates`); `results` then holds
  /// the loss alone, what the compiled function returns.
  bool updatesInPlace = false;
  /// Per result of the function as declared: the argument it replaces in
  /// place (`seq.updates`), or -1.
  std::vector<int64_t> updatesArgument;
};

struct JitOptions {
  PipelineOptions pipeline;
  /// Marks every argument `bufferization.writable = false`, so compiled code
  /// copies before it writes and never modifies parameters or inputs.
  bool readOnlyArguments = true;
  /// Optimization level of the LLVM IR pipeline (0-3).
  unsigned optLevel = 3;
  /// When set, receives the module after lowering to the LLVM dialect (and
  /// the cache is not used).
  llvm::raw_ostream *dumpLoweredModule = nullptr;
  /// Reuse machine code compiled before for the same module, CPU and
  /// options, and keep what is compiled (seqc/Runtime/ObjectCache.h).
  bool useCache = true;
  /// The cache's folder; empty: ObjectCache::defaultDirectory().
  std::string cacheDirectory;
  /// Print the time of each compilation stage to stderr.
  bool timing = false;
  /// Name the compiled functions for `perf report` (/tmp/perf-<pid>.map).
  bool perfMap = false;
};

/// How the model's code was obtained.
struct CompileInfo {
  /// Wall time of JitSession::create's compilation (or cache read).
  double seconds = 0;
  /// The machine code came from the object cache.
  bool cacheHit = false;
};

class JitSession {
public:
  /// Compiles `seqModule` (which is left unchanged). Fails with the
  /// diagnostics of the first failing stage, when an entry function's
  /// arguments are not each marked with exactly one of `seq.param`,
  /// `seq.state`, `seq.hyper` and `seq.input`, or when an update step's
  /// results do not match its parameter and state arguments.
  static llvm::Expected<std::unique_ptr<JitSession>>
  create(mlir::ModuleOp seqModule, const JitOptions &options = {});
  ~JitSession();

  /// How long the compilation took, and whether the cache served it.
  const CompileInfo &compileInfo() const { return compileStats; }

  /// The module's `seq.model` attribute, or "" without one.
  llvm::StringRef modelName() const { return model; }

  /// Entry points in module order; nullptr when there is none of that name.
  llvm::ArrayRef<EntryPoint> entryPoints() const { return entries; }
  const EntryPoint *entryPoint(llvm::StringRef name) const;

  /// Parameters of all entry points, in order of first appearance, and their
  /// current values.
  llvm::ArrayRef<ParamInfo> params() const { return paramInfos; }
  const Tensor *param(llvm::StringRef name) const;
  /// Replaces a parameter's value; its dtype and shape must match.
  llvm::Error setParam(llvm::StringRef name, const Tensor &value);

  /// Initializes every parameter per its `seq.init` spec; parameter p draws
  /// from stream Rng::forStream(seed, p.name), so results do not depend on
  /// the order or number of other parameters.
  void initParams(uint64_t seed);
  /// Loads every parameter from a safetensors file. The file must hold each
  /// parameter with the right dtype and shape and, unless `allowUnknown`,
  /// nothing else. Nothing is changed when the file does not fit.
  llvm::Error loadParams(llvm::StringRef path, bool allowUnknown = false);
  /// Writes the parameters (atomically) with `metadata` plus the model name.
  llvm::Error saveParams(llvm::StringRef path,
                         const MetadataMap &metadata = {}) const;

  /// Optimizer state of all entry points, in order of first appearance, and
  /// its current values (zero after creation and resetState()).
  llvm::ArrayRef<StateInfo> states() const { return stateInfos; }
  const Tensor *state(llvm::StringRef name) const;
  llvm::Error setState(llvm::StringRef name, const Tensor &value);
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

  /// Calls `entry` with the parameters, the state, `inputs` (in the entry's
  /// input order) and `hypers` (by name; every `seq.hyper` argument needs
  /// one). Checks every input's dtype and static sizes and that inputs with
  /// a dynamic leading (batch) axis agree on its size; an input whose first
  /// two axes are dynamic is a time-major sequence [T, N, ...], whose batch
  /// axis is the second, and such sequences must agree on T.
  llvm::Expected<std::vector<Tensor>>
  run(llvm::StringRef entry, llvm::ArrayRef<Tensor> inputs,
      llvm::ArrayRef<HyperValue> hypers = {});

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
  JitSession() = default;
  llvm::Error readSignatures(mlir::ModuleOp module);
  llvm::Error compile(mlir::ModuleOp module, const JitOptions &options);
  /// Lowers, optimizes and compiles `module` to an object file.
  llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
  buildObject(mlir::ModuleOp module, const JitOptions &options,
              const CodegenTarget &target, mlir::TimingScope &timing);
  /// Calls entry point `index`; returned buffers are adopted, not copied,
  /// where their layout allows.
  llvm::Expected<std::vector<Tensor>> call(size_t index,
                                           llvm::ArrayRef<Tensor> inputs,
                                           llvm::ArrayRef<HyperValue> hypers);

  using PackedFunction = void (*)(void **);

  std::string model;
  std::vector<ParamInfo> paramInfos;
  std::vector<Tensor> paramValues;
  llvm::StringMap<size_t> paramIndex;
  std::vector<StateInfo> stateInfos;
  std::vector<Tensor> stateValues;
  llvm::StringMap<size_t> stateIndex;
  std::vector<EntryPoint> entries;
  std::vector<PackedFunction> entryFunctions; // parallel to entries
  llvm::StringMap<size_t> entryIndex;
  std::unique_ptr<NativeCode> native;
  CompileInfo compileStats;
};

} // namespace seqc::rt

#endif // SEQC_RUNTIME_JITSESSION_H
