//===- TrainCommand.cpp - `seqc train` and `seqc eval` --------------------===//
#include "seqc/Driver/TrainCommand.h"
#include "seqc/Runtime/BufferPool.h"
#include "seqc/Runtime/Error.h"

#include "seqc/Runtime/Data.h"
#include "seqc/Runtime/SafeTensors.h"
#include "seqc/Runtime/TrainingModule.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

using namespace seqc;
using namespace seqc::driver;
using namespace seqc::rt;

char ReportedError::ID = 0;

static double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

/// The optimizer's settings as checkpoint metadata, for the record.
static std::string describeOptimizer(const OptimizerSpec &optimizer) {
  llvm::json::Object object{{"name", optimizerName(optimizer.kind)},
                            {"lr", optimizer.lr},
                            {"clip_norm", optimizer.clipNorm}};
  if (optimizer.kind == OptimizerKind::Adam) {
    object["beta1"] = optimizer.beta1;
    object["beta2"] = optimizer.beta2;
    object["epsilon"] = optimizer.epsilon;
  } else {
    object["momentum"] = optimizer.momentum;
  }
  return llvm::formatv("{0}", llvm::json::Value(std::move(object))).str();
}

static int64_t parameterCount(const JitSession &session) {
  int64_t count = 0;
  for (const ParamInfo &param : session.params())
    count += numElementsOf(param.type.shape);
  return count;
}

/// "loss 0.1  accuracy 0.9" on separate aligned lines.
static void printEval(llvm::raw_ostream &out, const EvalResult &result) {
  std::vector<std::pair<std::string, double>> rows{{"loss", result.loss}};
  rows.insert(rows.end(), result.metrics.begin(), result.metrics.end());
  size_t width = 0;
  for (const auto &row : rows)
    width = std::max(width, row.first.size());
  for (const auto &[name, value] : rows)
    out << fmt::format("  {:<{}}  {:.6g}\n", name, width, value);
}

/// The machine-readable line of --bench: the @train_step times after the
/// warm-up steps, in milliseconds, and the compile time in seconds.
static void printBenchLine(llvm::raw_ostream &out, const TrainSummary &summary,
                           double compileSeconds) {
  std::vector<double> times;
  if (static_cast<int64_t>(summary.stepSeconds.size()) > kBenchWarmupSteps)
    times.assign(summary.stepSeconds.begin() + kBenchWarmupSteps,
                 summary.stepSeconds.end());
  double median = std::nan(""), mean = std::nan(""), least = std::nan("");
  if (!times.empty()) {
    std::sort(times.begin(), times.end());
    size_t half = times.size() / 2;
    median =
        times.size() % 2 ? times[half] : (times[half - 1] + times[half]) / 2;
    mean = std::accumulate(times.begin(), times.end(), 0.0) /
           static_cast<double>(times.size());
    least = times.front();
  }
  // Buffers per step after the warm-up (the median, as for the times):
  // taken from the pool, and of those the ones the system provided (0 once
  // the pool holds a step's buffers; a batch of new shapes needs new ones).
  auto afterWarmup = [](const std::vector<uint64_t> &counts) -> uint64_t {
    if (static_cast<int64_t>(counts.size()) <= kBenchWarmupSteps)
      return 0;
    std::vector<uint64_t> timed(counts.begin() + kBenchWarmupSteps,
                                counts.end());
    std::nth_element(timed.begin(), timed.begin() + timed.size() / 2,
                     timed.end());
    return timed[timed.size() / 2];
  };
  out << fmt::format("BENCH steps={} timed={} median_step_ms={:.4f} "
                     "mean_step_ms={:.4f} min_step_ms={:.4f} "
                     "compile_s={:.3f} last_loss={:.6g} "
                     "buffers_per_step={} system_allocs_per_step={} "
                     "pool_peak_mb={:.1f}\n",
                     summary.steps, times.size(), median * 1e3, mean * 1e3,
                     least * 1e3, compileSeconds, summary.lastLoss,
                     afterWarmup(summary.stepAllocations),
                     afterWarmup(summary.stepSystemAllocations),
                     static_cast<double>(poolStats().peakBytes) / (1 << 20));
  out.flush();
}

