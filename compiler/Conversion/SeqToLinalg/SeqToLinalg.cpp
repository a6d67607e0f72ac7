//===- SeqToLinalg.cpp - Lower the seq dialect to linalg on tensors -------===//
//
// Every seq op becomes linalg structured ops on tensors (named ops where one
// matches exactly, linalg.generic otherwise), plus tensor ops for data
// movement. Dynamic sizes (the batch axis) are read with tensor.dim from the
// operands, so the IR stays shape-polymorphic in the batch.
//
// Broadcasting follows numpy for static sizes. A dynamic size is taken to be
// the full extent, never a stretched 1: dynamic axes are batch axes.
//
//===----------------------------------------------------------------------===//
#include "seqc/Conversion/Passes.h"
#include "seqc/Conversion/OptimizerToLinalg.h"
#include "seqc/Conversion/ScanToSCF.h"

#include "seqc/Dialect/Seq/SeqDialect.h"
#include "seqc/Dialect/Seq/SeqOps.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/Transforms/DialectConversion.h"

namespace seqc {
#define GEN_PASS_DEF_CONVERTSEQTOLINALG
#include "seqc/Conversion/Passes.h.inc"
} // namespace seqc

using namespace mlir;
namespace seq = seqc::seq;

namespace {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

RankedTensorType tensorTypeOf(Value value) {
  return cast<RankedTensorType>(value.getType());
}

/// A float constant of `type` (the element type), e.g. 0, 1 or alpha.
Value floatConstant(OpBuilder &b, Location loc, Type type, double value) {
  return b.create<arith::ConstantOp>(loc, b.getFloatAttr(type, value));
}

/// -inf of the float element `type`: the identity of max.
Value negativeInfinity(OpBuilder &b, Location loc, Type type) {
  auto floatType = cast<FloatType>(type);
  return b.create<arith::ConstantOp>(
      loc,
      b.getFloatAttr(floatType, APFloat::getInf(floatType.getFloatSemantics(),
                                                /*Negative=*/true)));
}

/// Inserts a tensor.cast when `value` is less (or more) static than `type`.
Value castTo(OpBuilder &b, Location loc, Value value, Type type) {
  if (value.getType() == type)
    return value;
  return b.create<tensor::CastOp>(loc, type, value);
}

/// An uninitialized tensor of `type`; each dynamic size `i` is read from
/// `sizeSources[i]` = (tensor, axis).
Value emptyTensor(OpBuilder &b, Location loc, RankedTensorType type,
                  ArrayRef<std::pair<Value, int64_t>> sizeSources) {
  SmallVector<Value> dynamicSizes;
  for (int64_t i = 0, e = type.getRank(); i < e; ++i) {
    if (!type.isDynamicDim(i))
      continue;
    auto [source, axis] = sizeSources[i];
    assert(source && "dynamic result size without a source");
    dynamicSizes.push_back(b.create<tensor::DimOp>(loc, source, axis));
  }
  return b.create<tensor::EmptyOp>(loc, type.getShape(), type.getElementType(),
                                   dynamicSizes);
}

/// An empty tensor of `type` filled with `value`: the init of a reduction or
/// an accumulation.
Value filledTensor(OpBuilder &b, Location loc, RankedTensorType type,
                   ArrayRef<std::pair<Value, int64_t>> sizeSources,
                   Value value) {
  Value empty = emptyTensor(b, loc, type, sizeSources);
  return b.create<linalg::FillOp>(loc, value, empty).getResult(0);
}

SmallVector<utils::IteratorType> parallelIterators(int64_t rank) {
  return SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel);
}

