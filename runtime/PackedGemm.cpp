//===- PackedGemm.cpp - GEMM with a right operand packed once -------------===//
//
// Loop order, for the recurrent products' shapes (M <= a few hundred rows,
// K and N up to 4096): column panels outermost, then blocks of kKBlock rows
// of K, then row tiles. A panel's K block (kKBlock x panel width floats,
// 32 KB for AVX-512) stays in the L1 cache while every row tile of A
// streams past it; C's panel (M x panel width) stays there across K blocks.
// Between K blocks the partial sums go through C itself, which keeps each
// element's sum a single chain in ascending k.
//
//===----------------------------------------------------------------------===//
#include "seqc/Runtime/PackedGemm.h"

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <vector>

using namespace seqc::rt;

namespace {

constexpr int64_t kKBlock = 256;

/// Copies `rows` x `cols` values of a register tile out to C (adding to C
/// if asked); the tile's rows are `width` floats apart.
void storeTile(const float *tile, int64_t width, int64_t rows, int64_t cols,
               float *c, int64_t ldc) {
  for (int64_t i = 0; i < rows; ++i)
    std::memcpy(c + i * ldc, tile + i * width, sizeof(float) * cols);
}

//===----------------------------------------------------------------------===//
// The micro-kernels: C[0:MR, 0:cols] = start + A[0:MR, 0:kc] B_panel[0:kc]
// where start is C itself (`fromC`) or zero.
//===----------------------------------------------------------------------===//

template <int MR>
__attribute__((target("avx512f"))) void
tileAvx512(int64_t kc, const float *a, int64_t rs, int64_t cs,
           const float *panel, float *c, int64_t ldc, int64_t cols,
           bool fromC) {
  __m512 acc[MR][2];
  __mmask16 mask0 = cols >= 16 ? 0xFFFF : (1u << cols) - 1;
  __mmask16 mask1 = cols >= 32  ? 0xFFFF
                    : cols > 16 ? (1u << (cols - 16)) - 1
                                : 0;
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) {
    if (fromC) {
      acc[i][0] = _mm512_maskz_loadu_ps(mask0, c + i * ldc);
      acc[i][1] = _mm512_maskz_loadu_ps(mask1, c + i * ldc + 16);
    } else {
      acc[i][0] = _mm512_setzero_ps();
      acc[i][1] = _mm512_setzero_ps();
    }
  }
  const float *rowA[MR];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
    rowA[i] = a + i * rs;
  for (int64_t l = 0; l < kc; ++l) {
    __m512 b0 = _mm512_loadu_ps(panel + l * 32);
    __m512 b1 = _mm512_loadu_ps(panel + l * 32 + 16);
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      __m512 ai = _mm512_set1_ps(rowA[i][l * cs]);
      acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) {
    _mm512_mask_storeu_ps(c + i * ldc, mask0, acc[i][0]);
    _mm512_mask_storeu_ps(c + i * ldc + 16, mask1, acc[i][1]);
  }
}

template <int MR>
__attribute__((target("avx2,fma"))) void
tileAvx2(int64_t kc, const float *a, int64_t rs, int64_t cs, const float *panel,
         float *c, int64_t ldc, int64_t cols, bool fromC) {
  alignas(32) float tile[MR * 16];
  __m256 acc[MR][2];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) {
    if (fromC) {
      std::memset(tile + i * 16, 0, sizeof(float) * 16);
      std::memcpy(tile + i * 16, c + i * ldc, sizeof(float) * cols);
      acc[i][0] = _mm256_load_ps(tile + i * 16);
      acc[i][1] = _mm256_load_ps(tile + i * 16 + 8);
    } else {
      acc[i][0] = _mm256_setzero_ps();
      acc[i][1] = _mm256_setzero_ps();
    }
  }
  const float *rowA[MR];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
    rowA[i] = a + i * rs;
  for (int64_t l = 0; l < kc; ++l) {
    __m256 b0 = _mm256_loadu_ps(panel + l * 16);
    __m256 b1 = _mm256_loadu_ps(panel + l * 16 + 8);
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      __m256 ai = _mm256_broadcast_ss(rowA[i] + l * cs);
      acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
    }
  }
  if (cols == 16) {
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      _mm256_storeu_ps(c + i * ldc, acc[i][0]);
      _mm256_storeu_ps(c + i * ldc + 8, acc[i][1]);
    }
    return;
  }
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) {
    _mm256_store_ps(tile + i * 16, acc[i][0]);
    _mm256_store_ps(tile + i * 16 + 8, acc[i][1]);
  }
  storeTile(tile, 16, MR, cols, c, ldc);
}

/// Portable: the same arithmetic (one fused multiply-add chain per
/// element, k ascending) in plain C++.
template <int MR>
void tilePortable(int64_t kc, const float *a, int64_t rs, int64_t cs,
                  const float *panel, float *c, int64_t ldc, int64_t cols,
                  bool fromC) {
  constexpr int NR = 16;
  float acc[MR][NR];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j)
      acc[i][j] = fromC && j < cols ? c[i * ldc + j] : 0.0f;
  for (int64_t l = 0; l < kc; ++l)
    for (int i = 0; i < MR; ++i) {
      float ai = a[i * rs + l * cs];
      for (int j = 0; j < NR; ++j)
        acc[i][j] = __builtin_fmaf(ai, panel[l * NR + j], acc[i][j]);
    }
  storeTile(&acc[0][0], NR, MR, cols, c, ldc);
}

