//===- SeqVJP.cpp - Derivative rules of the seq ops -----------------------===//
//
// Each op's VJPOpInterface::buildVJP: the cotangents of its operands, built
// from seq ops, given the cotangents of its results. Rules read the op's own
// operands and results (the forward values), never recompute them.
//
//===----------------------------------------------------------------------===//
#include "seqc/Dialect/Seq/SeqOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace seqc::seq;

namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

/// Builds seq ops with their result types computed from the operands.
class GradBuilder {
public:
  GradBuilder(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  Value scalar(double value, Type elem) {
    auto type = RankedTensorType::get({}, elem);
    return b.create<arith::ConstantOp>(
        loc, type, DenseElementsAttr::get(type, b.getFloatAttr(elem, value)));
  }
  Value scalarLike(double value, Value like) {
    return scalar(value, typeOf(like).getElementType());
  }

  template <typename OpT> Value binary(Value lhs, Value rhs) {
    auto shape = broadcastShapes(typeOf(lhs).getShape(), typeOf(rhs).getShape());
    assert(succeeded(shape) && "operands of a derivative must broadcast");
    auto type = RankedTensorType::get(*shape, typeOf(lhs).getElementType());
    return b.create<OpT>(loc, type, lhs, rhs);
  }
  Value add(Value l, Value r) { return binary<AddOp>(l, r); }
  Value sub(Value l, Value r) { return binary<SubOp>(l, r); }
  Value mul(Value l, Value r) { return binary<MulOp>(l, r); }
  Value div(Value l, Value r) { return binary<DivOp>(l, r); }
  Value equal(Value l, Value r) { return binary<EqualOp>(l, r); }
  template <typename OpT> Value unary(Value v) { return b.create<OpT>(loc, v); }

  Value expandDims(Value v, int64_t axis) {
    SmallVector<int64_t> shape(typeOf(v).getShape());
    shape.insert(shape.begin() + axis, 1);
    return b.create<ExpandDimsOp>(
        loc, RankedTensorType::get(shape, typeOf(v).getElementType()), v,
        b.getI64IntegerAttr(axis));
  }
  Value squeeze(Value v, int64_t axis) {
    SmallVector<int64_t> shape(typeOf(v).getShape());
    shape.erase(shape.begin() + axis);
    return b.create<SqueezeOp>(
        loc, RankedTensorType::get(shape, typeOf(v).getElementType()), v,
        b.getI64IntegerAttr(axis));
  }
  Value reduceSum(Value v, ArrayRef<int64_t> axes) {
    if (axes.empty())
      return v;
    SmallVector<int64_t> shape;
    auto in = typeOf(v).getShape();
    for (int64_t i = 0; i < (int64_t)in.size(); ++i)
      if (!llvm::is_contained(axes, i))
        shape.push_back(in[i]);
    return b.create<ReduceSumOp>(
        loc, RankedTensorType::get(shape, typeOf(v).getElementType()), v,
        b.getDenseI64ArrayAttr(axes));
  }
  Value broadcastLike(Value v, Value like) {
    if (v.getType() == like.getType())
      return v;
    auto type = RankedTensorType::get(typeOf(like).getShape(),
                                      typeOf(v).getElementType());
    return b.create<BroadcastLikeOp>(loc, type, v, like);
  }
  Value slice(Value v, int64_t axis, int64_t start, int64_t size) {
    SmallVector<int64_t> shape(typeOf(v).getShape());
    shape[axis] = size;
    return b.create<SliceOp>(
        loc, RankedTensorType::get(shape, typeOf(v).getElementType()), v,
        b.getI64IntegerAttr(axis), b.getI64IntegerAttr(start),
        b.getI64IntegerAttr(size));
  }
  Value transpose(Value v, ArrayRef<int64_t> perm) {
    SmallVector<int64_t> shape;
    for (int64_t p : perm)
      shape.push_back(typeOf(v).getDimSize(p));
    return b.create<TransposeOp>(
        loc, RankedTensorType::get(shape, typeOf(v).getElementType()), v,
        b.getDenseI64ArrayAttr(perm));
  }
  Value matmul(Value lhs, Value rhs, bool tLhs, bool tRhs) {
    auto l = typeOf(lhs).getShape(), r = typeOf(rhs).getShape();
    SmallVector<int64_t> shape;
    if (l.size() == 3)
      shape.push_back(l[0]);
    else if (r.size() == 3)
      shape.push_back(r[0]);
    auto lm = l.take_back(2), rm = r.take_back(2);
    shape.push_back(tLhs ? lm[1] : lm[0]);
    shape.push_back(tRhs ? rm[0] : rm[1]);
    return b.create<MatMulOp>(
        loc, RankedTensorType::get(shape, typeOf(lhs).getElementType()), lhs,
        rhs, tLhs, tRhs);
  }

  /// The adjoint of numpy broadcasting: sums `grad` over the axes along which
  /// `target` was stretched, so that the result has `target`'s shape.
  Value reduceToShapeOf(Value grad, Value target) {
    auto g = typeOf(grad).getShape(), t = typeOf(target).getShape();
    if (g == t)
      return grad;
    int64_t lead = g.size() - t.size();
    SmallVector<int64_t> axes, keptUnitAxes;
    for (int64_t i = 0; i < lead; ++i)
      axes.push_back(i);
    for (int64_t i = 0; i < (int64_t)t.size(); ++i)
      if (t[i] == 1 && g[lead + i] != 1) {
        axes.push_back(lead + i);
        keptUnitAxes.push_back(i);
      }
    Value reduced = reduceSum(grad, axes);
    for (int64_t axis : keptUnitAxes)
      reduced = expandDims(reduced, axis);
    return reduced;
  }

  /// The number of elements along `axes` of `v`, as a 0-d tensor; reads the
  /// size of dynamic axes (the batch) at run time.
  Value countAlong(Value v, ArrayRef<int64_t> axes) {
    auto shape = typeOf(v).getShape();
    Type elem = typeOf(v).getElementType();
    int64_t staticCount = 1;
    Value dynamicCount;
    for (int64_t axis : axes) {
      if (!ShapedType::isDynamic(shape[axis])) {
        staticCount *= shape[axis];
        continue;
      }
      Value dim = b.create<tensor::DimOp>(loc, v, axis);
      dynamicCount = dynamicCount ? b.create<arith::MulIOp>(loc, dynamicCount, dim)
                                  : dim;
    }
    Value count = scalar(staticCount, elem);
    if (!dynamicCount)
      return count;
    Value asInt = b.create<arith::IndexCastOp>(loc, b.getI64Type(), dynamicCount);
    Value asFloat = b.create<arith::SIToFPOp>(loc, elem, asInt);
    Value asTensor = b.create<tensor::FromElementsOp>(
        loc, RankedTensorType::get({}, elem), asFloat);
    return mul(count, asTensor);
  }

  /// Re-inserts reduced `axes` (ascending) as unit axes, then broadcasts to
  /// the shape of `like`.
  Value unreduce(Value g, ArrayRef<int64_t> axes, Value like) {
    SmallVector<int64_t> sorted(axes);
    llvm::sort(sorted);
    for (int64_t axis : sorted)
      g = expandDims(g, axis);
    return broadcastLike(g, like);
  }

private:
  OpBuilder &b;
  Location loc;
};

/// Fills `operandGrads` for a single-operand op.
LogicalResult single(SmallVectorImpl<Value> &operandGrads, Value grad) {
  operandGrads.assign({grad});
  return success();
}

LogicalResult noGradient(Operation *op, SmallVectorImpl<Value> &operandGrads) {
  operandGrads.assign(op->getNumOperands(), Value());
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// Elementwise unary
//===----------------------------------------------------------------------===//

LogicalResult NegOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                              SmallVectorImpl<Value> &operandGrads) {
  GradBuilder g(b, getLoc());
  return single(operandGrads, g.unary<NegOp>(resultGrads[0]));
}

LogicalResult SigmoidOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                  SmallVectorImpl<Value> &operandGrads) {
  // d sigmoid = y (1 - y)
  GradBuilder g(b, getLoc());
  Value y = getResult();
  Value slope = g.mul(y, g.sub(g.scalarLike(1.0, y), y));
  return single(operandGrads, g.mul(resultGrads[0], slope));
}

