//===- HoistScanMatmulsTest.cpp - seqc-hoist-scan-matmuls keeps gradients -===//
//
// An LSTM cell (four gates, each W h + U x + b) scanned over time, with the
// loss sum(hs * w) + sum(hT * v), differentiated by seqc-autodiff and
// JIT-compiled in f64 twice: with seqc-hoist-scan-matmuls in the pipeline
// (the default) and without. For T = 0, 1, 2 and 9:
//
//  - the loss and every gradient (parameters and inputs) agree between the
//    two to 1e-12: hoisting and sinking only reorder sums;
//  - the hoisted gradients match central finite differences (1e-6);
//  - the pass did fire: no per-step weight-gradient matmul (g^T x) is left
//    in a scan body, one sum_batch GEMM per weight and the input
//    projections U x (and the backward's recomputed W h) left the loops.
//
// Variants: reverse, unrolled, with a padding-mask blend of both states,
// and with a dynamic batch. A sum_batch matmul alone is checked against
// finite differences too (its derivative rule is matmul's).
//
//===----------------------------------------------------------------------===//
#include "GradCheck.h"
#include "TestContext.h"
#include "TestUtil.h"

#include "seqc/Dialect/Seq/SeqOps.h"
#include "seqc/Pipeline/Pipeline.h"
#include "seqc/Runtime/JitSession.h"
#include "seqc/Runtime/Random.h"
#include "seqc/Runtime/TrainingModule.h"
#include "seqc/Transforms/Passes.h"

#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>

using namespace seqc::rt;
using namespace seqc::test;

