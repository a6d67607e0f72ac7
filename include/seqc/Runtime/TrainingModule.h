//===- TrainingModule.h - Add the training step to a model ------*- C++ -*-===//
//
// Turns the seq module of a model with a `loss` entry point into one that can
// be trained: seqc-autodiff builds @loss_grad, seqc-train-step builds
// @train_step(params..., state..., inputs..., lr, step) -> (loss, params...,
// state...) with the optimizer's settings, and canonicalization and CSE clean
// up. @loss_grad, inlined into the step, is removed; @forward and @loss stay
// for prediction and evaluation.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_RUNTIME_TRAININGMODULE_H
#define SEQC_RUNTIME_TRAININGMODULE_H

#include "seqc/Spec/TrainSpec.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

namespace seqc::rt {

/// The name of the compiled training step.
inline constexpr llvm::StringLiteral kTrainStepEntry = "train_step";
/// The name of the loss entry point it differentiates.
inline constexpr llvm::StringLiteral kLossEntry = "loss";

/// Adds @train_step to `module` in place. Fails, with the passes'
/// diagnostics as the message, when the module has no scalar `loss` function
/// or the optimizer is unknown.
llvm::Error buildTrainingModule(mlir::ModuleOp module,
                                const OptimizerSpec &optimizer);

} // namespace seqc::rt

#endif // SEQC_RUNTIME_TRAININGMODULE_H
