//===- Trainer.cpp - The training loop ------------------------------------===//
#include "seqc/Runtime/Trainer.h"
#include "seqc/Runtime/BufferPool.h"
#include "seqc/Runtime/Error.h"

#include "seqc/Runtime/Batches.h"
#include "seqc/Runtime/SequenceData.h"
#include "seqc/Runtime/TrainingModule.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>

using namespace seqc;
using namespace seqc::rt;

static constexpr llvm::StringLiteral kForwardEntry = "forward";
static constexpr llvm::StringLiteral kFormatKey = "seqc.format";
static constexpr llvm::StringLiteral kFormatValue = "seqc-checkpoint-1";
/// An epoch loss this many times (the best epoch's, at least 1) above the
/// best one is divergence, not noise.
static constexpr double kDivergenceFactor = 100.0;

namespace {
using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// A number in reports and logs: 6 significant digits.
std::string formatNumber(double value) { return fmt::format("{:.6g}", value); }

/// The progress bar: redrawn in place at most ten times a second.
class ProgressBar {
public:
  ProgressBar(llvm::raw_ostream &out, int64_t totalSteps)
      : out(out), totalSteps(totalSteps), start(Clock::now()) {}

  void update(int64_t epoch, int64_t lastEpoch, int64_t batch, int64_t batches,
              int64_t stepsDone, double loss) {
    auto now = Clock::now();
    if (drawn && now - lastDraw < std::chrono::milliseconds(100) &&
        batch != batches)
      return;
    lastDraw = now;
    drawn = true;
    double elapsed = secondsSince(start);
    double rate = elapsed > 0 ? stepsDone / elapsed : 0.0;
    double eta = rate > 0 ? (totalSteps - stepsDone) / rate : 0.0;
    constexpr int64_t kWidth = 24;
    int64_t filled = batches ? batch * kWidth / batches : kWidth;
    std::string bar(filled, '=');
    if (filled < kWidth)
      bar += '>' + std::string(kWidth - filled - 1, ' ');
    out << fmt::format("\r\033[Kepoch {}/{} [{}] {}/{}  {:.1f} steps/s  "
                       "ETA {}  loss {}",
                       epoch, lastEpoch, bar, batch, batches, rate,
                       formatDuration(eta), formatNumber(loss));
    out.flush();
  }

  /// Clears the bar so that a line can replace it.
  void clear() {
    if (drawn)
      out << "\r\033[K";
    drawn = false;
  }

private:
  llvm::raw_ostream &out;
  int64_t totalSteps;
  Clock::time_point start, lastDraw;
  bool drawn = false;
};
} // namespace

std::vector<int64_t> seqc::rt::epochOrder(int64_t rows, bool shuffle,
                                          Rng &rng) {
  std::vector<int64_t> order(rows);
  std::iota(order.begin(), order.end(), 0);
  if (shuffle)
    for (int64_t i = rows - 1; i > 0; --i)
      std::swap(order[i], order[rng.below(static_cast<uint64_t>(i) + 1)]);
  return order;
}

std::string seqc::rt::formatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0)
    return "?";
  if (seconds < 1)
    return fmt::format("{:.{}f} ms", seconds * 1e3, seconds < 0.01 ? 2 : 0);
  if (seconds < 60)
    return fmt::format("{:.{}f} s", seconds, seconds < 10 ? 2 : 1);
  auto whole = static_cast<int64_t>(seconds + 0.5);
  if (whole < 3600)
    return fmt::format("{} min {:02} s", whole / 60, whole % 60);
  return fmt::format("{} h {:02} min", whole / 3600, whole % 3600 / 60);
}

/// Values per instance of an entry's batched result or input type.
static int64_t perInstance(const TensorType &type) {
  return numElementsOf(llvm::ArrayRef(type.shape).drop_front());
}

Trainer::Trainer(JitSession &session, const Dataset &train,
                 const Dataset *valid, TrainerOptions options,
                 llvm::raw_ostream &out)
    : session(session), trainData(train), validData(valid),
      options(std::move(options)), out(out),
      rng(Rng::forStream(this->options.seed, "data.shuffle")) {}