namespace {

constexpr int64_t H = 4, P = 3;
constexpr double kSameTolerance = 1e-12;
constexpr double kFiniteDifferenceTolerance = 1e-6;

struct LstmSpec {
  std::string name;
  bool reverse = false;
  int64_t unroll = 1;
  /// A mask sequence [T, N, 1]: h = h + m (h_step - h), and so for c.
  bool masked = false;
  /// A dynamic batch (with a static T = 9).
  bool dynamicBatch = false;
  int64_t batch = 3;
  /// Sizes, and a static number of steps (-1: dynamic; 9 with a dynamic
  /// batch).
  int64_t hidden = H, input = P, time = -1;
};

const char *kGates[] = {"i", "f", "o", "c"};

/// @loss of an LSTM scan over xs; parameters W<g> [H, H], U<g> [H, P],
/// b<g> [H] per gate g.
std::string lstmModule(const LstmSpec &spec) {
  const int64_t H = spec.hidden, P = spec.input;
  std::string n = spec.dynamicBatch ? "?" : std::to_string(spec.batch);
  std::string t = spec.dynamicBatch ? "9"
                  : spec.time < 0   ? "?"
                                    : std::to_string(spec.time);
  std::string S = fmt::format("tensor<{}x{}x!T>", n, H);
  std::string X = fmt::format("tensor<{}x{}x!T>", n, P);
  std::string Y = fmt::format("tensor<{}x{}x{}x!T>", t, n, H);
  std::string XS = fmt::format("tensor<{}x{}x{}x!T>", t, n, P);
  std::string M = fmt::format("tensor<{}x1x!T>", n);
  std::string MS = fmt::format("tensor<{}x{}x1x!T>", t, n);
  std::string W = fmt::format("tensor<{}x{}x!T>", H, H);
  std::string U = fmt::format("tensor<{}x{}x!T>", H, P);
  std::string B = fmt::format("tensor<{}x!T>", H);

  std::string params, captures, captureTypes, captureArgs, body;
  for (const char *g : kGates) {
    params += fmt::format("%W{g}: {W} {{seq.param = \"W{g}\", {I}}}, "
                          "%U{g}: {U} {{seq.param = \"U{g}\", {I}}}, "
                          "%b{g}: {B} {{seq.param = \"b{g}\", {I}}}, ",
                          fmt::arg("I", "seq.init = {kind = \"zeros\"}"),
                          fmt::arg("g", g), fmt::arg("W", W), fmt::arg("U", U),
                          fmt::arg("B", B));
    captures += fmt::format("{}%W{g}, %U{g}, %b{g}",
                            captures.empty() ? "" : ", ", fmt::arg("g", g));
    captureTypes +=
        fmt::format("{}{}, {}, {}", captureTypes.empty() ? "" : ", ", W, U, B);
    captureArgs +=
        fmt::format(", %cW{g}: {W}, %cU{g}: {U}, %cb{g}: {B}", fmt::arg("g", g),
                    fmt::arg("W", W), fmt::arg("U", U), fmt::arg("B", B));
    body += fmt::format(R"(
    %{g}a = seq.matmul %h, %cW{g} {{transpose_rhs}} : {S}, {W} -> {S}
    %{g}u = seq.matmul %x, %cU{g} {{transpose_rhs}} : {X}, {U} -> {S}
    %{g}s = seq.add %{g}a, %{g}u : {S}, {S} -> {S}
    %{g}z = seq.add %{g}s, %cb{g} : {S}, {B} -> {S})",
                        fmt::arg("g", g), fmt::arg("S", S), fmt::arg("W", W),
                        fmt::arg("X", X), fmt::arg("U", U), fmt::arg("B", B));
  }
  body += fmt::format(R"(
    %ig = seq.sigmoid %iz : {S}
    %fg = seq.sigmoid %fz : {S}
    %og = seq.sigmoid %oz : {S}
    %cg = seq.tanh %cz : {S}
    %fc = seq.mul %fg, %c : {S}, {S} -> {S}
    %ic = seq.mul %ig, %cg : {S}, {S} -> {S}
    %cn = seq.add %fc, %ic : {S}, {S} -> {S}
    %tc = seq.tanh %cn : {S}
    %hn = seq.mul %og, %tc : {S}, {S} -> {S})",
                      fmt::arg("S", S));
  std::string newH = "%hn", newC = "%cn";
  if (spec.masked) {
    body += fmt::format(R"(
    %dh = seq.sub %hn, %h : {S}, {S} -> {S}
    %mdh = seq.mul %m, %dh : {M}, {S} -> {S}
    %hb = seq.add %h, %mdh : {S}, {S} -> {S}
    %dc = seq.sub %cn, %c : {S}, {S} -> {S}
    %mdc = seq.mul %m, %dc : {M}, {S} -> {S}
    %cb = seq.add %c, %mdc : {S}, {S} -> {S})",
                        fmt::arg("S", S), fmt::arg("M", M));
    newH = "%hb";
    newC = "%cb";
  }
  std::string attrs =
      spec.unroll != 1
          ? fmt::format(" attributes {{unroll = {} : i64}}", spec.unroll)
          : "";
  return fmt::format(
      R"(
func.func @loss({params}%h0: {S} {{seq.input = "h0"}}, %c0: {S} {{seq.input = "c0"}},
                %xs: {XS} {{seq.input = "xs"}}{maskArg}, %w: {Y} {{seq.input = "w"}},
                %v: {S} {{seq.input = "v"}}) -> tensor<!T> {{
  %r:3 = seq.scan {rev}inits(%h0, %c0 : {S}, {S}) over(%xs{maskSeq} : {XS}{maskSeqType})
      captures({captures} : {captureTypes}){attrs} -> ({S}, {S}, {Y}) {{
  ^bb0(%h: {S}, %c: {S}, %x: {X}{maskBlockArg}{captureArgs}):{body}
    seq.yield {newH}, {newC} : {S}, {S} outs({newH} : {S})
  }}
  %p = seq.mul %r#2, %w : {Y}, {Y} -> {Y}
  %l1 = seq.reduce_sum %p [0, 1, 2] : {Y} -> tensor<!T>
  %q = seq.mul %r#0, %v : {S}, {S} -> {S}
  %l2 = seq.reduce_sum %q [0, 1] : {S} -> tensor<!T>
  %l = seq.add %l1, %l2 : tensor<!T>, tensor<!T> -> tensor<!T>
  return %l : tensor<!T>
}}
)",
      fmt::arg("params", params), fmt::arg("S", S), fmt::arg("XS", XS),
      fmt::arg("Y", Y), fmt::arg("X", X),
      fmt::arg("maskArg",
               spec.masked
                   ? fmt::format(", %ms: {} {{seq.input = \"mask\"}}", MS)
                   : ""),
      fmt::arg("maskSeq", spec.masked ? ", %ms" : ""),
      fmt::arg("maskSeqType", spec.masked ? ", " + MS : ""),
      fmt::arg("maskBlockArg", spec.masked ? ", %m: " + M : ""),
      fmt::arg("rev", spec.reverse ? "reverse " : ""),
      fmt::arg("captures", captures), fmt::arg("captureTypes", captureTypes),
      fmt::arg("attrs", attrs), fmt::arg("captureArgs", captureArgs),
      fmt::arg("body", body), fmt::arg("newH", newH), fmt::arg("newC", newC));
}

