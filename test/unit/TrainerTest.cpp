//===- TrainerTest.cpp - The training loop, checkpoints and resuming ------===//
//
// Trains the hand-written models of TrainingModules.h on small tables, through
// the Trainer and through trainCommand (with a compiler callback that hands in
// the modules), and checks batching, determinism, the log, the NaN stop and
// that a resumed run equals an uninterrupted one bit for bit.
//
//===----------------------------------------------------------------------===//
#include "seqc/Runtime/Trainer.h"
#include "seqc/Driver/TrainCommand.h"
#include "seqc/Runtime/TrainingModule.h"

#include "TestContext.h"
#include "TestUtil.h"
#include "TrainingModules.h"

#include "mlir/Parser/Parser.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <set>

using namespace seqc;
using namespace seqc::driver;
using namespace seqc::rt;
using seqc::test::errorOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

namespace {

/// 40 rows of y = 2 a - 3 b + 0.5 on a grid.
std::string regressionTable() {
  std::string text = "a,b,y\n";
  for (int i = 0; i < 40; ++i) {
    double a = (i % 8) * 0.25 - 1, b = (i / 8) * 0.5 - 1;
    text += std::to_string(a) + "," + std::to_string(b) + "," +
            std::to_string(2 * a - 3 * b + 0.5) + "\n";
  }
  return text;
}

/// 30 rows of two classes on either side of a + b = 0.
std::string classTable() {
  std::string text = "a,b,side\n";
  for (int i = 0; i < 30; ++i) {
    // a + b is an odd integer: at least 1 from the boundary.
    double a = 2 * (i % 6) - 5, b = (i / 6) - 2;
    text += std::to_string(a) + "," + std::to_string(b) + "," +
            (a + b > 0 ? "east" : "west") + "\n";
  }
  return text;
}

DataSpec regressionSpec(llvm::StringRef path = "line.csv") {
  DataSpec spec;
  spec.path = path.str();
  spec.targetKind = TargetKind::Scalar;
  spec.targets = {"y"};
  spec.split = 0.8;
  return spec;
}

class TrainerTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("seqc-trainer", dir));
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }

  std::string path(llvm::StringRef name) const {
    return (dir + "/" + name).str();
  }
  void write(llvm::StringRef name, llvm::StringRef text) {
    std::ofstream(path(name), std::ios::binary) << text.str();
  }
  std::string read(llvm::StringRef name) {
    auto buffer = llvm::MemoryBuffer::getFile(path(name));
    return buffer ? (*buffer)->getBuffer().str() : std::string();
  }

  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
  parse(llvm::StringRef source) {
    mlir::OwningOpRef<mlir::ModuleOp> module =
        mlir::parseSourceString<mlir::ModuleOp>(source, &context);
    if (!module)
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "the test module does not parse");
    return module;
  }

  std::unique_ptr<JitSession> compile(llvm::StringRef source,
                                      const OptimizerSpec &optimizer) {
    auto module = parse(source);
    if (!module) {
      ADD_FAILURE() << llvm::toString(module.takeError());
      return nullptr;
    }
    if (llvm::Error error = buildTrainingModule(**module, optimizer)) {
      ADD_FAILURE() << llvm::toString(std::move(error));
      return nullptr;
    }
    auto session = JitSession::create(**module);
    if (!session) {
      ADD_FAILURE() << llvm::toString(session.takeError());
      return nullptr;
    }
    return std::move(*session);
  }

  /// A compiler callback that returns `source` whatever the sizes.
  ModelCompiler compilerFor(llvm::StringRef source) {
    return [this, source](llvm::ArrayRef<std::pair<std::string, int64_t>>) {
      return parse(source);
    };
  }

  seqc::test::SeqcContext context;
  llvm::SmallString<128> dir;
};

OptimizerSpec sgd(double lr) {
  OptimizerSpec spec;
  spec.kind = OptimizerKind::Sgd;
  spec.lr = lr;
  return spec;
}

