//===- ScanMergeProducts.cpp - Merged gate products -----------------------===//
//
// seqc-hoist-scan-matmuls, merging: the per-step products of a scan body that
// share their lhs (h Wi^T, h Wf^T, ...), or that are summed (sum_g dG_g W_g),
// become one product with the weights concatenated once before the loop.
//
//===----------------------------------------------------------------------===//
#include "HoistScanMatmuls.h"

#include "seqc/Dialect/Seq/SeqOps.h"

#include "llvm/ADT/MapVector.h"

using namespace mlir;
using namespace seqc::hoist;
namespace seq = seqc::seq;

namespace {

/// A per-step product `lhs @ capture^T` that can join others with its lhs.
bool isMergeable(seq::MatMulOp matmul, seq::ScanOp scan) {
  if (!matmul.getTransposeRhs() || matmul.getTransposeLhs() ||
      matmul.getSumBatch())
    return false;
  auto arg = dyn_cast<BlockArgument>(matmul.getRhs());
  if (!arg || arg.getOwner() != &scan.getBodyBlock() ||
      arg.getArgNumber() <
          scan.getBodyBlock().getNumArguments() - scan.getCaptures().size())
    return false;
  return tensorType(matmul.getRhs()).getRank() == 2 &&
         tensorType(matmul.getRhs()).hasStaticShape();
}

/// `weights` ([H, K] each) stacked along rows: [n * H, K], before the scan.
Value concatenateWeights(OpBuilder &b, Location loc, ValueRange weights) {
  return b.create<seq::ConcatOp>(loc, weights, 0);
}

/// `scan` with `extra` appended to its captures (and their block
/// arguments); the old scan is erased.
seq::ScanOp addCaptures(seq::ScanOp scan, ValueRange extra) {
  OpBuilder b(scan);
  SmallVector<Value> captures(scan.getCaptures());
  llvm::append_range(captures, extra);
  auto newScan = b.create<seq::ScanOp>(
      scan.getLoc(), scan.getResultTypes(), scan.getInits(),
      scan.getSequences(), captures, scan.getReverse(), scan.getUnroll());
  newScan.getBody().takeBody(scan.getBody());
  for (Value value : extra)
    newScan.getBodyBlock().addArgument(value.getType(), scan.getLoc());
  scan.replaceAllUsesWith(newScan.getResults());
  scan.erase();
  return newScan;
}

/// A sum of products g_i W_i (BPTT's dh = sum_i dG_i W_i and dx = sum_i
/// dG_i U_i): an add tree whose leaves include such products.
struct SummedProducts {
  seq::AddOp root;
  /// Products `lhs @ capture` (no transposes) with one lhs type and one
  /// capture type.
  SmallVector<seq::MatMulOp> products;
  /// The other leaves of the tree.
  SmallVector<Value> others;
};

/// An add whose operands and result have one type (no broadcasting).
bool isPlainAdd(Operation *op) {
  auto add = dyn_cast_or_null<seq::AddOp>(op);
  return add && add.getLhs().getType() == add.getType() &&
         add.getRhs().getType() == add.getType();
}

bool isSummableProduct(seq::MatMulOp matmul, seq::ScanOp scan) {
  if (matmul.getTransposeLhs() || matmul.getTransposeRhs() ||
      matmul.getSumBatch() || !matmul->hasOneUse())
    return false;
  auto arg = dyn_cast<BlockArgument>(matmul.getRhs());
  return arg && arg.getOwner() == &scan.getBodyBlock() &&
         arg.getArgNumber() >= scan.getBodyBlock().getNumArguments() -
                                   scan.getCaptures().size() &&
         tensorType(matmul.getRhs()).getRank() == 2 &&
         tensorType(matmul.getRhs()).hasStaticShape() &&
         tensorType(matmul.getLhs()).getRank() == 2;
}

/// The leaves of the add tree at `value`: adds with one use are looked
/// through.
void collectLeaves(Value value, bool isRoot, SmallVectorImpl<Value> &leaves) {
  Operation *def = value.getDefiningOp();
  if (isPlainAdd(def) && (isRoot || value.hasOneUse())) {
    collectLeaves(def->getOperand(0), false, leaves);
    collectLeaves(def->getOperand(1), false, leaves);
    return;
  }
  leaves.push_back(value);
}

} // namespace

