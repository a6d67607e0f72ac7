//===- GemmToCall.cpp - f32 GEMMs as calls of the runtime's kernel --------===//
//
// seqc-gemm-to-call runs on buffers: every f32 linalg.matmul,
// matmul_transpose_a and matmul_transpose_b becomes a call of the runtime's
// packed, cache-blocked GEMM (seqc/Pipeline/KernelABI.h), which picks its
// code for the host and splits the work over the runtime's threads. A zero
// fill of the output right before the product becomes the call's "overwrite"
// mode instead of a pass over C.
//
//===----------------------------------------------------------------------===//
#include "seqc/Pipeline/KernelABI.h"
#include "seqc/Transforms/LibraryGemm.h"
#include "seqc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace seqc {
#define GEN_PASS_DEF_SEQCGEMMTOCALL
#include "seqc/Transforms/Passes.h.inc"
} // namespace seqc

using namespace mlir;
namespace abi = seqc::kernel_abi;

bool seqc::isLibraryGemm(Operation *op) {
  if (!isa<linalg::MatmulOp, linalg::MatmulTransposeAOp,
           linalg::MatmulTransposeBOp>(op))
    return false;
  auto linalgOp = cast<linalg::LinalgOp>(op);
  if (linalgOp.getNumDpsInits() != 1)
    return false;
  auto type = dyn_cast<ShapedType>(linalgOp.getDpsInits()[0].getType());
  return type && type.getElementType().isF32() && type.getRank() == 2;
}

namespace {

/// The zero fill of `buffer` that the GEMM at `gemm` overwrites, when
/// nothing between them touches memory.
linalg::FillOp findZeroFill(Operation *gemm, Value buffer) {
  for (Operation *op = gemm->getPrevNode(); op; op = op->getPrevNode()) {
    if (auto fill = dyn_cast<linalg::FillOp>(op)) {
      if (fill.getOutputs()[0] != buffer)
        return nullptr;
      FloatAttr value;
      if (matchPattern(fill.getInputs()[0], m_Constant(&value)) &&
          value.getValue().isZero())
        return fill;
      return nullptr;
    }
    if (!isMemoryEffectFree(op) && !isa<memref::AllocOp>(op))
      return nullptr;
  }
  return nullptr;
}

struct GemmToCallPass : seqc::impl::SeqcGemmToCallBase<GemmToCallPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    Type f32 = Float32Type::get(ctx);
    auto dynamicLayout =
        StridedLayoutAttr::get(ctx, ShapedType::kDynamic,
                               {ShapedType::kDynamic, ShapedType::kDynamic});
    auto operandType = MemRefType::get(
        {ShapedType::kDynamic, ShapedType::kDynamic}, f32, dynamicLayout);
    Type i64 = IntegerType::get(ctx, 64);

    SmallVector<linalg::LinalgOp> gemms;
    module.walk([&](linalg::LinalgOp op) {
      if (op.hasPureBufferSemantics() && seqc::isLibraryGemm(op))
        gemms.push_back(op);
    });
    if (gemms.empty())
      return;

    OpBuilder builder(ctx);
    func::FuncOp callee = module.lookupSymbol<func::FuncOp>(abi::kGemmF32);
    if (!callee) {
      builder.setInsertionPointToStart(module.getBody());
      callee = builder.create<func::FuncOp>(
          module.getLoc(), abi::kGemmF32,
          builder.getFunctionType({operandType, operandType, operandType, i64},
                                  {}));
      callee.setPrivate();
      callee->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                      UnitAttr::get(ctx));
    }

    for (linalg::LinalgOp gemm : gemms) {
      Location loc = gemm.getLoc();
      Value a = gemm.getDpsInputs()[0], b = gemm.getDpsInputs()[1],
            c = gemm.getDpsInits()[0];
      int64_t flags = abi::kAccumulate;
      if (isa<linalg::MatmulTransposeAOp>(gemm))
        flags |= abi::kTransposeA;
      if (isa<linalg::MatmulTransposeBOp>(gemm))
        flags |= abi::kTransposeB;
      if (linalg::FillOp fill = findZeroFill(gemm, c)) {
        fill.erase();
        flags &= ~abi::kAccumulate;
      }
      builder.setInsertionPoint(gemm);
      auto cast = [&](Value value) -> Value {
        return builder.create<memref::CastOp>(loc, operandType, value);
      };
      Value flagsValue = builder.create<arith::ConstantOp>(
          loc, i64, builder.getI64IntegerAttr(flags));
      builder.create<func::CallOp>(
          loc, callee, ValueRange{cast(a), cast(b), cast(c), flagsValue});
      gemm.erase();
    }
  }
};

} // namespace
