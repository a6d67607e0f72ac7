//===- GradCheckTest.cpp - Every derivative rule, checked numerically -----===//
//
// For every seq op with a derivative rule and every loss as the frontend
// builds it, a small scalar loss `@loss` in the seq dialect (parameters
// `seq.param`, inputs `seq.input`), usually sum(op(params, inputs) * w) with
// fixed random weights w so that every output element matters. Each case is
// differentiated by seqc-autodiff (then canonicalized), JIT-compiled, and
// checked twice:
//
//  F64: in f64, every gradient against central finite differences of the
//       compiled @loss (steps 1e-6 relative), error <= 1e-6; also the loss
//       and the gradients against PyTorch's float64 ones, error <= 1e-10.
//       Inputs are differentiated too (seqc-autodiff wrt-inputs=true;
//       integer inputs, indices, have no gradient).
//  F32: in f32, as training runs it (wrt-inputs=false), the loss and the
//       parameters' gradients against PyTorch's, error <= 1e-5.
//
// Errors are relative with a floor: |a - b| / max(1, |a|, |b|) (GradCheck.h).
// The arguments, the PyTorch losses and gradients come from
// Inputs/grad_goldens.safetensors, written by Inputs/make_grad_goldens.py,
// which keeps every kink (relu, abs, ... at 0; ties of maxout and max) at
// least 1e-3 away from the inputs. The cases are written in
// GradCheckCases.cpp, each with a twin of the same name there
// (GradCheckGoldens checks both lists agree). GradCheckSanityTest.cpp shows
// that these checks catch wrong gradients.
//
// SEQC_GRADCHECK_VERBOSE=1 prints every case's errors.
//
//===----------------------------------------------------------------------===//
#include "GradCheck.h"
#include "GradCheckCases.h"
#include "TestContext.h"
#include "TestUtil.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <set>

using namespace seqc::rt;
using namespace seqc::test;

namespace {

//===----------------------------------------------------------------------===//
// The largest errors over all cases, printed at the end
//===----------------------------------------------------------------------===//

struct Worst {
  double error = 0;
  std::string where = "-";
  int checks = 0;
  void note(double e, const std::string &what) {
    ++checks;
    if (e >= error) {
      error = e;
      where = what;
    }
  }
};

std::map<std::string, Worst> &summary() {
  static std::map<std::string, Worst> worst;
  return worst;
}

bool verbose() {
  const char *value = std::getenv("SEQC_GRADCHECK_VERBOSE");
  return value && *value && std::string(value) != "0";
}

//===----------------------------------------------------------------------===//
// The tests
//===----------------------------------------------------------------------===//

class GradCheckTest : public ::testing::TestWithParam<GradCase> {
protected:
  static void TearDownTestSuite() {
    std::cout << "  largest errors |a - b| / max(1, |a|, |b|) over all "
                 "cases:\n";
    for (const auto &[check, worst] : summary())
      std::cout << fmt::format("    {:<34} {:9.3g} ({} tensors; worst: {})\n",
                               check, worst.error, worst.checks, worst.where);
  }

  /// The goldens of the current case; fails the test without them.
  const CaseGoldens *caseGoldens() {
    std::string error;
    const SafetensorsFile *file = goldens(error);
    if (!file) {
      ADD_FAILURE() << "cannot read the goldens: " << error;
      return nullptr;
    }
    current = goldensOf(*file, GetParam().name);
    if (current.args.empty()) {
      ADD_FAILURE() << goldenPath() << " has no case '" << GetParam().name
                    << "'; run Inputs/make_grad_goldens.py";
      return nullptr;
    }
    return &current;
  }

  /// Compiles the case and sets its arguments to the golden ones.
  std::unique_ptr<CompiledLoss> compile(DType dtype, bool wrtInputs) {
    const CaseGoldens *golden = caseGoldens();
    if (!golden)
      return nullptr;
    LossSpec spec{GetParam().mlir, dtype, wrtInputs};
    auto loss = CompiledLoss::create(context, spec);
    if (!loss) {
      ADD_FAILURE() << llvm::toString(loss.takeError()) << "\n"
                    << GetParam().mlir;
      return nullptr;
    }
    std::set<std::string> unset;
    for (const auto &[name, tensor] : golden->args)
      unset.insert(name);
    for (const EntryArgument &arg : (*loss)->arguments()) {
      auto it = golden->args.find(arg.name);
      if (it == golden->args.end()) {
        ADD_FAILURE() << "the goldens lack argument '" << arg.name << "'";
        return nullptr;
      }
      if (llvm::Error e = (*loss)->set(arg.name, *it->second)) {
        ADD_FAILURE() << "golden argument: " << llvm::toString(std::move(e));
        return nullptr;
      }
      unset.erase(arg.name);
    }
    if (!unset.empty()) {
      ADD_FAILURE() << "@loss lacks the golden argument '" << *unset.begin()
                    << "'";
      return nullptr;
    }
    return std::move(*loss);
  }

