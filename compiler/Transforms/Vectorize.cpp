//===- Vectorize.cpp - Tile and vectorize linalg ops ----------------------===//
//
// seqc-vectorize works on linalg on tensors, before bufferization:
//
//  - Contractions (matmul and friends) get a register tile: M x N of
//    rows x (vectors * vector width) accumulators (8 x 2 on AVX-512, 6 x 2
//    on AVX2: the pipeline picks them for the target CPU), the fill of the
//    accumulator fused into the tile, and the reduction axis K tiled by 1,
//    so each step of the K loop is one outer product: a broadcast of `rows`
//    scalars of A times two rows of B, rows * 2 FMAs. With library-gemms,
//    f32 GEMMs (and the zero fills of their outputs) are left alone for
//    seqc-gemm-to-call. A matmul whose B is transposed (the
//    `x @ W^T` of every dense layer) first packs B^T into a [K, N] copy so
//    that the rows of B are contiguous.
//  - Every other linalg op is tiled to 1 x ... x 1 x (vector width) over its
//    iteration space, so the innermost axis becomes one 16-lane vector;
//    reduction loops go innermost, a transpose gets 16 x 16 tiles.
//  - The partial last tile of every loop is peeled off, so full tiles are
//    static; a tile still dynamic after that (the last rows of a dynamic
//    batch) is split into 1-row pieces. Every tile then has a static shape
//    and linalg::vectorize needs no masks (which MLIR 19 builds wrongly for
//    transposing and broadcasting reads).
//  - Loop-invariant reads and writes of the accumulators are hoisted out of
//    the K and reduction loops, which then carry them in registers.
//
// An op that cannot be vectorized is left tiled (it lowers to scalar loops);
// the pass never fails.
//
// seqc-lower-vectors then runs on buffers and lowers the vector ops to the
// 1-D, 16-lane operations that LLVM maps onto zmm registers.
//
//===----------------------------------------------------------------------===//
#include "seqc/Transforms/LibraryGemm.h"
#include "seqc/Transforms/ParallelLoops.h"
#include "seqc/Transforms/Passes.h"

#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Linalg/Transforms/Hoisting.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorTransforms.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace seqc {
#define GEN_PASS_DEF_SEQCVECTORIZE
#define GEN_PASS_DEF_SEQCLOWERVECTORS
#include "seqc/Transforms/Passes.h.inc"
} // namespace seqc

using namespace mlir;

namespace {

/// Marks a tile this pass produced and will vectorize.
constexpr llvm::StringLiteral kTileAttr = "seqc.tile";
/// Marks a contraction's register tile whose K loop is still to be made.
constexpr llvm::StringLiteral kRegisterTileAttr = "seqc.register_tile";

/// The register tile of a contraction: `rows` x `vectors` vectors of
/// accumulators. It must fit the register file with room for one row of B
/// and a broadcast of A: 6 x 2 on AVX2's 16 ymm registers, 8 x 2 (or up to
/// 14 x 2) on AVX-512's 32 zmm registers.
struct RegisterTile {
  int64_t rows;
  int64_t vectors;
};

SmallVector<OpFoldResult> asIndexAttrs(OpBuilder &b, ArrayRef<int64_t> sizes) {
  return llvm::map_to_vector(sizes, [&](int64_t size) -> OpFoldResult {
    return b.getIndexAttr(size);
  });
}

/// The vector width is counted in f32 lanes: one register holds half as
/// many f64 lanes.
int64_t lanesFor(linalg::LinalgOp op, int64_t f32Lanes) {
  unsigned bits = 32;
  if (op.getNumDpsInits() > 0)
    if (auto type = dyn_cast<ShapedType>(op.getDpsInits()[0].getType()))
      if (type.getElementType().isIntOrFloat())
        bits = type.getElementType().getIntOrFloatBitWidth();
  return bits > 32 ? std::max<int64_t>(f32Lanes * 32 / bits, 1) : f32Lanes;
}

void markTile(Operation *op) {
  op->setAttr(kTileAttr, UnitAttr::get(op->getContext()));
}

/// The tiling loops whose last iteration may be partial, to be peeled so that
/// every other iteration works on a full, statically shaped tile.
struct TilingState {
  SmallVector<scf::ForOp> loopsToPeel;

