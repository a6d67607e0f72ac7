//===- TrainingModule.cpp - Add the training step to a model --------------===//
#include "seqc/Runtime/TrainingModule.h"

#include "seqc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

#include <fmt/format.h>

using namespace seqc::rt;

namespace {
/// Makes @loss_grad private once @train_step has inlined it, so that
/// symbol-dce removes it and the JIT compiles only the entry points the
/// runtime calls.
struct PrivatizeGradientPass
    : mlir::PassWrapper<PrivatizeGradientPass,
                        mlir::OperationPass<mlir::ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(PrivatizeGradientPass)
  llvm::StringRef getArgument() const final {
    return "seqc-privatize-gradient";
  }
  void runOnOperation() override {
    if (auto grad = getOperation().lookupSymbol<mlir::func::FuncOp>(
            (kLossEntry + "_grad").str()))
      grad.setPrivate();
  }
};
} // namespace

llvm::Error seqc::rt::buildTrainingModule(mlir::ModuleOp module,
                                          const OptimizerSpec &optimizer) {
  mlir::MLIRContext *context = module.getContext();
  auto loss = module.lookupSymbol<mlir::func::FuncOp>(kLossEntry);
  if (!loss)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "the model has no 'loss' entry point to train (elaborate it with the "
        "train block's loss)");
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler capture(context, [&](mlir::Diagnostic &diag) {
    llvm::raw_string_ostream os(diagnostics);
    if (!diagnostics.empty())
      os << "\n";
    os << diag.getLocation() << ": " << diag;
    return mlir::success();
  });

  mlir::PassManager pm(context, mlir::ModuleOp::getOperationName());
  pm.addPass(seqc::createSeqcAutodiff());
  seqc::SeqcTrainStepOptions stepOptions;
  stepOptions.lossName = kLossEntry.str();
  stepOptions.optimizer = optimizerName(optimizer.kind);
  stepOptions.momentum = optimizer.momentum;
  stepOptions.beta1 = optimizer.beta1;
  stepOptions.beta2 = optimizer.beta2;
  stepOptions.epsilon = optimizer.epsilon;
  stepOptions.clipNorm = optimizer.clipNorm;
  pm.addPass(seqc::createSeqcTrainStep(stepOptions));
  pm.addPass(std::make_unique<PrivatizeGradientPass>());
  pm.addPass(mlir::createSymbolDCEPass());
  pm.addPass(mlir::createCanonicalizerPass());
  pm.addPass(mlir::createCSEPass());
  if (mlir::failed(pm.run(module)))
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        fmt::format("building the training step failed:\n{}", diagnostics));
  return llvm::Error::success();
}