  /// EXPECTs error(actual, expected) <= tolerance and records it.
  void expectClose(const Tensor &actual, const Tensor &expected,
                   double tolerance, const std::string &check,
                   const std::string &what) {
    auto comparison = compareTensors(actual, expected);
    ASSERT_TRUE(static_cast<bool>(comparison))
        << what << ": " << llvm::toString(comparison.takeError());
    EXPECT_LE(comparison->maxError, tolerance)
        << check << ", " << what << ": "
        << comparison->describe(actual.shape());
    std::string where = GetParam().name + ", " + what;
    summary()[check].note(comparison->maxError, where);
    if (verbose())
      std::cout << fmt::format("  {:<28} {:<26} {:<10} {:.3g}\n",
                               GetParam().name, check, what,
                               comparison->maxError);
  }

  void expectClose(double actual, double expected, double tolerance,
                   const std::string &check, const std::string &what) {
    expectClose(Tensor::fromValues<double>({}, {actual}),
                Tensor::fromValues<double>({}, {expected}), tolerance, check,
                what);
  }

  SeqcContext context;
  CaseGoldens current;
};

TEST_P(GradCheckTest, F64MatchesFiniteDifferences) {
  const CaseGoldens *golden = caseGoldens();
  ASSERT_TRUE(golden);
  auto loss = compile(DType::F64, /*wrtInputs=*/true);
  ASSERT_TRUE(loss);
  SEQC_ASSERT_OK_AND_ASSIGN(result, loss->gradients());
  SEQC_ASSERT_OK_AND_ASSIGN(plainLoss, loss->loss());
  EXPECT_LE(relativeError(result.loss, plainLoss), 1e-14)
      << "@loss and @loss_grad disagree: " << plainLoss << " vs "
      << result.loss;
  expectClose(result.loss, golden->loss, kF64PyTorchTolerance,
              "f64 loss vs PyTorch", "loss");

  size_t params = 0;
  for (const EntryArgument &arg : loss->arguments())
    params += arg.kind == EntryArgument::Kind::Param;
  size_t expected = 0;
  for (const EntryArgument &arg : loss->arguments())
    expected +=
        arg.kind == EntryArgument::Kind::Param || isFloat(arg.type.dtype);
  EXPECT_EQ(result.grads.size(), expected);
  EXPECT_GE(params, 1u);

  for (const auto &[name, grad] : result.grads) {
    SEQC_ASSERT_OK_AND_ASSIGN(fd, loss->finiteDifferences(name, kRelativeStep));
    expectClose(grad, fd, kFiniteDifferenceTolerance,
                "f64 grad vs finite differences", "grad " + name);
    auto it = golden->grads.find(name);
    ASSERT_NE(it, golden->grads.end()) << "no golden gradient of " << name;
    expectClose(grad, *it->second, kF64PyTorchTolerance, "f64 grad vs PyTorch",
                "grad " + name);
  }
}

TEST_P(GradCheckTest, F32MatchesPyTorch) {
  const CaseGoldens *golden = caseGoldens();
  ASSERT_TRUE(golden);
  auto loss = compile(DType::F32, /*wrtInputs=*/false);
  ASSERT_TRUE(loss);
  SEQC_ASSERT_OK_AND_ASSIGN(result, loss->gradients());
  expectClose(result.loss, golden->loss, kF32PyTorchTolerance,
              "f32 loss vs PyTorch", "loss");
  size_t params = 0;
  for (const EntryArgument &arg : loss->arguments())
    params += arg.kind == EntryArgument::Kind::Param;
  EXPECT_EQ(result.grads.size(), params);
  for (const auto &[name, grad] : result.grads) {
    EXPECT_EQ(grad.dtype(), DType::F32);
    auto it = golden->grads.find(name);
    ASSERT_NE(it, golden->grads.end()) << "no golden gradient of " << name;
    expectClose(grad, *it->second, kF32PyTorchTolerance, "f32 grad vs PyTorch",
                "grad " + name);
  }
}

INSTANTIATE_TEST_SUITE_P(AllOps, GradCheckTest, ::testing::ValuesIn(allCases()),
                         [](const ::testing::TestParamInfo<GradCase> &info) {
                           return info.param.name;
                         });

/// Every case has goldens and every golden case a test.
TEST(GradCheckGoldens, CasesMatchTheGenerator) {
  std::string error;
  const SafetensorsFile *file = goldens(error);
  ASSERT_TRUE(file) << error;
  std::set<std::string> inFile, inTest;
  for (const auto &[key, tensor] : file->tensors)
    inFile.insert(key.substr(0, key.find('/')));
  for (const GradCase &c : allCases())
    EXPECT_TRUE(inTest.insert(c.name).second) << "duplicate case " << c.name;
  for (const std::string &name : inTest)
    EXPECT_TRUE(inFile.count(name))
        << name << " has no goldens; run Inputs/make_grad_goldens.py";
  for (const std::string &name : inFile)
    EXPECT_TRUE(inTest.count(name))
        << "make_grad_goldens.py writes a case '" << name
        << "' that GradCheckTest does not run";
}

} // namespace
