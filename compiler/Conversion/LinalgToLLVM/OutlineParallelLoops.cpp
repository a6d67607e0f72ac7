//===- OutlineParallelLoops.cpp - Independent loops on the thread pool ----===//
//
// A loop marked `seqc.parallel` (see seqc/Transforms/ParallelLoops.h)
// becomes a call of the runtime's parallel-for. Its body moves to a private
// function `(context, begin, end)` that runs the iterations [begin, end);
// the values the body uses from outside travel in a context struct on the
// caller's stack (memrefs as their LLVM descriptors, indices as i64).
// Constants are cloned into the function instead. The loop's results stay
// the same whatever thread runs which iterations, since the iterations are
// independent: the thread count never changes a number.
//
//===----------------------------------------------------------------------===//
#include "seqc/Conversion/Passes.h"

#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/RegionUtils.h"
#include "seqc/Pipeline/KernelABI.h"
#include "seqc/Transforms/ParallelLoops.h"

namespace seqc {
#define GEN_PASS_DEF_SEQCOUTLINEPARALLELLOOPS
#include "seqc/Conversion/Passes.h.inc"
} // namespace seqc

using namespace mlir;

namespace {

/// Scalar operations of one run of `region`, vector ops counted per lane and
/// nested loops by their trip count (8 when not static).
int64_t estimateWork(Region &region) {
  int64_t work = 0;
  for (Operation &op : region.getOps()) {
    if (auto loop = dyn_cast<scf::ForOp>(op)) {
      std::optional<int64_t> trips = constantTripCount(
          loop.getLowerBound(), loop.getUpperBound(), loop.getStep());
      work += trips.value_or(8) * estimateWork(loop.getRegion());
      continue;
    }
    int64_t lanes = 1;
    for (Type type : op.getResultTypes())
      if (auto vector = dyn_cast<VectorType>(type))
        lanes = std::max<int64_t>(lanes, vector.getNumElements());
    work += lanes;
    for (Region &nested : op.getRegions())
      work += estimateWork(nested);
  }
  return work;
}

struct OutlineParallelLoopsPass
    : seqc::impl::SeqcOutlineParallelLoopsBase<OutlineParallelLoopsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<scf::ForOp> loops;
    module.walk<WalkOrder::PreOrder>([&](scf::ForOp loop) {
      if (!loop->hasAttr(seqc::kParallelLoopAttr))
        return WalkResult::advance();
      loops.push_back(loop);
      // Marked loops inside this one run in its outlined body, on one
      // thread.
      loop->walk([&](scf::ForOp inner) {
        if (inner != loop)
          inner->removeAttr(seqc::kParallelLoopAttr);
      });
      return WalkResult::skip();
    });
    LLVMTypeConverter converter(&getContext());
    unsigned counter = 0;
    for (scf::ForOp loop : loops) {
      loop->removeAttr(seqc::kParallelLoopAttr);
      if (loop.getNumResults() == 0)
        outline(loop, converter, counter);
    }
  }

  /// The runtime's parallel-for, declared once.
  func::FuncOp parallelForDecl(FunctionType bodyType) {
    ModuleOp module = getOperation();
    if (auto existing =
            module.lookupSymbol<func::FuncOp>(seqc::kernel_abi::kParallelFor))
      return existing;
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    MLIRContext *ctx = &getContext();
    auto i64 = IntegerType::get(ctx, 64);
    auto type = b.getFunctionType(
        {bodyType, LLVM::LLVMPointerType::get(ctx), i64, i64}, {});
    auto decl = b.create<func::FuncOp>(module.getLoc(),
                                       seqc::kernel_abi::kParallelFor, type);
    decl.setPrivate();
    return decl;
  }

  void outline(scf::ForOp loop, LLVMTypeConverter &converter,
               unsigned &counter) {
    MLIRContext *ctx = &getContext();
    Location loc = loop.getLoc();
    auto func = loop->getParentOfType<func::FuncOp>();
    auto i64 = IntegerType::get(ctx, 64);
    auto ptr = LLVM::LLVMPointerType::get(ctx);

    // What the body reads from outside: constants are cloned, the rest
    // passed in the context. The lower bound and step come along.
    llvm::SetVector<Value> used;
    getUsedValuesDefinedAbove(loop.getRegion(), used);
    used.insert(loop.getLowerBound());
    used.insert(loop.getStep());
    SmallVector<Value> constants, captured;
    SmallVector<Type> fieldTypes;
    for (Value value : used) {
      if (matchPattern(value, m_Constant())) {
        constants.push_back(value);
        continue;
      }
      Type type = value.getType();
      Type field = type.isIndex() ? i64 : converter.convertType(type);
      bool supported = isa<MemRefType>(type) || type.isIntOrIndexOrFloat() ||
                       (isa<VectorType>(type) &&
                        cast<VectorType>(type).getRank() == 1);
      if (!field || !supported)
        return; // Left as a sequential loop.
      captured.push_back(value);
      fieldTypes.push_back(field);
    }
    auto contextType = LLVM::LLVMStructType::getLiteral(ctx, fieldTypes);

    // The body: void(context, begin, end).
    auto bodyType = FunctionType::get(ctx, {ptr, i64, i64}, {});
    OpBuilder moduleBuilder(func);
    auto body = moduleBuilder.create<func::FuncOp>(
        loc, (func.getSymName() + "_parallel" + Twine(counter++)).str(),
        bodyType);
    body.setPrivate();
    {
      Block *entry = body.addEntryBlock();
      OpBuilder b = OpBuilder::atBlockEnd(entry);
      IRMapping mapping;
      Value context = entry->getArgument(0);
      for (auto [index, value] : llvm::enumerate(captured)) {
        Value address = b.create<LLVM::GEPOp>(
            loc, ptr, contextType, context,
            ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(index)});
        Value field = b.create<LLVM::LoadOp>(loc, fieldTypes[index], address);
        Type type = value.getType();
        Value local =
            type.isIndex()
                ? b.create<arith::IndexCastOp>(loc, type, field).getResult()
            : field.getType() == type
                ? field
                : b.create<UnrealizedConversionCastOp>(loc, type, field)
                      .getResult(0);
        mapping.map(value, local);
      }
      for (Value constant : constants)
        mapping.map(constant, b.clone(*constant.getDefiningOp())->getResult(0));
      auto toIndex = [&](Value v) {
        return b.create<arith::IndexCastOp>(loc, b.getIndexType(), v);
      };
      Value begin = toIndex(entry->getArgument(1));
      Value end = toIndex(entry->getArgument(2));
      Value one = b.create<arith::ConstantIndexOp>(loc, 1);
      auto iterations = b.create<scf::ForOp>(loc, begin, end, one);
      b.setInsertionPointToStart(iterations.getBody());
      // i = lb + k * step
      Value iv = b.create<arith::AddIOp>(
          loc, mapping.lookup(loop.getLowerBound()),
          b.create<arith::MulIOp>(loc, iterations.getInductionVar(),
                                  mapping.lookup(loop.getStep())));
      mapping.map(loop.getInductionVar(), iv);
      for (Operation &op : loop.getBody()->without_terminator())
        b.clone(op, mapping);
      b.setInsertionPointAfter(iterations);
      b.create<func::ReturnOp>(loc);
    }

    // The call: the context on the caller's stack (allocated once, at the
    // function's entry, so that a loop around the call does not grow it).
    OpBuilder entryBuilder = OpBuilder::atBlockBegin(&func.getBody().front());
    Value count1 = entryBuilder.create<LLVM::ConstantOp>(
        loc, i64, entryBuilder.getI64IntegerAttr(1));
    Value context =
        entryBuilder.create<LLVM::AllocaOp>(loc, ptr, contextType, count1);

    OpBuilder b(loop);
    for (auto [index, value] : llvm::enumerate(captured)) {
      Type field = fieldTypes[index];
      Value stored =
          value.getType().isIndex()
              ? b.create<arith::IndexCastOp>(loc, i64, value).getResult()
          : value.getType() == field
              ? value
              : b.create<UnrealizedConversionCastOp>(loc, field, value)
                    .getResult(0);
      Value address = b.create<LLVM::GEPOp>(
          loc, ptr, contextType, context,
          ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(index)});
      b.create<LLVM::StoreOp>(loc, stored, address);
    }
    // Iterations: (ub - lb + step - 1) / step for the positive step of a
    // tiling loop, at least 0 (arith.ceildivsi would need arith-expand).
    Value step = loop.getStep();
    Value span = b.create<arith::AddIOp>(
        loc,
        b.create<arith::SubIOp>(loc, loop.getUpperBound(),
                                loop.getLowerBound()),
        b.create<arith::SubIOp>(loc, step,
                                b.create<arith::ConstantIndexOp>(loc, 1)));
    Value trips = b.create<arith::MaxSIOp>(
        loc, b.create<arith::DivSIOp>(loc, span, step),
        b.create<arith::ConstantIndexOp>(loc, 0));
    Value tripsI64 = b.create<arith::IndexCastOp>(loc, i64, trips);
    Value work = b.create<arith::ConstantOp>(
        loc, b.getI64IntegerAttr(estimateWork(loop.getRegion())));
    Value bodyPointer =
        b.create<func::ConstantOp>(loc, bodyType, body.getSymName());
    b.create<func::CallOp>(loc, parallelForDecl(bodyType),
                           ValueRange{bodyPointer, context, tripsI64, work});
    loop.erase();
  }
};

} // namespace
