//===- SequenceTrainerTest.cpp - Training on sequences --------------------===//
//
// The Trainer on sequence data with hand-written models that follow the
// compiler's conventions: @forward(x, mask), @loss(x, y, mask), time-major
// batches, the loss summed over real steps and averaged over instances.
// Checks the values of losses and metrics against hand computations (so the
// mask and the weighting are right), that the models learn, the input
// checks, and that a resumed run equals an uninterrupted one bit for bit.
//
//===----------------------------------------------------------------------===//
#include "seqc/Driver/TrainCommand.h"
#include "seqc/Runtime/SequenceData.h"
#include "seqc/Runtime/Trainer.h"
#include "seqc/Runtime/TrainingModule.h"

#include "TestContext.h"
#include "TestUtil.h"

#include "mlir/Parser/Parser.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

using namespace seqc;
using namespace seqc::driver;
using namespace seqc::rt;
using seqc::test::errorOf;
using ::testing::HasSubstr;

namespace {

/// A bigram language model over V tokens: the logits of the next token are
/// the row of the current one in E [V, V]. Many-to-many: forward gives
/// log-probabilities [T, N, V]; the loss is -sum over real steps of the
/// target's log-probability, averaged over the instances.
constexpr llvm::StringLiteral kBigram = R"mlir(
module attributes {seq.model = "Bigram"} {
  func.func @forward(
      %E: tensor<@V@x@V@xf32> {seq.param = "E", seq.init = {kind = "zeros"}},
      %x: tensor<?x?xi64> {seq.input = "x"},
      %mask: tensor<?x?xf32> {seq.input = "mask"}) -> tensor<?x?x@V@xf32> {
    %e = seq.gather %E[%x] : tensor<@V@x@V@xf32>, tensor<?x?xi64> -> tensor<?x?x@V@xf32>
    %lp = seq.log_softmax %e axis = 2 : tensor<?x?x@V@xf32>
    return %lp : tensor<?x?x@V@xf32>
  }
  func.func @loss(
      %E: tensor<@V@x@V@xf32> {seq.param = "E", seq.init = {kind = "zeros"}},
      %x: tensor<?x?xi64> {seq.input = "x"},
      %y: tensor<?x?xi64> {seq.input = "y"},
      %mask: tensor<?x?xf32> {seq.input = "mask"}) -> tensor<f32> {
    %e = seq.gather %E[%x] : tensor<@V@x@V@xf32>, tensor<?x?xi64> -> tensor<?x?x@V@xf32>
    %lp = seq.log_softmax %e axis = 2 : tensor<?x?x@V@xf32>
    %oh = seq.one_hot %y depth = @V@ : tensor<?x?xi64> -> tensor<?x?x@V@xf32>
    %t = seq.mul %oh, %lp : tensor<?x?x@V@xf32>, tensor<?x?x@V@xf32> -> tensor<?x?x@V@xf32>
    %s = seq.reduce_sum %t [2] : tensor<?x?x@V@xf32> -> tensor<?x?xf32>
    %m = seq.mul %s, %mask : tensor<?x?xf32>, tensor<?x?xf32> -> tensor<?x?xf32>
    %st = seq.reduce_sum %m [0] : tensor<?x?xf32> -> tensor<?xf32>
    %n = seq.neg %st : tensor<?xf32>
    %l = seq.reduce_mean %n [0] : tensor<?xf32> -> tensor<f32>
    return %l : tensor<f32>
  }
}
)mlir";