  void addLoops(ArrayRef<LoopLikeOpInterface> loops) {
    for (LoopLikeOpInterface loop : loops)
      if (auto forOp = dyn_cast<scf::ForOp>(loop.getOperation()))
        loopsToPeel.push_back(forOp);
  }
};

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

/// C = A @ B^T with B [N, K] -> transpose B once into [K, N], then a plain
/// matmul: its rows are then contiguous 16-lane loads in the K loop.
linalg::LinalgOp packTransposedRhs(RewriterBase &rewriter,
                                   linalg::MatmulTransposeBOp op) {
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  Value lhs = op.getDpsInputOperand(0)->get();
  Value rhs = op.getDpsInputOperand(1)->get();
  auto rhsType = cast<RankedTensorType>(rhs.getType());
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(rewriter, loc, rhs);
  Value packed = rewriter.create<tensor::EmptyOp>(
      loc, SmallVector<OpFoldResult>{sizes[1], sizes[0]},
      rhsType.getElementType());
  Value transposed = rewriter
                         .create<linalg::TransposeOp>(loc, rhs, packed,
                                                      ArrayRef<int64_t>{1, 0})
                         .getResult()[0];
  auto matmul = rewriter.create<linalg::MatmulOp>(
      loc, op->getResultTypes(), ValueRange{lhs, transposed}, op.getDpsInits());
  rewriter.replaceOp(op, matmul->getResults());
  return cast<linalg::LinalgOp>(matmul.getOperation());
}

/// Tiles a contraction into a register tile (fusing the fill of its
/// accumulator) with the K loop innermost.
void tileContraction(RewriterBase &rewriter, linalg::LinalgOp op,
                     int64_t vectorWidth, RegisterTile registerTile,
                     TilingState &state) {
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (failed(dims) || dims->m.empty() || dims->n.empty() || dims->k.empty())
    return;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t numLoops = op.getNumLoops();

  // Parallel tile: 1 for batch and outer M/N axes, the register tile for the
  // innermost M and N axes, nothing for K (so the fill can be fused).
  SmallVector<int64_t> parallelTile(numLoops, 0);
  for (unsigned d : dims->batch)
    parallelTile[d] = 1;
  for (unsigned d : dims->m)
    parallelTile[d] = 1;
  for (unsigned d : dims->n)
    parallelTile[d] = 1;
  unsigned mDim = dims->m.back(), nDim = dims->n.back();
  parallelTile[mDim] = registerTile.rows;
  int64_t nTile = registerTile.vectors * vectorWidth;
  // A narrow N (a small output layer) gets one vector, not two.
  if (!ShapedType::isDynamic(ranges[nDim]) && ranges[nDim] <= vectorWidth)
    nTile = vectorWidth;
  parallelTile[nDim] = nTile;

  scf::SCFTilingOptions tilingOptions;
  tilingOptions.setTileSizes(asIndexAttrs(rewriter, parallelTile));
  scf::SCFTileAndFuseOptions fuseOptions;
  fuseOptions.setTilingOptions(tilingOptions);
  // Only the accumulator's fill is fused: fusing a producer of A or B would
  // recompute it for every tile.
  fuseOptions.setFusionControlFn(
      [](tensor::ExtractSliceOp, OpResult producer, bool isDestination) {
        bool fuse = isDestination && isa<linalg::FillOp>(producer.getOwner());
        return std::make_tuple(fuse, false);
      });
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTileAndFuseResult> tiled =
      scf::tileConsumerAndFuseProducersUsingSCF(
          rewriter, cast<TilingInterface>(op.getOperation()), fuseOptions);
  if (failed(tiled))
    return;
  for (OpResult result : op->getResults())
    if (Value replacement = tiled->replacements.lookup(result))
      rewriter.replaceAllUsesWith(result, replacement);
  rewriter.eraseOp(op);
  state.addLoops(tiled->loops);

  Operation *tiledContraction = tiled->tiledAndFusedOps.front();
  tiledContraction->setAttr(kRegisterTileAttr, rewriter.getUnitAttr());
  for (Operation *fused : tiled->tiledAndFusedOps)
    if (fused != tiledContraction)
      markTile(fused);
}

/// Tiles a register tile's K loop by 1, innermost: one rank-1 update of the
/// accumulators per step.
void tileReductionLoop(RewriterBase &rewriter, linalg::LinalgOp op) {
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  SmallVector<int64_t> reductionTile(op.getNumLoops(), 0);
  if (succeeded(dims))
    for (unsigned d : dims->k)
      reductionTile[d] = 1;
  scf::SCFTilingOptions options;
  options.setTileSizes(asIndexAttrs(rewriter, reductionTile));
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (failed(tiled)) {
    markTile(op);
    return;
  }
  rewriter.replaceOp(op, tiled->replacements);
  markTile(tiled->tiledOps.front());
}

//===----------------------------------------------------------------------===//
// Everything else
//===----------------------------------------------------------------------===//

/// Tiles a non-contraction op to one vector along the innermost loop and 1
/// along every other loop.
void tileOp(RewriterBase &rewriter, linalg::LinalgOp op, int64_t vectorWidth,
            TilingState &state) {
  int64_t numLoops = op.getNumLoops();
  if (numLoops == 0) {
    markTile(op);
    return;
  }
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<int64_t> tileSizes(numLoops, 1);
  tileSizes.back() = vectorWidth;
  // A transpose reads along another loop than it writes: a square tile
  // makes both contiguous, and the 16 x 16 tile transposes in registers.
  if (op.getNumDpsInputs() == 1 && isa<linalg::TransposeOp>(op)) {
    AffineMap inputMap = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
    if (auto innermost = dyn_cast_or_null<AffineDimExpr>(
            inputMap.getNumResults() ? inputMap.getResults().back()
                                     : AffineExpr()))
      tileSizes[innermost.getPosition()] = vectorWidth;
  }
  // Axes of static size 1 need no loop.
  for (auto [tile, range] : llvm::zip(tileSizes, ranges))
    if (range == 1)
      tile = 0;
  // Reduction loops innermost, so that a reduction's accumulator is loop
  // invariant there and stays in registers.
  SmallVector<int64_t> interchange;
  for (auto [i, iterator] : llvm::enumerate(op.getIteratorTypesArray()))
    if (iterator == utils::IteratorType::parallel)
      interchange.push_back(i);
  for (auto [i, iterator] : llvm::enumerate(op.getIteratorTypesArray()))
    if (iterator == utils::IteratorType::reduction)
      interchange.push_back(i);
  // Tiles of an op without reductions are independent: the outermost loop
  // may run its iterations on several threads. Asked before replaceOp
  // erases the op.
  bool independentTiles = op.getNumReductionLoops() == 0;
  scf::SCFTilingOptions options;
  options.setTileSizes(asIndexAttrs(rewriter, tileSizes));
  options.setInterchange(interchange);
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (failed(tiled))
    return;
  rewriter.replaceOp(op, tiled->replacements);
  state.addLoops(tiled->loops);
  for (Operation *tile : tiled->tiledOps)
    markTile(tile);
  if (!tiled->loops.empty() && independentTiles)
    tiled->loops.front()->setAttr(seqc::kParallelLoopAttr,
                                  rewriter.getUnitAttr());
}

/// A contraction with M, N and K axes (a matmul, possibly batched); a dot
/// product (no M or N) is vectorized as a plain reduction instead.
bool isContraction(linalg::LinalgOp op) {
  if (!linalg::isaContractionOpInterface(op) || op.getNumDpsInits() != 1)
    return false;
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  return succeeded(dims) && !dims->m.empty() && !dims->n.empty() &&
         !dims->k.empty();
}

//===----------------------------------------------------------------------===//
// Vectorization of the tiles
//===----------------------------------------------------------------------===//

/// A tile left dynamic after peeling (a remainder along a dynamic axis, e.g.
/// the last rows of a batch) is tiled again by 1 along its dynamic loops, so
/// that its pieces are static: slower than a full tile, but never masked.
SmallVector<Operation *> retileDynamicLoops(RewriterBase &rewriter,
                                            linalg::LinalgOp op) {
  SmallVector<int64_t> tileSizes;
  for (int64_t range : op.getStaticLoopRanges())
    tileSizes.push_back(ShapedType::isDynamic(range) ? 1 : 0);
  scf::SCFTilingOptions options;
  options.setTileSizes(asIndexAttrs(rewriter, tileSizes));
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (failed(tiled))
    return {op};
  rewriter.replaceOp(op, tiled->replacements);
  return tiled->tiledOps;
}

/// Vectorizes a statically shaped tile if linalg can; otherwise leaves it
/// for the scalar loop lowering.
void vectorizeTile(RewriterBase &rewriter, linalg::LinalgOp op) {
  if (!op.hasPureTensorSemantics() || op.hasDynamicShape())
    return;
  if (failed(linalg::vectorizeOpPrecondition(op, {}, {},
                                             /*vectorizeNDExtract=*/true)))
    return;
  rewriter.setInsertionPoint(op);
  (void)linalg::vectorize(rewriter, op, {}, {}, /*vectorizeNDExtract=*/true);
}

SmallVector<linalg::LinalgOp> collectTiles(func::FuncOp func) {
  SmallVector<linalg::LinalgOp> tiles;
  func.walk([&](linalg::LinalgOp op) {
    if (op->hasAttr(kTileAttr))
      tiles.push_back(op);
  });
  return tiles;
}

//===----------------------------------------------------------------------===//
// Cleanup on tensors
//===----------------------------------------------------------------------===//

/// Hoists the accumulator's reads and writes (extract/insert_slice and
/// transfer_read/write pairs on loop-carried tensors) out of loops, innermost
/// first, so the K loop carries vectors.
void hoistLoopInvariantTransfers(RewriterBase &rewriter, func::FuncOp func) {
  SmallVector<LoopLikeOpInterface> loops;
  func.walk([&](LoopLikeOpInterface loop) { loops.push_back(loop); });
  for (LoopLikeOpInterface loop : loops) {
    moveLoopInvariantCode(loop);
    (void)hoistLoopInvariantSubsets(rewriter, loop);
  }
}

/// Collects the ops a rewriter creates.
struct CreatedOps : RewriterBase::Listener {
  llvm::SetVector<Operation *> ops;
  void notifyOperationInserted(Operation *op, OpBuilder::InsertPoint) override {
    ops.insert(op);
  }
  void notifyOperationErased(Operation *op) override { ops.remove(op); }
};

/// Runs every canonicalization pattern of the loaded dialects on `func`.
void canonicalize(func::FuncOp func) {
  MLIRContext *ctx = func.getContext();
  RewritePatternSet patterns(ctx);
  for (Dialect *dialect : ctx->getLoadedDialects())
    dialect->getCanonicalizationPatterns(patterns);
  for (RegisteredOperationName op : ctx->getRegisteredOperations())
    op.getCanonicalizationPatterns(patterns, ctx);
  (void)applyPatternsAndFoldGreedily(func, std::move(patterns));
}

struct VectorizePass : seqc::impl::SeqcVectorizeBase<VectorizePass> {
  using SeqcVectorizeBase::SeqcVectorizeBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    MLIRContext *ctx = &getContext();
    IRRewriter rewriter(ctx);
    int64_t width = std::max<int64_t>(vectorWidth, 1);

