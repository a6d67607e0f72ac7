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
// Shape helpers
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

static LogicalResult verifyResultShape(Operation *op,
                                       ArrayRef<int64_t> expected) {
  auto resultShape =
      cast<RankedTensorType>(op->getResult(0).getType()).getShape();
  if (!shapesAgree(resultShape, expected))
    return op->emitOpError()
           << "result shape " << shapeString(resultShape)
           << " does not match the expected " << shapeString(expected);
  return success();
}

static LogicalResult verifySameElementType(Operation *op) {
  Type elem;
  SmallVector<Type> types(op->getOperandTypes());
  llvm::append_range(types, op->getResultTypes());
  for (Type t : types) {
    Type e = cast<ShapedType>(t).getElementType();
    if (!isa<FloatType>(e))
      continue;
    if (elem && e != elem)
      return op->emitOpError()
             << "mixes element types " << elem << " and " << e;
    elem = e;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise binary ops
//===----------------------------------------------------------------------===//

static LogicalResult verifyBinary(Operation *op) {
  if (failed(verifySameElementType(op)))
    return failure();
  auto lhs = tensorType(op->getOperand(0)).getShape();
  auto rhs = tensorType(op->getOperand(1)).getShape();
  auto shape = broadcastShapes(lhs, rhs);
  if (failed(shape))
    return op->emitOpError() << "operand shapes " << shapeString(lhs) << " and "
                             << shapeString(rhs) << " do not broadcast";
  return verifyResultShape(op, *shape);
}

LogicalResult AddOp::verify() { return verifyBinary(*this); }
LogicalResult SubOp::verify() { return verifyBinary(*this); }
LogicalResult MulOp::verify() { return verifyBinary(*this); }
LogicalResult DivOp::verify() { return verifyBinary(*this); }
LogicalResult EqualOp::verify() { return verifyBinary(*this); }

//===----------------------------------------------------------------------===//
// MatMulOp
//===----------------------------------------------------------------------===//

LogicalResult MatMulOp::verify() {
  if (failed(verifySameElementType(*this)))
    return failure();
  auto lhs = getLhs().getType().getShape();
  auto rhs = getRhs().getType().getShape();
  if (lhs.size() < 2 || lhs.size() > 3 || rhs.size() < 2 || rhs.size() > 3)
    return emitOpError() << "expects operands of rank 2 or 3, got "
                         << shapeString(lhs) << " and " << shapeString(rhs);
  if (getSumBatch() && (lhs.size() != 3 || rhs.size() != 3))
    return emitOpError() << "with sum_batch expects two operands of rank 3, "
                            "got "
                         << shapeString(lhs) << " and " << shapeString(rhs);
  if (lhs.size() == 3 && rhs.size() == 3 && !sizesAgree(lhs[0], rhs[0]))
    return emitOpError() << "batch sizes differ: " << lhs[0] << " and "
                         << rhs[0];
  auto lhsMat = lhs.take_back(2), rhsMat = rhs.take_back(2);
  int64_t m = getTransposeLhs() ? lhsMat[1] : lhsMat[0];
  int64_t kl = getTransposeLhs() ? lhsMat[0] : lhsMat[1];
  int64_t kr = getTransposeRhs() ? rhsMat[1] : rhsMat[0];
  int64_t n = getTransposeRhs() ? rhsMat[0] : rhsMat[1];
  if (!sizesAgree(kl, kr))
    return emitOpError() << "contraction sizes differ: " << shapeString(lhs)
                         << " and " << shapeString(rhs);
  SmallVector<int64_t> expected;
  // With sum_batch the batch axis is summed away.
  if (!getSumBatch() && lhs.size() == 3)
    expected.push_back(lhs[0]);
  else if (!getSumBatch() && rhs.size() == 3)
    expected.push_back(rhs[0]);
  expected.append({m, n});
  return verifyResultShape(*this, expected);
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

LogicalResult TransposeOp::verify() {
  auto shape = getInput().getType().getShape();
  auto perm = getPermutation();
  if (perm.size() != shape.size())
    return emitOpError() << "permutation has " << perm.size()
                         << " entries for a tensor of rank " << shape.size();
  SmallVector<bool> seen(perm.size(), false);
  SmallVector<int64_t> expected;
  for (int64_t p : perm) {
    if (p < 0 || p >= (int64_t)perm.size() || seen[p])
      return emitOpError() << "permutation is not a permutation of [0, "
                           << perm.size() << ")";
    seen[p] = true;
    expected.push_back(shape[p]);
  }
  return verifyResultShape(*this, expected);
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

LogicalResult MaxoutOp::verify() {
  auto shape = getInput().getType().getShape();
  if (shape.empty())
    return emitOpError() << "expects a tensor of rank at least 1";
  if (getK() < 1)
    return emitOpError() << "expects k >= 1, got " << getK();
  int64_t d = shape.back();
  SmallVector<int64_t> expected(shape);
  if (!ShapedType::isDynamic(d)) {
    if (d % getK() != 0)
      return emitOpError() << "last axis of size " << d
                           << " is not divisible by k = " << getK();
    expected.back() = d / getK();
  }
  return verifyResultShape(*this, expected);
}

//===----------------------------------------------------------------------===//
// Concat, slice, expand_dims, squeeze
//===----------------------------------------------------------------------===//

LogicalResult ConcatOp::verify() {
  if (getInputs().empty())
    return emitOpError() << "expects at least one operand";
  if (failed(verifySameElementType(*this)))
    return failure();
  auto first = tensorType(getInputs()[0]).getShape();
  int64_t rank = first.size();
  if (failed(verifyAxis(*this, getAxis(), rank)))
    return failure();
  SmallVector<int64_t> expected(first);
  for (Value v : getInputs().drop_front()) {
    auto shape = tensorType(v).getShape();
    if ((int64_t)shape.size() != rank)
      return emitOpError() << "operands have different ranks";
    for (int64_t i = 0; i < rank; ++i) {
      if (i == (int64_t)getAxis()) {
        if (ShapedType::isDynamic(shape[i]) ||
            ShapedType::isDynamic(expected[i]))
          expected[i] = ShapedType::kDynamic;
        else
          expected[i] += shape[i];
      } else if (!sizesAgree(shape[i], expected[i])) {
        return emitOpError() << "operand shapes " << shapeString(first)
                             << " and " << shapeString(shape)
                             << " differ outside the concatenation axis";
      }
    }
  }
  return verifyResultShape(*this, expected);
}

OpFoldResult ConcatOp::fold(FoldAdaptor) {
  if (getInputs().size() == 1 && getInputs()[0].getType() == getType())
    return getInputs()[0];
  return {};
}

LogicalResult SliceOp::verify() {
  auto shape = getInput().getType().getShape();
  if (failed(verifyAxis(*this, getAxis(), shape.size())))
    return failure();
  int64_t extent = shape[getAxis()];
  int64_t start = getStart(), size = getSize();
  if (start < 0 || size < 1 ||
      (!ShapedType::isDynamic(extent) && start + size > extent))
    return emitOpError() << "slice [" << start << ", " << start + size
                         << ") is out of range for an axis of size " << extent;
  SmallVector<int64_t> expected(shape);
  expected[getAxis()] = getSize();
  return verifyResultShape(*this, expected);
}

OpFoldResult SliceOp::fold(FoldAdaptor) {
  if (getStart() == 0 && getInput().getType() == getType())
    return getInput();
  return {};
}

LogicalResult ExpandDimsOp::verify() {
  auto shape = getInput().getType().getShape();
  if (failed(verifyAxis(*this, getAxis(), shape.size() + 1)))
    return failure();
  SmallVector<int64_t> expected(shape);
  expected.insert(expected.begin() + getAxis(), 1);
  return verifyResultShape(*this, expected);
}

LogicalResult SqueezeOp::verify() {
  auto shape = getInput().getType().getShape();
  if (failed(verifyAxis(*this, getAxis(), shape.size())))
    return failure();
  if (shape[getAxis()] != 1)
    return emitOpError() << "axis " << getAxis() << " has size "
                         << shapeString(shape[getAxis()]) << ", expected 1";
  SmallVector<int64_t> expected(shape);
  expected.erase(expected.begin() + getAxis());
  return verifyResultShape(*this, expected);
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

LogicalResult GatherOp::verify() {
  auto table = getTable().getType().getShape();
  if (table.size() != 2)
    return emitOpError() << "expects a table of rank 2, got "
                         << shapeString(table);
  SmallVector<int64_t> expected(getIndices().getType().getShape());
  expected.push_back(table[1]);
  return verifyResultShape(*this, expected);
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

static LogicalResult verifyReduce(Operation *op, ArrayRef<int64_t> axes) {
  auto shape = tensorType(op->getOperand(0)).getShape();
  SmallVector<bool> reduced(shape.size(), false);
  for (int64_t axis : axes) {
    if (failed(verifyAxis(op, axis, shape.size())))
      return failure();
    if (reduced[axis])
      return op->emitOpError() << "axis " << axis << " is listed twice";
    reduced[axis] = true;
  }
  SmallVector<int64_t> expected;
  for (size_t i = 0; i < shape.size(); ++i)
    if (!reduced[i])
      expected.push_back(shape[i]);
  return verifyResultShape(op, expected);
}

LogicalResult ReduceSumOp::verify() { return verifyReduce(*this, getAxes()); }
LogicalResult ReduceMeanOp::verify() { return verifyReduce(*this, getAxes()); }
LogicalResult ReduceMaxOp::verify() { return verifyReduce(*this, getAxes()); }

//===----------------------------------------------------------------------===//
// Derivative and loss building blocks
//===----------------------------------------------------------------------===//

LogicalResult BroadcastLikeOp::verify() {
  auto in = getInput().getType().getShape();
  auto like = getLike().getType().getShape();
  auto shape = broadcastShapes(in, like);
  if (failed(shape) || !shapesAgree(*shape, like))
    return emitOpError() << "cannot broadcast " << shapeString(in) << " to "
                         << shapeString(like);
  return verifyResultShape(*this, like);
}

LogicalResult PadOp::verify() {
  auto shape = getInput().getType().getShape();
  if (failed(verifyAxis(*this, getAxis(), shape.size())))
    return failure();
  int64_t before = getBefore(), after = getAfter();
  if (before < 0 || after < 0)
    return emitOpError() << "expects non-negative padding";
  SmallVector<int64_t> expected(shape);
  if (!ShapedType::isDynamic(expected[getAxis()]))
    expected[getAxis()] += before + after;
  return verifyResultShape(*this, expected);
}

LogicalResult ScatterAddOp::verify() {
  auto updates = getUpdates().getType().getShape();
  auto indices = getIndices().getType().getShape();
  if (updates.size() != indices.size() + 1 ||
      !shapesAgree(updates.drop_back(), indices))
    return emitOpError() << "updates " << shapeString(updates)
                         << " must be the indices' shape "
                         << shapeString(indices) << " plus one axis";
  return verifyResultShape(*this, {(int64_t)getRows(), updates.back()});
}

LogicalResult OneHotOp::verify() {
  if ((int64_t)getDepth() < 1)
    return emitOpError() << "expects depth >= 1";
  SmallVector<int64_t> expected(getIndices().getType().getShape());
  expected.push_back(getDepth());
  return verifyResultShape(*this, expected);
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
