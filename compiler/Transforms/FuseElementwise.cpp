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
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
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

bool isAllParallel(Operation *op) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  return linalgOp && linalgOp.getNumParallelLoops() == linalgOp.getNumLoops();
}

/// Whether `fused`'s producer may be fused although its result has other
/// users: the consumer is elementwise and comes before all of them in its
/// block, so the fused op, which also yields the producer's result, can
/// stand in for the producer everywhere.
bool canFuseKeepingProducer(OpOperand *fused) {
  Operation *producer = fused->get().getDefiningOp();
  Operation *consumer = fused->getOwner();
  if (!producer || producer->hasOneUse() || !isAllParallel(consumer) ||
      !isAllParallel(producer))
    return false;
  // An init of the consumer that is the producer's result would become the
  // fused op's own result.
  auto consumerOp = cast<linalg::LinalgOp>(consumer);
  for (OpOperand &init : consumerOp.getDpsInitsMutable())
    if (init.get().getDefiningOp() == producer)
      return false;
  Block *block = consumer->getBlock();
  for (Operation *user : producer->getUsers()) {
    if (user == consumer)
      continue;
    Operation *inBlock = block->findAncestorOpInBlock(*user);
    if (!inBlock || inBlock == consumer || !consumer->isBeforeInBlock(inBlock))
      return false;
  }
  return true;
}

/// Fuses an elementwise producer with several users into its first
/// elementwise consumer, computed once: the fused op yields the producer's
/// results too and replaces them for the later users. (linalg's own pattern
/// leaves those users on the producer, so a multi-use producer would be
/// computed twice.) This makes one loop nest of a cell step whose new state
/// feeds both the output and the carry (c_t feeds h_t and the masked c_t).
struct FuseKeepingProducer : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp consumer,
                                PatternRewriter &rewriter) const override {
    for (OpOperand &operand : consumer->getOpOperands()) {
      if (!linalg::areElementwiseOpsFusable(&operand) ||
          !canFuseKeepingProducer(&operand))
        continue;
      Operation *producer = operand.get().getDefiningOp();
      FailureOr<linalg::ElementwiseOpFusionResult> fusion =
          linalg::fuseElementwiseOps(rewriter, &operand);
      if (failed(fusion))
        return rewriter.notifyMatchFailure(consumer, "fusion failed");
      Operation *fused = fusion->fusedOp;
      for (auto [original, replacement] : fusion->replacements)
        rewriter.replaceUsesWithIf(original, replacement, [&](OpOperand &use) {
          return use.getOwner() != consumer.getOperation() &&
                 use.getOwner() != fused;
        });
      rewriter.eraseOp(consumer);
      if (producer->use_empty())
        rewriter.eraseOp(producer);
      return success();
    }
    return failure();
  }
};

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
    patterns.add<FuseKeepingProducer>(context);
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
