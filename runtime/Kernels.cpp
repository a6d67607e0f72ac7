//===- Kernels.cpp - Runtime kernels that compiled code calls -------------===//
#include "seqc/Runtime/Kernels.h"
#include "seqc/Pipeline/KernelABI.h"
#include "seqc/Runtime/BufferPool.h"
#include "seqc/Runtime/ThreadPool.h"
#include "seqc/Support/Environment.h"
#include "llvm/Support/ErrorHandling.h"

#include <dnnl.h>
#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

using namespace seqc;
using namespace seqc::rt;

namespace {

/// A logical [rows, cols] operand for a row-major BLAS call: its pointer, its
/// leading dimension and whether the call reads it transposed.
struct BlasOperand {
  const float *data;
  int64_t leading;
  char trans;
  /// A contiguous copy when neither stride is 1.
  std::vector<float> copy;
};

/// Describes the logical matrix M[i, j] = base[i * rowStride + j *
/// colStride] of size [rows, cols] for a row-major BLAS call.
BlasOperand blasOperand(const float *base, int64_t rows, int64_t cols,
                        int64_t rowStride, int64_t colStride) {
  BlasOperand operand;
  // Strides of unit axes are arbitrary: pick the ones BLAS accepts.
  if (cols == 1)
    colStride = 1;
  if (rows == 1)
    rowStride = std::max<int64_t>(cols, 1);
  if (colStride == 1 && rowStride >= std::max<int64_t>(cols, 1)) {
    operand.data = base;
    operand.leading = rowStride;
    operand.trans = 'N';
    return operand;
  }
  if (rowStride == 1 && colStride >= std::max<int64_t>(rows, 1)) {
    operand.data = base;
    operand.leading = colStride;
    operand.trans = 'T';
    return operand;
  }
  operand.copy.resize(static_cast<size_t>(rows * cols));
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      operand.copy[i * cols + j] = base[i * rowStride + j * colStride];
  operand.data = operand.copy.data();
  operand.leading = std::max<int64_t>(cols, 1);
  operand.trans = 'N';
  return operand;
}

/// Columns of C per thread are a multiple of this (one register tile of the
/// kernel's widest variant), and a problem smaller than kParallelFlops runs
/// on one thread.
constexpr int64_t kColumnQuantum = 64;
constexpr double kParallelFlops = 2.0e6;

} // namespace

void seqc::rt::sgemm(const MemRef2DF32 &a, const MemRef2DF32 &b,
                     const MemRef2DF32 &c, int64_t flags) {
  bool transA = flags & kernel_abi::kTransposeA,
       transB = flags & kernel_abi::kTransposeB;
  float beta = (flags & kernel_abi::kAccumulate) ? 1.0f : 0.0f;
  int64_t m = c.sizes[0], n = c.sizes[1];
  int64_t k = transA ? a.sizes[0] : a.sizes[1];
  if (m == 0 || n == 0)
    return;
  float *cBase = c.aligned + c.offset;
  if (k == 0) {
    if (beta == 0.0f)
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j)
          cBase[i * c.strides[0] + j * c.strides[1]] = 0.0f;
    return;
  }

  // op(A) is [m, k], op(B) is [k, n].
  const float *aBase = a.aligned + a.offset;
  const float *bBase = b.aligned + b.offset;
  BlasOperand lhs = transA
                        ? blasOperand(aBase, m, k, a.strides[1], a.strides[0])
                        : blasOperand(aBase, m, k, a.strides[0], a.strides[1]);
  BlasOperand rhs = transB
                        ? blasOperand(bBase, k, n, b.strides[1], b.strides[0])
                        : blasOperand(bBase, k, n, b.strides[0], b.strides[1]);

  // C must be row-major with unit column stride; otherwise compute into a
  // contiguous buffer and copy back.
  bool cDirect = (c.strides[1] == 1 || n == 1) && (c.strides[0] >= n || m == 1);
  std::vector<float> cCopy;
  float *cData = cBase;
  int64_t ldc = m == 1 ? std::max<int64_t>(n, 1) : c.strides[0];
  if (!cDirect) {
    cCopy.resize(static_cast<size_t>(m * n));
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        cCopy[i * n + j] = cBase[i * c.strides[0] + j * c.strides[1]];
    cData = cCopy.data();
    ldc = n;
  }

  // Column panels of C, one kernel call each: the kernel's result for a
  // column does not depend on the panel it is in, so the thread count does
  // not change the result.
  ThreadPool &pool = globalThreadPool();
  double flops = 2.0 * double(m) * double(n) * double(k);
  int64_t panels = 1;
  if (pool.size() > 1 && flops >= kParallelFlops)
    panels = std::min<int64_t>(pool.size(),
                               (n + kColumnQuantum - 1) / kColumnQuantum);
  int64_t quanta = (n + kColumnQuantum - 1) / kColumnQuantum;
  pool.parallelFor(panels, [&](int64_t panel) {
    // The pool does the threading: the kernel runs on one thread wherever
    // it is called (OpenMP's setting is per thread).
    static thread_local bool singleThreaded = (omp_set_num_threads(1), true);
    (void)singleThreaded;
    int64_t begin = std::min(n, quanta * panel / panels * kColumnQuantum);
    int64_t end = std::min(n, quanta * (panel + 1) / panels * kColumnQuantum);
    if (begin >= end)
      return;
    const float *bPanel =
        rhs.trans == 'N' ? rhs.data + begin : rhs.data + begin * rhs.leading;
    dnnl_sgemm(lhs.trans, rhs.trans, m, end - begin, k, 1.0f, lhs.data,
               lhs.leading, bPanel, rhs.leading, beta, cData + begin, ldc);
  });

  if (!cDirect)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        cBase[i * c.strides[0] + j * c.strides[1]] = cCopy[i * n + j];
}