/// Merges groups of matmuls of a scan body that share their lhs and whose
/// transposed rhs are captures of one type; returns the rewritten scan.
seq::ScanOp seqc::hoist::mergeGateMatmuls(seq::ScanOp scan) {
  Block &body = scan.getBodyBlock();
  // Groups in body order, keyed by (lhs, rhs type).
  llvm::MapVector<std::pair<Value, Type>, SmallVector<seq::MatMulOp>> groups;
  for (Operation &op : body.without_terminator())
    if (auto matmul = dyn_cast<seq::MatMulOp>(op))
      if (isMergeable(matmul, scan)) {
        // One capture twice in a group would be computed twice: keep it
        // out.
        auto &group = groups[{matmul.getLhs(), matmul.getRhs().getType()}];
        if (llvm::none_of(group, [&](seq::MatMulOp other) {
              return other.getRhs() == matmul.getRhs();
            }))
          group.push_back(matmul);
      }
  groups.remove_if([](const auto &entry) { return entry.second.size() < 2; });
  if (groups.empty())
    return scan;

  // The concatenated weights are new captures, computed before the scan.
  OpBuilder b(scan);
  SmallVector<Value> concatenated;
  for (auto &[key, group] : groups) {
    SmallVector<Value> weights;
    for (seq::MatMulOp matmul : group)
      weights.push_back(captureOf(scan, matmul.getRhs()));
    concatenated.push_back(concatenateWeights(b, scan.getLoc(), weights));
  }
  unsigned firstNew = scan.getBodyBlock().getNumArguments();
  scan = addCaptures(scan, concatenated);

  // In the body: one product with the concatenated weights, then slices.
  for (auto [groupIndex, entry] : llvm::enumerate(groups)) {
    SmallVector<seq::MatMulOp> &group = entry.second;
    Value weights = scan.getBodyBlock().getArgument(firstNew + groupIndex);
    seq::MatMulOp first = group.front();
    OpBuilder inner(first);
    auto lhsType = tensorType(first.getLhs());
    int64_t rows = tensorType(first.getRhs()).getDimSize(0);
    SmallVector<int64_t> shape(lhsType.getShape());
    shape.back() = rows * int64_t(group.size());
    auto productType = RankedTensorType::get(shape, lhsType.getElementType());
    // A clone of the first product (its attributes, its lhs) with the
    // concatenated weights and the wider result.
    auto product = cast<seq::MatMulOp>(inner.clone(*first));
    product.getRhsMutable().assign(weights);
    product.getResult().setType(productType);
    int64_t axis = lhsType.getRank() - 1;
    // The slices go after the product, each after the previous one (the
    // products they replace are erased last).
    inner.setInsertionPointAfter(product);
    for (auto [index, matmul] : llvm::enumerate(group)) {
      auto slice = inner.create<seq::SliceOp>(
          matmul.getLoc(), matmul.getType(), product.getResult(),
          inner.getI64IntegerAttr(axis),
          inner.getI64IntegerAttr(int64_t(index) * rows),
          inner.getI64IntegerAttr(rows));
      matmul.replaceAllUsesWith(slice.getResult());
      inner.setInsertionPointAfter(slice);
    }
    for (seq::MatMulOp matmul : group)
      matmul.erase();
  }
  return scan;
}

/// Replaces each sum of >= 2 products g_i @ W_i (W_i captures of one type)
/// by one product concat(g_i) @ concat(W_i) plus the other terms.
seq::ScanOp seqc::hoist::mergeSummedMatmuls(seq::ScanOp scan) {
  SmallVector<SummedProducts> sums;
  for (Operation &op : scan.getBodyBlock().without_terminator()) {
    if (!isPlainAdd(&op))
      continue;
    // A root: not itself a single-use operand of another plain add.
    Value result = op.getResult(0);
    if (result.hasOneUse() && isPlainAdd(*result.getUsers().begin()))
      continue;
    SmallVector<Value> leaves;
    collectLeaves(result, /*isRoot=*/true, leaves);
    SummedProducts sum{cast<seq::AddOp>(op), {}, {}};
    for (Value leaf : leaves) {
      auto matmul = leaf.getDefiningOp<seq::MatMulOp>();
      bool joins = matmul && isSummableProduct(matmul, scan) &&
                   (sum.products.empty() ||
                    (matmul.getRhs().getType() ==
                         sum.products.front().getRhs().getType() &&
                     matmul.getLhs().getType() ==
                         sum.products.front().getLhs().getType()));
      if (joins)
        sum.products.push_back(matmul);
      else
        sum.others.push_back(leaf);
    }
    if (sum.products.size() >= 2)
      sums.push_back(std::move(sum));
  }
  if (sums.empty())
    return scan;

  OpBuilder b(scan);
  SmallVector<Value> concatenated;
  for (SummedProducts &sum : sums) {
    SmallVector<Value> weights;
    for (seq::MatMulOp matmul : sum.products)
      weights.push_back(captureOf(scan, matmul.getRhs()));
    concatenated.push_back(concatenateWeights(b, scan.getLoc(), weights));
  }
  unsigned firstNew = scan.getBodyBlock().getNumArguments();
  scan = addCaptures(scan, concatenated);

  for (auto [index, sum] : llvm::enumerate(sums)) {
    Value weights = scan.getBodyBlock().getArgument(firstNew + index);
    OpBuilder inner(sum.root);
    Location loc = sum.root.getLoc();
    SmallVector<Value> lhs;
    for (seq::MatMulOp matmul : sum.products)
      lhs.push_back(matmul.getLhs());
    auto lhsType = tensorType(lhs.front());
    Value stacked =
        inner.create<seq::ConcatOp>(loc, lhs, lhsType.getRank() - 1);
    auto product = cast<seq::MatMulOp>(inner.clone(*sum.products.front()));
    product.getLhsMutable().assign(stacked);
    product.getRhsMutable().assign(weights);
    Value total = product.getResult();
    for (Value other : sum.others)
      total = inner.create<seq::AddOp>(loc, total.getType(), total, other);
    sum.root.getResult().replaceAllUsesWith(total);
  }
  eraseDeadOps(scan.getBodyBlock());
  return scan;
}
