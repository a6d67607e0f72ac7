//===- GradBuilder.h - Builds the seq ops of derivative rules ---*- C++ -*-===//
//
// The builder that derivative rules (VJPOpInterface::buildVJP) use: short
// names for seq ops (whose result types the ops' own shape rules infer), and
// the adjoints of broadcasting and reduction.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_DIALECT_SEQ_GRADBUILDER_H
#define SEQC_DIALECT_SEQ_GRADBUILDER_H

#include "seqc/Dialect/Seq/SeqOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

namespace seqc::seq {

inline mlir::RankedTensorType typeOf(mlir::Value v) {
  return mlir::cast<mlir::RankedTensorType>(v.getType());
}

/// Builds the seq ops of derivative rules.
class GradBuilder {
public:
  GradBuilder(mlir::OpBuilder &b, mlir::Location loc) : b(b), loc(loc) {}

  mlir::Value scalar(double value, mlir::Type elem) {
    auto type = mlir::RankedTensorType::get({}, elem);
    return b.create<mlir::arith::ConstantOp>(
        loc, type,
        mlir::DenseElementsAttr::get(type, b.getFloatAttr(elem, value)));
  }
  mlir::Value scalarLike(double value, mlir::Value like) {
    return scalar(value, typeOf(like).getElementType());
  }

  template <typename OpT> mlir::Value binary(mlir::Value lhs, mlir::Value rhs) {
    return b.create<OpT>(loc, lhs, rhs);
  }
  mlir::Value add(mlir::Value l, mlir::Value r) { return binary<AddOp>(l, r); }
  mlir::Value sub(mlir::Value l, mlir::Value r) { return binary<SubOp>(l, r); }
  mlir::Value mul(mlir::Value l, mlir::Value r) { return binary<MulOp>(l, r); }
  mlir::Value div(mlir::Value l, mlir::Value r) { return binary<DivOp>(l, r); }
  mlir::Value equal(mlir::Value l, mlir::Value r) {
    return binary<EqualOp>(l, r);
  }
  template <typename OpT> mlir::Value unary(mlir::Value v) {
    return b.create<OpT>(loc, v);
  }

  mlir::Value expandDims(mlir::Value v, int64_t axis) {
    return b.create<ExpandDimsOp>(loc, v, axis);
  }
  mlir::Value squeeze(mlir::Value v, int64_t axis) {
    return b.create<SqueezeOp>(loc, v, axis);
  }
  mlir::Value reduceSum(mlir::Value v, mlir::ArrayRef<int64_t> axes) {
    if (axes.empty())
      return v;
    return b.create<ReduceSumOp>(loc, v, axes);
  }
  mlir::Value broadcastLike(mlir::Value v, mlir::Value like) {
    if (v.getType() == like.getType())
      return v;
    return b.create<BroadcastLikeOp>(loc, v, like);
  }
  mlir::Value slice(mlir::Value v, int64_t axis, int64_t start, int64_t size) {
    return b.create<SliceOp>(loc, v, axis, start, size);
  }
  mlir::Value transpose(mlir::Value v, mlir::ArrayRef<int64_t> perm) {
    return b.create<TransposeOp>(loc, v, perm);
  }
  mlir::Value matmul(mlir::Value lhs, mlir::Value rhs, bool tLhs, bool tRhs) {
    return b.create<MatMulOp>(loc, lhs, rhs, tLhs, tRhs);
  }

  /// The adjoint of numpy broadcasting: sums `grad` over the axes along which
  /// `target` was stretched, so that the result has `target`'s shape.
  mlir::Value reduceToShapeOf(mlir::Value grad, mlir::Value target) {
    auto g = typeOf(grad).getShape(), t = typeOf(target).getShape();
    if (g == t)
      return grad;
    int64_t lead = g.size() - t.size();
    mlir::SmallVector<int64_t> axes, keptUnitAxes;
    for (int64_t i = 0; i < lead; ++i)
      axes.push_back(i);
    for (int64_t i = 0; i < (int64_t)t.size(); ++i)
      if (t[i] == 1 && g[lead + i] != 1) {
        axes.push_back(lead + i);
        keptUnitAxes.push_back(i);
      }
    mlir::Value reduced = reduceSum(grad, axes);
    for (int64_t axis : keptUnitAxes)
      reduced = expandDims(reduced, axis);
    return reduced;
  }

  /// The number of elements along `axes` of `v`, as a 0-d mlir::tensor; reads
  /// the size of dynamic axes (the batch) at run time.
  mlir::Value countAlong(mlir::Value v, mlir::ArrayRef<int64_t> axes) {
    auto shape = typeOf(v).getShape();
    mlir::Type elem = typeOf(v).getElementType();
    int64_t staticCount = 1;
    mlir::Value dynamicCount;
    for (int64_t axis : axes) {
      if (!mlir::ShapedType::isDynamic(shape[axis])) {
        staticCount *= shape[axis];
        continue;
      }
      mlir::Value dim = b.create<mlir::tensor::DimOp>(loc, v, axis);
      dynamicCount = dynamicCount
                         ? b.create<mlir::arith::MulIOp>(loc, dynamicCount, dim)
                         : dim;
    }
    mlir::Value count = scalar(staticCount, elem);
    if (!dynamicCount)
      return count;
    mlir::Value asInt =
        b.create<mlir::arith::IndexCastOp>(loc, b.getI64Type(), dynamicCount);
    mlir::Value asFloat = b.create<mlir::arith::SIToFPOp>(loc, elem, asInt);
    mlir::Value asTensor = b.create<mlir::tensor::FromElementsOp>(
        loc, mlir::RankedTensorType::get({}, elem), asFloat);
    return mul(count, asTensor);
  }

  /// Re-inserts reduced `axes` (ascending) as unit axes, then broadcasts to
  /// the shape of `like`.
  mlir::Value unreduce(mlir::Value g, mlir::ArrayRef<int64_t> axes,
                       mlir::Value like) {
    mlir::SmallVector<int64_t> sorted(axes);
    llvm::sort(sorted);
    for (int64_t axis : sorted)
      g = expandDims(g, axis);
    return broadcastLike(g, like);
  }

private:
  mlir::OpBuilder &b;
  mlir::Location loc;
};

} // namespace seqc::seq

#endif // SEQC_DIALECT_SEQ_GRADBUILDER_H