    // Contractions first, so their accumulator fills are fused into the
    // register tile rather than tiled on their own.
    TilingState state;
    SmallVector<linalg::LinalgOp> contractions;
    RegisterTile registerTile{std::max<int64_t>(tileRows, 1),
                              std::max<int64_t>(tileVectors, 1)};
    // With library GEMMs, f32 GEMMs and the zero fills of their outputs are
    // left for seqc-gemm-to-call.
    auto leftToLibrary = [&](linalg::LinalgOp op) {
      if (!libraryGemms)
        return false;
      if (seqc::isLibraryGemm(op))
        return true;
      if (!isa<linalg::FillOp>(op) || !op->hasOneUse())
        return false;
      Operation *user = *op->getUsers().begin();
      return seqc::isLibraryGemm(user) &&
             cast<linalg::LinalgOp>(user).getDpsInits()[0] == op->getResult(0);
    };
    func.walk([&](linalg::LinalgOp op) {
      if (op.hasPureTensorSemantics() && isContraction(op) &&
          !leftToLibrary(op))
        contractions.push_back(op);
    });
    for (linalg::LinalgOp op : contractions) {
      if (auto transposed =
              dyn_cast<linalg::MatmulTransposeBOp>(op.getOperation()))
        op = packTransposedRhs(rewriter, transposed);
      tileContraction(rewriter, op, lanesFor(op, width), registerTile, state);
    }

