//===- Kernels.h - Runtime kernels that compiled code calls -----*- C++ -*-===//
//
// Compiled models call back into the runtime for their f32 GEMMs (see
// seqc-gemm-to-call): a tuned, packed and cache-blocked kernel (oneDNN's
// sgemm, which picks its AVX2 or AVX-512 code for the host), split over the
// threads of the global pool. This header names those entry points for the
// JIT's symbol table and lets tests call them directly.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_RUNTIME_KERNELS_H
#define SEQC_RUNTIME_KERNELS_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <utility>
#include <vector>

namespace seqc::rt {

/// A rank-2 f32 memref descriptor as the compiled code passes it.
struct MemRef2DF32 {
  float *allocated;
  float *aligned;
  int64_t offset;
  int64_t sizes[2];
  int64_t strides[2];
};

/// C = op(A) op(B) (or C += ...) for strided f32 matrices, `flags` as in
/// seqc/Pipeline/KernelABI.h, on the global thread pool. The result does not
/// depend on the number of threads: the pool splits C into column panels, each
/// computed whole by one call of the kernel.
void sgemm(const MemRef2DF32 &a, const MemRef2DF32 &b, const MemRef2DF32 &c,
           int64_t flags);

/// A rank-1 f32 memref descriptor (a packed operand's buffer).
struct MemRef1DF32 {
  float *allocated;
  float *aligned;
  int64_t offset;
  int64_t sizes[1];
  int64_t strides[1];
};

/// Floats that op(B) of [k, n] takes once packed (PackedGemm.h).
int64_t packedGemmSize(int64_t k, int64_t n);
/// Packs op(B) (`flags`: kTransposeB) into `packed`, on the pool.
void packGemmOperand(const MemRef2DF32 &b, const MemRef1DF32 &packed,
                     int64_t flags);
/// sgemm with op(B) packed by packGemmOperand; the same threading and the
/// same independence of the thread count.
void sgemmPacked(const MemRef2DF32 &a, const MemRef1DF32 &packed,
                 const MemRef2DF32 &c, int64_t flags);

/// A loop body outlined by seqc-outline-parallel-loops: runs iterations
/// [begin, end) with the values in `context`.
using ParallelBody = void (*)(void *context, int64_t begin, int64_t end);

/// Scalar operations (`count` x `work`) from which parallelFor uses the
/// pool; $SEQC_PARALLEL_MIN_WORK overrides it. Below about 8 M operations
/// (a few hundred microseconds of one core's vector work) waking the other
/// thread and moving the operands' cache lines to its core cost more than
/// the split saves: at 65,536 the encoder-decoder of the bench (case ATTN)
/// trained 1.6x slower on two threads than on one (Zen 5, 2 vCPUs), and
/// the character LSTMs and GRU gained nothing from splitting their
/// elementwise loops.
inline constexpr int64_t kParallelMinWork = int64_t(1) << 23;

/// Runs `body` over [0, count) in contiguous ranges, one per thread of the
/// global pool, or inline when the loop is small (`work`: the estimated
/// scalar operations of one iteration). The iterations must be
/// independent, so the result does not depend on the thread count.
void parallelFor(ParallelBody body, void *context, int64_t count, int64_t work);

/// The symbols compiled code calls, with their addresses.
std::vector<std::pair<llvm::StringRef, void *>> kernelSymbols();

} // namespace seqc::rt

#endif // SEQC_RUNTIME_KERNELS_H
