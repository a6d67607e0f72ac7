//===- ScanGateGradients.cpp - Merged gate gradients ----------------------===//
//
// seqc-hoist-scan-matmuls, after sinking: the weight and bias gradients of a
// merged gate group, one per gate, become one gradient of the concatenated
// gates and slices of it.
//
//===----------------------------------------------------------------------===//
#include "HoistScanMatmuls.h"

#include "seqc/Dialect/Seq/SeqOps.h"

#include "llvm/ADT/MapVector.h"

#include <optional>

using namespace mlir;
using namespace seqc::hoist;
namespace seq = seqc::seq;

namespace {

/// Where a per-step output sits inside another output that concatenates it
/// along the last axis (BPTT's dgates = concat(di, df, dg, dc), output next
/// to each gate's dG).
struct ConcatenatedPart {
  unsigned whole; // the concatenating output
  int64_t offset;
  int64_t size;
};

/// A gradient that a gate's per-step output feeds after the loop: the
/// weight gradient sum_t dG[t]^T X[t] (a sum_batch matmul, keyed by X) or
/// the bias gradient sum over steps and batch of dG (a reduce_sum over the
/// leading axes, keyed by a null Value); std::nullopt for any other reader.
std::optional<Value> gradientKey(Operation *user, Value output) {
  if (auto matmul = dyn_cast<seq::MatMulOp>(user))
    if (matmul.getLhs() == output && matmul.getTransposeLhs() &&
        matmul.getSumBatch() && !matmul.getTransposeRhs())
      return matmul.getRhs();
  if (auto reduce = dyn_cast<seq::ReduceSumOp>(user)) {
    int64_t rank = tensorType(output).getRank();
    if (reduce.getAxes() ==
        ArrayRef<int64_t>(llvm::to_vector(llvm::seq<int64_t>(0, rank - 1))))
      return Value();
  }
  return std::nullopt;
}

} // namespace

/// The gradients of a merged gate group, sum_t dG_g[t]^T X[t] and
/// sum_t,n dG_g[t] per gate g (after the loop, of the scan's per-gate
/// outputs), become one gradient of the concatenated output (sum_t
/// dgates[t]^T X[t], a [4H, K] GEMM per weight group instead of four
/// [H, K]) and slices of it. Only for concatenations whose every part is
/// read by such a gradient with the same X, so no work is added; the
/// per-gate outputs are then unused and dropped by the scan's
/// canonicalization.
void seqc::hoist::mergeGateGradients(seq::ScanOp scan) {
  seq::YieldOp yield = scan.getYield();
  unsigned m = scan.getNumStates();
  SmallVector<Value> outs(yield.getOuts());
  llvm::DenseMap<unsigned, ConcatenatedPart> parts;
  llvm::DenseMap<unsigned, unsigned> partCount;
  for (auto [whole, out] : llvm::enumerate(outs)) {
    auto concat = out.getDefiningOp<seq::ConcatOp>();
    if (!concat || int64_t(concat.getAxis()) != tensorType(out).getRank() - 1)
      continue;
    int64_t offset = 0;
    for (Value part : concat.getOperands()) {
      int64_t size = tensorType(part).getShape().back();
      for (auto [index, other] : llvm::enumerate(outs))
        if (other == part && !parts.count(index))
          parts[index] = {unsigned(whole), offset, size};
      offset += size;
    }
    partCount[whole] = concat.getNumOperands();
  }
  if (parts.empty())
    return;

  // (concatenating output, key) -> the gradients of its parts.
  llvm::MapVector<std::pair<unsigned, Value>,
                  SmallVector<std::pair<Operation *, unsigned>>>
      groups;
  for (auto &[index, part] : parts) {
    Value output = scan.getResult(m + index);
    for (Operation *user : output.getUsers()) {
      // Any other reader (a reduction over other axes, say) stays as it is.
      if (std::optional<Value> key = gradientKey(user, output))
        groups[{part.whole, *key}].push_back({user, index});
    }
  }
  for (auto &[groupKey, group] : groups) {
    auto [whole, rhs] = groupKey;
    llvm::SmallDenseSet<int64_t> offsets;
    for (auto &[op, index] : group)
      offsets.insert(parts[index].offset);
    if (offsets.size() != partCount[whole] || offsets.size() != group.size())
      continue;
    // Before the first of the gradients, which all read `rhs`.
    Operation *first = group.front().first;
    for (auto &[op, index] : group)
      if (op->isBeforeInBlock(first))
        first = op;
    OpBuilder b(first);
    Value concatenated = scan.getResult(m + whole);
    Value merged;
    if (rhs)
      merged = b.create<seq::MatMulOp>(first->getLoc(), concatenated, rhs,
                                       /*transpose_lhs=*/true,
                                       /*transpose_rhs=*/false,
                                       /*sum_batch=*/true);
    else
      merged = b.create<seq::ReduceSumOp>(
          first->getLoc(), concatenated,
          cast<seq::ReduceSumOp>(first).getAxesAttr());
    // The slices go right after the merged gradient (the gradients they
    // replace, `first` among them, are erased last).
    b.setInsertionPointAfterValue(merged);
    for (auto &[op, index] : group) {
      const ConcatenatedPart &part = parts[index];
      auto slice = b.create<seq::SliceOp>(
          op->getLoc(), op->getResult(0).getType(), merged,
          b.getI64IntegerAttr(0), b.getI64IntegerAttr(part.offset),
          b.getI64IntegerAttr(part.size));
      op->getResult(0).replaceAllUsesWith(slice.getResult());
      b.setInsertionPointAfter(slice);
    }
    for (auto &[op, index] : group)
      op->erase();
  }
}
