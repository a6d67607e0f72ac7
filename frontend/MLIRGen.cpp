//===- MLIRGen.cpp - Typed IR to the seq dialect --------------------------===//
//
// Sema has already inlined every call and checked every shape, so this is a
// node-by-node translation. Its one real job is the batch dimension: the typed
// IR speaks of one instance, the emitted IR of a batch. A value that depends
// on an input gets a leading dynamic axis; per-instance axes shift by one;
// matrix-vector products with a shared weight become one GEMM over the batch.
//
//===----------------------------------------------------------------------===//
#include "seqc/Frontend/MLIRGen.h"
#include "seqc/Spec/TrainSpec.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "seqc/Dialect/Seq/SeqOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

#include <functional>

using namespace mlir;
using namespace seqc;
namespace seq = seqc::seq;

namespace {

/// Whether a node of a Scan's step depends on the step's arguments (a
/// state, an input at t), memoized. What does not is read from outside the
/// step: a capture of the seq.scan.
class StepDependence {
public:
  bool operator()(const tir::Node *node) {
    auto it = known.find(node);
    if (it != known.end())
      return it->second;
    bool depends = node->kind == tir::NodeKind::StepArg;
    for (const tir::Node *operand : node->operands)
      depends |= (*this)(operand);
    return known[node] = depends;
  }

private:
  llvm::DenseMap<const tir::Node *, bool> known;
};

class Generator {
public:
  Generator(MLIRContext &context, const tir::Program &program,
            const MLIRGenOptions &options)
      : builder(&context), program(program), options(options) {
    elemType = options.floatWidth == 64 ? (Type)builder.getF64Type()
                                        : (Type)builder.getF32Type();
  }

  OwningOpRef<ModuleOp> run() {
    Location loc = location(program.modelLoc);
    OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
    module->getOperation()->setAttr(seq::kModelAttr,
                                    builder.getStringAttr(program.modelName));
    builder.setInsertionPointToEnd(module->getBody());
    for (const tir::EntryPoint &entry : program.entries) {
      if (failed(emitEntry(entry, entry.name, StateMode::None)))
        return nullptr;
      if (options.generation && entry.name == "forward" && generative(entry)) {
        if (failed(emitEntry(entry, "forward_start", StateMode::Return)) ||
            failed(emitEntry(entry, "forward_step", StateMode::Take)))
          return nullptr;
      }
    }
    if (failed(verify(*module)))
      return nullptr;
    return module;
  }

private:
  OpBuilder builder;
  const tir::Program &program;
  const MLIRGenOptions &options;
  Type elemType;

  /// How an entry's scans treat their states: start from the cells'
  /// initial values, and also return the final states (Return), or start
  /// from states given as inputs and return the final ones (Take).
  enum class StateMode { None, Return, Take };
  StateMode stateMode = StateMode::None;
  std::string currentEntry;
  SmallVector<Value> stateInputs; // Take: the state arguments, in order
  size_t nextStateInput = 0;
  SmallVector<Value> finalStates; // Return, Take: in the order scans run
  int steppedTime = 0;            // Return, Take: the decoder's time axis
  Value attentionWeights;         // Return, Take: of the first decoder scan

  /// The Scan nodes of `entry` in the order emit() reaches them (operands
  /// first, left to right).
  static std::vector<const tir::Node *> scansOf(const tir::EntryPoint &entry) {
    std::vector<const tir::Node *> scans;
    llvm::DenseSet<const tir::Node *> seen;
    std::function<void(const tir::Node *)> visit = [&](const tir::Node *n) {
      if (!seen.insert(n).second)
        return;
      for (const tir::Node *operand : n->operands)
        visit(operand);
      if (n->kind == tir::NodeKind::Scan)
        scans.push_back(n);
    };
    visit(entry.result);
    return scans;
  }

  /// The time axis that generation steps along: the last sequence input's
  /// (the decoder's input of an encoder-decoder, the only one of a language
  /// model). Cells over other axes (the encoder) run whole at every step.
  static int decoderTime(const tir::EntryPoint &entry) {
    int time = 0;
    for (const tir::Input &input : entry.inputs)
      if (input.type.sequence)
        time = std::max(time, input.type.time);
    return time;
  }

  /// The scans that carry states from one generation step to the next.
  static std::vector<const tir::Node *>
  steppedScansOf(const tir::EntryPoint &entry) {
    std::vector<const tir::Node *> scans = scansOf(entry);
    int time = decoderTime(entry);
    llvm::erase_if(scans,
                   [&](const tir::Node *n) { return n->type.time != time; });
    return scans;
  }

