//===- DataMovementToLinalg.cpp - Lower the seq ops that move data --------===//
//
// concat, slice, expand_dims, squeeze, pad as tensor ops; gather and
// one_hot as linalg.generic; scatter_add (the adjoint of gather) as a
// sequential scf.for, since its rows may repeat.
//
//===----------------------------------------------------------------------===//
#include "LinalgBuilders.h"

#include "seqc/Dialect/Seq/SeqOps.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"

using namespace mlir;
using namespace seqc::seq_to_linalg;
namespace seq = seqc::seq;

namespace {

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
    SmallVector<SizeSource> sizeSources;
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
          Value row = clampedRow(b, l, args[0], rows);
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
    SmallVector<SizeSource> sizeSources;
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

} // namespace

void seqc::seq_to_linalg::populateDataMovementPatterns(
    RewritePatternSet &patterns) {
  patterns.add<ConcatOpLowering, SliceOpLowering, ExpandDimsOpLowering,
               SqueezeOpLowering, GatherOpLowering, PadOpLowering,
               ScatterAddOpLowering, OneHotOpLowering>(patterns.getContext());
}
