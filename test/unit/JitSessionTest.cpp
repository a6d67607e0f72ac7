//===- JitSessionTest.cpp - Compiling and calling seq modules -------------===//
//
// Each test writes a small seq-dialect module, compiles it with the full
// pipeline and the JIT, and compares the outputs with values computed here.
//
//===----------------------------------------------------------------------===//
#include "seqc/Runtime/JitSession.h"

#include "TestContext.h"
#include "TestUtil.h"

#include "mlir/Parser/Parser.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <functional>
#include <malloc.h>
#include <thread>

using namespace seqc::rt;
using seqc::test::errorOf;
using ::testing::HasSubstr;

namespace {

/// Every test runs twice: with seqc's vectorizer and with scalar loops.
class JitSessionTest : public ::testing::TestWithParam<bool> {
protected:
  /// Parses and compiles `source`; nullptr (and a test failure) on error.
  std::unique_ptr<JitSession> compile(llvm::StringRef source) {
    auto session = tryCompile(source);
    if (!session) {
      ADD_FAILURE() << llvm::toString(session.takeError());
      return nullptr;
    }
    return std::move(*session);
  }

  llvm::Expected<std::unique_ptr<JitSession>>
  tryCompile(llvm::StringRef source) {
    mlir::OwningOpRef<mlir::ModuleOp> module =
        mlir::parseSourceString<mlir::ModuleOp>(source, &context);
    if (!module)
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "the test module does not parse");
    JitOptions options;
    options.pipeline.vectorize = GetParam();
    return JitSession::create(*module, options);
  }

  seqc::test::SeqcContext context;
};

/// Bytes allocated with malloc and not freed (0 where unknown).
size_t heapBytesInUse() {
#if defined(__GLIBC__)
  return mallinfo2().uordblks;
#else
  return 0;
#endif
}

/// `rows` x `columns` values spread over [-3, 3), deterministic.
Tensor sampleInput(int64_t rows, int64_t columns, uint64_t seed = 1) {
  Tensor tensor(DType::F32, {rows, columns});
  Rng rng(seed);
  for (int64_t i = 0; i < tensor.numElements(); ++i)
    tensor.setDouble(i, rng.uniform(-3.0, 3.0));
  return tensor;
}

/// Expects `actual` to have `shape` and to match `expected(flatIndex)`
/// within a relative tolerance.
void expectValues(const Tensor &actual, llvm::ArrayRef<int64_t> shape,
                  const std::function<double(int64_t)> &expected,
                  double tolerance = 1e-5) {
  ASSERT_EQ(actual.shape(), shape);
  for (int64_t i = 0; i < actual.numElements(); ++i) {
    double want = expected(i);
    EXPECT_NEAR(actual.getDouble(i), want,
                tolerance * std::max(1.0, std::abs(want)))
        << "at flat index " << i;
  }
}

/// One entry point `@f` applying `body` to `%x : tensor<?xNxf32>`.
std::string unaryModule(llvm::StringRef body, int64_t columns,
                        llvm::StringRef resultType) {
  return ("module attributes {seq.model = \"T\"} {\n"
          "func.func @f(%x: tensor<?x" +
          std::to_string(columns) + "xf32> {seq.input = \"x\"}) -> " +
          resultType.str() + " {\n" + body.str() +
          "\n  return %y : " + resultType.str() + "\n}\n}\n");
}

//===----------------------------------------------------------------------===//
// Signatures and parameters
//===----------------------------------------------------------------------===//

constexpr llvm::StringLiteral kLinear = R"mlir(
module attributes {seq.model = "Linear"} {
  func.func @forward(
      %W: tensor<4x3xf32> {seq.param = "fc.W",
                           seq.init = {kind = "xavier", a = 0.0, b = 0.0}},
      %b: tensor<4xf32> {seq.param = "fc.b",
                         seq.init = {kind = "constant", a = 0.5, b = 0.0}},
      %x: tensor<?x3xf32> {seq.input = "x"}) -> tensor<?x4xf32> {
    %xw = seq.matmul %x, %W {transpose_rhs}
        : tensor<?x3xf32>, tensor<4x3xf32> -> tensor<?x4xf32>
    %y = seq.add %xw, %b : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
    return %y : tensor<?x4xf32>
  }
}
)mlir";

