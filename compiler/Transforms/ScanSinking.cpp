//===- ScanSinking.cpp - Work moved after a scan --------------------------===//
//
// seqc-hoist-scan-matmuls, sinking: accumulated weight gradients
// (acc + g^T x per step) become one GEMM with K = T*N after the loop, and a
// per-step output that is only a product with a capture one GEMM over T*N
// rows.
//
//===----------------------------------------------------------------------===//
#include "HoistScanMatmuls.h"

#include "seqc/Dialect/Seq/SeqOps.h"

#include "mlir/IR/Matchers.h"
#include "llvm/ADT/MapVector.h"

#include <optional>

using namespace mlir;
using namespace seqc::hoist;
namespace seq = seqc::seq;

namespace {

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

} // namespace

/// A per-step output that is nothing but a product of a body value with a
/// capture, out[t] = a[t] @ W (BPTT's dx), becomes one GEMM over all steps
/// after the loop: the scan outputs a[t] instead.
seq::ScanOp seqc::hoist::sinkOutputProducts(seq::ScanOp scan) {
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

seq::ScanOp seqc::hoist::sinkAccumulators(seq::ScanOp scan) {
  return Sinker(scan).run();
}
