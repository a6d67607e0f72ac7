//===- ScanOptionsTest.cpp - The options of a seq.scan's derivative -------===//
//
// The derivative's options of seq.scan (ScanModules.h's Elman cell):
// `checkpoint` gives the gradients of plain BPTT (to 1e-12), `tbptt` those
// of its windows computed separately (each from the carried state, held
// constant; compiled gradients and finite differences), and a 0/1 padding
// mask blended in the body makes padded steps keep the state and
// contribute no gradient.
//
//===----------------------------------------------------------------------===//
#include "GradCheck.h"
#include "ScanReference.h"
#include "TestContext.h"
#include "TestUtil.h"

#include "seqc/Runtime/JitSession.h"

#include "mlir/Parser/Parser.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>

using namespace seqc::rt;
using namespace seqc::test;

namespace {

//===----------------------------------------------------------------------===//
// Derivative options: checkpoints, truncated BPTT; masked steps
//===----------------------------------------------------------------------===//

/// Steps [start, start + length) of a time-major tensor.
Tensor stepsOf(const Tensor &tensor, int64_t start, int64_t length) {
  llvm::SmallVector<int64_t, 4> shape(tensor.shape());
  int64_t perStep = shape[0] == 0 ? 0 : tensor.numElements() / shape[0];
  shape[0] = length;
  Tensor part(tensor.dtype(), shape);
  for (int64_t i = 0; i < length * perStep; ++i)
    part.setDouble(i, tensor.getDouble(start * perStep + i));
  return part;
}

/// Adds `part` into steps [start, start + part.dim(0)) of `into`.
void addSteps(Tensor &into, const Tensor &part, int64_t start) {
  int64_t perStep = part.dim(0) == 0 ? 0 : part.numElements() / part.dim(0);
  for (int64_t i = 0; i < part.numElements(); ++i)
    into.setDouble(start * perStep + i,
                   into.getDouble(start * perStep + i) + part.getDouble(i));
}

Tensor zerosLike(const Tensor &tensor) {
  Tensor zeros(tensor.dtype(), tensor.shape());
  for (int64_t i = 0; i < zeros.numElements(); ++i)
    zeros.setDouble(i, 0);
  return zeros;
}

class ScanOptionsTest : public ::testing::Test {
protected:
  std::unique_ptr<CompiledLoss> compile(const CellSpec &spec) {
    LossSpec lossSpec{cellModule(spec), DType::F64, /*wrtInputs=*/true};
    auto compiled = CompiledLoss::create(context, lossSpec);
    if (!compiled) {
      ADD_FAILURE() << spec.name << ": "
                    << llvm::toString(compiled.takeError());
      return nullptr;
    }
    return std::move(*compiled);
  }