    SmallVector<linalg::LinalgOp> others;
    func.walk([&](linalg::LinalgOp op) {
      if (op.hasPureTensorSemantics() && !op->hasAttr(kTileAttr) &&
          !op->hasAttr(kRegisterTileAttr) && !leftToLibrary(op))
        others.push_back(op);
    });
    for (linalg::LinalgOp op : others)
      tileOp(rewriter, op, lanesFor(op, width), state);

    // Peel the partial last tile off every loop, inner loops first (so that
    // peeling an outer loop copies the already peeled inner ones): the full
    // tiles become static.
    for (scf::ForOp loop : llvm::reverse(state.loopsToPeel)) {
      scf::ForOp partialIteration;
      (void)scf::peelForLoopAndSimplifyBounds(rewriter, loop, partialIteration);
    }
    canonicalize(func);

    // Static tiles vectorize as they are; dynamic remainders are split into
    // static pieces first. A register tile is split before its K loop is
    // made, so that a remainder row still keeps its accumulators in
    // registers across K.
    SmallVector<linalg::LinalgOp> registerTiles;
    func.walk([&](linalg::LinalgOp op) {
      if (op->hasAttr(kRegisterTileAttr))
        registerTiles.push_back(op);
    });
    for (linalg::LinalgOp tile : registerTiles) {
      tile->removeAttr(kRegisterTileAttr);
      SmallVector<Operation *> pieces{tile};
      if (tile.hasDynamicShape())
        pieces = retileDynamicLoops(rewriter, tile);
      for (Operation *piece : pieces)
        tileReductionLoop(rewriter, cast<linalg::LinalgOp>(piece));
    }
    for (linalg::LinalgOp tile : collectTiles(func))
      if (tile.hasDynamicShape())
        for (Operation *piece : retileDynamicLoops(rewriter, tile))
          markTile(piece);
    canonicalize(func);
    // Vectorized contractions come out as broadcasting reads, a multiply and
    // a multi_reduction; fold them back into vector.contract before
    // canonicalization turns the unit K reduction into a plain add, so that
    // they lower to outer products (one broadcast scalar of A times a row of
    // B per FMA) instead of 3-D elementwise vectors. Only the ops vectorized
    // from contractions: on other reductions the folding is not always valid
    // in MLIR 19 (it builds a malformed contract for a reduction to a
    // scalar).
    CreatedOps contractionOps;
    for (linalg::LinalgOp tile : collectTiles(func)) {
      tile->removeAttr(kTileAttr);
      bool contraction = isContraction(tile);
      rewriter.setListener(contraction ? &contractionOps : nullptr);
      vectorizeTile(rewriter, tile);
      rewriter.setListener(nullptr);
    }
    {
      RewritePatternSet patterns(ctx);
      vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
      vector::populateVectorReductionToContractPatterns(patterns);
      GreedyRewriteConfig config;
      config.strictMode = GreedyRewriteStrictness::ExistingAndNewOps;
      (void)applyOpPatternsAndFold(contractionOps.ops.getArrayRef(),
                                   std::move(patterns), config);
    }