/// The indexing map that reads `operand` (trailing-aligned) at a point of a
/// `resultShape` iteration space: missing leading axes are dropped and static
/// 1s that stretch read index 0.
AffineMap broadcastMap(MLIRContext *ctx, ArrayRef<int64_t> operandShape,
                       ArrayRef<int64_t> resultShape) {
  int64_t offset = resultShape.size() - operandShape.size();
  SmallVector<AffineExpr> exprs;
  for (auto [i, size] : llvm::enumerate(operandShape)) {
    int64_t resultSize = resultShape[offset + i];
    if (size == 1 && resultSize != 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      exprs.push_back(getAffineDimExpr(offset + i, ctx));
  }
  return AffineMap::get(resultShape.size(), 0, exprs, ctx);
}

/// For each axis of the broadcast `resultType`, an operand axis that carries
/// its dynamic size (one that is dynamic, not a stretched 1).
SmallVector<std::pair<Value, int64_t>>
broadcastSizeSources(RankedTensorType resultType, ValueRange operands) {
  int64_t rank = resultType.getRank();
  SmallVector<std::pair<Value, int64_t>> sources(rank, {Value(), 0});
  for (int64_t i = 0; i < rank; ++i) {
    if (!resultType.isDynamicDim(i))
      continue;
    for (Value operand : operands) {
      auto shape = tensorTypeOf(operand).getShape();
      int64_t axis = i - (rank - static_cast<int64_t>(shape.size()));
      if (axis >= 0 && ShapedType::isDynamic(shape[axis])) {
        sources[i] = {operand, axis};
        break;
      }
    }
  }
  return sources;
}

using BodyBuilder =
    function_ref<Value(OpBuilder &, Location, ValueRange /*args*/)>;

/// An elementwise linalg.generic over the broadcast of `inputs` into
/// `resultType`; `body` maps the input elements to the result element. The
/// result's dynamic sizes come from `sizeOperands` (default: the inputs); a
/// given `init` is written in place instead of a new tensor.
Value buildElementwise(OpBuilder &b, Location loc, RankedTensorType resultType,
                       ValueRange inputs, BodyBuilder body,
                       ValueRange sizeOperands = {}, Value init = nullptr) {
  MLIRContext *ctx = b.getContext();
  auto resultShape = resultType.getShape();
  SmallVector<AffineMap> maps;
  for (Value input : inputs)
    maps.push_back(
        broadcastMap(ctx, tensorTypeOf(input).getShape(), resultShape));
  maps.push_back(b.getMultiDimIdentityMap(resultType.getRank()));
  if (!init)
    init = emptyTensor(b, loc, resultType,
                       broadcastSizeSources(resultType, sizeOperands.empty()
                                                            ? inputs
                                                            : sizeOperands));
  auto generic = b.create<linalg::GenericOp>(
      loc, resultType, inputs, init, maps,
      parallelIterators(resultType.getRank()),
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value result = body(nested, nestedLoc, args.drop_back());
        nested.create<linalg::YieldOp>(nestedLoc, result);
      });
  return generic.getResult(0);
}

/// Reduces `input` over `axes` (sorted, unique) into a tensor without them,
/// starting from `identity`. `combine(element, accumulator)` folds one
/// element; `prepare`, when given, maps the element first (fusing e.g.
/// exp(x - max) into the sum of softmax), and its extra `inputs` are read
/// with the reduced result's shape broadcast along the axes.
Value buildReduction(
    OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> axes,
    Value identity,
    function_ref<Value(OpBuilder &, Location, Value, Value)> combine,
    ValueRange extraInputs = {},
    function_ref<Value(OpBuilder &, Location, Value, ValueRange)> prepare =
        nullptr) {
  MLIRContext *ctx = b.getContext();
  auto inputType = tensorTypeOf(input);
  int64_t rank = inputType.getRank();
  SmallVector<bool> reduced(rank, false);
  for (int64_t axis : axes)
    reduced[axis] = true;

  SmallVector<int64_t> resultShape;
  SmallVector<AffineExpr> resultExprs;
  SmallVector<std::pair<Value, int64_t>> sizeSources;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t i = 0; i < rank; ++i) {
    iterators.push_back(reduced[i] ? utils::IteratorType::reduction
                                   : utils::IteratorType::parallel);
    if (reduced[i])
      continue;
    resultShape.push_back(inputType.getDimSize(i));
    resultExprs.push_back(getAffineDimExpr(i, ctx));
    sizeSources.push_back({input, i});
  }
  auto resultType =
      RankedTensorType::get(resultShape, inputType.getElementType());
  Value init = filledTensor(b, loc, resultType, sizeSources, identity);
  auto reducedMap = AffineMap::get(rank, 0, resultExprs, ctx);

  SmallVector<Value> inputs{input};
  llvm::append_range(inputs, extraInputs);
  SmallVector<AffineMap> maps{b.getMultiDimIdentityMap(rank)};
  maps.append(extraInputs.size(), reducedMap);
  maps.push_back(reducedMap);
  auto generic = b.create<linalg::GenericOp>(
      loc, resultType, inputs, init, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value element = args.front();
        if (prepare)
          element = prepare(nested, nestedLoc, element,
                            args.slice(1, extraInputs.size()));
        nested.create<linalg::YieldOp>(
            nestedLoc, combine(nested, nestedLoc, element, args.back()));
      });
  return generic.getResult(0);
}

Value addCombiner(OpBuilder &b, Location loc, Value x, Value acc) {
  return b.create<arith::AddFOp>(loc, x, acc);
}

Value maxCombiner(OpBuilder &b, Location loc, Value x, Value acc) {
  return b.create<arith::MaximumFOp>(loc, x, acc);
}

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

//===----------------------------------------------------------------------===//
// MatMulOp
//===----------------------------------------------------------------------===//

