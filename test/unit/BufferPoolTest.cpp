//===- BufferPoolTest.cpp - The runtime's buffer pool ---------------------===//

#include "seqc/Runtime/BufferPool.h"
#include "seqc/Runtime/Tensor.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <set>
#include <vector>

using namespace seqc::rt;

namespace {

bool isAligned(const void *pointer) {
  return reinterpret_cast<uintptr_t>(pointer) % kBufferAlignment == 0;
}

TEST(BufferPoolTest, BuffersAreAlignedAndWritable) {
  for (size_t bytes : {size_t(0), size_t(1), size_t(63), size_t(64),
                       size_t(4097), size_t(1) << 20, (size_t(1) << 20) + 1}) {
    void *buffer = poolAllocate(bytes);
    ASSERT_NE(buffer, nullptr);
    EXPECT_TRUE(isAligned(buffer)) << bytes;
    std::memset(buffer, 0xab, bytes);
    poolRelease(buffer);
  }
  poolRelease(nullptr);
}

TEST(BufferPoolTest, AReleasedBufferIsReusedWithoutTheSystem) {
  void *first = poolAllocate(12345);
  poolRelease(first);
  PoolStats before = poolStats();
  // Same size class: 12345 and 12300 both round up to 13312 (eight classes
  // between 8 KiB and 16 KiB).
  void *second = poolAllocate(12300);
  PoolStats after = poolStats();
  EXPECT_EQ(second, first);
  EXPECT_EQ(after.allocations, before.allocations + 1);
  EXPECT_EQ(after.systemAllocations, before.systemAllocations);
  poolRelease(second);
}

TEST(BufferPoolTest, LiveBuffersAreDistinct) {
  std::set<void *> live;
  std::vector<void *> buffers;
  for (int i = 0; i < 64; ++i) {
    buffers.push_back(poolAllocate(256));
    EXPECT_TRUE(live.insert(buffers.back()).second);
  }
  for (void *buffer : buffers)
    poolRelease(buffer);
}

TEST(BufferPoolTest, ARepeatedStepAllocatesNothingFromTheSystem) {
  // The shapes of one training step, twice: the second pass is served from
  // the free lists.
  const std::vector<size_t> step = {64 * 512 * 4, 64 * 128 * 4,      128,
                                    64 * 128 * 4, 25 * 64 * 512 * 4, 7,
                                    4096};
  auto runStep = [&] {
    std::vector<void *> buffers;
    for (size_t bytes : step)
      buffers.push_back(poolAllocate(bytes));
    for (void *buffer : buffers)
      poolRelease(buffer);
  };
  runStep();
  PoolStats before = poolStats();
  runStep();
  PoolStats after = poolStats();
  EXPECT_EQ(after.allocations - before.allocations, step.size());
  EXPECT_EQ(after.systemAllocations, before.systemAllocations);
}

TEST(BufferPoolTest, SlackIsAtMostAnEighth) {
  // A request just above a power of two lands in the next of eight classes.
  PoolStats before = poolStats();
  void *buffer = poolAllocate((size_t(1) << 20) + 1);
  PoolStats during = poolStats();
  uint64_t capacity = during.bytesInUse - before.bytesInUse;
  EXPECT_EQ(capacity, (size_t(1) << 20) + (size_t(1) << 17));
  poolRelease(buffer);
  EXPECT_EQ(poolStats().bytesInUse, before.bytesInUse);
}

TEST(BufferPoolTest, TensorsUseThePool) {
  PoolStats before = poolStats();
  {
    Tensor tensor(DType::F32, {32, 32});
    EXPECT_TRUE(isAligned(tensor.data<float>()));
    EXPECT_GE(poolStats().bytesInUse, before.bytesInUse + 32 * 32 * 4);
  }
  EXPECT_EQ(poolStats().bytesInUse, before.bytesInUse);
}

TEST(BufferPoolDeathTest, AForeignOrTwiceReleasedBufferIsAFatalError) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  void *buffer = poolAllocate(100);
  poolRelease(buffer);
  EXPECT_DEATH(poolRelease(buffer), "released twice, or not allocated");
}

} // namespace
