//===- ScanTest.cpp - seq.scan compiled and differentiated through time ---===//
//
// An Elman cell h[t] = tanh(W h[t-1] + U x[t] + b) written as a seq.scan is
// JIT-compiled in f64 and checked
//
//  - against a loop written here, for its stacked outputs and final state
//    (forward and reverse, unrolled or not, with a per-step mask blended in
//    the body, with a dynamic batch axis);
//  - through seqc-autodiff (BPTT: an augmented forward scan and a reverse
//    scan), for the gradients of the scalar loss
//        sum(hs * w) + sum(hT * v)
//    with respect to every parameter and input, against central finite
//    differences of the compiled loss (relative error <= 1e-6) at T = 0, 1,
//    2 and 17;
//  - composed: stacked layers, a bidirectional pair, a scan nested in a
//    scan's body, and an encoder whose final state the decoder captures,
//    gradients against finite differences at T = 1, 2 and 5;
//  - for the size of the lowered IR, which does not depend on T.
//
// SEQC_GRADCHECK_VERBOSE=1 prints every gradient's error and the IR sizes.
//
//===----------------------------------------------------------------------===//
#include "GradCheck.h"
#include "TestUtil.h"

#include "seqc/Pipeline/Pipeline.h"
#include "seqc/Runtime/JitSession.h"
#include "seqc/Runtime/Random.h"
#include "seqc/Transforms/Passes.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>

using namespace seqc::rt;
using namespace seqc::test;