struct MatMulOpLowering : OpConversionPattern<seq::MatMulOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(seq::MatMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
    bool transposeLhs = op.getTransposeLhs(),
         transposeRhs = op.getTransposeRhs();
    int64_t lhsRank = tensorTypeOf(lhs).getRank();
    int64_t rhsRank = tensorTypeOf(rhs).getRank();
    auto resultType = cast<RankedTensorType>(op.getType());
    Type elementType = resultType.getElementType();
    if (op.getSumBatch())
      return lowerSumBatch(op, lhs, rhs, rewriter);
    Value zero = floatConstant(rewriter, loc, elementType, 0.0);

    // [B, M, K] @ [K, N] is one [B*M, K] @ [K, N] GEMM: collapse the batch
    // into the rows instead of repeating a small GEMM per batch entry.
    if (lhsRank == 3 && rhsRank == 2 && !transposeLhs) {
      auto lhsType = tensorTypeOf(lhs);
      SmallVector<ReassociationIndices> rows = {{0, 1}, {2}};
      Value collapsed =
          rewriter.create<tensor::CollapseShapeOp>(loc, lhs, rows);
      auto rhsShape = tensorTypeOf(rhs).getShape();
      int64_t n = transposeRhs ? rhsShape[0] : rhsShape[1];
      int64_t m = ShapedType::isDynamic(lhsType.getDimSize(0)) ||
                          ShapedType::isDynamic(lhsType.getDimSize(1))
                      ? ShapedType::kDynamic
                      : lhsType.getDimSize(0) * lhsType.getDimSize(1);
      auto flatType = RankedTensorType::get({m, n}, elementType);
      Value product = buildMatMul2D(rewriter, loc, collapsed, rhs, false,
                                    transposeRhs, flatType, zero);
      auto expandedType = RankedTensorType::get(
          {lhsType.getDimSize(0), lhsType.getDimSize(1), n}, elementType);
      SmallVector<OpFoldResult> outputShape = {
          tensor::getMixedSize(rewriter, loc, lhs, 0),
          tensor::getMixedSize(rewriter, loc, lhs, 1),
          rewriter.getIndexAttr(n)};
      // Two dynamic sizes from one axis ([T*N] -> [T, N]) are a
      // tensor.reshape: MLIR 19's folds of expand_shape divide by the
      // dynamic size of such a group.
      Value expanded;
      if (expandedType.isDynamicDim(0) && expandedType.isDynamicDim(1)) {
        SmallVector<Value> sizes;
        for (OpFoldResult size : outputShape)
          sizes.push_back(getValueOrCreateConstantIndexOp(rewriter, loc, size));
        Value shape = rewriter.create<tensor::FromElementsOp>(loc, sizes);
        expanded = rewriter.create<tensor::ReshapeOp>(loc, expandedType,
                                                      product, shape);
      } else {
        expanded = rewriter.create<tensor::ExpandShapeOp>(
            loc, expandedType, product, rows, outputShape);
      }
      rewriter.replaceOp(op, castTo(rewriter, loc, expanded, resultType));
      return success();
    }

    if (lhsRank == 2 && rhsRank == 2) {
      rewriter.replaceOp(op,
                         buildMatMul2D(rewriter, loc, lhs, rhs, transposeLhs,
                                       transposeRhs, resultType, zero));
      return success();
    }

    // Batched: both operands rank 3 (batch_matmul), or one operand shared
    // across the other's batch (generic with a map that ignores the batch).
    SmallVector<std::pair<Value, int64_t>> sizeSources = {
        lhsRank == 3 ? std::pair{lhs, int64_t(0)} : std::pair{rhs, int64_t(0)},
        {lhs, (lhsRank - 2) + (transposeLhs ? 1 : 0)},
        {rhs, (rhsRank - 2) + (transposeRhs ? 0 : 1)}};
    Value init = filledTensor(rewriter, loc, resultType, sizeSources, zero);
    if (lhsRank == 3 && rhsRank == 3 && !(transposeLhs && transposeRhs)) {
      Operation *batched;
      if (transposeLhs)
        batched = rewriter.create<linalg::BatchMatmulTransposeAOp>(
            loc, resultType, ValueRange{lhs, rhs}, init);
      else if (transposeRhs)
        batched = rewriter.create<linalg::BatchMatmulTransposeBOp>(
            loc, resultType, ValueRange{lhs, rhs}, init);
      else
        batched = rewriter.create<linalg::BatchMatmulOp>(
            loc, resultType, ValueRange{lhs, rhs}, init);
      rewriter.replaceOp(op, batched->getResults());
      return success();
    }

    // Iteration space (b, m, n, k).
    MLIRContext *ctx = rewriter.getContext();
    AffineExpr b, m, n, k;
    bindDims(ctx, b, m, n, k);
    auto operandMap = [&](int64_t rank, AffineExpr rows, AffineExpr cols) {
      SmallVector<AffineExpr> exprs;
      if (rank == 3)
        exprs.push_back(b);
      exprs.append({rows, cols});
      return AffineMap::get(4, 0, exprs, ctx);
    };
    SmallVector<AffineMap> maps = {
        transposeLhs ? operandMap(lhsRank, k, m) : operandMap(lhsRank, m, k),
        transposeRhs ? operandMap(rhsRank, n, k) : operandMap(rhsRank, k, n),
        AffineMap::get(4, 0, {b, m, n}, ctx)};
    SmallVector<utils::IteratorType> iterators = parallelIterators(3);
    iterators.push_back(utils::IteratorType::reduction);
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, resultType, ValueRange{lhs, rhs}, init, maps, iterators,
        multiplyAccumulate);
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }

  /// sum_b op(A[b]) op(B[b]). With K next to the batch in both operands
  /// ([B, K, M] and [B, K, N]: the weight gradient sum_t g[t]^T x[t]) the
  /// batch joins K: one [B*K, M]^T @ [B*K, N] GEMM. Otherwise a generic op
  /// that reduces over the batch and K.
  static LogicalResult lowerSumBatch(seq::MatMulOp op, Value lhs, Value rhs,
                                     ConversionPatternRewriter &rewriter) {
    Location loc = op.getLoc();
    bool transposeLhs = op.getTransposeLhs(),
         transposeRhs = op.getTransposeRhs();
    auto resultType = cast<RankedTensorType>(op.getType());
    Type elementType = resultType.getElementType();
    Value zero = floatConstant(rewriter, loc, elementType, 0.0);
    if (transposeLhs && !transposeRhs) {
      SmallVector<ReassociationIndices> rows = {{0, 1}, {2}};
      Value lhs2 = rewriter.create<tensor::CollapseShapeOp>(loc, lhs, rows);
      Value rhs2 = rewriter.create<tensor::CollapseShapeOp>(loc, rhs, rows);
      rewriter.replaceOp(op, buildMatMul2D(rewriter, loc, lhs2, rhs2, true,
                                           false, resultType, zero));
      return success();
    }
    SmallVector<std::pair<Value, int64_t>> sizeSources = {
        {lhs, transposeLhs ? 2 : 1}, {rhs, transposeRhs ? 1 : 2}};
    Value init = filledTensor(rewriter, loc, resultType, sizeSources, zero);
    // Iteration space (b, m, n, k); b and k are reductions.
    MLIRContext *ctx = rewriter.getContext();
    AffineExpr b, m, n, k;
    bindDims(ctx, b, m, n, k);
    SmallVector<AffineMap> maps = {
        AffineMap::get(4, 0,
                       transposeLhs ? ArrayRef<AffineExpr>{b, k, m}
                                    : ArrayRef<AffineExpr>{b, m, k},
                       ctx),
        AffineMap::get(4, 0,
                       transposeRhs ? ArrayRef<AffineExpr>{b, n, k}
                                    : ArrayRef<AffineExpr>{b, k, n},
                       ctx),
        AffineMap::get(4, 0, {m, n}, ctx)};
    SmallVector<utils::IteratorType> iterators = {
        utils::IteratorType::reduction, utils::IteratorType::parallel,
        utils::IteratorType::parallel, utils::IteratorType::reduction};
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, resultType, ValueRange{lhs, rhs}, init, maps, iterators,
        multiplyAccumulate);
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }

  static void multiplyAccumulate(OpBuilder &b, Location loc, ValueRange args) {
    Value product = b.create<arith::MulFOp>(loc, args[0], args[1]);
    b.create<linalg::YieldOp>(
        loc, ValueRange{b.create<arith::AddFOp>(loc, args[2], product)});
  }

  /// A rank-2 product as the named linalg op for its transposition.
  static Value buildMatMul2D(OpBuilder &b, Location loc, Value lhs, Value rhs,
                             bool transposeLhs, bool transposeRhs,
                             RankedTensorType resultType, Value zero) {
    SmallVector<std::pair<Value, int64_t>> sizeSources = {
        {lhs, transposeLhs ? 1 : 0}, {rhs, transposeRhs ? 0 : 1}};
    Value init = filledTensor(b, loc, resultType, sizeSources, zero);
    if (!transposeLhs && !transposeRhs)
      return b
          .create<linalg::MatmulOp>(loc, resultType, ValueRange{lhs, rhs}, init)
          .getResult(0);
    if (transposeRhs && !transposeLhs)
      return b
          .create<linalg::MatmulTransposeBOp>(loc, resultType,
                                              ValueRange{lhs, rhs}, init)
          .getResult(0);
    if (transposeLhs && !transposeRhs)
      return b
          .create<linalg::MatmulTransposeAOp>(loc, resultType,
                                              ValueRange{lhs, rhs}, init)
          .getResult(0);
    // Both transposed: C[m, n] += A[k, m] * B[n, k].
    MLIRContext *ctx = b.getContext();
    AffineExpr m, n, k;
    bindDims(ctx, m, n, k);
    SmallVector<AffineMap> maps = {AffineMap::get(3, 0, {k, m}, ctx),
                                   AffineMap::get(3, 0, {n, k}, ctx),
                                   AffineMap::get(3, 0, {m, n}, ctx)};
    SmallVector<utils::IteratorType> iterators = {
        utils::IteratorType::parallel, utils::IteratorType::parallel,
        utils::IteratorType::reduction};
    return b
        .create<linalg::GenericOp>(loc, resultType, ValueRange{lhs, rhs}, init,
                                   maps, iterators, multiplyAccumulate)
        .getResult(0);
  }
};

