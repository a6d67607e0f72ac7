//===- FrontendModels.h - .seq models compiled for the tests ----*- C++ -*-===//
//
// A model's .seq source compiled through the frontend (parse, elaborate,
// MLIRGen) into a module of the seq dialect, with the frontend's
// diagnostics in the error; a weighted-sum @loss added to a model without a
// train block; and a module's @loss differentiated and JIT-compiled
// (GradCheck.h). The golden tests check models this way.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_TEST_UNIT_FRONTENDMODELS_H
#define SEQC_TEST_UNIT_FRONTENDMODELS_H

#include "GradCheck.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>

namespace seqc::test {

/// The model of `source` compiled by the frontend with floats of
/// `floatWidth` bits (32 or 64); with `withLoss`, also the train block's
/// loss as the entry point "loss". Every seq.scan gets the attribute
/// `unroll`; 1 leaves the default loop.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
compileFrontendModel(mlir::MLIRContext &context, llvm::StringRef source,
                     unsigned floatWidth, bool withLoss, int64_t unroll = 1);

/// Adds `@loss` = sum(@forward(...) * R): a copy of @forward with an extra
/// input "R" of its result's type (for a model without a train block).
llvm::Error addWeightedSumLoss(mlir::ModuleOp module);

/// @loss of `module` alone (@forward dropped), differentiated with respect
/// to the parameters (and with `wrtInputs` the inputs) and compiled.
llvm::Expected<std::unique_ptr<CompiledLoss>>
compileLoss(mlir::MLIRContext &context, mlir::ModuleOp module, rt::DType dtype,
            bool wrtInputs);

} // namespace seqc::test

#endif // SEQC_TEST_UNIT_FRONTENDMODELS_H
