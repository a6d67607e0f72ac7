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
// `tbptt = k` multiplies the state cotangents that the backward step passes
// on by a per-step 0/1 sequence, 0 where a window of k steps starts.
// `checkpoint = k` first splits the scan into an outer scan over segments of
// k steps, whose body is the scan over one segment, and a scan over the
// remaining T mod k steps; BPTT of the outer scan then saves only the state
// entering each segment and recomputes a segment's states (the inner scan's
// own BPTT, in the outer backward's step) just before it needs them.
//
//===----------------------------------------------------------------------===//
#include "seqc/Dialect/Seq/ReverseSweep.h"
#include "seqc/Dialect/Seq/SeqOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"
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
  if (static_cast<int64_t>(getTbptt()) < 0)
    return emitOpError() << "expects tbptt >= 0 (0: off), got "
                         << static_cast<int64_t>(getTbptt());
  if (static_cast<int64_t>(getCheckpoint()) < 0)
    return emitOpError() << "expects checkpoint >= 0 (0: save every state), "
                            "got "
                         << static_cast<int64_t>(getCheckpoint());
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
      scan.getCaptures(), scan.getReverse(), scan.getUnroll(), scan.getTbptt(),
      scan.getCheckpoint());
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

/// The factor of the state cotangents that step t passes on under `tbptt =
/// k`: 0 where the step's index in processing order is a multiple of k, 1
/// elsewhere; a [T] sequence of `elementType`, indexed by t. Generated rather
/// than a dense constant even for a static T: a constant in a scan's body
/// would become a global that the lowered loop reads.
static Value truncationFactors(OpBuilder &b, Location loc, ScanOp scan,
                               Type elementType, int64_t k) {
  int64_t time = scan.getStaticTime();
  bool reverse = scan.getReverse();
  bool dynamic = ShapedType::isDynamic(time);
  Value steps =
      dynamic
          ? b.create<tensor::DimOp>(loc, scan.getSequences()[0], 0).getResult()
          : b.create<arith::ConstantIndexOp>(loc, time).getResult();
  auto type = RankedTensorType::get({time}, elementType);
  return b.create<tensor::GenerateOp>(
      loc, type, dynamic ? ValueRange{steps} : ValueRange{},
      [&](OpBuilder &nb, Location l, ValueRange ivs) {
        Value p = ivs[0];
        if (reverse)
          p = nb.create<arith::SubIOp>(
              l,
              nb.create<arith::SubIOp>(l, steps,
                                       nb.create<arith::ConstantIndexOp>(l, 1)),
              p);
        Value rem = nb.create<arith::RemUIOp>(
            l, p, nb.create<arith::ConstantIndexOp>(l, k));
        Value starts =
            nb.create<arith::CmpIOp>(l, arith::CmpIPredicate::eq, rem,
                                     nb.create<arith::ConstantIndexOp>(l, 0));
        Value zero =
            nb.create<arith::ConstantOp>(l, nb.getFloatAttr(elementType, 0.0));
        Value one =
            nb.create<arith::ConstantOp>(l, nb.getFloatAttr(elementType, 1.0));
        nb.create<tensor::YieldOp>(
            l, nb.create<arith::SelectOp>(l, starts, zero, one).getResult());
      });
}

/// The segment length of `checkpoint` (0: off), a multiple of the `tbptt`
/// window so that every segment starts a window.
static int64_t segmentLength(ScanOp scan) {
  int64_t k = scan.getCheckpoint(), window = scan.getTbptt();
  if (k > 0 && window > 0)
    k = llvm::divideCeil(k, window) * window;
  return k;
}

LogicalResult ScanOp::buildVJP(OpBuilder &b, ValueRange resultGrads,
                               SmallVectorImpl<Value> &operandGrads) {
  // Checkpointing pays when there is a state to save and more than one
  // segment.
  int64_t k = segmentLength(*this), time = getStaticTime();
  if (k > 0 && getNumStates() > 0 && (ShapedType::isDynamic(time) || time > k))
    return buildCheckpointedBPTT(b, resultGrads, operandGrads);
  return buildBPTT(b, resultGrads, operandGrads);
}

LogicalResult ScanOp::buildBPTT(OpBuilder &b, ValueRange resultGrads,
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
  // With tbptt, the factors of the state cotangents, one per element type.
  int64_t window = getTbptt();
  SmallVector<Type> factorTypes;
  if (window > 0)
    for (Value init : getInits()) {
      Type type = getElementTypeOrSelf(init.getType());
      if (!llvm::is_contained(factorTypes, type)) {
        factorTypes.push_back(type);
        sequences.push_back(truncationFactors(b, loc, *this, type, window));
      }
    }
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
  auto factors = body.getArguments().slice(
      m + numCaps + m + k + givenOutputs.size(), factorTypes.size());
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
    for (Value s : savedStates) {
      Value g = cotangentOf(s);
      if (window > 0) {
        // A window starts here: nothing flows into the state before it.
        auto *it = llvm::find(factorTypes, getElementTypeOrSelf(g.getType()));
        g = b.create<MulOp>(loc, g.getType(), factors[it - factorTypes.begin()],
                            g);
      }
      newStates.push_back(g);
    }
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

//===----------------------------------------------------------------------===//
// Derivative with checkpoints: segments recomputed from their first state
//===----------------------------------------------------------------------===//

/// A copy of `from`'s body (its terminator included) into the empty body of
/// `to`, whose block arguments stand for `from`'s.
static void cloneBodyInto(OpBuilder &b, ScanOp from, ScanOp to) {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&to.getBodyBlock());
  IRMapping map;
  map.map(from.getBodyBlock().getArguments(), to.getBodyBlock().getArguments());
  for (Operation &op : from.getBodyBlock())
    b.clone(op, map);
}