//===----------------------------------------------------------------------===//
// Transpose
//===----------------------------------------------------------------------===//

struct TransposeOpLowering : OpConversionPattern<seq::TransposeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(seq::TransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto permutation = op.getPermutation();
    auto inputShape = tensorTypeOf(input).getShape();
    // The op's result type may be more static than the input admits; build
    // the transpose on the input's own sizes and cast.
    SmallVector<int64_t> shape;
    SmallVector<std::pair<Value, int64_t>> sizeSources;
    for (int64_t axis : permutation) {
      shape.push_back(inputShape[axis]);
      sizeSources.push_back({input, axis});
    }
    auto type =
        RankedTensorType::get(shape, tensorTypeOf(input).getElementType());
    Value init = emptyTensor(rewriter, loc, type, sizeSources);
    auto transpose =
        rewriter.create<linalg::TransposeOp>(loc, input, init, permutation);
    rewriter.replaceOp(
        op, castTo(rewriter, loc, transpose.getResult()[0], op.getType()));
    return success();
  }
};

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
  SmallVector<std::pair<Value, int64_t>> sizeSources;
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
// Data movement: concat, slice, expand_dims, squeeze, gather
//===----------------------------------------------------------------------===//

struct ConcatOpLowering : OpConversionPattern<seq::ConcatOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(seq::ConcatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    int64_t rank = resultType.getRank();
    int64_t axis = op.getAxis();
    ValueRange inputs = adaptor.getInputs();

    SmallVector<Value> dynamicSizes;
    for (int64_t i = 0; i < rank; ++i) {
      if (!resultType.isDynamicDim(i))
        continue;
      if (i != axis) {
        dynamicSizes.push_back(
            rewriter.create<tensor::DimOp>(loc, inputs[0], i));
        continue;
      }
      Value total = rewriter.create<arith::ConstantIndexOp>(loc, 0);
      for (Value input : inputs)
        total = rewriter.create<arith::AddIOp>(
            loc, total, rewriter.create<tensor::DimOp>(loc, input, axis));
      dynamicSizes.push_back(total);
    }
    Value result = rewriter.create<tensor::EmptyOp>(
        loc, resultType.getShape(), resultType.getElementType(), dynamicSizes);

    OpFoldResult offset = rewriter.getIndexAttr(0);
    for (Value input : inputs) {
      SmallVector<OpFoldResult> offsets(rank, rewriter.getIndexAttr(0));
      offsets[axis] = offset;
      SmallVector<OpFoldResult> sizes =
          tensor::getMixedSizes(rewriter, loc, input);
      SmallVector<OpFoldResult> strides(rank, rewriter.getIndexAttr(1));
      result = rewriter.create<tensor::InsertSliceOp>(loc, input, result,
                                                      offsets, sizes, strides);
      offset = addSizes(rewriter, loc, offset, sizes[axis]);
    }
    rewriter.replaceOp(op, result);
    return success();
  }

  static OpFoldResult addSizes(OpBuilder &b, Location loc, OpFoldResult a,
                               OpFoldResult c) {
    auto aConst = getConstantIntValue(a), cConst = getConstantIntValue(c);
    if (aConst && cConst)
      return b.getIndexAttr(*aConst + *cConst);
    return b
        .create<arith::AddIOp>(loc, getValueOrCreateConstantIndexOp(b, loc, a),
                               getValueOrCreateConstantIndexOp(b, loc, c))
        .getResult();
  }
};