namespace {

constexpr int64_t H = 4, P = 3, N = 2;
constexpr double kFiniteDifferenceTolerance = 1e-6;
constexpr double kForwardTolerance = 1e-12;

/// How the scanned cell is written.
struct CellSpec {
  std::string name;
  bool reverse = false;
  int64_t unroll = 1;
  /// A per-step mask sequence [T, N, 1]: h = m * new + (1 - m) * old.
  bool masked = false;
  /// A second state c: z = W h + U x + b, c' = c * sigmoid(z) + tanh(z),
  /// h' = tanh(c').
  bool twoStates = false;
  /// Static number of steps, or -1 (dynamic, given by the inputs).
  int64_t time = -1;
  /// A dynamic batch axis (needs a static time axis: the runtime checks
  /// that dynamic leading axes of the inputs agree).
  bool dynamicBatch = false;
  /// Sizes: the reference loop and the checks use H, P and N.
  int64_t hidden = H, input = P, batch = N;
};

std::string dim(int64_t size) { return size < 0 ? "?" : std::to_string(size); }

/// `@loss` = sum(hs * w) + sum(hT * v) of the scanned cell, and `@forward`
/// returning (hT, hs); `!T` is the float type.
std::string cellModule(const CellSpec &spec) {
  const int64_t H = spec.hidden, P = spec.input, N = spec.batch;
  std::string n = spec.dynamicBatch ? "?" : std::to_string(N);
  std::string t = dim(spec.time);
  std::string state = fmt::format("tensor<{}x{}x!T>", n, H);
  std::string stacked = fmt::format("tensor<{}x{}x{}x!T>", t, n, H);
  std::string xs = fmt::format("tensor<{}x{}x{}x!T>", t, n, P);
  std::string x = fmt::format("tensor<{}x{}x!T>", n, P);
  std::string maskSeq = fmt::format("tensor<{}x{}x1x!T>", t, n);
  std::string mask = fmt::format("tensor<{}x1x!T>", n);
  std::string W = fmt::format("tensor<{}x{}x!T>", H, H);
  std::string U = fmt::format("tensor<{}x{}x!T>", H, P);
  std::string b = fmt::format("tensor<{}x!T>", H);

  std::string inits = spec.twoStates ? "%h0, %c0" : "%h0";
  std::string initTypes = spec.twoStates ? state + ", " + state : state;
  std::string seqs = spec.masked ? "%xs, %ms" : "%xs";
  std::string seqTypes = spec.masked ? xs + ", " + maskSeq : xs;
  std::string results = spec.twoStates
                            ? fmt::format("{}, {}, {}", state, state, stacked)
                            : fmt::format("{}, {}", state, stacked);
  std::string blockArgs =
      fmt::format("%h: {}{}, %x: {}{}, %Wc: {}, %Uc: {}, %bc: {}", state,
                  spec.twoStates ? ", %c: " + state : "", x,
                  spec.masked ? ", %m: " + mask : "", W, U, b);
  std::string attrs =
      spec.unroll != 1
          ? fmt::format(" attributes {{unroll = {} : i64}}", spec.unroll)
          : "";

  std::string body =
      fmt::format(R"(
    %a = seq.matmul %h, %Wc {{transpose_rhs}} : {S}, {W} -> {S}
    %u = seq.matmul %x, %Uc {{transpose_rhs}} : {X}, {U} -> {S}
    %s = seq.add %a, %u : {S}, {S} -> {S}
    %z = seq.add %s, %bc : {S}, {B} -> {S}
)",
                  fmt::arg("S", state), fmt::arg("W", W), fmt::arg("X", x),
                  fmt::arg("U", U), fmt::arg("B", b));
  if (spec.twoStates)
    body += fmt::format(R"(
    %f = seq.sigmoid %z : {S}
    %g = seq.tanh %z : {S}
    %cf = seq.mul %c, %f : {S}, {S} -> {S}
    %cn = seq.add %cf, %g : {S}, {S} -> {S}
    %hn = seq.tanh %cn : {S}
)",
                        fmt::arg("S", state));
  else
    body += fmt::format("    %hn = seq.tanh %z : {}\n", state);
  std::string newH = "%hn";
  if (spec.masked) {
    body += fmt::format(R"(
    %one = arith.constant dense<1.0> : tensor<!T>
    %keep = seq.sub %one, %m : tensor<!T>, {M} -> {M}
    %new = seq.mul %m, %hn : {M}, {S} -> {S}
    %old = seq.mul %keep, %h : {M}, {S} -> {S}
    %hb = seq.add %new, %old : {S}, {S} -> {S}
)",
                        fmt::arg("S", state), fmt::arg("M", mask));
    newH = "%hb";
  }
  std::string yield =
      spec.twoStates ? fmt::format("seq.yield {}, %cn : {}, {} outs({} : {})",
                                   newH, state, state, newH, state)
                     : fmt::format("seq.yield {} : {} outs({} : {})", newH,
                                   state, newH, state);
  std::string hs = spec.twoStates ? "%r#2" : "%r#1";

  std::string args = fmt::format(
      "%W: {} {{seq.param = \"W\", seq.init = {{kind = \"zeros\"}}}}, "
      "%U: {} {{seq.param = \"U\", seq.init = {{kind = \"zeros\"}}}}, "
      "%b: {} {{seq.param = \"b\", seq.init = {{kind = \"zeros\"}}}}, "
      "%h0: {} {{seq.input = \"h0\"}}{}, "
      "%xs: {} {{seq.input = \"xs\"}}{}",
      W, U, b, state,
      spec.twoStates ? ", %c0: " + state + " {seq.input = \"c0\"}" : "", xs,
      spec.masked ? ", %ms: " + maskSeq + " {seq.input = \"mask\"}" : "");
  std::string scan = fmt::format(
      R"(  %r:{} = seq.scan {}inits({} : {}) over({} : {})
      captures(%W, %U, %b : {}, {}, {}){} -> ({}) {{
  ^bb0({}):{}    {}
  }}
)",
      spec.twoStates ? 3 : 2, spec.reverse ? "reverse " : "", inits, initTypes,
      seqs, seqTypes, W, U, b, attrs, results, blockArgs, body, yield);

  return fmt::format(R"(
func.func @forward({A}) -> ({S}, {Y}) {{
{scan}  return %r#0, {hs} : {S}, {Y}
}}
func.func @loss({A}, %w: {Y} {{seq.input = "w"}},
                %v: {S} {{seq.input = "v"}}) -> tensor<!T> {{
{scan}  %p = seq.mul {hs}, %w : {Y}, {Y} -> {Y}
  %l1 = seq.reduce_sum %p [0, 1, 2] : {Y} -> tensor<!T>
  %q = seq.mul %r#0, %v : {S}, {S} -> {S}
  %l2 = seq.reduce_sum %q [0, 1] : {S} -> tensor<!T>
  %l = seq.add %l1, %l2 : tensor<!T>, tensor<!T> -> tensor<!T>
  return %l : tensor<!T>
}}
)",
                     fmt::arg("A", args), fmt::arg("S", state),
                     fmt::arg("Y", stacked), fmt::arg("scan", scan),
                     fmt::arg("hs", hs));
}

