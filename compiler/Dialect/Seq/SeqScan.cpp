//===- SeqScan.cpp - seq.scan: verifier, canonicalization, BPTT -----------===//
//
// seq.scan is the recurrence over time. Its derivative is backpropagation
// through time:
//
//   forward (augmented)   the scan itself, with one more stacked output per
//                         state holding the state that enters each step
//                         (s[t-1]), so that the backward reads it instead of
//                         recomputing the sequence;
//   backward              a scan in the opposite direction whose states are
//                         the cotangents of the states (starting from those
//                         of the final states) and running sums of the
//                         captures' cotangents, whose sequences are the saved
//                         states, the forward sequences and the cotangents of
//                         the stacked outputs, and whose step recomputes the
//                         forward step from the saved state (a clone of the
//                         body) and runs the reverse sweep of the autodiff
//                         pass (ReverseSweep.h) over it. Its stacked outputs
//                         are the cotangents of the sequences.
//
//===----------------------------------------------------------------------===//
#include "seqc/Dialect/Seq/ReverseSweep.h"
#include "seqc/Dialect/Seq/SeqOps.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace seqc::seq;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

ScanOp ScanOp::createWithBody(OpBuilder &b, Location loc, TypeRange resultTypes,
                              ValueRange inits, ValueRange sequences,
                              ValueRange captures, bool reverse,
                              int64_t unroll) {
  auto scan = b.create<ScanOp>(loc, resultTypes, inits, sequences, captures,
                               reverse, static_cast<uint64_t>(unroll));
  SmallVector<Type> argTypes(inits.getTypes());
  for (Value s : sequences)
    argTypes.push_back(sliceType(s.getType()));
  llvm::append_range(argTypes, captures.getTypes());
  Block *block = new Block();
  scan.getBody().push_back(block);
  block->addArguments(argTypes, SmallVector<Location>(argTypes.size(), loc));
  return scan;
}

YieldOp ScanOp::getYield() {
  return cast<YieldOp>(getBodyBlock().getTerminator());
}

RankedTensorType ScanOp::sliceType(Type sequenceType) {
  auto type = cast<RankedTensorType>(sequenceType);
  return RankedTensorType::get(type.getShape().drop_front(),
                               type.getElementType());
}

RankedTensorType ScanOp::stackedType(int64_t time, Type stepType) {
  auto type = cast<RankedTensorType>(stepType);
  SmallVector<int64_t> shape{time};
  llvm::append_range(shape, type.getShape());
  return RankedTensorType::get(shape, type.getElementType());
}

int64_t ScanOp::getStaticTime() {
  for (Value s : getSequences()) {
    auto type = cast<RankedTensorType>(s.getType());
    if (type.getRank() > 0 && !type.isDynamicDim(0))
      return type.getDimSize(0);
  }
  return ShapedType::kDynamic;
}

static std::string sizeString(int64_t size) {
  return ShapedType::isDynamic(size) ? "?" : std::to_string(size);
}

//===----------------------------------------------------------------------===//
// Verification
//===----------------------------------------------------------------------===//

LogicalResult ScanOp::verify() {
  if (getSequences().empty())
    return emitOpError() << "expects at least one sequence: the number of "
                            "steps is the length of its leading axis";
  int64_t time = ShapedType::kDynamic;
  for (auto [i, s] : llvm::enumerate(getSequences())) {
    auto type = cast<RankedTensorType>(s.getType());
    if (type.getRank() == 0)
      return emitOpError() << "sequence #" << i
                           << " has rank 0; sequences are time-major with a "
                              "leading time axis";
    int64_t t = type.getDimSize(0);
    if (ShapedType::isDynamic(t))
      continue;
    if (!ShapedType::isDynamic(time) && t != time)
      return emitOpError() << "sequences disagree on the number of steps: "
                           << time << " and " << t << " (sequence #" << i
                           << ")";
    time = t;
  }
  unsigned m = getNumStates();
  if (getResults().size() < m)
    return emitOpError() << "has " << getResults().size()
                         << " results, fewer than its " << m << " states";
  for (unsigned i = 0; i < m; ++i)
    if (getFinals()[i].getType() != getInits()[i].getType())
      return emitOpError() << "final state #" << i << " has type "
                           << getFinals()[i].getType()
                           << ", but its init has type "
                           << getInits()[i].getType();
  if (getUnroll() < 1)
    return emitOpError() << "expects unroll >= 1, got " << getUnroll();
  return success();
}