  SeqcContext context;
};

/// Checkpointed BPTT recomputes the states it did not save: the gradients
/// are those of plain BPTT to rounding, for T below, at and above multiples
/// of k, forward and reverse, unrolled, with two states and with tbptt.
TEST_F(ScanOptionsTest, CheckpointsGiveTheGradientsOfPlainBPTT) {
  std::vector<CellSpec> cases;
  auto add = [&](std::string name, bool reverse, int64_t unroll,
                 int64_t checkpoint, int64_t tbptt = 0, bool twoStates = false,
                 int64_t time = -1) {
    CellSpec spec{name, reverse, unroll};
    spec.twoStates = twoStates;
    spec.checkpoint = checkpoint;
    spec.tbptt = tbptt;
    spec.time = time;
    cases.push_back(spec);
  };
  add("k1", false, 1, 1);
  add("k3", false, 1, 3);
  add("k3_reverse", true, 1, 3);
  add("k4_unrolled", false, 2, 4);
  add("k5_reverse_unrolled", true, 3, 5);
  add("k3_two_states", false, 1, 3, 0, /*twoStates=*/true);
  add("k3_tbptt2", false, 1, 3, /*tbptt=*/2); // segments of 4
  add("k4_tbptt2_reverse", true, 2, 4, 2);
  add("k5_static", false, 1, 5, 0, false, /*time=*/17);
  add("k4_static_reverse_tbptt3", true, 1, 4, 3, false, 17);
  add("k3_dynamic_batch", false, 1, 3, 0, false, 17);
  cases.back().dynamicBatch = true;
  for (const CellSpec &spec : cases) {
    CellSpec plainSpec = spec;
    plainSpec.checkpoint = 0;
    auto checkpointed = compile(spec), plain = compile(plainSpec);
    ASSERT_TRUE(checkpointed && plain);
    // The segments' scans (outer, inner, remaining steps) are there.
    EXPECT_GT(checkpointed->differentiatedModule().count("seq.scan"),
              plain->differentiatedModule().count("seq.scan") + 2)
        << spec.name;
    std::vector<int64_t> steps{0, 1, 3, 4, 7, 17};
    if (spec.time >= 0)
      steps = {spec.time};
    for (int64_t T : steps) {
      auto values = sampleArguments(spec, T, N, 300 + T);
      for (auto &[name, value] : values) {
        SEQC_ASSERT_OK(checkpointed->set(name, value));
        SEQC_ASSERT_OK(plain->set(name, value));
      }
      SEQC_ASSERT_OK_AND_ASSIGN(got, checkpointed->gradients());
      SEQC_ASSERT_OK_AND_ASSIGN(want, plain->gradients());
      EXPECT_LE(relativeError(got.loss, want.loss), 1e-12)
          << spec.name << ", T = " << T;
      ASSERT_EQ(got.grads.size(), want.grads.size());
      for (const auto &[name, grad] : want.grads) {
        SEQC_ASSERT_OK_AND_ASSIGN(comparison,
                                  compareTensors(got.grads[name], grad));
        EXPECT_LE(comparison.maxError, 1e-12)
            << spec.name << ", T = " << T << ", gradient of " << name << ": "
            << comparison.describe(grad.shape());
      }
    }
  }
}

/// Truncated BPTT against its definition: the windows of k steps (in
/// processing order) as separate computations, each starting from the
/// state the forward carries into it, held constant. The gradient of the
/// truncated loss is the sum of the windows' gradients, which are taken
/// both from the plain compiled loss and by finite differences.
TEST_F(ScanOptionsTest, TruncatedBPTTIsTheSumOfIndependentWindows) {
  for (bool reverse : {false, true}) {
    CellSpec plainSpec{reverse ? "reverse" : "forward", reverse};
    auto plain = compile(plainSpec);
    ASSERT_TRUE(plain);
    for (int64_t k : {1, 3, 4}) {
      CellSpec spec = plainSpec;
      spec.tbptt = k;
      auto truncated = compile(spec);
      ASSERT_TRUE(truncated);
      for (int64_t T : {1, 3, 5, 8, 13}) {
        std::string where =
            fmt::format("{}, tbptt = {}, T = {}", spec.name, k, T);
        auto values = sampleArguments(spec, T, N, 500 + T);
        for (auto &[name, value] : values)
          SEQC_ASSERT_OK(truncated->set(name, value));
        SEQC_ASSERT_OK_AND_ASSIGN(got, truncated->gradients());
        EXPECT_LE(relativeError(got.loss, referenceLoss(spec, values)),
                  kForwardTolerance)
            << where;

        // The windows, in processing order.
        std::map<std::string, Tensor> expected, expectedFD;
        for (const auto &[name, value] : values) {
          expected[name] = zerosLike(value);
          expectedFD[name] = zerosLike(value);
        }
        for (int64_t p0 = 0; p0 < T; p0 += k) {
          int64_t length = std::min(k, T - p0);
          bool last = p0 + length == T;
          // Steps t in [first, first + length).
          int64_t first = reverse ? T - p0 - length : p0;
          // The state entering the window: the first p0 steps' final state.
          auto prefix = values;
          prefix["xs"] = stepsOf(values["xs"], reverse ? T - p0 : 0, p0);
          std::map<std::string, Tensor> window = values;
          window["h0"] = referenceScan(spec, prefix).first;
          window["xs"] = stepsOf(values["xs"], first, length);
          window["w"] = stepsOf(values["w"], first, length);
          if (!last)
            window["v"] = zerosLike(values["v"]);
          for (auto &[name, value] : window)
            SEQC_ASSERT_OK(plain->set(name, value));
          SEQC_ASSERT_OK_AND_ASSIGN(windowGrads, plain->gradients());
          for (const char *name : {"W", "U", "b", "xs", "w", "v"}) {
            if (std::string(name) == "v" && !last)
              continue; // v is not in this window's loss
            SEQC_ASSERT_OK_AND_ASSIGN(fd, plain->finiteDifferences(name));
            const Tensor &analytic = windowGrads.grads[name];
            bool perStep = std::string(name) == "xs" || name[0] == 'w';
            if (perStep) {
              addSteps(expected[name], analytic, first);
              addSteps(expectedFD[name], fd, first);
            } else {
              addSteps(expected[name], analytic, 0);
              addSteps(expectedFD[name], fd, 0);
            }
          }
        }
        // h0 starts the first window: held constant, no gradient.
        for (const auto &[name, grad] : got.grads) {
          SEQC_ASSERT_OK_AND_ASSIGN(vsWindows,
                                    compareTensors(grad, expected[name]));
          EXPECT_LE(vsWindows.maxError, 1e-12)
              << where << ", gradient of " << name
              << " vs the windows': " << vsWindows.describe(grad.shape());
          SEQC_ASSERT_OK_AND_ASSIGN(vsFD,
                                    compareTensors(grad, expectedFD[name]));
          EXPECT_LE(vsFD.maxError, kFiniteDifferenceTolerance)
              << where << ", gradient of " << name
              << " vs finite differences of the windows: "
              << vsFD.describe(grad.shape());
        }
        // The check can fail: where a window boundary cuts the sequence,
        // full BPTT differs from the truncated gradient.
        if (T > k) {
          for (auto &[name, value] : values)
            SEQC_ASSERT_OK(plain->set(name, value));
          SEQC_ASSERT_OK_AND_ASSIGN(full, plain->gradients());
          SEQC_ASSERT_OK_AND_ASSIGN(
              differs, compareTensors(full.grads["W"], got.grads["W"]));
          EXPECT_GT(differs.maxError, 1e-4) << where;
        }
      }
    }
  }
}

/// A padding mask blended in the body, h = m * h_step + (1 - m) * h with m
/// 0 or 1: padded steps carry the state unchanged, their inputs get a zero
/// gradient and change no other gradient, and the gradients match finite
/// differences.
TEST_F(ScanOptionsTest, PaddedStepsChangeNothing) {
  CellSpec spec{"masked", false, 1, /*masked=*/true};
  auto loss = compile(spec);
  ASSERT_TRUE(loss);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(
          withFloatType(cellModule(spec), "f64"), &context);
  ASSERT_TRUE(module);
  SEQC_ASSERT_OK_AND_ASSIGN(session, JitSession::create(*module));

  const int64_t T = 7;
  const int64_t lengths[N] = {7, 4}; // the second sequence is padded
  auto values = sampleArguments(spec, T, N, 77);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t n = 0; n < N; ++n) {
      bool pad = t >= lengths[n];
      values["mask"].setDouble(t * N + n, pad ? 0.0 : 1.0);
      // A masked loss reads no output of a padded step.
      if (pad)
        for (int64_t r = 0; r < H; ++r)
          values["w"].setDouble((t * N + n) * H + r, 0.0);
    }