Tensor randomTensor(llvm::ArrayRef<int64_t> shape, Rng &rng, double low = -1,
                    double high = 1) {
  Tensor tensor(DType::F64, shape);
  for (int64_t i = 0; i < tensor.numElements(); ++i)
    tensor.setDouble(i, rng.uniform(low, high));
  return tensor;
}

/// Values of every argument of @loss for `steps` steps and batch `batch`.
std::map<std::string, Tensor> sampleArguments(const CellSpec &spec,
                                              int64_t steps, int64_t batch,
                                              uint64_t seed) {
  Rng rng(seed);
  std::map<std::string, Tensor> values;
  values["W"] = randomTensor({H, H}, rng, -0.8, 0.8);
  values["U"] = randomTensor({H, P}, rng, -0.8, 0.8);
  values["b"] = randomTensor({H}, rng, -0.5, 0.5);
  values["h0"] = randomTensor({batch, H}, rng, -0.5, 0.5);
  if (spec.twoStates)
    values["c0"] = randomTensor({batch, H}, rng, -0.5, 0.5);
  values["xs"] = randomTensor({steps, batch, P}, rng);
  if (spec.masked) {
    // Masks in (0, 1) so that every element matters; a real mask is 0 or 1.
    values["mask"] = randomTensor({steps, batch, 1}, rng, 0.1, 0.9);
  }
  values["w"] = randomTensor({steps, batch, H}, rng);
  values["v"] = randomTensor({batch, H}, rng);
  return values;
}

/// The cell run step by step here: (hT, hs).
std::pair<Tensor, Tensor> referenceScan(const CellSpec &spec,
                                        std::map<std::string, Tensor> &values) {
  const Tensor &W = values["W"], &U = values["U"], &b = values["b"];
  const Tensor &xs = values["xs"];
  int64_t steps = xs.dim(0), batch = xs.dim(1);
  Tensor h = values["h0"];
  Tensor c = spec.twoStates ? values["c0"] : Tensor();
  Tensor hs(DType::F64, {steps, batch, H});
  for (int64_t i = 0; i < steps; ++i) {
    int64_t t = spec.reverse ? steps - 1 - i : i;
    Tensor next(DType::F64, {batch, H});
    for (int64_t n = 0; n < batch; ++n) {
      for (int64_t r = 0; r < H; ++r) {
        double z = b.getDouble(r);
        for (int64_t j = 0; j < H; ++j)
          z += W.getDouble(r * H + j) * h.getDouble(n * H + j);
        for (int64_t p = 0; p < P; ++p)
          z += U.getDouble(r * P + p) * xs.getDouble((t * batch + n) * P + p);
        double hn;
        if (spec.twoStates) {
          double cn =
              c.getDouble(n * H + r) / (1 + std::exp(-z)) + std::tanh(z);
          c.setDouble(n * H + r, cn);
          hn = std::tanh(cn);
        } else {
          hn = std::tanh(z);
        }
        if (spec.masked) {
          double m = values["mask"].getDouble(t * batch + n);
          hn = m * hn + (1 - m) * h.getDouble(n * H + r);
        }
        next.setDouble(n * H + r, hn);
        hs.setDouble((t * batch + n) * H + r, hn);
      }
    }
    h = next;
  }
  return {h, hs};
}