/// A bag of units, many-to-one: the class scores are the sum over the real
/// steps of the unit's row of E [V, C]; log-softmax; NLL averaged over the
/// instances.
constexpr llvm::StringLiteral kBag = R"mlir(
module attributes {seq.model = "Bag"} {
  func.func @forward(
      %E: tensor<@V@x@C@xf32> {seq.param = "E", seq.init = {kind = "zeros"}},
      %x: tensor<?x?xi64> {seq.input = "x"},
      %mask: tensor<?x?xf32> {seq.input = "mask"}) -> tensor<?x@C@xf32> {
    %e = seq.gather %E[%x] : tensor<@V@x@C@xf32>, tensor<?x?xi64> -> tensor<?x?x@C@xf32>
    %m = seq.expand_dims %mask axis = 2 : tensor<?x?xf32> -> tensor<?x?x1xf32>
    %w = seq.mul %e, %m : tensor<?x?x@C@xf32>, tensor<?x?x1xf32> -> tensor<?x?x@C@xf32>
    %s = seq.reduce_sum %w [0] : tensor<?x?x@C@xf32> -> tensor<?x@C@xf32>
    %lp = seq.log_softmax %s axis = 1 : tensor<?x@C@xf32>
    return %lp : tensor<?x@C@xf32>
  }
  func.func @loss(
      %E: tensor<@V@x@C@xf32> {seq.param = "E", seq.init = {kind = "zeros"}},
      %x: tensor<?x?xi64> {seq.input = "x"},
      %y: tensor<?xi64> {seq.input = "y"},
      %mask: tensor<?x?xf32> {seq.input = "mask"}) -> tensor<f32> {
    %e = seq.gather %E[%x] : tensor<@V@x@C@xf32>, tensor<?x?xi64> -> tensor<?x?x@C@xf32>
    %m = seq.expand_dims %mask axis = 2 : tensor<?x?xf32> -> tensor<?x?x1xf32>
    %w = seq.mul %e, %m : tensor<?x?x@C@xf32>, tensor<?x?x1xf32> -> tensor<?x?x@C@xf32>
    %s = seq.reduce_sum %w [0] : tensor<?x?x@C@xf32> -> tensor<?x@C@xf32>
    %lp = seq.log_softmax %s axis = 1 : tensor<?x@C@xf32>
    %oh = seq.one_hot %y depth = @C@ : tensor<?xi64> -> tensor<?x@C@xf32>
    %t = seq.mul %oh, %lp : tensor<?x@C@xf32>, tensor<?x@C@xf32> -> tensor<?x@C@xf32>
    %r = seq.reduce_sum %t [1] : tensor<?x@C@xf32> -> tensor<?xf32>
    %n = seq.neg %r : tensor<?xf32>
    %l = seq.reduce_mean %n [0] : tensor<?xf32> -> tensor<f32>
    return %l : tensor<f32>
  }
}
)mlir";

/// The bag without a mask input: padding counts.
constexpr llvm::StringLiteral kBagWithoutMask = R"mlir(
module attributes {seq.model = "Bag"} {
  func.func @forward(
      %E: tensor<@V@x@C@xf32> {seq.param = "E", seq.init = {kind = "zeros"}},
      %x: tensor<?x?xi64> {seq.input = "x"}) -> tensor<?x@C@xf32> {
    %e = seq.gather %E[%x] : tensor<@V@x@C@xf32>, tensor<?x?xi64> -> tensor<?x?x@C@xf32>
    %s = seq.reduce_sum %e [0] : tensor<?x?x@C@xf32> -> tensor<?x@C@xf32>
    return %s : tensor<?x@C@xf32>
  }
  func.func @loss(
      %E: tensor<@V@x@C@xf32> {seq.param = "E", seq.init = {kind = "zeros"}},
      %x: tensor<?x?xi64> {seq.input = "x"},
      %y: tensor<?xi64> {seq.input = "y"}) -> tensor<f32> {
    %e = seq.gather %E[%x] : tensor<@V@x@C@xf32>, tensor<?x?xi64> -> tensor<?x?x@C@xf32>
    %s = seq.reduce_sum %e [0, 1, 2] : tensor<?x?x@C@xf32> -> tensor<f32>
    return %s : tensor<f32>
  }
}
)mlir";

std::string instantiate(llvm::StringRef source, int64_t V, int64_t C = 0) {
  std::string text = source.str();
  for (auto [key, value] :
       {std::pair<std::string, int64_t>{"@V@", V}, {"@C@", C}})
    for (size_t at = text.find(key); at != std::string::npos;
         at = text.find(key, at))
      text.replace(at, key.size(), std::to_string(value));
  return text;
}

