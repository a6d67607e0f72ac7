//===- KernelsTest.cpp - The runtime's GEMM and thread pool ---------------===//
#include "seqc/Runtime/Kernels.h"
#include "seqc/Pipeline/KernelABI.h"
#include "seqc/Runtime/PackedGemm.h"
#include "seqc/Runtime/ThreadPool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

using namespace seqc;
using namespace seqc::rt;

namespace {

/// A [rows, cols] view of `storage` with the given strides and offset.
MemRef2DF32 view(std::vector<float> &storage, int64_t offset, int64_t rows,
                 int64_t cols, int64_t rowStride, int64_t colStride) {
  return {storage.data(),
          storage.data(),
          offset,
          {rows, cols},
          {rowStride, colStride}};
}

float at(const MemRef2DF32 &m, int64_t i, int64_t j) {
  return m.aligned[m.offset + i * m.strides[0] + j * m.strides[1]];
}

std::vector<float> randomValues(size_t count, unsigned seed) {
  std::mt19937 generator(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> values(count);
  for (float &value : values)
    value = uniform(generator);
  return values;
}

struct GemmCase {
  int64_t m, n, k;
  bool transA, transB, accumulate;
  /// Layout of C: row-major (1), column-major (0) or with a gap between rows.
  int cLayout;
};

class GemmTest : public ::testing::TestWithParam<GemmCase> {};

/// Every combination of transposes, overwrite or accumulate, odd sizes and
/// strided C agrees with a double-precision reference.
TEST_P(GemmTest, MatchesReference) {
  GemmCase c = GetParam();
  std::vector<float> aData = randomValues(c.m * c.k + 3, 1);
  std::vector<float> bData = randomValues(c.k * c.n + 5, 2);
  // A and B start at an offset, so that the descriptor's offset matters.
  MemRef2DF32 a = c.transA ? view(aData, 3, c.k, c.m, c.m, 1)
                           : view(aData, 3, c.m, c.k, c.k, 1);
  MemRef2DF32 b = c.transB ? view(bData, 5, c.n, c.k, c.k, 1)
                           : view(bData, 5, c.k, c.n, c.n, 1);
  int64_t rowGap = c.cLayout == 2 ? 7 : 0;
  std::vector<float> cData =
      randomValues((c.m + 1) * (c.n + rowGap) + c.m * c.n, 3);
  std::vector<float> cBefore = cData;
  MemRef2DF32 out = c.cLayout == 0 ? view(cData, 0, c.m, c.n, 1, c.m)
                                   : view(cData, 0, c.m, c.n, c.n + rowGap, 1);
  int64_t none = 0;
  int64_t flags = (c.transA ? int64_t(kernel_abi::kTransposeA) : none) |
                  (c.transB ? int64_t(kernel_abi::kTransposeB) : none) |
                  (c.accumulate ? int64_t(kernel_abi::kAccumulate) : none);
  MemRef2DF32 outBefore = out;
  outBefore.aligned = cBefore.data();
  auto expectReference = [&](const char *kernel) {
    for (int64_t i = 0; i < c.m; ++i)
      for (int64_t j = 0; j < c.n; ++j) {
        double expected = c.accumulate ? at(outBefore, i, j) : 0.0;
        for (int64_t p = 0; p < c.k; ++p)
          expected += double(c.transA ? at(a, p, i) : at(a, i, p)) *
                      double(c.transB ? at(b, j, p) : at(b, p, j));
        ASSERT_NEAR(at(out, i, j), expected, 1e-4 * (1 + std::sqrt(c.k)))
            << kernel << " at " << i << ", " << j;
      }
  };
  sgemm(a, b, out, flags);
  expectReference("sgemm");

  // The same product with B packed first, by each kernel the host runs.
  for (const char *kernel : {"avx512", "avx2", "portable"}) {
    if (!selectPackedGemmKernel(kernel))
      continue;
    int64_t k = c.k, n = c.n;
    std::vector<float> packedData(packedGemmSize(k, n) + 2, NAN);
    MemRef1DF32 packed = {
        packedData.data(), packedData.data(), 2, {packedGemmSize(k, n)}, {1}};
    packGemmOperand(b, packed, flags);
    cData = cBefore;
    sgemmPacked(a, packed, out, flags);
    expectReference(kernel);
  }
  selectPackedGemmKernel(packedGemmKernel().name);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, GemmTest,
    ::testing::Values(GemmCase{1, 1, 1, false, false, false, 1},
                      GemmCase{7, 5, 3, false, false, true, 1},
                      GemmCase{33, 70, 17, false, true, false, 1},
                      GemmCase{33, 70, 17, true, false, true, 1},
                      GemmCase{20, 130, 64, true, true, false, 1},
                      GemmCase{64, 200, 96, false, true, true, 2},
                      GemmCase{5, 9, 11, false, false, false, 0},
                      GemmCase{1, 300, 40, false, true, false, 1},
                      GemmCase{300, 1, 40, true, false, true, 1},
                      GemmCase{4, 6, 0, false, false, false, 1},
                      GemmCase{9, 33, 300, false, false, true, 1},
                      GemmCase{17, 65, 513, true, true, false, 2}));

/// Results are bit-identical with one thread and with several: the pool
/// splits C into column panels that one kernel call computes whole.
TEST(GemmThreadsTest, BitIdenticalAcrossThreadCounts) {
  for (auto [m, n, k] : {std::tuple<int64_t, int64_t, int64_t>{2048, 512, 256},
                         {64, 1024, 512},
                         {100, 333, 257}}) {
    std::vector<float> aData = randomValues(m * k, 4);
    std::vector<float> bData = randomValues(k * n, 5);
    std::vector<float> one(m * n), two(m * n);
    MemRef2DF32 a = view(aData, 0, m, k, k, 1);
    MemRef2DF32 b = view(bData, 0, n, k, k, 1);
    setThreadCount(1);
    sgemm(a, b, view(one, 0, m, n, n, 1), kernel_abi::kTransposeB);
    setThreadCount(2);
    sgemm(a, b, view(two, 0, m, n, n, 1), kernel_abi::kTransposeB);
    EXPECT_EQ(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)),
              0)
        << m << " x " << n << " x " << k;

    std::vector<float> packedData(packedGemmSize(k, n));
    MemRef1DF32 packed = {packedData.data(),
                          packedData.data(),
                          0,
                          {int64_t(packedData.size())},
                          {1}};
    setThreadCount(1);
    packGemmOperand(b, packed, kernel_abi::kTransposeB);
    sgemmPacked(a, packed, view(one, 0, m, n, n, 1), kernel_abi::kTransposeB);
    setThreadCount(2);
    packGemmOperand(b, packed, kernel_abi::kTransposeB);
    sgemmPacked(a, packed, view(two, 0, m, n, n, 1), kernel_abi::kTransposeB);
    EXPECT_EQ(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)),
              0)
        << "packed " << m << " x " << n << " x " << k;
  }
  setThreadCount(0);
}

