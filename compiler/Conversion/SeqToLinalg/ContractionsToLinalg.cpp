//===- ContractionsToLinalg.cpp - Lower seq.matmul and seq.transpose ------===//
//
// Matrix products become the named linalg matmul ops where one matches
// (collapsing a batch into the rows of one GEMM where it can), and
// linalg.generic otherwise; transposes become linalg.transpose.
//
//===----------------------------------------------------------------------===//
#include "LinalgBuilders.h"

#include "seqc/Dialect/Seq/SeqOps.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"

using namespace mlir;
using namespace seqc::seq_to_linalg;
namespace seq = seqc::seq;

namespace {

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
    SmallVector<SizeSource> sizeSources = {
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
    SmallVector<SizeSource> sizeSources = {{lhs, transposeLhs ? 2 : 1},
                                           {rhs, transposeRhs ? 1 : 2}};
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
    SmallVector<SizeSource> sizeSources = {{lhs, transposeLhs ? 1 : 0},
                                           {rhs, transposeRhs ? 0 : 1}};
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
    SmallVector<SizeSource> sizeSources;
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

} // namespace

void seqc::seq_to_linalg::populateContractionPatterns(
    RewritePatternSet &patterns) {
  patterns.add<MatMulOpLowering, TransposeOpLowering>(patterns.getContext());
}
