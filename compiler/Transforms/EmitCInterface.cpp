//===- EmitCInterface.cpp - Mark entry points for the JIT -----------------===//
#include "seqc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace seqc {
#define GEN_PASS_DEF_SEQCEMITCINTERFACE
#include "seqc/Transforms/Passes.h.inc"
} // namespace seqc

using namespace mlir;

/// LLVM::LLVMDialect::getEmitCWrapperAttrName(), spelled out: the LLVM
/// dialect's header alone took half of this file's compile time. Every JIT
/// test calls the wrappers it makes, so a rename upstream cannot go unseen.
static constexpr llvm::StringLiteral kEmitCWrapperAttr =
    "llvm.emit_c_interface";

namespace {
struct EmitCInterfacePass
    : seqc::impl::SeqcEmitCInterfaceBase<EmitCInterfacePass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      if (func.isPublic())
        func->setAttr(kEmitCWrapperAttr, UnitAttr::get(&getContext()));
      // The runtime read the seq.* argument and result attributes before
      // lowering; LLVM IR has no meaning for them.
      for (unsigned i = 0; i < func.getNumArguments(); ++i)
        stripSeqAttrs(func.getArgAttrDict(i), [&](ArrayRef<NamedAttribute> a) {
          func.setArgAttrs(i, a);
        });
      for (unsigned i = 0; i < func.getNumResults(); ++i)
        stripSeqAttrs(
            func.getResultAttrDict(i),
            [&](ArrayRef<NamedAttribute> a) { func.setResultAttrs(i, a); });
    }
  }

  template <typename SetFn>
  static void stripSeqAttrs(DictionaryAttr attrs, SetFn set) {
    if (!attrs)
      return;
    SmallVector<NamedAttribute> kept;
    for (NamedAttribute attr : attrs)
      if (!attr.getName().getValue().starts_with("seq."))
        kept.push_back(attr);
    if (kept.size() != attrs.size())
      set(kept);
  }
};
} // namespace
