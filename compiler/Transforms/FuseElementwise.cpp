//===- FuseElementwise.cpp - Elementwise fusion that keeps GEMMs 2-D ------===//
//
// linalg's elementwise fusion, with its folding of reshapes by expansion,
// except that no reshape is folded into or out of a contraction: a matmul
// over [T*N, K] rows (an input projection hoisted out of a scan, a dense
// layer on a sequence) whose result is expanded to [T, N, H] would otherwise
// become a 4-D linalg.generic that reads B transposed, which seqc-vectorize
// neither packs nor register-tiles well. Everything else is what
// `linalg-fuse-elementwise-ops` does.
//
//===----------------------------------------------------------------------===//
#include "seqc/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace seqc {
#define GEN_PASS_DEF_SEQCFUSEELEMENTWISE
#include "seqc/Transforms/Passes.h.inc"
} // namespace seqc

using namespace mlir;

namespace {

bool isContraction(Operation *op) {
  auto linalgOp = dyn_cast_or_null<linalg::LinalgOp>(op);
  return linalgOp && linalg::isaContractionOpInterface(linalgOp);
}

/// A reshape that splits (or merges) one axis into several of dynamic size:
/// folding it by expansion in MLIR 19 divides sizes by a dynamic size.
bool isAmbiguousReshape(Operation *op) {
  auto check = [](RankedTensorType expanded,
                  ArrayRef<ReassociationIndices> groups) {
    for (const ReassociationIndices &group : groups)
      if (llvm::count_if(
              group, [&](int64_t i) { return expanded.isDynamicDim(i); }) > 1)
        return true;
    return false;
  };
  if (auto expand = dyn_cast_or_null<tensor::ExpandShapeOp>(op))
    return check(expand.getResultType(), expand.getReassociationIndices());
  if (auto collapse = dyn_cast_or_null<tensor::CollapseShapeOp>(op))
    return check(collapse.getSrcType(), collapse.getReassociationIndices());
  return false;
}

struct FuseElementwisePass
    : seqc::impl::SeqcFuseElementwiseBase<FuseElementwisePass> {
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    RewritePatternSet patterns(context);
    linalg::ControlFusionFn fuseOneUse = [](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      return producer && producer->hasOneUse();
    };
    linalg::ControlFusionFn reshapeOutsideContractions = [](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      return producer && producer->hasOneUse() && !isContraction(producer) &&
             !isContraction(fused->getOwner()) &&
             !isAmbiguousReshape(producer) &&
             !isAmbiguousReshape(fused->getOwner());
    };
    linalg::populateElementwiseOpsFusionPatterns(patterns, fuseOneUse);
    linalg::populateFoldReshapeOpsByExpansionPatterns(
        patterns, reshapeOutsideContractions);
    affine::AffineApplyOp::getCanonicalizationPatterns(patterns, context);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, context);
    tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, context);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, context);
    context->getLoadedDialect<linalg::LinalgDialect>()
        ->getCanonicalizationPatterns(patterns);
    linalg::populateConstantFoldLinalgOperations(patterns, fuseOneUse);
    GreedyRewriteConfig config;
    config.useTopDownTraversal = true;
    (void)applyPatternsAndFoldGreedily(getOperation(), std::move(patterns),
                                       config);
  }
};

} // namespace