llvm::Expected<std::unique_ptr<Trainer>>
Trainer::create(JitSession &session, const Dataset &train, const Dataset *valid,
                TrainerOptions options, llvm::raw_ostream &out) {
  if (options.batch < 1)
    return makeError("the batch size must be at least 1, got {}",
                     options.batch);
  if (options.epochs < 0)
    return makeError("the number of epochs must not be negative, got {}",
                     options.epochs);
  if (!(options.lr > 0.0) || !std::isfinite(options.lr))
    return makeError("the learning rate must be a positive number, got {}",
                     options.lr);
  if (valid && valid->rows == 0)
    valid = nullptr;
  std::unique_ptr<Trainer> trainer(
      new Trainer(session, train, valid, std::move(options), out));
  if (llvm::Error error = trainer->checkEntries())
    return std::move(error);
  return trainer;
}

/// Whether every row of `data` has the same number of steps.
static bool sameLengths(const Dataset &data) {
  for (int64_t row = 1; row < data.rows; ++row)
    if (data.length(row) != data.length(0))
      return false;
  return true;
}

/// A padding mask: "mask" for an entry of one sequence input, "x_mask" and
/// "y_in_mask" for the source and the decoder's input of pairs.
static bool isMaskInput(llvm::StringRef name) {
  return name == kMaskInput || name.ends_with("_mask");
}

llvm::Error Trainer::checkInputs(const EntryPoint &entry, size_t positional) {
  bool hasMask = false;
  size_t others = 0, masks = 0;
  for (const EntryArgument &input : entry.inputs) {
    if (isMaskInput(input.name)) {
      hasMask = true;
      ++masks;
    } else {
      ++others;
    }
  }
  if (trainData.pairs()) {
    // Pairs: the source and y_in (then the target y), each with its mask.
    if (others != positional + 1 || masks != 2)
      return makeError("@{} takes {} input{} and {} mask{}; the data are "
                       "pairs, so expected the source and the decoder's "
                       "input{}, and their two masks",
                       entry.name, others, others == 1 ? "" : "s", masks,
                       masks == 1 ? "" : "s",
                       positional == 1 ? "" : " and the target");
    return llvm::Error::success();
  }
  llvm::StringRef expected = positional == 1 ? "the features"
                                             : "the features "
                                               "and the target";
  if (trainData.sequential)
    expected = positional == 1 ? "the sequence (and a 'mask')"
                               : "the sequence and the target (and a 'mask')";
  if (others != positional)
    return makeError("@{} takes {} input{}{}; expected {}", entry.name, others,
                     others == 1 ? "" : "s", hasMask ? " besides the mask" : "",
                     expected.str());
  if (hasMask && !trainData.sequential)
    return makeError("@{} takes a '{}' input, but the data are a table, not "
                     "sequences",
                     entry.name, kMaskInput.str());
  if (!hasMask && trainData.sequential &&
      (!sameLengths(trainData) || (validData && !sameLengths(*validData))))
    return makeError("@{} takes no '{}' input, but the sequences differ in "
                     "length: padded steps would count as real ones",
                     entry.name, kMaskInput.str());
  return llvm::Error::success();
}

