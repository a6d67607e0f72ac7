//===- RnnGoldenTest.cpp - std.cells against PyTorch and finite differences
//===//
//
// Every cell of lib/std/cells.seq (Elman, Jordan, LSTM, GRU) is compiled
// through the frontend as a model
//
//   use std.cells
//   model M(P = 4, H = 5) {
//     rnn = LSTM(P, H)
//     forward(x: seq<[P]>) -> seq<[H]> = rnn(x)
//   }
//
// and JIT-compiled; a function @loss = sum(forward(x) * R), with fixed
// weights R as an input, is added to the module and differentiated by
// seqc-autodiff with respect to the parameters and the inputs. At T = 1, 2
// and 17 (N = 3):
//
//  F32: the outputs of @forward, the loss and the gradients of every
//       parameter and of x against PyTorch's (nn.RNN, nn.LSTM, nn.GRU; an
//       explicit loop for Jordan), error <= 1e-5;
//  F64: the gradients of every parameter and input against central finite
//       differences of the compiled @loss, error <= 1e-6, and against
//       PyTorch's, error <= 1e-10; also for two stacked cells (the second
//       over the first's outputs);
//  the gradients with the scans fully unrolled (unroll = T, at T = 2)
//       equal the looped ones (error <= 1e-12).
//
// Errors are relative with a floor, |a - b| / max(1, |a|, |b|) (GradCheck.h).
// The goldens are Inputs/rnn_goldens.safetensors, written by
// Inputs/make_rnn_goldens.py, which documents how seqc's parameters map onto
// PyTorch's (for the GRU, PyTorch's update gate is 1 - z).
//
// A forward with a sequence input may take a trailing input "mask" ([T, N],
// 1 for a real step); it gets all ones.
//
// SEQC_GRADCHECK_VERBOSE=1 prints every tensor's error.
//
//===----------------------------------------------------------------------===//
#include "FrontendModels.h"
#include "GoldenCases.h"
#include "GradCheck.h"
#include "TestContext.h"
#include "TestUtil.h"

#include "seqc/Dialect/Seq/SeqOps.h"
#include "seqc/Runtime/JitSession.h"
#include "seqc/Runtime/Random.h"

#include "llvm/ADT/STLExtras.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <set>

using namespace seqc::rt;
using namespace seqc::test;

namespace {

constexpr int64_t kBatch = 3;
constexpr int64_t kStepCounts[] = {1, 2, 17};
/// Fully unrolled scans (unroll = T) compile in time O(T).
constexpr int64_t kUnrolledStepCounts[] = {2};
constexpr double kF32PyTorchTolerance = 1e-5;
constexpr double kF64PyTorchTolerance = 1e-10;
constexpr double kFiniteDifferenceTolerance = 1e-6;
constexpr double kUnrolledTolerance = 1e-12;
constexpr double kRelativeStep = 1e-6;

//===----------------------------------------------------------------------===//
// The models
//===----------------------------------------------------------------------===//

struct CellCase {
  std::string name;
  /// A model whose forward maps seq<[P]> to a sequence.
  std::string source;
  /// Whether make_rnn_goldens.py has PyTorch's numbers for it (cases
  /// "<name>_T<steps>").
  bool hasGoldens = true;
};

std::string oneCell(const std::string &dims, const std::string &cell,
                    const std::string &out) {
  return fmt::format("use std.cells\n"
                     "model M({}) {{\n"
                     "  rnn = {}\n"
                     "  forward(x: seq<[P]>) -> seq<[{}]> = rnn(x)\n"
                     "}}\n",
                     dims, cell, out);
}

std::vector<CellCase> libraryCells() {
  return {
      {"elman", oneCell("P = 4, H = 5", "Elman(P, H)", "H")},
      {"jordan", oneCell("P = 4, H = 5, O = 3", "Jordan(P, H, O)", "O")},
      {"lstm", oneCell("P = 4, H = 5", "LSTM(P, H)", "H")},
      {"gru", oneCell("P = 4, H = 5", "GRU(P, H)", "H")},
  };
}

/// The library cells and two stacks of two cells.
std::vector<CellCase> allCells() {
  std::vector<CellCase> cases = libraryCells();
  cases.push_back({"stacked_lstm_gru", R"(use std.cells
model M(P = 4, H = 5) {
  lower = LSTM(P, H)
  upper = GRU(H, H)
  forward(x: seq<[P]>) -> seq<[H]> = upper(lower(x))
}
)",
                   false});
  cases.push_back({"stacked_elman_jordan", R"(use std.cells
model M(P = 4, H = 5, O = 3) {
  lower = Elman(P, H)
  upper = Jordan(H, H, O)
  forward(x: seq<[P]>) -> seq<[O]> = upper(lower(x))
}
)",
                   false});
  return cases;
}