    canonicalize(func);
    hoistLoopInvariantTransfers(rewriter, func);
  }
};

//===----------------------------------------------------------------------===//
// seqc-lower-vectors
//===----------------------------------------------------------------------===//

struct LowerVectorsPass : seqc::impl::SeqcLowerVectorsBase<LowerVectorsPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    MLIRContext *ctx = &getContext();

    // Accumulators that survived bufferization inside loops.
    linalg::hoistRedundantVectorTransfers(func);

    vector::VectorTransformsOptions options;
    options.setVectorTransformsOptions(
        vector::VectorContractLowering::OuterProduct);
    options.setVectorTransposeLowering(
        vector::VectorTransposeLowering::Shuffle16x16);
    options.setVectorMultiReductionLowering(
        vector::VectorMultiReductionLowering::InnerReduction);

    // Contractions to outer products, and transposing reads to plain reads
    // plus vector.transpose.
    {
      RewritePatternSet patterns(ctx);
      vector::populateVectorContractLoweringPatterns(patterns, options);
      vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
      vector::populateSinkVectorBroadcastPatterns(patterns);
      vector::populateVectorMaskMaterializationPatterns(patterns, false);
      if (failed(applyPatternsAndFoldGreedily(func, std::move(patterns))))
        return signalPassFailure();
    }
    // Outer products to FMAs, multi-reductions to elementwise ops plus 1-D
    // reductions, transposes to shuffles, broadcasts and shape casts to
    // inserts and extracts.
    {
      RewritePatternSet patterns(ctx);
      vector::populateVectorContractLoweringPatterns(patterns, options);
      vector::populateVectorOuterProductLoweringPatterns(patterns);
      vector::populateVectorMultiReductionLoweringPatterns(
          patterns, options.vectorMultiReductionLowering);
      vector::populateVectorTransposeLoweringPatterns(patterns, options);
      vector::populateVectorBroadcastLoweringPatterns(patterns);
      vector::populateVectorShapeCastLoweringPatterns(patterns);
      vector::populateVectorMaskOpLoweringPatterns(patterns);
      vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
      vector::populateVectorToVectorCanonicalizationPatterns(patterns);
      if (failed(applyPatternsAndFoldGreedily(func, std::move(patterns))))
        return signalPassFailure();
    }
    // n-D transfers to unrolled 1-D ones (no stack buffers), and those to
    // plain or masked loads and stores.
    {
      RewritePatternSet patterns(ctx);
      populateVectorToSCFConversionPatterns(
          patterns, VectorTransferToSCFOptions().enableFullUnroll());
      vector::populateVectorTransferLoweringPatterns(patterns,
                                                     /*maxTransferRank=*/1);
      vector::populateVectorToVectorCanonicalizationPatterns(patterns);
      if (failed(applyPatternsAndFoldGreedily(func, std::move(patterns))))
        return signalPassFailure();
    }
  }
};

} // namespace