TEST(ThreadPoolTest, RunsEveryTaskOnce) {
  ThreadPool pool(3);
  EXPECT_EQ(pool.size(), 3u);
  for (int round = 0; round < 200; ++round) {
    std::vector<std::atomic<int>> calls(round % 17 + 1);
    pool.parallelFor(calls.size(), [&](int64_t i) { calls[i].fetch_add(1); });
    for (const std::atomic<int> &count : calls)
      ASSERT_EQ(count.load(), 1);
  }
}

TEST(ThreadPoolTest, NestedCallsRunInline) {
  ThreadPool pool(2);
  std::atomic<int> inner{0};
  pool.parallelFor(4, [&](int64_t) {
    pool.parallelFor(3, [&](int64_t) { inner.fetch_add(1); });
  });
  EXPECT_EQ(inner.load(), 12);
}

/// What a ParallelBody sees: which iterations ran, and on how many calls.
struct ParallelRecord {
  std::vector<std::atomic<int>> visits;
  std::atomic<int> calls{0};
  explicit ParallelRecord(int64_t count) : visits(count) {}
};

void recordRange(void *context, int64_t begin, int64_t end) {
  auto *record = static_cast<ParallelRecord *>(context);
  record->calls.fetch_add(1);
  for (int64_t i = begin; i < end; ++i)
    record->visits[i].fetch_add(1);
}

/// The outlined loops' parallel-for covers every iteration once, in one
/// range per thread when the loop is large, in one inline call when it is
/// small or there is one thread.
TEST(ParallelForTest, CoversEveryIterationOnce) {
  struct Case {
    unsigned threads;
    int64_t count, work;
    int expectedCalls;
  };
  const int64_t threshold = kParallelMinWork;
  for (Case c :
       {Case{2, 1000, threshold / 1000 + 1, 2},
        Case{2, 1000, threshold / 1000 - 1, 1}, Case{2, 7, threshold, 2},
        Case{2, 1000, 1, 1}, Case{1, 1000, threshold, 1},
        Case{2, 1, threshold, 1}, Case{2, 0, 1000, 0}}) {
    setThreadCount(c.threads);
    ParallelRecord record(c.count);
    parallelFor(&recordRange, &record, c.count, c.work);
    EXPECT_EQ(record.calls.load(), c.expectedCalls)
        << c.threads << " threads, " << c.count << " x " << c.work;
    for (const std::atomic<int> &visits : record.visits)
      ASSERT_EQ(visits.load(), 1);
  }
  setThreadCount(0);
}

} // namespace
