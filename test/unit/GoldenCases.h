//===- GoldenCases.h - PyTorch's golden cases and their checks --*- C++ -*-===//
//
// What the golden tests of the frontend's models share (AttentionGoldenTest,
// RnnGoldenTest): a golden file of test/unit/Inputs, written by a PyTorch
// script there and read once; the tensors of one case in it; and a fixture
// whose expectClose checks a tensor against its golden and keeps the
// largest error of each check, printed after the test.
//
// SEQC_GRADCHECK_VERBOSE=1 prints every tensor's error.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_TEST_UNIT_GOLDENCASES_H
#define SEQC_TEST_UNIT_GOLDENCASES_H

#include "TestContext.h"

#include "seqc/Runtime/SafeTensors.h"
#include "seqc/Runtime/Tensor.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace seqc::test {

/// test/unit/Inputs/<fileName> in the source tree.
std::string goldenPath(llvm::StringRef fileName);

/// test/unit/Inputs/<fileName>, read on first use; null, with the reason in
/// `message`, when it cannot be read.
const rt::SafetensorsFile *loadGoldens(llvm::StringRef fileName,
                                       std::string &message);

/// The tensors of one golden case: "<case>/<argument>" by argument name,
/// "<case>/out", "<case>/loss", and "<case>/grad/<argument>" by argument
/// name.
struct CaseGoldens {
  std::map<std::string, rt::Tensor> args, grads;
  rt::Tensor out;
  double loss = 0;
};

/// Case `caseName` of golden file `fileName`; when the file lacks it, an
/// error that says to run `generator` (a script next to the file).
llvm::Expected<CaseGoldens> caseGoldens(llvm::StringRef fileName,
                                        llvm::StringRef caseName,
                                        llvm::StringRef generator);

/// The names of the cases in golden file `fileName`.
llvm::Expected<std::set<std::string>> goldenCaseNames(llvm::StringRef fileName);

/// Names each test of a suite over cases `Case` by its case's `name`.
struct CaseNamePrinter {
  template <typename Case>
  std::string operator()(const ::testing::TestParamInfo<Case> &info) const {
    return info.param.name;
  }
};

/// The largest error of each check of each case of one test, in the order
/// they were first checked.
class ErrorSummary {
public:
  /// EXPECTs error(actual, expected) <= tolerance for tensor `what` of case
  /// `which` of `model`, and records the error under `check`.
  void expectClose(const std::string &model, const rt::Tensor &actual,
                   const rt::Tensor &expected, double tolerance,
                   const std::string &which, const std::string &check,
                   const std::string &what);
  void print(const std::string &model) const;

private:
  struct Worst {
    std::string which, check;
    double error = 0;
    std::string where;
  };
  std::vector<Worst> worst;
};

/// A fixture over cases `Case` with a `name`: a context for compiling them,
/// and the checks against goldens, summarized after each test.
template <typename Case>
class GoldenTest : public ::testing::TestWithParam<Case> {
protected:
  SeqcContext context;

  /// EXPECTs error(actual, expected) <= tolerance (GradCheck.h); `which`
  /// names the case ("T17"), `check` the kind of check ("f64 grad vs FD")
  /// and `what` the tensor.
  void expectClose(const rt::Tensor &actual, const rt::Tensor &expected,
                   double tolerance, const std::string &which,
                   const std::string &check, const std::string &what) {
    summary.expectClose(this->GetParam().name, actual, expected, tolerance,
                        which, check, what);
  }

  /// The same for the loss.
  void expectClose(double actual, double expected, double tolerance,
                   const std::string &which, const std::string &check) {
    expectClose(rt::Tensor::fromValues<double>({}, {actual}),
                rt::Tensor::fromValues<double>({}, {expected}), tolerance,
                which, check, "loss");
  }

  void TearDown() override { summary.print(this->GetParam().name); }

  ErrorSummary summary;
};

} // namespace seqc::test

#endif // SEQC_TEST_UNIT_GOLDENCASES_H
