//===- SeqOps.cpp - seq dialect operations --------------------------------===//
#include "seqc/Dialect/Seq/SeqOps.h"
#include "seqc/Dialect/Seq/GradBuilder.h"
#include "seqc/Dialect/Seq/ScalarBuilder.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace seqc::seq;

//===----------------------------------------------------------------------===//
// Shape helpers and the shape rules' ShapeRule
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<int64_t>>
seqc::seq::broadcastShapes(ArrayRef<int64_t> lhs, ArrayRef<int64_t> rhs) {
  size_t rank = std::max(lhs.size(), rhs.size());
  SmallVector<int64_t> result(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t l = i < rank - lhs.size() ? 1 : lhs[i - (rank - lhs.size())];
    int64_t r = i < rank - rhs.size() ? 1 : rhs[i - (rank - rhs.size())];
    if (l == 1)
      result[i] = r;
    else if (r == 1)
      result[i] = l;
    else if (ShapedType::isDynamic(l))
      result[i] = r;
    else if (ShapedType::isDynamic(r) || l == r)
      result[i] = l;
    else
      return failure();
  }
  return result;
}

/// Two sizes agree when equal or when either is dynamic.
static bool sizesAgree(int64_t a, int64_t b) {
  return a == b || ShapedType::isDynamic(a) || ShapedType::isDynamic(b);
}

static bool shapesAgree(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  if (a.size() != b.size())
    return false;
  for (auto [x, y] : llvm::zip(a, b))
    if (!sizesAgree(x, y))
      return false;
  return true;
}

static std::string shapeString(ArrayRef<int64_t> shape) {
  std::string s = "[";
  llvm::raw_string_ostream os(s);
  llvm::interleaveComma(shape, os, [&](int64_t d) {
    if (ShapedType::isDynamic(d))
      os << "?";
    else
      os << d;
  });
  os << "]";
  return os.str();
}

static RankedTensorType tensorType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

/// Checks that `axis` names an axis of a rank-`rank` tensor.
static LogicalResult verifyAxis(Operation *op, int64_t axis, int64_t rank) {
  if (axis < 0 || axis >= rank)
    return op->emitOpError()
           << "axis " << axis << " is out of range for rank " << rank;
  return success();
}

bool seqc::seq::compatibleTypes(TypeRange inferred, TypeRange actual) {
  if (inferred.size() != actual.size())
    return false;
  for (auto [a, b] : llvm::zip(inferred, actual)) {
    auto x = dyn_cast<RankedTensorType>(a), y = dyn_cast<RankedTensorType>(b);
    if (!x || !y || x.getElementType() != y.getElementType() ||
        !shapesAgree(x.getShape(), y.getShape()))
      return false;
  }
  return true;
}

LogicalResult ShapeRule::checkAxis(int64_t axis, int64_t rank) const {
  if (axis < 0 || axis >= rank)
    return fail("axis ", axis, " is out of range for rank ", rank);
  return success();
}

FailureOr<Type> ShapeRule::commonElementType(ValueRange values) const {
  Type elem = tensorType(values.front()).getElementType();
  for (Value v : values.drop_front())
    if (tensorType(v).getElementType() != elem)
      return fail("mixes element types ", elem, " and ",
                  tensorType(v).getElementType());
  return elem;
}

//===----------------------------------------------------------------------===//
// Elementwise binary ops
//===----------------------------------------------------------------------===//

static LogicalResult inferBinary(ShapeRule &rule, Value lhs, Value rhs) {
  auto elem = rule.commonElementType({lhs, rhs});
  if (failed(elem))
    return failure();
  auto l = tensorType(lhs).getShape(), r = tensorType(rhs).getShape();
  auto shape = broadcastShapes(l, r);
  if (failed(shape))
    return rule.fail("operand shapes ", shapeString(l), " and ", shapeString(r),
                     " do not broadcast");
  return rule.result(*shape, *elem);
}