double referenceLoss(const CellSpec &spec,
                     std::map<std::string, Tensor> &values) {
  auto [hT, hs] = referenceScan(spec, values);
  double loss = 0;
  for (int64_t i = 0; i < hs.numElements(); ++i)
    loss += hs.getDouble(i) * values["w"].getDouble(i);
  for (int64_t i = 0; i < hT.numElements(); ++i)
    loss += hT.getDouble(i) * values["v"].getDouble(i);
  return loss;
}

std::string withFloatType(const std::string &module, const char *type) {
  return fmt::format("!T = {}\n{}", type, module);
}

class ScanTest : public ::testing::TestWithParam<CellSpec> {
protected:
  ScanTest() {
    mlir::DialectRegistry registry;
    seqc::registerAllDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }

  /// The step counts a case runs: 0 (the inits come out), 1, 2 and 17, or
  /// its static one.
  std::vector<int64_t> stepCounts() const {
    if (GetParam().time >= 0)
      return {GetParam().time};
    return {0, 1, 2, 17};
  }
  int64_t batchSize() const { return GetParam().dynamicBatch ? 3 : N; }

  mlir::MLIRContext context;
};

TEST_P(ScanTest, ForwardMatchesALoop) {
  const CellSpec &spec = GetParam();
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(
          withFloatType(cellModule(spec), "f64"), &context);
  ASSERT_TRUE(module) << cellModule(spec);
  for (bool vectorize : {true, false}) {
    JitOptions options;
    options.pipeline.vectorize = vectorize;
    SEQC_ASSERT_OK_AND_ASSIGN(session, JitSession::create(*module, options));
    for (int64_t steps : stepCounts()) {
      auto values = sampleArguments(spec, steps, batchSize(), 7 + steps);
      for (const char *name : {"W", "U", "b"})
        SEQC_ASSERT_OK(session->setParam(name, values[name]));
      std::vector<Tensor> inputs{values["h0"]};
      if (spec.twoStates)
        inputs.push_back(values["c0"]);
      inputs.push_back(values["xs"]);
      if (spec.masked)
        inputs.push_back(values["mask"]);
      SEQC_ASSERT_OK_AND_ASSIGN(outputs, session->run("forward", inputs));
      ASSERT_EQ(outputs.size(), 2u);
      auto [hT, hs] = referenceScan(spec, values);
      std::string where =
          fmt::format("T = {}, vectorize = {}", steps, vectorize);
      SEQC_ASSERT_OK_AND_ASSIGN(finalError, compareTensors(outputs[0], hT));
      EXPECT_LE(finalError.maxError, kForwardTolerance)
          << where << ", final state: " << finalError.describe(hT.shape());
      SEQC_ASSERT_OK_AND_ASSIGN(stackError, compareTensors(outputs[1], hs));
      EXPECT_LE(stackError.maxError, kForwardTolerance)
          << where << ", stacked outputs: " << stackError.describe(hs.shape());
    }
  }
}

