//===- RandomTest.cpp - Deterministic random numbers ----------------------===//
#include "seqc/Runtime/Random.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

using namespace seqc::rt;

namespace {

// Pinned outputs: the generator must give these bits on every machine
// (values from the SplitMix64 reference implementation).
TEST(RandomTest, MatchesReferenceSplitMix64) {
  Rng rng(0);
  EXPECT_EQ(rng.next(), 0xE220A8397B1DCDAFULL);
  EXPECT_EQ(rng.next(), 0x6E789E6AA1B965F4ULL);
  EXPECT_EQ(rng.next(), 0x06C45D188009454FULL);
}

TEST(RandomTest, StreamsArePinned) {
  EXPECT_EQ(hashName("fc1.W"), 0xAA9B1DD2549F502AULL);
  Rng rng = Rng::forStream(42, "fc1.W");
  EXPECT_EQ(rng.next(), 0xBA3FAC86DFC4BD95ULL);
  EXPECT_DOUBLE_EQ(rng.uniform(), 0.8947999650219686);
}

TEST(RandomTest, SameSeedSameSequence) {
  Rng a = Rng::forStream(7, "w"), b = Rng::forStream(7, "w");
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(a.next(), b.next());
    ASSERT_EQ(a.normal(), b.normal());
  }
}

TEST(RandomTest, StreamsDifferBySeedAndName) {
  std::set<uint64_t> firsts;
  for (uint64_t seed : {0, 1, 2})
    for (const char *name : {"fc1.W", "fc1.b", "fc2.W", "fc2.b"})
      firsts.insert(Rng::forStream(seed, name).next());
  EXPECT_EQ(firsts.size(), 12u);
}

TEST(RandomTest, UniformMoments) {
  Rng rng(123);
  const int count = 200000;
  double sum = 0, sumSquares = 0;
  for (int i = 0; i < count; ++i) {
    double value = rng.uniform();
    ASSERT_GE(value, 0.0);
    ASSERT_LT(value, 1.0);
    sum += value;
    sumSquares += value * value;
  }
  double mean = sum / count;
  EXPECT_NEAR(mean, 0.5, 0.005);
  EXPECT_NEAR(sumSquares / count - mean * mean, 1.0 / 12.0, 0.002);

  for (int i = 0; i < 1000; ++i) {
    double value = rng.uniform(-3.0, -1.0);
    ASSERT_GE(value, -3.0);
    ASSERT_LT(value, -1.0);
  }
}

TEST(RandomTest, NormalMoments) {
  Rng rng(99);
  const int count = 200000;
  double sum = 0, sumSquares = 0;
  for (int i = 0; i < count; ++i) {
    double value = rng.normal(2.0, 3.0);
    ASSERT_TRUE(std::isfinite(value));
    sum += value;
    sumSquares += value * value;
  }
  double mean = sum / count;
  EXPECT_NEAR(mean, 2.0, 0.03);
  EXPECT_NEAR(std::sqrt(sumSquares / count - mean * mean), 3.0, 0.03);
}

TEST(RandomTest, BelowStaysInRangeAndCoversIt) {
  Rng rng(5);
  std::set<uint64_t> seen;
  for (int i = 0; i < 10000; ++i) {
    uint64_t value = rng.below(7);
    ASSERT_LT(value, 7u);
    seen.insert(value);
  }
  EXPECT_EQ(seen.size(), 7u);
  EXPECT_EQ(rng.below(1), 0u);
}

} // namespace
