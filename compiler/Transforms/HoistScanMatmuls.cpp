//===- HoistScanMatmuls.cpp - GEMMs over all steps of a seq.scan ----------===//
//
// A recurrence over T steps with batch N does per-step matmuls with M = N
// rows; the kernel is fast only for large M. This pass moves what does not
// need the loop out of it (DESIGN.md, "What the optimizer does", 2 and 4):
//
//   hoisting   %u = seq.matmul %x, %U {transpose_rhs}    (x: a slice [N, P])
//              in the body becomes, before the scan,
//              %us = seq.matmul %xs, %U {transpose_rhs}  ([T, N, P] -> one
//              GEMM over T*N rows), read by the body as a new sequence. The
//              state-independent elementwise ops that consume it (a bias
//              add; in a BPTT scan, which recomputes the forward step from
//              saved states, the whole gate math) follow it out.
//
//   sinking    a state acc' = acc + g^T x (+ reduce_sum(g, [0]) ...), read
//              by nothing else in the body, is replaced by stacked outputs
//              gs (and xs, usually already a sequence) and, after the scan,
//              acc0 + seq.matmul %gs, %xs {sum_batch, transpose_lhs}: one
//              GEMM with K = T*N, and acc0 + reduce_sum(gs, [0, 1]).
//
//   merging   the gate products of a cell, h @ Wi^T, h @ Wf^T, h @ Wg^T, ...:
//              matmuls in the body with one lhs and each a capture of one
//              type as the transposed rhs become one product with the
//              captures concatenated (once, before the scan) and slices of
//              its result: one [N, 4H] GEMM per step instead of four [N, H]
//              ones. Runs first, so that hoisting then moves the merged
//              input projection out of the loop as one GEMM. Likewise a
//              sum of products dG_i @ W_i (BPTT's dh and dx) becomes
//              concat(dG_i) @ concat(W_i): one GEMM with K = 4H.
//
// All are exact up to the order of floating-point sums. Inner scans are
// rewritten first. A scan with attributes this pass does not know the
// meaning of (a nonzero `tbptt` or `checkpoint`, or anything else) is left
// as it is.
//
//===----------------------------------------------------------------------===//
#include "seqc/Transforms/Passes.h"

#include "seqc/Dialect/Seq/SeqOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"

#include <optional>

namespace seqc {
#define GEN_PASS_DEF_SEQCHOISTSCANMATMULS
#include "seqc/Transforms/Passes.h.inc"
} // namespace seqc

using namespace mlir;
namespace seq = seqc::seq;