TEST_P(JitSessionTest, ReadsSignatures) {
  auto session = compile(kLinear);
  ASSERT_TRUE(session);
  EXPECT_EQ(session->modelName(), "Linear");
  ASSERT_EQ(session->params().size(), 2u);
  EXPECT_EQ(session->params()[0].name, "fc.W");
  EXPECT_EQ(session->params()[0].type.str(), "[4, 3] f32");
  EXPECT_EQ(session->params()[0].init.kind, InitSpec::Kind::Xavier);
  EXPECT_EQ(session->params()[1].init.str(), "constant(0.5)");
  const EntryPoint *forward = session->entryPoint("forward");
  ASSERT_NE(forward, nullptr);
  ASSERT_EQ(forward->arguments.size(), 3u);
  ASSERT_EQ(forward->inputs.size(), 1u);
  EXPECT_EQ(forward->inputs[0].name, "x");
  EXPECT_EQ(forward->inputs[0].type.str(), "[?, 3] f32");
  EXPECT_EQ(forward->results[0].str(), "[?, 4] f32");
  EXPECT_EQ(forward->resultNames[0], "out");
  EXPECT_EQ(session->entryPoint("train_step"), nullptr);
}

TEST_P(JitSessionTest, LinearLayerWithInitializedParameters) {
  auto session = compile(kLinear);
  ASSERT_TRUE(session);
  session->initParams(7);
  const Tensor &W = *session->param("fc.W");
  const Tensor &b = *session->param("fc.b");
  double limit = std::sqrt(6.0 / 7.0);
  for (int64_t i = 0; i < W.numElements(); ++i)
    EXPECT_LE(std::abs(W.getDouble(i)), limit);
  for (int64_t i = 0; i < b.numElements(); ++i)
    EXPECT_EQ(b.getDouble(i), 0.5);

  Tensor x = sampleInput(5, 3);
  SEQC_ASSERT_OK_AND_ASSIGN(outputs, session->run("forward", {x}));
  ASSERT_EQ(outputs.size(), 1u);
  expectValues(outputs[0], {5, 4}, [&](int64_t flat) {
    int64_t n = flat / 4, o = flat % 4;
    double sum = b.at({o});
    for (int64_t k = 0; k < 3; ++k)
      sum += x.at({n, k}) * W.at({o, k});
    return sum;
  });
}

TEST_P(JitSessionTest, InitializationIsSeeded) {
  auto first = compile(kLinear), second = compile(kLinear);
  ASSERT_TRUE(first && second);
  first->initParams(3);
  second->initParams(3);
  EXPECT_TRUE(first->param("fc.W")->identicalTo(*second->param("fc.W")));
  second->initParams(4);
  EXPECT_FALSE(first->param("fc.W")->identicalTo(*second->param("fc.W")));
}

TEST_P(JitSessionTest, ParametersAndInputsAreNotModified) {
  auto session = compile(kLinear);
  ASSERT_TRUE(session);
  session->initParams(1);
  Tensor W = *session->param("fc.W"), b = *session->param("fc.b");
  Tensor x = sampleInput(8, 3), xCopy = x;
  SEQC_ASSERT_OK_AND_ASSIGN(first, session->run("forward", {x}));
  SEQC_ASSERT_OK_AND_ASSIGN(second, session->run("forward", {x}));
  EXPECT_TRUE(first[0].identicalTo(second[0]));
  EXPECT_TRUE(session->param("fc.W")->identicalTo(W));
  EXPECT_TRUE(session->param("fc.b")->identicalTo(b));
  EXPECT_TRUE(x.identicalTo(xCopy));
}

TEST_P(JitSessionTest, OutlivesTheMLIRContext) {
  std::unique_ptr<JitSession> session;
  {
    seqc::test::SeqcContext scopedContext;
    auto module =
        mlir::parseSourceString<mlir::ModuleOp>(kLinear, &scopedContext);
    ASSERT_TRUE(module);
    JitOptions options;
    options.pipeline.vectorize = GetParam();
    SEQC_ASSERT_OK_AND_ASSIGN(created, JitSession::create(*module, options));
    session = std::move(created);
  }
  session->initParams(2);
  SEQC_ASSERT_OK_AND_ASSIGN(outputs,
                            session->run("forward", {sampleInput(2, 3)}));
  EXPECT_EQ(outputs[0].shape(), llvm::ArrayRef<int64_t>({2, 4}));
}

TEST_P(JitSessionTest, SetParamChecksTheType) {
  auto session = compile(kLinear);
  ASSERT_TRUE(session);
  SEQC_ASSERT_OK(
      session->setParam("fc.b", Tensor::fromValues<float>({4}, {1, 2, 3, 4})));
  EXPECT_EQ(session->param("fc.b")->at({3}), 4.0);
  EXPECT_EQ(errorOf(session->setParam("fc.b", Tensor(DType::F32, {3}))),
            "parameter 'fc.b' is [4] f32, got [3] f32");
  EXPECT_EQ(errorOf(session->setParam("fc.b", Tensor(DType::F64, {4}))),
            "parameter 'fc.b' is [4] f32, got [4] f64");
  EXPECT_EQ(errorOf(session->setParam("nope", Tensor(DType::F32, {4}))),
            "model 'Linear' has no parameter 'nope'");
}