extern "C" void _mlir_ciface_seqc_sgemm(MemRef2DF32 *a, MemRef2DF32 *b,
                                        MemRef2DF32 *c, int64_t flags) {
  seqc::rt::sgemm(*a, *b, *c, flags);
}

/// Scalar operations below which a loop runs on the calling thread: waking
/// the other threads costs about as much as this much work.
static int64_t parallelMinWork() {
  static const int64_t minWork =
      environmentInteger("SEQC_PARALLEL_MIN_WORK").value_or(kParallelMinWork);
  return minWork;
}

void seqc::rt::parallelFor(ParallelBody body, void *context, int64_t count,
                           int64_t work) {
  if (count <= 0)
    return;
  ThreadPool &pool = globalThreadPool();
  int64_t pieces = 1;
  if (pool.size() > 1 && count > 1 && count * work >= parallelMinWork())
    pieces = std::min<int64_t>(pool.size(), count);
  if (pieces == 1) {
    body(context, 0, count);
    return;
  }
  // Contiguous ranges, one per thread: neighbouring tiles share cache lines.
  pool.parallelFor(pieces, [&](int64_t piece) {
    int64_t begin = count * piece / pieces;
    int64_t end = count * (piece + 1) / pieces;
    if (begin < end)
      body(context, begin, end);
  });
}

extern "C" void seqc_parallel_for(ParallelBody body, void *context,
                                  int64_t count, int64_t work) {
  seqc::rt::parallelFor(body, context, count, work);
}

// memref.alloc and memref.dealloc lower to these (finalize-memref-to-llvm
// with use-generic-functions): compiled code's temporaries come from the
// buffer pool and are reused from one call to the next.
extern "C" void *seqcMemrefAlloc(uint64_t bytes) { return poolAllocate(bytes); }

extern "C" void *seqcMemrefAlignedAlloc(uint64_t alignment, uint64_t bytes) {
  if (alignment > kBufferAlignment)
    llvm::report_fatal_error("seqc: a buffer aligned to more than 64 bytes");
  return poolAllocate(bytes);
}

extern "C" void seqcMemrefFree(void *buffer) { poolRelease(buffer); }

std::vector<std::pair<llvm::StringRef, void *>> seqc::rt::kernelSymbols() {
  return {
      {"_mlir_ciface_seqc_sgemm",
       reinterpret_cast<void *>(&_mlir_ciface_seqc_sgemm)},
      {"seqc_parallel_for", reinterpret_cast<void *>(&seqc_parallel_for)},
      {"_mlir_memref_to_llvm_alloc",
       reinterpret_cast<void *>(&seqcMemrefAlloc)},
      {"_mlir_memref_to_llvm_aligned_alloc",
       reinterpret_cast<void *>(&seqcMemrefAlignedAlloc)},
      {"_mlir_memref_to_llvm_free", reinterpret_cast<void *>(&seqcMemrefFree)}};
}
