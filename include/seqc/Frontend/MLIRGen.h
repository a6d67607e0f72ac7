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
  /// Also emit, for a `forward` whose cells all run forward in time, the
  /// two functions that generation (one-to-many) calls:
  ///   @forward_start(inputs...) -> (result, states...): the forward, and
  ///     the final state of every scan (the prompt read);
  ///   @forward_step(inputs..., states...) -> (result, states...): the same
  ///     with the scans starting from the given states (one more step).
  /// States are [N, ...] inputs and results named "state.<i>", in the order
  /// the scans run.
  bool generation = false;
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
