//===- Pipeline.h - seqc pass pipelines and host code generation -*- C++
//-*-===//
//
// The one place that knows which dialects, interfaces and passes seqc uses,
// in which order they run from the seq dialect down to LLVM IR, and how that
// IR is optimized and emitted for the host CPU.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_PIPELINE_PIPELINE_H
#define SEQC_PIPELINE_PIPELINE_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace seqc {

/// Registers the dialects seqc parses and lowers through, and the external
/// models that one-shot bufferization, tiling and LLVM translation need.
void registerAllDialects(mlir::DialectRegistry &registry);

/// Registers seqc's passes, the upstream passes its pipelines use, and the
/// named pipelines `seqc-lower-to-linalg` and `seqc-lower-to-llvm`.
void registerAllPasses();

/// The CPU that code is generated for, and what seqc-vectorize needs to know
/// of it.
struct CodegenTarget {
  std::string triple;
  /// LLVM's CPU name ("znver4", "haswell", ...).
  std::string cpu;
  /// LLVM's feature string ("+avx2,+fma,...").
  std::string features;
  /// The widest vector register the code uses: 512 (AVX-512), 256 (AVX,
  /// AVX2) or 128.
  int64_t vectorBits = 128;
  /// Vector registers the ISA names (32 with AVX-512, else 16).
  int64_t vectorRegisters = 16;

  /// f32 lanes of one vector register.
  int64_t f32Lanes() const { return vectorBits / 32; }
  /// e.g. "znver4 (AVX-512, 32 x 512-bit registers)".
  std::string describe() const;
};

/// The host CPU (`cpu` empty) or the named CPU, with its default features
/// plus `features` (LLVM's names, comma-separated, each "+x" or "-x"). Fails
/// with a message for a CPU name or feature that LLVM does not know.
llvm::Expected<CodegenTarget> resolveTarget(llvm::StringRef cpu = "",
                                            llvm::StringRef features = "");

struct PipelineOptions;

/// The pipeline's hook that chooses the CPU code is generated for.
using TargetHook =
    std::function<llvm::Expected<CodegenTarget>(const PipelineOptions &)>;

struct PipelineOptions {
  /// The CPU to generate code for; the host when the name is empty.
  std::string targetCpu;
  /// Features added to (or removed from) the CPU's: "+avx2,-avx512f".
  std::string targetFeatures;
  /// Chooses the target instead of resolveTarget(targetCpu,
  /// targetFeatures). Code that runs here (the JIT) needs a CPU whose
  /// instructions the host has.
  TargetHook targetHook;
  /// Lanes of the innermost vectorized dimension; 0: one register of the
  /// target (16 f32 with AVX-512, 8 with AVX2).
  int64_t vectorWidth = 0;
  /// Tile and vectorize linalg ops; otherwise they lower to scalar loops.
  bool vectorize = true;
  /// f32 GEMMs call the runtime's packed, multithreaded kernel
  /// (seqc-gemm-to-call) instead of a register-tiled loop nest in the
  /// generated code; the code then needs the runtime's symbols.
  bool libraryGemms = true;
  /// With libraryGemms: the weights of a time loop's products are packed
  /// once before the loop (seqc-pack-gemm-operands), not by every call.
  bool packGemmOperands = true;
  /// Run seqc-hoist-scan-matmuls: GEMMs over all steps instead of per-step
  /// matmuls in recurrences.
  bool hoistScanMatmuls = true;
};

/// The CPU `options` generate code for: their targetHook's choice, else
/// resolveTarget(targetCpu, targetFeatures). seqc-vectorize's vector width
/// and register tile, the JIT's code and its cache key all follow it.
llvm::Expected<CodegenTarget> chooseTarget(const PipelineOptions &options);

/// seq dialect -> linalg, tensor, arith and math on tensors.
void buildSeqToLinalgPipeline(mlir::OpPassManager &pm,
                              const PipelineOptions &options);

/// linalg on tensors -> LLVM dialect: vectorize, one-shot bufferize (function
/// boundaries, identity layouts), free temporaries, lower to LLVM. Entry
/// functions take memrefs and return freshly allocated (malloc'ed) memrefs
/// that never alias an argument, and get a `_mlir_ciface_` wrapper.
void buildLinalgToLLVMPipeline(mlir::OpPassManager &pm,
                               const PipelineOptions &options);

/// A target machine for `target` at -O3 codegen. Null when LLVM has no
/// backend for its triple.
std::unique_ptr<llvm::TargetMachine>
createTargetMachine(const CodegenTarget &target,
                    std::optional<llvm::Reloc::Model> relocation = {});

/// Translates an LLVM-dialect module to LLVM IR for `target` (triple, data
/// layout, CPU, features and preferred vector width on every function) and,
/// when `optimize`, runs the -O3 pipeline on it. Null on failure
/// (diagnostics go to the module's context).
std::unique_ptr<llvm::Module> translateToLLVMIR(mlir::ModuleOp module,
                                                llvm::LLVMContext &ctx,
                                                bool optimize,
                                                const CodegenTarget &target);

/// Runs LLVM's -O`optLevel` pipeline on `module` for `targetMachine`'s CPU,
/// without the unroller, interleaving and the SLP vectorizer (seqc-vectorize
/// has vectorized the loops that matter; see OptimizeLLVM.cpp).
void optimizeLLVMModule(llvm::Module &module,
                        llvm::TargetMachine *targetMachine, unsigned optLevel);

/// Adds `_mlir_<name>(void **args)` for each function `name`: it loads each
/// argument through the pointer in args[i] and, for a non-void result,
/// stores it through args[number of arguments]. This is the calling
/// convention of the runtime's entry points (the ExecutionEngine's "packed"
/// functions). Fails when a function is missing.
llvm::Error addPackedInterfaces(llvm::Module &module,
                                llvm::ArrayRef<std::string> names);

/// Object code (ELF, position-independent) of `module` for `target`.
llvm::Expected<llvm::SmallVector<char, 0>>
emitObject(llvm::Module &module, const CodegenTarget &target);

/// Writes assembly for `target` of `module` to `os`.
mlir::LogicalResult emitAssembly(llvm::Module &module, llvm::raw_ostream &os,
                                 const CodegenTarget &target);

} // namespace seqc

#endif // SEQC_PIPELINE_PIPELINE_H