LogicalResult AddOp::inferShape(ShapeRule &rule, Adaptor adaptor) {
  return inferBinary(rule, adaptor.getLhs(), adaptor.getRhs());
}
LogicalResult SubOp::inferShape(ShapeRule &rule, Adaptor adaptor) {
  return inferBinary(rule, adaptor.getLhs(), adaptor.getRhs());
}
LogicalResult MulOp::inferShape(ShapeRule &rule, Adaptor adaptor) {
  return inferBinary(rule, adaptor.getLhs(), adaptor.getRhs());
}
LogicalResult DivOp::inferShape(ShapeRule &rule, Adaptor adaptor) {
  return inferBinary(rule, adaptor.getLhs(), adaptor.getRhs());
}
LogicalResult EqualOp::inferShape(ShapeRule &rule, Adaptor adaptor) {
  return inferBinary(rule, adaptor.getLhs(), adaptor.getRhs());
}

//===----------------------------------------------------------------------===//
// MatMulOp
//===----------------------------------------------------------------------===//

LogicalResult MatMulOp::inferShape(ShapeRule &rule, Adaptor adaptor) {
  auto elem = rule.commonElementType({adaptor.getLhs(), adaptor.getRhs()});
  if (failed(elem))
    return failure();
  auto lhs = tensorType(adaptor.getLhs()).getShape();
  auto rhs = tensorType(adaptor.getRhs()).getShape();
  bool tLhs = adaptor.getTransposeLhs(), tRhs = adaptor.getTransposeRhs();
  bool sumBatch = adaptor.getSumBatch();
  if (lhs.size() < 2 || lhs.size() > 3 || rhs.size() < 2 || rhs.size() > 3)
    return rule.fail("expects operands of rank 2 or 3, got ", shapeString(lhs),
                     " and ", shapeString(rhs));
  if (sumBatch && (lhs.size() != 3 || rhs.size() != 3))
    return rule.fail("with sum_batch expects two operands of rank 3, got ",
                     shapeString(lhs), " and ", shapeString(rhs));
  if (lhs.size() == 3 && rhs.size() == 3 && !sizesAgree(lhs[0], rhs[0]))
    return rule.fail("batch sizes differ: ", lhs[0], " and ", rhs[0]);
  auto lhsMat = lhs.take_back(2), rhsMat = rhs.take_back(2);
  int64_t m = tLhs ? lhsMat[1] : lhsMat[0];
  int64_t kl = tLhs ? lhsMat[0] : lhsMat[1];
  int64_t kr = tRhs ? rhsMat[1] : rhsMat[0];
  int64_t n = tRhs ? rhsMat[0] : rhsMat[1];
  if (!sizesAgree(kl, kr))
    return rule.fail("contraction sizes differ: ", shapeString(lhs), " and ",
                     shapeString(rhs));
  SmallVector<int64_t> shape;
  // With sum_batch the batch axis is summed away.
  if (!sumBatch && lhs.size() == 3)
    shape.push_back(lhs[0]);
  else if (!sumBatch && rhs.size() == 3)
    shape.push_back(rhs[0]);
  shape.append({m, n});
  return rule.result(shape, *elem);
}

namespace {
/// matmul(a, transpose(b)) -> matmul(a, b) {transpose_rhs}, and likewise for
/// the lhs: the GEMM reads the operand transposed instead of copying it.
struct FoldTransposeIntoMatMul : OpRewritePattern<MatMulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatMulOp op,
                                PatternRewriter &rewriter) const override {
    bool changed = false;
    Value lhs = op.getLhs(), rhs = op.getRhs();
    bool tLhs = op.getTransposeLhs(), tRhs = op.getTransposeRhs();
    auto swapsLastTwo = [](TransposeOp t) {
      auto perm = t.getPermutation();
      return perm.size() == 2 && perm[0] == 1 && perm[1] == 0;
    };
    if (auto t = lhs.getDefiningOp<TransposeOp>(); t && swapsLastTwo(t)) {
      lhs = t.getInput();
      tLhs = !tLhs;
      changed = true;
    }
    if (auto t = rhs.getDefiningOp<TransposeOp>(); t && swapsLastTwo(t)) {
      rhs = t.getInput();
      tRhs = !tRhs;
      changed = true;
    }
    if (!changed)
      return failure();
    rewriter.replaceOpWithNewOp<MatMulOp>(op, op.getType(), lhs, rhs, tLhs,
                                          tRhs, op.getSumBatch());
    return success();
  }
};
} // namespace

void MatMulOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                           MLIRContext *context) {
  results.add<FoldTransposeIntoMatMul>(context);
}

//===----------------------------------------------------------------------===//
// TransposeOp
//===----------------------------------------------------------------------===//

LogicalResult TransposeOp::inferShape(ShapeRule &rule, Adaptor adaptor) {
  auto input = tensorType(adaptor.getInput());
  auto shape = input.getShape();
  auto perm = adaptor.getPermutation();
  if (perm.size() != shape.size())
    return rule.fail("permutation has ", (int64_t)perm.size(),
                     " entries for a tensor of rank ", (int64_t)shape.size());
  SmallVector<bool> seen(perm.size(), false);
  SmallVector<int64_t> permuted;
  for (int64_t p : perm) {
    if (p < 0 || p >= (int64_t)perm.size() || seen[p])
      return rule.fail("permutation is not a permutation of [0, ",
                       (int64_t)perm.size(), ")");
    seen[p] = true;
    permuted.push_back(shape[p]);
  }
  return rule.result(permuted, input.getElementType());
}

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  auto perm = getPermutation();
  if (llvm::all_of(llvm::enumerate(perm),
                   [](auto e) { return (int64_t)e.index() == e.value(); }))
    return getInput();
  // transpose(transpose(x)) with inverse permutations is x.
  if (auto inner = getInput().getDefiningOp<TransposeOp>()) {
    auto innerPerm = inner.getPermutation();
    bool inverse = true;
    for (size_t i = 0; i < perm.size(); ++i)
      inverse &= innerPerm[perm[i]] == (int64_t)i;
    if (inverse && inner.getInput().getType() == getType())
      return inner.getInput();
  }
  return {};
}

//===----------------------------------------------------------------------===//
// Softmax, maxout
//===----------------------------------------------------------------------===//

LogicalResult SoftmaxOp::verify() {
  return verifyAxis(*this, getAxis(), getInput().getType().getRank());
}

LogicalResult LogSoftmaxOp::verify() {
  return verifyAxis(*this, getAxis(), getInput().getType().getRank());
}

LogicalResult MaxoutOp::inferShape(ShapeRule &rule, Adaptor adaptor) {
  auto input = tensorType(adaptor.getInput());
  auto shape = input.getShape();
  int64_t k = adaptor.getK();
  if (shape.empty())
    return rule.fail("expects a tensor of rank at least 1");
  if (k < 1)
    return rule.fail("expects k >= 1, got ", k);
  int64_t d = shape.back();
  SmallVector<int64_t> pieces(shape);
  if (!ShapedType::isDynamic(d)) {
    if (d % k != 0)
      return rule.fail("last axis of size ", d, " is not divisible by k = ", k);
    pieces.back() = d / k;
  }
  return rule.result(pieces, input.getElementType());
}

//===----------------------------------------------------------------------===//
// Concat, slice, expand_dims, squeeze
//===----------------------------------------------------------------------===//