TEST_P(JitSessionTest, ChecksInputs) {
  auto session = compile(kLinear);
  ASSERT_TRUE(session);
  EXPECT_EQ(errorOf(session->run("forward", {})),
            "@forward takes 1 input (x: [?, 3] f32), got 0");
  EXPECT_EQ(errorOf(session->run("forward", {Tensor(DType::F32, {2, 4})})),
            "input 'x' of @forward must be [?, 3] f32, got [2, 4] f32");
  EXPECT_EQ(errorOf(session->run("forward", {Tensor(DType::F64, {2, 3})})),
            "input 'x' of @forward must be [?, 3] f32, got [2, 3] f64");
  EXPECT_EQ(errorOf(session->run("forward", {Tensor(DType::F32, {3})})),
            "input 'x' of @forward must be [?, 3] f32, got [3] f32");
  EXPECT_EQ(errorOf(session->run("predict", {})),
            "model 'Linear' has no entry point 'predict'");
}

TEST_P(JitSessionTest, EmptyBatch) {
  auto session = compile(kLinear);
  ASSERT_TRUE(session);
  session->initParams(0);
  SEQC_ASSERT_OK_AND_ASSIGN(
      outputs, session->run("forward", {Tensor(DType::F32, {0, 3})}));
  EXPECT_EQ(outputs[0].shape(), llvm::ArrayRef<int64_t>({0, 4}));
}

TEST_P(JitSessionTest, SavesAndLoadsParameters) {
  auto session = compile(kLinear);
  ASSERT_TRUE(session);
  session->initParams(11);
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("seqc-jit", dir));
  std::string path = (dir + "/p.safetensors").str();
  SEQC_ASSERT_OK(session->saveParams(path));

  auto other = compile(kLinear);
  ASSERT_TRUE(other);
  other->initParams(12);
  SEQC_ASSERT_OK(other->loadParams(path));
  EXPECT_TRUE(other->param("fc.W")->identicalTo(*session->param("fc.W")));
  SEQC_ASSERT_OK_AND_ASSIGN(file, loadSafetensors(path));
  EXPECT_EQ(file.metadata.at("seqc.model"), "Linear");

  // A file for another model is rejected as a whole, naming every problem.
  TensorMap wrong;
  wrong["fc.W"] = Tensor(DType::F32, {3, 4});
  wrong["fc.bias"] = Tensor(DType::F32, {4});
  std::string wrongPath = (dir + "/wrong.safetensors").str();
  SEQC_ASSERT_OK(saveSafetensors(wrongPath, wrong));
  Tensor before = *other->param("fc.W");
  std::string message = errorOf(other->loadParams(wrongPath));
  EXPECT_THAT(message, HasSubstr("does not fit model 'Linear'"));
  EXPECT_THAT(message, HasSubstr("parameter 'fc.W' is [3, 4] f32 in the "
                                 "file, but the model expects [4, 3] f32"));
  EXPECT_THAT(message, HasSubstr("missing parameter 'fc.b' ([4] f32)"));
  EXPECT_THAT(message, HasSubstr("tensor 'fc.bias' is not a parameter"));
  EXPECT_TRUE(other->param("fc.W")->identicalTo(before));
  llvm::sys::fs::remove_directories(dir);
}

