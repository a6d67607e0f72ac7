//===- Autodiff.cpp - Reverse-mode differentiation of loss functions ------===//
//
// Builds `@f_grad` next to every scalar loss function `@f`: a copy of the
// forward body followed by the backward graph, which is built by visiting the
// ops in reverse and asking each for its vector-Jacobian product. Only ops on
// a path from a differentiated argument to the loss are visited, so the
// backward graph holds no work that cannot reach a gradient.
//
//===----------------------------------------------------------------------===//
#include "seqc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "seqc/Dialect/Seq/SeqOps.h"
#include "llvm/ADT/DenseSet.h"

namespace seqc {
#define GEN_PASS_DEF_SEQCAUTODIFF
#include "seqc/Transforms/Passes.h.inc"
} // namespace seqc

using namespace mlir;
using namespace seqc;

namespace {

bool isScalarLoss(func::FuncOp func) {
  auto results = func.getFunctionType().getResults();
  if (results.size() != 1)
    return false;
  auto type = dyn_cast<RankedTensorType>(results[0]);
  return type && type.getRank() == 0 && isa<FloatType>(type.getElementType());
}

/// A zero cotangent of the type of `like` (for arguments the loss does not
/// depend on).
Value zerosLike(OpBuilder &b, Location loc, Value like) {
  auto type = cast<RankedTensorType>(like.getType());
  auto scalarType = RankedTensorType::get({}, type.getElementType());
  Value zero = b.create<arith::ConstantOp>(
      loc, scalarType,
      DenseElementsAttr::get(scalarType,
                             b.getFloatAttr(type.getElementType(), 0.0)));
  if (type.getRank() == 0)
    return zero;
  return b.create<seq::BroadcastLikeOp>(loc, type, zero, like);
}

class GradientBuilder {
public:
  GradientBuilder(func::FuncOp grad, bool wrtInputs)
      : grad(grad), wrtInputs(wrtInputs) {}

  LogicalResult build() {
    Block &body = grad.front();
    auto ret = cast<func::ReturnOp>(body.getTerminator());
    Value loss = ret.getOperand(0);
    OpBuilder b(ret);
    Location loc = grad.getLoc();

    SmallVector<BlockArgument> wrt;
    for (BlockArgument arg : body.getArguments())
      if (grad.getArgAttr(arg.getArgNumber(), seq::kParamAttr) ||
          (wrtInputs && grad.getArgAttr(arg.getArgNumber(), seq::kInputAttr)))
        wrt.push_back(arg);
    markActive(wrt);

    auto lossType = cast<RankedTensorType>(loss.getType());
    cotangents[loss] = b.create<arith::ConstantOp>(
        loc, lossType,
        DenseElementsAttr::get(lossType,
                               b.getFloatAttr(lossType.getElementType(), 1.0)));

    SmallVector<Operation *> forward;
    for (Operation &op : body.without_terminator())
      forward.push_back(&op);
    for (Operation *op : llvm::reverse(forward))
      if (failed(visit(op, b)))
        return failure();

    SmallVector<Value> results{loss};
    SmallVector<Attribute> resultAttrs{b.getDictionaryAttr({})};
    for (BlockArgument arg : wrt) {
      Value g = cotangents.lookup(arg);
      results.push_back(g ? g : zerosLike(b, loc, arg));
      Attribute name = grad.getArgAttr(arg.getArgNumber(), seq::kParamAttr);
      if (!name)
        name = grad.getArgAttr(arg.getArgNumber(), seq::kInputAttr);
      resultAttrs.push_back(
          b.getDictionaryAttr(b.getNamedAttr("seq.grad_of", name)));
    }
    b.create<func::ReturnOp>(ret.getLoc(), results);
    ret.erase();
    grad.setFunctionType(b.getFunctionType(
        grad.getArgumentTypes(), ValueRange(results).getTypes()));
    grad.setAllResultAttrs(resultAttrs);
    return success();
  }

private:
  func::FuncOp grad;
  bool wrtInputs;
  llvm::DenseSet<Value> active;
  llvm::DenseMap<Value, Value> cotangents;

  /// Values that depend on a differentiated argument.
  void markActive(ArrayRef<BlockArgument> wrt) {
    for (BlockArgument arg : wrt)
      active.insert(arg);
    for (Operation &op : grad.front().without_terminator())
      if (llvm::any_of(op.getOperands(),
                       [&](Value v) { return active.contains(v); }))
        for (Value r : op.getResults())
          active.insert(r);
  }

  LogicalResult visit(Operation *op, OpBuilder &b) {
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
    auto rule = dyn_cast<seq::VJPOpInterface>(op);
    if (!rule)
      return op->emitOpError() << "has no derivative rule";
    SmallVector<Value> operandGrads;
    if (failed(rule.buildVJP(b, resultGrads, operandGrads)))
      return failure();
    for (auto [operand, g] : llvm::zip(op->getOperands(), operandGrads)) {
      if (!g || !active.contains(operand))
        continue;
      Value &sum = cotangents[operand];
      sum = sum ? b.create<seq::AddOp>(op->getLoc(), sum.getType(), sum, g)
                      .getResult()
                : g;
    }
    return success();
  }
};

struct AutodiffPass : seqc::impl::SeqcAutodiffBase<AutodiffPass> {
  using SeqcAutodiffBase::SeqcAutodiffBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> losses;
    for (auto func : module.getOps<func::FuncOp>())
      if (func.isPublic() && !func.isExternal() && isScalarLoss(func) &&
          !module.lookupSymbol(func.getName().str() + suffix))
        losses.push_back(func);
    for (func::FuncOp loss : losses) {
      OpBuilder b(loss);
      b.setInsertionPointAfter(loss);
      auto grad = cast<func::FuncOp>(b.clone(*loss));
      grad.setName(loss.getName().str() + suffix);
      if (failed(GradientBuilder(grad, wrtInputs).build()))
        return signalPassFailure();
    }
  }
};

} // namespace