using TileFn = void (*)(int64_t, const float *, int64_t, int64_t, const float *,
                        float *, int64_t, int64_t, bool);

struct Kernel {
  PackedGemmKernel info;
  int rowsPerTile;
  /// tiles[r - 1] computes r rows.
  TileFn tiles[8];
};

const Kernel kAvx512 = {{"avx512", 32},
                        8,
                        {tileAvx512<1>, tileAvx512<2>, tileAvx512<3>,
                         tileAvx512<4>, tileAvx512<5>, tileAvx512<6>,
                         tileAvx512<7>, tileAvx512<8>}};
const Kernel kAvx2 = {{"avx2", 16},
                      6,
                      {tileAvx2<1>, tileAvx2<2>, tileAvx2<3>, tileAvx2<4>,
                       tileAvx2<5>, tileAvx2<6>, nullptr, nullptr}};
const Kernel kPortable = {{"portable", 16},
                          4,
                          {tilePortable<1>, tilePortable<2>, tilePortable<3>,
                           tilePortable<4>, nullptr, nullptr, nullptr,
                           nullptr}};

bool hostRuns(const Kernel &kernel) {
  __builtin_cpu_init();
  if (&kernel == &kAvx512)
    return __builtin_cpu_supports("avx512f");
  if (&kernel == &kAvx2)
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return true;
}

/// The best kernel the host runs, chosen at first use.
std::atomic<const Kernel *> current{nullptr};

const Kernel &hostKernel() {
  const Kernel *kernel = current.load(std::memory_order_acquire);
  if (kernel)
    return *kernel;
  for (const Kernel *candidate : {&kAvx512, &kAvx2, &kPortable})
    if (hostRuns(*candidate)) {
      kernel = candidate;
      break;
    }
  current.store(kernel, std::memory_order_release);
  return *kernel;
}

} // namespace

bool seqc::rt::selectPackedGemmKernel(const char *name) {
  for (const Kernel *kernel : {&kAvx512, &kAvx2, &kPortable})
    if (std::strcmp(kernel->info.name, name) == 0 && hostRuns(*kernel)) {
      current.store(kernel, std::memory_order_release);
      return true;
    }
  return false;
}

const PackedGemmKernel &seqc::rt::packedGemmKernel() {
  return hostKernel().info;
}

int64_t seqc::rt::packedSize(int64_t k, int64_t n) {
  int64_t width = hostKernel().info.panelWidth;
  return (n + width - 1) / width * width * k;
}

void seqc::rt::packB(const float *b, int64_t k, int64_t n, int64_t rowStride,
                     int64_t colStride, float *packed, int64_t columnBegin,
                     int64_t columnEnd) {
  int64_t width = hostKernel().info.panelWidth;
  columnEnd = std::min(columnEnd, n);
  for (int64_t j0 = columnBegin; j0 < columnEnd; j0 += width) {
    float *panel = packed + j0 * k;
    int64_t cols = std::min(width, n - j0);
    for (int64_t l = 0; l < k; ++l) {
      float *row = panel + l * width;
      const float *source = b + l * rowStride + j0 * colStride;
      if (colStride == 1) {
        std::memcpy(row, source, sizeof(float) * cols);
      } else {
        for (int64_t j = 0; j < cols; ++j)
          row[j] = source[j * colStride];
      }
      std::fill(row + cols, row + width, 0.0f);
    }
  }
}

void seqc::rt::gemmPacked(const float *a, int64_t m, int64_t k,
                          int64_t aRowStride, int64_t aColStride,
                          const float *packed, int64_t n, float *c, int64_t ldc,
                          bool accumulate, int64_t columnBegin,
                          int64_t columnEnd) {
  const Kernel &kernel = hostKernel();
  int64_t width = kernel.info.panelWidth, tileRows = kernel.rowsPerTile;
  columnEnd = std::min(columnEnd, n);
  if (k == 0) {
    if (!accumulate)
      for (int64_t i = 0; i < m; ++i)
        std::fill(c + i * ldc + columnBegin, c + i * ldc + columnEnd, 0.0f);
    return;
  }
  // A, packed per call in row tiles (for each k, the tile's rows side by
  // side), so that the kernel's broadcasts read consecutive floats.
  int64_t tiles = (m + tileRows - 1) / tileRows;
  thread_local std::vector<float> packedA;
  packedA.resize(static_cast<size_t>(tiles * tileRows * k));
  for (int64_t t = 0; t < tiles; ++t) {
    float *tile = packedA.data() + t * tileRows * k;
    int64_t rows = std::min(tileRows, m - t * tileRows);
    for (int64_t l = 0; l < k; ++l)
      for (int64_t i = 0; i < rows; ++i)
        tile[l * rows + i] =
            a[(t * tileRows + i) * aRowStride + l * aColStride];
  }
  for (int64_t j0 = columnBegin; j0 < columnEnd; j0 += width) {
    const float *panel = packed + j0 * k;
    int64_t cols = std::min(width, columnEnd - j0);
    for (int64_t l0 = 0; l0 < k; l0 += kKBlock) {
      int64_t kc = std::min(kKBlock, k - l0);
      bool fromC = accumulate || l0 > 0;
      for (int64_t t = 0; t < tiles; ++t) {
        int64_t rows = std::min(tileRows, m - t * tileRows);
        kernel.tiles[rows - 1](
            kc, packedA.data() + t * tileRows * k + l0 * rows, 1, rows,
            panel + l0 * width, c + t * tileRows * ldc + j0, ldc, cols, fromC);
      }
    }
  }
}
