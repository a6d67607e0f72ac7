//===- TrainStepTest.cpp - Compiled training steps in the JitSession ------===//
//
// Builds @train_step from hand-written models (TrainingModules.h), compiles
// it, and checks the session's side: state and hyperparameter arguments,
// the update compared with one computed here, buffers swapped in, a
// non-finite loss leaving everything as it was, and checkpoints.
//
//===----------------------------------------------------------------------===//
#include "seqc/Runtime/JitSession.h"
#include "seqc/Runtime/TrainingModule.h"

#include "TestContext.h"
#include "TestUtil.h"
#include "TrainingModules.h"

#include "mlir/Parser/Parser.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

#include <cmath>
#include <malloc.h>

using namespace seqc::rt;
using seqc::OptimizerSpec;
using seqc::test::errorOf;
using ::testing::HasSubstr;

namespace {

class TrainStepTest : public ::testing::Test {
protected:
  llvm::Expected<std::unique_ptr<JitSession>>
  tryCompile(llvm::StringRef source, const OptimizerSpec &optimizer) {
    mlir::OwningOpRef<mlir::ModuleOp> module =
        mlir::parseSourceString<mlir::ModuleOp>(source, &context);
    if (!module)
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "the test module does not parse");
    if (llvm::Error error = buildTrainingModule(*module, optimizer))
      return std::move(error);
    return JitSession::create(*module);
  }

  std::unique_ptr<JitSession> compile(llvm::StringRef source,
                                      const OptimizerSpec &optimizer) {
    auto session = tryCompile(source, optimizer);
    if (!session) {
      ADD_FAILURE() << llvm::toString(session.takeError());
      return nullptr;
    }
    return std::move(*session);
  }

  seqc::test::SeqcContext context;
};

OptimizerSpec sgd(double momentum = 0.0) {
  OptimizerSpec spec;
  spec.kind = seqc::OptimizerKind::Sgd;
  spec.momentum = momentum;
  return spec;
}

OptimizerSpec adam() { return OptimizerSpec(); }

/// Four instances of y = 2 x0 - 3 x1 + 0.5.
struct RegressionBatch {
  Tensor x = Tensor::fromValues<float>(
      {4, 2}, {1.0f, 0.0f, 0.0f, 1.0f, 1.0f, 1.0f, -2.0f, 0.5f});
  Tensor y = Tensor::fromValues<float>({4, 1}, {2.5f, -2.5f, -0.5f, -5.0f});
};

size_t heapBytesInUse() { return mallinfo2().uordblks; }

TEST_F(TrainStepTest, SignatureOfTheTrainingStep) {
  auto session = compile(seqc::test::kLinearRegression, adam());
  ASSERT_TRUE(session);
  const EntryPoint *step = session->entryPoint("train_step");
  ASSERT_NE(step, nullptr);
  EXPECT_TRUE(step->isUpdateStep);
  ASSERT_EQ(step->inputs.size(), 2u);
  EXPECT_EQ(step->inputs[0].name, "x");
  EXPECT_EQ(step->inputs[1].name, "y");
  ASSERT_EQ(step->hypers.size(), 2u);
  EXPECT_EQ(step->hypers[0].name, "lr");
  EXPECT_EQ(step->hypers[1].name, "step");
  ASSERT_EQ(session->states().size(), 4u);
  EXPECT_EQ(session->states()[0].name, "adam.m.fc.W");
  EXPECT_EQ(session->states()[3].name, "adam.v.fc.b");
  EXPECT_EQ(session->states()[0].type.str(), "[1, 2] f32");
  // The gradient function is inlined into the step and not compiled alone.
  EXPECT_EQ(session->entryPoint("loss_grad"), nullptr);
  EXPECT_FALSE(session->entryPoint("forward")->isUpdateStep);
  EXPECT_NE(session->entryPoint("loss"), nullptr);
}

TEST_F(TrainStepTest, SgdStepMatchesTheGradient) {
  auto session = compile(seqc::test::kLinearRegression, sgd());
  ASSERT_TRUE(session);
  EXPECT_TRUE(session->states().empty());
  session->initParams(0); // zeros
  RegressionBatch batch;
  double lr = 0.1;
  SEQC_ASSERT_OK_AND_ASSIGN(loss,
                            session->trainStep({batch.x, batch.y}, lr, 1));
  // With W = 0 and b = 0 the predictions are 0: loss = mean(y^2), and
  // dL/dW_j = -2/N sum y x_j, dL/db = -2/N sum y.
  double expectedLoss = 0, gradW[2] = {0, 0}, gradB = 0;
  for (int n = 0; n < 4; ++n) {
    double y = batch.y.getDouble(n);
    expectedLoss += y * y / 4;
    for (int j = 0; j < 2; ++j)
      gradW[j] += -2.0 / 4 * y * batch.x.at({n, j});
    gradB += -2.0 / 4 * y;
  }
  EXPECT_NEAR(loss, expectedLoss, 1e-5);
  EXPECT_NEAR(session->param("fc.W")->at({0, 0}), -lr * gradW[0], 1e-5);
  EXPECT_NEAR(session->param("fc.W")->at({0, 1}), -lr * gradW[1], 1e-5);
  EXPECT_NEAR(session->param("fc.b")->at({0}), -lr * gradB, 1e-5);

  SEQC_ASSERT_OK_AND_ASSIGN(evalLoss, session->evalLoss({batch.x, batch.y}));
  EXPECT_LT(evalLoss, loss);
}

