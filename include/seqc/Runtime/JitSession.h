//===- JitSession.h - A compiled model and its parameters -------*- C++ -*-===//
//
// A JitSession owns one model compiled for the host: it reads the entry
// points and their parameter and input metadata from the seq module, lowers a
// clone of it to the LLVM dialect with seqc's pipelines, JIT-compiles that at
// -O3 for the host CPU, and keeps the parameters. Calling an entry point
// passes the parameters automatically, in argument order, followed by the
// caller's inputs, and returns the results as host tensors.
//
//   auto session = JitSession::create(module, {});
//   (*session)->initParams(/*seed=*/0);
//   auto outputs = (*session)->run("forward", {x});
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_RUNTIME_JITSESSION_H
#define SEQC_RUNTIME_JITSESSION_H

#include "seqc/Pipeline/Pipeline.h"
#include "seqc/Runtime/Init.h"
#include "seqc/Runtime/SafeTensors.h"
#include "seqc/Runtime/Tensor.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace llvm {
class TargetMachine;
} // namespace llvm
namespace mlir {
class ExecutionEngine;
} // namespace mlir

namespace seqc::rt {

/// The size the type of an argument or result gives a dynamic axis.
inline constexpr int64_t kDynamicSize = -1;

/// Element type and shape of an argument or result; kDynamicSize marks the
/// batch axis.
struct TensorType {
  DType dtype = DType::F32;
  llvm::SmallVector<int64_t, 4> shape;

  /// Whether `tensor` has this element type and matches every static size.
  bool accepts(const Tensor &tensor) const;
  /// "[?, 4] f32".
  std::string str() const;
};

struct ParamInfo {
  std::string name; // qualified: "fc1.W"
  TensorType type;  // fully static
  InitSpec init;
};

struct EntryArgument {
  enum class Kind { Param, Input };
  Kind kind;
  std::string name; // the parameter's or the input's name
  TensorType type;
  size_t paramIndex = 0; // into JitSession::params(), for Kind::Param
};

struct EntryPoint {
  std::string name;
  /// Every argument in call order: parameters and inputs as the function
  /// declares them.
  std::vector<EntryArgument> arguments;
  /// The inputs alone, in order: what run() takes.
  std::vector<EntryArgument> inputs;
  std::vector<TensorType> results;
  /// `seq.output` result attributes where present, else "out" / "out<i>".
  std::vector<std::string> resultNames;
};

struct JitOptions {
  PipelineOptions pipeline;
  /// Marks every argument `bufferization.writable = false`, so compiled code
  /// copies before it writes and never modifies parameters or inputs.
  bool readOnlyArguments = true;
  /// Optimization level of the LLVM IR pipeline (0-3).
  unsigned optLevel = 3;
  /// When set, receives the module after lowering to the LLVM dialect.
  llvm::raw_ostream *dumpLoweredModule = nullptr;
};

class JitSession {
public:
  /// Compiles `seqModule` (which is left unchanged). Fails with the
  /// diagnostics of the first failing stage, or when an entry function's
  /// arguments are not all marked `seq.param` or `seq.input`.
  static llvm::Expected<std::unique_ptr<JitSession>>
  create(mlir::ModuleOp seqModule, const JitOptions &options = {});
  ~JitSession();

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

  /// Calls `entry` with the parameters and `inputs` (in the entry's input
  /// order). Checks every input's dtype and static sizes and that inputs with
  /// a dynamic leading (batch) axis agree on its size.
  llvm::Expected<std::vector<Tensor>> run(llvm::StringRef entry,
                                          llvm::ArrayRef<Tensor> inputs);

private:
  JitSession() = default;
  llvm::Error readSignatures(mlir::ModuleOp module);
  llvm::Error compile(mlir::ModuleOp module, const JitOptions &options);

  using PackedFunction = void (*)(void **);

  std::string model;
  std::vector<ParamInfo> paramInfos;
  std::vector<Tensor> paramValues;
  llvm::StringMap<size_t> paramIndex;
  std::vector<EntryPoint> entries;
  std::vector<PackedFunction> entryFunctions; // parallel to entries
  llvm::StringMap<size_t> entryIndex;
  std::unique_ptr<mlir::ExecutionEngine> engine;
};

} // namespace seqc::rt

#endif // SEQC_RUNTIME_JITSESSION_H