LogicalResult TanhOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                               SmallVectorImpl<Value> &operandGrads) {
  // d tanh = 1 - y^2
  GradBuilder g(b, getLoc());
  Value y = getResult();
  Value slope = g.sub(g.scalarLike(1.0, y), g.mul(y, y));
  return single(operandGrads, g.mul(resultGrads[0], slope));
}

LogicalResult ReluOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                               SmallVectorImpl<Value> &operandGrads) {
  GradBuilder g(b, getLoc());
  return single(operandGrads,
                g.mul(resultGrads[0], g.unary<StepOp>(getInput())));
}

LogicalResult ExpOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                              SmallVectorImpl<Value> &operandGrads) {
  GradBuilder g(b, getLoc());
  return single(operandGrads, g.mul(resultGrads[0], getResult()));
}

LogicalResult LogOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                              SmallVectorImpl<Value> &operandGrads) {
  GradBuilder g(b, getLoc());
  return single(operandGrads, g.div(resultGrads[0], getInput()));
}

LogicalResult SqrtOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                               SmallVectorImpl<Value> &operandGrads) {
  // d sqrt = 1 / (2 y)
  GradBuilder g(b, getLoc());
  Value twiceY = g.mul(g.scalarLike(2.0, getResult()), getResult());
  return single(operandGrads, g.div(resultGrads[0], twiceY));
}