/// The model compiled by the frontend with floats of `floatWidth` bits,
/// every scan with the attribute `unroll` (1: the default loop); a model
/// without a seq.scan (no cell) is an error.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
compileModel(mlir::MLIRContext &context, const std::string &source,
             unsigned floatWidth, int64_t unroll = 1) {
  auto module = compileFrontendModel(context, source, floatWidth,
                                     /*withLoss=*/false, unroll);
  if (!module)
    return module.takeError();
  size_t scans = 0;
  (*module)->walk([&](seqc::seq::ScanOp) { ++scans; });
  if (scans == 0)
    return makeError("the model has no seq.scan");
  return module;
}

/// The model's @loss = sum(forward(x) * R), differentiated with respect to
/// the parameters and the inputs and compiled in f32 or f64.
llvm::Expected<std::unique_ptr<CompiledLoss>>
compileCellLoss(mlir::MLIRContext &context, const CellCase &cell, DType dtype,
                int64_t unroll = 1) {
  auto module =
      compileModel(context, cell.source, dtype == DType::F64 ? 64 : 32, unroll);
  if (!module)
    return module.takeError();
  if (llvm::Error e = addWeightedSumLoss(**module))
    return std::move(e);
  return compileLoss(context, **module, dtype, /*wrtInputs=*/true);
}

/// The value of input `arg` for `steps` steps: from `values`, or all ones
/// for the mask; dynamic axes are [T, N, ...].
llvm::Expected<Tensor> inputValue(const EntryArgument &arg,
                                  const std::map<std::string, Tensor> &values,
                                  int64_t steps) {
  if (arg.name == "mask") {
    llvm::SmallVector<int64_t, 4> shape(arg.type.shape);
    for (size_t axis = 0; axis < shape.size(); ++axis)
      if (shape[axis] == kDynamicSize)
        shape[axis] = axis == 0 ? steps : kBatch;
    Tensor mask(arg.type.dtype, shape);
    mask.fill(1.0);
    return mask;
  }
  auto it = values.find(arg.name);
  if (it == values.end())
    return makeError("no value for input '" + arg.name + "'");
  return convertTensor(it->second, arg.type.dtype);
}

//===----------------------------------------------------------------------===//
// The goldens
//===----------------------------------------------------------------------===//

std::string caseName(const std::string &cell, int64_t steps) {
  return fmt::format("{}_T{}", cell, steps);
}

constexpr const char *kGoldenFile = "rnn_goldens.safetensors";

/// The tensors of one golden case, "<cell>_T<steps>": the arguments by
/// name (parameters "rnn.W", inputs "x" and "R"), "out", "loss", and the
/// gradients by argument name.
llvm::Expected<CaseGoldens> goldensOf(const std::string &cell, int64_t steps) {
  return caseGoldens(kGoldenFile, caseName(cell, steps), "make_rnn_goldens.py");
}

/// Random arguments for the cases without goldens, like the goldens':
/// parameters uniform in [-0.5, 0.5], inputs standard normal.
std::map<std::string, Tensor>
randomArguments(llvm::ArrayRef<EntryArgument> args, int64_t steps,
                uint64_t seed) {
  Rng rng(seed);
  std::map<std::string, Tensor> values;
  for (const EntryArgument &arg : args) {
    if (arg.name == "mask")
      continue;
    llvm::SmallVector<int64_t, 4> shape(arg.type.shape);
    for (size_t axis = 0; axis < shape.size(); ++axis)
      if (shape[axis] == kDynamicSize)
        shape[axis] = axis == 0 ? steps : kBatch;
    Tensor value(DType::F64, shape);
    bool param = arg.kind == EntryArgument::Kind::Param;
    for (int64_t i = 0; i < value.numElements(); ++i)
      value.setDouble(i, param ? rng.uniform(-0.5, 0.5) : rng.normal());
    values[arg.name] = std::move(value);
  }
  return values;
}

