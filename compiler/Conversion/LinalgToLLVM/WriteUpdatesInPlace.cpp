//===- WriteUpdatesInPlace.cpp - Update results land in their arguments ---===//
//
// An update step (train_step) returns the new value of each parameter and
// optimizer state marked `seq.updates = i`. After bufferization each such
// result is written into the buffer of argument i and dropped from the
// signature, so that the caller's parameters are updated where they are and
// the step never holds two copies of them. seqc-prepare-bufferization has
// already made the update compute into the argument where it can; then the
// returned buffer is the argument itself and nothing is copied.
//
//===----------------------------------------------------------------------===//
#include "seqc/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "seqc/Dialect/Seq/SeqOps.h"

namespace seqc {
#define GEN_PASS_DEF_SEQCWRITEUPDATESINPLACE
#include "seqc/Conversion/Passes.h.inc"
} // namespace seqc

using namespace mlir;

namespace {

struct WriteUpdatesInPlacePass
    : seqc::impl::SeqcWriteUpdatesInPlaceBase<WriteUpdatesInPlacePass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (!func.isExternal() && failed(writeUpdates(func)))
        return signalPassFailure();
  }

  LogicalResult writeUpdates(func::FuncOp func) {
    llvm::BitVector dropped(func.getNumResults());
    for (unsigned i = 0, e = func.getNumResults(); i < e; ++i)
      if (func.getResultAttr(i, seqc::seq::kUpdatesAttr))
        dropped.set(i);
    if (dropped.none())
      return success();
    if (!func.getBody().hasOneBlock())
      return func.emitError("an update step must have one block");
    auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
    OpBuilder builder(ret);
    for (unsigned i : dropped.set_bits()) {
      // The seq dialect has verified that the index names an argument.
      auto index =
          func.getResultAttrOfType<IntegerAttr>(i, seqc::seq::kUpdatesAttr);
      Value value = ret.getOperand(i);
      BlockArgument argument = func.getArgument(index.getInt());
      if (value == argument)
        continue;
      if (!isa<MemRefType>(value.getType()) ||
          value.getType() != argument.getType())
        return func.emitError()
               << "result #" << i << " (" << value.getType()
               << ") cannot be written into argument #" << index.getInt()
               << " (" << argument.getType() << ")";
      builder.create<linalg::CopyOp>(ret.getLoc(), value, argument);
    }
    ret->eraseOperands(dropped);
    func.eraseResults(dropped);
    return success();
  }
};

} // namespace
