//===- ElementwiseToLinalg.cpp - Lower the elementwise seq ops ------------===//
//
// The elementwise ops become one linalg.generic each, over the numpy
// broadcast of their operands.
//
//===----------------------------------------------------------------------===//
#include "LinalgBuilders.h"

#include "seqc/Dialect/Seq/SeqOps.h"

using namespace mlir;
using namespace seqc::seq_to_linalg;
namespace seq = seqc::seq;

namespace {

//===----------------------------------------------------------------------===//
// Elementwise ops
//===----------------------------------------------------------------------===//

/// Every elementwise unary op: one linalg.generic whose body is the op's
/// own function of one element.
struct UnaryOpLowering
    : OpInterfaceConversionPattern<seq::UnaryElementwiseOpInterface> {
  using OpInterfaceConversionPattern::OpInterfaceConversionPattern;

  LogicalResult
  matchAndRewrite(seq::UnaryElementwiseOpInterface op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
    Value result =
        buildElementwise(rewriter, op.getLoc(), resultType, operands[0],
                         [&](OpBuilder &b, Location loc, ValueRange args) {
                           return op.buildScalar(b, loc, args[0]);
                         });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// add, sub, mul, div with numpy broadcasting.
template <typename SeqOp, typename ArithOp>
struct BinaryOpLowering : OpConversionPattern<SeqOp> {
  using OpConversionPattern<SeqOp>::OpConversionPattern;
  using OpAdaptor = typename SeqOp::Adaptor;

  LogicalResult
  matchAndRewrite(SeqOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(op.getType());
    Value result = buildElementwise(
        rewriter, op.getLoc(), resultType,
        ValueRange{adaptor.getLhs(), adaptor.getRhs()},
        [](OpBuilder &b, Location loc, ValueRange args) -> Value {
          return b.create<ArithOp>(loc, args[0], args[1]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// equal: 1 where the (broadcast) operands are equal, 0 elsewhere.
struct EqualOpLowering : OpConversionPattern<seq::EqualOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(seq::EqualOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(op.getType());
    Value result = buildElementwise(
        rewriter, op.getLoc(), resultType,
        ValueRange{adaptor.getLhs(), adaptor.getRhs()},
        [](OpBuilder &b, Location loc, ValueRange args) -> Value {
          Type type = args[0].getType();
          Value equal = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ,
                                                args[0], args[1]);
          return b.create<arith::SelectOp>(loc, equal,
                                           floatConstant(b, loc, type, 1.0),
                                           floatConstant(b, loc, type, 0.0));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct BroadcastLikeOpLowering : OpConversionPattern<seq::BroadcastLikeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(seq::BroadcastLikeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    // The result's dynamic sizes are those of `like`.
    Value result = buildElementwise(
        rewriter, op.getLoc(), cast<RankedTensorType>(op.getType()),
        adaptor.getInput(),
        [](OpBuilder &, Location, ValueRange args) { return args[0]; },
        adaptor.getLike());
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void seqc::seq_to_linalg::populateElementwisePatterns(
    RewritePatternSet &patterns) {
  patterns.add<UnaryOpLowering, BinaryOpLowering<seq::AddOp, arith::AddFOp>,
               BinaryOpLowering<seq::SubOp, arith::SubFOp>,
               BinaryOpLowering<seq::MulOp, arith::MulFOp>,
               BinaryOpLowering<seq::DivOp, arith::DivFOp>, EqualOpLowering,
               BroadcastLikeOpLowering>(patterns.getContext());
}
