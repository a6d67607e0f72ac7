//===- ScanCompositeTest.cpp - seq.scans composed, differentiated ---------===//
//
// Scans composed as models compose them: stacked layers, a bidirectional
// pair, a scan nested in a scan's body, and an encoder whose final state
// the decoder captures; f64 gradients of every argument against finite
// differences at T = 1, 2 and 5.
//
// SEQC_GRADCHECK_VERBOSE=1 prints every gradient's error.
//
//===----------------------------------------------------------------------===//
#include "GradCheck.h"
#include "ScanReference.h"
#include "TestContext.h"
#include "TestUtil.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>

using namespace seqc::rt;
using namespace seqc::test;

namespace {

//===----------------------------------------------------------------------===//
// Scans composed: stacked, bidirectional, nested, encoder-decoder
//===----------------------------------------------------------------------===//

struct CompositeCase {
  std::string name;
  std::string mlir; // @loss; `?` is the time axis, !T the float type
};

/// The Elman step `%out = tanh(%h W^T + %x U^T)` on [2, 4] states and
/// [2, `p`] inputs.
std::string elmanStep(const std::string &out, const std::string &h,
                      const std::string &x, const std::string &W,
                      const std::string &U, int64_t p) {
  return fmt::format(R"(
      %{o}_a = seq.matmul %{h}, %{W} {{transpose_rhs}} : tensor<2x4x!T>, tensor<4x4x!T> -> tensor<2x4x!T>
      %{o}_b = seq.matmul %{x}, %{U} {{transpose_rhs}} : tensor<2x{p}x!T>, tensor<4x{p}x!T> -> tensor<2x4x!T>
      %{o}_s = seq.add %{o}_a, %{o}_b : tensor<2x4x!T>, tensor<2x4x!T> -> tensor<2x4x!T>
      %{o} = seq.tanh %{o}_s : tensor<2x4x!T>
)",
                     fmt::arg("o", out), fmt::arg("h", h), fmt::arg("x", x),
                     fmt::arg("W", W), fmt::arg("U", U), fmt::arg("p", p));
}

