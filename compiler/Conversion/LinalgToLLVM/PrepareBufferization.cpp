//===- PrepareBufferization.cpp - Read-only entry arguments ---------------===//
//
// One-shot bufferization may write a result into the buffer of a tensor
// argument when that argument is dead afterwards. For seqc's entry functions
// the arguments are the runtime's parameter and input buffers, so they are
// marked read-only and bufferization copies instead. The exception is an
// update step's results marked `seq.updates`: their arguments are writable,
// and the op that computes each new value gets the argument as its
// destination, so that the update is computed in the argument's buffer.
//
// It also rewrites the tensor.expand_shape ops that MLIR 19's one-shot
// bufferization cannot handle, those splitting one axis into several of
// dynamic size ([T*N, H] -> [T, N, H]: its memref.expand_shape builder infers
// the sizes and crashes), into tensor.reshape with the sizes as a tensor.
//
//===----------------------------------------------------------------------===//
#include "seqc/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "seqc/Dialect/Seq/SeqOps.h"

namespace seqc {
#define GEN_PASS_DEF_SEQCPREPAREBUFFERIZATION
#include "seqc/Conversion/Passes.h.inc"
} // namespace seqc

using namespace mlir;

namespace {
/// Whether some group of `op` has more than one dynamic output size.
bool hasAmbiguousGroup(tensor::ExpandShapeOp op) {
  auto shape = op.getResultType().getShape();
  for (const ReassociationIndices &group : op.getReassociationIndices())
    if (llvm::count_if(group, [&](int64_t i) {
          return ShapedType::isDynamic(shape[i]);
        }) > 1)
      return true;
  return false;
}

void expandToReshape(tensor::ExpandShapeOp op) {
  IRRewriter rewriter(op);
  Location loc = op.getLoc();
  // The static sizes, with the dynamic ones taken in order from the operands.
  SmallVector<Value> sizes;
  auto dynamicSizes = op.getOutputShape();
  size_t next = 0;
  for (int64_t size : op.getStaticOutputShape())
    sizes.push_back(ShapedType::isDynamic(size)
                        ? dynamicSizes[next++]
                        : rewriter.create<arith::ConstantIndexOp>(loc, size));
  Value shape = rewriter.create<tensor::FromElementsOp>(loc, sizes);
  rewriter.replaceOpWithNewOp<tensor::ReshapeOp>(op, op.getResultType(),
                                                 op.getSrc(), shape);
}

/// Makes `argument` the destination of the linalg op that computes `value`,
/// when that op's destination is a fresh tensor it does not read.
void computeInto(Value value, BlockArgument argument) {
  auto result = dyn_cast<OpResult>(value);
  if (!result || result.getType() != argument.getType())
    return;
  // A guarded update: the branch that computes the new value.
  if (auto guard = dyn_cast<scf::IfOp>(result.getOwner())) {
    for (Block *branch : {guard.thenBlock(), guard.elseBlock()})
      if (branch)
        computeInto(
            branch->getTerminator()->getOperand(result.getResultNumber()),
            argument);
    return;
  }
  auto linalgOp = dyn_cast<linalg::LinalgOp>(result.getOwner());
  if (!linalgOp)
    return;
  OpOperand *init = linalgOp.getDpsInitOperand(result.getResultNumber());
  if (!init->get().getDefiningOp<tensor::EmptyOp>() ||
      linalgOp.payloadUsesValueFromOperand(init))
    return;
  init->set(argument);
}

/// Arguments an update step writes: writable, and the destination of their
/// new values. The seq dialect has verified that each `seq.updates` names an
/// argument of the result's type.
LogicalResult prepareInPlaceUpdates(func::FuncOp func) {
  auto ret = dyn_cast<func::ReturnOp>(func.getBody().front().getTerminator());
  for (unsigned i = 0, e = func.getNumResults(); i < e; ++i) {
    auto target =
        func.getResultAttrOfType<IntegerAttr>(i, seqc::seq::kUpdatesAttr);
    if (!target)
      continue;
    if (!ret)
      return func.emitError("an update step must end in func.return");
    int64_t index = target.getInt();
    func.setArgAttr(index,
                    bufferization::BufferizationDialect::kWritableAttrName,
                    BoolAttr::get(func.getContext(), true));
    computeInto(ret.getOperand(i), func.getArgument(index));
  }
  return success();
}

struct PrepareBufferizationPass
    : seqc::impl::SeqcPrepareBufferizationBase<PrepareBufferizationPass> {
  void runOnOperation() override {
    StringRef writable = bufferization::BufferizationDialect::kWritableAttrName;
    auto readOnly = BoolAttr::get(&getContext(), false);
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (!func.isPublic() || func.isExternal())
        continue;
      if (failed(prepareInPlaceUpdates(func)))
        return signalPassFailure();
      for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i)
        if (isa<TensorType>(func.getArgument(i).getType()) &&
            !func.getArgAttr(i, writable))
          func.setArgAttr(i, writable, readOnly);
    }
    SmallVector<tensor::ExpandShapeOp> ambiguous;
    getOperation().walk([&](tensor::ExpandShapeOp op) {
      if (hasAmbiguousGroup(op))
        ambiguous.push_back(op);
    });
    for (tensor::ExpandShapeOp op : ambiguous)
      expandToReshape(op);
  }
};
} // namespace