LogicalResult AbsOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                              SmallVectorImpl<Value> &operandGrads) {
  GradBuilder g(b, getLoc());
  return single(operandGrads,
                g.mul(resultGrads[0], g.unary<SignOp>(getInput())));
}

LogicalResult StepOp::buildVJP(OpBuilder &, ValueRange,
                               SmallVectorImpl<Value> &operandGrads) {
  return noGradient(*this, operandGrads);
}

LogicalResult SignOp::buildVJP(OpBuilder &, ValueRange,
                               SmallVectorImpl<Value> &operandGrads) {
  return noGradient(*this, operandGrads);
}

LogicalResult LeakyReluOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  // slope = alpha + (1 - alpha) * step(x)
  GradBuilder g(b, getLoc());
  double alpha = getAlpha().convertToDouble();
  Value x = getInput();
  Value slope = g.add(g.scalarLike(alpha, x),
                      g.mul(g.scalarLike(1.0 - alpha, x), g.unary<StepOp>(x)));
  return single(operandGrads, g.mul(resultGrads[0], slope));
}

LogicalResult EluOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                              SmallVectorImpl<Value> &operandGrads) {
  // slope = 1 for x > 0, alpha * exp(x) = y + alpha otherwise
  GradBuilder g(b, getLoc());
  Value x = getInput(), y = getResult();
  Value positive = g.unary<StepOp>(x);
  Value negativeSlope = g.add(y, g.scalarLike(getAlpha().convertToDouble(), y));
  Value slope = g.add(
      positive,
      g.mul(g.sub(g.scalarLike(1.0, x), positive), negativeSlope));
  return single(operandGrads, g.mul(resultGrads[0], slope));
}

//===----------------------------------------------------------------------===//
// Elementwise binary
//===----------------------------------------------------------------------===//

LogicalResult AddOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                              SmallVectorImpl<Value> &operandGrads) {
  GradBuilder g(b, getLoc());
  Value grad = resultGrads[0];
  operandGrads.assign({g.reduceToShapeOf(grad, getLhs()),
                       g.reduceToShapeOf(grad, getRhs())});
  return success();
}

LogicalResult SubOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                              SmallVectorImpl<Value> &operandGrads) {
  GradBuilder g(b, getLoc());
  Value grad = resultGrads[0];
  operandGrads.assign(
      {g.reduceToShapeOf(grad, getLhs()),
       g.reduceToShapeOf(g.unary<NegOp>(grad), getRhs())});
  return success();
}

LogicalResult MulOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                              SmallVectorImpl<Value> &operandGrads) {
  GradBuilder g(b, getLoc());
  Value grad = resultGrads[0];
  operandGrads.assign({g.reduceToShapeOf(g.mul(grad, getRhs()), getLhs()),
                       g.reduceToShapeOf(g.mul(grad, getLhs()), getRhs())});
  return success();
}

