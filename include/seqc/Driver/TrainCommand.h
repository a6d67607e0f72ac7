//===- TrainCommand.h - `seqc train` and `seqc eval` ------------*- C++ -*-===//
//
// What `seqc train` and `seqc eval` do once the seqc tool has the checked
// train block: read the data (and a checkpoint), have the model compiled for
// the data's sizes, add the training step, JIT-compile, train or evaluate,
// and report. The tool supplies the compilation (frontend and MLIRGen) as a
// callback, so that the driver library does not depend on the frontend, and
// tests can hand in seq modules written by hand.
//
//   seqc train FILE.seq [--epochs N] [--lr X] ... [--out DIR] [--from DIR]
//              [--max-steps N] [--bench]
//   seqc eval FILE.seq --from DIR
//
// A checkpoint folder holds `model.safetensors` (seqc/Runtime/Checkpoint.h).
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_DRIVER_TRAINCOMMAND_H
#define SEQC_DRIVER_TRAINCOMMAND_H

#include "seqc/Runtime/Checkpoint.h"
#include "seqc/Runtime/Data.h"
#include "seqc/Runtime/JitSession.h"
#include "seqc/Runtime/SafeTensors.h"
#include "seqc/Runtime/Trainer.h"
#include "seqc/Spec/TrainSpec.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace seqc::driver {

/// An error whose diagnostics were printed already (by the frontend, say):
/// the seqc tool exits with status 1 without printing anything more.
class ReportedError : public llvm::ErrorInfo<ReportedError> {
public:
  static char ID;
  void log(llvm::raw_ostream &os) const override {
    os << "errors were reported";
  }
  std::error_code convertToErrorCode() const override {
    return llvm::inconvertibleErrorCode();
  }
};

/// Compiles the model for data of the given sizes (FrontendOptions::
/// dataDims) into a seq module with @forward and @loss.
using ModelCompiler =
    std::function<llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>(
        llvm::ArrayRef<std::pair<std::string, int64_t>> dataDims)>;

struct CommandOptions {
  /// Checkpoint folder written after every epoch (created if needed).
  std::string outDir;
  /// Checkpoint folder to resume from (train) or to evaluate (eval).
  std::string fromDir;
  /// Train: replace a checkpoint in outDir that is not the one resumed from
  /// (without it, that is an error: it may be another run's).
  bool overwrite = false;
  /// JSON-lines log of the epochs.
  std::string logPath;
  rt::ProgressMode progress = rt::ProgressMode::Auto;
  /// Lowering options for the JIT compilation.
  rt::JitOptions jit;
  /// Folder that relative data paths are looked up in first (the model
  /// file's).
  std::string baseDir;
  /// The model computes in f32: numbers in the data beyond f32's range are
  /// an error (they would silently become infinities).
  bool float32Data = true;
  /// Train: stop after this many steps and skip validation (0: no limit;
  /// TrainerOptions::maxSteps).
  int64_t maxSteps = 0;
  /// Train: time every @train_step call and print, after training, the line
  ///   BENCH steps=S timed=K median_step_ms=.. mean_step_ms=..
  ///         min_step_ms=.. compile_s=.. last_loss=..
  /// over the steps after the first kBenchWarmupSteps (K = S - 2); last_loss
  /// is the loss of the last step's batch.
  bool bench = false;
};

/// Steps that --bench leaves out of its step times (warm-up: page faults,
/// first-touch allocations).
inline constexpr int64_t kBenchWarmupSteps = 2;

/// Trains as `spec` says (command-line overrides applied already) and prints
/// the epochs and a final report to `out`. With options.fromDir, continues
/// the checkpoint's run: its parameters, optimizer state, step, epoch count,
/// generator, and its seed, split and data schema (so that the rows split
/// the same way); `spec.epochs` more epochs are trained.
llvm::Error trainCommand(const TrainSpec &spec, const ModelCompiler &compile,
                         const CommandOptions &options, llvm::raw_ostream &out);

/// Loads the checkpoint in options.fromDir and prints the loss and metrics
/// on the validation split (the training rows when there is none).
llvm::Error evalCommand(const TrainSpec &spec, const ModelCompiler &compile,
                        const CommandOptions &options, llvm::raw_ostream &out);

} // namespace seqc::driver

#endif // SEQC_DRIVER_TRAINCOMMAND_H