struct SliceOpLowering : OpConversionPattern<seq::SliceOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(seq::SliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    int64_t rank = tensorTypeOf(input).getRank();
    int64_t axis = op.getAxis();
    SmallVector<OpFoldResult> offsets(rank, rewriter.getIndexAttr(0));
    offsets[axis] = rewriter.getIndexAttr(op.getStart());
    SmallVector<OpFoldResult> sizes =
        tensor::getMixedSizes(rewriter, loc, input);
    sizes[axis] = rewriter.getIndexAttr(op.getSize());
    SmallVector<OpFoldResult> strides(rank, rewriter.getIndexAttr(1));
    Value slice = rewriter.create<tensor::ExtractSliceOp>(loc, input, offsets,
                                                          sizes, strides);
    rewriter.replaceOp(op, castTo(rewriter, loc, slice, op.getType()));
    return success();
  }
};

/// The reassociation that groups a unit axis `axis` of a rank-`rank` tensor
/// with a neighbour (empty for the rank-1 <-> rank-0 case).
SmallVector<ReassociationIndices> unitAxisReassociation(int64_t rank,
                                                        int64_t axis) {
  SmallVector<ReassociationIndices> groups;
  if (rank == 1)
    return groups;
  for (int64_t i = 0; i < rank; ++i) {
    if (i == axis)
      continue;
    groups.push_back({i});
  }
  // Attach the unit axis to the group of its right neighbour, or of its left
  // one when it is the last axis.
  if (axis < rank - 1) {
    ReassociationIndices &group = groups[axis];
    group.insert(group.begin(), axis);
  } else {
    groups.back().push_back(axis);
  }
  return groups;
}

