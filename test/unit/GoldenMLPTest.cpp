//===- GoldenMLPTest.cpp - The MLP against PyTorch ------------------------===//
//
// The MLP 4 -> 16 tanh -> 3 softmax with the weights, inputs and outputs of
// test/Runtime/Inputs/make_mlp_golden.py: every output must match PyTorch's
// to 1e-5. It runs from the seq-dialect text (mlp.mlir), through `seqc run`'s
// runForward, and from examples/mlp.seq through the frontend when that exists.
//
//===----------------------------------------------------------------------===//
#include "seqc/Driver/Run.h"
#include "seqc/Frontend/Frontend.h"
#include "seqc/Frontend/MLIRGen.h"
#include "seqc/Runtime/Csv.h"
#include "seqc/Runtime/JitSession.h"

#include "TestContext.h"
#include "TestUtil.h"

#include "mlir/Parser/Parser.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/SourceMgr.h"

#include <gtest/gtest.h>

#include <cmath>
#include <iostream>

using namespace seqc::driver;
using namespace seqc::rt;

namespace {

constexpr double kTolerance = 1e-5;
/// The parameters of make_mlp_golden.py, in examples/mlp.seq's order.
const std::vector<std::string> kGoldenNames = {"fc1.W", "fc1.b", "fc2.W",
                                               "fc2.b"};

std::string inputPath(llvm::StringRef name) {
  return std::string(SEQC_SOURCE_DIR) + "/test/Runtime/Inputs/" + name.str();
}

class GoldenMLPTest : public ::testing::TestWithParam<bool> {
protected:
  JitOptions jitOptions() const {
    JitOptions options;
    options.pipeline.vectorize = GetParam();
    return options;
  }

  /// Compiles `module`, loads the golden weights and checks the outputs on
  /// the golden inputs. With `byPosition`, a model whose parameters have
  /// other names gets the golden weights in declaration order (same shapes).
  void checkModule(mlir::ModuleOp module, bool byPosition = false) {
    SEQC_ASSERT_OK_AND_ASSIGN(session,
                              JitSession::create(module, jitOptions()));
    std::vector<std::string> names;
    for (const ParamInfo &param : session->params())
      names.push_back(param.name);
    if (!byPosition || names == kGoldenNames) {
      SEQC_ASSERT_OK(session->loadParams(inputPath("mlp.safetensors")));
    } else {
      std::cout << "  note: the model names its parameters "
                << llvm::join(names, ", ") << "; the golden file has "
                << llvm::join(kGoldenNames, ", ") << " (loaded by position)\n";
      SEQC_ASSERT_OK_AND_ASSIGN(file,
                                loadSafetensors(inputPath("mlp.safetensors")));
      ASSERT_EQ(names.size(), kGoldenNames.size());
      for (auto [name, goldenName] : llvm::zip(names, kGoldenNames))
        SEQC_ASSERT_OK(session->setParam(name, file.tensors.at(goldenName)));
    }
    SEQC_ASSERT_OK_AND_ASSIGN(inputs, readCsv(inputPath("mlp_inputs.csv")));
    SEQC_ASSERT_OK_AND_ASSIGN(outputs,
                              session->run("forward", {inputs.values}));
    ASSERT_EQ(outputs.size(), 1u);
    expectGolden(outputs[0]);
  }

  void expectGolden(const Tensor &actual) {
    auto golden = readCsv(inputPath("mlp_golden.csv"));
    ASSERT_TRUE(static_cast<bool>(golden))
        << llvm::toString(golden.takeError());
    const Tensor &expected = golden->values;
    ASSERT_EQ(actual.shape(), expected.shape());
    double maxError = 0;
    for (int64_t i = 0; i < expected.numElements(); ++i) {
      double error = std::abs(actual.getDouble(i) - expected.getDouble(i));
      EXPECT_LE(error, kTolerance)
          << "row " << i / 3 << ", column " << i % 3 << ": "
          << actual.getDouble(i) << " vs PyTorch's " << expected.getDouble(i);
      maxError = std::max(maxError, error);
    }
    std::cout << "  "
              << ::testing::UnitTest::GetInstance()->current_test_info()->name()
              << ": max |seqc - PyTorch| = " << maxError << "\n";
  }

  seqc::test::SeqcContext context;
};

TEST_P(GoldenMLPTest, SeqDialectMatchesPyTorch) {
  auto module =
      mlir::parseSourceFile<mlir::ModuleOp>(inputPath("mlp.mlir"), &context);
  ASSERT_TRUE(module);
  checkModule(*module);
}

TEST_P(GoldenMLPTest, RunForwardPrintsPyTorchsNumbers) {
  auto module =
      mlir::parseSourceFile<mlir::ModuleOp>(inputPath("mlp.mlir"), &context);
  ASSERT_TRUE(module);
  RunOptions options;
  options.inputCsv = inputPath("mlp_inputs.csv");
  options.paramsPath = inputPath("mlp.safetensors");
  options.format = "csv";
  options.precision = 9;
  options.jit.pipeline.vectorize = GetParam();
  std::string printed;
  llvm::raw_string_ostream os(printed);
  SEQC_ASSERT_OK(runForward(*module, options, os));
  EXPECT_TRUE(llvm::StringRef(printed).starts_with("out[0],out[1],out[2]\n"))
      << printed;
  SEQC_ASSERT_OK_AND_ASSIGN(table, parseCsv(printed, "<seqc run>"));
  expectGolden(table.values);
}

TEST_P(GoldenMLPTest, SeqSourceMatchesPyTorch) {
  std::string path = std::string(SEQC_SOURCE_DIR) + "/examples/mlp.seq";
  if (!llvm::sys::fs::exists(path))
    GTEST_SKIP() << path << " is not written yet";
  llvm::SourceMgr srcMgr;
  std::string diagnostics;
  llvm::raw_string_ostream diagnosticStream(diagnostics);
  srcMgr.setDiagHandler(
      [](const llvm::SMDiagnostic &diag, void *stream) {
        diag.print("seqc", *static_cast<llvm::raw_ostream *>(stream));
      },
      &diagnosticStream);
  auto ast = seqc::parseFile(srcMgr, path);
  ASSERT_TRUE(ast) << diagnostics;
  auto program = seqc::elaborate(*ast, srcMgr, {});
  ASSERT_TRUE(program) << diagnostics;
  auto module = seqc::mlirGen(context, *program);
  ASSERT_TRUE(module);
  checkModule(*module, /*byPosition=*/true);
}

INSTANTIATE_TEST_SUITE_P(Pipelines, GoldenMLPTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool> &info) {
                           return info.param ? "Vectorized" : "Scalar";
                         });

} // namespace
