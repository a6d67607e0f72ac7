//===- ReductionsToLinalg.cpp - Lower the reducing seq ops ----------------===//
//
// softmax, log_softmax, maxout and the reductions (sum, max, mean) as
// linalg.generic reductions, fused with the elementwise work around them
// where that saves a pass over memory.
//
//===----------------------------------------------------------------------===//
#include "LinalgBuilders.h"

#include "seqc/Dialect/Seq/SeqOps.h"

#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"

using namespace mlir;
using namespace seqc::seq_to_linalg;
namespace seq = seqc::seq;

namespace {

//===----------------------------------------------------------------------===//
// Softmax, log_softmax
//===----------------------------------------------------------------------===//

/// The max along `axis`, then exp(x - max) summed along `axis`, the two
/// reductions shared by softmax and log_softmax.
std::pair<Value, Value> buildMaxAndSumOfExp(OpBuilder &b, Location loc,
                                            Value input, int64_t axis) {
  Type elementType = tensorTypeOf(input).getElementType();
  Value max =
      buildReduction(b, loc, input, {axis},
                     negativeInfinity(b, loc, elementType), maxCombiner);
  Value sum = buildReduction(
      b, loc, input, {axis}, floatConstant(b, loc, elementType, 0.0),
      addCombiner, max,
      [](OpBuilder &nb, Location nloc, Value x, ValueRange extra) -> Value {
        return nb.create<math::ExpOp>(
            nloc, nb.create<arith::SubFOp>(nloc, x, extra[0]));
      });
  return {max, sum};
}

/// Elementwise over `input`'s shape; each of `reduced` (the input without
/// `axis`) is broadcast along `axis`.
Value buildWithReduced(OpBuilder &b, Location loc, Value input, int64_t axis,
                       ValueRange reduced, Type resultType, BodyBuilder body) {
  MLIRContext *ctx = b.getContext();
  auto inputType = tensorTypeOf(input);
  int64_t rank = inputType.getRank();
  SmallVector<AffineExpr> reducedExprs;
  SmallVector<SizeSource> sizeSources;
  for (int64_t i = 0; i < rank; ++i) {
    sizeSources.push_back({input, i});
    if (i != axis)
      reducedExprs.push_back(getAffineDimExpr(i, ctx));
  }
  AffineMap identity = b.getMultiDimIdentityMap(rank);
  SmallVector<AffineMap> maps{identity};
  maps.append(reduced.size(), AffineMap::get(rank, 0, reducedExprs, ctx));
  maps.push_back(identity);
  SmallVector<Value> inputs{input};
  llvm::append_range(inputs, reduced);
  Value init = emptyTensor(b, loc, inputType, sizeSources);
  auto generic = b.create<linalg::GenericOp>(
      loc, inputType, inputs, init, maps, parallelIterators(rank),
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        nb.create<linalg::YieldOp>(nloc, body(nb, nloc, args.drop_back()));
      });
  return castTo(b, loc, generic.getResult(0), resultType);
}