LogicalResult DivOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                              SmallVectorImpl<Value> &operandGrads) {
  // d(l / r) = dl / r - dr * (l / r) / r
  GradBuilder g(b, getLoc());
  Value grad = resultGrads[0];
  Value dl = g.div(grad, getRhs());
  Value dr = g.unary<NegOp>(g.div(g.mul(grad, getResult()), getRhs()));
  operandGrads.assign(
      {g.reduceToShapeOf(dl, getLhs()), g.reduceToShapeOf(dr, getRhs())});
  return success();
}

LogicalResult EqualOp::buildVJP(OpBuilder &, ValueRange,
                                SmallVectorImpl<Value> &operandGrads) {
  return noGradient(*this, operandGrads);
}

//===----------------------------------------------------------------------===//
// Contractions and data movement
//===----------------------------------------------------------------------===//

LogicalResult MatMulOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                 SmallVectorImpl<Value> &operandGrads) {
  // C = op(A) op(B). d op(A) = dC op(B)^T and d op(B) = op(A)^T dC; the
  // transposes are folded into the matmul flags instead of materialized.
  GradBuilder g(b, getLoc());
  Value dC = resultGrads[0], A = getLhs(), B = getRhs();
  bool tA = getTransposeLhs(), tB = getTransposeRhs();
  Value dA = tA ? g.matmul(B, dC, tB, /*tRhs=*/true)
                : g.matmul(dC, B, false, !tB);
  Value dB = tB ? g.matmul(dC, A, /*tLhs=*/true, tA)
                : g.matmul(A, dC, !tA, false);
  // An operand shared across a batch gets the sum over the batch.
  if (typeOf(dA).getRank() > typeOf(A).getRank())
    dA = g.reduceSum(dA, {0});
  if (typeOf(dB).getRank() > typeOf(B).getRank())
    dB = g.reduceSum(dB, {0});
  operandGrads.assign({dA, dB});
  return success();
}

LogicalResult TransposeOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  GradBuilder g(b, getLoc());
  auto perm = getPermutation();
  SmallVector<int64_t> inverse(perm.size());
  for (size_t i = 0; i < perm.size(); ++i)
    inverse[perm[i]] = i;
  return single(operandGrads, g.transpose(resultGrads[0], inverse));
}

LogicalResult SoftmaxOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                  SmallVectorImpl<Value> &operandGrads) {
  // dx = y * (dy - sum(dy * y, axis))
  GradBuilder g(b, getLoc());
  int64_t axis = getAxis();
  Value y = getResult(), dy = resultGrads[0];
  Value dot = g.expandDims(g.reduceSum(g.mul(dy, y), {axis}), axis);
  return single(operandGrads, g.mul(y, g.sub(dy, dot)));
}

LogicalResult LogSoftmaxOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                     SmallVectorImpl<Value> &operandGrads) {
  // dx = dy - softmax(x) * sum(dy, axis), softmax(x) = exp(y)
  GradBuilder g(b, getLoc());
  int64_t axis = getAxis();
  Value dy = resultGrads[0];
  Value total = g.expandDims(g.reduceSum(dy, {axis}), axis);
  Value probs = g.unary<ExpOp>(getResult());
  return single(operandGrads, g.sub(dy, g.mul(probs, total)));
}

LogicalResult MaxoutOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                 SmallVectorImpl<Value> &operandGrads) {
  // The pieces that attain the maximum share the cotangent evenly.
  GradBuilder g(b, getLoc());
  Value x = getInput(), y = getResult(), dy = resultGrads[0];
  int64_t axis = typeOf(x).getRank() - 1;
  int64_t width = typeOf(y).getShape().back();
  SmallVector<Value> masks;
  Value ties;
  for (int64_t j = 0; j < (int64_t)getK(); ++j) {
    Value piece = g.slice(x, axis, j * width, width);
    masks.push_back(g.equal(piece, y));
    ties = ties ? g.add(ties, masks.back()) : masks.back();
  }
  Value share = g.div(dy, ties);
  SmallVector<Value> pieces;
  for (Value mask : masks)
    pieces.push_back(g.mul(share, mask));
  if (pieces.size() == 1)
    return single(operandGrads, pieces[0]);
  return single(operandGrads,
                b.create<ConcatOp>(getLoc(), x.getType(), pieces,
                                   b.getI64IntegerAttr(axis)));
}