namespace {
/// Everything up to a compiled session: data, model, checkpoint.
struct Prepared {
  std::optional<Checkpoint> checkpoint;
  LoadedData data;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::unique_ptr<JitSession> session;
  double compileSeconds = 0.0;
};
} // namespace

static llvm::Expected<Prepared> prepare(const TrainSpec &spec,
                                        const ModelCompiler &compile,
                                        const CommandOptions &options,
                                        bool training) {
  Prepared prepared;
  if (!options.fromDir.empty()) {
    auto checkpoint = readCheckpoint(options.fromDir);
    if (!checkpoint)
      return checkpoint.takeError();
    auto model = checkpoint->file.metadata.find("seqc.model");
    if (model != checkpoint->file.metadata.end() && !spec.modelName.empty() &&
        model->second != spec.modelName)
      return makeError("{}: the checkpoint is of model '{}', not '{}'",
                       checkpoint->path, model->second, spec.modelName);
    prepared.checkpoint = std::move(*checkpoint);
  }

  DataOptions dataOptions;
  dataOptions.baseDir = options.baseDir;
  dataOptions.float32 = options.float32Data;
  // The split is the checkpoint's: its seed, its classes and statistics.
  dataOptions.seed =
      prepared.checkpoint ? prepared.checkpoint->seed : spec.seed;
  if (prepared.checkpoint)
    dataOptions.schema = &prepared.checkpoint->schema;
  auto data = loadData(spec.data, dataOptions);
  if (!data)
    return data.takeError();
  prepared.data = std::move(*data);

  auto start = std::chrono::steady_clock::now();
  auto module = compile(prepared.data.schema.dataDims());
  if (!module)
    return module.takeError();
  prepared.module = std::move(*module);
  if (training)
    if (llvm::Error error =
            buildTrainingModule(*prepared.module, spec.optimizer))
      return std::move(error);
  auto session = JitSession::create(*prepared.module, options.jit);
  if (!session)
    return session.takeError();
  prepared.session = std::move(*session);
  prepared.compileSeconds = secondsSince(start);

  if (prepared.checkpoint) {
    if (llvm::Error error = prepared.session->loadCheckpoint(
            prepared.checkpoint->file, prepared.checkpoint->path, training))
      return std::move(error);
  } else {
    prepared.session->initParams(spec.seed);
  }
  return prepared;
}

/// Tagging's outside label "O", which precision, recall and f1 leave
/// out, or -1.
static int64_t outsideClassOf(const DataSchema &schema) {
  auto outside = llvm::find(schema.classes, "O");
  return outside == schema.classes.end() ? -1
                                         : outside - schema.classes.begin();
}