struct SoftmaxOpLowering : OpConversionPattern<seq::SoftmaxOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(seq::SoftmaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    int64_t axis = op.getAxis();
    auto [max, sum] = buildMaxAndSumOfExp(rewriter, loc, input, axis);
    // exp(x - max) / sum: recomputing the exp is cheaper than a round trip
    // of the whole tensor through memory.
    Value result = buildWithReduced(
        rewriter, loc, input, axis, {max, sum}, op.getType(),
        [](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value e = b.create<math::ExpOp>(
              l, b.create<arith::SubFOp>(l, args[0], args[1]));
          return b.create<arith::DivFOp>(l, e, args[2]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LogSoftmaxOpLowering : OpConversionPattern<seq::LogSoftmaxOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(seq::LogSoftmaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    int64_t axis = op.getAxis();
    auto [max, sum] = buildMaxAndSumOfExp(rewriter, loc, input, axis);
    // x - max - log(sum)
    Value result = buildWithReduced(
        rewriter, loc, input, axis, {max, sum}, op.getType(),
        [](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value shifted = b.create<arith::SubFOp>(l, args[0], args[1]);
          return b.create<arith::SubFOp>(l, shifted,
                                         b.create<math::LogOp>(l, args[2]));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Maxout
//===----------------------------------------------------------------------===//

struct MaxoutOpLowering : OpConversionPattern<seq::MaxoutOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(seq::MaxoutOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inputType = tensorTypeOf(input);
    int64_t rank = inputType.getRank();
    int64_t k = op.getK();
    int64_t width = inputType.getShape().back();
    int64_t pieceWidth = ShapedType::isDynamic(width) ? width : width / k;

    // [..., D] -> [..., k, D / k], then the max over the k axis.
    SmallVector<int64_t> expandedShape(inputType.getShape().drop_back());
    expandedShape.append({k, pieceWidth});
    SmallVector<ReassociationIndices> reassociation;
    for (int64_t i = 0; i < rank - 1; ++i)
      reassociation.push_back({i});
    reassociation.push_back({rank - 1, rank});
    SmallVector<OpFoldResult> outputShape;
    for (int64_t i = 0; i < rank - 1; ++i)
      outputShape.push_back(tensor::getMixedSize(rewriter, loc, input, i));
    outputShape.push_back(rewriter.getIndexAttr(k));
    if (ShapedType::isDynamic(width)) {
      Value d = rewriter.create<tensor::DimOp>(loc, input, rank - 1);
      Value kValue = rewriter.create<arith::ConstantIndexOp>(loc, k);
      outputShape.push_back(
          rewriter.create<arith::DivUIOp>(loc, d, kValue).getResult());
    } else {
      outputShape.push_back(rewriter.getIndexAttr(pieceWidth));
    }
    auto expandedType =
        RankedTensorType::get(expandedShape, inputType.getElementType());
    Value expanded = rewriter.create<tensor::ExpandShapeOp>(
        loc, expandedType, input, reassociation, outputShape);
    Value max = buildReduction(
        rewriter, loc, expanded, {rank - 1},
        negativeInfinity(rewriter, loc, inputType.getElementType()),
        maxCombiner);
    rewriter.replaceOp(op, castTo(rewriter, loc, max, op.getType()));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

SmallVector<int64_t> sortedAxes(ArrayRef<int64_t> axes) {
  SmallVector<int64_t> sorted(axes);
  llvm::sort(sorted);
  return sorted;
}

struct ReduceSumOpLowering : OpConversionPattern<seq::ReduceSumOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(seq::ReduceSumOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type elementType = tensorTypeOf(adaptor.getInput()).getElementType();
    Value sum = buildReduction(
        rewriter, loc, adaptor.getInput(), sortedAxes(op.getAxes()),
        floatConstant(rewriter, loc, elementType, 0.0), addCombiner);
    rewriter.replaceOp(op, castTo(rewriter, loc, sum, op.getType()));
    return success();
  }
};

struct ReduceMaxOpLowering : OpConversionPattern<seq::ReduceMaxOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(seq::ReduceMaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type elementType = tensorTypeOf(adaptor.getInput()).getElementType();
    Value max = buildReduction(
        rewriter, loc, adaptor.getInput(), sortedAxes(op.getAxes()),
        negativeInfinity(rewriter, loc, elementType), maxCombiner);
    rewriter.replaceOp(op, castTo(rewriter, loc, max, op.getType()));
    return success();
  }
};

struct ReduceMeanOpLowering : OpConversionPattern<seq::ReduceMeanOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(seq::ReduceMeanOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inputType = tensorTypeOf(input);
    Type elementType = inputType.getElementType();
    SmallVector<int64_t> axes = sortedAxes(op.getAxes());
    Value sum = buildReduction(rewriter, loc, input, axes,
                               floatConstant(rewriter, loc, elementType, 0.0),
                               addCombiner);

    // The element count of the reduced axes, static where it can be.
    int64_t staticCount = 1;
    Value dynamicCount;
    for (int64_t axis : axes) {
      if (!inputType.isDynamicDim(axis)) {
        staticCount *= inputType.getDimSize(axis);
        continue;
      }
      Value size = rewriter.create<tensor::DimOp>(loc, input, axis);
      dynamicCount =
          dynamicCount ? rewriter.create<arith::MulIOp>(loc, dynamicCount, size)
                       : size;
    }
    Value count = floatConstant(rewriter, loc, elementType, staticCount);
    if (dynamicCount) {
      Value asInt = rewriter.create<arith::IndexCastUIOp>(
          loc, rewriter.getI64Type(), dynamicCount);
      count = rewriter.create<arith::MulFOp>(
          loc, count,
          rewriter.create<arith::UIToFPOp>(loc, elementType, asInt));
    }
    Value mean = buildElementwise(
        rewriter, loc, tensorTypeOf(sum), sum,
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          return b.create<arith::DivFOp>(l, args[0], count);
        });
    rewriter.replaceOp(op, castTo(rewriter, loc, mean, op.getType()));
    return success();
  }
};

} // namespace

void seqc::seq_to_linalg::populateReductionPatterns(
    RewritePatternSet &patterns) {
  patterns.add<SoftmaxOpLowering, LogSoftmaxOpLowering, MaxoutOpLowering,
               ReduceSumOpLowering, ReduceMeanOpLowering, ReduceMaxOpLowering>(
      patterns.getContext());
}
