//===- HoistScanMatmuls.h - Rewrites of a seq.scan's matmuls ----*- C++ -*-===//
//
// The rewrites that seqc-hoist-scan-matmuls applies to a seq.scan, one file
// each (merging products, hoisting, sinking, merging gate gradients,
// reusing the forward's products), and the helpers they share. Private to
// compiler/Transforms.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_TRANSFORMS_HOISTSCANMATMULS_H
#define SEQC_TRANSFORMS_HOISTSCANMATMULS_H

#include "seqc/Dialect/Seq/SeqOps.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseSet.h"

namespace seqc::hoist {

inline mlir::RankedTensorType tensorType(mlir::Value v) {
  return llvm::cast<mlir::RankedTensorType>(v.getType());
}

/// Only `reverse` and `unroll` (and BPTT options left at 0, their "off") are
/// understood; any other attribute may change what the scan means.
bool hasOnlyKnownAttributes(seq::ScanOp scan);

/// A scan with `scan`'s inits, captures and options, sequences
/// `sequences` and result types `types`, taking over its body. The caller
/// adjusts the block arguments and the yield.
seq::ScanOp rebuild(mlir::OpBuilder &b, seq::ScanOp scan,
                    mlir::ValueRange inits, mlir::ValueRange sequences,
                    mlir::TypeRange types);

/// Erases the body's ops whose results nobody reads any more (the per-step
/// work a rewrite moved out of the loop).
void eraseDeadOps(mlir::Block &body);

/// The capture operand that a body argument stands for.
mlir::Value captureOf(seq::ScanOp scan, mlir::Value arg);

/// Values of a scan body that do not change from step to step: captures,
/// constants, and pure ops of those.
class Invariance {
public:
  explicit Invariance(seq::ScanOp scan);
  bool contains(mlir::Value v) const { return invariant.contains(v); }

private:
  llvm::DenseSet<mlir::Value> invariant;
};

/// Merging (ScanMergeProducts.cpp): products of one lhs with captures of
/// one type, and sums of products with such captures, become one product
/// with the captures concatenated. Each returns the scan that replaces
/// `scan` (or `scan`).
seq::ScanOp mergeGateMatmuls(seq::ScanOp scan);
seq::ScanOp mergeSummedMatmuls(seq::ScanOp scan);

/// Hoisting (ScanHoisting.cpp): state-independent products, and with
/// `elementwise` the elementwise ops on them, run before the loop.
/// `fromSavedStates` also hoists products of saved states.
seq::ScanOp hoistInvariantWork(seq::ScanOp scan, bool elementwise,
                               bool fromSavedStates);

/// Sinking (ScanSinking.cpp): accumulated gradients and per-step outputs
/// that are products with a capture become GEMMs after the loop.
seq::ScanOp sinkAccumulators(seq::ScanOp scan);
seq::ScanOp sinkOutputProducts(seq::ScanOp scan);

/// ScanGateGradients.cpp: one gradient per merged gate group.
void mergeGateGradients(seq::ScanOp scan);

/// ScanForwardReuse.cpp: the backward scan reads the forward's products.
void reuseForwardProducts(seq::ScanOp backward);

} // namespace seqc::hoist

#endif // SEQC_TRANSFORMS_HOISTSCANMATMULS_H
