//===- PrepareBufferization.cpp - Read-only entry arguments ---------------===//
//
// One-shot bufferization may write a result into the buffer of a tensor
// argument when that argument is dead afterwards. For seqc's entry functions
// the arguments are the runtime's parameter and input buffers, so they are
// marked read-only and bufferization copies instead.
//
//===----------------------------------------------------------------------===//
#include "seqc/Conversion/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace seqc {
#define GEN_PASS_DEF_SEQCPREPAREBUFFERIZATION
#include "seqc/Conversion/Passes.h.inc"
} // namespace seqc

using namespace mlir;

namespace {
struct PrepareBufferizationPass
    : seqc::impl::SeqcPrepareBufferizationBase<PrepareBufferizationPass> {
  void runOnOperation() override {
    StringRef writable = bufferization::BufferizationDialect::kWritableAttrName;
    auto readOnly = BoolAttr::get(&getContext(), false);
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (!func.isPublic() || func.isExternal())
        continue;
      for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i)
        if (isa<TensorType>(func.getArgument(i).getType()) &&
            !func.getArgAttr(i, writable))
          func.setArgAttr(i, writable, readOnly);
    }
  }
};
} // namespace
