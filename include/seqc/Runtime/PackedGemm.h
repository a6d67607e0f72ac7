//===- PackedGemm.h - GEMM with a right operand packed once -----*- C++ -*-===//
//
// The recurrent products of a time loop multiply a new left operand (the
// batch's state, M = N rows) by the same weights at every step. A library
// GEMM packs those weights again on every call, and for a small M that
// copy costs a third of the product. Here the weights are packed once, into
// panels of a register tile's width (K rows of `panelWidth` consecutive
// columns, zero-padded), and each step runs the micro-kernel over them.
//
// The kernels are chosen for the host when the runtime starts: AVX-512
// (8 x 32 register tile), AVX2 + FMA (6 x 16) or portable C++. Every
// element of C is one chain of multiply-adds over k in ascending order,
// whatever the tile, the column range or the thread, so results do not
// depend on how the columns are split.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_RUNTIME_PACKEDGEMM_H
#define SEQC_RUNTIME_PACKEDGEMM_H

#include <cstdint>

namespace seqc::rt {

/// The host's kernel choice.
struct PackedGemmKernel {
  const char *name;   ///< "avx512", "avx2" or "portable".
  int64_t panelWidth; ///< Columns per packed panel.
};
const PackedGemmKernel &packedGemmKernel();
/// Switches to the kernel `name` ("avx512", "avx2", "portable") if the
/// host runs it; for tests and benchmarks, before any packing (a packed
/// operand is only valid for the kernel that packed it).
bool selectPackedGemmKernel(const char *name);

/// Floats that the packed form of a [k, n] operand takes.
int64_t packedSize(int64_t k, int64_t n);

/// Packs columns [columnBegin, columnEnd) of op(B) ([k, n]; op(B)[i, j] =
/// b[i * rowStride + j * colStride]) into `packed` (packedSize(k, n)
/// floats for the whole of op(B)); columnBegin must be a multiple of the
/// panel width.
void packB(const float *b, int64_t k, int64_t n, int64_t rowStride,
           int64_t colStride, float *packed, int64_t columnBegin,
           int64_t columnEnd);

/// C[:, columnBegin:columnEnd] = (or +=, with `accumulate`) op(A) op(B),
/// with op(A)[i, l] = a[i * aRowStride + l * aColStride] of size [m, k],
/// op(B) packed by packB, and C row-major with leading dimension ldc.
/// columnBegin must be a multiple of the panel width.
void gemmPacked(const float *a, int64_t m, int64_t k, int64_t aRowStride,
                int64_t aColStride, const float *packed, int64_t n, float *c,
                int64_t ldc, bool accumulate, int64_t columnBegin,
                int64_t columnEnd);

} // namespace seqc::rt

#endif // SEQC_RUNTIME_PACKEDGEMM_H