  /// The attention weights of a decoder's step, for pictures: its first
  /// softmax over time that depends on the step (a seq<[]> over the
  /// source's steps), or null.
  static const tir::Node *attentionOf(const tir::Node &scan) {
    const tir::ScanStep &step = *scan.scan;
    StepDependence dependsOnStep;
    std::vector<const tir::Node *> work = {step.out};
    llvm::append_range(work, step.newStates);
    llvm::DenseSet<const tir::Node *> seen;
    const tir::Node *found = nullptr;
    while (!work.empty()) {
      const tir::Node *n = work.back();
      work.pop_back();
      if (!seen.insert(n).second || !dependsOnStep(n))
        continue;
      if (n->kind == tir::NodeKind::SoftmaxOverTime && n->type.rank() == 0)
        found = n; // the last one met in this order is the first computed
      for (const tir::Node *operand : n->operands)
        work.push_back(operand);
    }
    return found;
  }

  /// A forward that can be run one step at a time: it has cells along the
  /// decoder's time axis, and all of them run forward in time.
  static bool generative(const tir::EntryPoint &entry) {
    std::vector<const tir::Node *> scans = steppedScansOf(entry);
    return !scans.empty() && llvm::none_of(scans, [](const tir::Node *n) {
      return n->scan->reverse;
    });
  }

  /// The carried states of a Scan: the cell's states, and its output when
  /// that is not one of them (so that Last can read it).
  SmallVector<RankedTensorType> scanStateTypes(const tir::Node &node) {
    const tir::ScanStep &step = *node.scan;
    SmallVector<RankedTensorType> types;
    for (const tir::Node *state : step.stateArgs)
      types.push_back(tensorType(state->type));
    if (!llvm::is_contained(step.newStates, step.out))
      types.push_back(tensorType(step.out->type));
    return types;
  }
  llvm::DenseMap<const tir::Node *, Value> values;
  SmallVector<Value> paramArgs, inputArgs;

  Location location(const tir::Loc &loc) {
    if (loc.file.empty())
      return builder.getUnknownLoc();
    return FileLineColLoc::get(builder.getStringAttr(loc.file), loc.line,
                               loc.col);
  }

  /// The tensor type of a typed-IR value: its per-instance shape, with a
  /// leading dynamic batch axis when it depends on an input.
  RankedTensorType tensorType(const tir::Type &type) {
    SmallVector<int64_t> shape;
    if (type.sequence) // time-major: [T, N, ...]
      shape.push_back(ShapedType::kDynamic);
    if (type.batched)
      shape.push_back(ShapedType::kDynamic);
    llvm::append_range(shape, type.sizes());
    Type elem = type.elem == tir::ElemKind::Token
                    ? (Type)builder.getIntegerType(64)
                    : elemType;
    return RankedTensorType::get(shape, elem);
  }

  DictionaryAttr initAttr(const tir::InitSpec &init) {
    StringRef kind;
    switch (init.kind) {
    case tir::InitKind::Zeros:
      kind = "zeros";
      break;
    case tir::InitKind::Constant:
      kind = "constant";
      break;
    case tir::InitKind::Uniform:
      kind = "uniform";
      break;
    case tir::InitKind::Normal:
      kind = "normal";
      break;
    case tir::InitKind::Xavier:
      kind = "xavier";
      break;
    case tir::InitKind::He:
      kind = "he";
      break;
    }
    NamedAttribute fields[] = {
        builder.getNamedAttr("kind", builder.getStringAttr(kind)),
        builder.getNamedAttr("a", builder.getF64FloatAttr(init.a)),
        builder.getNamedAttr("b", builder.getF64FloatAttr(init.b))};
    return builder.getDictionaryAttr(fields);
  }