llvm::Error Trainer::checkEntries() {
  const EntryPoint *forward = session.entryPoint(kForwardEntry);
  const EntryPoint *loss = session.entryPoint(kLossEntry);
  if (!forward || !loss)
    return makeError("model '{}' has no @{} entry point; training needs "
                     "@forward and @loss",
                     session.modelName().str(),
                     forward ? kLossEntry.str() : kForwardEntry.str());
  if (llvm::Error error = checkInputs(*forward, 1))
    return error;
  if (llvm::Error error = checkInputs(*loss, 2))
    return error;
  if (forward->results.empty() || forward->results[0].shape.empty() ||
      forward->results[0].shape[0] != kDynamicSize)
    return makeError("@forward must return a batch of outputs");
  const TensorType &result = forward->results[0];
  perStepOutputs = trainData.sequential && result.shape.size() >= 2 &&
                   result.shape[1] == kDynamicSize;
  outputWidth = perStepOutputs
                    ? numElementsOf(llvm::ArrayRef(result.shape).drop_front(2))
                    : perInstance(result);
  bool outputMetrics = false;
  for (const MetricSpec &spec : options.metrics) {
    auto metric = MetricAccumulator::create(
        spec, trainData.targetKind, outputWidth, trainData.targetWidth,
        trainData.stepTargets, options.labelNames);
    if (!metric)
      return metric.takeError();
    outputMetrics |= !metric->fromLoss();
    metric->setOutsideClass(options.outsideClass);
    metrics.push_back(std::move(*metric));
  }
  if (outputMetrics && perStepOutputs != trainData.stepTargets)
    return makeError("@forward returns {} ({}), but the data have a target "
                     "{}; the metrics compare the two",
                     perStepOutputs ? "an output per step" : "one output",
                     result.str(),
                     trainData.stepTargets ? "per step" : "per sequence");
  return llvm::Error::success();
}

llvm::Expected<std::vector<Tensor>>
Trainer::batchInputs(const Dataset &data, llvm::ArrayRef<int64_t> rows,
                     const EntryPoint &entry) {
  std::vector<Tensor> inputs;
  size_t positional = 0, masks = 0;
  for (const EntryArgument &input : entry.inputs) {
    llvm::Expected<Tensor> tensor = Tensor();
    if (data.pairs()) {
      // x, y_in, [y,] x_mask, y_in_mask.
      if (isMaskInput(input.name))
        tensor = masks++ == 0
                     ? gatherMask(data, rows, input.type, input.name)
                     : gatherDecoderMask(data, rows, input.type, input.name);
      else if (positional++ == 0)
        tensor = gatherSteps(data, rows, input.type, input.name);
      else if (positional == 2)
        tensor = gatherDecoderInputs(data, rows, input.type, input.name);
      else
        tensor = gatherDecoderTargets(data, rows, input.type, input.name);
    } else if (input.name == kMaskInput)
      tensor = gatherMask(data, rows, input.type, input.name);
    else if (positional++ == 0)
      tensor = data.sequential
                   ? gatherSteps(data, rows, input.type, input.name)
                   : gatherFeatures(data, rows, input.type, input.name);
    else
      tensor = data.stepTargets
                   ? gatherStepTargets(data, rows, input.type, input.name)
                   : gatherTargets(data, rows, input.type, input.name);
    if (!tensor)
      return tensor.takeError();
    inputs.push_back(std::move(*tensor));
  }
  return inputs;
}

llvm::Error Trainer::sampleDecoderInputs(llvm::ArrayRef<int64_t> rows,
                                         const EntryPoint &step,
                                         std::vector<Tensor> &inputs,
                                         double share) {
  const EntryPoint *forward = session.entryPoint(kForwardEntry);
  auto forwardInputs = batchInputs(trainData, rows, *forward);
  if (!forwardInputs)
    return forwardInputs.takeError();
  auto outputs = session.run(forward->name, *forwardInputs);
  if (!outputs)
    return outputs.takeError();
  const Tensor &scores = outputs->front(); // [T, N, V]
  // The decoder's input is the second input that is not a mask.
  size_t decoderInput = 0, positional = 0;
  for (auto [index, input] : llvm::enumerate(step.inputs))
    if (!isMaskInput(input.name) && positional++ == 1)
      decoderInput = index;
  Tensor &tokens = inputs[decoderInput]; // [T, N]: <s>, the target, padding
  int64_t batch = int64_t(rows.size()), vocab = scores.dim(2);
  for (int64_t t = 1; t < tokens.dim(0); ++t)
    for (int64_t n = 0; n < batch; ++n) {
      if (t > trainData.targetLength(rows[n]) || rng.uniform() < share)
        continue;
      // The prediction for step t, made at step t - 1.
      int64_t from = ((t - 1) * batch + n) * vocab, best = 0;
      for (int64_t v = 1; v < vocab; ++v)
        if (scores.getDouble(from + v) > scores.getDouble(from + best))
          best = v;
      tokens.data<int64_t>()[t * batch + n] = best;
    }
  return llvm::Error::success();
}