TEST_F(TrainStepTest, AdamStepAndState) {
  auto session = compile(seqc::test::kLinearRegression, adam());
  ASSERT_TRUE(session);
  session->initParams(0);
  RegressionBatch batch;
  SEQC_ASSERT_OK(session->trainStep({batch.x, batch.y}, 0.01, 1).takeError());
  // Step 1 of Adam moves every weight by lr * g / (|g| + eps): -lr sign(g).
  // Here every gradient is negative except dL/dW_1 (sum y x_1 < 0).
  EXPECT_NEAR(session->param("fc.W")->at({0, 0}), 0.01, 1e-6);
  EXPECT_NEAR(session->param("fc.W")->at({0, 1}), -0.01, 1e-6);
  EXPECT_NEAR(session->param("fc.b")->at({0}), -0.01, 1e-6);
  // m = (1 - beta1) g and v = (1 - beta2) g^2 with g = dL/db = 2.75.
  EXPECT_NEAR(session->state("adam.m.fc.b")->at({0}), 0.1 * 2.75, 1e-5);
  EXPECT_NEAR(session->state("adam.v.fc.b")->at({0}), 0.001 * 2.75 * 2.75,
              1e-6);
  session->resetState();
  EXPECT_EQ(session->state("adam.m.fc.b")->at({0}), 0.0);
}

TEST_F(TrainStepTest, SgdMomentumKeepsAVelocity) {
  auto session = compile(seqc::test::kLinearRegression, sgd(0.9));
  ASSERT_TRUE(session);
  ASSERT_EQ(session->states().size(), 2u);
  EXPECT_EQ(session->states()[0].name, "sgd.velocity.fc.W");
  session->initParams(0);
  RegressionBatch batch;
  SEQC_ASSERT_OK(session->trainStep({batch.x, batch.y}, 0.1, 1).takeError());
  EXPECT_NEAR(session->state("sgd.velocity.fc.b")->at({0}), 2.75, 1e-5);
}

TEST_F(TrainStepTest, ConvergesToTheLeastSquaresSolution) {
  auto session = compile(seqc::test::kLinearRegression, sgd());
  ASSERT_TRUE(session);
  session->initParams(0);
  RegressionBatch batch;
  for (int step = 1; step <= 2000; ++step)
    SEQC_ASSERT_OK(
        session->trainStep({batch.x, batch.y}, 0.05, step).takeError());
  EXPECT_NEAR(session->param("fc.W")->at({0, 0}), 2.0, 1e-3);
  EXPECT_NEAR(session->param("fc.W")->at({0, 1}), -3.0, 1e-3);
  EXPECT_NEAR(session->param("fc.b")->at({0}), 0.5, 1e-3);
}

TEST_F(TrainStepTest, UpdatesInPlaceWithoutLeaking) {
  auto session = compile(seqc::test::kLinearRegression, adam());
  ASSERT_TRUE(session);
  session->initParams(0);
  RegressionBatch batch;
  Tensor old = *session->param("fc.W");
  const std::byte *before = session->param("fc.W")->rawData();
  const std::byte *stateBefore = session->state("adam.m.fc.W")->rawData();
  SEQC_ASSERT_OK(session->trainStep({batch.x, batch.y}, 0.01, 1).takeError());
  // The same buffers, new values.
  EXPECT_EQ(session->param("fc.W")->rawData(), before);
  EXPECT_EQ(session->state("adam.m.fc.W")->rawData(), stateBefore);
  EXPECT_FALSE(session->param("fc.W")->identicalTo(old));
  // Warm up, then many steps must not grow the heap.
  for (int step = 2; step < 100; ++step)
    SEQC_ASSERT_OK(
        session->trainStep({batch.x, batch.y}, 0.01, step).takeError());
  size_t start = heapBytesInUse();
  for (int step = 100; step < 5100; ++step)
    SEQC_ASSERT_OK(
        session->trainStep({batch.x, batch.y}, 0.01, step).takeError());
  EXPECT_LT(heapBytesInUse(), start + 64 * 1024);
}

