//===- DistinctResults.cpp - One allocation per returned buffer -----------===//
//
// Ownership-based deallocation hands every returned buffer to the caller, but
// returns one allocation twice when a function returns a value twice or a
// value and a view of it; the runtime would then free it twice.
//
//===----------------------------------------------------------------------===//
#include "seqc/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace seqc {
#define GEN_PASS_DEF_SEQCDISTINCTRESULTS
#include "seqc/Conversion/Passes.h.inc"
} // namespace seqc

using namespace mlir;

namespace {

/// The allocation (or argument) a memref value is a view of.
Value rootAllocation(Value value) {
  while (Operation *def = value.getDefiningOp()) {
    if (auto view = dyn_cast<ViewLikeOpInterface>(def))
      value = view.getViewSource();
    else if (auto cast = dyn_cast<memref::CastOp>(def))
      value = cast.getSource();
    else
      break;
  }
  return value;
}

struct DistinctResultsPass
    : seqc::impl::SeqcDistinctResultsBase<DistinctResultsPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (!func.isPublic() || func.isExternal())
        continue;
      func.walk([&](func::ReturnOp ret) { makeResultsDistinct(ret); });
    }
  }

  void makeResultsDistinct(func::ReturnOp ret) {
    llvm::SmallPtrSet<Value, 8> returnedRoots;
    OpBuilder builder(ret);
    for (OpOperand &operand : ret->getOpOperands()) {
      auto type = dyn_cast<MemRefType>(operand.get().getType());
      if (!type)
        continue;
      Value root = rootAllocation(operand.get());
      bool fromArgument = isa<BlockArgument>(root);
      if (!fromArgument && returnedRoots.insert(root).second)
        continue;
      Location loc = ret.getLoc();
      SmallVector<Value> dynamicSizes;
      for (int64_t i = 0, e = type.getRank(); i < e; ++i)
        if (type.isDynamicDim(i))
          dynamicSizes.push_back(
              builder.create<memref::DimOp>(loc, operand.get(), i));
      auto identityType =
          MemRefType::get(type.getShape(), type.getElementType());
      Value copy =
          builder.create<memref::AllocOp>(loc, identityType, dynamicSizes);
      builder.create<memref::CopyOp>(loc, operand.get(), copy);
      operand.set(copy);
    }
  }
};

} // namespace