TEST_P(ScanTest, GradientsMatchFiniteDifferences) {
  const CellSpec &spec = GetParam();
  LossSpec lossSpec{cellModule(spec), DType::F64, /*wrtInputs=*/true};
  SEQC_ASSERT_OK_AND_ASSIGN(loss, CompiledLoss::create(context, lossSpec));
  // An unrolled scan must give the gradients of the plain loop.
  std::unique_ptr<CompiledLoss> looped;
  if (spec.unroll != 1) {
    CellSpec plain = spec;
    plain.unroll = 1;
    LossSpec plainSpec{cellModule(plain), DType::F64, /*wrtInputs=*/true};
    auto compiled = CompiledLoss::create(context, plainSpec);
    ASSERT_TRUE(static_cast<bool>(compiled))
        << llvm::toString(compiled.takeError());
    looped = std::move(*compiled);
  }
  for (int64_t steps : stepCounts()) {
    auto values = sampleArguments(spec, steps, batchSize(), 100 + steps);
    for (auto &[name, value] : values)
      SEQC_ASSERT_OK(loss->set(name, value));
    SEQC_ASSERT_OK_AND_ASSIGN(result, loss->gradients());
    if (looped) {
      for (auto &[name, value] : values)
        SEQC_ASSERT_OK(looped->set(name, value));
      SEQC_ASSERT_OK_AND_ASSIGN(loopedResult, looped->gradients());
      for (const auto &[name, grad] : result.grads) {
        SEQC_ASSERT_OK_AND_ASSIGN(
            comparison, compareTensors(grad, loopedResult.grads[name]));
        EXPECT_LE(comparison.maxError, kForwardTolerance)
            << "T = " << steps << ", unrolled vs looped gradient of " << name
            << ": " << comparison.describe(grad.shape());
      }
    }
    EXPECT_LE(relativeError(result.loss, referenceLoss(spec, values)),
              kForwardTolerance)
        << "T = " << steps;
    // Every parameter and input is differentiated.
    EXPECT_EQ(result.grads.size(), values.size());
    for (const auto &[name, grad] : result.grads) {
      SEQC_ASSERT_OK_AND_ASSIGN(fd, loss->finiteDifferences(name));
      SEQC_ASSERT_OK_AND_ASSIGN(comparison, compareTensors(grad, fd));
      EXPECT_LE(comparison.maxError, kFiniteDifferenceTolerance)
          << "T = " << steps << ", gradient of " << name << ": "
          << comparison.describe(grad.shape());
      if (std::getenv("SEQC_GRADCHECK_VERBOSE"))
        std::cout << fmt::format("  {:<16} T = {:<3} d{:<5} {:.3g}\n",
                                 spec.name, steps, name, comparison.maxError);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cells, ScanTest,
    ::testing::Values(
        CellSpec{"elman"}, CellSpec{"reverse", /*reverse=*/true},
        CellSpec{"unrolled", false, /*unroll=*/3},
        CellSpec{"reverse_unrolled", true, 2},
        CellSpec{"masked", false, 1, /*masked=*/true},
        CellSpec{"two_states", false, 1, false, /*twoStates=*/true},
        CellSpec{"dynamic_batch", false, 1, true, false, /*time=*/17,
                 /*dynamicBatch=*/true}),
    [](const ::testing::TestParamInfo<CellSpec> &info) {
      return info.param.name;
    });

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
  ScanCompositeTest() {
    mlir::DialectRegistry registry;
    seqc::registerAllDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }
  mlir::MLIRContext context;
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

//===----------------------------------------------------------------------===//
// Compile time does not grow with T
//===----------------------------------------------------------------------===//

class ScanSizeTest : public ::testing::Test {
protected:
  ScanSizeTest() {
    mlir::DialectRegistry registry;
    seqc::registerAllDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }

  /// The number of ops of @loss and @loss_grad lowered to the LLVM dialect,
  /// for a static number of steps.
  size_t loweredOps(const CellSpec &spec, double &seconds) {
    auto start = std::chrono::steady_clock::now();
    mlir::OwningOpRef<mlir::ModuleOp> module =
        mlir::parseSourceString<mlir::ModuleOp>(
            withFloatType(cellModule(spec), "f32"), &context);
    if (!module) {
      ADD_FAILURE() << "the module does not parse";
      return 0;
    }
    mlir::PassManager pm(&context, mlir::ModuleOp::getOperationName());
    pm.addPass(seqc::createSeqcAutodiff());
    pm.addPass(mlir::createCanonicalizerPass());
    seqc::PipelineOptions options;
    seqc::buildSeqToLinalgPipeline(pm, options);
    seqc::buildLinalgToLLVMPipeline(pm, options);
    if (mlir::failed(pm.run(*module))) {
      ADD_FAILURE() << "lowering failed";
      return 0;
    }
    size_t count = 0;
    module->walk([&](mlir::Operation *) { ++count; });
    seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    return count;
  }

  mlir::MLIRContext context;
};

TEST_F(ScanSizeTest, LoweredIRDoesNotGrowWithT) {
  for (CellSpec spec :
       {CellSpec{"elman"}, CellSpec{"lstm", false, 1, true, true}}) {
    spec.time = 50;
    double seconds50 = 0, seconds500 = 0;
    size_t ops50 = loweredOps(spec, seconds50);
    spec.time = 500;
    size_t ops500 = loweredOps(spec, seconds500);
    EXPECT_GT(ops50, 0u);
    EXPECT_EQ(ops50, ops500) << spec.name;
    if (std::getenv("SEQC_GRADCHECK_VERBOSE"))
      std::cout << fmt::format("  {}: T = 50: {} ops, {:.3f} s; T = 500: {} "
                               "ops, {:.3f} s\n",
                               spec.name, ops50, seconds50, ops500, seconds500);
  }
}

/// Not run by default (--gtest_also_run_disabled_tests): the time of the
/// compiled forward and of the gradient (forward and BPTT) per step of an f32
/// Elman cell with N = 32, P = 64, H = 128, for growing T.
TEST_F(ScanSizeTest, DISABLED_TimePerStep) {
  CellSpec spec{"bench"};
  spec.hidden = 128;
  spec.input = 64;
  spec.batch = 32;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(
          withFloatType(cellModule(spec), "f32"), &context);
  ASSERT_TRUE(module);
  mlir::PassManager pm(&context, mlir::ModuleOp::getOperationName());
  pm.addPass(seqc::createSeqcAutodiff());
  pm.addPass(mlir::createCanonicalizerPass());
  ASSERT_TRUE(mlir::succeeded(pm.run(*module)));
  SEQC_ASSERT_OK_AND_ASSIGN(session, JitSession::create(*module));
  Rng rng(3);
  auto random = [&](llvm::ArrayRef<int64_t> shape, double scale) {
    Tensor tensor(DType::F32, shape);
    for (int64_t i = 0; i < tensor.numElements(); ++i)
      tensor.setDouble(i, rng.uniform(-scale, scale));
    return tensor;
  };
  SEQC_ASSERT_OK(session->setParam("W", random({128, 128}, 0.1)));
  SEQC_ASSERT_OK(session->setParam("U", random({128, 64}, 0.1)));
  SEQC_ASSERT_OK(session->setParam("b", random({128}, 0.1)));
  for (int64_t steps : {16, 64, 256, 1024}) {
    Tensor h0 = random({32, 128}, 0.5), xs = random({steps, 32, 64}, 1.0);
    Tensor w = random({steps, 32, 128}, 1.0), v = random({32, 128}, 1.0);
    auto median = [&](llvm::StringRef entry, std::vector<Tensor> inputs) {
      std::vector<double> times;
      for (int i = 0; i < 5; ++i) {
        auto start = std::chrono::steady_clock::now();
        auto outputs = session->run(entry, inputs);
        times.push_back(std::chrono::duration<double>(
                            std::chrono::steady_clock::now() - start)
                            .count());
        if (!outputs) {
          ADD_FAILURE() << llvm::toString(outputs.takeError());
          return 0.0;
        }
      }
      std::sort(times.begin(), times.end());
      return times[times.size() / 2];
    };
    double forward = median("forward", {h0, xs});
    double gradient = median("loss_grad", {h0, xs, w, v});
    std::cout << fmt::format(
        "  T = {:>4}: forward {:8.3f} ms ({:6.1f} us/step), "
        "gradient {:8.3f} ms ({:6.1f} us/step)\n",
        steps, forward * 1e3, forward * 1e6 / steps, gradient * 1e3,
        gradient * 1e6 / steps);
  }
}

} // namespace
