//===- ScalarBuilder.h - Builds the scalar body of an op --------*- C++ -*-===//
//
// The builder that elementwise ops use to build the function of one element
// (UnaryElementwiseOpInterface::buildScalar): arith and math ops on float
// scalars at one location.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_DIALECT_SEQ_SCALARBUILDER_H
#define SEQC_DIALECT_SEQ_SCALARBUILDER_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Builders.h"

#include <utility>

namespace seqc::seq {

class ScalarBuilder {
public:
  ScalarBuilder(mlir::OpBuilder &b, mlir::Location loc) : b(b), loc(loc) {}

  template <typename OpT, typename... Args> mlir::Value create(Args &&...args) {
    return b.create<OpT>(loc, std::forward<Args>(args)...);
  }

  /// The constant `value` of the float type of `like`.
  mlir::Value constantLike(mlir::Value like, double value) {
    return create<mlir::arith::ConstantOp>(
        b.getFloatAttr(like.getType(), value));
  }

  /// x > 0 (ordered: false for NaN).
  mlir::Value isPositive(mlir::Value x) {
    return create<mlir::arith::CmpFOp>(mlir::arith::CmpFPredicate::OGT, x,
                                       constantLike(x, 0.0));
  }

  /// x > 0 ? x : negative, the shape of leaky_relu and elu.
  mlir::Value positiveOr(mlir::Value x, mlir::Value negative) {
    return create<mlir::arith::SelectOp>(isPositive(x), x, negative);
  }

private:
  mlir::OpBuilder &b;
  mlir::Location loc;
};

} // namespace seqc::seq

#endif // SEQC_DIALECT_SEQ_SCALARBUILDER_H
