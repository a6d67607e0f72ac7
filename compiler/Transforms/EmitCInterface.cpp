//===- EmitCInterface.cpp - Mark entry points for the JIT -----------------===//
#include "seqc/Transforms/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace seqc {
#define GEN_PASS_DEF_SEQCEMITCINTERFACE
#include "seqc/Transforms/Passes.h.inc"
} // namespace seqc

using namespace mlir;

namespace {
struct EmitCInterfacePass
    : seqc::impl::SeqcEmitCInterfaceBase<EmitCInterfacePass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (func.isPublic() && !func.isExternal())
        func->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                      UnitAttr::get(&getContext()));
  }
};
} // namespace