/// Sets every argument of `loss` from `values` (the mask: ones).
llvm::Error setArguments(CompiledLoss &loss,
                         const std::map<std::string, Tensor> &values,
                         int64_t steps) {
  for (const EntryArgument &arg : loss.arguments()) {
    if (arg.kind == EntryArgument::Kind::Param) {
      auto it = values.find(arg.name);
      if (it == values.end())
        return makeError("no value for parameter '" + arg.name + "'");
      if (llvm::Error e = loss.set(arg.name, it->second))
        return e;
      continue;
    }
    auto value = inputValue(arg, values, steps);
    if (!value)
      return value.takeError();
    if (llvm::Error e = loss.set(arg.name, *value))
      return e;
  }
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// The checks
//===----------------------------------------------------------------------===//

/// The checks at T = `steps`, named "T = <steps>" in the messages.
std::string atSteps(int64_t steps) { return fmt::format("T = {}", steps); }

using RnnTestBase = GoldenTest<CellCase>;

/// The library's cells against PyTorch's goldens, in f32 as training runs.
class RnnGoldenTest : public RnnTestBase {};

TEST_P(RnnGoldenTest, F32MatchesPyTorch) {
  const CellCase &cell = GetParam();
  SEQC_ASSERT_OK_AND_ASSIGN(module, compileModel(context, cell.source, 32));
  SEQC_ASSERT_OK_AND_ASSIGN(session, JitSession::create(*module));
  SEQC_ASSERT_OK_AND_ASSIGN(loss, compileCellLoss(context, cell, DType::F32));
  const EntryPoint *forward = session->entryPoint("forward");
  ASSERT_TRUE(forward);

  for (int64_t steps : kStepCounts) {
    SEQC_ASSERT_OK_AND_ASSIGN(golden, goldensOf(cell.name, steps));
    // Every golden argument is one of the model's, and the other way round.
    std::set<std::string> unused;
    for (const auto &[name, value] : golden.args)
      unused.insert(name);
    for (const ParamInfo &param : session->params()) {
      auto it = golden.args.find(param.name);
      ASSERT_NE(it, golden.args.end())
          << "the goldens lack parameter " << param.name;
      SEQC_ASSERT_OK(session->setParam(param.name, it->second));
      unused.erase(param.name);
    }
    std::vector<Tensor> inputs;
    for (const EntryArgument &arg : forward->inputs) {
      SEQC_ASSERT_OK_AND_ASSIGN(value, inputValue(arg, golden.args, steps));
      inputs.push_back(std::move(value));
      unused.erase(arg.name);
    }
    unused.erase("R");
    EXPECT_TRUE(unused.empty())
        << "the model has no argument '" << *unused.begin() << "'";

    SEQC_ASSERT_OK_AND_ASSIGN(outputs, session->run("forward", inputs));
    ASSERT_EQ(outputs.size(), 1u);
    EXPECT_EQ(outputs[0].dtype(), DType::F32);
    expectClose(outputs[0], golden.out, kF32PyTorchTolerance, atSteps(steps),
                "f32 out vs PyTorch", "out");

    SEQC_ASSERT_OK(setArguments(*loss, golden.args, steps));
    SEQC_ASSERT_OK_AND_ASSIGN(result, loss->gradients());
    expectClose(result.loss, golden.loss, kF32PyTorchTolerance, atSteps(steps),
                "f32 loss vs PyTorch");
    // Every parameter's gradient and the input's.
    for (const auto &[name, expected] : golden.grads) {
      auto it = result.grads.find(name);
      ASSERT_NE(it, result.grads.end()) << "no gradient of " << name;
      EXPECT_EQ(it->second.dtype(), DType::F32);
      expectClose(it->second, expected, kF32PyTorchTolerance, atSteps(steps),
                  "f32 grad vs PyTorch", name);
    }
    for (const ParamInfo &param : session->params())
      EXPECT_TRUE(golden.grads.count(param.name))
          << "no golden gradient of " << param.name;
  }
}

INSTANTIATE_TEST_SUITE_P(StdCells, RnnGoldenTest,
                         ::testing::ValuesIn(libraryCells()),
                         CaseNamePrinter());

/// Gradients in f64: finite differences, PyTorch, and unrolled scans.
class RnnGradientTest : public RnnTestBase {
protected:
  /// The arguments at `steps` steps: the goldens' or random ones.
  std::map<std::string, Tensor>
  argumentsAt(const CompiledLoss &loss, int64_t steps, CaseGoldens *golden) {
    if (!GetParam().hasGoldens)
      return randomArguments(loss.arguments(), steps, 4000 + steps);
    auto goldenOrError = goldensOf(GetParam().name, steps);
    if (!goldenOrError) {
      ADD_FAILURE() << llvm::toString(goldenOrError.takeError());
      return {};
    }
    *golden = std::move(*goldenOrError);
    return golden->args;
  }
};

TEST_P(RnnGradientTest, F64MatchesFiniteDifferences) {
  const CellCase &cell = GetParam();
  SEQC_ASSERT_OK_AND_ASSIGN(loss, compileCellLoss(context, cell, DType::F64));
  size_t params = 0;
  for (const EntryArgument &arg : loss->arguments())
    params += arg.kind == EntryArgument::Kind::Param;
  EXPECT_GE(params, 3u);

  for (int64_t steps : kStepCounts) {
    CaseGoldens golden;
    auto values = argumentsAt(*loss, steps, &golden);
    ASSERT_FALSE(values.empty());
    SEQC_ASSERT_OK(setArguments(*loss, values, steps));
    SEQC_ASSERT_OK_AND_ASSIGN(result, loss->gradients());
    SEQC_ASSERT_OK_AND_ASSIGN(plainLoss, loss->loss());
    EXPECT_LE(relativeError(result.loss, plainLoss), 1e-14)
        << "@loss and @loss_grad disagree: " << plainLoss << " vs "
        << result.loss;
    // Every parameter and input is differentiated.
    EXPECT_EQ(result.grads.size(), loss->arguments().size());
    if (cell.hasGoldens)
      expectClose(result.loss, golden.loss, kF64PyTorchTolerance,
                  atSteps(steps), "f64 loss vs PyTorch");
    for (const auto &[name, grad] : result.grads) {
      EXPECT_EQ(grad.dtype(), DType::F64);
      // The mask's derivative is no one's business (and may have kinks).
      if (name == "mask")
        continue;
      SEQC_ASSERT_OK_AND_ASSIGN(fd,
                                loss->finiteDifferences(name, kRelativeStep));
      expectClose(grad, fd, kFiniteDifferenceTolerance, atSteps(steps),
                  "f64 grad vs FD", name);
      if (!cell.hasGoldens || name == "R")
        continue;
      auto it = golden.grads.find(name);
      ASSERT_NE(it, golden.grads.end()) << "no golden gradient of " << name;
      expectClose(grad, it->second, kF64PyTorchTolerance, atSteps(steps),
                  "f64 grad vs PyTorch", name);
    }
  }
}

/// unroll = T: one loop iteration holds all T steps, forward and backward,
/// with random arguments, for the library's cells. Longer T are left out:
/// the compile time grows with T (unrolled 17 times, Elman's gradient took
/// 278 s on two busy cores); ScanTest unrolls an Elman scan 3 times at T up
/// to 17.
class RnnUnrollTest : public RnnGradientTest {};

TEST_P(RnnUnrollTest, UnrolledMatchesLooped) {
  const CellCase &cell = GetParam();
  SEQC_ASSERT_OK_AND_ASSIGN(looped, compileCellLoss(context, cell, DType::F64));
  for (int64_t steps : kUnrolledStepCounts) {
    SEQC_ASSERT_OK_AND_ASSIGN(
        unrolled, compileCellLoss(context, cell, DType::F64, steps));
    EXPECT_NE(unrolled->differentiatedModule().find(
                  fmt::format("unroll = {} : i64", steps)),
              llvm::StringRef::npos)
        << unrolled->differentiatedModule().str();
    auto values = randomArguments(looped->arguments(), steps, 5000 + steps);
    SEQC_ASSERT_OK(setArguments(*looped, values, steps));
    SEQC_ASSERT_OK(setArguments(*unrolled, values, steps));
    SEQC_ASSERT_OK_AND_ASSIGN(expected, looped->gradients());
    SEQC_ASSERT_OK_AND_ASSIGN(actual, unrolled->gradients());
    expectClose(actual.loss, expected.loss, kUnrolledTolerance, atSteps(steps),
                "unrolled vs looped");
    EXPECT_EQ(actual.grads.size(), expected.grads.size());
    for (const auto &[name, grad] : actual.grads) {
      auto it = expected.grads.find(name);
      ASSERT_NE(it, expected.grads.end()) << "no looped gradient of " << name;
      expectClose(grad, it->second, kUnrolledTolerance, atSteps(steps),
                  "unrolled vs looped", name);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(StdCells, RnnGradientTest,
                         ::testing::ValuesIn(allCells()), CaseNamePrinter());

/// The ungated cells: a fully unrolled LSTM or GRU gradient takes minutes
/// of LLVM time to compile even at T = 2, and the scan's unrolling does not
/// depend on what the step computes.
std::vector<CellCase> unrolledCells() {
  std::vector<CellCase> cases = libraryCells();
  llvm::erase_if(cases, [](const CellCase &cell) {
    return cell.name == "lstm" || cell.name == "gru";
  });
  return cases;
}

INSTANTIATE_TEST_SUITE_P(StdCells, RnnUnrollTest,
                         ::testing::ValuesIn(unrolledCells()),
                         CaseNamePrinter());

//===----------------------------------------------------------------------===//
// The goldens and the checks can fail
//===----------------------------------------------------------------------===//

/// Every golden case has a test, and the other way round.
TEST(RnnGoldens, CasesMatchTheGenerator) {
  SEQC_ASSERT_OK_AND_ASSIGN(inFile, goldenCaseNames(kGoldenFile));
  std::set<std::string> inTest;
  for (const CellCase &cell : libraryCells())
    for (int64_t steps : kStepCounts)
      inTest.insert(caseName(cell.name, steps));
  EXPECT_EQ(inFile, inTest);
}

class RnnGoldenSanity : public ::testing::Test {
protected:
  SeqcContext context;
};

/// The GRU as std.cells wrote it before (the reset gate inside the matrix
/// product, n = tanh(Wn (r * h[t-1]) + Un x[t] + bn)) is not PyTorch's: its
/// outputs miss the goldens by far more than the tolerance from T = 2 on
/// (at T = 1, h[t-1] = 0 and both forms agree).
TEST_F(RnnGoldenSanity, TheOldGruIsNotPyTorchs) {
  const std::string source = R"(
cell OldGRU(P, H) {
  param Wz: [H, H], Uz: [H, P], bz: [H]
  param Wr: [H, H], Ur: [H, P], br: [H]
  param Wn: [H, H], Un: [H, P], bn: [H]
  state h: [H] = 0
  z = sigmoid(Wz @ h[t-1] + Uz @ x[t] + bz)
  r = sigmoid(Wr @ h[t-1] + Ur @ x[t] + br)
  n = tanh(Wn @ (r * h[t-1]) + Un @ x[t] + bn)
  h = (1 - z) * h[t-1] + z * n
  out h
}
model M(P = 4, H = 5) {
  rnn = OldGRU(P, H)
  forward(x: seq<[P]>) -> seq<[H]> = rnn(x)
}
)";
  SEQC_ASSERT_OK_AND_ASSIGN(module, compileModel(context, source, 32));
  SEQC_ASSERT_OK_AND_ASSIGN(session, JitSession::create(*module));
  for (int64_t steps : kStepCounts) {
    SEQC_ASSERT_OK_AND_ASSIGN(golden, goldensOf("gru", steps));
    for (const ParamInfo &param : session->params())
      SEQC_ASSERT_OK(session->setParam(param.name, golden.args.at(param.name)));
    std::vector<Tensor> inputs;
    for (const EntryArgument &arg : session->entryPoint("forward")->inputs) {
      SEQC_ASSERT_OK_AND_ASSIGN(value, inputValue(arg, golden.args, steps));
      inputs.push_back(std::move(value));
    }
    SEQC_ASSERT_OK_AND_ASSIGN(outputs, session->run("forward", inputs));
    SEQC_ASSERT_OK_AND_ASSIGN(comparison,
                              compareTensors(outputs[0], golden.out));
    std::cout << fmt::format(
        "  old GRU form, T = {}: outputs vs PyTorch {:.3g}\n", steps,
        comparison.maxError);
    if (steps == 1)
      EXPECT_LE(comparison.maxError, kF32PyTorchTolerance);
    else
      EXPECT_GT(comparison.maxError, 100 * kF32PyTorchTolerance);
  }
}

} // namespace
