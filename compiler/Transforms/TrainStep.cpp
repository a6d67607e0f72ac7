//===- TrainStep.cpp - One compiled training step -------------------------===//
//
// train_step = loss and gradients (inlined from @loss_grad), global-norm
// clipping, optimizer update. The runtime calls it once per mini-batch. The
// new parameters and state are results marked `seq.updates`: lowering writes
// them into the arguments' buffers.
//
//===----------------------------------------------------------------------===//
#include "seqc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "seqc/Dialect/Seq/SeqOps.h"
#include "seqc/Spec/TrainKinds.h"

namespace seqc {
#define GEN_PASS_DEF_SEQCTRAINSTEP
#include "seqc/Transforms/Passes.h.inc"
} // namespace seqc

using namespace mlir;
using namespace seqc;

namespace {

/// Builds elementwise seq ops on operands of one shape or on 0-d scalars.
class UpdateBuilder {
public:
  UpdateBuilder(OpBuilder &b, Location loc, Type elem)
      : b(b), loc(loc), elem(elem) {}

  Value scalar(double value) {
    auto type = RankedTensorType::get({}, elem);
    return b.create<arith::ConstantOp>(
        loc, type, DenseElementsAttr::get(type, b.getFloatAttr(elem, value)));
  }
  template <typename OpT> Value binary(Value lhs, Value rhs) {
    return b.create<OpT>(loc, lhs, rhs);
  }
  Value add(Value l, Value r) { return binary<seq::AddOp>(l, r); }
  Value sub(Value l, Value r) { return binary<seq::SubOp>(l, r); }
  Value mul(Value l, Value r) { return binary<seq::MulOp>(l, r); }
  Value div(Value l, Value r) { return binary<seq::DivOp>(l, r); }
  Value sqrt(Value v) { return b.create<seq::SqrtOp>(loc, v); }
  Value exp(Value v) { return b.create<seq::ExpOp>(loc, v); }
  Value relu(Value v) { return b.create<seq::ReluOp>(loc, v); }
  Value sumAll(Value v) {
    auto type = cast<RankedTensorType>(v.getType());
    if (type.getRank() == 0)
      return v;
    auto axes = llvm::to_vector(llvm::seq<int64_t>(0, type.getRank()));
    return b.create<seq::ReduceSumOp>(loc, v, axes);
  }
  /// base^t for a constant base and a run-time t: exp(t log base).
  Value power(double base, Value t) {
    return exp(mul(scalar(std::log(base)), t));
  }

private:
  OpBuilder &b;
  Location loc;
  Type elem;
};

struct TrainStepPass : seqc::impl::SeqcTrainStepBase<TrainStepPass> {
  using SeqcTrainStepBase::SeqcTrainStepBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto gradFn = module.lookupSymbol<func::FuncOp>(lossName + "_grad");
    if (!gradFn) {
      module.emitError() << "seqc-train-step: no function @" << lossName
                         << "_grad (run seqc-autodiff first)";
      return signalPassFailure();
    }
    std::optional<OptimizerKind> kind = optimizerNamed(optimizer);
    if (!kind) {
      module.emitError() << "seqc-train-step: unknown optimizer '" << optimizer
                         << "', expected sgd or adam";
      return signalPassFailure();
    }
    optimizerKind = *kind;
    if (failed(build(module, gradFn)))
      return signalPassFailure();
  }

  /// The `optimizer` option, parsed once.
  OptimizerKind optimizerKind = OptimizerKind::Adam;

  /// Optimizer state per parameter: Adam keeps m and v, SGD with momentum a
  /// velocity, plain SGD nothing.
  SmallVector<StringRef> stateKinds() const {
    if (optimizerKind == OptimizerKind::Adam)
      return {"m", "v"};
    if (momentum != 0.0)
      return {"velocity"};
    return {};
  }