std::vector<CompositeCase> compositeCases() {
  std::vector<CompositeCase> cases;
  const std::string params = R"(%W1: tensor<4x4x!T> {seq.param = "W1"},
      %U1: tensor<4x3x!T> {seq.param = "U1"},
      %W2: tensor<4x4x!T> {seq.param = "W2"},
      %U2: tensor<4x4x!T> {seq.param = "U2"},
      %h0: tensor<2x4x!T> {seq.input = "h0"})";
  // Two layers: the second scans the first's outputs.
  cases.push_back(
      {"stacked",
       fmt::format(R"(
func.func @loss({P}, %xs: tensor<?x2x3x!T> {{seq.input = "xs"}},
                %w: tensor<?x2x4x!T> {{seq.input = "w"}}) -> tensor<!T> {{
  %a:2 = seq.scan inits(%h0 : tensor<2x4x!T>) over(%xs : tensor<?x2x3x!T>)
      captures(%W1, %U1 : tensor<4x4x!T>, tensor<4x3x!T>) -> (tensor<2x4x!T>, tensor<?x2x4x!T>) {{
  ^bb0(%h: tensor<2x4x!T>, %x: tensor<2x3x!T>, %W: tensor<4x4x!T>, %U: tensor<4x3x!T>):{S1}
    seq.yield %hn : tensor<2x4x!T> outs(%hn : tensor<2x4x!T>)
  }}
  %b:2 = seq.scan inits(%a#0 : tensor<2x4x!T>) over(%a#1 : tensor<?x2x4x!T>)
      captures(%W2, %U2 : tensor<4x4x!T>, tensor<4x4x!T>) -> (tensor<2x4x!T>, tensor<?x2x4x!T>) {{
  ^bb0(%h: tensor<2x4x!T>, %x: tensor<2x4x!T>, %W: tensor<4x4x!T>, %U: tensor<4x4x!T>):{S2}
    seq.yield %hn : tensor<2x4x!T> outs(%hn : tensor<2x4x!T>)
  }}
  %p = seq.mul %b#1, %w : tensor<?x2x4x!T>, tensor<?x2x4x!T> -> tensor<?x2x4x!T>
  %l = seq.reduce_sum %p [0, 1, 2] : tensor<?x2x4x!T> -> tensor<!T>
  return %l : tensor<!T>
}}
)",
                   fmt::arg("P", params),
                   fmt::arg("S1", elmanStep("hn", "h", "x", "W", "U", 3)),
                   fmt::arg("S2", elmanStep("hn", "h", "x", "W", "U", 4)))});
  // A forward and a reverse scan over the same inputs, outputs concatenated.
  cases.push_back(
      {"bidirectional",
       fmt::format(R"(
func.func @loss({P}, %xs: tensor<?x2x3x!T> {{seq.input = "xs"}},
                %w: tensor<?x2x8x!T> {{seq.input = "w"}}) -> tensor<!T> {{
  %f:2 = seq.scan inits(%h0 : tensor<2x4x!T>) over(%xs : tensor<?x2x3x!T>)
      captures(%W1, %U1 : tensor<4x4x!T>, tensor<4x3x!T>) -> (tensor<2x4x!T>, tensor<?x2x4x!T>) {{
  ^bb0(%h: tensor<2x4x!T>, %x: tensor<2x3x!T>, %W: tensor<4x4x!T>, %U: tensor<4x3x!T>):{S1}
    seq.yield %hn : tensor<2x4x!T> outs(%hn : tensor<2x4x!T>)
  }}
  %zero = arith.constant dense<0.0> : tensor<!T>
  %hb0 = seq.broadcast_like %zero, %h0 : tensor<!T>, tensor<2x4x!T> -> tensor<2x4x!T>
  %b:2 = seq.scan reverse inits(%hb0 : tensor<2x4x!T>) over(%xs : tensor<?x2x3x!T>)
      captures(%W2, %U1 : tensor<4x4x!T>, tensor<4x3x!T>) -> (tensor<2x4x!T>, tensor<?x2x4x!T>) {{
  ^bb0(%h: tensor<2x4x!T>, %x: tensor<2x3x!T>, %W: tensor<4x4x!T>, %U: tensor<4x3x!T>):{S1}
    seq.yield %hn : tensor<2x4x!T> outs(%hn : tensor<2x4x!T>)
  }}
  %c = seq.concat %f#1, %b#1 axis = 2 : tensor<?x2x4x!T>, tensor<?x2x4x!T> -> tensor<?x2x8x!T>
  %p = seq.mul %c, %w : tensor<?x2x8x!T>, tensor<?x2x8x!T> -> tensor<?x2x8x!T>
  %l = seq.reduce_sum %p [0, 1, 2] : tensor<?x2x8x!T> -> tensor<!T>
  return %l : tensor<!T>
}}
)",
                   fmt::arg("P", params),
                   fmt::arg("S1", elmanStep("hn", "h", "x", "W", "U", 3)))});
  // A scan in a scan's body: each outer step runs an inner recurrence over
  // 3 sub-steps, starting from the outer state.
  cases.push_back(
      {"nested",
       fmt::format(R"(
func.func @loss({P}, %xss: tensor<?x3x2x3x!T> {{seq.input = "xss"}},
                %w: tensor<?x2x4x!T> {{seq.input = "w"}},
                %v: tensor<2x4x!T> {{seq.input = "v"}}) -> tensor<!T> {{
  %o:2 = seq.scan inits(%h0 : tensor<2x4x!T>) over(%xss : tensor<?x3x2x3x!T>)
      captures(%W1, %U1, %W2 : tensor<4x4x!T>, tensor<4x3x!T>, tensor<4x4x!T>)
      -> (tensor<2x4x!T>, tensor<?x2x4x!T>) {{
  ^bb0(%h: tensor<2x4x!T>, %xs: tensor<3x2x3x!T>, %W: tensor<4x4x!T>, %U: tensor<4x3x!T>, %V: tensor<4x4x!T>):
    %i = seq.scan inits(%h : tensor<2x4x!T>) over(%xs : tensor<3x2x3x!T>)
        captures(%W, %U : tensor<4x4x!T>, tensor<4x3x!T>) -> (tensor<2x4x!T>) {{
    ^bb0(%g: tensor<2x4x!T>, %x: tensor<2x3x!T>, %Wi: tensor<4x4x!T>, %Ui: tensor<4x3x!T>):{S1}
      seq.yield %gn : tensor<2x4x!T>
    }}
    %y = seq.matmul %i, %V {{transpose_rhs}} : tensor<2x4x!T>, tensor<4x4x!T> -> tensor<2x4x!T>
    %hn = seq.sigmoid %y : tensor<2x4x!T>
    seq.yield %hn : tensor<2x4x!T> outs(%i : tensor<2x4x!T>)
  }}
  %p = seq.mul %o#1, %w : tensor<?x2x4x!T>, tensor<?x2x4x!T> -> tensor<?x2x4x!T>
  %l1 = seq.reduce_sum %p [0, 1, 2] : tensor<?x2x4x!T> -> tensor<!T>
  %q = seq.mul %o#0, %v : tensor<2x4x!T>, tensor<2x4x!T> -> tensor<2x4x!T>
  %l2 = seq.reduce_sum %q [0, 1] : tensor<2x4x!T> -> tensor<!T>
  %l = seq.add %l1, %l2 : tensor<!T>, tensor<!T> -> tensor<!T>
  return %l : tensor<!T>
}}
)",
                   fmt::arg("P", params),
                   fmt::arg("S1", elmanStep("gn", "g", "x", "Wi", "Ui", 3)))});
  // An encoder's final state is captured by the decoder, which feeds its
  // outputs back (a Jordan-style output feedback) and reads it every step.
  cases.push_back(
      {"encoder_decoder",
       fmt::format(R"(
func.func @loss({P}, %xs: tensor<?x2x3x!T> {{seq.input = "xs"}},
                %ys: tensor<?x2x4x!T> {{seq.input = "ys"}},
                %w: tensor<?x2x4x!T> {{seq.input = "w"}}) -> tensor<!T> {{
  %e = seq.scan inits(%h0 : tensor<2x4x!T>) over(%xs : tensor<?x2x3x!T>)
      captures(%W1, %U1 : tensor<4x4x!T>, tensor<4x3x!T>) -> (tensor<2x4x!T>) {{
  ^bb0(%h: tensor<2x4x!T>, %x: tensor<2x3x!T>, %W: tensor<4x4x!T>, %U: tensor<4x3x!T>):{S1}
    seq.yield %hn : tensor<2x4x!T>
  }}
  %zero = arith.constant dense<0.0> : tensor<!T>
  %y0 = seq.broadcast_like %zero, %h0 : tensor<!T>, tensor<2x4x!T> -> tensor<2x4x!T>
  %d:3 = seq.scan inits(%e, %y0 : tensor<2x4x!T>, tensor<2x4x!T>) over(%ys : tensor<?x2x4x!T>)
      captures(%W2, %U2, %e : tensor<4x4x!T>, tensor<4x4x!T>, tensor<2x4x!T>)
      -> (tensor<2x4x!T>, tensor<2x4x!T>, tensor<?x2x4x!T>) {{
  ^bb0(%h: tensor<2x4x!T>, %yp: tensor<2x4x!T>, %y: tensor<2x4x!T>, %W: tensor<4x4x!T>, %U: tensor<4x4x!T>, %ctx: tensor<2x4x!T>):
    %in = seq.add %y, %yp : tensor<2x4x!T>, tensor<2x4x!T> -> tensor<2x4x!T>{S2}
    %hc = seq.mul %hn, %ctx : tensor<2x4x!T>, tensor<2x4x!T> -> tensor<2x4x!T>
    %out = seq.sigmoid %hc : tensor<2x4x!T>
    seq.yield %hn, %out : tensor<2x4x!T>, tensor<2x4x!T> outs(%out : tensor<2x4x!T>)
  }}
  %p = seq.mul %d#2, %w : tensor<?x2x4x!T>, tensor<?x2x4x!T> -> tensor<?x2x4x!T>
  %l = seq.reduce_sum %p [0, 1, 2] : tensor<?x2x4x!T> -> tensor<!T>
  return %l : tensor<!T>
}}
)",
                   fmt::arg("P", params),
                   fmt::arg("S1", elmanStep("hn", "h", "x", "W", "U", 3)),
                   fmt::arg("S2", elmanStep("hn", "h", "in", "W", "U", 4)))});
  return cases;
}