namespace {

RankedTensorType tensorType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

/// Only `reverse` and `unroll` (and BPTT options left at 0, their "off") are
/// understood; any other attribute may change what the scan means.
bool hasOnlyKnownAttributes(seq::ScanOp scan) {
  for (NamedAttribute attr : scan->getAttrs()) {
    StringRef name = attr.getName().getValue();
    if (name == "reverse" || name == "unroll" || name == "operandSegmentSizes")
      continue;
    if (name == "tbptt" || name == "checkpoint") {
      auto value = dyn_cast<IntegerAttr>(attr.getValue());
      if (value && value.getInt() == 0)
        continue;
    }
    return false;
  }
  return true;
}

/// A scan with `scan`'s inits, captures and options, sequences
/// `sequences` and result types `types`, taking over its body. The caller
/// adjusts the block arguments and the yield.
seq::ScanOp rebuild(OpBuilder &b, seq::ScanOp scan, ValueRange inits,
                    ValueRange sequences, TypeRange types) {
  auto newScan = b.create<seq::ScanOp>(scan.getLoc(), types, inits, sequences,
                                       scan.getCaptures(), scan.getReverse(),
                                       scan.getUnroll());
  newScan.getBody().takeBody(scan.getBody());
  return newScan;
}

/// Erases the body's ops whose results nobody reads any more (the per-step
/// work a rewrite moved out of the loop).
void eraseDeadOps(Block &body) {
  SmallVector<Operation *> ops;
  for (Operation &op : body.without_terminator())
    ops.push_back(&op);
  for (Operation *op : llvm::reverse(ops))
    if (op->use_empty() && isMemoryEffectFree(op))
      op->erase();
}

/// Values of a scan body that do not change from step to step: captures,
/// constants, and pure ops of those.
class Invariance {
public:
  explicit Invariance(seq::ScanOp scan) {
    for (BlockArgument arg : scan.getCaptureArgs())
      invariant.insert(arg);
    for (Operation &op : scan.getBodyBlock().without_terminator()) {
      if (op.getNumRegions() != 0 || !isMemoryEffectFree(&op))
        continue;
      if (llvm::all_of(op.getOperands(),
                       [&](Value v) { return invariant.contains(v); }))
        for (Value r : op.getResults())
          invariant.insert(r);
    }
  }
  bool contains(Value v) const { return invariant.contains(v); }

private:
  llvm::DenseSet<Value> invariant;
};

//===----------------------------------------------------------------------===//
// Merging
//===----------------------------------------------------------------------===//

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

/// The capture operand that a body argument stands for.
Value captureOf(seq::ScanOp scan, Value arg) {
  unsigned firstCapture =
      scan.getBodyBlock().getNumArguments() - scan.getCaptures().size();
  return scan
      .getCaptures()[cast<BlockArgument>(arg).getArgNumber() - firstCapture];
}

/// `weights` ([H, K] each) stacked along rows: [n * H, K], before the scan.
Value concatenateWeights(OpBuilder &b, Location loc, ValueRange weights) {
  auto weightType = tensorType(weights.front());
  auto concatType =
      RankedTensorType::get({weightType.getDimSize(0) * int64_t(weights.size()),
                             weightType.getDimSize(1)},
                            weightType.getElementType());
  return b.create<seq::ConcatOp>(loc, concatType, weights,
                                 b.getI64IntegerAttr(0));
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

/// Merges groups of matmuls of a scan body that share their lhs and whose
/// transposed rhs are captures of one type; returns the rewritten scan.
seq::ScanOp mergeGateMatmuls(seq::ScanOp scan) {
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

/// Replaces each sum of >= 2 products g_i @ W_i (W_i captures of one type)
/// by one product concat(g_i) @ concat(W_i) plus the other terms.
seq::ScanOp mergeSummedMatmuls(seq::ScanOp scan) {
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
    SmallVector<int64_t> shape(lhsType.getShape());
    shape.back() *= int64_t(lhs.size());
    Value stacked = inner.create<seq::ConcatOp>(
        loc, RankedTensorType::get(shape, lhsType.getElementType()), lhs,
        inner.getI64IntegerAttr(lhsType.getRank() - 1));
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

/// A per-step output that is nothing but a product of a body value with a
/// capture, out[t] = a[t] @ W (BPTT's dx), becomes one GEMM over all steps
/// after the loop: the scan outputs a[t] instead.
seq::ScanOp sinkOutputProducts(seq::ScanOp scan) {
  Block &body = scan.getBodyBlock();
  seq::YieldOp yield = scan.getYield();
  unsigned m = scan.getNumStates();
  unsigned firstCapture = body.getNumArguments() - scan.getCaptures().size();
  SmallVector<Value> outs(yield.getOuts());
  // What the product after the loop needs; the product in the body is
  // erased before that one is built.
  struct SunkProduct {
    Location loc;
    Value lhs;
    Value capture;
    bool transposeRhs;
  };
  // Output index -> the product it was.
  llvm::MapVector<unsigned, SunkProduct> sunk;
  for (auto [index, out] : llvm::enumerate(outs)) {
    auto matmul = out.getDefiningOp<seq::MatMulOp>();
    if (!matmul || matmul->getBlock() != &body || !matmul->hasOneUse() ||
        matmul.getTransposeLhs() || matmul.getSumBatch() ||
        tensorType(matmul.getLhs()).getRank() != 2)
      continue;
    auto arg = dyn_cast<BlockArgument>(matmul.getRhs());
    if (!arg || arg.getOwner() != &body || arg.getArgNumber() < firstCapture)
      continue;
    sunk.insert(
        {unsigned(index),
         SunkProduct{matmul.getLoc(), matmul.getLhs(),
                     scan.getCaptures()[arg.getArgNumber() - firstCapture],
                     matmul.getTransposeRhs()}});
  }
  if (sunk.empty())
    return scan;

  int64_t time = scan.getStaticTime();
  SmallVector<Type> types(scan.getResultTypes());
  for (auto &[index, product] : sunk) {
    outs[index] = product.lhs;
    types[m + index] = seq::ScanOp::stackedType(time, product.lhs.getType());
  }
  OpBuilder inner(yield);
  inner.create<seq::YieldOp>(yield.getLoc(), yield.getStates(), outs);
  yield.erase();
  eraseDeadOps(body);

  OpBuilder outer(scan);
  seq::ScanOp newScan =
      rebuild(outer, scan, scan.getInits(), scan.getSequences(), types);
  outer.setInsertionPointAfter(newScan);
  for (auto [index, result] : llvm::enumerate(scan.getResults())) {
    Value replacement = newScan.getResult(index);
    if (index >= m && sunk.count(index - m)) {
      const SunkProduct &product = sunk.find(index - m)->second;
      replacement = outer.create<seq::MatMulOp>(
          product.loc, result.getType(), replacement, product.capture,
          /*transpose_lhs=*/false, product.transposeRhs,
          /*sum_batch=*/false);
    }
    result.replaceAllUsesWith(replacement);
  }
  scan.erase();
  return newScan;
}

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

/// The gradients of a merged gate group, sum_t dG_g[t]^T X[t] and
/// sum_t,n dG_g[t] per gate g (after the loop, of the scan's per-gate
/// outputs), become one gradient of the concatenated output (sum_t
/// dgates[t]^T X[t], a [4H, K] GEMM per weight group instead of four
/// [H, K]) and slices of it. Only for concatenations whose every part is
/// read by such a gradient with the same X, so no work is added; the
/// per-gate outputs are then unused and dropped by the scan's
/// canonicalization.
void mergeGateGradients(seq::ScanOp scan) {
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
    auto partType = cast<RankedTensorType>(first->getResult(0).getType());
    SmallVector<int64_t> shape(partType.getShape());
    shape[0] = tensorType(outs[whole]).getShape().back();
    auto type = RankedTensorType::get(shape, partType.getElementType());
    Value merged;
    if (rhs)
      merged = b.create<seq::MatMulOp>(first->getLoc(), type, concatenated, rhs,
                                       /*transpose_lhs=*/true,
                                       /*transpose_rhs=*/false,
                                       /*sum_batch=*/true);
    else
      merged = b.create<seq::ReduceSumOp>(
          first->getLoc(), type, concatenated,
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

/// The capture of `scan` that a product's rhs reads, or null.
Value productCapture(seq::ScanOp scan, seq::MatMulOp matmul) {
  auto arg = dyn_cast<BlockArgument>(matmul.getRhs());
  Block &body = scan.getBodyBlock();
  if (!arg || arg.getOwner() != &body ||
      arg.getArgNumber() < body.getNumArguments() - scan.getCaptures().size())
    return nullptr;
  return captureOf(scan, arg);
}

/// Whether `a` and `b` are one value, or the results of two identical pure
/// ops (each scan's gate merging concatenates the weights anew; CSE has not
/// run yet).
bool sameValue(Value a, Value b) {
  if (a == b)
    return true;
  Operation *opA = a ? a.getDefiningOp() : nullptr;
  Operation *opB = b ? b.getDefiningOp() : nullptr;
  return opA && opB && isPure(opA) && opA->getNumRegions() == 0 &&
         cast<OpResult>(a).getResultNumber() ==
             cast<OpResult>(b).getResultNumber() &&
         OperationEquivalence::isEquivalentTo(
             opA, opB, OperationEquivalence::IgnoreLocations);
}

/// The backward scan of BPTT recomputes, at each step, the forward step's
/// products from the saved states: h[t-1] @ [Wi; Wf; Wg; Wc]^T again. Such a
/// product of `backward` whose lhs is a sequence that `forward` outputs (the
/// forward's per-step value v) and whose rhs is a capture that the forward
/// also multiplies v with becomes a read of the forward's product, which
/// the forward now outputs as well: memory ([T, N, 4H]) for a GEMM per
/// step. Scans with options beyond reverse/unroll (checkpointing, truncation)
/// are left alone: they recompute on purpose.
void reuseForwardProducts(seq::ScanOp backward) {
  Block &body = backward.getBodyBlock();
  unsigned m = backward.getNumStates();
  // forward scan -> (backward product, forward product) pairs.
  llvm::MapVector<Operation *,
                  SmallVector<std::pair<seq::MatMulOp, seq::MatMulOp>>>
      reused;
  for (auto [index, sequence] : llvm::enumerate(backward.getSequences())) {
    auto forward = sequence.getDefiningOp<seq::ScanOp>();
    if (!forward || forward == backward || !hasOnlyKnownAttributes(forward) ||
        forward->getBlock() != backward->getBlock())
      continue;
    unsigned output = cast<OpResult>(sequence).getResultNumber();
    if (output < forward.getNumStates())
      continue;
    Value perStep =
        forward.getYield().getOuts()[output - forward.getNumStates()];
    BlockArgument arg = body.getArgument(m + index);
    for (Operation *user : arg.getUsers()) {
      auto product = dyn_cast<seq::MatMulOp>(user);
      if (!product || product.getLhs() != arg || product.getSumBatch())
        continue;
      Value capture = productCapture(backward, product);
      if (!capture)
        continue;
      for (Operation *forwardUser : perStep.getUsers()) {
        auto original = dyn_cast<seq::MatMulOp>(forwardUser);
        if (original && original->getBlock() == &forward.getBodyBlock() &&
            original.getLhs() == perStep &&
            sameValue(productCapture(forward, original), capture) &&
            original.getTransposeLhs() == product.getTransposeLhs() &&
            original.getTransposeRhs() == product.getTransposeRhs() &&
            !original.getSumBatch() &&
            original.getType() == product.getType()) {
          reused[forward].push_back({product, original});
          break;
        }
      }
    }
  }

  for (auto &[forwardOp, pairs] : reused) {
    auto forward = cast<seq::ScanOp>(forwardOp);
    // The forward outputs its products too.
    seq::YieldOp yield = forward.getYield();
    SmallVector<Value> outs(yield.getOuts());
    SmallVector<Type> types(forward.getResultTypes());
    unsigned firstNew = forward.getNumResults();
    int64_t time = forward.getStaticTime();
    for (auto &[product, original] : pairs) {
      outs.push_back(original.getResult());
      types.push_back(seq::ScanOp::stackedType(time, original.getType()));
    }
    OpBuilder inner(yield);
    inner.create<seq::YieldOp>(yield.getLoc(), yield.getStates(), outs);
    yield.erase();
    OpBuilder outer(forward);
    seq::ScanOp newForward = rebuild(outer, forward, forward.getInits(),
                                     forward.getSequences(), types);
    forward.replaceAllUsesWith(
        newForward.getResults().take_front(forward.getNumResults()));
    forward.erase();

    // The backward reads them as sequences.
    SmallVector<Value> sequences(backward.getSequences());
    unsigned firstArg = m + sequences.size();
    for (unsigned i = 0; i < pairs.size(); ++i)
      sequences.push_back(newForward.getResult(firstNew + i));
    OpBuilder before(backward);
    seq::ScanOp newBackward = rebuild(before, backward, backward.getInits(),
                                      sequences, backward.getResultTypes());
    Block &newBody = newBackward.getBodyBlock();
    for (auto [i, pair] : llvm::enumerate(pairs)) {
      seq::MatMulOp product = pair.first;
      BlockArgument read = newBody.insertArgument(
          firstArg + i, product.getType(), product.getLoc());
      product.replaceAllUsesWith(read);
      product.erase();
    }
    backward.replaceAllUsesWith(newBackward.getResults());
    backward.erase();
    backward = newBackward;
  }
}

//===----------------------------------------------------------------------===//
// Hoisting
//===----------------------------------------------------------------------===//

bool isElementwise(Operation *op) {
  if (isa<seq::AddOp, seq::SubOp, seq::MulOp, seq::DivOp>(op))
    return true;
  return isa<seq::UnaryElementwiseOpInterface>(op);
}

class Hoister {
public:
  Hoister(seq::ScanOp scan, bool elementwise, bool fromSavedStates)
      : scan(scan), invariance(scan), elementwise(elementwise),
        fromSavedStates(fromSavedStates) {}

  /// Rewrites the scan when something is worth hoisting; returns the scan
  /// that replaces it (or the same scan).
  seq::ScanOp run() {
    classify();
    select();
    if (selected.empty())
      return scan;
    return rewrite();
  }

private:
  bool isVarying(Value v) const { return varying.contains(v); }
  bool isInvariant(Value v) const { return invariance.contains(v); }

  /// Whether `op`, all of whose operands are varying or invariant, has a
  /// form over the whole sequence: the same op on stacked operands.
  bool batchable(Operation *op) const {
    if (op->getNumResults() != 1 || op->getNumRegions() != 0)
      return false;
    if (auto matmul = dyn_cast<seq::MatMulOp>(op))
      // [T, N, P] @ rhs is one GEMM over T*N rows (SeqToLinalg).
      return isVarying(matmul.getLhs()) && isInvariant(matmul.getRhs()) &&
             tensorType(matmul.getLhs()).getRank() == 2 &&
             tensorType(matmul.getRhs()).getRank() == 2 &&
             !matmul.getTransposeLhs() && !matmul.getSumBatch();
    if (!isElementwise(op))
      return false;
    // A stacked operand must keep its axes aligned with the result's under
    // trailing broadcasting: it has the result's rank.
    int64_t rank = tensorType(op->getResult(0)).getRank();
    for (Value v : op->getOperands())
      if (isVarying(v) && tensorType(v).getRank() != rank)
        return false;
    return true;
  }

  /// Varying: the slices, and batchable ops of slices and invariant values
  /// (nothing that depends on a carried state).
  void classify() {
    for (auto [arg, sequence] :
         llvm::zip(scan.getSliceArgs(), scan.getSequences()))
      if (fromSavedStates || !isSavedStates(sequence))
        varying.insert(arg);
    for (Operation &op : scan.getBodyBlock().without_terminator()) {
      if (op.getNumOperands() == 0 ||
          !llvm::all_of(
              op.getOperands(),
              [&](Value v) { return isVarying(v) || isInvariant(v); }) ||
          !llvm::any_of(op.getOperands(),
                        [&](Value v) { return isVarying(v); }) ||
          !batchable(&op))
        continue;
      varying.insert(op.getResult(0));
    }
  }

  /// The matmuls, the varying ops they read, and (with `elementwise`) the
  /// varying ops that read only hoisted or sliced values.
  void select() {
    SmallVector<Operation *> worklist;
    for (Operation &op : scan.getBodyBlock().without_terminator())
      if (isa<seq::MatMulOp>(op) && isVarying(op.getResult(0)))
        worklist.push_back(&op);
    while (!worklist.empty()) {
      Operation *op = worklist.pop_back_val();
      if (!selected.insert(op))
        continue;
      for (Value v : op->getOperands())
        if (Operation *def = v.getDefiningOp(); def && isVarying(v))
          worklist.push_back(def);
    }
    if (!elementwise || selected.empty())
      return;
    for (Operation &op : scan.getBodyBlock().without_terminator()) {
      if (selected.contains(&op) || op.getNumResults() != 1 ||
          !isVarying(op.getResult(0)))
        continue;
      bool readsHoisted = false, allAvailable = true;
      for (Value v : op.getOperands()) {
        if (!isVarying(v))
          continue;
        Operation *def = v.getDefiningOp();
        if (def && selected.contains(def))
          readsHoisted = true;
        else if (def)
          allAvailable = false;
      }
      if (readsHoisted && allAvailable)
        selected.insert(&op);
    }
  }

  /// The value outside the scan that stands for invariant `v`: its capture,
  /// or a clone of the ops that compute it.
  Value outsideOf(OpBuilder &b, Value v) {
    if (Value known = outside.lookup(v))
      return known;
    Value result;
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      unsigned first = scan.getCaptureArgs().front().getArgNumber();
      result = scan.getCaptures()[arg.getArgNumber() - first];
    } else {
      Operation *def = v.getDefiningOp();
      IRMapping map;
      for (Value operand : def->getOperands())
        map.map(operand, outsideOf(b, operand));
      Operation *clone = b.clone(*def, map);
      result = clone->getResult(cast<OpResult>(v).getResultNumber());
    }
    outside[v] = result;
    return result;
  }

  /// The stacked ([T] ++ step type) form of varying `v`, outside the scan.
  Value stackedOf(Value v) {
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      unsigned first = scan.getSliceArgs().front().getArgNumber();
      return scan.getSequences()[arg.getArgNumber() - first];
    }
    return stacked.lookup(v);
  }

  seq::ScanOp rewrite() {
    OpBuilder b(scan);
    Block &body = scan.getBodyBlock();
    // The selected ops in program order, on stacked operands.
    for (Operation &op : body.without_terminator()) {
      if (!selected.contains(&op))
        continue;
      IRMapping map;
      Value lead;
      for (Value v : op.getOperands()) {
        if (isVarying(v)) {
          Value s = stackedOf(v);
          map.map(v, s);
          lead = lead ? lead : s;
        } else {
          map.map(v, outsideOf(b, v));
        }
      }
      Operation *clone = b.clone(op, map);
      Value result = op.getResult(0);
      clone->getResult(0).setType(seq::ScanOp::stackedType(
          tensorType(lead).getDimSize(0), result.getType()));
      stacked[result] = clone->getResult(0);
    }

    // What the remaining body reads of the hoisted values comes in as new
    // sequences.
    SmallVector<Value> fed;
    for (Operation &op : body.without_terminator())
      if (selected.contains(&op) &&
          llvm::any_of(op.getResult(0).getUsers(), [&](Operation *user) {
            return !selected.contains(user);
          }))
        fed.push_back(op.getResult(0));

    SmallVector<Value> sequences(scan.getSequences());
    for (Value v : fed)
      sequences.push_back(stacked.lookup(v));
    seq::ScanOp newScan =
        rebuild(b, scan, scan.getInits(), sequences, scan.getResultTypes());
    Block &newBody = newScan.getBodyBlock();
    unsigned position = scan.getNumStates() + scan.getSequences().size();
    for (auto [i, v] : llvm::enumerate(fed)) {
      BlockArgument arg =
          newBody.insertArgument(position + i, v.getType(), v.getLoc());
      v.replaceUsesWithIf(arg, [&](OpOperand &use) {
        return !selected.contains(use.getOwner());
      });
    }
    SmallVector<Operation *> hoisted;
    for (Operation &op : newBody.without_terminator())
      if (selected.contains(&op))
        hoisted.push_back(&op);
    for (Operation *op : llvm::reverse(hoisted))
      op->erase();
    eraseDeadOps(newBody);
    scan.replaceAllUsesWith(newScan.getResults());
    scan.erase();
    return newScan;
  }

  /// The states a scan saved for its derivative: a stacked output that is
  /// a state as it enters the step. A BPTT scan recomputes the step from
  /// them; hoisting that recomputation allocates a [T, N, H] temporary per
  /// value, which costs more than it saves while each call of the compiled
  /// code maps fresh pages for its temporaries.
  static bool isSavedStates(Value sequence) {
    auto producer = sequence.getDefiningOp<seq::ScanOp>();
    if (!producer)
      return false;
    unsigned n = cast<OpResult>(sequence).getResultNumber();
    if (n < producer.getNumStates())
      return false;
    Value out = producer.getYield().getOuts()[n - producer.getNumStates()];
    return llvm::is_contained(producer.getStateArgs(), out);
  }

  seq::ScanOp scan;
  Invariance invariance;
  bool elementwise, fromSavedStates;
  llvm::DenseSet<Value> varying;
  llvm::SetVector<Operation *> selected;
  llvm::DenseMap<Value, Value> outside, stacked;
};

//===----------------------------------------------------------------------===//
// Sinking
//===----------------------------------------------------------------------===//

/// One term of an accumulated per-step contribution.
struct Term {
  enum Kind { Gemm, Sum, Other } kind = Other;
  Value value;
  /// Gemm: a^T b. Sum: reduce_sum(a, axes).
  Value a, b;
  SmallVector<int64_t> axes;
};

/// An accumulating state: acc' = acc + sum of `terms`.
struct Accumulator {
  unsigned state;
  SmallVector<Term> terms;
  bool complete() const {
    return llvm::all_of(terms,
                        [](const Term &t) { return t.kind != Term::Other; });
  }
};

bool isZero(Value v) {
  if (auto like = v.getDefiningOp<seq::BroadcastLikeOp>())
    v = like.getInput();
  return matchPattern(v, m_AnyZeroFloat());
}

class Sinker {
public:
  explicit Sinker(seq::ScanOp scan) : scan(scan), invariance(scan) {}

  seq::ScanOp run() {
    for (unsigned i = 0; i < scan.getNumStates(); ++i)
      if (std::optional<Accumulator> acc = match(i))
        accumulators.push_back(std::move(*acc));
    if (accumulators.empty())
      return scan;
    return rewrite();
  }

private:
  bool isBody(Value v) const {
    Block *block = v.getParentBlock();
    return block == &scan.getBodyBlock();
  }
  bool isSlice(Value v) const {
    return llvm::is_contained(scan.getSliceArgs(), v);
  }

  /// A value that changes from step to step and can be stacked: a slice (its
  /// sequence), or a value the step computes whose sizes the lowering can
  /// derive (one of a seq op or a state).
  bool stackable(Value v) const {
    if (!isBody(v) || invariance.contains(v))
      return false;
    if (tensorType(v).hasStaticShape() || isa<BlockArgument>(v))
      return true;
    Operation *def = v.getDefiningOp();
    return def->getDialect() && isa<seq::SeqDialect>(def->getDialect());
  }

  Term classify(Value v) const {
    Term term;
    term.value = v;
    if (auto matmul = v.getDefiningOp<seq::MatMulOp>()) {
      // g^T x with g [N, M] and x [N, K]: the batch is the contraction.
      if (isBody(v) && matmul.getTransposeLhs() && !matmul.getTransposeRhs() &&
          !matmul.getSumBatch() && tensorType(matmul.getLhs()).getRank() == 2 &&
          tensorType(matmul.getRhs()).getRank() == 2 &&
          stackable(matmul.getLhs()) && stackable(matmul.getRhs())) {
        term.kind = Term::Gemm;
        term.a = matmul.getLhs();
        term.b = matmul.getRhs();
      }
      return term;
    }
    if (auto sum = v.getDefiningOp<seq::ReduceSumOp>()) {
      if (isBody(v) && stackable(sum.getInput())) {
        term.kind = Term::Sum;
        term.a = sum.getInput();
        term.axes.assign(sum.getAxes().begin(), sum.getAxes().end());
      }
    }
    return term;
  }

  /// Splits a sum of same-typed values (each add read only by the sum) into
  /// its terms.
  void collectTerms(Value v, SmallVectorImpl<Term> &terms) const {
    auto add = v.getDefiningOp<seq::AddOp>();
    if (add && isBody(v) && v.hasOneUse() &&
        add.getLhs().getType() == v.getType() &&
        add.getRhs().getType() == v.getType()) {
      collectTerms(add.getLhs(), terms);
      collectTerms(add.getRhs(), terms);
      return;
    }
    terms.push_back(classify(v));
  }

  std::optional<Accumulator> match(unsigned i) {
    BlockArgument acc = scan.getStateArgs()[i];
    Value next = scan.getYield().getStates()[i];
    auto add = next.getDefiningOp<seq::AddOp>();
    if (!add || !isBody(next) || !acc.hasOneUse() || !next.hasOneUse() ||
        add.getType() != acc.getType())
      return std::nullopt;
    Value contribution;
    if (add.getLhs() == acc)
      contribution = add.getRhs();
    else if (add.getRhs() == acc)
      contribution = add.getLhs();
    if (!contribution || contribution == acc ||
        contribution.getType() != acc.getType())
      return std::nullopt;
    Accumulator result;
    result.state = i;
    collectTerms(contribution, result.terms);
    if (llvm::none_of(result.terms,
                      [](const Term &t) { return t.kind != Term::Other; }))
      return std::nullopt;
    return result;
  }

  seq::ScanOp rewrite() {
    seq::YieldOp yield = scan.getYield();
    unsigned m = scan.getNumStates(), o = scan.getNumOutputs();
    int64_t time = scan.getStaticTime();

    // New stacked outputs: every per-step operand that is not a slice.
    llvm::MapVector<Value, unsigned> outputs;
    auto request = [&](Value v) {
      if (!isSlice(v) && !outputs.count(v))
        outputs.insert({v, o + outputs.size()});
    };
    for (const Accumulator &acc : accumulators)
      for (const Term &t : acc.terms) {
        if (t.kind == Term::Other)
          continue;
        request(t.a);
        if (t.kind == Term::Gemm)
          request(t.b);
      }

    // The body: a complete accumulator's state goes; an incomplete one
    // keeps the terms that stay.
    SmallVector<bool> keep(m, true);
    OpBuilder b(yield);
    SmallVector<Value> states(yield.getStates());
    for (const Accumulator &acc : accumulators) {
      if (acc.complete()) {
        keep[acc.state] = false;
        continue;
      }
      Value sum = scan.getStateArgs()[acc.state];
      for (const Term &t : acc.terms)
        if (t.kind == Term::Other)
          sum =
              b.create<seq::AddOp>(yield.getLoc(), sum.getType(), sum, t.value);
      states[acc.state] = sum;
    }
    SmallVector<Value> keptStates, inits, outs(yield.getOuts());
    SmallVector<Type> types;
    for (unsigned i = 0; i < m; ++i)
      if (keep[i]) {
        keptStates.push_back(states[i]);
        inits.push_back(scan.getInits()[i]);
        types.push_back(scan.getFinals()[i].getType());
      }
    for (Value v : scan.getOutputs())
      types.push_back(v.getType());
    for (auto &[v, index] : outputs) {
      outs.push_back(v);
      types.push_back(seq::ScanOp::stackedType(time, v.getType()));
    }
    b.create<seq::YieldOp>(yield.getLoc(), keptStates, outs);
    yield.erase();

    OpBuilder outer(scan);
    seq::ScanOp newScan =
        rebuild(outer, scan, inits, scan.getSequences(), types);
    Block &newBody = newScan.getBodyBlock();
    // The dropped states' updates, then their block arguments.
    for (const Accumulator &acc : accumulators)
      if (!keep[acc.state]) {
        Value arg = newBody.getArgument(acc.state);
        Operation *update = arg.getUses().begin()->getOwner();
        update->erase();
      }
    for (int64_t i = m - 1; i >= 0; --i)
      if (!keep[i])
        newBody.eraseArgument(i);
    eraseDeadOps(newBody);

    // Results: kept finals, old outputs, new outputs.
    SmallVector<Value> finals(m);
    unsigned next = 0;
    for (unsigned i = 0; i < m; ++i)
      if (keep[i])
        finals[i] = newScan.getResult(next++);
    unsigned keptCount = next;
    for (unsigned j = 0; j < o; ++j)
      scan.getOutputs()[j].replaceAllUsesWith(newScan.getResult(keptCount + j));

    // A slice stands for its sequence, anything else for its new output.
    DenseMap<Value, Value> sliceSequence;
    for (auto [arg, s] :
         llvm::zip(newScan.getSliceArgs(), newScan.getSequences()))
      sliceSequence[arg] = s;
    auto stackedValue = [&](Value v) -> Value {
      if (Value s = sliceSequence.lookup(v))
        return s;
      return newScan.getResult(keptCount + outputs.lookup(v));
    };

    Location loc = scan.getLoc();
    for (const Accumulator &acc : accumulators) {
      Value total = finals[acc.state];
      Value init = scan.getInits()[acc.state];
      Type type = init.getType();
      if (!total && !isZero(init))
        total = init;
      for (const Term &t : acc.terms) {
        Value part;
        if (t.kind == Term::Gemm) {
          part = outer.create<seq::MatMulOp>(loc, type, stackedValue(t.a),
                                             stackedValue(t.b),
                                             /*transpose_lhs=*/true,
                                             /*transpose_rhs=*/false,
                                             /*sum_batch=*/true);
        } else if (t.kind == Term::Sum) {
          SmallVector<int64_t> axes{0};
          for (int64_t axis : t.axes)
            axes.push_back(axis + 1);
          part = outer.create<seq::ReduceSumOp>(
              loc, type, stackedValue(t.a), outer.getDenseI64ArrayAttr(axes));
        } else {
          continue;
        }
        total =
            total ? outer.create<seq::AddOp>(loc, type, total, part).getResult()
                  : part;
      }
      scan.getFinals()[acc.state].replaceAllUsesWith(total);
    }
    for (unsigned i = 0; i < m; ++i)
      if (keep[i])
        scan.getFinals()[i].replaceAllUsesWith(finals[i]);
    scan.erase();
    return newScan;
  }

  // Op handles have non-const accessors.
  mutable seq::ScanOp scan;
  Invariance invariance;
  SmallVector<Accumulator> accumulators;
};

struct HoistScanMatmulsPass
    : seqc::impl::SeqcHoistScanMatmulsBase<HoistScanMatmulsPass> {
  using SeqcHoistScanMatmulsBase::SeqcHoistScanMatmulsBase;

  void runOnOperation() override {
    // Post-order: inner scans before the scans whose bodies hold them.
    SmallVector<seq::ScanOp> scans;
    getOperation()->walk([&](seq::ScanOp scan) { scans.push_back(scan); });
    for (seq::ScanOp scan : scans) {
      if (!hasOnlyKnownAttributes(scan))
        continue;
      if (merge) {
        scan = mergeGateMatmuls(scan);
        scan = mergeSummedMatmuls(scan);
      }
      scan = Hoister(scan, hoistElementwise, hoistSaved).run();
      if (sink) {
        scan = Sinker(scan).run();
        scan = sinkOutputProducts(scan);
        if (merge)
          mergeGateGradients(scan);
      }
    }
    // Pairs of scans, once each is in its final form.
    if (merge) {
      SmallVector<seq::ScanOp> backwards;
      getOperation()->walk([&](seq::ScanOp scan) {
        if (hasOnlyKnownAttributes(scan))
          backwards.push_back(scan);
      });
      for (seq::ScanOp scan : backwards)
        reuseForwardProducts(scan);
    }
  }
};

} // namespace