int64_t dim(llvm::ArrayRef<std::pair<std::string, int64_t>> dims,
            llvm::StringRef name) {
  for (const auto &[kind, size] : dims)
    if (kind == name)
      return size;
  return 0;
}

/// Labeled texts: class "a" texts are runs of a's, class "b" of b's, of
/// lengths 1 to 6.
std::string runsTsv(int count) {
  std::string text = "label\ttext\n";
  for (int i = 0; i < count; ++i) {
    char unit = i % 2 ? 'b' : 'a';
    text +=
        std::string(1, unit) + "\t" + std::string(1 + (i * 5) % 6, unit) + "\n";
  }
  return text;
}

DataSpec textSpec() {
  DataSpec spec;
  spec.kind = DataSourceKind::Text;
  spec.path = "ab.txt";
  spec.window = 4;
  spec.split = 0.8;
  return spec;
}

DataSpec runsSpec(llvm::StringRef path = "runs.tsv") {
  DataSpec spec;
  spec.kind = DataSourceKind::Sequences;
  spec.path = path.str();
  spec.split = 0.75;
  return spec;
}

class SequenceTrainerTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("seqc-seqtrainer", dir));
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }

  std::string path(llvm::StringRef name) const {
    return (dir + "/" + name).str();
  }
  std::string read(llvm::StringRef name) {
    auto buffer = llvm::MemoryBuffer::getFile(path(name));
    return buffer ? (*buffer)->getBuffer().str() : std::string();
  }

  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
  parse(const std::string &source) {
    mlir::OwningOpRef<mlir::ModuleOp> module =
        mlir::parseSourceString<mlir::ModuleOp>(source, &context);
    if (!module)
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "the test module does not parse");
    return module;
  }

  std::unique_ptr<JitSession> compile(const std::string &source,
                                      double lr = 0.1) {
    auto module = parse(source);
    if (!module) {
      ADD_FAILURE() << llvm::toString(module.takeError());
      return nullptr;
    }
    OptimizerSpec adam;
    adam.lr = lr;
    if (llvm::Error error = buildTrainingModule(**module, adam)) {
      ADD_FAILURE() << llvm::toString(std::move(error));
      return nullptr;
    }
    auto session = JitSession::create(**module);
    if (!session) {
      ADD_FAILURE() << llvm::toString(session.takeError());
      return nullptr;
    }
    (*session)->initParams(0);
    return std::move(*session);
  }

  TrainerOptions trainerOptions(std::vector<MetricSpec> metrics) {
    TrainerOptions options;
    options.batch = 3;
    options.lr = 0.1;
    options.metrics = std::move(metrics);
    options.progress = ProgressMode::Quiet;
    return options;
  }

  seqc::test::SeqcContext context;
  llvm::SmallString<128> dir;
};