namespace {
/// The split of T steps into S segments of k and r = T - S k remaining steps
/// (static sizes as attributes). The segments are the S k steps processed
/// first: t in [0, S k) forward, [r, T) with `reverse`.
struct Segments {
  int64_t k;
  OpFoldResult steps, count, covered, rest, mainOffset, restOffset;
  int64_t staticCount, staticRest; // or ShapedType::kDynamic
  bool hasRest;

  Segments(OpBuilder &b, Location loc, ScanOp scan, int64_t k) : k(k) {
    int64_t time = scan.getStaticTime();
    Value t = ShapedType::isDynamic(time)
                  ? b.create<tensor::DimOp>(loc, scan.getSequences()[0], 0)
                        .getResult()
                  : b.create<arith::ConstantIndexOp>(loc, time).getResult();
    Value kv = b.create<arith::ConstantIndexOp>(loc, k);
    Value s = b.createOrFold<arith::DivUIOp>(loc, t, kv);
    Value sk = b.createOrFold<arith::MulIOp>(loc, s, kv);
    Value r = b.createOrFold<arith::SubIOp>(loc, t, sk);
    steps = getAsOpFoldResult(t);
    count = getAsOpFoldResult(s);
    covered = getAsOpFoldResult(sk);
    rest = getAsOpFoldResult(r);
    mainOffset = scan.getReverse() ? rest : b.getIndexAttr(0);
    restOffset = scan.getReverse() ? OpFoldResult(b.getIndexAttr(0)) : covered;
    staticCount = getConstantIntValue(count).value_or(ShapedType::kDynamic);
    staticRest = getConstantIntValue(rest).value_or(ShapedType::kDynamic);
    hasRest = staticRest != 0;
  }

  /// `value[offset : offset + length]` along the time axis.
  Value slice(OpBuilder &b, Location loc, Value value, OpFoldResult offset,
              OpFoldResult length) const {
    auto type = cast<RankedTensorType>(value.getType());
    SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, value);
    SmallVector<OpFoldResult> strides(type.getRank(), b.getIndexAttr(1));
    offsets[0] = offset;
    sizes[0] = length;
    return b.create<tensor::ExtractSliceOp>(loc, value, offsets, sizes,
                                            strides);
  }

  /// The segments' part of a [T, ...] value as [S, k, ...].
  Value segmented(OpBuilder &b, Location loc, Value value) const {
    Value part = slice(b, loc, value, mainOffset, covered);
    auto type = cast<RankedTensorType>(part.getType());
    SmallVector<int64_t> shape{staticCount, k};
    llvm::append_range(shape, type.getShape().drop_front());
    SmallVector<ReassociationIndices> groups{{0, 1}};
    SmallVector<OpFoldResult> sizes{count, b.getIndexAttr(k)};
    for (int64_t axis = 1; axis < type.getRank(); ++axis) {
      groups.push_back({axis + 1});
      sizes.push_back(tensor::getMixedSizes(b, loc, part)[axis]);
    }
    return b.create<tensor::ExpandShapeOp>(
        loc, RankedTensorType::get(shape, type.getElementType()), part, groups,
        sizes);
  }

  /// The remaining steps' part of a [T, ...] value.
  Value remaining(OpBuilder &b, Location loc, Value value) const {
    return slice(b, loc, value, restOffset, rest);
  }

  /// The [T, ...] value of type `type` made of the segments' part `main`
  /// ([S, k, ...]) and the remaining steps' part `tail` (null: none).
  Value join(OpBuilder &b, Location loc, Value main, Value tail,
             Type type) const {
    auto mainType = cast<RankedTensorType>(main.getType());
    SmallVector<ReassociationIndices> groups{{0, 1}};
    for (int64_t axis = 2; axis < mainType.getRank(); ++axis)
      groups.push_back({axis});
    Value joined = b.create<tensor::CollapseShapeOp>(loc, main, groups);
    if (tail) {
      auto resultType = cast<RankedTensorType>(type);
      SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, joined);
      sizes[0] = steps;
      Value empty =
          b.create<tensor::EmptyOp>(loc, sizes, resultType.getElementType());
      auto insert = [&](Value part, OpFoldResult offset, Value into) {
        auto rank = resultType.getRank();
        SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
        SmallVector<OpFoldResult> strides(rank, b.getIndexAttr(1));
        offsets[0] = offset;
        return b.create<tensor::InsertSliceOp>(
            loc, part, into, offsets, tensor::getMixedSizes(b, loc, part),
            strides);
      };
      joined = insert(joined, mainOffset, empty);
      joined = insert(tail, restOffset, joined);
    }
    if (joined.getType() != type)
      joined = b.create<tensor::CastOp>(loc, type, joined);
    return joined;
  }
};
} // namespace