std::vector<std::vector<int64_t>> Trainer::epochBatches() {
  std::vector<std::vector<int64_t>> batches;
  if (trainData.sequential) {
    std::vector<int64_t> lengths(trainData.rows);
    for (int64_t row = 0; row < trainData.rows; ++row)
      lengths[row] = trainData.length(row);
    return bucketedBatches(lengths, options.batch, options.shuffle, rng);
  }
  std::vector<int64_t> order = epochOrder(trainData.rows, options.shuffle, rng);
  for (int64_t begin = 0; begin < trainData.rows; begin += options.batch)
    batches.emplace_back(order.begin() + begin,
                         order.begin() +
                             std::min(trainData.rows, begin + options.batch));
  return batches;
}

void Trainer::addOutputs(const Dataset &data, llvm::ArrayRef<int64_t> rows,
                         const Tensor &outputs) {
  int64_t width = data.targetWidth;
  std::vector<double> targets;
  if (!perStepOutputs) {
    for (int64_t row : rows)
      targets.insert(targets.end(), data.targetRow(row),
                     data.targetRow(row) + width);
    for (MetricAccumulator &metric : metrics)
      if (!metric.fromLoss())
        metric.add(outputs, targets.data());
    return;
  }
  // [T, N, ...] outputs: the real steps become the instances.
  int64_t batch = static_cast<int64_t>(rows.size());
  if (data.pairs()) {
    // The decoder's steps: the target's units, then </s>.
    int64_t steps = 0;
    for (int64_t row : rows)
      steps += data.targetLength(row) + 1;
    Tensor real(DType::F64, {steps, outputWidth});
    double *out = real.data<double>();
    for (auto [n, row] : llvm::enumerate(rows))
      for (int64_t t = 0; t <= data.targetLength(row); ++t) {
        int64_t from = (t * batch + static_cast<int64_t>(n)) * outputWidth;
        for (int64_t j = 0; j < outputWidth; ++j)
          *out++ = outputs.getDouble(from + j);
        targets.push_back(
            double(t < data.targetLength(row)
                       ? data.targetTokens[data.targetOffsets[row] + t]
                       : kEndToken));
      }
    for (MetricAccumulator &metric : metrics)
      if (!metric.fromLoss())
        metric.add(real, targets.data());
    return;
  }
  int64_t steps = 0;
  std::vector<int64_t> lengths;
  for (int64_t row : rows) {
    steps += data.length(row);
    lengths.push_back(data.length(row));
  }
  Tensor real(DType::F64, {steps, outputWidth});
  double *out = real.data<double>();
  for (auto [n, row] : llvm::enumerate(rows))
    for (int64_t t = 0; t < data.length(row); ++t) {
      int64_t from = (t * batch + static_cast<int64_t>(n)) * outputWidth;
      for (int64_t j = 0; j < outputWidth; ++j)
        *out++ = outputs.getDouble(from + j);
      const double *target =
          data.targets.data() + (data.offsets[row] + t) * width;
      targets.insert(targets.end(), target, target + width);
    }
  for (MetricAccumulator &metric : metrics)
    if (!metric.fromLoss())
      metric.add(real, targets.data(), lengths);
}

static llvm::Expected<int64_t> readCount(const MetadataMap &metadata,
                                         llvm::StringRef key,
                                         llvm::StringRef path) {
  auto it = metadata.find(key);
  int64_t value = 0;
  if (it == metadata.end())
    return makeError("{}: corrupt checkpoint: metadata '{}' is missing",
                     path.str(), key.str());
  if (llvm::StringRef(it->second).getAsInteger(10, value) || value < 0)
    return makeError("{}: corrupt checkpoint: metadata '{}' is '{}', not a "
                     "count",
                     path.str(), key.str(), it->second);
  return value;
}

