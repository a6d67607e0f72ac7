//===- Autodiff.cpp - Reverse-mode differentiation of loss functions ------===//
//
// Builds `@f_grad` next to every scalar loss function `@f`: a copy of the
// forward body followed by the backward graph, which is built by visiting the
// ops in reverse and asking each for its vector-Jacobian product (the sweep
// of seq/ReverseSweep.h, which seq.scan's rule runs on its body too). Only
// ops on a path from a differentiated argument to the loss are visited, so
// the backward graph holds no work that cannot reach a gradient.
//
//===----------------------------------------------------------------------===//
#include "seqc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "seqc/Dialect/Seq/ReverseSweep.h"
#include "seqc/Dialect/Seq/SeqOps.h"

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

    // Integer inputs (class labels, token indices) have no cotangent.
    auto isFloat = [](Value v) {
      return isa<FloatType>(cast<ShapedType>(v.getType()).getElementType());
    };
    SmallVector<Value> wrt;
    for (BlockArgument arg : body.getArguments())
      if (grad.getArgAttr(arg.getArgNumber(), seq::kParamAttr) ||
          (wrtInputs && isFloat(arg) &&
           grad.getArgAttr(arg.getArgNumber(), seq::kInputAttr)))
        wrt.push_back(arg);
    SmallVector<Operation *> forward;
    for (Operation &op : body.without_terminator())
      forward.push_back(&op);
    seq::ReverseSweep sweep(forward, wrt);

    auto lossType = cast<RankedTensorType>(loss.getType());
    sweep.seed(
        b, loc, loss,
        b.create<arith::ConstantOp>(
            loc, lossType,
            DenseElementsAttr::get(
                lossType, b.getFloatAttr(lossType.getElementType(), 1.0))));
    if (failed(sweep.run(b)))
      return failure();

    SmallVector<Value> results{loss};
    SmallVector<Attribute> resultAttrs{b.getDictionaryAttr({})};
    for (Value arg : wrt) {
      unsigned number = cast<BlockArgument>(arg).getArgNumber();
      Value g = sweep.cotangent(arg);
      results.push_back(g ? g : seq::zerosLike(b, loc, arg));
      Attribute name = grad.getArgAttr(number, seq::kParamAttr);
      if (!name)
        name = grad.getArgAttr(number, seq::kInputAttr);
      resultAttrs.push_back(
          b.getDictionaryAttr(b.getNamedAttr(seq::kGradOfAttr, name)));
    }
    b.create<func::ReturnOp>(ret.getLoc(), results);
    ret.erase();
    grad.setFunctionType(b.getFunctionType(grad.getArgumentTypes(),
                                           ValueRange(results).getTypes()));
    grad.setAllResultAttrs(resultAttrs);
    return success();
  }

private:
  func::FuncOp grad;
  bool wrtInputs;
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