  LogicalResult emitEntry(const tir::EntryPoint &entry, StringRef name,
                          StateMode mode) {
    stateMode = mode;
    currentEntry = entry.name;
    steppedTime = decoderTime(entry);
    SmallVector<Type> stateTypes;
    if (mode != StateMode::None)
      for (const tir::Node *scan : steppedScansOf(entry))
        llvm::append_range(stateTypes, scanStateTypes(*scan));
    SmallVector<Type> argTypes;
    SmallVector<DictionaryAttr> argAttrs;
    for (const tir::Param &param : program.params) {
      tir::Type type;
      type.dims = param.shape;
      argTypes.push_back(tensorType(type));
      NamedAttribute attrs[] = {
          builder.getNamedAttr(seq::kParamAttr,
                               builder.getStringAttr(param.name)),
          builder.getNamedAttr(seq::kInitAttr, initAttr(param.init))};
      argAttrs.push_back(builder.getDictionaryAttr(attrs));
    }
    bool severalTimes = llvm::any_of(entry.inputs, [](const tir::Input &in) {
      return in.type.sequence && in.type.time > 0;
    });
    for (const tir::Input &input : entry.inputs) {
      argTypes.push_back(tensorType(input.type));
      SmallVector<NamedAttribute, 2> attrs = {builder.getNamedAttr(
          seq::kInputAttr, builder.getStringAttr(input.name))};
      if (severalTimes && input.type.sequence)
        attrs.push_back(builder.getNamedAttr(
            seq::kTimeAttr, builder.getI64IntegerAttr(input.type.time)));
      argAttrs.push_back(builder.getDictionaryAttr(attrs));
    }
    if (mode == StateMode::Take)
      for (size_t i = 0; i < stateTypes.size(); ++i) {
        argTypes.push_back(stateTypes[i]);
        argAttrs.push_back(builder.getDictionaryAttr(builder.getNamedAttr(
            seq::kInputAttr,
            builder.getStringAttr("state." + std::to_string(i)))));
      }
    SmallVector<Type> resultTypes = {tensorType(entry.result->type)};
    if (mode != StateMode::None)
      llvm::append_range(resultTypes, stateTypes);
    // Generation also returns the decoder's attention weights, [T, Ts, N].
    bool withAttention = false;
    if (mode != StateMode::None)
      for (const tir::Node *scan : steppedScansOf(entry))
        if (!withAttention && attentionOf(*scan)) {
          withAttention = true;
          resultTypes.push_back(
              RankedTensorType::get({ShapedType::kDynamic, ShapedType::kDynamic,
                                     ShapedType::kDynamic},
                                    elemType));
        }
    auto func = builder.create<func::FuncOp>(
        location(entry.loc), name,
        builder.getFunctionType(argTypes, resultTypes));
    func.setAllArgAttrs(argAttrs);

    OpBuilder::InsertionGuard guard(builder);
    Block *body = func.addEntryBlock();
    builder.setInsertionPointToStart(body);
    values.clear();
    lastValues.clear();
    auto args = body->getArguments();
    size_t numParams = program.params.size();
    size_t numInputs = entry.inputs.size();
    paramArgs.assign(args.begin(), args.begin() + numParams);
    inputArgs.assign(args.begin() + numParams,
                     args.begin() + numParams + numInputs);
    stateInputs.assign(args.begin() + numParams + numInputs, args.end());
    nextStateInput = 0;
    finalStates.clear();
    attentionWeights = nullptr;

    Value result = emit(entry.result);
    if (!result)
      return failure();
    SmallVector<Value> results = {result};
    llvm::append_range(results, finalStates);
    if (withAttention) {
      if (!attentionWeights)
        return emitError(location(entry.loc))
               << "internal error: the decoder's attention was not emitted";
      results.push_back(attentionWeights);
      func.setResultAttr(results.size() - 1, seq::kOutputAttr,
                         builder.getStringAttr("attention"));
    }
    builder.create<func::ReturnOp>(location(entry.loc), results);
    return success();
  }

  /// Emits `node` once; shared subexpressions map to one value.
  Value emit(const tir::Node *node) {
    if (Value v = values.lookup(node))
      return v;
    Value v = emitNode(*node);
    if (v)
      values[node] = v;
    return v;
  }

  /// Leading axes before the per-instance ones: the time axis of a sequence
  /// and the batch axis of a batched value.
  static int64_t offset(const tir::Node &node) {
    return (node.type.sequence ? 1 : 0) + (node.type.batched ? 1 : 0);
  }

  /// Inserts unit axes after the leading axes of a batched operand so that
  /// its per-instance rank is `rank`: numpy broadcasting aligns trailing
  /// axes, and the batch axis must not line up with a per-instance one. A
  /// batched value next to a sequence ([N, ...] with [T, N, ...]) then
  /// broadcasts over time.
  Value alignBatched(Value v, const tir::Node &node, size_t rank,
                     Location loc) {
    if (!node.type.batched)
      return v;
    for (size_t r = node.type.rank(); r < rank; ++r)
      v = expandDims(v, offset(node), loc);
    return v;
  }

  Value expandDims(Value v, int64_t axis, Location loc) {
    return builder.create<seq::ExpandDimsOp>(loc, v, axis);
  }

  Value squeeze(Value v, int64_t axis, Location loc) {
    return builder.create<seq::SqueezeOp>(loc, v, axis);
  }

  Value fail(const tir::Node &node, const Twine &message) {
    emitError(location(node.loc)) << message;
    return nullptr;
  }

