//===- ScanToSCF.cpp - Lower seq.scan to scf.for --------------------------===//
//
// seq.scan becomes an scf.for over the time axis whose iter_args are the
// states and the stacked outputs:
//
//   %T = tensor.dim %xs, 0
//   %ys0 = tensor.empty(%T, ...)               // one per stacked output
//   scf.for %i = 0 to %T step 1 iter_args(%h = %h0, %ys = %ys0) {
//     %t = %i                                   // T - 1 - %i with `reverse`
//     %x = tensor.extract_slice %xs[%t, 0..][1, sizes..][1..]  (rank-reduced)
//     ... the body, cloned; its seq ops are lowered by the other patterns
//     %ys' = tensor.insert_slice %y into %ys[%t, 0..][1, sizes..][1..]
//     scf.yield %h', %ys'
//   }
//
// With `unroll = u > 1`, a loop of step u holds u copies of the body and a
// second loop runs the remaining T mod u steps. The time axis stays a loop,
// so the size of the IR does not depend on T.
//
// The stacked outputs are allocated before the first step, so their
// per-step sizes are derived from the sizes of the scan's operands by
// following the body's seq ops back to its block arguments (StepSizes).
//
//===----------------------------------------------------------------------===//
#include "seqc/Conversion/ScanToSCF.h"

#include "seqc/Dialect/Seq/SeqOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/DialectConversion.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
namespace seq = seqc::seq;

namespace {

/// Sizes of the values of a scan's body, as index values computed before
/// the loop from the sizes of the scan's operands.
class StepSizes {
public:
  StepSizes(OpBuilder &b, Location loc, seq::ScanOp scan, ValueRange operands)
      : b(b), loc(loc), scan(scan), operands(operands) {}

  /// The size of axis `axis` of `value`, a value of the body (or of a body
  /// nested in it); null when it cannot be derived.
  Value size(Value value, int64_t axis) {
    auto type = cast<RankedTensorType>(value.getType());
    if (!type.isDynamicDim(axis))
      return b.create<arith::ConstantIndexOp>(loc, type.getDimSize(axis));
    if (auto arg = dyn_cast<BlockArgument>(value))
      return ofArgument(arg, axis);
    return ofResult(cast<OpResult>(value), axis);
  }

private:
  Value constant(int64_t v) { return b.create<arith::ConstantIndexOp>(loc, v); }

  /// A block argument has the size of the operand it stands for (a slice
  /// that of its sequence, one axis further).
  Value ofArgument(BlockArgument arg, int64_t axis) {
    auto owner = dyn_cast_or_null<seq::ScanOp>(arg.getOwner()->getParentOp());
    if (!owner)
      return {};
    unsigned n = arg.getArgNumber();
    unsigned m = owner.getNumStates(), k = owner.getSequences().size();
    int64_t operandAxis = (n >= m && n < m + k) ? axis + 1 : axis;
    if (owner == scan) {
      Value operand = operands[n];
      auto type = cast<RankedTensorType>(operand.getType());
      if (!type.isDynamicDim(operandAxis))
        return constant(type.getDimSize(operandAxis));
      return b.create<tensor::DimOp>(loc, operand, operandAxis);
    }
    return size(owner->getOperand(n), operandAxis);
  }

