//===- ScanTest.cpp - seq.scan compiled and differentiated through time ---===//
//
// An Elman cell h[t] = tanh(W h[t-1] + U x[t] + b) written as a seq.scan
// (ScanModules.h) is JIT-compiled in f64 and checked
//
//  - against a loop written here (ScanReference.h), for its stacked outputs
//    and final state (forward and reverse, unrolled or not, with a per-step
//    mask blended in the body, with a dynamic batch axis);
//  - through seqc-autodiff (BPTT: an augmented forward scan and a reverse
//    scan), for the gradients of the scalar loss
//        sum(hs * w) + sum(hT * v)
//    with respect to every parameter and input, against central finite
//    differences of the compiled loss (relative error <= 1e-6) at T = 0, 1,
//    2 and 17;
//  - for the size of the lowered IR, which does not depend on T.
//
// Scans composed are checked in ScanCompositeTest.cpp, the derivative's
// options (checkpoint, tbptt, masks) in ScanOptionsTest.cpp.
//
// SEQC_GRADCHECK_VERBOSE=1 prints every gradient's error and the IR sizes.
//
//===----------------------------------------------------------------------===//
#include "GradCheck.h"
#include "ScanReference.h"
#include "TestContext.h"
#include "TestUtil.h"

#include "seqc/Pipeline/Pipeline.h"
#include "seqc/Runtime/JitSession.h"
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

class ScanTest : public ::testing::TestWithParam<CellSpec> {
protected:
  /// The step counts a case runs: 0 (the inits come out), 1, 2 and 17, or
  /// its static one.
  std::vector<int64_t> stepCounts() const {
    if (GetParam().time >= 0)
      return {GetParam().time};
    return {0, 1, 2, 17};
  }
  int64_t batchSize() const { return GetParam().dynamicBatch ? 3 : N; }

  SeqcContext context;
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
// Compile time does not grow with T
//===----------------------------------------------------------------------===//

class ScanSizeTest : public ::testing::Test {
protected:
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

  SeqcContext context;
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
    // Equal up to the remainder tiles of the GEMMs over T * N rows that
    // seqc-hoist-scan-matmuls builds: which exist depends on T mod the tile.
    EXPECT_LE(std::max(ops50, ops500), std::min(ops50, ops500) * 11 / 10)
        << spec.name << ": " << ops50 << " ops at T = 50, " << ops500
        << " at T = 500";
    if (std::getenv("SEQC_GRADCHECK_VERBOSE"))
      std::cout << fmt::format("  {}: T = 50: {} ops, {:.3f} s; T = 500: {} "
                               "ops, {:.3f} s\n",
                               spec.name, ops50, seconds50, ops500, seconds500);
  }
}

} // namespace