LogicalResult ScanOp::verifyRegions() {
  Block &body = getBodyBlock();
  unsigned m = getNumStates(), k = getSequences().size(),
           c = getCaptures().size();
  if (body.getNumArguments() != m + k + c)
    return emitOpError() << "body has " << body.getNumArguments()
                         << " arguments, expected " << m + k + c << " (" << m
                         << " states, " << k << " slices, " << c
                         << " captures)";
  for (unsigned i = 0; i < m; ++i)
    if (body.getArgument(i).getType() != getInits()[i].getType())
      return emitOpError() << "body argument #" << i << " (state #" << i
                           << ") has type " << body.getArgument(i).getType()
                           << ", expected the init's type "
                           << getInits()[i].getType();
  for (unsigned j = 0; j < k; ++j) {
    Type expected = sliceType(getSequences()[j].getType());
    if (body.getArgument(m + j).getType() != expected)
      return emitOpError() << "body argument #" << m + j << " (slice of "
                           << "sequence #" << j << ") has type "
                           << body.getArgument(m + j).getType() << ", expected "
                           << expected
                           << " (the sequence's type without its time axis)";
  }
  for (unsigned j = 0; j < c; ++j)
    if (body.getArgument(m + k + j).getType() != getCaptures()[j].getType())
      return emitOpError() << "body argument #" << m + k + j << " (capture #"
                           << j << ") has type "
                           << body.getArgument(m + k + j).getType()
                           << ", expected " << getCaptures()[j].getType();

  auto yield = dyn_cast<YieldOp>(body.empty() ? nullptr : &body.back());
  if (!yield)
    return emitOpError() << "body must end with seq.yield";
  if (yield.getStates().size() != m)
    return yield.emitOpError() << "yields " << yield.getStates().size()
                               << " states, expected " << m;
  for (unsigned i = 0; i < m; ++i)
    if (yield.getStates()[i].getType() != getInits()[i].getType())
      return yield.emitOpError()
             << "state #" << i << " has type " << yield.getStates()[i].getType()
             << ", expected the init's type " << getInits()[i].getType();
  unsigned o = getNumOutputs();
  if (yield.getOuts().size() != o)
    return yield.emitOpError()
           << "yields " << yield.getOuts().size()
           << " per-step outputs, but the scan has " << o << " stacked outputs";
  int64_t time = getStaticTime();
  for (unsigned j = 0; j < o; ++j) {
    RankedTensorType expected = stackedType(time, yield.getOuts()[j].getType());
    if (getOutputs()[j].getType() != expected)
      return emitOpError() << "stacked output #" << j << " has type "
                           << getOutputs()[j].getType() << ", expected "
                           << expected << " (the per-step type with a leading "
                           << "time axis of size " << sizeString(time) << ")";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Canonicalization
//===----------------------------------------------------------------------===//

namespace {

/// Moves `scan`'s body into a new scan with `inits`, `resultTypes` and the
/// same sequences and captures; `keepState` and `keepOut` say which yield
/// operands stay. The caller has already erased what the dropped states'
/// block arguments fed and replaces `scan`'s results.
ScanOp rebuildScan(PatternRewriter &rewriter, ScanOp scan, ValueRange inits,
                   TypeRange resultTypes, ArrayRef<bool> keepState,
                   ArrayRef<bool> keepOut) {
  auto newScan = rewriter.create<ScanOp>(
      scan.getLoc(), resultTypes, inits, scan.getSequences(),
      scan.getCaptures(), scan.getReverse(), scan.getUnroll());
  rewriter.inlineRegionBefore(scan.getBody(), newScan.getBody(),
                              newScan.getBody().end());
  Block &body = newScan.getBodyBlock();
  auto yield = cast<YieldOp>(body.getTerminator());
  SmallVector<Value> states, outs;
  for (auto [v, keep] : llvm::zip(yield.getStates(), keepState))
    if (keep)
      states.push_back(v);
  for (auto [v, keep] : llvm::zip(yield.getOuts(), keepOut))
    if (keep)
      outs.push_back(v);
  rewriter.setInsertionPoint(yield);
  rewriter.replaceOpWithNewOp<YieldOp>(yield, states, outs);
  for (int64_t i = keepState.size() - 1; i >= 0; --i)
    if (!keepState[i])
      body.eraseArgument(i);
  return newScan;
}

/// Drops stacked outputs nobody reads, and states whose final value nobody
/// reads and that feed nothing but their own next value (such as the running
/// sum of a capture's cotangent that the gradient does not need).
struct DropUnusedScanResults : OpRewritePattern<ScanOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ScanOp scan,
                                PatternRewriter &rewriter) const override {
    unsigned m = scan.getNumStates(), o = scan.getNumOutputs();
    Block &body = scan.getBodyBlock();
    YieldOp yield = scan.getYield();

    SmallVector<bool> keepOut(o, true);
    for (unsigned j = 0; j < o; ++j)
      keepOut[j] = !scan.getOutputs()[j].use_empty();

    // A dead state's block argument reaches only ops whose results reach
    // nothing but those ops and the state's own yield operand.
    SmallVector<bool> keepState(m, true);
    SmallVector<SmallVector<Operation *>> deadOps(m);
    for (unsigned i = 0; i < m; ++i) {
      if (!scan.getFinals()[i].use_empty())
        continue;
      llvm::SetVector<Operation *> closure;
      SmallVector<Value> worklist{body.getArgument(i)};
      bool dead = true;
      while (!worklist.empty() && dead) {
        Value v = worklist.pop_back_val();
        for (OpOperand &use : v.getUses()) {
          Operation *user = use.getOwner();
          if (user->getBlock() != &body) {
            dead = false;
            break;
          }
          if (user == yield.getOperation()) {
            dead &= use.getOperandNumber() == i;
            continue;
          }
          if (!isMemoryEffectFree(user)) {
            dead = false;
            break;
          }
          if (closure.insert(user))
            llvm::append_range(worklist, user->getResults());
        }
      }
      if (!dead)
        continue;
      keepState[i] = false;
      deadOps[i].assign(closure.begin(), closure.end());
    }
    if (llvm::all_of(keepOut, [](bool k) { return k; }) &&
        llvm::all_of(keepState, [](bool k) { return k; }))
      return failure();

    SmallVector<Value> inits;
    SmallVector<Type> types;
    for (unsigned i = 0; i < m; ++i)
      if (keepState[i]) {
        inits.push_back(scan.getInits()[i]);
        types.push_back(scan.getFinals()[i].getType());
      }
    for (unsigned j = 0; j < o; ++j)
      if (keepOut[j])
        types.push_back(scan.getOutputs()[j].getType());

    // Detach the dead states from the yield, then erase what only they read.
    SmallVector<Value> states, outs;
    for (unsigned i = 0; i < m; ++i)
      states.push_back(keepState[i] ? yield.getStates()[i]
                                    : body.getArgument(i));
    rewriter.setInsertionPoint(yield);
    yield =
        rewriter.replaceOpWithNewOp<YieldOp>(yield, states, yield.getOuts());
    llvm::SetVector<Operation *> toErase;
    for (auto &ops : deadOps)
      toErase.insert(ops.begin(), ops.end());
    SmallVector<Operation *> erased;
    for (Operation &op : body.without_terminator())
      if (toErase.contains(&op))
        erased.push_back(&op);
    for (Operation *op : llvm::reverse(erased))
      rewriter.eraseOp(op);

    rewriter.setInsertionPoint(scan);
    ScanOp newScan =
        rebuildScan(rewriter, scan, inits, types, keepState, keepOut);
    SmallVector<Value> replacements;
    unsigned next = 0;
    for (unsigned i = 0; i < m; ++i)
      replacements.push_back(keepState[i] ? newScan.getResult(next++)
                                          : Value());
    for (unsigned j = 0; j < o; ++j)
      replacements.push_back(keepOut[j] ? newScan.getResult(next++) : Value());
    for (auto [old, repl] : llvm::zip(scan.getResults(), replacements))
      if (repl)
        rewriter.replaceAllUsesWith(old, repl);
    rewriter.eraseOp(scan);
    return success();
  }
};

} // namespace

void ScanOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                         MLIRContext *context) {
  results.add<DropUnusedScanResults>(context);
}

//===----------------------------------------------------------------------===//
// Derivative: backpropagation through time
//===----------------------------------------------------------------------===//

static bool isFloatTensor(Value v) {
  return isa<FloatType>(cast<ShapedType>(v.getType()).getElementType());
}

LogicalResult ScanOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                               SmallVectorImpl<Value> &operandGrads) {
  Location loc = getLoc();
  unsigned m = getNumStates(), k = getSequences().size(),
           c = getCaptures().size(), o = getNumOutputs();
  int64_t time = getStaticTime();
  YieldOp yield = getYield();

  // 1. The augmented forward scan: the same step, which also outputs the
  // states it starts from. It takes the place of this scan, which the sweep
  // erases once the rule is done.
  ValueRange saved;
  if (m > 0) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(*this);
    SmallVector<Type> types(getResultTypes());
    for (Value init : getInits())
      types.push_back(stackedType(time, init.getType()));
    ScanOp forward = createWithBody(b, loc, types, getInits(), getSequences(),
                                    getCaptures(), getReverse(), getUnroll());
    IRMapping map;
    map.map(getBodyBlock().getArguments(),
            forward.getBodyBlock().getArguments());
    b.setInsertionPointToStart(&forward.getBodyBlock());
    for (Operation &op : getBodyBlock().without_terminator())
      b.clone(op, map);
    SmallVector<Value> outs;
    for (Value v : yield.getOuts())
      outs.push_back(map.lookupOrDefault(v));
    llvm::append_range(outs, forward.getStateArgs());
    SmallVector<Value> states;
    for (Value v : yield.getStates())
      states.push_back(map.lookupOrDefault(v));
    b.create<YieldOp>(loc, states, outs);
    replaceAllUsesWith(forward.getResults().take_front(getNumResults()));
    saved = forward.getResults().take_back(m);
  }

  // 2. The backward scan.
  SmallVector<unsigned> diffSequences, diffCaptures, givenOutputs;
  for (unsigned j = 0; j < k; ++j)
    if (isFloatTensor(getSequences()[j]))
      diffSequences.push_back(j);
  for (unsigned j = 0; j < c; ++j)
    if (isFloatTensor(getCaptures()[j]))
      diffCaptures.push_back(j);
  for (unsigned j = 0; j < o; ++j)
    if (resultGrads[m + j])
      givenOutputs.push_back(j);

  // States: the states' cotangents, then the captures' running sums.
  SmallVector<Value> inits;
  for (unsigned i = 0; i < m; ++i)
    inits.push_back(resultGrads[i] ? resultGrads[i]
                                   : zerosLike(b, loc, getInits()[i]));
  for (unsigned j : diffCaptures)
    inits.push_back(zerosLike(b, loc, getCaptures()[j]));
  // Sequences: the saved states, the forward sequences, the outputs'
  // cotangents.
  SmallVector<Value> sequences(saved.begin(), saved.end());
  llvm::append_range(sequences, getSequences());
  for (unsigned j : givenOutputs)
    sequences.push_back(resultGrads[m + j]);
  SmallVector<Type> types(ValueRange(inits).getTypes());
  for (unsigned j : diffSequences)
    types.push_back(stackedType(time, sliceType(getSequences()[j].getType())));

  ScanOp backward = createWithBody(b, loc, types, inits, sequences,
                                   getCaptures(), !getReverse(), getUnroll());
  Block &body = backward.getBodyBlock();
  unsigned numCaps = diffCaptures.size();
  auto stateCots = body.getArguments().take_front(m);
  auto capSums = body.getArguments().slice(m, numCaps);
  auto savedStates = body.getArguments().slice(m + numCaps, m);
  auto slices = body.getArguments().slice(m + numCaps + m, k);
  auto outCots =
      body.getArguments().slice(m + numCaps + m + k, givenOutputs.size());
  auto captures = body.getArguments().take_back(c);

  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&body);
    // (a) The forward step again, from the saved state.
    IRMapping map;
    map.map(getStateArgs(), savedStates);
    map.map(getSliceArgs(), slices);
    map.map(getCaptureArgs(), captures);
    SmallVector<Operation *> step;
    for (Operation &op : getBodyBlock().without_terminator())
      step.push_back(b.clone(op, map));

    // (b) Its reverse sweep, seeded with the cotangents of the new states
    // and of the step's outputs.
    SmallVector<Value> wrt(savedStates.begin(), savedStates.end());
    for (unsigned j : diffSequences)
      wrt.push_back(slices[j]);
    for (unsigned j : diffCaptures)
      wrt.push_back(captures[j]);
    ReverseSweep sweep(step, wrt);
    for (unsigned i = 0; i < m; ++i)
      sweep.seed(b, loc, map.lookupOrDefault(yield.getStates()[i]),
                 stateCots[i]);
    for (auto [n, j] : llvm::enumerate(givenOutputs))
      sweep.seed(b, loc, map.lookupOrDefault(yield.getOuts()[j]), outCots[n]);
    if (failed(sweep.run(b)))
      return failure();

    auto cotangentOf = [&](Value v) {
      Value g = sweep.cotangent(v);
      return g ? g : zerosLike(b, loc, v);
    };
    SmallVector<Value> newStates, outs;
    for (Value s : savedStates)
      newStates.push_back(cotangentOf(s));
    for (auto [n, j] : llvm::enumerate(diffCaptures)) {
      Value g = sweep.cotangent(captures[j]);
      newStates.push_back(
          g ? b.create<AddOp>(loc, capSums[n].getType(), capSums[n], g)
                  .getResult()
            : Value(capSums[n]));
    }
    for (unsigned j : diffSequences)
      outs.push_back(cotangentOf(slices[j]));
    b.create<YieldOp>(loc, newStates, outs);
  }

  operandGrads.assign(m + k + c, Value());
  for (unsigned i = 0; i < m; ++i)
    operandGrads[i] = backward.getResult(i);
  for (auto [n, j] : llvm::enumerate(diffCaptures))
    operandGrads[m + k + j] = backward.getResult(m + n);
  for (auto [n, j] : llvm::enumerate(diffSequences)) {
    // A sequence whose time axis is dynamic while another's is static.
    Value g = backward.getResult(m + numCaps + n);
    Type type = getSequences()[j].getType();
    operandGrads[m + j] =
        g.getType() == type ? g : b.create<tensor::CastOp>(loc, type, g);
  }
  return success();
}