struct ExpandDimsOpLowering : OpConversionPattern<seq::ExpandDimsOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(seq::ExpandDimsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inputType = tensorTypeOf(input);
    int64_t axis = op.getAxis();
    SmallVector<int64_t> shape(inputType.getShape());
    shape.insert(shape.begin() + axis, 1);
    SmallVector<OpFoldResult> outputShape =
        tensor::getMixedSizes(rewriter, loc, input);
    outputShape.insert(outputShape.begin() + axis, rewriter.getIndexAttr(1));
    auto type = RankedTensorType::get(shape, inputType.getElementType());
    Value expanded = rewriter.create<tensor::ExpandShapeOp>(
        loc, type, input, unitAxisReassociation(shape.size(), axis),
        outputShape);
    rewriter.replaceOp(op, castTo(rewriter, loc, expanded, op.getType()));
    return success();
  }
};

struct SqueezeOpLowering : OpConversionPattern<seq::SqueezeOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(seq::SqueezeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inputType = tensorTypeOf(input);
    int64_t axis = op.getAxis();
    SmallVector<int64_t> shape(inputType.getShape());
    shape.erase(shape.begin() + axis);
    auto type = RankedTensorType::get(shape, inputType.getElementType());
    Value collapsed = rewriter.create<tensor::CollapseShapeOp>(
        loc, type, input, unitAxisReassociation(inputType.getRank(), axis));
    rewriter.replaceOp(op, castTo(rewriter, loc, collapsed, op.getType()));
    return success();
  }
};

/// result[s..., e] = table[indices[s...], e]; an index outside the table is
/// clamped into it, so a bad token id reads a wrong row but never memory
/// outside the table.
struct GatherOpLowering : OpConversionPattern<seq::GatherOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(seq::GatherOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value table = adaptor.getTable(), indices = adaptor.getIndices();
    auto indicesType = tensorTypeOf(indices);
    auto tableType = tensorTypeOf(table);
    int64_t rank = indicesType.getRank() + 1;
    SmallVector<int64_t> shape(indicesType.getShape());
    shape.push_back(tableType.getDimSize(1));
    auto type = RankedTensorType::get(shape, tableType.getElementType());
    SmallVector<std::pair<Value, int64_t>> sizeSources;
    for (int64_t i = 0; i < rank - 1; ++i)
      sizeSources.push_back({indices, i});
    sizeSources.push_back({table, 1});
    Value init = emptyTensor(rewriter, loc, type, sizeSources);

    MLIRContext *ctx = rewriter.getContext();
    Value rows = rewriter.create<tensor::DimOp>(loc, table, 0);
    SmallVector<AffineMap> maps = {
        AffineMap::getMultiDimIdentityMap(rank, ctx).getMajorSubMap(rank - 1),
        AffineMap::getMultiDimIdentityMap(rank, ctx)};
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, type, indices, init, maps, parallelIterators(rank),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value row =
              b.create<arith::IndexCastOp>(l, b.getIndexType(), args[0]);
          Value zero = b.create<arith::ConstantIndexOp>(l, 0);
          Value last = b.create<arith::SubIOp>(
              l, rows, b.create<arith::ConstantIndexOp>(l, 1));
          row = b.create<arith::MaxSIOp>(l, row, zero);
          row = b.create<arith::MinSIOp>(l, row, last);
          Value column = b.create<linalg::IndexOp>(l, rank - 1);
          Value element =
              b.create<tensor::ExtractOp>(l, table, ValueRange{row, column});
          b.create<linalg::YieldOp>(l, element);
        });
    rewriter.replaceOp(
        op, castTo(rewriter, loc, generic.getResult(0), op.getType()));
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

//===----------------------------------------------------------------------===//
// Ops that derivative rules build: broadcast_like, pad, scatter_add, one_hot
//===----------------------------------------------------------------------===//

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