LogicalResult ConcatOp::inferShape(ShapeRule &rule, Adaptor adaptor) {
  ValueRange inputs = adaptor.getInputs();
  if (inputs.empty())
    return rule.fail("expects at least one operand");
  auto elem = rule.commonElementType(inputs);
  if (failed(elem))
    return failure();
  auto first = tensorType(inputs[0]).getShape();
  int64_t rank = first.size(), axis = adaptor.getAxis();
  if (failed(rule.checkAxis(axis, rank)))
    return failure();
  SmallVector<int64_t> joined(first);
  for (Value v : inputs.drop_front()) {
    auto shape = tensorType(v).getShape();
    if ((int64_t)shape.size() != rank)
      return rule.fail("operands have different ranks");
    for (int64_t i = 0; i < rank; ++i) {
      if (i == axis) {
        if (ShapedType::isDynamic(shape[i]) || ShapedType::isDynamic(joined[i]))
          joined[i] = ShapedType::kDynamic;
        else
          joined[i] += shape[i];
      } else if (!sizesAgree(shape[i], joined[i])) {
        return rule.fail("operand shapes ", shapeString(first), " and ",
                         shapeString(shape),
                         " differ outside the concatenation axis");
      }
    }
  }
  return rule.result(joined, *elem);
}

OpFoldResult ConcatOp::fold(FoldAdaptor) {
  if (getInputs().size() == 1 && getInputs()[0].getType() == getType())
    return getInputs()[0];
  return {};
}

LogicalResult SliceOp::inferShape(ShapeRule &rule, Adaptor adaptor) {
  auto input = tensorType(adaptor.getInput());
  auto shape = input.getShape();
  int64_t axis = adaptor.getAxis();
  if (failed(rule.checkAxis(axis, shape.size())))
    return failure();
  int64_t extent = shape[axis];
  int64_t start = adaptor.getStart(), size = adaptor.getSize();
  if (start < 0 || size < 1 ||
      (!ShapedType::isDynamic(extent) && start + size > extent))
    return rule.fail("slice [", start, ", ", start + size,
                     ") is out of range for an axis of size ", extent);
  SmallVector<int64_t> sliced(shape);
  sliced[axis] = size;
  return rule.result(sliced, input.getElementType());
}

OpFoldResult SliceOp::fold(FoldAdaptor) {
  if (getStart() == 0 && getInput().getType() == getType())
    return getInput();
  return {};
}

LogicalResult ExpandDimsOp::inferShape(ShapeRule &rule, Adaptor adaptor) {
  auto input = tensorType(adaptor.getInput());
  int64_t axis = adaptor.getAxis();
  if (failed(rule.checkAxis(axis, input.getRank() + 1)))
    return failure();
  SmallVector<int64_t> expanded(input.getShape());
  expanded.insert(expanded.begin() + axis, 1);
  return rule.result(expanded, input.getElementType());
}

LogicalResult SqueezeOp::inferShape(ShapeRule &rule, Adaptor adaptor) {
  auto input = tensorType(adaptor.getInput());
  auto shape = input.getShape();
  int64_t axis = adaptor.getAxis();
  if (failed(rule.checkAxis(axis, shape.size())))
    return failure();
  if (shape[axis] != 1)
    return rule.fail("axis ", axis, " has size ", shapeString(shape[axis]),
                     ", expected 1");
  SmallVector<int64_t> squeezed(shape);
  squeezed.erase(squeezed.begin() + axis);
  return rule.result(squeezed, input.getElementType());
}