TEST_P(JitSessionTest, RejectsUnmarkedArguments) {
  std::string message = errorOf(tryCompile(R"mlir(
    func.func @f(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
      return %x : tensor<?x3xf32>
    })mlir"));
  EXPECT_EQ(message, "argument #0 of @f must carry exactly one of seq.param, "
                     "seq.state, seq.hyper and seq.input");
  message = errorOf(tryCompile(R"mlir(
    func.func @f(%w: tensor<3xf32> {seq.param = "w"}) -> tensor<3xf32> {
      return %w : tensor<3xf32>
    })mlir"));
  EXPECT_EQ(message, "parameter 'w' of @f has no seq.init initializer "
                     "attribute");
  message = errorOf(tryCompile(R"mlir(
    func.func @f(%w: tensor<3xf32> {seq.param = "w",
                                    seq.init = {kind = "ones"}})
        -> tensor<3xf32> {
      return %w : tensor<3xf32>
    })mlir"));
  EXPECT_THAT(message, HasSubstr("unknown initializer 'ones'"));
  message = errorOf(tryCompile(R"mlir(
    func.func private @helper(%x: tensor<3xf32>) -> tensor<3xf32>)mlir"));
  EXPECT_EQ(message, "the module has no public function to run");
}

//===----------------------------------------------------------------------===//
// Ops, each against a reference computed here
//===----------------------------------------------------------------------===//

TEST_P(JitSessionTest, MatmulTransposes) {
  auto session = compile(R"mlir(
  module {
    func.func @plain(%a: tensor<2x3xf32> {seq.param = "a", seq.init = {kind = "zeros"}},
                     %b: tensor<3x4xf32> {seq.param = "b", seq.init = {kind = "zeros"}})
        -> tensor<2x4xf32> {
      %y = seq.matmul %a, %b : tensor<2x3xf32>, tensor<3x4xf32> -> tensor<2x4xf32>
      return %y : tensor<2x4xf32>
    }
    func.func @lhs_t(%at: tensor<3x2xf32> {seq.param = "at", seq.init = {kind = "zeros"}},
                     %b: tensor<3x4xf32> {seq.param = "b", seq.init = {kind = "zeros"}})
        -> tensor<2x4xf32> {
      %y = seq.matmul %at, %b {transpose_lhs}
          : tensor<3x2xf32>, tensor<3x4xf32> -> tensor<2x4xf32>
      return %y : tensor<2x4xf32>
    }
    func.func @both_t(%at: tensor<3x2xf32> {seq.param = "at", seq.init = {kind = "zeros"}},
                      %bt: tensor<4x3xf32> {seq.param = "bt", seq.init = {kind = "zeros"}})
        -> tensor<2x4xf32> {
      %y = seq.matmul %at, %bt {transpose_lhs, transpose_rhs}
          : tensor<3x2xf32>, tensor<4x3xf32> -> tensor<2x4xf32>
      return %y : tensor<2x4xf32>
    }
    func.func @batched(%x: tensor<?x3xf32> {seq.input = "x"},
                       %b: tensor<3x4xf32> {seq.param = "b", seq.init = {kind = "zeros"}})
        -> tensor<?x4xf32> {
      %y = seq.matmul %x, %b : tensor<?x3xf32>, tensor<3x4xf32> -> tensor<?x4xf32>
      return %y : tensor<?x4xf32>
    }
  })mlir");
  ASSERT_TRUE(session);
  Tensor a = sampleInput(2, 3, 1), b = sampleInput(3, 4, 2);
  Tensor at(DType::F32, {3, 2}), bt(DType::F32, {4, 3});
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t k = 0; k < 3; ++k)
      at.setDouble(k * 2 + i, a.at({i, k}));
  for (int64_t k = 0; k < 3; ++k)
    for (int64_t j = 0; j < 4; ++j)
      bt.setDouble(j * 3 + k, b.at({k, j}));
  SEQC_ASSERT_OK(session->setParam("a", a));
  SEQC_ASSERT_OK(session->setParam("b", b));
  SEQC_ASSERT_OK(session->setParam("at", at));
  SEQC_ASSERT_OK(session->setParam("bt", bt));
  auto product = [&](int64_t flat) {
    double sum = 0;
    for (int64_t k = 0; k < 3; ++k)
      sum += a.at({flat / 4, k}) * b.at({k, flat % 4});
    return sum;
  };
  for (const char *entry : {"plain", "lhs_t", "both_t"}) {
    SEQC_ASSERT_OK_AND_ASSIGN(outputs, session->run(entry, {}));
    SCOPED_TRACE(entry);
    expectValues(outputs[0], {2, 4}, product);
  }
  SEQC_ASSERT_OK_AND_ASSIGN(batched, session->run("batched", {a}));
  expectValues(batched[0], {2, 4}, product);
}

TEST_P(JitSessionTest, BroadcastingAdd) {
  auto session = compile(R"mlir(
  func.func @f(%x: tensor<?x4xf32> {seq.input = "x"},
               %c: tensor<?x1xf32> {seq.input = "c"},
               %r: tensor<1x4xf32> {seq.param = "r", seq.init = {kind = "zeros"}})
      -> tensor<?x4xf32> {
    %xc = seq.add %x, %c : tensor<?x4xf32>, tensor<?x1xf32> -> tensor<?x4xf32>
    %y = seq.sub %xc, %r : tensor<?x4xf32>, tensor<1x4xf32> -> tensor<?x4xf32>
    return %y : tensor<?x4xf32>
  })mlir");
  ASSERT_TRUE(session);
  Tensor r = Tensor::fromValues<float>({1, 4}, {10, 20, 30, 40});
  SEQC_ASSERT_OK(session->setParam("r", r));
  Tensor x = sampleInput(3, 4), c = sampleInput(3, 1, 9);
  SEQC_ASSERT_OK_AND_ASSIGN(outputs, session->run("f", {x, c}));
  expectValues(outputs[0], {3, 4}, [&](int64_t flat) {
    return x.getDouble(flat) + c.getDouble(flat / 4) - r.getDouble(flat % 4);
  });
  EXPECT_EQ(errorOf(session->run("f", {x, sampleInput(2, 1)})),
            "inputs 'x' and 'c' of @f disagree on the batch size: 3 vs 2");
}

struct ActivationCase {
  const char *op;
  std::function<double(double)> reference;
  bool positiveInput = false;
};

TEST_P(JitSessionTest, Activations) {
  std::vector<ActivationCase> cases = {
      {"seq.neg %x", [](double v) { return -v; }},
      {"seq.sigmoid %x", [](double v) { return 1 / (1 + std::exp(-v)); }},
      {"seq.tanh %x", [](double v) { return std::tanh(v); }},
      {"seq.relu %x", [](double v) { return std::max(v, 0.0); }},
      {"seq.exp %x", [](double v) { return std::exp(v); }},
      {"seq.log %x", [](double v) { return std::log(v); }, true},
      {"seq.sqrt %x", [](double v) { return std::sqrt(v); }, true},
      {"seq.abs %x", [](double v) { return std::abs(v); }},
      {"seq.leaky_relu %x alpha = 0.1",
       [](double v) { return v > 0 ? v : 0.1 * v; }},
      {"seq.elu %x alpha = 1.5",
       [](double v) { return v > 0 ? v : 1.5 * (std::exp(v) - 1); }},
  };
  // 37 columns: whole vectors and a remainder.
  Tensor x = sampleInput(5, 37);
  Tensor positive = x;
  for (int64_t i = 0; i < positive.numElements(); ++i)
    positive.setDouble(i, std::abs(x.getDouble(i)) + 1e-3);
  for (const ActivationCase &test : cases) {
    SCOPED_TRACE(test.op);
    auto session = compile(
        unaryModule(std::string("  %y = ") + test.op + " : tensor<?x37xf32>",
                    37, "tensor<?x37xf32>"));
    ASSERT_TRUE(session);
    const Tensor &input = test.positiveInput ? positive : x;
    SEQC_ASSERT_OK_AND_ASSIGN(outputs, session->run("f", {input}));
    expectValues(outputs[0], {5, 37}, [&](int64_t flat) {
      return test.reference(input.getDouble(flat));
    });
  }
}

TEST_P(JitSessionTest, SoftmaxAndLogSoftmax) {
  auto session = compile(R"mlir(
  func.func @softmax(%x: tensor<?x5xf32> {seq.input = "x"}) -> tensor<?x5xf32> {
    %y = seq.softmax %x axis = 1 : tensor<?x5xf32>
    return %y : tensor<?x5xf32>
  }
  func.func @log_softmax(%x: tensor<?x5xf32> {seq.input = "x"}) -> tensor<?x5xf32> {
    %y = seq.log_softmax %x axis = 1 : tensor<?x5xf32>
    return %y : tensor<?x5xf32>
  })mlir");
  ASSERT_TRUE(session);
  // The last row would overflow exp() without subtracting the maximum.
  Tensor x = Tensor::fromValues<float>(
      {3, 5}, {1, 2, 3, 4, 5, -1, 0, 1, 0, -1, 100, 101, 102, 90, 80});
  auto logSoftmax = [&](int64_t flat) {
    int64_t row = flat / 5;
    double max = -INFINITY, sum = 0;
    for (int64_t j = 0; j < 5; ++j)
      max = std::max(max, x.at({row, j}));
    for (int64_t j = 0; j < 5; ++j)
      sum += std::exp(x.at({row, j}) - max);
    return x.getDouble(flat) - max - std::log(sum);
  };
  SEQC_ASSERT_OK_AND_ASSIGN(soft, session->run("softmax", {x}));
  expectValues(soft[0], {3, 5},
               [&](int64_t flat) { return std::exp(logSoftmax(flat)); });
  SEQC_ASSERT_OK_AND_ASSIGN(logSoft, session->run("log_softmax", {x}));
  expectValues(logSoft[0], {3, 5}, logSoftmax);
}

TEST_P(JitSessionTest, Maxout) {
  auto session =
      compile(unaryModule("  %y = seq.maxout %x k = 3 : tensor<?x6xf32> -> "
                          "tensor<?x2xf32>",
                          6, "tensor<?x2xf32>"));
  ASSERT_TRUE(session);
  Tensor x = sampleInput(4, 6);
  SEQC_ASSERT_OK_AND_ASSIGN(outputs, session->run("f", {x}));
  // The last axis [6] is viewed as [3, 2]: out[j] = max_p x[p * 2 + j].
  expectValues(outputs[0], {4, 2}, [&](int64_t flat) {
    int64_t row = flat / 2, j = flat % 2;
    double max = -INFINITY;
    for (int64_t piece = 0; piece < 3; ++piece)
      max = std::max(max, x.at({row, piece * 2 + j}));
    return max;
  });
}

TEST_P(JitSessionTest, ConcatAndSlice) {
  auto session = compile(R"mlir(
  func.func @f(%a: tensor<?x2xf32> {seq.input = "a"},
               %b: tensor<?x3xf32> {seq.input = "b"})
      -> (tensor<?x5xf32>, tensor<?x2xf32>) {
    %c = seq.concat %a, %b axis = 1
        : tensor<?x2xf32>, tensor<?x3xf32> -> tensor<?x5xf32>
    %s = seq.slice %c axis = 1 start = 1 size = 2
        : tensor<?x5xf32> -> tensor<?x2xf32>
    return %c, %s : tensor<?x5xf32>, tensor<?x2xf32>
  })mlir");
  ASSERT_TRUE(session);
  EXPECT_EQ(session->entryPoint("f")->resultNames,
            (std::vector<std::string>{"out0", "out1"}));
  Tensor a = sampleInput(3, 2, 1), b = sampleInput(3, 3, 2);
  SEQC_ASSERT_OK_AND_ASSIGN(outputs, session->run("f", {a, b}));
  ASSERT_EQ(outputs.size(), 2u);
  auto concat = [&](int64_t row, int64_t column) {
    return column < 2 ? a.at({row, column}) : b.at({row, column - 2});
  };
  expectValues(outputs[0], {3, 5},
               [&](int64_t flat) { return concat(flat / 5, flat % 5); });
  expectValues(outputs[1], {3, 2},
               [&](int64_t flat) { return concat(flat / 2, flat % 2 + 1); });
}

TEST_P(JitSessionTest, Reductions) {
  auto session = compile(R"mlir(
  func.func @f(%x: tensor<?x4xf32> {seq.input = "x"})
      -> (tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<4xf32>) {
    %sum = seq.reduce_sum %x [1] : tensor<?x4xf32> -> tensor<?xf32>
    %mean = seq.reduce_mean %x [1] : tensor<?x4xf32> -> tensor<?xf32>
    %max = seq.reduce_max %x [1] : tensor<?x4xf32> -> tensor<?xf32>
    %columns = seq.reduce_sum %x [0] : tensor<?x4xf32> -> tensor<4xf32>
    return %sum, %mean, %max, %columns
        : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<4xf32>
  })mlir");
  ASSERT_TRUE(session);
  Tensor x = sampleInput(6, 4);
  SEQC_ASSERT_OK_AND_ASSIGN(outputs, session->run("f", {x}));
  ASSERT_EQ(outputs.size(), 4u);
  auto rowReduce = [&](int64_t row, bool max) {
    double result = max ? -INFINITY : 0;
    for (int64_t j = 0; j < 4; ++j)
      result = max ? std::max(result, x.at({row, j})) : result + x.at({row, j});
    return result;
  };
  expectValues(outputs[0], {6},
               [&](int64_t row) { return rowReduce(row, false); });
  expectValues(outputs[1], {6},
               [&](int64_t row) { return rowReduce(row, false) / 4; });
  expectValues(outputs[2], {6},
               [&](int64_t row) { return rowReduce(row, true); });
  expectValues(outputs[3], {4}, [&](int64_t column) {
    double sum = 0;
    for (int64_t row = 0; row < 6; ++row)
      sum += x.at({row, column});
    return sum;
  });
}

TEST_P(JitSessionTest, Gather) {
  auto session = compile(R"mlir(
  func.func @f(%table: tensor<5x3xf32> {seq.param = "emb.E",
                                        seq.init = {kind = "normal", a = 0.0, b = 1.0}},
               %ids: tensor<?xi64> {seq.input = "ids"}) -> tensor<?x3xf32> {
    %y = seq.gather %table[%ids] : tensor<5x3xf32>, tensor<?xi64> -> tensor<?x3xf32>
    return %y : tensor<?x3xf32>
  })mlir");
  ASSERT_TRUE(session);
  session->initParams(5);
  const Tensor &table = *session->param("emb.E");
  Tensor ids = Tensor::fromValues<int64_t>({6}, {4, 0, 2, 2, 1, 3});
  SEQC_ASSERT_OK_AND_ASSIGN(outputs, session->run("f", {ids}));
  expectValues(outputs[0], {6, 3}, [&](int64_t flat) {
    return table.at({ids.values<int64_t>()[flat / 3], flat % 3});
  });
}

TEST_P(JitSessionTest, DoublePrecision) {
  auto session = compile(R"mlir(
  func.func @f(%x: tensor<?x3xf64> {seq.input = "x"},
               %w: tensor<3xf64> {seq.param = "w", seq.init = {kind = "constant", a = 0.1}})
      -> tensor<?x3xf64> {
    %y = seq.mul %x, %w : tensor<?x3xf64>, tensor<3xf64> -> tensor<?x3xf64>
    %z = seq.tanh %y : tensor<?x3xf64>
    return %z : tensor<?x3xf64>
  })mlir");
  ASSERT_TRUE(session);
  session->initParams(0);
  Tensor x = Tensor::fromValues<double>({2, 3}, {1, 2, 3, -4, -5, 1e-8});
  SEQC_ASSERT_OK_AND_ASSIGN(outputs, session->run("f", {x}));
  EXPECT_EQ(outputs[0].dtype(), DType::F64);
  expectValues(
      outputs[0], {2, 3},
      [&](int64_t flat) { return std::tanh(x.getDouble(flat) * 0.1); }, 1e-12);
}

TEST_P(JitSessionTest, ReturningAnInputGivesACopy) {
  auto session = compile(R"mlir(
  func.func @f(%x: tensor<?x3xf32> {seq.input = "x"}) -> (tensor<?x3xf32>, tensor<?x3xf32>) {
    return %x, %x : tensor<?x3xf32>, tensor<?x3xf32>
  })mlir");
  ASSERT_TRUE(session);
  Tensor x = sampleInput(2, 3);
  SEQC_ASSERT_OK_AND_ASSIGN(outputs, session->run("f", {x}));
  EXPECT_TRUE(outputs[0].identicalTo(x));
  EXPECT_TRUE(outputs[1].identicalTo(x));
}

TEST_P(JitSessionTest, TenThousandCalls) {
  auto session = compile(R"mlir(
  module attributes {seq.model = "MLP"} {
    func.func @forward(
        %W1: tensor<16x4xf32> {seq.param = "fc1.W", seq.init = {kind = "xavier"}},
        %b1: tensor<16xf32> {seq.param = "fc1.b", seq.init = {kind = "zeros"}},
        %W2: tensor<3x16xf32> {seq.param = "fc2.W", seq.init = {kind = "xavier"}},
        %b2: tensor<3xf32> {seq.param = "fc2.b", seq.init = {kind = "zeros"}},
        %x: tensor<?x4xf32> {seq.input = "x"}) -> tensor<?x3xf32> {
      %0 = seq.matmul %x, %W1 {transpose_rhs} : tensor<?x4xf32>, tensor<16x4xf32> -> tensor<?x16xf32>
      %1 = seq.add %0, %b1 : tensor<?x16xf32>, tensor<16xf32> -> tensor<?x16xf32>
      %2 = seq.tanh %1 : tensor<?x16xf32>
      %3 = seq.matmul %2, %W2 {transpose_rhs} : tensor<?x16xf32>, tensor<3x16xf32> -> tensor<?x3xf32>
      %4 = seq.add %3, %b2 : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
      %5 = seq.softmax %4 axis = 1 : tensor<?x3xf32>
      return %5 : tensor<?x3xf32>
    }
  })mlir");
  ASSERT_TRUE(session);
  session->initParams(0);
  Tensor x = sampleInput(32, 4);
  SEQC_ASSERT_OK_AND_ASSIGN(reference, session->run("forward", {x}));
  size_t heapBefore = heapBytesInUse();
  for (int call = 0; call < 10000; ++call) {
    auto outputs = session->run("forward", {x});
    ASSERT_TRUE(static_cast<bool>(outputs))
        << llvm::toString(outputs.takeError());
    ASSERT_TRUE((*outputs)[0].identicalTo(reference[0])) << "call " << call;
  }
  // Each call allocates kilobytes (the result, the hidden layer); a leak of
  // any of them would grow the heap by megabytes.
  size_t heapAfter = heapBytesInUse();
  EXPECT_LT(heapAfter, heapBefore + 64 * 1024)
      << "the heap grew by " << heapAfter - heapBefore << " bytes";
  for (int64_t row = 0; row < 32; ++row) {
    double sum = 0;
    for (int64_t j = 0; j < 3; ++j)
      sum += reference[0].at({row, j});
    EXPECT_NEAR(sum, 1.0, 1e-5);
  }
}

//===----------------------------------------------------------------------===//
// The compiled model, shared
//===----------------------------------------------------------------------===//

constexpr llvm::StringLiteral kWideLayer = R"mlir(
module attributes {seq.model = "Wide"} {
  func.func @forward(
      %W: tensor<256x128xf32> {seq.param = "fc.W", seq.init = {kind = "xavier"}},
      %b: tensor<256xf32> {seq.param = "fc.b", seq.init = {kind = "uniform", a = -1.0, b = 1.0}},
      %x: tensor<?x128xf32> {seq.input = "x"}) -> tensor<?x256xf32> {
    %0 = seq.matmul %x, %W {transpose_rhs} : tensor<?x128xf32>, tensor<256x128xf32> -> tensor<?x256xf32>
    %1 = seq.add %0, %b : tensor<?x256xf32>, tensor<256xf32> -> tensor<?x256xf32>
    %2 = seq.tanh %1 : tensor<?x256xf32>
    return %2 : tensor<?x256xf32>
  }
})mlir";

// Two threads call one entry point of one CompiledModel at the same time,
// each with parameters and inputs of its own (equal values, separate
// buffers); a GEMM and parallel loops large enough to use the thread pool.
TEST_P(JitSessionTest, CompiledModelIsCalledFromTwoThreadsAtOnce) {
  auto session = compile(kWideLayer);
  ASSERT_TRUE(session);
  session->initParams(3);
  Tensor x = sampleInput(96, 128);
  SEQC_ASSERT_OK_AND_ASSIGN(reference, session->run("forward", {x}));

  const CompiledModel &model = session->compiledModel();
  constexpr int kCalls = 50;
  std::atomic<int> ready{0};
  auto callRepeatedly = [&](std::vector<std::string> &failures) {
    std::vector<Tensor> params{*session->param("fc.W"),
                               *session->param("fc.b")};
    Tensor input = x;
    HeldTensors held{params, {}};
    // Start together, so that the calls overlap.
    ready.fetch_add(1);
    while (ready.load() < 2)
      std::this_thread::yield();
    for (int call = 0; call < kCalls; ++call) {
      auto outputs = model.call("forward", held, {input});
      if (!outputs) {
        failures.push_back(llvm::toString(outputs.takeError()));
        return;
      }
      if (!(*outputs)[0].identicalTo(reference[0]))
        failures.push_back("call " + std::to_string(call) + " differs");
    }
  };
  std::vector<std::string> firstFailures, secondFailures;
  std::thread first(callRepeatedly, std::ref(firstFailures));
  std::thread second(callRepeatedly, std::ref(secondFailures));
  first.join();
  second.join();
  EXPECT_TRUE(firstFailures.empty()) << firstFailures.front();
  EXPECT_TRUE(secondFailures.empty()) << secondFailures.front();
}

// The pipeline's hook chooses the CPU; the session does not.
TEST_P(JitSessionTest, TargetIsThePipelinesHook) {
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(kLinear, &context);
  ASSERT_TRUE(module);
  int choices = 0;
  JitOptions options;
  options.pipeline.vectorize = GetParam();
  options.useCache = false;
  options.pipeline.targetHook = [&](const seqc::PipelineOptions &) {
    ++choices;
    return seqc::resolveTarget();
  };
  SEQC_ASSERT_OK_AND_ASSIGN(session, JitSession::create(*module, options));
  EXPECT_GE(choices, 1);
  SEQC_ASSERT_OK_AND_ASSIGN(host, seqc::resolveTarget());
  EXPECT_EQ(session->compiledModel().target().cpu, host.cpu);

  options.pipeline.targetHook =
      [](const seqc::PipelineOptions &) -> llvm::Expected<seqc::CodegenTarget> {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "no CPU for this test");
  };
  EXPECT_THAT(errorOf(JitSession::create(*module, options)),
              HasSubstr("no CPU for this test"));
}

INSTANTIATE_TEST_SUITE_P(Pipelines, JitSessionTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool> &info) {
                           return info.param ? "Vectorized" : "Scalar";
                         });

} // namespace
