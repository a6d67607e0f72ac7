//===- ScanHoisting.cpp - Work moved before a scan ------------------------===//
//
// seqc-hoist-scan-matmuls, hoisting: per-step products that depend on no
// carried state (the input projections) become one GEMM over T*N rows
// before the loop, read by the body as a new sequence, and the
// state-independent elementwise ops that consume them follow.
//
//===----------------------------------------------------------------------===//
#include "HoistScanMatmuls.h"

#include "seqc/Dialect/Seq/SeqOps.h"

#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace seqc::hoist;
namespace seq = seqc::seq;

namespace {

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

} // namespace

seq::ScanOp seqc::hoist::hoistInvariantWork(seq::ScanOp scan, bool elementwise,
                                            bool fromSavedStates) {
  return Hoister(scan, elementwise, fromSavedStates).run();
}