llvm::Error seqc::driver::trainCommand(const TrainSpec &spec,
                                       const ModelCompiler &compile,
                                       const CommandOptions &options,
                                       llvm::raw_ostream &out) {
  // Before any work: a checkpoint in --out is replaced only when it is the
  // one this run continues, or when asked to.
  if (!options.outDir.empty() && !options.overwrite &&
      llvm::sys::fs::exists(checkpointPath(options.outDir))) {
    bool continuing = false;
    if (!options.fromDir.empty())
      llvm::sys::fs::equivalent(checkpointPath(options.fromDir),
                                checkpointPath(options.outDir), continuing);
    if (!continuing)
      return makeError("{} holds the checkpoint of another run; continue "
                       "it with --from {} or replace it with --overwrite",
                       checkpointPath(options.outDir), options.outDir);
  }
  auto prepared = prepare(spec, compile, options, /*training=*/true);
  if (!prepared)
    return prepared.takeError();
  JitSession &session = *prepared->session;
  const LoadedData &data = prepared->data;

  TrainerOptions trainerOptions;
  trainerOptions.epochs = spec.epochs;
  trainerOptions.batch = spec.batch;
  trainerOptions.seed =
      prepared->checkpoint ? prepared->checkpoint->seed : spec.seed;
  trainerOptions.shuffle = spec.shuffle;
  trainerOptions.lr = spec.optimizer.lr;
  trainerOptions.metrics = spec.metrics;
  trainerOptions.logPath = options.logPath;
  trainerOptions.progress = options.progress;
  trainerOptions.maxSteps = options.maxSteps;
  trainerOptions.timeSteps = options.bench;
  trainerOptions.outsideClass = outsideClassOf(data.schema);
  trainerOptions.labelNames = data.schema.classes;
  trainerOptions.teacherForcingStart = spec.teacherForcingStart;
  trainerOptions.teacherForcingEnd = spec.teacherForcingEnd;
  data.schema.toMetadata(trainerOptions.metadata);
  trainerOptions.metadata["seqc.optimizer"] = describeOptimizer(spec.optimizer);
  if (!options.outDir.empty()) {
    if (std::error_code ec = llvm::sys::fs::create_directories(options.outDir))
      return makeError("cannot create the checkpoint folder '{}': {}",
                       options.outDir, ec.message());
    trainerOptions.checkpointPath = checkpointPath(options.outDir);
  }

  auto trainer =
      Trainer::create(session, data.train, &data.valid, trainerOptions, out);
  if (!trainer)
    return trainer.takeError();
  if (prepared->checkpoint)
    if (llvm::Error error = (*trainer)->resume(
            prepared->checkpoint->file.metadata, prepared->checkpoint->path))
      return error;

  bool verbose = options.progress != ProgressMode::Quiet;
  if (verbose) {
    out << fmt::format("model {}: {} parameters; {} training rows, {} "
                       "validation rows; compiled in {}{}\n",
                       session.modelName().str(), parameterCount(session),
                       data.train.rows, data.valid.rows,
                       formatDuration(prepared->compileSeconds),
                       session.compileInfo().cacheHit ? " (cached code)" : "");
    if (prepared->checkpoint)
      out << fmt::format("resuming {} after epoch {} (step {})\n",
                         prepared->checkpoint->path, (*trainer)->epoch(),
                         (*trainer)->step());
    out.flush();
  }

  auto summary = (*trainer)->train();
  if (!summary)
    return summary.takeError();
  if (options.bench)
    printBenchLine(out, *summary, prepared->compileSeconds);
  if (!verbose)
    return llvm::Error::success();

  double stepsPerSecond =
      summary->seconds > 0 ? summary->steps / summary->seconds : 0.0;
  if (summary->stoppedAtMaxSteps)
    out << fmt::format("stopped after {} steps (--max-steps) in {}: {:.1f} "
                       "steps/s\n",
                       summary->steps, formatDuration(summary->seconds),
                       stepsPerSecond);
  else
    out << fmt::format("trained {} epoch{} ({} steps) in {}: {:.1f} "
                       "steps/s\n",
                       summary->epochs, summary->epochs == 1 ? "" : "s",
                       summary->steps, formatDuration(summary->seconds),
                       stepsPerSecond);
  if (!summary->history.empty() && summary->history.back().valid) {
    out << fmt::format("validation ({} rows):\n", data.valid.rows);
    printEval(out, *summary->history.back().valid);
  }
  if (!options.outDir.empty())
    out << "checkpoint: " << checkpointPath(options.outDir) << "\n";
  return llvm::Error::success();
}

llvm::Error seqc::driver::evalCommand(const TrainSpec &spec,
                                      const ModelCompiler &compile,
                                      const CommandOptions &options,
                                      llvm::raw_ostream &out) {
  if (options.fromDir.empty())
    return makeError("eval needs a checkpoint: --from DIR");
  auto prepared = prepare(spec, compile, options, /*training=*/false);
  if (!prepared)
    return prepared.takeError();
  const LoadedData &data = prepared->data;

  TrainerOptions trainerOptions;
  trainerOptions.batch = spec.batch;
  trainerOptions.metrics = spec.metrics;
  trainerOptions.outsideClass = outsideClassOf(data.schema);
  trainerOptions.labelNames = data.schema.classes;
  trainerOptions.progress = ProgressMode::Quiet;
  bool haveValid = data.valid.rows > 0;
  const Dataset &rows = haveValid ? data.valid : data.train;
  auto trainer = Trainer::create(*prepared->session, data.train, &data.valid,
                                 trainerOptions, out);
  if (!trainer)
    return trainer.takeError();
  auto result = (*trainer)->evaluate(rows);
  if (!result)
    return result.takeError();
  out << fmt::format("{} ({} rows of {}):\n",
                     haveValid ? "validation"
                               : "training data (no validation "
                                 "split)",
                     rows.rows, rows.name);
  printEval(out, *result);
  return llvm::Error::success();
}