TEST_F(SequenceTrainerTest, LanguageModelLossIsPerStepAndLearns) {
  std::string text;
  for (int i = 0; i < 50; ++i)
    text += "ab";
  SEQC_ASSERT_OK_AND_ASSIGN(data,
                            parseData(textSpec(), text, "ab.txt", "", ""));
  // 80 training units: 19 windows; 20 validation units: 4 windows.
  ASSERT_EQ(data.train.rows, 19);
  ASSERT_EQ(data.valid.rows, 4);
  int64_t V = data.schema.dataDims()[0].second;
  ASSERT_EQ(V, 4);
  auto session = compile(instantiate(kBigram, V));
  ASSERT_TRUE(session);
  TrainerOptions options = trainerOptions({{MetricKind::NatsPerStep, 1, {}},
                                           {MetricKind::Perplexity, 1, {}},
                                           {MetricKind::Accuracy, 1, {}}});
  options.epochs = 20;
  SEQC_ASSERT_OK_AND_ASSIGN(trainer,
                            Trainer::create(*session, data.train, &data.valid,
                                            options, llvm::nulls()));

  // Zero parameters: every step costs log V; a window of 4 steps 4 log V.
  SEQC_ASSERT_OK_AND_ASSIGN(before, trainer->evaluate(data.valid));
  EXPECT_EQ(before.rows, 4);
  EXPECT_NEAR(before.loss, 4 * std::log(4.0), 1e-5);
  EXPECT_EQ(before.metrics[0].first, "nats_per_step");
  EXPECT_NEAR(before.metrics[0].second, std::log(4.0), 1e-6);
  EXPECT_NEAR(before.metrics[1].second, 4.0, 1e-5);
  // Equal outputs: the argmax is <pad>, never a target.
  EXPECT_EQ(before.metrics[2].second, 0.0);

  SEQC_ASSERT_OK_AND_ASSIGN(summary, trainer->train());
  EXPECT_EQ(summary.steps, 20 * 7);
  const EvalResult &after = *summary.history.back().valid;
  EXPECT_EQ(after.metrics[2].second, 1.0); // a -> b and b -> a
  EXPECT_LT(after.metrics[0].second, 0.05);
  EXPECT_NEAR(after.metrics[1].second, std::exp(after.metrics[0].second), 1e-9);
  EXPECT_NEAR(after.loss, 4 * after.metrics[0].second, 1e-9);
}

TEST_F(SequenceTrainerTest, ManyToOneLossUsesTheMask) {
  SEQC_ASSERT_OK_AND_ASSIGN(
      data, parseData(runsSpec(), runsTsv(24), "runs.tsv", "", ""));
  auto dims = data.schema.dataDims();
  int64_t V = dim(dims, "vocab"), C = dim(dims, "classes");
  ASSERT_EQ(V, 4);
  ASSERT_EQ(C, 2);
  auto session = compile(instantiate(kBag, V, C));
  ASSERT_TRUE(session);
  // Padding would pull every instance to class 0, a wrong answer for half.
  Tensor E =
      Tensor::fromValues<float>({4, 2}, {5, -5, 0, 0, 0.5, -0.25, -0.75, 1});
  SEQC_ASSERT_OK(session->setParam("E", E));
  TrainerOptions options = trainerOptions({{MetricKind::Accuracy, 1, {}}});
  SEQC_ASSERT_OK_AND_ASSIGN(trainer,
                            Trainer::create(*session, data.train, &data.valid,
                                            options, llvm::nulls()));
  SEQC_ASSERT_OK_AND_ASSIGN(result, trainer->evaluate(data.train));
  // By hand: the scores are the sums of the real units' rows.
  double expected = 0.0;
  int64_t correct = 0;
  for (int64_t row = 0; row < data.train.rows; ++row) {
    double s[2] = {0, 0};
    for (int64_t step = data.train.offsets[row];
         step < data.train.offsets[row + 1]; ++step)
      for (int c = 0; c < 2; ++c)
        s[c] += E.at({data.train.tokens[step], c});
    double top = std::max(s[0], s[1]);
    double logSum = top + std::log(std::exp(s[0] - top) + std::exp(s[1] - top));
    auto label = static_cast<int64_t>(data.train.targets[row]);
    expected += logSum - s[label];
    correct += (s[1] > s[0]) == (label == 1);
  }
  EXPECT_NEAR(result.loss, expected / data.train.rows, 1e-5);
  EXPECT_DOUBLE_EQ(result.metrics[0].second,
                   static_cast<double>(correct) / data.train.rows);

  options.epochs = 15;
  SEQC_ASSERT_OK_AND_ASSIGN(learner,
                            Trainer::create(*session, data.train, &data.valid,
                                            options, llvm::nulls()));
  SEQC_ASSERT_OK_AND_ASSIGN(summary, learner->train());
  EXPECT_EQ(summary.history.back().valid->metrics[0].second, 1.0);
}

