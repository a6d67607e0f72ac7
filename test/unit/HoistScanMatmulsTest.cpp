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
#include "ScanModules.h"
#include "TestContext.h"
#include "TestUtil.h"

#include "seqc/Dialect/Seq/SeqOps.h"
#include "seqc/Runtime/JitSession.h"
#include "seqc/Runtime/Random.h"
#include "seqc/Transforms/Passes.h"

#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>

using namespace seqc::rt;
using namespace seqc::test;

namespace {

constexpr int64_t H = LstmSpec::kHidden, P = LstmSpec::kInput;
constexpr double kSameTolerance = 1e-12;
constexpr double kFiniteDifferenceTolerance = 1e-6;

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
    for (const char *g : kLstmGates) {
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

} // namespace
