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

/// Unary ops whose body is one function of the element (and of alpha for
/// leaky_relu and elu).
template <typename SeqOp> struct UnaryOpLowering : OpConversionPattern<SeqOp> {
  using OpConversionPattern<SeqOp>::OpConversionPattern;
  using OpAdaptor = typename SeqOp::Adaptor;

  static Value buildBody(SeqOp op, OpBuilder &b, Location loc, Value x);

  LogicalResult
  matchAndRewrite(SeqOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(op.getType());
    Value result =
        buildElementwise(rewriter, op.getLoc(), resultType, adaptor.getInput(),
                         [&](OpBuilder &b, Location loc, ValueRange args) {
                           return buildBody(op, b, loc, args[0]);
                         });
    rewriter.replaceOp(op, result);
    return success();
  }
};

template <>
Value UnaryOpLowering<seq::NegOp>::buildBody(seq::NegOp, OpBuilder &b,
                                             Location loc, Value x) {
  return b.create<arith::NegFOp>(loc, x);
}

template <>
Value UnaryOpLowering<seq::SigmoidOp>::buildBody(seq::SigmoidOp, OpBuilder &b,
                                                 Location loc, Value x) {
  Value one = floatConstant(b, loc, x.getType(), 1.0);
  Value expNeg = b.create<math::ExpOp>(loc, b.create<arith::NegFOp>(loc, x));
  return b.create<arith::DivFOp>(loc, one,
                                 b.create<arith::AddFOp>(loc, one, expNeg));
}

template <>
Value UnaryOpLowering<seq::TanhOp>::buildBody(seq::TanhOp, OpBuilder &b,
                                              Location loc, Value x) {
  return b.create<math::TanhOp>(loc, x);
}

template <>
Value UnaryOpLowering<seq::ReluOp>::buildBody(seq::ReluOp, OpBuilder &b,
                                              Location loc, Value x) {
  return b.create<arith::MaximumFOp>(loc, x,
                                     floatConstant(b, loc, x.getType(), 0.0));
}

template <>
Value UnaryOpLowering<seq::ExpOp>::buildBody(seq::ExpOp, OpBuilder &b,
                                             Location loc, Value x) {
  return b.create<math::ExpOp>(loc, x);
}

template <>
Value UnaryOpLowering<seq::LogOp>::buildBody(seq::LogOp, OpBuilder &b,
                                             Location loc, Value x) {
  return b.create<math::LogOp>(loc, x);
}

template <>
Value UnaryOpLowering<seq::SqrtOp>::buildBody(seq::SqrtOp, OpBuilder &b,
                                              Location loc, Value x) {
  return b.create<math::SqrtOp>(loc, x);
}

template <>
Value UnaryOpLowering<seq::AbsOp>::buildBody(seq::AbsOp, OpBuilder &b,
                                             Location loc, Value x) {
  return b.create<math::AbsFOp>(loc, x);
}

template <>
Value UnaryOpLowering<seq::StepOp>::buildBody(seq::StepOp, OpBuilder &b,
                                              Location loc, Value x) {
  Value zero = floatConstant(b, loc, x.getType(), 0.0);
  Value positive =
      b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, x, zero);
  return b.create<arith::SelectOp>(
      loc, positive, floatConstant(b, loc, x.getType(), 1.0), zero);
}

template <>
Value UnaryOpLowering<seq::SignOp>::buildBody(seq::SignOp, OpBuilder &b,
                                              Location loc, Value x) {
  Value zero = floatConstant(b, loc, x.getType(), 0.0);
  Value positive =
      b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, x, zero);
  Value negative =
      b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OLT, x, zero);
  Value negativeOrZero = b.create<arith::SelectOp>(
      loc, negative, floatConstant(b, loc, x.getType(), -1.0), zero);
  return b.create<arith::SelectOp>(
      loc, positive, floatConstant(b, loc, x.getType(), 1.0), negativeOrZero);
}

/// x > 0 ? x : negative, the shape shared by leaky_relu and elu.
Value selectPositive(OpBuilder &b, Location loc, Value x, Value negative) {
  Value zero = floatConstant(b, loc, x.getType(), 0.0);
  Value positive =
      b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, x, zero);
  return b.create<arith::SelectOp>(loc, positive, x, negative);
}

template <>
Value UnaryOpLowering<seq::LeakyReluOp>::buildBody(seq::LeakyReluOp op,
                                                   OpBuilder &b, Location loc,
                                                   Value x) {
  Value alpha =
      floatConstant(b, loc, x.getType(), op.getAlpha().convertToDouble());
  return selectPositive(b, loc, x, b.create<arith::MulFOp>(loc, alpha, x));
}

template <>
Value UnaryOpLowering<seq::EluOp>::buildBody(seq::EluOp op, OpBuilder &b,
                                             Location loc, Value x) {
  Value alpha =
      floatConstant(b, loc, x.getType(), op.getAlpha().convertToDouble());
  Value expm1 = b.create<math::ExpM1Op>(loc, x);
  return selectPositive(b, loc, x, b.create<arith::MulFOp>(loc, alpha, expm1));
}

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
  patterns.add<UnaryOpLowering<seq::NegOp>, UnaryOpLowering<seq::SigmoidOp>,
               UnaryOpLowering<seq::TanhOp>, UnaryOpLowering<seq::ReluOp>,
               UnaryOpLowering<seq::ExpOp>, UnaryOpLowering<seq::LogOp>,
               UnaryOpLowering<seq::SqrtOp>, UnaryOpLowering<seq::AbsOp>,
               UnaryOpLowering<seq::LeakyReluOp>, UnaryOpLowering<seq::EluOp>,
               UnaryOpLowering<seq::StepOp>, UnaryOpLowering<seq::SignOp>,
               BinaryOpLowering<seq::AddOp, arith::AddFOp>,
               BinaryOpLowering<seq::SubOp, arith::SubFOp>,
               BinaryOpLowering<seq::MulOp, arith::MulFOp>,
               BinaryOpLowering<seq::DivOp, arith::DivFOp>, EqualOpLowering,
               BroadcastLikeOpLowering>(patterns.getContext());
}
