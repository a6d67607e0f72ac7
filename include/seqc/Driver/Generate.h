//===- Generate.h - `seqc generate`: sampling from a model ------*- C++ -*-===//
//
// One-to-many use of a model trained on text: the prompt is read in one call
// of @forward_start, which also returns the final state of every cell; then,
// one unit at a time, a unit is drawn from the last step's distribution
// (divided by the temperature) and fed back through @forward_step, which
// continues from those states. Both functions come from MLIRGen with
// MLIRGenOptions::generation; the compiled code is the same step as in
// training, so what is sampled is what was trained.
//
//   seqc generate model.seq --from DIR --prompt "Call me" --temperature 0.8
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_DRIVER_GENERATE_H
#define SEQC_DRIVER_GENERATE_H

#include "seqc/Driver/TrainCommand.h"
#include "seqc/Runtime/JitSession.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>
#include <vector>

namespace seqc::driver {

struct GenerateOptions {
  /// The checkpoint folder of a model trained on text(...) data.
  std::string fromDir;
  std::string prompt;
  /// Divides the log-probabilities before sampling: below 1 sharper, above
  /// 1 flatter; 0 takes the most likely unit every time.
  double temperature = 1.0;
  /// Units to generate after the prompt.
  int64_t length = 200;
  uint64_t seed = 0;
  /// Time each unit (the step call and the sampling) and print, after the
  /// text, 'BENCH generate units=.. median_unit_ms=.. first_unit_ms=..
  /// compile_s=..'.
  bool bench = false;
  rt::JitOptions jit;
};

/// Draws a unit id from `scores` (log-probabilities, logits, or
/// probabilities that sum to 1) at `temperature`, never `excluded` ids.
int64_t sampleUnit(llvm::ArrayRef<double> scores, double temperature,
                   llvm::ArrayRef<int64_t> excluded, double uniform);

/// Loads the checkpoint, compiles the model with its generation functions
/// and prints the prompt followed by `length` sampled units, each as soon as
/// it is drawn.
llvm::Error generateCommand(const ModelCompiler &compile,
                            const GenerateOptions &options,
                            llvm::raw_ostream &out);

} // namespace seqc::driver

#endif // SEQC_DRIVER_GENERATE_H
