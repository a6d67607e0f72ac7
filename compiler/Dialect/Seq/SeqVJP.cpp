//===- SeqVJP.cpp - Derivative rules of the seq ops -----------------------===//
//
// Each op's VJPOpInterface::buildVJP: the cotangents of its operands, built
// from seq ops, given the cotangents of its results. Rules read the op's own
// operands and results (the forward values), never recompute them.
//
//===----------------------------------------------------------------------===//
#include "seqc/Dialect/Seq/GradBuilder.h"
#include "seqc/Dialect/Seq/SeqOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace seqc::seq;

namespace {

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

// The elementwise unary ops' rules are defined with the ops, in SeqOps.td.

//===----------------------------------------------------------------------===//
// Elementwise binary
//===----------------------------------------------------------------------===//

LogicalResult AddOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                              SmallVectorImpl<Value> &operandGrads) {
  GradBuilder g(b, getLoc());
  Value grad = resultGrads[0];
  operandGrads.assign(
      {g.reduceToShapeOf(grad, getLhs()), g.reduceToShapeOf(grad, getRhs())});
  return success();
}

LogicalResult SubOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                              SmallVectorImpl<Value> &operandGrads) {
  GradBuilder g(b, getLoc());
  Value grad = resultGrads[0];
  operandGrads.assign({g.reduceToShapeOf(grad, getLhs()),
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
  Value dA =
      tA ? g.matmul(B, dC, tB, /*tRhs=*/true) : g.matmul(dC, B, false, !tB);
  Value dB =
      tB ? g.matmul(dC, A, /*tLhs=*/true, tA) : g.matmul(A, dC, !tA, false);
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
  return single(operandGrads, b.create<ConcatOp>(getLoc(), x.getType(), pieces,
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
  Value grad = b.create<PadOp>(
      getLoc(), getInput().getType(), resultGrads[0], b.getI64IntegerAttr(axis),
      b.getI64IntegerAttr(start), b.getI64IntegerAttr(extent - start - size));
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
  Value grad =
      b.create<ScatterAddOp>(getLoc(), table, resultGrads[0], getIndices(),
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
