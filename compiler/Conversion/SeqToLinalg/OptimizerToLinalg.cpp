//===- OptimizerToLinalg.cpp - Lower optimizer updates --------------------===//
//
// An optimizer step reads a parameter, its gradient and its state and writes
// all three; written as separate elementwise ops, the new state has two uses
// (returned, and read by the parameter update), which elementwise fusion does
// not merge. One multi-result linalg.generic makes it one pass.
//
//===----------------------------------------------------------------------===//
#include "seqc/Conversion/OptimizerToLinalg.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"
#include "seqc/Dialect/Seq/SeqOps.h"

using namespace mlir;
namespace seq = seqc::seq;

namespace {

struct AdamUpdateLowering : OpConversionPattern<seq::AdamUpdateOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(seq::AdamUpdateOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getParam().getType());
    Type elem = type.getElementType();
    int64_t rank = type.getRank();
    SmallVector<Value> dynamicSizes;
    for (int64_t i = 0; i < rank; ++i)
      if (type.isDynamicDim(i))
        dynamicSizes.push_back(
            rewriter.create<tensor::DimOp>(loc, adaptor.getParam(), i));
    Value init = rewriter.create<tensor::EmptyOp>(loc, type, dynamicSizes);

    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    AffineMap scalar = AffineMap::get(rank, 0, rewriter.getContext());
    SmallVector<AffineMap> maps(4, identity);
    maps.append(4, scalar);
    maps.append(3, identity);
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    double beta1 = op.getBeta1().convertToDouble();
    double beta2 = op.getBeta2().convertToDouble();
    double epsilon = op.getEpsilon().convertToDouble();
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, TypeRange{type, type, type},
        ValueRange{adaptor.getParam(), adaptor.getGrad(), adaptor.getM(),
                   adaptor.getV(), adaptor.getLr(), adaptor.getBias1(),
                   adaptor.getBias2(), adaptor.getScale()},
        ValueRange{init, init, init}, maps, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          auto c = [&](double value) -> Value {
            return b.create<arith::ConstantOp>(l, b.getFloatAttr(elem, value));
          };
          Value p = args[0], g = args[1], m = args[2], v = args[3];
          Value lr = args[4], bias1 = args[5], bias2 = args[6],
                scale = args[7];
          g = b.create<arith::MulFOp>(l, g, scale);
          Value m1 = b.create<arith::AddFOp>(
              l, b.create<arith::MulFOp>(l, c(beta1), m),
              b.create<arith::MulFOp>(l, c(1 - beta1), g));
          Value g2 = b.create<arith::MulFOp>(l, g, g);
          Value v1 = b.create<arith::AddFOp>(
              l, b.create<arith::MulFOp>(l, c(beta2), v),
              b.create<arith::MulFOp>(l, c(1 - beta2), g2));
          Value denom = b.create<arith::AddFOp>(
              l,
              b.create<math::SqrtOp>(l, b.create<arith::DivFOp>(l, v1, bias2)),
              c(epsilon));
          Value stepSize = b.create<arith::DivFOp>(l, lr, bias1);
          Value update = b.create<arith::DivFOp>(
              l, b.create<arith::MulFOp>(l, stepSize, m1), denom);
          Value p1 = b.create<arith::SubFOp>(l, p, update);
          b.create<linalg::YieldOp>(l, ValueRange{p1, m1, v1});
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

} // namespace

void seqc::populateOptimizerToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<AdamUpdateLowering>(patterns.getContext());
}