TEST(EpochOrderTest, EveryRowOncePerEpochAndSeeded) {
  Rng rng = Rng::forStream(1, "data.shuffle");
  Rng same = rng;
  std::vector<int64_t> first = epochOrder(10, true, rng);
  std::vector<int64_t> second = epochOrder(10, true, rng);
  EXPECT_EQ(std::set<int64_t>(first.begin(), first.end()).size(), 10u);
  EXPECT_EQ(std::set<int64_t>(second.begin(), second.end()).size(), 10u);
  EXPECT_NE(first, second); // a new order every epoch
  EXPECT_EQ(epochOrder(10, true, same), first);
  EXPECT_EQ(same, Rng(same)); // the generator's state is all there is
  Rng unused(5);
  std::vector<int64_t> inOrder = epochOrder(4, false, unused);
  EXPECT_EQ(inOrder, (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(unused, Rng(5));
}

TEST(EpochOrderTest, GeneratorStateRoundTrips) {
  Rng rng(99);
  rng.normal(); // leaves a spare normal behind
  std::optional<Rng> back = Rng::deserialize(rng.serialize());
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, rng);
  EXPECT_EQ(back->normal(), rng.normal());
  EXPECT_EQ(back->next(), rng.next());
  EXPECT_FALSE(Rng::deserialize("xyz"));
  EXPECT_FALSE(Rng::deserialize("12:"));
}

TEST_F(TrainerTest, RegressionFindsTheKnownWeights) {
  SEQC_ASSERT_OK_AND_ASSIGN(
      data, parseData(regressionSpec(), regressionTable(), "line.csv", "", ""));
  auto session = compile(test::kLinearRegression, sgd(0.2));
  ASSERT_TRUE(session);
  session->initParams(0);
  TrainerOptions options;
  options.epochs = 60;
  options.batch = 7; // 32 training rows: 4 full batches and one of 4
  options.lr = 0.2;
  options.metrics = {{MetricKind::RMSE, 1, {}}};
  options.progress = ProgressMode::Lines;
  std::string printed;
  llvm::raw_string_ostream out(printed);
  SEQC_ASSERT_OK_AND_ASSIGN(
      trainer,
      Trainer::create(*session, data.train, &data.valid, options, out));
  SEQC_ASSERT_OK_AND_ASSIGN(summary, trainer->train());
  EXPECT_EQ(summary.steps, 60 * 5);
  EXPECT_EQ(trainer->step(), 300);
  EXPECT_EQ(trainer->epoch(), 60);
  EXPECT_NEAR(session->param("fc.W")->at({0, 0}), 2.0, 1e-3);
  EXPECT_NEAR(session->param("fc.W")->at({0, 1}), -3.0, 1e-3);
  EXPECT_NEAR(session->param("fc.b")->at({0}), 0.5, 1e-3);
  ASSERT_TRUE(summary.history.back().valid);
  EXPECT_LT(summary.history.back().valid->metrics[0].second, 1e-3);
  EXPECT_THAT(printed, StartsWith("epoch 1/60  step 5  train_loss "));
  EXPECT_THAT(printed, HasSubstr("epoch 60/60  step 300  train_loss "));
  EXPECT_THAT(printed, HasSubstr("  rmse "));

  // The mean loss does not depend on the batch size of the evaluation.
  SEQC_ASSERT_OK_AND_ASSIGN(all, trainer->evaluate(data.valid));
  options.batch = 3;
  SEQC_ASSERT_OK_AND_ASSIGN(
      small, Trainer::create(*session, data.train, &data.valid, options, out));
  SEQC_ASSERT_OK_AND_ASSIGN(pieces, small->evaluate(data.valid));
  EXPECT_EQ(all.rows, 8);
  EXPECT_NEAR(all.loss, pieces.loss, 1e-9 + 1e-5 * all.loss);
}

TEST_F(TrainerTest, SameSeedSameBits) {
  SEQC_ASSERT_OK_AND_ASSIGN(
      data, parseData(regressionSpec(), regressionTable(), "line.csv", "", ""));
  auto run = [&](uint64_t seed, bool shuffle) {
    auto session = compile(test::kLinearRegression, OptimizerSpec());
    session->initParams(seed);
    TrainerOptions options;
    options.epochs = 3;
    options.batch = 5;
    options.seed = seed;
    options.shuffle = shuffle;
    options.lr = 0.01;
    options.progress = ProgressMode::Quiet;
    auto trainer = Trainer::create(*session, data.train, &data.valid, options,
                                   llvm::nulls());
    EXPECT_TRUE(bool(trainer));
    auto summary = (*trainer)->train();
    EXPECT_TRUE(bool(summary));
    return std::make_pair(std::move(session), summary->history);
  };
  auto [a, historyA] = run(4, true);
  auto [b, historyB] = run(4, true);
  auto [c, historyC] = run(5, true);
  auto [d, historyD] = run(4, false);
  for (const char *name : {"fc.W", "fc.b"}) {
    EXPECT_TRUE(a->param(name)->identicalTo(*b->param(name))) << name;
    EXPECT_FALSE(a->param(name)->identicalTo(*c->param(name))) << name;
    EXPECT_FALSE(a->param(name)->identicalTo(*d->param(name))) << name;
  }
  for (auto [x, y] : llvm::zip(historyA, historyB)) {
    EXPECT_EQ(x.trainLoss, y.trainLoss);
    EXPECT_EQ(x.valid->loss, y.valid->loss);
  }
}

TEST_F(TrainerTest, ClassifierAndItsLog) {
  DataSpec spec;
  spec.path = "sides.csv";
  spec.targetKind = TargetKind::ClassIndex;
  spec.targets = {"side"};
  spec.split = 0.8;
  SEQC_ASSERT_OK_AND_ASSIGN(data,
                            parseData(spec, classTable(), "sides.csv", "", ""));
  OptimizerSpec adam;
  adam.lr = 0.1;
  auto session = compile(test::kSoftmaxRegression, adam);
  ASSERT_TRUE(session);
  session->initParams(0);
  TrainerOptions options;
  options.epochs = 30;
  options.batch = 4;
  options.lr = 0.1;
  options.metrics = {{MetricKind::Accuracy, 1, {}},
                     {MetricKind::PrecisionAt, 2, {}}};
  options.logPath = path("log.jsonl");
  options.progress = ProgressMode::Quiet;
  SEQC_ASSERT_OK_AND_ASSIGN(trainer,
                            Trainer::create(*session, data.train, &data.valid,
                                            options, llvm::nulls()));
  SEQC_ASSERT_OK_AND_ASSIGN(summary, trainer->train());
  const EvalResult &valid = *summary.history.back().valid;
  EXPECT_EQ(valid.metrics[0].first, "accuracy");
  EXPECT_EQ(valid.metrics[0].second, 1.0);
  // With two classes the top 2 always hold the label: 1/2.
  EXPECT_EQ(valid.metrics[1].first, "precision@2");
  EXPECT_EQ(valid.metrics[1].second, 0.5);

  llvm::SmallVector<llvm::StringRef> lines;
  std::string log = read("log.jsonl");
  llvm::StringRef(log).trim().split(lines, '\n');
  ASSERT_EQ(lines.size(), 30u);
  auto last = llvm::json::parse(lines.back());
  ASSERT_TRUE(bool(last)) << llvm::toString(last.takeError());
  const llvm::json::Object &object = *last->getAsObject();
  EXPECT_EQ(object.getInteger("epoch"), 30);
  EXPECT_EQ(object.getInteger("step"), 30 * 6);
  EXPECT_TRUE(object.getNumber("train_loss"));
  EXPECT_EQ(object.getNumber("valid_loss"), valid.loss);
  EXPECT_EQ(object.getObject("metrics")->getNumber("accuracy"), 1.0);
  EXPECT_TRUE(object.getNumber("seconds"));
}

TEST_F(TrainerTest, MetricsMustFitTheModel) {
  SEQC_ASSERT_OK_AND_ASSIGN(
      data, parseData(regressionSpec(), regressionTable(), "line.csv", "", ""));
  auto session = compile(test::kLinearRegression, sgd(0.1));
  ASSERT_TRUE(session);
  TrainerOptions options;
  options.metrics = {{MetricKind::PrecisionAt, 1, {}}};
  EXPECT_EQ(errorOf(Trainer::create(*session, data.train, &data.valid, options,
                                    llvm::nulls())),
            "precision_at needs class labels: `label` or `labels`");
  options.metrics.clear();
  options.batch = 0;
  EXPECT_EQ(errorOf(Trainer::create(*session, data.train, &data.valid, options,
                                    llvm::nulls())),
            "the batch size must be at least 1, got 0");
}

TEST_F(TrainerTest, NonFiniteLossStopsAndKeepsTheCheckpoint) {
  SEQC_ASSERT_OK_AND_ASSIGN(
      data, parseData(regressionSpec(), regressionTable(), "line.csv", "", ""));
  auto session = compile(test::kLinearRegression, sgd(0.1));
  ASSERT_TRUE(session);
  session->initParams(0);
  TrainerOptions options;
  options.epochs = 1;
  options.batch = 8;
  options.lr = 0.1;
  options.checkpointPath = path("model.safetensors");
  options.progress = ProgressMode::Quiet;
  {
    SEQC_ASSERT_OK_AND_ASSIGN(trainer,
                              Trainer::create(*session, data.train, &data.valid,
                                              options, llvm::nulls()));
    SEQC_ASSERT_OK(trainer->train().takeError());
  }
  std::string good = read("model.safetensors");
  Tensor W = *session->param("fc.W");

  // Continue with a learning rate that diverges.
  SEQC_ASSERT_OK_AND_ASSIGN(file, loadSafetensors(path("model.safetensors")));
  options.lr = 1e30;
  options.epochs = 5;
  SEQC_ASSERT_OK_AND_ASSIGN(trainer,
                            Trainer::create(*session, data.train, &data.valid,
                                            options, llvm::nulls()));
  SEQC_ASSERT_OK(trainer->resume(file.metadata, "m"));
  std::string message = errorOf(trainer->train());
  EXPECT_THAT(message, StartsWith("the training loss became "));
  EXPECT_THAT(message, HasSubstr("at step 6 (epoch 2, batch 2 of 4); "
                                 "training stopped; the checkpoint of "
                                 "epoch 1 in "));
  EXPECT_EQ(read("model.safetensors"), good);
  // The parameters are those after the last good step (step 5), finite.
  EXPECT_TRUE(std::isfinite(session->param("fc.W")->at({0, 0})));
  EXPECT_FALSE(session->param("fc.W")->identicalTo(W));
  EXPECT_EQ(trainer->step(), 5);
}

TEST_F(TrainerTest, ResumeMatchesAnUninterruptedRunBitForBit) {
  write("line.csv", regressionTable());
  TrainSpec spec;
  spec.modelName = "LinReg";
  spec.data = regressionSpec(path("line.csv"));
  spec.data.standardize = true;
  spec.batch = 6;
  spec.seed = 11;
  spec.optimizer.lr = 0.05; // Adam
  spec.optimizer.clipNorm = 1.0;
  ModelCompiler compile = compilerFor(test::kLinearRegression);
  CommandOptions options;
  options.progress = ProgressMode::Quiet;

  spec.epochs = 4;
  options.outDir = path("once");
  options.logPath = path("once.jsonl");
  SEQC_ASSERT_OK(trainCommand(spec, compile, options, llvm::nulls()));

  spec.epochs = 2;
  options.outDir = path("twice");
  options.logPath = path("twice.jsonl");
  SEQC_ASSERT_OK(trainCommand(spec, compile, options, llvm::nulls()));
  SEQC_ASSERT_OK_AND_ASSIGN(half,
                            loadSafetensors(path("twice/model.safetensors")));
  EXPECT_EQ(half.metadata.at("seqc.epoch"), "2");
  options.fromDir = path("twice");
  SEQC_ASSERT_OK(trainCommand(spec, compile, options, llvm::nulls()));

  std::string once = read("once/model.safetensors");
  ASSERT_FALSE(once.empty());
  EXPECT_EQ(once, read("twice/model.safetensors"));
  // The logs too, but for the wall times.
  auto withoutSeconds = [](std::string text) {
    std::string result;
    for (llvm::StringRef line : llvm::split(llvm::StringRef(text), '\n'))
      result += line.split("\"seconds\"").first.str() + "\n";
    return result;
  };
  EXPECT_EQ(withoutSeconds(read("once.jsonl")),
            withoutSeconds(read("twice.jsonl")));

  SEQC_ASSERT_OK_AND_ASSIGN(file,
                            loadSafetensors(path("once/model.safetensors")));
  EXPECT_EQ(file.metadata.at("seqc.epoch"), "4");
  EXPECT_EQ(file.metadata.at("seqc.step"), "24");
  EXPECT_EQ(file.metadata.at("seqc.seed"), "11");
  EXPECT_EQ(file.metadata.at("seqc.model"), "LinReg");
  EXPECT_EQ(file.metadata.at("seqc.format"), "seqc-checkpoint-1");
  EXPECT_EQ(file.metadata.at("seqc.data.target_kind"), "target");
  EXPECT_EQ(file.metadata.at("seqc.data.features"), R"(["a","b"])");
  EXPECT_THAT(file.metadata.at("seqc.optimizer"), HasSubstr("\"adam\""));
  EXPECT_TRUE(file.tensors.count("adam.v.fc.W"));

  // Evaluation reads the same checkpoint.
  std::string printed;
  llvm::raw_string_ostream out(printed);
  options.fromDir = path("once");
  spec.metrics = {{MetricKind::RMSE, 1, {}}};
  SEQC_ASSERT_OK(evalCommand(spec, compile, options, out));
  EXPECT_THAT(printed, StartsWith("validation (8 rows of "));
  EXPECT_THAT(printed, HasSubstr("  rmse  "));
}

TEST_F(TrainerTest, CheckpointProblems) {
  write("line.csv", regressionTable());
  TrainSpec spec;
  spec.modelName = "LinReg";
  spec.data = regressionSpec(path("line.csv"));
  spec.epochs = 1;
  ModelCompiler compile = compilerFor(test::kLinearRegression);
  CommandOptions options;
  options.progress = ProgressMode::Quiet;
  options.fromDir = path("none");
  EXPECT_THAT(errorOf(trainCommand(spec, compile, options, llvm::nulls())),
              HasSubstr("model.safetensors: no checkpoint there"));

  options.fromDir.clear();
  options.outDir = path("ckpt");
  SEQC_ASSERT_OK(trainCommand(spec, compile, options, llvm::nulls()));
  options.outDir.clear();
  options.fromDir = path("ckpt");
  spec.modelName = "Other";
  EXPECT_THAT(errorOf(trainCommand(spec, compile, options, llvm::nulls())),
              HasSubstr("the checkpoint is of model 'LinReg', not 'Other'"));
  spec.modelName = "LinReg";
  spec.data.features = {"b", "a"};
  EXPECT_THAT(errorOf(trainCommand(spec, compile, options, llvm::nulls())),
              HasSubstr("the model was trained on the features "
                        "[\"a\",\"b\"], but the train block lists "
                        "[\"b\",\"a\"]"));
  spec.data.features.clear();

  // Truncated.
  std::string bytes = read("ckpt/model.safetensors");
  write("ckpt/model.safetensors", bytes.substr(0, bytes.size() - 3));
  EXPECT_THAT(errorOf(evalCommand(spec, compile, options, llvm::nulls())),
              HasSubstr("truncated"));
  EXPECT_EQ(
      errorOf(evalCommand(spec, compile, CommandOptions(), llvm::nulls())),
      "eval needs a checkpoint: --from DIR");
}

} // namespace