Tensor randomTensor(llvm::ArrayRef<int64_t> shape, Rng &rng, double low,
                    double high) {
  Tensor tensor(DType::F64, shape);
  for (int64_t i = 0; i < tensor.numElements(); ++i)
    tensor.setDouble(i, rng.uniform(low, high));
  return tensor;
}

class HoistScanMatmulsTest : public ::testing::TestWithParam<LstmSpec> {
protected:
  SeqcContext context;
};

/// Counts, over the scans of `module`, the matmuls in scan bodies (all, and
/// those of the g^T x form) and the sum_batch matmuls.
struct MatmulCounts {
  int inBodies = 0, weightGradientsInBodies = 0, sumBatch = 0;
};
MatmulCounts countMatmuls(mlir::ModuleOp module) {
  MatmulCounts counts;
  module.walk([&](seqc::seq::MatMulOp op) {
    if (op.getSumBatch())
      ++counts.sumBatch;
    if (!op->getParentOfType<seqc::seq::ScanOp>())
      return;
    ++counts.inBodies;
    if (op.getTransposeLhs())
      ++counts.weightGradientsInBodies;
  });
  return counts;
}

TEST_P(HoistScanMatmulsTest, GradientsAreThoseOfThePlainScan) {
  const LstmSpec &spec = GetParam();
  LossSpec lossSpec{lstmModule(spec), DType::F64, /*wrtInputs=*/true};
  SEQC_ASSERT_OK_AND_ASSIGN(hoisted, CompiledLoss::create(context, lossSpec));

  // The same differentiated module, compiled without the pass.
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(hoisted->differentiatedModule(),
                                              &context);
  ASSERT_TRUE(module);
  JitOptions plainOptions;
  plainOptions.pipeline.hoistScanMatmuls = false;
  SEQC_ASSERT_OK_AND_ASSIGN(plain, JitSession::create(*module, plainOptions));

  // The pass fired: per step, only h W^T (the four gates as one product;
  // forward, and recomputed from the saved states in the backward) and g W
  // (backward, one product over the four gates) are left; g U and the
  // weight gradients are GEMMs after the loop, one per weight group:
  // [gi gf gg gc]^T h and [gi gf gg gc]^T x instead of 8.
  {
    mlir::OwningOpRef<mlir::ModuleOp> copy(module->clone());
    mlir::PassManager pm(&context, mlir::ModuleOp::getOperationName());
    pm.addPass(seqc::createSeqcHoistScanMatmuls());
    pm.addPass(mlir::createCanonicalizerPass());
    pm.addPass(mlir::createCSEPass());
    ASSERT_TRUE(mlir::succeeded(pm.run(*copy)));
    MatmulCounts before = countMatmuls(*module), after = countMatmuls(*copy);
    EXPECT_EQ(before.weightGradientsInBodies, 8) << spec.name;
    EXPECT_EQ(after.weightGradientsInBodies, 0) << spec.name;
    EXPECT_EQ(after.sumBatch, 2) << spec.name;
    // @loss: 1 (h [Wi; Wf; Wg; Wc]^T, the gates merged); @loss_grad: 1
    // forward, which also outputs that product for the backward, and 1
    // backward ([gi gf gg gc] [Wi; ...; Wc]); dx = [gi gf gg gc] [Ui; ...;
    // Uc] is one GEMM after the loop.
    // Before: 8 (W h, U x), 8, and 8 + 8 + 8 (the step again, the weight
    // gradients g^T h and g^T x, g W and g U).
    EXPECT_EQ(before.inBodies, 8 + 8 + 24) << spec.name;
    EXPECT_EQ(after.inBodies, 1 + 1 + 1) << spec.name;
  }

  std::vector<int64_t> steps = spec.dynamicBatch
                                   ? std::vector<int64_t>{9}
                                   : std::vector<int64_t>{0, 1, 2, 9};
  int64_t batch = spec.dynamicBatch ? 5 : spec.batch;
  for (int64_t T : steps) {
    Rng rng(40 + T);
    std::map<std::string, Tensor> values;
    for (const char *g : kGates) {
      values[fmt::format("W{}", g)] = randomTensor({H, H}, rng, -0.7, 0.7);
      values[fmt::format("U{}", g)] = randomTensor({H, P}, rng, -0.7, 0.7);
      values[fmt::format("b{}", g)] = randomTensor({H}, rng, -0.5, 0.5);
    }
    values["h0"] = randomTensor({batch, H}, rng, -0.5, 0.5);
    values["c0"] = randomTensor({batch, H}, rng, -0.5, 0.5);
    values["xs"] = randomTensor({T, batch, P}, rng, -1, 1);
    if (spec.masked)
      values["mask"] = randomTensor({T, batch, 1}, rng, 0.1, 0.9);
    values["w"] = randomTensor({T, batch, H}, rng, -1, 1);
    values["v"] = randomTensor({batch, H}, rng, -1, 1);

    for (auto &[name, value] : values)
      SEQC_ASSERT_OK(hoisted->set(name, value));
    SEQC_ASSERT_OK_AND_ASSIGN(result, hoisted->gradients());
    EXPECT_EQ(result.grads.size(), values.size());

    std::vector<Tensor> inputs;
    for (const EntryArgument &arg : hoisted->arguments()) {
      if (arg.kind == EntryArgument::Kind::Param)
        SEQC_ASSERT_OK(plain->setParam(arg.name, values[arg.name]));
      else
        inputs.push_back(values[arg.name]);
    }
    SEQC_ASSERT_OK_AND_ASSIGN(outputs, plain->run("loss_grad", inputs));
    ASSERT_EQ(outputs.size(), hoisted->gradientNames().size() + 1);
    EXPECT_LE(relativeError(result.loss, outputs[0].getDouble(0)),
              kSameTolerance)
        << spec.name << ", T = " << T;
    for (auto [i, name] : llvm::enumerate(hoisted->gradientNames())) {
      const Tensor &grad = result.grads[name];
      SEQC_ASSERT_OK_AND_ASSIGN(same, compareTensors(grad, outputs[i + 1]));
      EXPECT_LE(same.maxError, kSameTolerance)
          << spec.name << ", T = " << T << ", d" << name
          << " with vs without the pass: " << same.describe(grad.shape());
      SEQC_ASSERT_OK_AND_ASSIGN(fd, hoisted->finiteDifferences(name));
      SEQC_ASSERT_OK_AND_ASSIGN(fdError, compareTensors(grad, fd));
      EXPECT_LE(fdError.maxError, kFiniteDifferenceTolerance)
          << spec.name << ", T = " << T << ", d" << name
          << " vs finite differences: " << fdError.describe(grad.shape());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Lstm, HoistScanMatmulsTest,
    ::testing::Values(LstmSpec{"lstm"}, LstmSpec{"reverse", /*reverse=*/true},
                      LstmSpec{"unrolled", false, /*unroll=*/2},
                      LstmSpec{"masked", false, 1, /*masked=*/true},
                      LstmSpec{"masked_reverse", true, 3, true},
                      LstmSpec{"dynamic_batch", false, 1, true,
                               /*dynamicBatch=*/true}),
    [](const ::testing::TestParamInfo<LstmSpec> &info) {
      return info.param.name;
    });

/// The op the sunk weight gradients become, on its own: values against a
/// loop over the batch, gradients against finite differences.
TEST(HoistScanMatmulsOpTest, SumBatchMatmul) {
  SeqcContext context;
  for (const char *flags : {"sum_batch, transpose_lhs", "sum_batch"}) {
    bool transposed = std::string(flags).find("transpose") != std::string::npos;
    // [5, 3, 4] (or [5, 4, 3] x [5, 3, 2] untransposed) -> [4, 2].
    std::string a = transposed ? "tensor<5x3x4x!T>" : "tensor<5x4x3x!T>";
    std::string text = fmt::format(R"(
func.func @loss(%a: {A} {{seq.param = "a"}}, %b: tensor<5x3x2x!T> {{seq.param = "b"}},
                %w: tensor<4x2x!T> {{seq.input = "w"}}) -> tensor<!T> {{
  %p = seq.matmul %a, %b {{{F}}} : {A}, tensor<5x3x2x!T> -> tensor<4x2x!T>
  %q = seq.mul %p, %w : tensor<4x2x!T>, tensor<4x2x!T> -> tensor<4x2x!T>
  %l = seq.reduce_sum %q [0, 1] : tensor<4x2x!T> -> tensor<!T>
  return %l : tensor<!T>
}}
)",
                                   fmt::arg("A", a), fmt::arg("F", flags));
    LossSpec spec{text, DType::F64, /*wrtInputs=*/true};
    SEQC_ASSERT_OK_AND_ASSIGN(loss, CompiledLoss::create(context, spec));
    Rng rng(5);
    Tensor av = randomTensor(transposed ? llvm::ArrayRef<int64_t>{5, 3, 4}
                                        : llvm::ArrayRef<int64_t>{5, 4, 3},
                             rng, -1, 1);
    Tensor bv = randomTensor({5, 3, 2}, rng, -1, 1);
    Tensor wv = randomTensor({4, 2}, rng, -1, 1);
    SEQC_ASSERT_OK(loss->set("a", av));
    SEQC_ASSERT_OK(loss->set("b", bv));
    SEQC_ASSERT_OK(loss->set("w", wv));
    double expected = 0;
    for (int64_t m = 0; m < 4; ++m)
      for (int64_t n = 0; n < 2; ++n) {
        double sum = 0;
        for (int64_t t = 0; t < 5; ++t)
          for (int64_t k = 0; k < 3; ++k)
            sum += (transposed ? av.getDouble((t * 3 + k) * 4 + m)
                               : av.getDouble((t * 4 + m) * 3 + k)) *
                   bv.getDouble((t * 3 + k) * 2 + n);
        expected += sum * wv.getDouble(m * 2 + n);
      }
    SEQC_ASSERT_OK_AND_ASSIGN(result, loss->gradients());
    EXPECT_LE(relativeError(result.loss, expected), kSameTolerance) << flags;
    for (const auto &[name, grad] : result.grads) {
      SEQC_ASSERT_OK_AND_ASSIGN(fd, loss->finiteDifferences(name));
      SEQC_ASSERT_OK_AND_ASSIGN(comparison, compareTensors(grad, fd));
      EXPECT_LE(comparison.maxError, kFiniteDifferenceTolerance)
          << flags << ", d" << name << ": "
          << comparison.describe(grad.shape());
    }
  }
}

//===----------------------------------------------------------------------===//
// Timing (bench/hoist_scan_matmuls.sh)
//===----------------------------------------------------------------------===//

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

int64_t envInt(const char *name, int64_t fallback) {
  const char *value = std::getenv(name);
  return value ? std::atoll(value) : fallback;
}

/// Not run by default: an f32 LSTM(P = 32, H = 128) at T = 64, N = 32
/// (SEQC_BENCH_T, _N, _P, _H, _RUNS override), compiled with and without
/// the pass: the median time of the forward (@loss), of the gradient
/// (@loss_grad: forward and BPTT) and of the Adam training step
/// (@train_step); then the compile time and lowered size for a static T of
/// 64 and 512, which must not grow with T.
TEST(HoistScanMatmulsBench, DISABLED_LstmTrainStep) {
  SeqcContext context;
  LstmSpec spec{"bench"};
  spec.batch = envInt("SEQC_BENCH_N", 32);
  spec.input = envInt("SEQC_BENCH_P", 32);
  spec.hidden = envInt("SEQC_BENCH_H", 128);
  const int64_t T = envInt("SEQC_BENCH_T", 64), N = spec.batch;
  const int64_t Hs = spec.hidden, Ps = spec.input;
  const int runs = envInt("SEQC_BENCH_RUNS", 21);
  std::string text = "!T = f32\n" + lstmModule(spec);

  Rng rng(11);
  auto random = [&](llvm::ArrayRef<int64_t> shape, double scale) {
    Tensor tensor(DType::F32, shape);
    for (int64_t i = 0; i < tensor.numElements(); ++i)
      tensor.setDouble(i, rng.uniform(-scale, scale));
    return tensor;
  };
  std::map<std::string, Tensor> params;
  for (const char *g : kGates) {
    params[fmt::format("W{}", g)] = random({Hs, Hs}, 0.1);
    params[fmt::format("U{}", g)] = random({Hs, Ps}, 0.1);
    params[fmt::format("b{}", g)] = random({Hs}, 0.1);
  }
  std::vector<Tensor> inputs{random({N, Hs}, 0.5), random({N, Hs}, 0.5),
                             random({T, N, Ps}, 1.0), random({T, N, Hs}, 1.0),
                             random({N, Hs}, 1.0)};

  auto timeIt = [&](auto &&call) {
    std::vector<double> times;
    for (int i = 0; i < runs + 2; ++i) {
      auto start = std::chrono::steady_clock::now();
      call();
      if (i >= 2) // warm-up
        times.push_back(secondsSince(start));
    }
    return median(times);
  };

  std::cout << fmt::format("LSTM(P={}, H={}), T={}, N={}, f32, median of {} "
                           "runs\n",
                           Ps, Hs, T, N, runs);
  for (bool hoist : {false, true}) {
    JitOptions options;
    options.pipeline.hoistScanMatmuls = hoist;
    // @loss and @loss_grad.
    mlir::OwningOpRef<mlir::ModuleOp> gradModule =
        mlir::parseSourceString<mlir::ModuleOp>(text, &context);
    ASSERT_TRUE(gradModule);
    mlir::PassManager pm(&context, mlir::ModuleOp::getOperationName());
    pm.addPass(seqc::createSeqcAutodiff());
    pm.addPass(mlir::createCanonicalizerPass());
    ASSERT_TRUE(mlir::succeeded(pm.run(*gradModule)));
    auto compileStart = std::chrono::steady_clock::now();
    SEQC_ASSERT_OK_AND_ASSIGN(session,
                              JitSession::create(*gradModule, options));
    double compileSeconds = secondsSince(compileStart);
    for (auto &[name, value] : params)
      SEQC_ASSERT_OK(session->setParam(name, value));
    double forward = timeIt([&] {
      auto out = session->run("loss", inputs);
      ASSERT_TRUE(static_cast<bool>(out)) << llvm::toString(out.takeError());
    });
    double gradient = timeIt([&] {
      auto out = session->run("loss_grad", inputs);
      ASSERT_TRUE(static_cast<bool>(out)) << llvm::toString(out.takeError());
    });

    // @train_step (Adam).
    mlir::OwningOpRef<mlir::ModuleOp> trainModule =
        mlir::parseSourceString<mlir::ModuleOp>(text, &context);
    ASSERT_TRUE(trainModule);
    SEQC_ASSERT_OK(buildTrainingModule(*trainModule, seqc::OptimizerSpec{}));
    SEQC_ASSERT_OK_AND_ASSIGN(trainer,
                              JitSession::create(*trainModule, options));
    for (auto &[name, value] : params)
      SEQC_ASSERT_OK(trainer->setParam(name, value));
    int64_t step = 0;
    double train = timeIt([&] {
      auto loss = trainer->trainStep(inputs, 1e-4, ++step);
      ASSERT_TRUE(static_cast<bool>(loss)) << llvm::toString(loss.takeError());
    });
    std::cout << fmt::format(
        "  {:<13} forward {:7.3f} ms  gradient {:7.3f} ms (backward {:7.3f} "
        "ms = {:4.1f}x forward)  train_step {:7.3f} ms  compile {:5.2f} s\n",
        hoist ? "hoisted:" : "not hoisted:", forward * 1e3, gradient * 1e3,
        (gradient - forward) * 1e3, (gradient - forward) / forward, train * 1e3,
        compileSeconds);
  }

  // Compile time and IR size for a static T.
  for (int64_t staticT : {int64_t(64), int64_t(512)}) {
    LstmSpec fixed = spec;
    fixed.time = staticT;
    mlir::OwningOpRef<mlir::ModuleOp> module =
        mlir::parseSourceString<mlir::ModuleOp>(
            "!T = f32\n" + lstmModule(fixed), &context);
    ASSERT_TRUE(module);
    auto start = std::chrono::steady_clock::now();
    mlir::PassManager pm(&context, mlir::ModuleOp::getOperationName());
    pm.addPass(seqc::createSeqcAutodiff());
    pm.addPass(mlir::createCanonicalizerPass());
    seqc::PipelineOptions options;
    seqc::buildSeqToLinalgPipeline(pm, options);
    seqc::buildLinalgToLLVMPipeline(pm, options);
    ASSERT_TRUE(mlir::succeeded(pm.run(*module)));
    size_t ops = 0;
    module->walk([&](mlir::Operation *) { ++ops; });
    std::cout << fmt::format("  static T = {:<4} lowered to {} LLVM-dialect "
                             "ops in {:.2f} s\n",
                             staticT, ops, secondsSince(start));
  }
}

} // namespace