/// Zeros with the input inserted at offset `before` along the axis.
struct PadOpLowering : OpConversionPattern<seq::PadOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(seq::PadOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto resultType = cast<RankedTensorType>(op.getType());
    int64_t rank = resultType.getRank();
    int64_t axis = op.getAxis();
    SmallVector<OpFoldResult> inputSizes =
        tensor::getMixedSizes(rewriter, loc, input);
    SmallVector<Value> dynamicSizes;
    for (int64_t i = 0; i < rank; ++i) {
      if (!resultType.isDynamicDim(i))
        continue;
      Value size =
          getValueOrCreateConstantIndexOp(rewriter, loc, inputSizes[i]);
      if (i == axis)
        size = rewriter.create<arith::AddIOp>(
            loc, size,
            rewriter.create<arith::ConstantIndexOp>(loc, op.getBefore() +
                                                             op.getAfter()));
      dynamicSizes.push_back(size);
    }
    Value empty = rewriter.create<tensor::EmptyOp>(
        loc, resultType.getShape(), resultType.getElementType(), dynamicSizes);
    Value zero = floatConstant(rewriter, loc, resultType.getElementType(), 0.0);
    Value zeros =
        rewriter.create<linalg::FillOp>(loc, zero, empty).getResult(0);
    SmallVector<OpFoldResult> offsets(rank, rewriter.getIndexAttr(0));
    offsets[axis] = rewriter.getIndexAttr(op.getBefore());
    SmallVector<OpFoldResult> strides(rank, rewriter.getIndexAttr(1));
    rewriter.replaceOpWithNewOp<tensor::InsertSliceOp>(
        op, input, zeros, offsets, inputSizes, strides);
    return success();
  }
};

/// Clamps an integer index into [0, rows): the policy gather uses, so that
/// scatter_add (its adjoint) adds to the row that gather read.
Value clampedRow(OpBuilder &b, Location loc, Value index, Value rows) {
  Value row = b.create<arith::IndexCastOp>(loc, b.getIndexType(), index);
  Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
  Value last = b.create<arith::SubIOp>(
      loc, rows, b.create<arith::ConstantIndexOp>(loc, 1));
  row = b.create<arith::MaxSIOp>(loc, row, zero);
  return b.create<arith::MinSIOp>(loc, row, last);
}

/// A loop over the (flattened) indices; each step adds one row of updates
/// into the row of the table it names. Rows may repeat, so this is a
/// sequential loop, not a parallel linalg op.
struct ScatterAddOpLowering : OpConversionPattern<seq::ScatterAddOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(seq::ScatterAddOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value updates = adaptor.getUpdates(), indices = adaptor.getIndices();
    auto updatesType = tensorTypeOf(updates);
    auto indicesType = tensorTypeOf(indices);
    Type elementType = updatesType.getElementType();
    int64_t indexRank = indicesType.getRank();

    // updates [S..., E] -> [n, E], indices [S...] -> [n].
    Value flatUpdates = updates, flatIndices = indices;
    if (indexRank == 0) {
      flatUpdates = rewriter.create<tensor::ExpandShapeOp>(
          loc,
          RankedTensorType::get({1, updatesType.getShape().back()},
                                elementType),
          updates, SmallVector<ReassociationIndices>{{0, 1}});
      flatIndices = rewriter.create<tensor::ExpandShapeOp>(
          loc, RankedTensorType::get({1}, indicesType.getElementType()),
          indices, SmallVector<ReassociationIndices>{});
    } else if (indexRank > 1) {
      ReassociationIndices leading;
      for (int64_t i = 0; i < indexRank; ++i)
        leading.push_back(i);
      flatUpdates = rewriter.create<tensor::CollapseShapeOp>(
          loc, updates,
          SmallVector<ReassociationIndices>{leading, {indexRank}});
      flatIndices = rewriter.create<tensor::CollapseShapeOp>(
          loc, indices, SmallVector<ReassociationIndices>{leading});
    }

    auto resultType = cast<RankedTensorType>(op.getType());
    Value init = filledTensor(rewriter, loc, resultType,
                              {{Value(), 0}, {flatUpdates, 1}},
                              floatConstant(rewriter, loc, elementType, 0.0));
    Value zeroIndex = rewriter.create<arith::ConstantIndexOp>(loc, 0);
    Value one = rewriter.create<arith::ConstantIndexOp>(loc, 1);
    Value count = rewriter.create<tensor::DimOp>(loc, flatIndices, 0);
    Value rows = rewriter.create<arith::ConstantIndexOp>(loc, op.getRows());
    OpFoldResult width = tensor::getMixedSize(rewriter, loc, flatUpdates, 1);
    auto rowType =
        RankedTensorType::get({1, updatesType.getShape().back()}, elementType);

    auto loop = rewriter.create<scf::ForOp>(
        loc, zeroIndex, count, one, ValueRange{init},
        [&](OpBuilder &b, Location l, Value i, ValueRange iterArgs) {
          Value table = iterArgs[0];
          Value row = clampedRow(
              b, l, b.create<tensor::ExtractOp>(l, flatIndices, i), rows);
          SmallVector<OpFoldResult> unitStrides(2, b.getIndexAttr(1));
          SmallVector<OpFoldResult> rowSizes = {b.getIndexAttr(1), width};
          Value update = b.create<tensor::ExtractSliceOp>(
              l, rowType, flatUpdates,
              SmallVector<OpFoldResult>{i, b.getIndexAttr(0)}, rowSizes,
              unitStrides);
          SmallVector<OpFoldResult> rowOffsets = {row, b.getIndexAttr(0)};
          Value current = b.create<tensor::ExtractSliceOp>(
              l, rowType, table, rowOffsets, rowSizes, unitStrides);
          Value sum = buildElementwise(
              b, l, rowType, ValueRange{current, update},
              [](OpBuilder &nb, Location nl, ValueRange args) -> Value {
                return nb.create<arith::AddFOp>(nl, args[0], args[1]);
              },
              /*sizeOperands=*/{}, /*init=*/current);
          Value updated = b.create<tensor::InsertSliceOp>(
              l, sum, table, rowOffsets, rowSizes, unitStrides);
          b.create<scf::YieldOp>(l, updated);
        });
    rewriter.replaceOp(op, loop.getResult(0));
    return success();
  }
};