  template <typename OpT> Value binary(const tir::Node &node) {
    Value lhs = emit(node.operands[0]), rhs = emit(node.operands[1]);
    if (!lhs || !rhs)
      return nullptr;
    Location loc = location(node.loc);
    size_t rank = node.type.rank();
    lhs = alignBatched(lhs, *node.operands[0], rank, loc);
    rhs = alignBatched(rhs, *node.operands[1], rank, loc);
    return builder.create<OpT>(loc, tensorType(node.type), lhs, rhs);
  }

  template <typename OpT> Value unary(const tir::Node &node) {
    Value input = emit(node.operands[0]);
    if (!input)
      return nullptr;
    return builder.create<OpT>(location(node.loc), input);
  }

  template <typename OpT> Value unaryAlpha(const tir::Node &node) {
    Value input = emit(node.operands[0]);
    if (!input)
      return nullptr;
    return builder.create<OpT>(location(node.loc), input.getType(), input,
                               builder.getF64FloatAttr(node.number));
  }

  template <typename OpT> Value softmaxLike(const tir::Node &node) {
    Value input = emit(node.operands[0]);
    if (!input)
      return nullptr;
    return builder.create<OpT>(
        location(node.loc), input.getType(), input,
        builder.getI64IntegerAttr(node.axis + offset(*node.operands[0])));
  }

  template <typename OpT> Value reduce(const tir::Node &node) {
    Value input = emit(node.operands[0]);
    if (!input)
      return nullptr;
    const tir::Node &operand = *node.operands[0];
    int64_t off = offset(operand);
    SmallVector<int64_t> axes;
    if (node.axis < 0) {
      for (size_t i = 0; i < operand.type.rank(); ++i)
        axes.push_back(off + i);
    } else {
      axes.push_back(off + node.axis);
    }
    return builder.create<OpT>(location(node.loc), tensorType(node.type), input,
                               builder.getDenseI64ArrayAttr(axes));
  }

  Value matmul(const tir::Node &node);
  Value overTime(const tir::Node &node);
  Value emitScan(const tir::Node &node);
  Value emitNode(const tir::Node &node);

