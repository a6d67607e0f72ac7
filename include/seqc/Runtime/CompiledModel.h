//===- CompiledModel.h - Machine code any thread may call ------*- C++ -*-===//
//
// A CompiledModel is a seq module compiled for the CPU the pipeline chooses
// (the host unless told otherwise): its signature and the machine code of
// its entry points, read from the object cache or lowered with seqc's
// pipelines, optimized and linked into this process. It holds no parameters
// and no state of its own (those are a ParameterStore's, passed per call).
//
// Thread safety: a CompiledModel does not change after create(). Any number
// of threads may call its entry points at once, the same entry point too,
// provided that the buffers one call writes are not read or written by
// another: results are always fresh buffers, but an update step that
// replaces parameters in place (`seq.updates`) writes into the parameter
// and state tensors it is given, so concurrent update steps need separate
// stores. Compiled code takes its temporaries from the process-wide buffer
// pool and runs its GEMMs and parallel loops on the global thread pool,
// both of which accept callers from several threads (the thread pool runs
// one caller's job at a time; setThreadCount must not race with calls).
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_RUNTIME_COMPILEDMODEL_H
#define SEQC_RUNTIME_COMPILEDMODEL_H

#include "seqc/Pipeline/Pipeline.h"
#include "seqc/Runtime/MemRefABI.h"
#include "seqc/Runtime/ModelSignature.h"

#include "llvm/Support/Error.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace llvm {
class MemoryBuffer;
} // namespace llvm
namespace mlir {
class ModuleOp;
class TimingScope;
} // namespace mlir

namespace seqc::rt {

class NativeCode;

struct JitOptions {
  /// The pipelines' options, and the pipeline's hook that chooses the CPU
  /// (PipelineOptions::chooseTarget): the code runs here, so it must choose
  /// a CPU whose instructions the host has.
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
  /// Wall time of the compilation (or cache read).
  double seconds = 0;
  /// The machine code came from the object cache.
  bool cacheHit = false;
};

class CompiledModel {
public:
  /// Compiles `seqModule` (left unchanged) whose signature is `signature`
  /// (readModelSignature of it). Fails with the diagnostics of the first
  /// failing stage.
  static llvm::Expected<std::unique_ptr<CompiledModel>>
  create(mlir::ModuleOp seqModule, ModelSignature signature,
         const JitOptions &options = {});
  ~CompiledModel();

  const ModelSignature &signature() const { return sig; }
  /// The module's `seq.model` attribute, or "" without one.
  llvm::StringRef name() const { return sig.model; }
  llvm::ArrayRef<EntryPoint> entryPoints() const { return sig.entries; }
  /// nullptr when there is no entry point of that name.
  const EntryPoint *entryPoint(llvm::StringRef entry) const {
    return sig.entryPoint(entry);
  }
  /// The CPU the code was compiled for.
  const CodegenTarget &target() const { return codegenTarget; }
  const CompileInfo &compileInfo() const { return compileStats; }

  /// Calls `entry` with the parameters and state in `held`, `inputs` (in the
  /// entry's input order) and `hypers` (by name; every `seq.hyper` argument
  /// needs one). Checks every input's dtype and static sizes and that inputs
  /// with a dynamic leading (batch) axis agree on its size; an input whose
  /// first two axes are dynamic is a time-major sequence [T, N, ...], whose
  /// batch axis is the second, and such sequences must agree on T. Returned
  /// buffers are adopted, not copied, where their layout allows. Safe to
  /// call from several threads at once (see the file comment).
  llvm::Expected<std::vector<Tensor>>
  call(llvm::StringRef entry, const HeldTensors &held,
       llvm::ArrayRef<Tensor> inputs,
       llvm::ArrayRef<HyperValue> hypers = {}) const;

private:
  explicit CompiledModel(ModelSignature signature);
  llvm::Error compile(mlir::ModuleOp module, const JitOptions &options);
  /// Lowers, optimizes and compiles `module` to an object file.
  llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
  buildObject(mlir::ModuleOp module, const JitOptions &options,
              mlir::TimingScope &timing) const;

  ModelSignature sig;
  CodegenTarget codegenTarget;
  std::vector<PackedFunction> entryFunctions; // parallel to sig.entries
  std::unique_ptr<NativeCode> native;
  CompileInfo compileStats;
};

} // namespace seqc::rt

#endif // SEQC_RUNTIME_COMPILEDMODEL_H