OpFoldResult SqueezeOp::fold(FoldAdaptor) {
  if (auto expand = getInput().getDefiningOp<ExpandDimsOp>())
    if (expand.getAxis() == getAxis() &&
        expand.getInput().getType() == getType())
      return expand.getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// GatherOp
//===----------------------------------------------------------------------===//

LogicalResult GatherOp::inferShape(ShapeRule &rule, Adaptor adaptor) {
  auto table = tensorType(adaptor.getTable());
  if (table.getRank() != 2)
    return rule.fail("expects a table of rank 2, got ",
                     shapeString(table.getShape()));
  SmallVector<int64_t> rows(tensorType(adaptor.getIndices()).getShape());
  rows.push_back(table.getDimSize(1));
  return rule.result(rows, table.getElementType());
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

static LogicalResult inferReduce(ShapeRule &rule, Value input,
                                 ArrayRef<int64_t> axes) {
  auto type = tensorType(input);
  auto shape = type.getShape();
  SmallVector<bool> reduced(shape.size(), false);
  for (int64_t axis : axes) {
    if (failed(rule.checkAxis(axis, shape.size())))
      return failure();
    if (reduced[axis])
      return rule.fail("axis ", axis, " is listed twice");
    reduced[axis] = true;
  }
  SmallVector<int64_t> kept;
  for (size_t i = 0; i < shape.size(); ++i)
    if (!reduced[i])
      kept.push_back(shape[i]);
  return rule.result(kept, type.getElementType());
}

LogicalResult ReduceSumOp::inferShape(ShapeRule &rule, Adaptor adaptor) {
  return inferReduce(rule, adaptor.getInput(), adaptor.getAxes());
}
LogicalResult ReduceMeanOp::inferShape(ShapeRule &rule, Adaptor adaptor) {
  return inferReduce(rule, adaptor.getInput(), adaptor.getAxes());
}
LogicalResult ReduceMaxOp::inferShape(ShapeRule &rule, Adaptor adaptor) {
  return inferReduce(rule, adaptor.getInput(), adaptor.getAxes());
}

//===----------------------------------------------------------------------===//
// Derivative and loss building blocks
//===----------------------------------------------------------------------===//

LogicalResult BroadcastLikeOp::inferShape(ShapeRule &rule, Adaptor adaptor) {
  auto input = tensorType(adaptor.getInput());
  auto like = tensorType(adaptor.getLike()).getShape();
  auto shape = broadcastShapes(input.getShape(), like);
  if (failed(shape) || !shapesAgree(*shape, like))
    return rule.fail("cannot broadcast ", shapeString(input.getShape()), " to ",
                     shapeString(like));
  return rule.result(like, input.getElementType());
}

LogicalResult PadOp::inferShape(ShapeRule &rule, Adaptor adaptor) {
  auto input = tensorType(adaptor.getInput());
  int64_t axis = adaptor.getAxis();
  if (failed(rule.checkAxis(axis, input.getRank())))
    return failure();
  int64_t before = adaptor.getBefore(), after = adaptor.getAfter();
  if (before < 0 || after < 0)
    return rule.fail("expects non-negative padding");
  SmallVector<int64_t> padded(input.getShape());
  if (!ShapedType::isDynamic(padded[axis]))
    padded[axis] += before + after;
  return rule.result(padded, input.getElementType());
}

LogicalResult ScatterAddOp::inferShape(ShapeRule &rule, Adaptor adaptor) {
  auto updatesType = tensorType(adaptor.getUpdates());
  auto updates = updatesType.getShape();
  auto indices = tensorType(adaptor.getIndices()).getShape();
  if (updates.size() != indices.size() + 1 ||
      !shapesAgree(updates.drop_back(), indices))
    return rule.fail("updates ", shapeString(updates),
                     " must be the indices' shape ", shapeString(indices),
                     " plus one axis");
  return rule.result({(int64_t)adaptor.getRows(), updates.back()},
                     updatesType.getElementType());
}

LogicalResult OneHotOp::verify() {
  if ((int64_t)getDepth() < 1)
    return emitOpError() << "expects depth >= 1";
  // The one op whose result type is not inferred: its float element type
  // is not that of any operand.
  SmallVector<int64_t> expected(getIndices().getType().getShape());
  expected.push_back(getDepth());
  auto shape = getType().getShape();
  if (!shapesAgree(shape, expected))
    return emitOpError() << "result shape " << shapeString(shape)
                         << " does not match the expected "
                         << shapeString(expected);
  return success();
}

LogicalResult AdamUpdateOp::verify() {
  if (getLr().getType().getRank() != 0)
    return emitOpError() << "expects 0-d tensors for lr, bias and scale";
  if (getLr().getType().getElementType() !=
      getParam().getType().getElementType())
    return emitOpError() << "mixes element types";
  return success();
}

// The elementwise unary ops' scalar functions and derivative rules are
// written in SeqOps.td, with ScalarBuilder and GradBuilder.
#define GET_OP_CLASSES
#include "seqc/Dialect/Seq/SeqOps.cpp.inc"