  // Forward: the state stops at the last real step.
  for (const char *name : {"W", "U", "b"})
    SEQC_ASSERT_OK(session->setParam(name, values[name]));
  SEQC_ASSERT_OK_AND_ASSIGN(
      outputs,
      session->run("forward", {values["h0"], values["xs"], values["mask"]}));
  const Tensor &hT = outputs[0], &hs = outputs[1];
  for (int64_t n = 0; n < N; ++n)
    for (int64_t r = 0; r < H; ++r) {
      double last = hs.getDouble(((lengths[n] - 1) * N + n) * H + r);
      EXPECT_EQ(hT.getDouble(n * H + r), last) << "n = " << n;
      for (int64_t t = lengths[n]; t < T; ++t)
        EXPECT_EQ(hs.getDouble((t * N + n) * H + r), last)
            << "padded step t = " << t << ", n = " << n;
    }

  for (auto &[name, value] : values)
    SEQC_ASSERT_OK(loss->set(name, value));
  SEQC_ASSERT_OK_AND_ASSIGN(result, loss->gradients());
  for (const auto &[name, grad] : result.grads) {
    SEQC_ASSERT_OK_AND_ASSIGN(fd, loss->finiteDifferences(name));
    SEQC_ASSERT_OK_AND_ASSIGN(comparison, compareTensors(grad, fd));
    EXPECT_LE(comparison.maxError, kFiniteDifferenceTolerance)
        << "gradient of " << name << ": " << comparison.describe(grad.shape());
  }
  // Padded inputs get no gradient...
  const Tensor &dxs = result.grads["xs"];
  for (int64_t t = lengths[1]; t < T; ++t)
    for (int64_t p = 0; p < P; ++p)
      EXPECT_EQ(dxs.getDouble((t * N + 1) * P + p), 0.0) << "t = " << t;
  // ...and whatever they hold, the other gradients are the same.
  Tensor otherXs = values["xs"];
  Rng rng(78);
  for (int64_t t = lengths[1]; t < T; ++t)
    for (int64_t p = 0; p < P; ++p)
      otherXs.setDouble((t * N + 1) * P + p, rng.uniform(-5, 5));
  SEQC_ASSERT_OK(loss->set("xs", otherXs));
  SEQC_ASSERT_OK_AND_ASSIGN(other, loss->gradients());
  EXPECT_EQ(other.loss, result.loss);
  for (const char *name : {"W", "U", "b", "h0"}) {
    SEQC_ASSERT_OK_AND_ASSIGN(
        comparison, compareTensors(other.grads[name], result.grads[name]));
    EXPECT_EQ(comparison.maxError, 0.0) << "gradient of " << name;
  }
}

} // namespace
