//===- Trainer.h - The training loop ----------------------------*- C++ -*-===//
//
// Trains a compiled model on a Dataset: per epoch, the training rows in an
// order drawn from the runtime's seeded generator (the same seed gives the
// same run, bit for bit), cut into mini-batches (the last one partial), one
// call of the compiled @train_step each; then the loss and the metrics on the
// validation rows, a report line (or a progress bar on a terminal), a JSON
// line in the log and a checkpoint. A checkpoint holds the parameters, the
// optimizer state and, in its metadata, the epoch, the step and the state of
// the shuffling generator, so that resuming from it continues exactly where
// the run stopped: 2 epochs, then 2 more from the checkpoint, equal 4 epochs
// in one go.
//
// The session must have @forward (the model), @loss (its inputs, then the
// target) and, for training, @train_step (see TrainingModule.h).
//
// Sequence data (SequenceData.h) are fed time-major. An input named "mask"
// (kMaskInput), the last one by convention, receives the mask [T, N] (f32 or
// f64: 1 at a real step, 0 at padding; real steps first); the other inputs
// are positional: @forward(x, mask), @loss(x, y, mask), @train_step(x, y,
// mask). x is [T, N] token ids (i64) or [T, N, F] values; y is [N] class
// indices (sequences), [T, N] next-token ids (text), or [T, N, K] / [T, N]
// values (series). @loss returns the per-step losses summed over the real
// steps and averaged over the N instances; batch losses are weighted by
// their instances. @forward returns [N, ...] (many-to-one) or [T, N, ...]
// (many-to-many: the metrics then count every real step as an instance).
// Without a "mask" input, the sequences must all have one length (text
// windows do). An epoch's batches group rows of similar length
// (bucketedBatches), drawn from the same seeded generator, so resuming stays
// exact; evaluation batches rows sorted by length.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_RUNTIME_TRAINER_H
#define SEQC_RUNTIME_TRAINER_H

#include "seqc/Runtime/Data.h"
#include "seqc/Runtime/JitSession.h"
#include "seqc/Runtime/Metrics.h"
#include "seqc/Runtime/Random.h"
#include "seqc/Spec/TrainSpec.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace seqc::rt {

/// The name of the mask input of an entry point over sequences.
inline constexpr llvm::StringLiteral kMaskInput = "mask";

enum class ProgressMode {
  Auto,  // a bar when the output is a terminal, else lines
  Bar,   // a progress bar with rate and ETA, redrawn in place
  Lines, // one line per epoch
  Quiet, // nothing
};

struct TrainerOptions {
  /// Epochs this run trains, after those of a resumed checkpoint.
  int64_t epochs = 1;
  int64_t batch = 32;
  /// Seeds the order of the training rows; recorded in checkpoints.
  uint64_t seed = 0;
  bool shuffle = true;
  double lr = 1e-3;
  std::vector<MetricSpec> metrics;
  /// Written (atomically) after every epoch; empty: no checkpoints.
  std::string checkpointPath;
  /// One JSON object per epoch; empty: no log.
  std::string logPath;
  ProgressMode progress = ProgressMode::Auto;
  /// Added to every checkpoint's metadata (the data schema, the optimizer).
  MetadataMap metadata;
  /// Stop after this many steps of this run, in the middle of an epoch if
  /// need be, and skip every validation pass (0: no limit, validate after
  /// every epoch). A partial epoch gets no report line, log line or
  /// checkpoint.
  int64_t maxSteps = 0;
  /// Record the wall time of every @train_step call in
  /// TrainSummary::stepSeconds.
  bool timeSteps = false;
  /// Scheduled sampling (pairs): the share of true previous tokens in the
  /// decoder's input, linear from the run's first epoch to its last; each
  /// other token is the model's prediction (the argmax of @forward on the
  /// teacher-forced batch, one extra forward pass per step), drawn from
  /// the run's generator.
  double teacherForcingStart = 1.0;
  double teacherForcingEnd = 1.0;
  /// The class that precision, recall and f1 leave out (the outside label
  /// "O" of tagging), or -1.
  int64_t outsideClass = -1;
  /// The name of each class (span_f1 reads its BIO tags from them).
  std::vector<std::string> labelNames;
};

struct EvalResult {
  int64_t rows = 0;
  double loss = 0.0;
  /// In the order of TrainerOptions::metrics, by display name.
  std::vector<std::pair<std::string, double>> metrics;
};

struct EpochRecord {
  int64_t epoch = 0; // 1-based, counting resumed epochs
  int64_t step = 0;  // steps taken so far, counting resumed ones
  double trainLoss = 0.0;
  std::optional<EvalResult> valid;
  double seconds = 0.0;
};