LogicalResult
ScanOp::buildCheckpointedBPTT(OpBuilder &b, ValueRange resultGrads,
                              SmallVectorImpl<Value> &operandGrads) {
  Location loc = getLoc();
  unsigned m = getNumStates(), n = getSequences().size(),
           c = getCaptures().size(), o = getNumOutputs();
  int64_t k = segmentLength(*this);
  bool reverse = getReverse();
  OpBuilder::InsertPoint backwardPoint = b.saveInsertionPoint();

  // 1. The same recurrence in two parts, in place of this scan: an outer
  // scan over the segments whose step is the scan over one segment, then a
  // scan over the remaining steps. Each part carries `tbptt` (a segment
  // starts a window) and none carries `checkpoint`.
  b.setInsertionPoint(*this);
  Segments segments(b, loc, *this, k);
  SmallVector<Value> mainSequences, restSequences;
  for (Value s : getSequences()) {
    mainSequences.push_back(segments.segmented(b, loc, s));
    if (segments.hasRest)
      restSequences.push_back(segments.remaining(b, loc, s));
  }
  SmallVector<Type> outerTypes(getInits().getTypes()),
      innerTypes(getInits().getTypes()), restTypes(getInits().getTypes());
  for (Value out : getYield().getOuts()) {
    innerTypes.push_back(stackedType(k, out.getType()));
    outerTypes.push_back(stackedType(segments.staticCount, innerTypes.back()));
    restTypes.push_back(stackedType(segments.staticRest, out.getType()));
  }
  ScanOp outer = createWithBody(b, loc, outerTypes, getInits(), mainSequences,
                                getCaptures(), reverse);
  {
    OpBuilder::InsertionGuard guard(b);
    Block &body = outer.getBodyBlock();
    b.setInsertionPointToStart(&body);
    ScanOp inner = createWithBody(b, loc, innerTypes, outer.getStateArgs(),
                                  outer.getSliceArgs(), outer.getCaptureArgs(),
                                  reverse, getUnroll());
    inner.setTbptt(getTbptt());
    cloneBodyInto(b, *this, inner);
    b.create<YieldOp>(loc, inner.getFinals(), inner.getOutputs());
  }
  ScanOp rest;
  if (segments.hasRest) {
    rest = createWithBody(b, loc, restTypes, outer.getFinals(), restSequences,
                          getCaptures(), reverse, getUnroll());
    rest.setTbptt(getTbptt());
    cloneBodyInto(b, *this, rest);
  }
  SmallVector<Value> results(rest ? rest.getFinals() : outer.getFinals());
  for (unsigned j = 0; j < o; ++j)
    results.push_back(segments.join(b, loc, outer.getOutputs()[j],
                                    rest ? rest.getOutputs()[j] : Value(),
                                    getOutputs()[j].getType()));
  replaceAllUsesWith(results);

  // 2. Their derivatives in reverse order, the remaining steps first. Each
  // part's BPTT replaces it by its augmented copy.
  b.restoreInsertionPoint(backwardPoint);
  SmallVector<Value> outerGrads(resultGrads.take_front(m));
  SmallVector<Value> restOperandGrads;
  if (rest) {
    SmallVector<Value> restGrads(resultGrads.take_front(m));
    for (Value g : resultGrads.drop_front(m))
      restGrads.push_back(g ? segments.remaining(b, loc, g) : Value());
    if (failed(rest.buildBPTT(b, restGrads, restOperandGrads)))
      return failure();
    assert(rest->use_empty() && "BPTT replaces the scan");
    rest.erase();
    outerGrads.assign(restOperandGrads.begin(), restOperandGrads.begin() + m);
  }
  for (Value g : resultGrads.drop_front(m))
    outerGrads.push_back(g ? segments.segmented(b, loc, g) : Value());
  SmallVector<Value> outerOperandGrads;
  if (failed(outer.buildBPTT(b, outerGrads, outerOperandGrads)))
    return failure();
  assert(outer->use_empty() && "BPTT replaces the scan");
  outer.erase();

  operandGrads.assign(m + n + c, Value());
  for (unsigned i = 0; i < m; ++i)
    operandGrads[i] = outerOperandGrads[i];
  for (unsigned j = 0; j < n; ++j) {
    Value g = outerOperandGrads[m + j];
    if (!g)
      continue;
    operandGrads[m + j] =
        segments.join(b, loc, g, rest ? restOperandGrads[m + j] : Value(),
                      getSequences()[j].getType());
  }
  for (unsigned j = 0; j < c; ++j) {
    Value g = outerOperandGrads[m + n + j];
    Value h = rest ? restOperandGrads[m + n + j] : Value();
    operandGrads[m + n + j] =
        g && h ? b.create<AddOp>(loc, g.getType(), g, h).getResult()
               : (g ? g : h);
  }
  return success();
}
