//===- SeqOps.h - seq dialect operations ------------------------*- C++ -*-===//
#ifndef SEQC_DIALECT_SEQ_SEQOPS_H
#define SEQC_DIALECT_SEQ_SEQOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "seqc/Dialect/Seq/SeqDialect.h"
#include "seqc/Interfaces/UnaryElementwiseOpInterface.h"
#include "seqc/Interfaces/VJPOpInterface.h"

namespace seqc::seq {
/// Builds the derivative rules of the elementwise ops (GradBuilder.h).
class GradBuilder;
} // namespace seqc::seq

#define GET_OP_CLASSES
#include "seqc/Dialect/Seq/SeqOps.h.inc"

namespace seqc::seq {

/// The numpy broadcast of two shapes (trailing-aligned), or failure when an
/// axis pair is neither equal nor 1. Dynamic sizes match anything.
mlir::FailureOr<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> lhs, llvm::ArrayRef<int64_t> rhs);

/// Whether result types `actual` may stand where the shape rules inferred
/// `inferred`: same element types and ranks, and sizes that agree, a dynamic
/// size agreeing with any.
bool compatibleTypes(mlir::TypeRange inferred, mlir::TypeRange actual);

} // namespace seqc::seq

#endif // SEQC_DIALECT_SEQ_SEQOPS_H
