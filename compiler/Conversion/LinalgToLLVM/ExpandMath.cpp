//===- ExpandMath.cpp - Vectorizable transcendental functions -------------===//
//
// LLVM has no vector tanh, and its vector exp/log become one libm call per
// lane. The math dialect's polynomial approximations (f32, accurate to a few
// ulp) keep them in registers.
//
//===----------------------------------------------------------------------===//
#include "seqc/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace seqc {
#define GEN_PASS_DEF_SEQCEXPANDMATH
#include "seqc/Conversion/Passes.h.inc"
} // namespace seqc

using namespace mlir;

namespace {
struct ExpandMathPass : seqc::impl::SeqcExpandMathBase<ExpandMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns);
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
