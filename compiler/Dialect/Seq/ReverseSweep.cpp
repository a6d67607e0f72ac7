//===- ReverseSweep.cpp - Reverse-mode differentiation of a block ---------===//
#include "seqc/Dialect/Seq/ReverseSweep.h"

#include "seqc/Dialect/Seq/SeqOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace seqc::seq;

Value seqc::seq::zerosLike(OpBuilder &b, Location loc, Value like) {
  auto type = cast<RankedTensorType>(like.getType());
  auto scalarType = RankedTensorType::get({}, type.getElementType());
  Value zero = b.create<arith::ConstantOp>(
      loc, scalarType,
      DenseElementsAttr::get(scalarType,
                             b.getFloatAttr(type.getElementType(), 0.0)));
  if (type.getRank() == 0)
    return zero;
  return b.create<BroadcastLikeOp>(loc, type, zero, like);
}

ReverseSweep::ReverseSweep(ArrayRef<Operation *> forwardOps, ValueRange wrt)
    : ops(forwardOps) {
  for (Value v : wrt)
    active.insert(v);
  for (Operation *op : ops)
    if (llvm::any_of(op->getOperands(),
                     [&](Value v) { return active.contains(v); }))
      for (Value r : op->getResults())
        active.insert(r);
}

void ReverseSweep::seed(OpBuilder &b, Location loc, Value value,
                        Value cotangent) {
  Value &sum = cotangents[value];
  sum = sum ? b.create<AddOp>(loc, sum.getType(), sum, cotangent).getResult()
            : cotangent;
}

LogicalResult ReverseSweep::run(OpBuilder &b) {
  for (Operation *op : llvm::reverse(ops))
    if (failed(visit(op, b)))
      return failure();
  return success();
}

LogicalResult ReverseSweep::visit(Operation *op, OpBuilder &b) {
  SmallVector<Value> resultGrads;
  bool anyGrad = false;
  for (Value r : op->getResults()) {
    resultGrads.push_back(cotangents.lookup(r));
    anyGrad |= bool(resultGrads.back());
  }
  bool anyActiveOperand = llvm::any_of(
      op->getOperands(), [&](Value v) { return active.contains(v); });
  if (!anyGrad || !anyActiveOperand)
    return success();
  auto rule = dyn_cast<VJPOpInterface>(op);
  if (!rule)
    return op->emitOpError() << "has no derivative rule";
  bool hadUses = !op->use_empty();
  SmallVector<Value> operandGrads;
  if (failed(rule.buildVJP(b, resultGrads, operandGrads)))
    return failure();
  for (auto [operand, g] : llvm::zip(op->getOperands(), operandGrads)) {
    if (!g || !active.contains(operand))
      continue;
    seed(b, op->getLoc(), operand, g);
  }
  // The rule replaced the op by an augmented copy: drop the original.
  if (hadUses && op->use_empty()) {
    for (Value r : op->getResults()) {
      cotangents.erase(r);
      active.erase(r);
    }
    op->erase();
  }
  return success();
}