llvm::Error Trainer::resume(const MetadataMap &metadata, llvm::StringRef path) {
  auto format = metadata.find(kFormatKey);
  if (format == metadata.end() || format->second != kFormatValue)
    return makeError("{}: not a seqc training checkpoint (metadata '{}' is "
                     "not '{}')",
                     path.str(), kFormatKey.str(), kFormatValue.str());
  auto epoch = readCount(metadata, "seqc.epoch", path);
  if (!epoch)
    return epoch.takeError();
  auto step = readCount(metadata, "seqc.step", path);
  if (!step)
    return step.takeError();
  auto rngText = metadata.find("seqc.rng");
  std::optional<Rng> restored;
  if (rngText != metadata.end())
    restored = Rng::deserialize(rngText->second);
  if (!restored)
    return makeError("{}: corrupt checkpoint: metadata 'seqc.rng' is missing "
                     "or invalid",
                     path.str());
  epochsDone = *epoch;
  stepsDone = *step;
  rng = *restored;
  return llvm::Error::success();
}

MetadataMap Trainer::checkpointMetadata() const {
  MetadataMap metadata = options.metadata;
  metadata[kFormatKey.str()] = kFormatValue.str();
  metadata["seqc.epoch"] = std::to_string(epochsDone);
  metadata["seqc.step"] = std::to_string(stepsDone);
  metadata["seqc.rng"] = rng.serialize();
  metadata["seqc.seed"] = std::to_string(options.seed);
  return metadata;
}

llvm::Expected<EvalResult> Trainer::evaluate(const Dataset &data) {
  const EntryPoint &loss = *session.entryPoint(kLossEntry);
  const EntryPoint &forward = *session.entryPoint(kForwardEntry);
  bool needOutputs = llvm::any_of(
      metrics, [](const MetricAccumulator &m) { return !m.fromLoss(); });
  for (MetricAccumulator &metric : metrics)
    metric.reset();

  // Sequences of similar length share batches (less padding); the sums do
  // not depend on the order.
  std::vector<int64_t> order(data.rows);
  std::iota(order.begin(), order.end(), 0);
  if (data.sequential)
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      return data.length(a) < data.length(b);
    });

  EvalResult result;
  result.rows = data.rows;
  double lossSum = 0.0;
  for (int64_t begin = 0; begin < data.rows; begin += options.batch) {
    int64_t end = std::min(data.rows, begin + options.batch);
    llvm::ArrayRef<int64_t> rows(order.data() + begin, order.data() + end);
    auto inputs = batchInputs(data, rows, loss);
    if (!inputs)
      return inputs.takeError();
    auto batchLoss = session.evalLoss(*inputs, kLossEntry);
    if (!batchLoss)
      return batchLoss.takeError();
    auto count = static_cast<int64_t>(rows.size());
    int64_t steps = 0;
    if (data.sequential)
      for (int64_t row : rows)
        steps += data.length(row);
    lossSum += *batchLoss * static_cast<double>(count);
    for (MetricAccumulator &metric : metrics)
      if (metric.fromLoss())
        metric.addLoss(*batchLoss, count, steps);
    if (!needOutputs)
      continue;
    auto forwardInputs = batchInputs(data, rows, forward);
    if (!forwardInputs)
      return forwardInputs.takeError();
    auto outputs = session.run(forward.name, *forwardInputs);
    if (!outputs)
      return outputs.takeError();
    addOutputs(data, rows, outputs->front());
  }
  result.loss = data.rows ? lossSum / static_cast<double>(data.rows) : 0.0;
  for (const MetricAccumulator &metric : metrics)
    result.metrics.emplace_back(metric.name(), metric.value());
  return result;
}

/// "valid_loss 0.1  accuracy 0.9".
static std::string describeEval(const EvalResult &result) {
  std::string text = "valid_loss " + formatNumber(result.loss);
  for (const auto &[name, value] : result.metrics)
    text += "  " + name + " " + formatNumber(value);
  return text;
}

/// JSON numbers cannot be NaN or infinite: those become null.
static llvm::json::Value jsonNumber(double value) {
  if (!std::isfinite(value))
    return nullptr;
  return value;
}