  Value ofResult(OpResult result, int64_t axis) {
    Operation *op = result.getOwner();
    auto rankOf = [](Value v) {
      return cast<RankedTensorType>(v.getType()).getRank();
    };
    if (op->hasTrait<OpTrait::SameOperandsAndResultType>() ||
        isa<seq::SoftmaxOp, seq::LogSoftmaxOp>(op))
      return size(op->getOperand(0), axis);
    return llvm::TypeSwitch<Operation *, Value>(op)
        .Case<seq::AddOp, seq::SubOp, seq::MulOp, seq::DivOp, seq::EqualOp>(
            [&](Operation *op) -> Value {
              // Broadcasting: an operand that has the axis, dynamic.
              int64_t rank = rankOf(result);
              for (Value operand : op->getOperands()) {
                auto type = cast<RankedTensorType>(operand.getType());
                int64_t a = axis - (rank - type.getRank());
                if (a >= 0 && type.isDynamicDim(a))
                  return size(operand, a);
              }
              return {};
            })
        .Case([&](seq::MatMulOp op) -> Value {
          Value lhs = op.getLhs(), rhs = op.getRhs();
          int64_t rank = rankOf(result), rl = rankOf(lhs), rr = rankOf(rhs);
          if (rank == 3 && axis == 0)
            return rl == 3 ? size(lhs, 0) : size(rhs, 0);
          if (axis == rank - 2)
            return size(lhs, op.getTransposeLhs() ? rl - 1 : rl - 2);
          return size(rhs, op.getTransposeRhs() ? rr - 2 : rr - 1);
        })
        .Case([&](seq::TransposeOp op) {
          return size(op.getInput(), op.getPermutation()[axis]);
        })
        .Case([&](seq::MaxoutOp op) -> Value {
          int64_t last = rankOf(result) - 1;
          if (axis != last)
            return size(op.getInput(), axis);
          Value in = size(op.getInput(), last);
          return in ? b.create<arith::DivUIOp>(loc, in, constant(op.getK()))
                    : Value();
        })
        .Case([&](seq::ConcatOp op) -> Value {
          if (axis != (int64_t)op.getAxis()) {
            for (Value in : op.getInputs())
              if (cast<RankedTensorType>(in.getType()).isDynamicDim(axis))
                return size(in, axis);
            return {};
          }
          Value total;
          for (Value in : op.getInputs()) {
            Value s = size(in, axis);
            if (!s)
              return {};
            total = total ? b.create<arith::AddIOp>(loc, total, s) : s;
          }
          return total;
        })
        .Case([&](seq::SliceOp op) -> Value {
          return axis == (int64_t)op.getAxis() ? Value()
                                               : size(op.getInput(), axis);
        })
        .Case([&](seq::ExpandDimsOp op) -> Value {
          int64_t a = op.getAxis();
          return axis < a ? size(op.getInput(), axis)
                          : size(op.getInput(), axis - 1);
        })
        .Case([&](seq::SqueezeOp op) -> Value {
          int64_t a = op.getAxis();
          return axis < a ? size(op.getInput(), axis)
                          : size(op.getInput(), axis + 1);
        })
        .Case([&](seq::GatherOp op) -> Value {
          int64_t ri = rankOf(op.getIndices());
          return axis < ri ? size(op.getIndices(), axis)
                           : size(op.getTable(), 1);
        })
        .Case<seq::ReduceSumOp, seq::ReduceMeanOp, seq::ReduceMaxOp>(
            [&](Operation *op) -> Value {
              auto axes =
                  cast<DenseI64ArrayAttr>(op->getAttr("axes")).asArrayRef();
              Value input = op->getOperand(0);
              int64_t kept = -1;
              for (int64_t i = 0, e = rankOf(input); i < e; ++i)
                if (!llvm::is_contained(axes, i) && ++kept == axis)
                  return size(input, i);
              return {};
            })
        .Case([&](seq::BroadcastLikeOp op) { return size(op.getLike(), axis); })
        .Case([&](seq::PadOp op) -> Value {
          Value in = size(op.getInput(), axis);
          if (!in || axis != (int64_t)op.getAxis())
            return in;
          return b.create<arith::AddIOp>(
              loc, in, constant(op.getBefore() + op.getAfter()));
        })
        .Case([&](seq::ScatterAddOp op) -> Value {
          return axis == 1 ? size(op.getUpdates(), rankOf(op.getUpdates()) - 1)
                           : Value();
        })
        .Case([&](seq::OneHotOp op) { return size(op.getIndices(), axis); })
        .Case([&](seq::ScanOp op) -> Value {
          unsigned m = op.getNumStates();
          unsigned n = result.getResultNumber();
          if (n < m)
            return size(op.getInits()[n], axis);
          if (axis == 0)
            return size(op.getSequences()[0], 0);
          return size(op.getYield().getOuts()[n - m], axis - 1);
        })
        .Default([](Operation *) { return Value(); });
  }

  OpBuilder &b;
  Location loc;
  seq::ScanOp scan;
  ValueRange operands; // the lowered scan's operands, in its order
};

struct ScanOpLowering : OpConversionPattern<seq::ScanOp> {
  ScanOpLowering(MLIRContext *context) : OpConversionPattern(context) {
    // A scan nested in the body is cloned into the loop and lowered by this
    // pattern again; the nesting of the IR bounds the recursion.
    setHasBoundedRewriteRecursion();
  }