  LogicalResult build(ModuleOp module, func::FuncOp gradFn) {
    Location loc = gradFn.getLoc();
    MLIRContext *ctx = module.getContext();
    OpBuilder b(ctx);
    b.setInsertionPointAfter(gradFn);

    // Signature: params, state, inputs, lr, step.
    SmallVector<unsigned> paramArgs, inputArgs;
    for (unsigned i = 0; i < gradFn.getNumArguments(); ++i)
      (gradFn.getArgAttr(i, seq::kParamAttr) ? paramArgs : inputArgs)
          .push_back(i);
    auto lossType =
        cast<RankedTensorType>(gradFn.getFunctionType().getResult(0));
    Type elem = lossType.getElementType();
    auto scalarType = RankedTensorType::get({}, elem);
    auto kinds = stateKinds();

    SmallVector<Type> argTypes;
    SmallVector<DictionaryAttr> argAttrs;
    for (unsigned i : paramArgs) {
      argTypes.push_back(gradFn.getArgumentTypes()[i]);
      argAttrs.push_back(gradFn.getArgAttrDict(i));
    }
    for (StringRef kind : kinds)
      for (unsigned i : paramArgs) {
        argTypes.push_back(gradFn.getArgumentTypes()[i]);
        auto name = gradFn.getArgAttrOfType<StringAttr>(i, seq::kParamAttr);
        argAttrs.push_back(b.getDictionaryAttr(b.getNamedAttr(
            seq::kStateAttr,
            b.getStringAttr(optimizer + "." + kind + "." + name.getValue()))));
      }
    for (unsigned i : inputArgs) {
      argTypes.push_back(gradFn.getArgumentTypes()[i]);
      argAttrs.push_back(gradFn.getArgAttrDict(i));
    }
    for (StringRef hyper : {"lr", "step"}) {
      argTypes.push_back(scalarType);
      argAttrs.push_back(b.getDictionaryAttr(
          b.getNamedAttr(seq::kHyperAttr, b.getStringAttr(hyper))));
    }

    auto step = b.create<func::FuncOp>(loc, "train_step",
                                       b.getFunctionType(argTypes, {}));
    step.setAllArgAttrs(argAttrs);
    Block *body = step.addEntryBlock();
    b.setInsertionPointToStart(body);
    size_t numParams = paramArgs.size();
    auto arg = [&](size_t i) { return body->getArgument(i); };
    size_t stateBase = numParams;
    size_t inputBase = stateBase + kinds.size() * numParams;
    Value lr = arg(inputBase + inputArgs.size());
    Value t = arg(inputBase + inputArgs.size() + 1);

    // Inline the gradient function.
    IRMapping mapping;
    for (auto [k, i] : llvm::enumerate(paramArgs))
      mapping.map(gradFn.getArgument(i), arg(k));
    for (auto [k, i] : llvm::enumerate(inputArgs))
      mapping.map(gradFn.getArgument(i), arg(inputBase + k));
    for (Operation &op : gradFn.front().without_terminator())
      b.clone(op, mapping);
    auto gradReturn = cast<func::ReturnOp>(gradFn.front().getTerminator());
    Value loss = mapping.lookup(gradReturn.getOperand(0));
    SmallVector<Value> grads;
    for (size_t k = 0; k < numParams; ++k)
      grads.push_back(mapping.lookup(gradReturn.getOperand(1 + k)));

    UpdateBuilder u(b, loc, elem);
    // The global-norm clipping factor: clip / max(norm, clip), with
    // max(a, b) = b + relu(a - b); 1 without clipping.
    Value scale = u.scalar(1.0);
    if (clipNorm > 0.0) {
      Value sumSquares;
      for (Value g : grads) {
        Value s = u.sumAll(u.mul(g, g));
        sumSquares = sumSquares ? u.add(sumSquares, s) : s;
      }
      Value clip = u.scalar(clipNorm);
      Value norm = u.sqrt(sumSquares);
      scale = u.div(clip, u.add(clip, u.relu(u.sub(norm, clip))));
    }

    // The update happens only when the loss is finite (l - l == 0); else
    // the parameters and state stay as they were, so that a caller that
    // stops at a NaN or infinite loss keeps the last good values.
    Value lossScalar = b.create<tensor::ExtractOp>(loc, loss, ValueRange{});
    Value finite = b.create<arith::CmpFOp>(
        loc, arith::CmpFPredicate::OEQ,
        b.create<arith::SubFOp>(loc, lossScalar, lossScalar),
        b.create<arith::ConstantOp>(loc, b.getFloatAttr(elem, 0.0)));
    SmallVector<Type> updatedTypes(
        argTypes.begin(), argTypes.begin() + numParams * (1 + kinds.size()));
    auto guard = b.create<scf::IfOp>(loc, updatedTypes, finite,
                                     /*withElseRegion=*/true);
    {
      OpBuilder::InsertionGuard keep(b);
      b.setInsertionPointToStart(guard.elseBlock());
      b.create<scf::YieldOp>(loc, ValueRange(body->getArguments().take_front(
                                      updatedTypes.size())));
    }
    b.setInsertionPointToStart(guard.thenBlock());

    SmallVector<Value> newParams, newState(kinds.size() * numParams);
    Value bias1, bias2;
    if (optimizerKind == OptimizerKind::Adam) {
      bias1 = u.sub(u.scalar(1.0), u.power(beta1, t));
      bias2 = u.sub(u.scalar(1.0), u.power(beta2, t));
    }
    for (size_t k = 0; k < numParams; ++k) {
      Value p = arg(k), g = grads[k];
      if (optimizerKind == OptimizerKind::Adam) {
        // One op per parameter: it lowers to one loop that writes the
        // parameter and both moments.
        auto update = b.create<seq::AdamUpdateOp>(
            loc, p.getType(), p.getType(), p.getType(), p, g,
            arg(stateBase + k), arg(stateBase + numParams + k), lr, bias1,
            bias2, scale, b.getF64FloatAttr(beta1), b.getF64FloatAttr(beta2),
            b.getF64FloatAttr(epsilon));
        newParams.push_back(update.getNewParam());
        newState[k] = update.getNewM();
        newState[numParams + k] = update.getNewV();
        continue;
      }
      g = u.mul(g, scale);
      if (momentum != 0.0) {
        Value velocity =
            u.add(u.mul(u.scalar(momentum), arg(stateBase + k)), g);
        newParams.push_back(u.sub(p, u.mul(lr, velocity)));
        newState[k] = velocity;
      } else {
        newParams.push_back(u.sub(p, u.mul(lr, g)));
      }
    }

    SmallVector<Value> updated(newParams);
    llvm::append_range(updated, newState);
    b.create<scf::YieldOp>(loc, updated);
    b.setInsertionPointAfter(guard);

    SmallVector<Value> results{loss};
    llvm::append_range(results, guard.getResults());
    b.create<func::ReturnOp>(loc, results);
    step.setFunctionType(
        b.getFunctionType(argTypes, ValueRange(results).getTypes()));
    // New parameters and state replace the old in place: the arguments' own
    // buffers take them, so they are not held twice.
    for (size_t k = 0; k < numParams * (1 + kinds.size()); ++k)
      step.setResultAttr(1 + k, seq::kUpdatesAttr, b.getI64IntegerAttr(k));
    return success();
  }
};

} // namespace