  /// A Scan's value at its last step (for Last).
  llvm::DenseMap<const tir::Node *, Value> lastValues;
};

/// A cell applied to a sequence: one seq.scan. Its inits are the states'
/// initial values broadcast to [N] ++ shape (N taken from the sequence), its
/// captures the parameters its step reads, its body the step. When `out` is
/// not one of the states, an extra state carries it so that Last reads the
/// final output (zeros when T = 0).
Value Generator::emitScan(const tir::Node &node) {
  const tir::ScanStep &step = *node.scan;
  Location loc = location(node.loc);
  size_t numSequences = step.sequenceArgs.size();
  SmallVector<Value> sequences;
  for (size_t i = 0; i < numSequences; ++i) {
    Value sequence = emit(node.operands[i]);
    if (!sequence)
      return nullptr;
    sequences.push_back(sequence);
  }
  Value xs = sequences.front();
  auto xsType = cast<RankedTensorType>(xs.getType());

  // [N]: the batch size as a tensor to broadcast against (a sum over the
  // sequence, whose values do not matter).
  SmallVector<int64_t> axes = {0};
  for (int64_t i = 2; i < xsType.getRank(); ++i)
    axes.push_back(i);
  Value batch = builder.create<seq::ReduceSumOp>(loc, xs, axes);
  auto initValue = [&](double value, const tir::Type &type) -> Value {
    auto scalarType = RankedTensorType::get({}, elemType);
    Value c = builder.create<arith::ConstantOp>(
        loc, scalarType,
        DenseElementsAttr::get(scalarType,
                               builder.getFloatAttr(elemType, value)));
    Value v =
        builder.create<seq::BroadcastLikeOp>(loc, batch.getType(), c, batch);
    if (type.rank() == 0)
      return v;
    for (size_t r = 0; r < type.rank(); ++r)
      v = expandDims(v, 1, loc);
    tir::Type unbatched = type;
    unbatched.batched = false;
    auto zerosType = tensorType(unbatched);
    Value zeros = builder.create<arith::ConstantOp>(
        loc, zerosType,
        DenseElementsAttr::get(zerosType, builder.getFloatAttr(elemType, 0)));
    return builder.create<seq::AddOp>(loc, tensorType(type), v, zeros);
  };

  SmallVector<const tir::Node *> stateArgs(step.stateArgs.begin(),
                                           step.stateArgs.end());
  SmallVector<const tir::Node *> newStates(step.newStates.begin(),
                                           step.newStates.end());
  SmallVector<Value> inits;
  for (size_t i = 0; i < stateArgs.size(); ++i) {
    inits.push_back(initValue(step.stateInits[i], stateArgs[i]->type));
    const tir::Node *given =
        i < step.stateInitValues.size() ? step.stateInitValues[i] : nullptr;
    if (!given)
      continue;
    // A value of the application: per instance, or one for the whole batch
    // (added to the zeros of the batch's shape).
    Value value = emit(given);
    if (!value)
      return nullptr;
    if (given->type.batched)
      inits.back() = value;
    else
      inits.back() =
          builder.create<seq::AddOp>(loc, inits.back().getType(),
                                     initValue(0.0, stateArgs[i]->type), value);
  }
  int lastIndex = -1;
  for (size_t i = 0; i < newStates.size(); ++i)
    if (newStates[i] == step.out)
      lastIndex = i;
  bool extraState = lastIndex < 0;
  if (extraState) {
    lastIndex = newStates.size();
    inits.push_back(initValue(0.0, step.out->type));
  }
  bool stepped = stateMode != StateMode::None && node.type.time == steppedTime;
  if (stateMode == StateMode::Take && stepped) {
    // Continue from the given states (generation, one step at a time).
    for (Value &init : inits) {
      if (nextStateInput >= stateInputs.size())
        return fail(node, "internal error: too few state inputs");
      init = stateInputs[nextStateInput++];
    }
  }

  // What the step reads from outside: the parameters (in the order of the
  // program's params), then every other value that does not depend on the
  // step's arguments (a context, and what is computed from contexts and
  // parameters alone, like the U @ hs of additive attention), emitted once
  // before the loop.
  std::vector<const tir::Node *> params, invariants;
  StepDependence dependsOnStep;
  llvm::DenseSet<const tir::Node *> seen;
  std::vector<const tir::Node *> work(newStates.begin(), newStates.end());
  work.push_back(step.out);
  while (!work.empty()) {
    const tir::Node *n = work.back();
    work.pop_back();
    if (!seen.insert(n).second)
      continue;
    if (n->kind == tir::NodeKind::Param) {
      params.push_back(n);
      continue;
    }
    if (n->kind != tir::NodeKind::Constant && !dependsOnStep(n)) {
      invariants.push_back(n);
      continue;
    }
    for (const tir::Node *operand : n->operands)
      work.push_back(operand);
  }
  llvm::sort(params, [](const tir::Node *a, const tir::Node *b) {
    return a->paramIndex < b->paramIndex;
  });
  SmallVector<Value> captures;
  for (const tir::Node *param : params)
    captures.push_back(emit(param));
  for (const tir::Node *invariant : invariants) {
    Value value = emit(invariant);
    if (!value)
      return nullptr;
    captures.push_back(value);
  }

  SmallVector<Type> resultTypes;
  for (Value init : inits)
    resultTypes.push_back(init.getType());
  resultTypes.push_back(seq::ScanOp::stackedType(ShapedType::kDynamic,
                                                 tensorType(step.out->type)));
  const tir::Node *attention =
      stepped && !attentionWeights ? attentionOf(node) : nullptr;
  if (attention)
    resultTypes.push_back(seq::ScanOp::stackedType(
        ShapedType::kDynamic, tensorType(attention->type)));
  if (node.operands.size() > numSequences) {
    Value mask = emit(node.operands[numSequences]);
    if (!mask)
      return nullptr;
    sequences.push_back(mask);
  }
  auto scan = seq::ScanOp::createWithBody(builder, loc, resultTypes, inits,
                                          sequences, captures, step.reverse);

  // The body is isolated from above: every value it reads is a block
  // argument or is built inside it.
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(&scan.getBodyBlock());
  llvm::DenseMap<const tir::Node *, Value> outer = std::move(values);
  values.clear();
  auto stateBlockArgs = scan.getStateArgs();
  for (size_t i = 0; i < stateArgs.size(); ++i)
    values[stateArgs[i]] = stateBlockArgs[i];
  for (size_t i = 0; i < numSequences; ++i)
    values[step.sequenceArgs[i]] = scan.getSliceArgs()[i];
  for (size_t i = 0; i < params.size(); ++i)
    values[params[i]] = scan.getCaptureArgs()[i];
  for (size_t i = 0; i < invariants.size(); ++i)
    values[invariants[i]] = scan.getCaptureArgs()[params.size() + i];

  SmallVector<Value> yielded;
  bool ok = true;
  // On a padded step (mask 0) every state keeps its value:
  // old + m * (new - old), with m [N] broadcast over the state's axes.
  Value stepMask = sequences.size() > numSequences
                       ? scan.getSliceArgs()[numSequences]
                       : Value();
  auto emitState = [&](const tir::Node *n, Value like) -> Value {
    Value v = emit(n);
    if (v && v.getType() != like.getType())
      v = builder.create<seq::BroadcastLikeOp>(loc, like.getType(), v, like);
    if (!v || !stepMask)
      return v;
    Value m = stepMask;
    auto stateType = cast<RankedTensorType>(like.getType());
    for (int64_t r = 1; r < stateType.getRank(); ++r)
      m = expandDims(m, 1, loc);
    Value delta = builder.create<seq::SubOp>(loc, stateType, v, like);
    Value kept = builder.create<seq::MulOp>(loc, stateType, delta, m);
    return builder.create<seq::AddOp>(loc, stateType, like, kept);
  };
  for (size_t i = 0; i < newStates.size(); ++i) {
    Value v = emitState(newStates[i], stateBlockArgs[i]);
    ok = ok && v;
    yielded.push_back(v);
  }
  Value out = emit(step.out);
  ok = ok && out;
  if (extraState && ok)
    yielded.push_back(emitState(step.out, scan.getStateArgs()[lastIndex]));
  SmallVector<Value> outs = {out};
  if (attention && ok) {
    Value weights = emit(attention);
    ok = bool(weights);
    outs.push_back(weights);
  }
  values = std::move(outer);
  if (!ok)
    return nullptr;
  builder.create<seq::YieldOp>(loc, yielded, outs);
  // The train block's recurrence settings apply to what is differentiated.
  if (currentEntry == "loss" && program.train) {
    if (program.train->tbptt > 0)
      scan->setAttr("tbptt", builder.getI64IntegerAttr(program.train->tbptt));
    if (program.train->recompute > 0)
      scan->setAttr("checkpoint",
                    builder.getI64IntegerAttr(program.train->recompute));
  }
  lastValues[&node] = scan.getFinals()[lastIndex];
  if (attention)
    attentionWeights = scan.getOutputs()[1];
  if (stepped)
    llvm::append_range(finalStates, scan.getFinals());
  return scan.getOutputs()[0];
}

/// Softmax, sum, mean and max over the time axis (axis 0) of a sequence
/// [T, N, ...], with its mask [T, N]: padded steps get a score of -1e30
/// (weight 0) in a softmax or a max, and count for nothing in a sum or a
/// mean. The mean and the max of an empty sequence are 0.
Value Generator::overTime(const tir::Node &node) {
  Value x = emit(node.operands[0]), mask = emit(node.operands[1]);
  if (!x || !mask)
    return nullptr;
  Location loc = location(node.loc);
  auto xType = cast<RankedTensorType>(x.getType());
  auto scalar = [&](double value) -> Value {
    auto type = RankedTensorType::get({}, elemType);
    return builder.create<arith::ConstantOp>(
        loc, type,
        DenseElementsAttr::get(type, builder.getFloatAttr(elemType, value)));
  };
  // The mask with unit axes for the per-step ones: [T, N, 1, ...].
  Value m = mask;
  for (size_t r = 0; r < node.operands[0]->type.rank(); ++r)
    m = expandDims(m, 2, loc);
  auto mType = cast<RankedTensorType>(m.getType());
  auto penalized = [&]() -> Value {
    Value offMask =
        builder.create<seq::SubOp>(loc, mType, m, scalar(1.0)); // 0 or -1
    Value penalty =
        builder.create<seq::MulOp>(loc, mType, offMask, scalar(1e30));
    return builder.create<seq::AddOp>(loc, xType, x, penalty);
  };
  RankedTensorType resultType = tensorType(node.type);
  auto axis0 = builder.getDenseI64ArrayAttr({0});
  if (node.kind == tir::NodeKind::SoftmaxOverTime)
    return builder.create<seq::SoftmaxOp>(loc, xType, penalized(),
                                          builder.getI64IntegerAttr(0));
  // The number of real steps per instance, [N, 1, ...], and whether it is 0.
  auto countType =
      cast<RankedTensorType>(seq::ScanOp::sliceType(mType)); // [N, 1, ...]
  Value count = builder.create<seq::ReduceSumOp>(loc, countType, m, axis0);
  Value empty =
      builder.create<seq::EqualOp>(loc, countType, count, scalar(0.0));
  if (node.kind == tir::NodeKind::MaxOverTime) {
    Value peak =
        builder.create<seq::ReduceMaxOp>(loc, resultType, penalized(), axis0);
    Value nonEmpty =
        builder.create<seq::SubOp>(loc, countType, scalar(1.0), empty);
    return builder.create<seq::MulOp>(loc, resultType, peak, nonEmpty);
  }
  Value masked = builder.create<seq::MulOp>(loc, xType, x, m);
  Value sum = builder.create<seq::ReduceSumOp>(loc, resultType, masked, axis0);
  if (node.kind == tir::NodeKind::SumOverTime)
    return sum;
  Value denominator =
      builder.create<seq::AddOp>(loc, countType, count, empty); // >= 1
  return builder.create<seq::DivOp>(loc, resultType, sum, denominator);
}

Value Generator::matmul(const tir::Node &node) {
  const tir::Node &a = *node.operands[0], &b = *node.operands[1];
  Value lhs = emit(&a), rhs = emit(&b);
  if (!lhs || !rhs)
    return nullptr;
  Location loc = location(node.loc);
  Type resultType = tensorType(node.type);
  bool aVector = a.type.rank() == 1, bVector = b.type.rank() == 1;

  // The two forms of a layer: a shared weight times a batch of vectors.
  // W @ x: [N, K] x [M, K]^T -> [N, M]; x @ W: [N, K] x [K, M] -> [N, M].
  if (!a.type.batched && !aVector && b.type.batched && bVector)
    return builder.create<seq::MatMulOp>(loc, resultType, rhs, lhs,
                                         /*transpose_lhs=*/false,
                                         /*transpose_rhs=*/true);
  if (a.type.batched && aVector && !b.type.batched && !bVector)
    return builder.create<seq::MatMulOp>(loc, resultType, lhs, rhs, false,
                                         false);
  // A dot product of two batches of vectors: sum(a * b) per instance.
  if (aVector && bVector) {
    // The product has the shape of the operand with more leading axes (a
    // sequence over a step value: hs @ h scores every position).
    const tir::Node &wider = offset(a) >= offset(b) ? a : b;
    Value product =
        builder.create<seq::MulOp>(loc, tensorType(wider.type), lhs, rhs);
    int64_t axis = offset(wider);
    return builder.create<seq::ReduceSumOp>(
        loc, resultType, product, builder.getDenseI64ArrayAttr({axis}));
  }
  if (a.type.sequence || b.type.sequence)
    return fail(node, "this matrix product over a sequence is not supported "
                      "yet: per step, a weight matrix times a vector");
  // General case: vectors become a one-row (lhs) or one-column (rhs) matrix,
  // the product is a plain, batched, or broadcast-batched matmul, and the
  // added axis is removed again.
  if (aVector)
    lhs = expandDims(lhs, offset(a), loc);
  if (bVector)
    rhs = expandDims(rhs, offset(b) + 1, loc);
  Value product = builder.create<seq::MatMulOp>(loc, lhs, rhs, false, false);
  int64_t batchOffset = offset(node);
  if (bVector)
    product = squeeze(product, batchOffset + 1, loc);
  if (aVector)
    product = squeeze(product, batchOffset, loc);
  return product;
}

Value Generator::emitNode(const tir::Node &node) {
  Location loc = location(node.loc);
  switch (node.kind) {
  case tir::NodeKind::Param:
    return paramArgs[node.paramIndex];
  case tir::NodeKind::Input:
    return inputArgs[node.inputIndex];
  case tir::NodeKind::Constant: {
    auto type = RankedTensorType::get({}, elemType);
    return builder.create<arith::ConstantOp>(
        loc, type,
        DenseElementsAttr::get(type,
                               builder.getFloatAttr(elemType, node.number)));
  }
  case tir::NodeKind::Add:
    return binary<seq::AddOp>(node);
  case tir::NodeKind::Sub:
    return binary<seq::SubOp>(node);
  case tir::NodeKind::Mul:
    return binary<seq::MulOp>(node);
  case tir::NodeKind::Div:
    return binary<seq::DivOp>(node);
  case tir::NodeKind::Neg:
    return unary<seq::NegOp>(node);
#define SEQC_UNARY_BUILTIN(Kind, name)                                         \
  case tir::NodeKind::Kind:                                                    \
    return unary<seq::Kind##Op>(node);
#define SEQC_UNARY_ALPHA_BUILTIN(Kind, name, alphaDefault)                     \
  case tir::NodeKind::Kind:                                                    \
    return unaryAlpha<seq::Kind##Op>(node);
#include "seqc/Frontend/Builtins.def"
  case tir::NodeKind::Identity:
    return emit(node.operands[0]);
  case tir::NodeKind::MatMul:
    return matmul(node);
  case tir::NodeKind::Transpose: {
    Value input = emit(node.operands[0]);
    if (!input)
      return nullptr;
    SmallVector<int64_t> perm;
    for (int64_t i = 0; i < offset(node); ++i)
      perm.push_back(i);
    perm.push_back(offset(node) + 1);
    perm.push_back(offset(node));
    return builder.create<seq::TransposeOp>(loc, tensorType(node.type), input,
                                            builder.getDenseI64ArrayAttr(perm));
  }
  case tir::NodeKind::Softmax:
    return softmaxLike<seq::SoftmaxOp>(node);
  case tir::NodeKind::LogSoftmax:
    return softmaxLike<seq::LogSoftmaxOp>(node);
  case tir::NodeKind::Maxout: {
    Value input = emit(node.operands[0]);
    if (!input)
      return nullptr;
    return builder.create<seq::MaxoutOp>(loc, tensorType(node.type), input,
                                         builder.getI64IntegerAttr(node.k));
  }
  case tir::NodeKind::Concat: {
    SmallVector<Value> inputs;
    for (const tir::Node *operand : node.operands) {
      if (operand->type.batched != node.type.batched ||
          operand->type.sequence != node.type.sequence)
        return fail(node, "concatenating input-dependent values with "
                          "parameters or constants, or sequences with "
                          "values of one step, is not supported yet");
      Value v = emit(operand);
      if (!v)
        return nullptr;
      inputs.push_back(v);
    }
    return builder.create<seq::ConcatOp>(
        loc, tensorType(node.type), inputs,
        builder.getI64IntegerAttr(node.axis + offset(node)));
  }
  case tir::NodeKind::Slice:
  case tir::NodeKind::Index: {
    Value input = emit(node.operands[0]);
    if (!input)
      return nullptr;
    const tir::Node &operand = *node.operands[0];
    int64_t axis = node.axis + offset(operand);
    int64_t size = node.kind == tir::NodeKind::Index ? 1 : node.size;
    Value slice =
        builder.create<seq::SliceOp>(loc, input, axis, node.start, size);
    if (node.kind == tir::NodeKind::Index)
      slice = squeeze(slice, axis, loc);
    return slice;
  }
  case tir::NodeKind::ReduceSum:
    return reduce<seq::ReduceSumOp>(node);
  case tir::NodeKind::ReduceMean:
    return reduce<seq::ReduceMeanOp>(node);
  case tir::NodeKind::ReduceMax:
    return reduce<seq::ReduceMaxOp>(node);
  case tir::NodeKind::OneHot: {
    Value input = emit(node.operands[0]);
    if (!input)
      return nullptr;
    return builder.create<seq::OneHotOp>(loc, tensorType(node.type), input,
                                         builder.getI64IntegerAttr(node.k));
  }
  case tir::NodeKind::SoftmaxOverTime:
  case tir::NodeKind::SumOverTime:
  case tir::NodeKind::MeanOverTime:
  case tir::NodeKind::MaxOverTime:
    return overTime(node);
  case tir::NodeKind::Scan:
    return emitScan(node);
  case tir::NodeKind::Last: {
    if (!emit(node.operands[0]))
      return nullptr;
    return lastValues.lookup(node.operands[0]);
  }
  case tir::NodeKind::StepArg:
    return fail(node, "internal error: a cell's step argument outside its "
                      "scan");
  case tir::NodeKind::BatchMean: {
    // The loss of a batch: the mean of the per-instance values. A per-step
    // loss [T, N] is first summed over each instance's real steps.
    Value input = emit(node.operands[0]);
    if (!input || !node.operands[0]->type.batched)
      return input;
    if (node.operands[0]->type.sequence) {
      Value mask = emit(node.operands[1]);
      if (!mask)
        return nullptr;
      if (node.type.rank() != 0)
        return fail(node, "internal error: a per-step loss must be a scalar");
      input = builder.create<seq::MulOp>(loc, input.getType(), input, mask);
      tir::Type perInstance = node.type;
      perInstance.batched = true;
      input =
          builder.create<seq::ReduceSumOp>(loc, tensorType(perInstance), input,
                                           builder.getDenseI64ArrayAttr({0}));
    }
    return builder.create<seq::ReduceMeanOp>(loc, tensorType(node.type), input,
                                             builder.getDenseI64ArrayAttr({0}));
  }
  case tir::NodeKind::Gather: {
    Value table = emit(node.operands[0]), indices = emit(node.operands[1]);
    if (!table || !indices)
      return nullptr;
    return builder.create<seq::GatherOp>(loc, tensorType(node.type), table,
                                         indices);
  }
  }
  return fail(node, "internal error: unhandled typed-IR node");
}

} // namespace

OwningOpRef<ModuleOp> seqc::mlirGen(MLIRContext &context,
                                    const tir::Program &program,
                                    const MLIRGenOptions &options) {
  context.getOrLoadDialect<seq::SeqDialect>();
  context.getOrLoadDialect<func::FuncDialect>();
  context.getOrLoadDialect<arith::ArithDialect>();
  return Generator(context, program, options).run();
}