struct TrainSummary {
  int64_t firstEpoch = 0; // the first epoch of this run (1-based)
  int64_t epochs = 0;     // epochs trained in this run
  int64_t steps = 0;      // steps taken in this run
  double seconds = 0.0;   // wall time of this run's epochs
  std::vector<EpochRecord> history;
  /// TrainerOptions::maxSteps ended the run before its last epoch ended.
  bool stoppedAtMaxSteps = false;
  /// The loss of the last step's batch (NaN without steps).
  double lastLoss = std::numeric_limits<double>::quiet_NaN();
  /// With TrainerOptions::timeSteps: the seconds of each @train_step call
  /// alone (no batch assembly), in order.
  std::vector<double> stepSeconds;
  /// With TrainerOptions::timeSteps: the buffers each @train_step call took
  /// from the buffer pool, and how many of those the system had to provide.
  std::vector<uint64_t> stepAllocations, stepSystemAllocations;
};

class Trainer {
public:
  /// Checks the session's entry points against the data and the metrics.
  /// `valid` may be null or empty (no validation split).
  static llvm::Expected<std::unique_ptr<Trainer>>
  create(JitSession &session, const Dataset &train, const Dataset *valid,
         TrainerOptions options, llvm::raw_ostream &out);

  /// Continues from a checkpoint's metadata: the epoch and step counts and
  /// the shuffling generator. The session's parameters and state are the
  /// caller's to load (JitSession::loadCheckpoint).
  llvm::Error resume(const MetadataMap &metadata, llvm::StringRef path);

  /// Trains options.epochs epochs, or options.maxSteps steps if that comes
  /// first. A non-finite loss stops training at that step with an error
  /// naming the step and the epoch; the parameters and the last checkpoint
  /// stay as they were after the last good step and epoch.
  llvm::Expected<TrainSummary> train();

  /// The mean loss and the metrics over all rows of `data`, in batches.
  llvm::Expected<EvalResult> evaluate(const Dataset &data);

  /// Epochs and steps completed, counting resumed ones.
  int64_t epoch() const { return epochsDone; }
  int64_t step() const { return stepsDone; }
  const Rng &shuffleRng() const { return rng; }
  /// What a checkpoint written now would hold in its metadata.
  MetadataMap checkpointMetadata() const;

private:
  Trainer(JitSession &session, const Dataset &train, const Dataset *valid,
          TrainerOptions options, llvm::raw_ostream &out);
  llvm::Error checkEntries();
  /// Checks that `entry` takes `positional` inputs besides a mask, and a
  /// mask where the data need one.
  llvm::Error checkInputs(const EntryPoint &entry, size_t positional);
  llvm::Expected<std::vector<Tensor>> batchInputs(const Dataset &data,
                                                  llvm::ArrayRef<int64_t> rows,
                                                  const EntryPoint &entry);
  /// The training batches of the next epoch (draws from `rng`).
  std::vector<std::vector<int64_t>> epochBatches();
  /// Scheduled sampling: replaces each token of the decoder's input in
  /// `inputs` (of @train_step) after <s> by the model's prediction with
  /// probability 1 - `share` (draws from `rng`).
  llvm::Error sampleDecoderInputs(llvm::ArrayRef<int64_t> rows,
                                  const EntryPoint &step,
                                  std::vector<Tensor> &inputs, double share);
  /// Adds the outputs of @forward on `rows` to the output metrics.
  void addOutputs(const Dataset &data, llvm::ArrayRef<int64_t> rows,
                  const Tensor &outputs);

  JitSession &session;
  const Dataset &trainData;
  const Dataset *validData;
  TrainerOptions options;
  llvm::raw_ostream &out;
  std::vector<MetricAccumulator> metrics;
  /// @forward returns [T, N, ...] (a result per step).
  bool perStepOutputs = false;
  int64_t outputWidth = 0;
  Rng rng;
  int64_t epochsDone = 0;
  int64_t stepsDone = 0;
};

/// The order of `rows` training rows in an epoch: 0..rows-1, shuffled by
/// Fisher-Yates with draws from `rng` when `shuffle`.
std::vector<int64_t> epochOrder(int64_t rows, bool shuffle, Rng &rng);

/// "0.25 ms", "340 ms", "1.50 s", "2 min 03 s", "1 h 02 min": a wall time
/// for reports.
std::string formatDuration(double seconds);

} // namespace seqc::rt

#endif // SEQC_RUNTIME_TRAINER_H
