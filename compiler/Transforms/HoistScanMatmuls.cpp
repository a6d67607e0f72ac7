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
// This file is the pass and the helpers the rewrites share; each rewrite has
// a file of its own (HoistScanMatmuls.h).
//
//===----------------------------------------------------------------------===//
#include "HoistScanMatmuls.h"
#include "seqc/Transforms/Passes.h"

#include "seqc/Dialect/Seq/SeqOps.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace seqc {
#define GEN_PASS_DEF_SEQCHOISTSCANMATMULS
#include "seqc/Transforms/Passes.h.inc"
} // namespace seqc

using namespace mlir;
using namespace seqc::hoist;
namespace seq = seqc::seq;

bool seqc::hoist::hasOnlyKnownAttributes(seq::ScanOp scan) {
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

seq::ScanOp seqc::hoist::rebuild(OpBuilder &b, seq::ScanOp scan,
                                 ValueRange inits, ValueRange sequences,
                                 TypeRange types) {
  auto newScan = b.create<seq::ScanOp>(scan.getLoc(), types, inits, sequences,
                                       scan.getCaptures(), scan.getReverse(),
                                       scan.getUnroll());
  newScan.getBody().takeBody(scan.getBody());
  return newScan;
}

void seqc::hoist::eraseDeadOps(Block &body) {
  SmallVector<Operation *> ops;
  for (Operation &op : body.without_terminator())
    ops.push_back(&op);
  for (Operation *op : llvm::reverse(ops))
    if (op->use_empty() && isMemoryEffectFree(op))
      op->erase();
}

Value seqc::hoist::captureOf(seq::ScanOp scan, Value arg) {
  unsigned firstCapture =
      scan.getBodyBlock().getNumArguments() - scan.getCaptures().size();
  return scan
      .getCaptures()[cast<BlockArgument>(arg).getArgNumber() - firstCapture];
}

Invariance::Invariance(seq::ScanOp scan) {
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

namespace {

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
      scan = hoistInvariantWork(scan, hoistElementwise, hoistSaved);
      if (sink) {
        scan = sinkAccumulators(scan);
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
