//===- Kernels.cpp - Runtime kernels that compiled code calls -------------===//
#include "seqc/Runtime/Kernels.h"
#include "seqc/Pipeline/KernelABI.h"
#include "seqc/Runtime/BufferPool.h"
#include "seqc/Runtime/PackedGemm.h"
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

/// Calls `body(begin, end)` on disjoint column ranges that cover [0, n), one
/// per thread of the global pool (each a multiple of kColumnQuantum wide but
/// the last), or once when `flops` is too small to share.
template <typename Body>
void forEachColumnPanel(int64_t n, double flops, const Body &body) {
  ThreadPool &pool = globalThreadPool();
  int64_t quanta = (n + kColumnQuantum - 1) / kColumnQuantum;
  int64_t panels = 1;
  if (pool.size() > 1 && flops >= kParallelFlops)
    panels = std::min<int64_t>(pool.size(), quanta);
  pool.parallelFor(panels, [&](int64_t panel) {
    int64_t begin = std::min(n, quanta * panel / panels * kColumnQuantum);
    int64_t end = std::min(n, quanta * (panel + 1) / panels * kColumnQuantum);
    if (begin < end)
      body(begin, end);
  });
}

/// C's storage for a row-major kernel: C itself when its column stride is
/// 1, else a contiguous copy that finish() writes back.
class RowMajorOutput {
public:
  RowMajorOutput(const MemRef2DF32 &c, bool accumulate) : c(c) {
    m = c.sizes[0];
    n = c.sizes[1];
    base = c.aligned + c.offset;
    bool direct =
        (c.strides[1] == 1 || n == 1) && (c.strides[0] >= n || m == 1);
    data = base;
    ld = m == 1 ? std::max<int64_t>(n, 1) : c.strides[0];
    if (direct)
      return;
    copy.resize(static_cast<size_t>(m * n));
    if (accumulate)
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j)
          copy[i * n + j] = base[i * c.strides[0] + j * c.strides[1]];
    data = copy.data();
    ld = n;
  }
  void finish() {
    if (copy.empty())
      return;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        base[i * c.strides[0] + j * c.strides[1]] = copy[i * n + j];
  }

  float *data;
  int64_t ld;

private:
  const MemRef2DF32 &c;
  int64_t m, n;
  float *base;
  std::vector<float> copy;
};

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

  RowMajorOutput output(c, beta != 0.0f);
  // Column panels of C, one kernel call each: the kernel's result for a
  // column does not depend on the panel it is in, so the thread count does
  // not change the result.
  double flops = 2.0 * double(m) * double(n) * double(k);
  forEachColumnPanel(n, flops, [&](int64_t begin, int64_t end) {
    // The pool does the threading: the kernel runs on one thread wherever
    // it is called (OpenMP's setting is per thread).
    static thread_local bool singleThreaded = (omp_set_num_threads(1), true);
    (void)singleThreaded;
    const float *bPanel =
        rhs.trans == 'N' ? rhs.data + begin : rhs.data + begin * rhs.leading;
    dnnl_sgemm(lhs.trans, rhs.trans, m, end - begin, k, 1.0f, lhs.data,
               lhs.leading, bPanel, rhs.leading, beta, output.data + begin,
               output.ld);
  });
  output.finish();
}

/// op(B)'s sizes [k, n] and strides for packB.
struct PackedOperand {
  int64_t k, n, rowStride, colStride;
};

static PackedOperand packedOperand(const MemRef2DF32 &b, int64_t flags) {
  if (flags & kernel_abi::kTransposeB)
    return {b.sizes[1], b.sizes[0], b.strides[1], b.strides[0]};
  return {b.sizes[0], b.sizes[1], b.strides[0], b.strides[1]};
}

int64_t seqc::rt::packedGemmSize(int64_t k, int64_t n) {
  return packedSize(k, n);
}

void seqc::rt::packGemmOperand(const MemRef2DF32 &b, const MemRef1DF32 &packed,
                               int64_t flags) {
  PackedOperand op = packedOperand(b, flags);
  if (packed.sizes[0] < packedSize(op.k, op.n))
    llvm::report_fatal_error("seqc_pack_gemm_operand: buffer too small");
  const float *base = b.aligned + b.offset;
  float *out = packed.aligned + packed.offset;
  forEachColumnPanel(
      op.n, double(op.k) * double(op.n) * 64, [&](int64_t begin, int64_t end) {
        packB(base, op.k, op.n, op.rowStride, op.colStride, out, begin, end);
      });
}

void seqc::rt::sgemmPacked(const MemRef2DF32 &a, const MemRef1DF32 &packed,
                           const MemRef2DF32 &c, int64_t flags) {
  bool transA = flags & kernel_abi::kTransposeA;
  bool accumulate = flags & kernel_abi::kAccumulate;
  int64_t m = c.sizes[0], n = c.sizes[1];
  int64_t k = transA ? a.sizes[0] : a.sizes[1];
  if (m == 0 || n == 0)
    return;
  if (packed.sizes[0] < packedSize(k, n))
    llvm::report_fatal_error("seqc_sgemm_packed: operand packed for another "
                             "shape");
  int64_t rowStride = transA ? a.strides[1] : a.strides[0];
  int64_t colStride = transA ? a.strides[0] : a.strides[1];
  const float *aBase = a.aligned + a.offset;
  const float *packedBase = packed.aligned + packed.offset;
  RowMajorOutput output(c, accumulate);
  double flops = 2.0 * double(m) * double(n) * double(k);
  forEachColumnPanel(n, flops, [&](int64_t begin, int64_t end) {
    gemmPacked(aBase, m, k, rowStride, colStride, packedBase, n, output.data,
               output.ld, accumulate, begin, end);
  });
  output.finish();
}

extern "C" void _mlir_ciface_seqc_sgemm(MemRef2DF32 *a, MemRef2DF32 *b,
                                        MemRef2DF32 *c, int64_t flags) {
  seqc::rt::sgemm(*a, *b, *c, flags);
}

extern "C" int64_t seqc_packed_gemm_size(int64_t k, int64_t n) {
  return seqc::rt::packedGemmSize(k, n);
}

extern "C" void _mlir_ciface_seqc_pack_gemm_operand(MemRef2DF32 *b,
                                                    MemRef1DF32 *packed,
                                                    int64_t flags) {
  seqc::rt::packGemmOperand(*b, *packed, flags);
}

extern "C" void _mlir_ciface_seqc_sgemm_packed(MemRef2DF32 *a,
                                               MemRef1DF32 *packed,
                                               MemRef2DF32 *c, int64_t flags) {
  seqc::rt::sgemmPacked(*a, *packed, *c, flags);
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
      {"seqc_packed_gemm_size",
       reinterpret_cast<void *>(&seqc_packed_gemm_size)},
      {"_mlir_ciface_seqc_pack_gemm_operand",
       reinterpret_cast<void *>(&_mlir_ciface_seqc_pack_gemm_operand)},
      {"_mlir_ciface_seqc_sgemm_packed",
       reinterpret_cast<void *>(&_mlir_ciface_seqc_sgemm_packed)},
      {"seqc_parallel_for", reinterpret_cast<void *>(&seqc_parallel_for)},
      {"_mlir_memref_to_llvm_alloc",
       reinterpret_cast<void *>(&seqcMemrefAlloc)},
      {"_mlir_memref_to_llvm_aligned_alloc",
       reinterpret_cast<void *>(&seqcMemrefAlignedAlloc)},
      {"_mlir_memref_to_llvm_free", reinterpret_cast<void *>(&seqcMemrefFree)}};
}