TEST_F(TrainStepTest, NonFiniteLossChangesNothing) {
  auto session = compile(seqc::test::kLinearRegression, adam());
  ASSERT_TRUE(session);
  session->initParams(0);
  RegressionBatch batch;
  SEQC_ASSERT_OK(session->trainStep({batch.x, batch.y}, 0.01, 1).takeError());
  Tensor W = *session->param("fc.W"), m = *session->state("adam.m.fc.W");
  Tensor bad = batch.x;
  bad.setDouble(0, std::nan(""));
  SEQC_ASSERT_OK_AND_ASSIGN(loss, session->trainStep({bad, batch.y}, 0.01, 2));
  EXPECT_TRUE(std::isnan(loss));
  EXPECT_TRUE(session->param("fc.W")->identicalTo(W));
  EXPECT_TRUE(session->state("adam.m.fc.W")->identicalTo(m));
}

TEST_F(TrainStepTest, HyperparametersAreChecked) {
  auto session = compile(seqc::test::kLinearRegression, adam());
  ASSERT_TRUE(session);
  RegressionBatch batch;
  EXPECT_EQ(errorOf(session->run("train_step", {batch.x, batch.y})),
            "@train_step needs a value for hyperparameter 'lr'");
  EXPECT_EQ(errorOf(session->run("train_step", {batch.x, batch.y},
                                 {{"lr", 0.1}, {"step", 1}, {"beta", 2}})),
            "@train_step has no hyperparameter 'beta'");
  EXPECT_EQ(errorOf(session->trainStep({batch.x, batch.y}, 0.1, 1, "loss")),
            "@loss is not an update step: it has no seq.state or seq.hyper "
            "arguments");
  EXPECT_EQ(errorOf(session->evalLoss({batch.x}, "forward")),
            "@forward does not return a loss (one 0-d float tensor)");
}

TEST_F(TrainStepTest, ClassIndicesAsI64Inputs) {
  auto session = compile(seqc::test::kSoftmaxRegression, adam());
  ASSERT_TRUE(session);
  session->initParams(3);
  Tensor x = Tensor::fromValues<float>({4, 2}, {2, 1, 1, 2, -1, -2, -2, -1});
  Tensor y = Tensor::fromValues<int64_t>({4}, {0, 0, 1, 1});
  double first = 0, last = 0;
  for (int step = 1; step <= 200; ++step) {
    SEQC_ASSERT_OK_AND_ASSIGN(loss, session->trainStep({x, y}, 0.05, step));
    (step == 1 ? first : last) = loss;
  }
  EXPECT_LT(last, first / 10);
  SEQC_ASSERT_OK_AND_ASSIGN(outputs, session->predict({x}));
  for (int n = 0; n < 4; ++n)
    EXPECT_GT(outputs[0].at({n, n < 2 ? 0 : 1}), 0.9) << "instance " << n;
}

TEST_F(TrainStepTest, UpdateStepResultsAreChecked) {
  std::string message = errorOf(tryCompile(R"mlir(
    module {
      func.func @step(%w: tensor<3xf32> {seq.param = "w",
                                         seq.init = {kind = "zeros"}},
                      %lr: tensor<f32> {seq.hyper = "lr"}) -> tensor<f32> {
        return %lr : tensor<f32>
      }
      func.func @loss(%w: tensor<3xf32> {seq.param = "w",
                                         seq.init = {kind = "zeros"}})
          -> tensor<f32> {
        %l = seq.reduce_sum %w [0] : tensor<3xf32> -> tensor<f32>
        return %l : tensor<f32>
      }
    })mlir",
                                           sgd()));
  EXPECT_THAT(message, HasSubstr("update step @step returns 1 values; "
                                 "expected the loss and one per parameter "
                                 "and state argument (2)"));
}

//===----------------------------------------------------------------------===//
// Checkpoints
//===----------------------------------------------------------------------===//

class CheckpointTest : public TrainStepTest {
protected:
  void SetUp() override {
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("seqc-ckpt", dir));
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }
  std::string path(llvm::StringRef name) { return (dir + "/" + name).str(); }

  llvm::SmallString<128> dir;
};

