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

/// What an op's shape rule works with: where to report a malformed op (the
/// message reads as its verifier's would) and where the result type goes.
class ShapeRule {
public:
  ShapeRule(std::optional<mlir::Location> loc, llvm::StringRef opName,
            llvm::SmallVectorImpl<mlir::Type> &results)
      : loc(loc), opName(opName), results(results) {}

  template <typename... Args> mlir::LogicalResult fail(Args &&...args) const {
    return mlir::emitOptionalError(loc, "'", opName, "' op ",
                                   std::forward<Args>(args)...);
  }
  mlir::LogicalResult result(llvm::ArrayRef<int64_t> shape,
                             mlir::Type elementType) {
    results.push_back(mlir::RankedTensorType::get(shape, elementType));
    return mlir::success();
  }
  /// Checks that `axis` names an axis of a rank-`rank` tensor.
  mlir::LogicalResult checkAxis(int64_t axis, int64_t rank) const;
  /// Checks that `values` share one element type, and returns it.
  mlir::FailureOr<mlir::Type> commonElementType(mlir::ValueRange values) const;

private:
  std::optional<mlir::Location> loc;
  llvm::StringRef opName;
  llvm::SmallVectorImpl<mlir::Type> &results;
};
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