LogicalResult ConcatOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                 SmallVectorImpl<Value> &operandGrads) {
  GradBuilder g(b, getLoc());
  int64_t axis = getAxis(), start = 0;
  operandGrads.clear();
  for (Value input : getInputs()) {
    int64_t size = typeOf(input).getDimSize(axis);
    if (ShapedType::isDynamic(size))
      return emitOpError() << "cannot differentiate a concatenation along a "
                              "dynamic axis";
    operandGrads.push_back(g.slice(resultGrads[0], axis, start, size));
    start += size;
  }
  return success();
}

LogicalResult SliceOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                SmallVectorImpl<Value> &operandGrads) {
  int64_t axis = getAxis();
  int64_t extent = getInput().getType().getDimSize(axis);
  if (ShapedType::isDynamic(extent))
    return emitOpError() << "cannot differentiate a slice of a dynamic axis";
  int64_t start = getStart(), size = getSize();
  Value grad = b.create<PadOp>(getLoc(), getInput().getType(), resultGrads[0],
                               b.getI64IntegerAttr(axis),
                               b.getI64IntegerAttr(start),
                               b.getI64IntegerAttr(extent - start - size));
  return single(operandGrads, grad);
}

LogicalResult ExpandDimsOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                     SmallVectorImpl<Value> &operandGrads) {
  GradBuilder g(b, getLoc());
  return single(operandGrads, g.squeeze(resultGrads[0], getAxis()));
}

LogicalResult SqueezeOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                  SmallVectorImpl<Value> &operandGrads) {
  GradBuilder g(b, getLoc());
  return single(operandGrads, g.expandDims(resultGrads[0], getAxis()));
}

LogicalResult GatherOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                 SmallVectorImpl<Value> &operandGrads) {
  auto table = getTable().getType();
  Value grad = b.create<ScatterAddOp>(
      getLoc(), table, resultGrads[0], getIndices(),
      b.getI64IntegerAttr(table.getDimSize(0)));
  operandGrads.assign({grad, Value()});
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

LogicalResult ReduceSumOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  GradBuilder g(b, getLoc());
  return single(operandGrads,
                g.unreduce(resultGrads[0], getAxes(), getInput()));
}

LogicalResult ReduceMeanOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                     SmallVectorImpl<Value> &operandGrads) {
  GradBuilder g(b, getLoc());
  Value spread = g.unreduce(resultGrads[0], getAxes(), getInput());
  return single(operandGrads,
                g.div(spread, g.countAlong(getInput(), getAxes())));
}

LogicalResult ReduceMaxOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  // The cotangent is shared evenly by the elements equal to the maximum, as
  // PyTorch's amax does: a valid subgradient also at ties.
  GradBuilder g(b, getLoc());
  Value x = getInput();
  Value max = g.unreduce(getResult(), getAxes(), x);
  Value mask = g.equal(x, max);
  Value ties = g.unreduce(g.reduceSum(mask, getAxes()), getAxes(), x);
  Value spread = g.unreduce(resultGrads[0], getAxes(), x);
  return single(operandGrads, g.mul(spread, g.div(mask, ties)));
}

//===----------------------------------------------------------------------===//
// Derivative and loss building blocks
//===----------------------------------------------------------------------===//

LogicalResult BroadcastLikeOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                        SmallVectorImpl<Value> &operandGrads) {
  GradBuilder g(b, getLoc());
  operandGrads.assign({g.reduceToShapeOf(resultGrads[0], getInput()), Value()});
  return success();
}

LogicalResult PadOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                              SmallVectorImpl<Value> &operandGrads) {
  GradBuilder g(b, getLoc());
  int64_t size = getInput().getType().getDimSize(getAxis());
  if (ShapedType::isDynamic(size))
    return emitOpError() << "cannot differentiate a pad of a dynamic axis";
  return single(operandGrads,
                g.slice(resultGrads[0], getAxis(), getBefore(), size));
}

LogicalResult ScatterAddOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                                     SmallVectorImpl<Value> &operandGrads) {
  Value grad = b.create<GatherOp>(getLoc(), getUpdates().getType(),
                                  resultGrads[0], getIndices());
  operandGrads.assign({grad, Value()});
  return success();
}

LogicalResult OneHotOp::buildVJP(OpBuilder &, ValueRange,
                                 SmallVectorImpl<Value> &operandGrads) {
  return noGradient(*this, operandGrads);
}
