//===- PackGemmOperands.cpp - Pack a loop's invariant weights once --------===//
//
// seqc-pack-gemm-operands runs after seqc-gemm-to-call. A time loop
// multiplies each step's state by the same weights; the library call packs
// its right operand on every call, which for a transposed operand (the
// forward's h W^T, M = the batch) is a strided gather that costs about a
// third of the product. Where the transposed right operand of a
// `@seqc_sgemm` call inside an `scf.for` is defined outside the loop and
// nothing in the loop writes its buffer, the operand is packed once
// into a buffer before the loop (`@seqc_pack_gemm_operand`), the calls in
// the loop read it (`@seqc_sgemm_packed`), and the buffer is freed after the
// loop. The packing moves out through every enclosing loop that leaves the
// operand unchanged.
//
//===----------------------------------------------------------------------===//
#include "seqc/Pipeline/KernelABI.h"
#include "seqc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/MapVector.h"

#include <optional>
#include <tuple>

namespace seqc {
#define GEN_PASS_DEF_SEQCPACKGEMMOPERANDS
#include "seqc/Transforms/Passes.h.inc"
} // namespace seqc

using namespace mlir;
namespace abi = seqc::kernel_abi;

namespace {

/// The buffer that `value` is a view of: a function argument or an
/// allocation.
Value rootBuffer(Value value) {
  while (Operation *def = value.getDefiningOp()) {
    if (auto view = dyn_cast<ViewLikeOpInterface>(def)) {
      value = view.getViewSource();
      continue;
    }
    if (auto cast = dyn_cast<memref::CastOp>(def)) {
      value = cast.getSource();
      continue;
    }
    break;
  }
  return value;
}

bool isCallOf(Operation *op, llvm::StringRef callee) {
  auto call = dyn_cast<func::CallOp>(op);
  return call && call.getCallee() == callee;
}

/// Whether any op in `loop` may write the buffer `root`. The runtime's GEMM
/// calls write their C operand only; any other call, or an op whose
/// effects are unknown, may write anything.
bool loopMayWrite(scf::ForOp loop, Value root) {
  WalkResult result = loop.getBody()->walk([&](Operation *op) {
    if (isCallOf(op, abi::kGemmF32) || isCallOf(op, abi::kPackedGemmF32))
      return rootBuffer(op->getOperand(2)) == root ? WalkResult::interrupt()
                                                   : WalkResult::advance();
    if (isCallOf(op, abi::kPackGemmOperand))
      return rootBuffer(op->getOperand(1)) == root ? WalkResult::interrupt()
                                                   : WalkResult::advance();
    if (op->hasTrait<OpTrait::HasRecursiveMemoryEffects>())
      return WalkResult::advance();
    auto effects = dyn_cast<MemoryEffectOpInterface>(op);
    if (!effects)
      return WalkResult::interrupt();
    SmallVector<MemoryEffects::EffectInstance> instances;
    effects.getEffects(instances);
    for (const MemoryEffects::EffectInstance &effect : instances) {
      if (!isa<MemoryEffects::Write, MemoryEffects::Free>(effect.getEffect()))
        continue;
      Value written = effect.getValue();
      if (!written || rootBuffer(written) == root)
        return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return result.wasInterrupted();
}

/// A GEMM call's right operand before seqc-gemm-to-call's cast to the
/// callee's type (which it puts next to the call, inside the loop).
Value rightOperand(func::CallOp call) {
  Value b = call.getOperand(1);
  if (auto cast = b.getDefiningOp<memref::CastOp>())
    return cast.getSource();
  return b;
}

/// The constant flags of a GEMM call (seqc-gemm-to-call makes them).
std::optional<int64_t> constantFlags(func::CallOp call) {
  auto constant = call.getOperand(3).getDefiningOp<arith::ConstantOp>();
  if (auto flags =
          constant ? dyn_cast<IntegerAttr>(constant.getValue()) : IntegerAttr())
    return flags.getInt();
  return std::nullopt;
}

/// The outermost loop around `call` out of which its right operand can be
/// packed, or null.
scf::ForOp hoistingLoop(func::CallOp call) {
  Value b = rightOperand(call);
  Value root = rootBuffer(b);
  scf::ForOp chosen;
  for (auto loop = call->getParentOfType<scf::ForOp>(); loop;
       loop = loop->getParentOfType<scf::ForOp>()) {
    if (loop->isAncestor(b.getParentBlock()->getParentOp()) ||
        loopMayWrite(loop, root))
      break;
    chosen = loop;
  }
  return chosen;
}

func::FuncOp declare(ModuleOp module, llvm::StringRef name, FunctionType type,
                     bool cInterface) {
  if (auto existing = module.lookupSymbol<func::FuncOp>(name))
    return existing;
  OpBuilder builder(module.getContext());
  builder.setInsertionPointToStart(module.getBody());
  auto callee = builder.create<func::FuncOp>(module.getLoc(), name, type);
  callee.setPrivate();
  if (cInterface)
    callee->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                    UnitAttr::get(module.getContext()));
  return callee;
}

struct PackGemmOperandsPass
    : seqc::impl::SeqcPackGemmOperandsBase<PackGemmOperandsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();

    // Calls grouped by (loop, right operand, transposed or not).
    using Key = std::tuple<Operation *, Value, int64_t>;
    llvm::MapVector<Key, SmallVector<func::CallOp>> groups;
    module.walk([&](func::CallOp call) {
      if (call.getCallee() != abi::kGemmF32)
        return;
      std::optional<int64_t> flags = constantFlags(call);
      // Only a transposed operand ([n, k], read along k): oneDNN packs it by
      // a strided gather on every call, which packing once saves. An
      // operand read row by row it packs with contiguous copies, and its
      // kernel then beats ours (bench/README.md, "Packed weights").
      if (!flags || !(*flags & abi::kTransposeB))
        return;
      if (scf::ForOp loop = hoistingLoop(call))
        groups[{loop, rightOperand(call), *flags & abi::kTransposeB}].push_back(
            call);
    });
    if (groups.empty())
      return;

    Type i64 = IntegerType::get(ctx, 64);
    Type packedType =
        MemRefType::get({ShapedType::kDynamic}, Float32Type::get(ctx));
    Type operandType = groups.front().second.front().getOperand(1).getType();
    func::FuncOp sizeFn = declare(module, abi::kPackedGemmSize,
                                  FunctionType::get(ctx, {i64, i64}, {i64}),
                                  /*cInterface=*/false);
    func::FuncOp packFn =
        declare(module, abi::kPackGemmOperand,
                FunctionType::get(ctx, {operandType, packedType, i64}, {}),
                /*cInterface=*/true);
    func::FuncOp gemmFn = declare(
        module, abi::kPackedGemmF32,
        FunctionType::get(ctx, {operandType, packedType, operandType, i64}, {}),
        /*cInterface=*/true);

    for (auto &[key, calls] : groups) {
      auto [loopOp, b, transposed] = key;
      Location loc = loopOp->getLoc();
      OpBuilder builder(loopOp);
      // op(B) is [k, n]; B itself is [n, k] when transposed.
      auto dim = [&](int64_t axis) -> Value {
        Value size = builder.create<memref::DimOp>(loc, b, axis);
        return builder.create<arith::IndexCastOp>(loc, i64, size);
      };
      Value k = dim(transposed ? 1 : 0), n = dim(transposed ? 0 : 1);
      Value floats = builder.create<func::CallOp>(loc, sizeFn, ValueRange{k, n})
                         .getResult(0);
      Value count = builder.create<arith::IndexCastOp>(
          loc, builder.getIndexType(), floats);
      Value packed = builder.create<memref::AllocOp>(
          loc, cast<MemRefType>(packedType), ValueRange{count});
      Value packFlags = builder.create<arith::ConstantOp>(
          loc, i64, builder.getI64IntegerAttr(transposed));
      Value operand = builder.create<memref::CastOp>(loc, operandType, b);
      builder.create<func::CallOp>(loc, packFn,
                                   ValueRange{operand, packed, packFlags});
      for (func::CallOp call : calls) {
        OpBuilder inLoop(call);
        inLoop.create<func::CallOp>(call.getLoc(), gemmFn,
                                    ValueRange{call.getOperand(0), packed,
                                               call.getOperand(2),
                                               call.getOperand(3)});
        Operation *castOfB = call.getOperand(1).getDefiningOp();
        call.erase();
        if (castOfB && isa<memref::CastOp>(castOfB) && castOfB->use_empty())
          castOfB->erase();
      }
      builder.setInsertionPointAfter(loopOp);
      builder.create<memref::DeallocOp>(loc, packed);
    }
  }
};

} // namespace
