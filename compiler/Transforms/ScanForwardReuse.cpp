//===- ScanForwardReuse.cpp - Forward products read back ------------------===//
//
// seqc-hoist-scan-matmuls, on pairs of scans: a product that the backward
// scan of BPTT recomputes from a saved state becomes a read of the forward
// scan's product, which the forward outputs as a new sequence.
//
//===----------------------------------------------------------------------===//
#include "HoistScanMatmuls.h"

#include "seqc/Dialect/Seq/SeqOps.h"

#include "llvm/ADT/MapVector.h"

using namespace mlir;
using namespace seqc::hoist;
namespace seq = seqc::seq;

namespace {

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

} // namespace

/// The backward scan of BPTT recomputes, at each step, the forward step's
/// products from the saved states: h[t-1] @ [Wi; Wf; Wg; Wc]^T again. Such a
/// product of `backward` whose lhs is a sequence that `forward` outputs (the
/// forward's per-step value v) and whose rhs is a capture that the forward
/// also multiplies v with becomes a read of the forward's product, which
/// the forward now outputs as well: memory ([T, N, 4H]) for a GEMM per
/// step. Scans with options beyond reverse/unroll (checkpointing, truncation)
/// are left alone: they recompute on purpose.
void seqc::hoist::reuseForwardProducts(seq::ScanOp backward) {
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
