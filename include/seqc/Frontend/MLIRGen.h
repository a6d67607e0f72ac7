//===- MLIRGen.h - Typed IR to the seq dialect ------------------*- C++ -*-===//
#ifndef SEQC_FRONTEND_MLIRGEN_H
#define SEQC_FRONTEND_MLIRGEN_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "seqc/Frontend/TypedIR.h"

namespace mlir {
class MLIRContext;
} // namespace mlir

namespace seqc {

struct MLIRGenOptions {
  /// Bit width of the floating-point element type: 32 or 64.
  unsigned floatWidth = 32;
};

/// Emits one `func.func` per entry point of `program`. Parameters come first
/// as arguments (marked `seq.param` / `seq.init`), then the inputs (marked
/// `seq.input`). Values that depend on an input get a leading dynamic batch
/// axis. Returns null after emitting a diagnostic.
mlir::OwningOpRef<mlir::ModuleOp> mlirGen(mlir::MLIRContext &context,
                                          const tir::Program &program,
                                          const MLIRGenOptions &options = {});

} // namespace seqc

#endif // SEQC_FRONTEND_MLIRGEN_H
