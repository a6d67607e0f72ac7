//===- UnaryGradCheckTest.cpp - Every elementwise unary op's gradient -----===//
//
// Every op of the UnaryElementwiseOpInterface, those without a PyTorch twin
// in GradCheckTest too: the f64 gradient of sum(op(x) * w) against finite
// differences at inputs of both signs, and f32 against f64.
// EveryUnaryOpIsChecked fails for an op that unaryCases() leaves out, so a
// new op cannot go without a gradient check.
//
//===----------------------------------------------------------------------===//
#include "GradCheck.h"
#include "GradCheckCases.h"
#include "TestContext.h"
#include "TestUtil.h"

#include "seqc/Dialect/Seq/SeqOps.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <set>

using namespace seqc::rt;
using namespace seqc::test;

namespace {

struct UnaryCase {
  std::string op;
  std::string attr;          // the attribute text after the operand
  bool positiveOnly = false; // defined for x > 0 only
};

/// Every op of the UnaryElementwiseOpInterface (EveryUnaryOpIsChecked).
const std::vector<UnaryCase> &unaryCases() {
  static const std::vector<UnaryCase> cases = {
      {"neg", ""},
      {"sigmoid", ""},
      {"tanh", ""},
      {"relu", ""},
      {"exp", ""},
      {"log", "", /*positiveOnly=*/true},
      {"sqrt", "", true},
      {"abs", ""},
      {"leaky_relu", " alpha = 0.1"},
      {"elu", " alpha = 0.7"},
      {"step", ""},
      {"sign", ""},
      {"softplus", ""},
  };
  return cases;
}

/// sum(op(x) * w) at x of both signs, |x| in [0.2, 1.85] (away from the
/// kinks at 0), positive only where the op requires it.
class UnaryOpGradCheck : public ::testing::TestWithParam<UnaryCase> {
protected:
  std::unique_ptr<CompiledLoss> compile(DType dtype) {
    const UnaryCase &c = GetParam();
    std::string mlir = fmt::format(
        "func.func @loss(%x: tensor<4x3x!T> {{seq.param = \"x\"}}, "
        "%w: tensor<4x3x!T> {{seq.input = \"w\"}}) -> tensor<!T> {{\n"
        "  %y = seq.{0} %x{1} : tensor<4x3x!T>\n"
        "  %prod = seq.mul %y, %w : tensor<4x3x!T>, tensor<4x3x!T> -> "
        "tensor<4x3x!T>\n"
        "  %loss = seq.reduce_sum %prod [0, 1] : tensor<4x3x!T> -> "
        "tensor<!T>\n"
        "  return %loss : tensor<!T>\n}}\n",
        c.op, c.attr);
    auto loss =
        CompiledLoss::create(context, {mlir, dtype, /*wrtInputs=*/false});
    if (!loss) {
      ADD_FAILURE() << llvm::toString(loss.takeError());
      return nullptr;
    }
    std::vector<double> x, w;
    for (int i = 0; i < 12; ++i) {
      double magnitude = 0.2 + 0.15 * i;
      x.push_back(c.positiveOnly || i % 2 == 0 ? magnitude : -magnitude);
      w.push_back(1.0 - 0.13 * i);
    }
    if (llvm::Error error =
            (*loss)->set("x", Tensor::fromValues<double>({4, 3}, x))) {
      ADD_FAILURE() << llvm::toString(std::move(error));
      return nullptr;
    }
    if (llvm::Error error =
            (*loss)->set("w", Tensor::fromValues<double>({4, 3}, w))) {
      ADD_FAILURE() << llvm::toString(std::move(error));
      return nullptr;
    }
    return std::move(*loss);
  }

  SeqcContext context;
};

TEST_P(UnaryOpGradCheck, F64MatchesFiniteDifferencesAndF32) {
  auto f64 = compile(DType::F64);
  ASSERT_TRUE(f64);
  SEQC_ASSERT_OK_AND_ASSIGN(exact, f64->gradients());
  SEQC_ASSERT_OK_AND_ASSIGN(fd, f64->finiteDifferences("x", kRelativeStep));
  SEQC_ASSERT_OK_AND_ASSIGN(vsFD, compareTensors(exact.grads.at("x"), fd));
  EXPECT_LE(vsFD.maxError, kFiniteDifferenceTolerance)
      << "f64 grad vs finite differences: " << vsFD.describe({4, 3});

  auto f32 = compile(DType::F32);
  ASSERT_TRUE(f32);
  SEQC_ASSERT_OK_AND_ASSIGN(single, f32->gradients());
  SEQC_ASSERT_OK_AND_ASSIGN(
      vsF64, compareTensors(convertTensor(single.grads.at("x"), DType::F64),
                            exact.grads.at("x")));
  EXPECT_LE(vsF64.maxError, kF32PyTorchTolerance)
      << "f32 grad vs f64: " << vsF64.describe({4, 3});
}

INSTANTIATE_TEST_SUITE_P(AllUnaryOps, UnaryOpGradCheck,
                         ::testing::ValuesIn(unaryCases()),
                         [](const ::testing::TestParamInfo<UnaryCase> &info) {
                           return info.param.op;
                         });

/// A new elementwise unary op cannot go without a gradient check.
TEST(UnaryOpGradCheckCoverage, EveryUnaryOpIsChecked) {
  SeqcContext context;
  std::set<std::string> checked;
  for (const UnaryCase &c : unaryCases())
    checked.insert("seq." + c.op);
  size_t found = 0;
  for (mlir::RegisteredOperationName name : context.getRegisteredOperations()) {
    if (!name.hasInterface<seqc::seq::UnaryElementwiseOpInterface>())
      continue;
    bool isChecked = checked.count(name.getStringRef().str());
    found += isChecked;
    EXPECT_TRUE(isChecked) << name.getStringRef().str()
                           << " is missing from unaryCases()";
  }
  EXPECT_EQ(found, checked.size())
      << "unaryCases() names an op that is not an elementwise unary op";
}

} // namespace
