//===- LinalgBuilders.h - Builders shared by the seq lowerings -*- C++ -*-===//
//
// Builders of linalg and tensor IR that the lowerings of the seq ops share:
// constants, empty and filled tensors with their dynamic sizes read from
// operands, broadcasting elementwise generics and reductions. Private to
// convert-seq-to-linalg.
//
// Broadcasting follows numpy for static sizes. A dynamic size is taken to be
// the full extent, never a stretched 1: dynamic axes are batch axes.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_CONVERSION_SEQTOLINALG_LINALGBUILDERS_H
#define SEQC_CONVERSION_SEQTOLINALG_LINALGBUILDERS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/Transforms/DialectConversion.h"

namespace seqc::seq_to_linalg {

using mlir::Location;
using mlir::OpBuilder;
using mlir::Value;

mlir::RankedTensorType tensorTypeOf(Value value);

/// A float constant of `type` (the element type), e.g. 0, 1 or alpha.
Value floatConstant(OpBuilder &b, Location loc, mlir::Type type, double value);

/// -inf of the float element `type`: the identity of max.
Value negativeInfinity(OpBuilder &b, Location loc, mlir::Type type);

/// Inserts a tensor.cast when `value` is less (or more) static than `type`.
Value castTo(OpBuilder &b, Location loc, Value value, mlir::Type type);

/// Where a dynamic size of a result comes from: (tensor, axis).
using SizeSource = std::pair<Value, int64_t>;

/// An uninitialized tensor of `type`; each dynamic size `i` is read from
/// `sizeSources[i]` = (tensor, axis).
Value emptyTensor(OpBuilder &b, Location loc, mlir::RankedTensorType type,
                  llvm::ArrayRef<SizeSource> sizeSources);

/// An empty tensor of `type` filled with `value`: the init of a reduction or
/// an accumulation.
Value filledTensor(OpBuilder &b, Location loc, mlir::RankedTensorType type,
                   llvm::ArrayRef<SizeSource> sizeSources, Value value);

llvm::SmallVector<mlir::utils::IteratorType> parallelIterators(int64_t rank);

/// The indexing map that reads `operand` (trailing-aligned) at a point of a
/// `resultShape` iteration space: missing leading axes are dropped and static
/// 1s that stretch read index 0.
mlir::AffineMap broadcastMap(mlir::MLIRContext *ctx,
                             llvm::ArrayRef<int64_t> operandShape,
                             llvm::ArrayRef<int64_t> resultShape);

/// For each axis of the broadcast `resultType`, an operand axis that carries
/// its dynamic size (one that is dynamic, not a stretched 1).
llvm::SmallVector<SizeSource>
broadcastSizeSources(mlir::RankedTensorType resultType,
                     mlir::ValueRange operands);

using BodyBuilder =
    llvm::function_ref<Value(OpBuilder &, Location, mlir::ValueRange /*args*/)>;

/// An elementwise linalg.generic over the broadcast of `inputs` into
/// `resultType`; `body` maps the input elements to the result element. The
/// result's dynamic sizes come from `sizeOperands` (default: the inputs); a
/// given `init` is written in place instead of a new tensor.
Value buildElementwise(OpBuilder &b, Location loc,
                       mlir::RankedTensorType resultType,
                       mlir::ValueRange inputs, BodyBuilder body,
                       mlir::ValueRange sizeOperands = {},
                       Value init = nullptr);

/// Reduces `input` over `axes` (sorted, unique) into a tensor without them,
/// starting from `identity`. `combine(element, accumulator)` folds one
/// element; `prepare`, when given, maps the element first (fusing e.g.
/// exp(x - max) into the sum of softmax), and its extra `inputs` are read
/// with the reduced result's shape broadcast along the axes.
Value buildReduction(
    OpBuilder &b, Location loc, Value input, llvm::ArrayRef<int64_t> axes,
    Value identity,
    llvm::function_ref<Value(OpBuilder &, Location, Value, Value)> combine,
    mlir::ValueRange extraInputs = {},
    llvm::function_ref<Value(OpBuilder &, Location, Value, mlir::ValueRange)>
        prepare = nullptr);

Value addCombiner(OpBuilder &b, Location loc, Value x, Value acc);
Value maxCombiner(OpBuilder &b, Location loc, Value x, Value acc);

/// Clamps an integer index into [0, rows): the policy of gather and of
/// scatter_add (its adjoint), so that a bad token id reads and writes a
/// wrong row but never memory outside the table.
Value clampedRow(OpBuilder &b, Location loc, Value index, Value rows);

// The patterns of each group of ops, one file each.
void populateElementwisePatterns(mlir::RewritePatternSet &patterns);
void populateContractionPatterns(mlir::RewritePatternSet &patterns);
void populateReductionPatterns(mlir::RewritePatternSet &patterns);
void populateDataMovementPatterns(mlir::RewritePatternSet &patterns);

} // namespace seqc::seq_to_linalg

#endif // SEQC_CONVERSION_SEQTOLINALG_LINALGBUILDERS_H
