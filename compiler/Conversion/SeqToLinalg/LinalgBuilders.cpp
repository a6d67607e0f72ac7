//===- LinalgBuilders.cpp - IR builders shared by the seq lowerings -------===//
//
// The constants, tensors, elementwise generics and reductions that the
// lowerings of the seq ops build (declared and described in
// LinalgBuilders.h).
//
//===----------------------------------------------------------------------===//
#include "LinalgBuilders.h"

using namespace mlir;

namespace seqc::seq_to_linalg {

RankedTensorType tensorTypeOf(Value value) {
  return cast<RankedTensorType>(value.getType());
}

Value floatConstant(OpBuilder &b, Location loc, Type type, double value) {
  return b.create<arith::ConstantOp>(loc, b.getFloatAttr(type, value));
}

Value negativeInfinity(OpBuilder &b, Location loc, Type type) {
  auto floatType = cast<FloatType>(type);
  return b.create<arith::ConstantOp>(
      loc,
      b.getFloatAttr(floatType, APFloat::getInf(floatType.getFloatSemantics(),
                                                /*Negative=*/true)));
}

Value castTo(OpBuilder &b, Location loc, Value value, Type type) {
  if (value.getType() == type)
    return value;
  return b.create<tensor::CastOp>(loc, type, value);
}

Value emptyTensor(OpBuilder &b, Location loc, RankedTensorType type,
                  ArrayRef<SizeSource> sizeSources) {
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

Value filledTensor(OpBuilder &b, Location loc, RankedTensorType type,
                   ArrayRef<SizeSource> sizeSources, Value value) {
  Value empty = emptyTensor(b, loc, type, sizeSources);
  return b.create<linalg::FillOp>(loc, value, empty).getResult(0);
}

SmallVector<utils::IteratorType> parallelIterators(int64_t rank) {
  return SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel);
}

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

SmallVector<SizeSource> broadcastSizeSources(RankedTensorType resultType,
                                             ValueRange operands) {
  int64_t rank = resultType.getRank();
  SmallVector<SizeSource> sources(rank, {Value(), 0});
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

Value buildElementwise(OpBuilder &b, Location loc, RankedTensorType resultType,
                       ValueRange inputs, BodyBuilder body,
                       ValueRange sizeOperands, Value init) {
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

Value buildReduction(
    OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> axes,
    Value identity,
    function_ref<Value(OpBuilder &, Location, Value, Value)> combine,
    ValueRange extraInputs,
    function_ref<Value(OpBuilder &, Location, Value, ValueRange)> prepare) {
  MLIRContext *ctx = b.getContext();
  auto inputType = tensorTypeOf(input);
  int64_t rank = inputType.getRank();
  SmallVector<bool> reduced(rank, false);
  for (int64_t axis : axes)
    reduced[axis] = true;

  SmallVector<int64_t> resultShape;
  SmallVector<AffineExpr> resultExprs;
  SmallVector<SizeSource> sizeSources;
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
Value clampedRow(OpBuilder &b, Location loc, Value index, Value rows) {
  Value row = b.create<arith::IndexCastOp>(loc, b.getIndexType(), index);
  Value zero = b.create<arith::ConstantIndexOp>(loc, 0);
  Value last = b.create<arith::SubIOp>(
      loc, rows, b.create<arith::ConstantIndexOp>(loc, 1));
  row = b.create<arith::MaxSIOp>(loc, row, zero);
  return b.create<arith::MinSIOp>(loc, row, last);
}

} // namespace seqc::seq_to_linalg