TEST_F(CheckpointTest, RoundTripOfParametersAndState) {
  auto session = compile(seqc::test::kLinearRegression, adam());
  ASSERT_TRUE(session);
  session->initParams(0);
  RegressionBatch batch;
  for (int step = 1; step <= 3; ++step)
    SEQC_ASSERT_OK(
        session->trainStep({batch.x, batch.y}, 0.01, step).takeError());
  SEQC_ASSERT_OK(
      session->saveCheckpoint(path("c.safetensors"), {{"seqc.epoch", "3"}}));
  SEQC_ASSERT_OK_AND_ASSIGN(file, loadSafetensors(path("c.safetensors")));
  EXPECT_EQ(file.metadata.at("seqc.model"), "LinReg");
  EXPECT_EQ(file.metadata.at("seqc.epoch"), "3");
  EXPECT_EQ(file.metadata.at("seqc.state"),
            R"(["adam.m.fc.W","adam.m.fc.b","adam.v.fc.W","adam.v.fc.b"])");
  EXPECT_EQ(file.tensors.size(), 6u);

  auto other = compile(seqc::test::kLinearRegression, adam());
  ASSERT_TRUE(other);
  SEQC_ASSERT_OK(other->loadCheckpoint(file, "c", /*withState=*/true));
  for (const ParamInfo &info : session->params())
    EXPECT_TRUE(
        other->param(info.name)->identicalTo(*session->param(info.name)));
  for (const StateInfo &info : session->states())
    EXPECT_TRUE(
        other->state(info.name)->identicalTo(*session->state(info.name)));
  // Both continue identically.
  SEQC_ASSERT_OK_AND_ASSIGN(a, session->trainStep({batch.x, batch.y}, 0.01, 4));
  SEQC_ASSERT_OK_AND_ASSIGN(b, other->trainStep({batch.x, batch.y}, 0.01, 4));
  EXPECT_EQ(a, b);
  EXPECT_TRUE(other->param("fc.W")->identicalTo(*session->param("fc.W")));

  // Parameters alone (evaluation) ignore the state; loadParams accepts a
  // training checkpoint too.
  auto evalOnly = compile(seqc::test::kLinearRegression, sgd());
  ASSERT_TRUE(evalOnly);
  SEQC_ASSERT_OK(evalOnly->loadCheckpoint(file, "c", /*withState=*/false));
  SEQC_ASSERT_OK(evalOnly->loadParams(path("c.safetensors")));
}

TEST_F(CheckpointTest, MismatchesAreClearErrors) {
  auto session = compile(seqc::test::kLinearRegression, adam());
  ASSERT_TRUE(session);
  SEQC_ASSERT_OK(session->saveCheckpoint(path("c.safetensors")));
  SEQC_ASSERT_OK_AND_ASSIGN(file, loadSafetensors(path("c.safetensors")));

  // Another model.
  auto logistic = compile(seqc::test::kSoftmaxRegression, adam());
  ASSERT_TRUE(logistic);
  EXPECT_EQ(errorOf(logistic->loadCheckpoint(file, "c", true)),
            "c: the checkpoint is of model 'LinReg', not 'Logistic'");

  // Another optimizer: its state does not fit.
  auto momentum = compile(seqc::test::kLinearRegression, sgd(0.9));
  ASSERT_TRUE(momentum);
  std::string message = errorOf(momentum->loadCheckpoint(file, "c", true));
  EXPECT_THAT(message, HasSubstr("c: does not fit model 'LinReg'"));
  EXPECT_THAT(message, HasSubstr("missing optimizer state "
                                 "'sgd.velocity.fc.W' ([1, 2] f32)"));
  EXPECT_THAT(message, HasSubstr("optimizer state 'adam.m.fc.W' does not "
                                 "belong to this training"));

  // Wrong shapes and names, and nothing changes.
  TensorMap wrong;
  wrong["fc.W"] = Tensor(DType::F32, {2, 1});
  wrong["fc.bias"] = Tensor(DType::F32, {1});
  SafetensorsFile wrongFile{wrong, {{"seqc.model", "LinReg"}}};
  session->initParams(0);
  SEQC_ASSERT_OK(
      session->setParam("fc.b", Tensor::fromValues<float>({1}, {7})));
  message = errorOf(session->loadCheckpoint(wrongFile, "w", false));
  EXPECT_THAT(message, HasSubstr("parameter 'fc.W' is [2, 1] f32 in the "
                                 "file, but the model expects [1, 2] f32"));
  EXPECT_THAT(message, HasSubstr("missing parameter 'fc.b' ([1] f32)"));
  EXPECT_THAT(message, HasSubstr("tensor 'fc.bias' is not a parameter"));
  EXPECT_EQ(session->param("fc.b")->at({0}), 7.0);

  // A corrupt state list.
  SafetensorsFile corrupt = file;
  corrupt.metadata["seqc.state"] = "{";
  EXPECT_THAT(errorOf(session->loadCheckpoint(corrupt, "x", true)),
              HasSubstr("x: corrupt checkpoint: metadata 'seqc.state'"));
}

} // namespace