  LogicalResult
  matchAndRewrite(seq::ScanOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    if (op->getNumResults() == 0) {
      rewriter.eraseOp(op); // a step has no effects
      return success();
    }
    unsigned m = op.getNumStates(), o = op.getNumOutputs();
    ValueRange sequences = adaptor.getSequences();
    ValueRange captures = adaptor.getCaptures();
    seq::YieldOp yield = op.getYield();
    Block &body = op.getBodyBlock();

    int64_t staticTime = op.getStaticTime();
    Value time =
        ShapedType::isDynamic(staticTime)
            ? rewriter.create<tensor::DimOp>(loc, sequences[0], 0).getResult()
            : rewriter.create<arith::ConstantIndexOp>(loc, staticTime)
                  .getResult();
    Value zero = rewriter.create<arith::ConstantIndexOp>(loc, 0);
    Value one = rewriter.create<arith::ConstantIndexOp>(loc, 1);

    // Sizes of one step of each sequence: [1] ++ its sizes after time.
    SmallVector<SmallVector<OpFoldResult>> sliceSizes;
    for (Value s : sequences) {
      SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(rewriter, loc, s);
      sizes[0] = rewriter.getIndexAttr(1);
      sliceSizes.push_back(sizes);
    }

    // The stacked outputs, allocated before the first step.
    StepSizes stepSizes(rewriter, loc, op, adaptor.getOperands());
    SmallVector<Value> iterInits(adaptor.getInits());
    SmallVector<SmallVector<OpFoldResult>> outputSizes;
    for (unsigned j = 0; j < o; ++j) {
      auto type = cast<RankedTensorType>(op.getOutputs()[j].getType());
      SmallVector<Value> dynamicSizes;
      SmallVector<OpFoldResult> sizes{rewriter.getIndexAttr(1)};
      if (type.isDynamicDim(0))
        dynamicSizes.push_back(time);
      for (int64_t axis = 1; axis < type.getRank(); ++axis) {
        if (!type.isDynamicDim(axis)) {
          sizes.push_back(rewriter.getIndexAttr(type.getDimSize(axis)));
          continue;
        }
        Value size = stepSizes.size(yield.getOuts()[j], axis - 1);
        if (!size)
          return op.emitOpError() << "cannot derive the size of axis "
                                  << axis - 1 << " of per-step output #" << j
                                  << " from the sizes of the operands";
        dynamicSizes.push_back(size);
        sizes.push_back(size);
      }
      iterInits.push_back(rewriter.create<tensor::EmptyOp>(
          loc, type.getShape(), type.getElementType(), dynamicSizes));
      outputSizes.push_back(sizes);
    }

    // One loop of `copies` steps per iteration over [lb, ub).
    auto buildLoop = [&](Value lb, Value ub, int64_t copies, ValueRange inits) {
      Value step = rewriter.create<arith::ConstantIndexOp>(loc, copies);
      auto loop = rewriter.create<scf::ForOp>(loc, lb, ub, step, inits);
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointToStart(loop.getBody());
      SmallVector<Value> carried(loop.getRegionIterArgs());
      for (int64_t copy = 0; copy < copies; ++copy) {
        Value i = loop.getInductionVar();
        if (copy > 0)
          i = rewriter.create<arith::AddIOp>(
              loc, i, rewriter.create<arith::ConstantIndexOp>(loc, copy));
        Value t = i;
        if (op.getReverse())
          t = rewriter.create<arith::SubIOp>(
              loc, rewriter.create<arith::SubIOp>(loc, time, one), i);

        IRMapping map;
        for (unsigned s = 0; s < m; ++s)
          map.map(body.getArgument(s), carried[s]);
        for (auto [j, seqValue] : llvm::enumerate(sequences)) {
          auto rank = cast<RankedTensorType>(seqValue.getType()).getRank();
          SmallVector<OpFoldResult> offsets(rank, rewriter.getIndexAttr(0));
          offsets[0] = t;
          SmallVector<OpFoldResult> strides(rank, rewriter.getIndexAttr(1));
          BlockArgument arg = op.getSliceArgs()[j];
          map.map(arg, rewriter.create<tensor::ExtractSliceOp>(
                           loc, cast<RankedTensorType>(arg.getType()), seqValue,
                           offsets, sliceSizes[j], strides));
        }
        for (auto [arg, capture] : llvm::zip(op.getCaptureArgs(), captures))
          map.map(arg, capture);
        for (Operation &bodyOp : body.without_terminator())
          rewriter.clone(bodyOp, map);

        for (unsigned s = 0; s < m; ++s)
          carried[s] = map.lookupOrDefault(yield.getStates()[s]);
        for (unsigned j = 0; j < o; ++j) {
          int64_t rank = outputSizes[j].size();
          SmallVector<OpFoldResult> offsets(rank, rewriter.getIndexAttr(0));
          offsets[0] = t;
          SmallVector<OpFoldResult> strides(rank, rewriter.getIndexAttr(1));
          carried[m + j] = rewriter.create<tensor::InsertSliceOp>(
              loc, map.lookupOrDefault(yield.getOuts()[j]), carried[m + j],
              offsets, outputSizes[j], strides);
        }
      }
      rewriter.create<scf::YieldOp>(loc, carried);
      return loop;
    };

    int64_t unroll = op.getUnroll();
    scf::ForOp loop;
    if (unroll == 1) {
      loop = buildLoop(zero, time, 1, iterInits);
    } else {
      // [0, T - T mod u) by u steps, then the rest one by one.
      Value rest = rewriter.create<arith::RemUIOp>(
          loc, time, rewriter.create<arith::ConstantIndexOp>(loc, unroll));
      Value mainEnd = rewriter.create<arith::SubIOp>(loc, time, rest);
      scf::ForOp main = buildLoop(zero, mainEnd, unroll, iterInits);
      loop = buildLoop(mainEnd, time, 1, main.getResults());
    }
    rewriter.replaceOp(op, loop.getResults());
    return success();
  }
};

} // namespace

void seqc::populateScanToSCFPatterns(RewritePatternSet &patterns) {
  patterns.add<ScanOpLowering>(patterns.getContext());
}
