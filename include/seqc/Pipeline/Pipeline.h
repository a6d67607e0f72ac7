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
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

#include <cstdint>
#include <memory>

namespace seqc {

/// Registers the dialects seqc parses and lowers through, and the external
/// models that one-shot bufferization, tiling and LLVM translation need.
void registerAllDialects(mlir::DialectRegistry &registry);

/// Registers seqc's passes, the upstream passes its pipelines use, and the
/// named pipelines `seqc-lower-to-linalg` and `seqc-lower-to-llvm`.
void registerAllPasses();

struct PipelineOptions {
  /// Lanes of the innermost vectorized dimension (16 f32 = one zmm).
  int64_t vectorWidth = 16;
  /// Tile and vectorize linalg ops; otherwise they lower to scalar loops.
  bool vectorize = true;
  /// Run seqc-hoist-scan-matmuls: GEMMs over all steps instead of per-step
  /// matmuls in recurrences.
  bool hoistScanMatmuls = true;
};

/// seq dialect -> linalg, tensor, arith and math on tensors.
void buildSeqToLinalgPipeline(mlir::OpPassManager &pm,
                              const PipelineOptions &options);

/// linalg on tensors -> LLVM dialect: vectorize, one-shot bufferize (function
/// boundaries, identity layouts), free temporaries, lower to LLVM. Entry
/// functions take memrefs and return freshly allocated (malloc'ed) memrefs
/// that never alias an argument, and get a `_mlir_ciface_` wrapper.
void buildLinalgToLLVMPipeline(mlir::OpPassManager &pm,
                               const PipelineOptions &options);

/// A target machine for the host: triple, CPU name and features, -O3 codegen.
/// Null when the host target is not available.
std::unique_ptr<llvm::TargetMachine> createHostTargetMachine();

/// Translates an LLVM-dialect module to LLVM IR for the host (triple and data
/// layout set) and, when `optimize`, runs the -O3 pipeline on it. Null on
/// failure (diagnostics go to the module's context).
std::unique_ptr<llvm::Module>
translateToLLVMIR(mlir::ModuleOp module, llvm::LLVMContext &ctx, bool optimize);

/// Writes host assembly for `module` to `os`.
mlir::LogicalResult emitAssembly(llvm::Module &module, llvm::raw_ostream &os);

} // namespace seqc

#endif // SEQC_PIPELINE_PIPELINE_H