class ScanCompositeTest : public ::testing::TestWithParam<CompositeCase> {
protected:
  SeqcContext context;
};

TEST_P(ScanCompositeTest, GradientsMatchFiniteDifferences) {
  LossSpec spec{GetParam().mlir, DType::F64, /*wrtInputs=*/true};
  SEQC_ASSERT_OK_AND_ASSIGN(loss, CompiledLoss::create(context, spec));
  for (int64_t steps : {1, 2, 5}) {
    Rng rng(1000 + steps);
    for (const EntryArgument &arg : loss->arguments()) {
      llvm::SmallVector<int64_t, 4> shape(arg.type.shape);
      for (int64_t &size : shape)
        if (size == kDynamicSize)
          size = steps;
      SEQC_ASSERT_OK(loss->set(arg.name, randomTensor(shape, rng, -0.8, 0.8)));
    }
    SEQC_ASSERT_OK_AND_ASSIGN(result, loss->gradients());
    EXPECT_EQ(result.grads.size(), loss->arguments().size());
    for (const auto &[name, grad] : result.grads) {
      SEQC_ASSERT_OK_AND_ASSIGN(fd, loss->finiteDifferences(name));
      SEQC_ASSERT_OK_AND_ASSIGN(comparison, compareTensors(grad, fd));
      EXPECT_LE(comparison.maxError, kFiniteDifferenceTolerance)
          << GetParam().name << ", T = " << steps << ", gradient of " << name
          << ": " << comparison.describe(grad.shape());
      if (std::getenv("SEQC_GRADCHECK_VERBOSE"))
        std::cout << fmt::format("  {:<16} T = {:<3} d{:<5} {:.3g}\n",
                                 GetParam().name, steps, name,
                                 comparison.maxError);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Composites, ScanCompositeTest, ::testing::ValuesIn(compositeCases()),
    [](const ::testing::TestParamInfo<CompositeCase> &info) {
      return info.param.name;
    });

} // namespace