/// result[s..., c] = indices[s...] == c ? 1 : 0.
struct OneHotOpLowering : OpConversionPattern<seq::OneHotOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(seq::OneHotOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value indices = adaptor.getIndices();
    auto resultType = cast<RankedTensorType>(op.getType());
    int64_t rank = resultType.getRank();
    SmallVector<std::pair<Value, int64_t>> sizeSources;
    for (int64_t i = 0; i < rank - 1; ++i)
      sizeSources.push_back({indices, i});
    sizeSources.push_back({Value(), 0});
    Value init = emptyTensor(rewriter, loc, resultType, sizeSources);
    MLIRContext *ctx = rewriter.getContext();
    SmallVector<AffineMap> maps = {
        AffineMap::getMultiDimIdentityMap(rank, ctx).getMajorSubMap(rank - 1),
        AffineMap::getMultiDimIdentityMap(rank, ctx)};
    Type elementType = resultType.getElementType();
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, resultType, indices, init, maps, parallelIterators(rank),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value index =
              b.create<arith::IndexCastOp>(l, b.getIndexType(), args[0]);
          Value column = b.create<linalg::IndexOp>(l, rank - 1);
          Value hot = b.create<arith::CmpIOp>(l, arith::CmpIPredicate::eq,
                                              index, column);
          Value value = b.create<arith::SelectOp>(
              l, hot, floatConstant(b, l, elementType, 1.0),
              floatConstant(b, l, elementType, 0.0));
          b.create<linalg::YieldOp>(l, value);
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

struct ConvertSeqToLinalgPass
    : seqc::impl::ConvertSeqToLinalgBase<ConvertSeqToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addIllegalDialect<seq::SeqDialect>();
    target.addLegalDialect<linalg::LinalgDialect, tensor::TensorDialect,
                           arith::ArithDialect, math::MathDialect,
                           scf::SCFDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });

    RewritePatternSet patterns(ctx);
    patterns.add<UnaryOpLowering<seq::NegOp>, UnaryOpLowering<seq::SigmoidOp>,
                 UnaryOpLowering<seq::TanhOp>, UnaryOpLowering<seq::ReluOp>,
                 UnaryOpLowering<seq::ExpOp>, UnaryOpLowering<seq::LogOp>,
                 UnaryOpLowering<seq::SqrtOp>, UnaryOpLowering<seq::AbsOp>,
                 UnaryOpLowering<seq::LeakyReluOp>, UnaryOpLowering<seq::EluOp>,
                 BinaryOpLowering<seq::AddOp, arith::AddFOp>,
                 BinaryOpLowering<seq::SubOp, arith::SubFOp>,
                 BinaryOpLowering<seq::MulOp, arith::MulFOp>,
                 BinaryOpLowering<seq::DivOp, arith::DivFOp>, MatMulOpLowering,
                 TransposeOpLowering, SoftmaxOpLowering, LogSoftmaxOpLowering,
                 MaxoutOpLowering, ConcatOpLowering, SliceOpLowering,
                 ExpandDimsOpLowering, SqueezeOpLowering, GatherOpLowering,
                 ReduceSumOpLowering, ReduceMeanOpLowering, ReduceMaxOpLowering,
                 BroadcastLikeOpLowering, PadOpLowering, ScatterAddOpLowering,
                 OneHotOpLowering, UnaryOpLowering<seq::StepOp>,
                 UnaryOpLowering<seq::SignOp>, EqualOpLowering>(ctx);
    seqc::populateScanToSCFPatterns(patterns);
    seqc::populateOptimizerToLinalgPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
