//===- LibraryGemm.h - Which products the runtime's GEMM computes -*- C++
//-*-===//
#ifndef SEQC_TRANSFORMS_LIBRARYGEMM_H
#define SEQC_TRANSFORMS_LIBRARYGEMM_H

namespace mlir {
class Operation;
} // namespace mlir

namespace seqc {

/// An f32 rank-2 linalg.matmul, matmul_transpose_a or matmul_transpose_b:
/// with library GEMMs on, seqc-vectorize leaves it (and the fill of its
/// output) alone and seqc-gemm-to-call turns it into a call of the runtime's
/// kernel.
bool isLibraryGemm(mlir::Operation *op);

} // namespace seqc

#endif // SEQC_TRANSFORMS_LIBRARYGEMM_H