llvm::Expected<TrainSummary> Trainer::train() {
  const EntryPoint *step = session.entryPoint(kTrainStepEntry);
  if (!step || !step->isUpdateStep)
    return makeError("model '{}' has no @{} update step to train with",
                     session.modelName().str(), kTrainStepEntry.str());
  if (llvm::Error error = checkInputs(*step, 2))
    return std::move(error);
  if (trainData.rows == 0)
    return makeError("no training rows");

  ProgressMode mode = options.progress;
  if (mode == ProgressMode::Auto)
    mode = out.is_displayed() ? ProgressMode::Bar : ProgressMode::Lines;

  std::unique_ptr<llvm::raw_fd_ostream> log;
  if (!options.logPath.empty()) {
    std::error_code ec;
    // A resumed run continues the log of the run it resumes.
    log = std::make_unique<llvm::raw_fd_ostream>(
        options.logPath, ec,
        epochsDone > 0 ? llvm::sys::fs::OF_Append : llvm::sys::fs::OF_None);
    if (ec)
      return makeError("cannot open the log '{}': {}", options.logPath,
                       ec.message());
  }

  int64_t rows = trainData.rows;
  int64_t batches = (rows + options.batch - 1) / options.batch;
  int64_t firstEpoch = epochsDone + 1;
  int64_t lastEpoch = epochsDone + options.epochs;
  int64_t totalSteps = options.epochs * batches;
  if (options.maxSteps > 0)
    totalSteps = std::min(totalSteps, options.maxSteps);
  ProgressBar bar(out, totalSteps);
  TrainSummary summary;
  summary.firstEpoch = firstEpoch;
  auto runStart = Clock::now();

  double bestTrainLoss = std::numeric_limits<double>::infinity();
  int64_t bestEpoch = 0;
  for (int64_t epoch = firstEpoch; epoch <= lastEpoch; ++epoch) {
    auto epochStart = Clock::now();
    std::vector<std::vector<int64_t>> epochRows = epochBatches();

    double lossSum = 0.0;
    int64_t rowsDone = 0;
    for (int64_t batch = 0; batch < batches; ++batch) {
      if (options.maxSteps > 0 && summary.steps == options.maxSteps) {
        summary.stoppedAtMaxSteps = true;
        break;
      }
      const std::vector<int64_t> &batchRows = epochRows[batch];
      auto inputs = batchInputs(trainData, batchRows, *step);
      if (!inputs)
        return inputs.takeError();
      double share = options.teacherForcingStart;
      if (lastEpoch > firstEpoch)
        share += (options.teacherForcingEnd - options.teacherForcingStart) *
                 double(epoch - firstEpoch) / double(lastEpoch - firstEpoch);
      if (trainData.pairs() && share < 1.0)
        if (llvm::Error error =
                sampleDecoderInputs(batchRows, *step, *inputs, share))
          return std::move(error);
      // The pool's counters are read only when the steps are timed.
      PoolStats poolBefore = options.timeSteps ? poolStats() : PoolStats();
      auto stepStart = Clock::now();
      auto loss = session.trainStep(*inputs, options.lr, stepsDone + 1,
                                    kTrainStepEntry);
      if (options.timeSteps) {
        summary.stepSeconds.push_back(secondsSince(stepStart));
        PoolStats poolAfter = poolStats();
        summary.stepAllocations.push_back(poolAfter.allocations -
                                          poolBefore.allocations);
        summary.stepSystemAllocations.push_back(poolAfter.systemAllocations -
                                                poolBefore.systemAllocations);
      }
      if (!loss)
        return loss.takeError();
      if (!std::isfinite(*loss)) {
        bar.clear();
        out.flush();
        std::string kept =
            options.checkpointPath.empty() ? std::string()
            : epochsDone > 0
                ? fmt::format("; the checkpoint of epoch {} in {} is "
                              "unchanged",
                              epochsDone, options.checkpointPath)
                : "; no checkpoint was written";
        return makeError("the training loss became {} at step {} (epoch {}, "
                         "batch {} of {}); training stopped{}",
                         std::isnan(*loss) ? "NaN" : "infinite", stepsDone + 1,
                         epoch, batch + 1, batches, kept);
      }
      ++stepsDone;
      ++summary.steps;
      summary.lastLoss = *loss;
      lossSum += *loss * static_cast<double>(batchRows.size());
      rowsDone += static_cast<int64_t>(batchRows.size());
      if (mode == ProgressMode::Bar)
        bar.update(epoch, lastEpoch, batch + 1, batches, summary.steps,
                   lossSum / static_cast<double>(rowsDone));
    }

    if (summary.stoppedAtMaxSteps) {
      bar.clear();
      break;
    }

    EpochRecord record;
    record.epoch = epoch;
    record.trainLoss = lossSum / static_cast<double>(rows);
    if (validData && options.maxSteps == 0) {
      auto valid = evaluate(*validData);
      if (!valid)
        return valid.takeError();
      record.valid = std::move(*valid);
    }
    epochsDone = epoch;
    record.step = stepsDone;
    record.seconds = secondsSince(epochStart);
    ++summary.epochs;

    // Divergence guard: an epoch whose loss is far above the best so far,
    // or parameters that are no longer finite, stop the run before they
    // replace the last good checkpoint.
    std::string diverged;
    for (const ParamInfo &info : session.params())
      if (!session.param(info.name)->allFinite()) {
        diverged = fmt::format("parameter '{}' holds NaN or infinite values",
                               info.name);
        break;
      }
    if (diverged.empty() && std::isfinite(bestTrainLoss) &&
        record.trainLoss >
            bestTrainLoss +
                kDivergenceFactor * std::max(1.0, std::fabs(bestTrainLoss)))
      diverged = fmt::format("the training loss {} is far above the best "
                             "epoch's {} (epoch {})",
                             formatNumber(record.trainLoss),
                             formatNumber(bestTrainLoss), bestEpoch);
    if (!diverged.empty()) {
      bar.clear();
      out.flush();
      // epochsDone already counts this epoch; its checkpoint is not written.
      std::string kept =
          options.checkpointPath.empty() ? std::string()
          : epochsDone > 1 ? fmt::format("; the checkpoint of epoch {} in {} "
                                         "is unchanged",
                                         epochsDone - 1, options.checkpointPath)
                           : "; no checkpoint was written";
      return makeError("training diverged in epoch {}: {}; training "
                       "stopped (a smaller learning rate or clip_norm may "
                       "help){}",
                       epoch, diverged, kept);
    }
    if (record.trainLoss < bestTrainLoss) {
      bestTrainLoss = record.trainLoss;
      bestEpoch = epoch;
    }

    if (!options.checkpointPath.empty())
      if (llvm::Error error = session.saveCheckpoint(options.checkpointPath,
                                                     checkpointMetadata()))
        return std::move(error);

    if (mode == ProgressMode::Bar || mode == ProgressMode::Lines) {
      bar.clear();
      out << fmt::format("epoch {}/{}  step {}  train_loss {}", epoch,
                         lastEpoch, record.step,
                         formatNumber(record.trainLoss));
      if (record.valid)
        out << "  " << describeEval(*record.valid);
      out << fmt::format("  ({})\n", formatDuration(record.seconds));
      out.flush();
    }
    if (log) {
      llvm::json::OStream json(*log);
      json.object([&] {
        json.attribute("epoch", record.epoch);
        json.attribute("step", record.step);
        json.attribute("train_loss", jsonNumber(record.trainLoss));
        json.attribute("valid_loss", record.valid
                                         ? jsonNumber(record.valid->loss)
                                         : llvm::json::Value(nullptr));
        json.attributeObject("metrics", [&] {
          if (record.valid)
            for (const auto &[name, value] : record.valid->metrics)
              json.attribute(name, jsonNumber(value));
        });
        json.attribute("seconds", record.seconds);
      });
      *log << "\n";
      log->flush();
    }
    summary.history.push_back(std::move(record));
  }
  summary.seconds = secondsSince(runStart);
  return summary;
}
