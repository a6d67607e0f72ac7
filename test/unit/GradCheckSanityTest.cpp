//===- GradCheckSanityTest.cpp - The gradient checks can fail -------------===//
//
// Shows that the checks of GradCheckTest catch wrong gradients (finite
// differences of a function perturbed by 1e-5, a golden off by 3e-5), and
// checks what the cases keep away from: tied maxima
// (TiedMaximaShareTheCotangent), the pad of a dynamic axis, and wrt-inputs
// with integer inputs (WrtInputsWithIndexInputs).
//
//===----------------------------------------------------------------------===//
#include "GradCheck.h"
#include "GradCheckCases.h"
#include "TestContext.h"
#include "TestUtil.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>

using namespace seqc::rt;
using namespace seqc::test;

namespace {

//===----------------------------------------------------------------------===//
// The checks can fail
//===----------------------------------------------------------------------===//

class GradCheckSanity : public ::testing::Test {
protected:
  SeqcContext context;
};

/// sum(sigmoid(x) * w) + eps * sum(x): with eps = 0 its gradient is the
/// sigmoid case's; finite differences of the function perturbed by eps =
/// 1e-5 differ from that gradient by 1e-5 in every element, and the check
/// must notice, while eps = 1e-9 stays below its resolution.
TEST_F(GradCheckSanity, FiniteDifferencesCatchAWrongGradient) {
  LossSpec spec{R"mlir(
    func.func @loss(%x: tensor<4x3x!T> {seq.param = "x"},
                    %w: tensor<4x3x!T> {seq.input = "w"},
                    %eps: tensor<!T> {seq.input = "eps"}) -> tensor<!T> {
      %y = seq.sigmoid %x : tensor<4x3x!T>
      %p = seq.mul %y, %w : tensor<4x3x!T>, tensor<4x3x!T> -> tensor<4x3x!T>
      %s = seq.reduce_sum %p [0, 1] : tensor<4x3x!T> -> tensor<!T>
      %sx = seq.reduce_sum %x [0, 1] : tensor<4x3x!T> -> tensor<!T>
      %e = seq.mul %eps, %sx : tensor<!T>, tensor<!T> -> tensor<!T>
      %l = seq.add %s, %e : tensor<!T>, tensor<!T> -> tensor<!T>
      return %l : tensor<!T>
    })mlir",
                DType::F64, /*wrtInputs=*/false};
  SEQC_ASSERT_OK_AND_ASSIGN(loss, CompiledLoss::create(context, spec));
  std::string error;
  const SafetensorsFile *file = goldens(error);
  ASSERT_TRUE(file) << error;
  SEQC_ASSERT_OK(loss->set("x", file->tensors.at("sigmoid/x")));
  SEQC_ASSERT_OK(loss->set("w", file->tensors.at("sigmoid/w")));

  auto ok = [](llvm::Error e) {
    if (!e)
      return true;
    ADD_FAILURE() << llvm::toString(std::move(e));
    return false;
  };
  auto errorAt = [&](double eps) -> double {
    if (!ok(loss->set("eps", Tensor::fromValues<double>({}, {0.0}))))
      return INFINITY;
    auto gradients = loss->gradients();
    if (!gradients)
      return ok(gradients.takeError()), INFINITY;
    if (!ok(loss->set("eps", Tensor::fromValues<double>({}, {eps}))))
      return INFINITY;
    auto fd = loss->finiteDifferences("x", kRelativeStep);
    if (!fd)
      return ok(fd.takeError()), INFINITY;
    auto comparison = compareTensors(gradients->grads.at("x"), *fd);
    if (!comparison)
      return ok(comparison.takeError()), INFINITY;
    return comparison->maxError;
  };
  double exact = errorAt(0.0), tiny = errorAt(1e-9), wrong = errorAt(1e-5);
  std::cout << fmt::format("  error vs finite differences of the function "
                           "perturbed by eps: eps = 0: {:.3g}, 1e-9: {:.3g}, "
                           "1e-5: {:.3g}\n",
                           exact, tiny, wrong);
  EXPECT_LE(exact, kFiniteDifferenceTolerance);
  EXPECT_LE(tiny, kFiniteDifferenceTolerance);
  EXPECT_GT(wrong, kFiniteDifferenceTolerance);
  EXPECT_NEAR(wrong, 1e-5, 1e-7);
}

/// A gradient off by 3e-5 in one element fails the f32 comparison with
/// PyTorch.
TEST_F(GradCheckSanity, PyTorchComparisonCatchesAWrongGradient) {
  std::string error;
  const SafetensorsFile *file = goldens(error);
  ASSERT_TRUE(file) << error;
  const Tensor &expected = file->tensors.at("tanh/grad/x");
  Tensor wrong = convertTensor(expected, DType::F32);
  wrong.setDouble(5, wrong.getDouble(5) + 3e-5);
  SEQC_ASSERT_OK_AND_ASSIGN(bad, compareTensors(wrong, expected));
  EXPECT_GT(bad.maxError, kF32PyTorchTolerance);
  Tensor right = convertTensor(expected, DType::F32);
  SEQC_ASSERT_OK_AND_ASSIGN(good, compareTensors(right, expected));
  EXPECT_LE(good.maxError, kF32PyTorchTolerance);
}