TEST_F(SequenceTrainerTest, EntriesMustFitTheData) {
  SEQC_ASSERT_OK_AND_ASSIGN(
      data, parseData(runsSpec(), runsTsv(8), "runs.tsv", "", ""));
  auto dims = data.schema.dataDims();
  auto session = compile(
      instantiate(kBagWithoutMask, dim(dims, "vocab"), dim(dims, "classes")));
  ASSERT_TRUE(session);
  EXPECT_EQ(errorOf(Trainer::create(*session, data.train, &data.valid,
                                    trainerOptions({}), llvm::nulls())),
            "@forward takes no 'mask' input, but the sequences differ in "
            "length: padded steps would count as real ones");

  auto bag =
      compile(instantiate(kBag, dim(dims, "vocab"), dim(dims, "classes")));
  ASSERT_TRUE(bag);
  EXPECT_EQ(
      errorOf(Trainer::create(
          *bag, data.train, &data.valid,
          trainerOptions({{MetricKind::NatsPerStep, 1, {}}}), llvm::nulls())),
      "nats_per_step needs a target at every step (text or series "
      "data)");
  // Time-major inputs agree on N by their second axis.
  Tensor x(DType::I64, {5, 2}), y(DType::I64, {3}), mask(DType::F32, {5, 2});
  EXPECT_EQ(errorOf(bag->run("loss", {x, y, mask})),
            "inputs 'x' and 'y' of @loss disagree on the batch size: 2 vs 3");
  Tensor shortMask(DType::F32, {4, 2});
  EXPECT_EQ(errorOf(bag->run("forward", {x, shortMask})),
            "sequences 'x' and 'mask' of @forward disagree on the number of "
            "steps: 5 vs 4");
}

TEST_F(SequenceTrainerTest, ResumeMatchesAnUninterruptedRunBitForBit) {
  { std::ofstream(path("runs.tsv"), std::ios::binary) << runsTsv(40); }
  TrainSpec spec;
  spec.modelName = "Bag";
  spec.data = runsSpec(path("runs.tsv"));
  spec.batch = 4;
  spec.seed = 5;
  spec.optimizer.lr = 0.05;
  spec.metrics = {{MetricKind::Accuracy, 1, {}}};
  std::vector<std::pair<std::string, int64_t>> seen;
  ModelCompiler compile =
      [&](llvm::ArrayRef<std::pair<std::string, int64_t>> dims) {
        seen = dims.vec();
        return parse(
            instantiate(kBag, dim(dims, "vocab"), dim(dims, "classes")));
      };
  CommandOptions options;
  options.progress = ProgressMode::Quiet;

  spec.epochs = 4;
  options.outDir = path("once");
  SEQC_ASSERT_OK(trainCommand(spec, compile, options, llvm::nulls()));
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, int64_t>>{
                      {"vocab", 4}, {"classes", 2}}));

  spec.epochs = 2;
  options.outDir = path("twice");
  SEQC_ASSERT_OK(trainCommand(spec, compile, options, llvm::nulls()));
  options.fromDir = path("twice");
  SEQC_ASSERT_OK(trainCommand(spec, compile, options, llvm::nulls()));
  std::string once = read("once/model.safetensors");
  ASSERT_FALSE(once.empty());
  EXPECT_EQ(once, read("twice/model.safetensors"));

  SEQC_ASSERT_OK_AND_ASSIGN(file,
                            loadSafetensors(path("once/model.safetensors")));
  EXPECT_EQ(file.metadata.at("seqc.data.kind"), "sequences");
  EXPECT_THAT(file.metadata.at("seqc.data.vocabulary"),
              ::testing::StartsWith(R"(["<pad>","<unk>",)"));
  EXPECT_EQ(file.metadata.at("seqc.data.classes"), R"(["a","b"])");

  // Evaluation reads the data through the checkpoint's vocabulary.
  std::string printed;
  llvm::raw_string_ostream out(printed);
  options.fromDir = path("once");
  SEQC_ASSERT_OK(evalCommand(spec, compile, options, out));
  EXPECT_THAT(printed, HasSubstr("validation (10 rows of "));
  EXPECT_THAT(printed, HasSubstr("  accuracy  "));
}

} // namespace