/// The floor of the relative error: absolute below magnitude 1.
TEST(GradCheckError, RelativeWithAFloorOfOne) {
  EXPECT_DOUBLE_EQ(relativeError(1e-3, 2e-3), 1e-3);
  EXPECT_DOUBLE_EQ(relativeError(100.0, 101.0), 1.0 / 101.0);
  EXPECT_DOUBLE_EQ(relativeError(-2.0, 2.0), 2.0);
  EXPECT_EQ(relativeError(NAN, 1.0), INFINITY);
}

/// Padding a dynamic axis has no derivative rule (its adjoint would be a
/// slice of dynamic size); seqc-autodiff says so instead of building an
/// invalid seq.slice of size -9223372036854775808.
TEST_F(GradCheckSanity, PadOfADynamicAxisIsRejected) {
  LossSpec spec{R"mlir(
    func.func @loss(%x: tensor<?x3x!T> {seq.input = "x"},
                    %p: tensor<3x!T> {seq.param = "p"}) -> tensor<!T> {
      %y = seq.mul %x, %p : tensor<?x3x!T>, tensor<3x!T> -> tensor<?x3x!T>
      %z = seq.pad %y axis = 0 before = 1 after = 2 : tensor<?x3x!T> -> tensor<?x3x!T>
      %l = seq.reduce_sum %z [0, 1] : tensor<?x3x!T> -> tensor<!T>
      return %l : tensor<!T>
    })mlir",
                DType::F64, /*wrtInputs=*/false};
  EXPECT_THAT(errorOf(CompiledLoss::create(context, spec)),
              ::testing::HasSubstr(
                  "'seq.pad' op cannot differentiate a pad of a dynamic axis"));
}

/// At a tie the maximum has no derivative; a valid subgradient of
/// max(x1, ..., xn) is a convex combination of the tied unit vectors (PyTorch's
/// amax splits evenly), so the cotangent reaching the tied elements sums to
/// the cotangent of the maximum. The rules of reduce_max and maxout share it
/// evenly among the tied elements, as PyTorch does; the cases above keep
/// away from ties, this one checks one.
TEST_F(GradCheckSanity, TiedMaximaShareTheCotangent) {
  LossSpec spec{R"mlir(
    func.func @loss(%x: tensor<2x3x!T> {seq.param = "x"},
                    %v: tensor<4x!T> {seq.param = "v"}) -> tensor<!T> {
      %m = seq.reduce_max %x [1] : tensor<2x3x!T> -> tensor<2x!T>
      %s = seq.reduce_sum %m [0] : tensor<2x!T> -> tensor<!T>
      %o = seq.maxout %v k = 2 : tensor<4x!T> -> tensor<2x!T>
      %t = seq.reduce_sum %o [0] : tensor<2x!T> -> tensor<!T>
      %l = seq.add %s, %t : tensor<!T>, tensor<!T> -> tensor<!T>
      return %l : tensor<!T>
    })mlir",
                DType::F64, /*wrtInputs=*/false};
  SEQC_ASSERT_OK_AND_ASSIGN(loss, CompiledLoss::create(context, spec));
  // Row 0 of x ties at 2, row 1 has one maximum; v's pieces [1, 5] and
  // [1, 3] tie in their first element.
  SEQC_ASSERT_OK(
      loss->set("x", Tensor::fromValues<double>({2, 3}, {2, 2, 1, 0, 4, 3})));
  SEQC_ASSERT_OK(loss->set("v", Tensor::fromValues<double>({4}, {1, 5, 1, 3})));
  SEQC_ASSERT_OK_AND_ASSIGN(result, loss->gradients());
  const Tensor &dx = result.grads.at("x"), &dv = result.grads.at("v");
  // Away from the ties the gradient is exact either way.
  EXPECT_EQ(dx.getDouble(3) + dx.getDouble(4) + dx.getDouble(5), 1.0);
  EXPECT_EQ(dv.getDouble(1) + dv.getDouble(3), 1.0);
  // At the ties the tied elements share it evenly: 1/2 each, summing to 1.
  EXPECT_EQ(dx.getDouble(0), 0.5);
  EXPECT_EQ(dx.getDouble(1), 0.5);
  EXPECT_EQ(dx.getDouble(2), 0.0);
  EXPECT_EQ(dv.getDouble(0), 0.5);
  EXPECT_EQ(dv.getDouble(2), 0.5);
}

/// seqc-autodiff with wrt-inputs=true on a loss with an integer input
/// (gather indices) differentiates only the float arguments: the integer
/// input gets no cotangent.
TEST_F(GradCheckSanity, WrtInputsWithIndexInputs) {
  LossSpec spec{R"mlir(
    func.func @loss(%E: tensor<5x3x!T> {seq.param = "E"},
                    %ids: tensor<?xi64> {seq.input = "ids"}) -> tensor<!T> {
      %r = seq.gather %E[%ids] : tensor<5x3x!T>, tensor<?xi64> -> tensor<?x3x!T>
      %l = seq.reduce_sum %r [0, 1] : tensor<?x3x!T> -> tensor<!T>
      return %l : tensor<!T>
    })mlir",
                DType::F64, /*wrtInputs=*/true};
  SEQC_ASSERT_OK_AND_ASSIGN(loss, CompiledLoss::create(context, spec));
  EXPECT_THAT(loss->gradientNames(), ::testing::ElementsAre("E"));
}

} // namespace
