//===- InitTest.cpp - Parameter initializers ------------------------------===//
#include "seqc/Runtime/Init.h"

#include "TestUtil.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace seqc::rt;
using seqc::test::errorOf;

namespace {

struct Moments {
  double mean, stddev, min, max;
};

Moments momentsOf(const Tensor &tensor) {
  double sum = 0, sumSquares = 0;
  double min = INFINITY, max = -INFINITY;
  for (int64_t i = 0; i < tensor.numElements(); ++i) {
    double value = tensor.getDouble(i);
    sum += value;
    sumSquares += value * value;
    min = std::min(min, value);
    max = std::max(max, value);
  }
  double count = static_cast<double>(tensor.numElements());
  double mean = sum / count;
  return {mean, std::sqrt(sumSquares / count - mean * mean), min, max};
}

Tensor initialized(llvm::ArrayRef<int64_t> shape, InitSpec spec,
                   uint64_t seed = 0, DType dtype = DType::F32) {
  Tensor tensor(dtype, shape);
  Rng rng = Rng::forStream(seed, "p");
  initializeTensor(tensor, spec, rng);
  return tensor;
}

TEST(InitTest, ParsesKinds) {
  for (auto kind : {InitSpec::Kind::Zeros, InitSpec::Kind::Constant,
                    InitSpec::Kind::Uniform, InitSpec::Kind::Normal,
                    InitSpec::Kind::Xavier, InitSpec::Kind::He}) {
    auto parsed = InitSpec::parseKind(InitSpec::kindName(kind));
    ASSERT_TRUE(static_cast<bool>(parsed));
    EXPECT_EQ(*parsed, kind);
  }
  EXPECT_NE(errorOf(InitSpec::parseKind("glorot"))
                .find("unknown initializer "
                      "'glorot'"),
            std::string::npos);
  EXPECT_EQ((InitSpec{InitSpec::Kind::Uniform, -1, 1}).str(), "uniform(-1, 1)");
  EXPECT_EQ((InitSpec{InitSpec::Kind::Constant, 0.5, 0}).str(),
            "constant(0.5)");
}

TEST(InitTest, FansFollowLinearLayout) {
  Fans weight = computeFans({16, 4});
  EXPECT_EQ(weight.fanIn, 4);
  EXPECT_EQ(weight.fanOut, 16);
  Fans bias = computeFans({16});
  EXPECT_EQ(bias.fanIn, 16);
  EXPECT_EQ(bias.fanOut, 16);
  Fans scalar = computeFans({});
  EXPECT_EQ(scalar.fanIn, 1);
}

TEST(InitTest, ZerosAndConstantAreExact) {
  Tensor zeros = initialized({3, 5}, {InitSpec::Kind::Zeros, 9, 9});
  Tensor ones = initialized({3, 5}, {InitSpec::Kind::Constant, 1.25, 0});
  for (int64_t i = 0; i < 15; ++i) {
    EXPECT_EQ(zeros.getDouble(i), 0.0);
    EXPECT_EQ(ones.getDouble(i), 1.25);
  }
}

TEST(InitTest, UniformStatistics) {
  Moments m =
      momentsOf(initialized({400, 250}, {InitSpec::Kind::Uniform, -2.0, 4.0}));
  EXPECT_GE(m.min, -2.0);
  EXPECT_LT(m.max, 4.0);
  EXPECT_NEAR(m.mean, 1.0, 0.02);
  EXPECT_NEAR(m.stddev, 6.0 / std::sqrt(12.0), 0.01);
}

TEST(InitTest, NormalStatistics) {
  Moments m =
      momentsOf(initialized({400, 250}, {InitSpec::Kind::Normal, 0.5, 0.1}));
  EXPECT_NEAR(m.mean, 0.5, 0.002);
  EXPECT_NEAR(m.stddev, 0.1, 0.002);
}

TEST(InitTest, XavierIsGlorotUniform) {
  // [300, 200]: limit sqrt(6 / 500), std limit / sqrt(3).
  double limit = std::sqrt(6.0 / 500.0);
  Moments m = momentsOf(initialized({300, 200}, {InitSpec::Kind::Xavier}));
  EXPECT_GE(m.min, -limit);
  EXPECT_LE(m.max, limit);
  EXPECT_GT(m.max, 0.99 * limit);
  EXPECT_NEAR(m.mean, 0.0, 0.002);
  EXPECT_NEAR(m.stddev, limit / std::sqrt(3.0), 0.002);
}

TEST(InitTest, HeIsNormalOverFanIn) {
  Moments m = momentsOf(initialized({500, 128}, {InitSpec::Kind::He}));
  EXPECT_NEAR(m.mean, 0.0, 0.003);
  EXPECT_NEAR(m.stddev, std::sqrt(2.0 / 128.0), 0.002);
}

// Pinned values (from a Python transcription of Random.cpp): a seed must give
// the same parameters on every machine and in every later version.
TEST(InitTest, PinnedValues) {
  Tensor xavier(DType::F32, {16, 4});
  Rng xavierRng = Rng::forStream(42, "fc1.W");
  initializeTensor(xavier, {InitSpec::Kind::Xavier}, xavierRng);
  EXPECT_EQ(xavier.values<float>()[0], 0.249251097f);
  EXPECT_EQ(xavier.values<float>()[1], 0.432481706f);
  EXPECT_EQ(xavier.values<float>()[2], 0.372844785f);

  Tensor he(DType::F32, {16, 4});
  Rng heRng = Rng::forStream(42, "fc1.W");
  initializeTensor(he, {InitSpec::Kind::He}, heRng);
  EXPECT_EQ(he.values<float>()[0], 0.90011996f);
  EXPECT_EQ(he.values<float>()[1], -0.700018406f);
  EXPECT_EQ(he.values<float>()[2], -0.762543261f);
}

TEST(InitTest, SeededAndDeterministic) {
  InitSpec spec{InitSpec::Kind::Xavier};
  Tensor a = initialized({16, 4}, spec, 1);
  Tensor b = initialized({16, 4}, spec, 1);
  Tensor c = initialized({16, 4}, spec, 2);
  EXPECT_TRUE(a.identicalTo(b));
  EXPECT_FALSE(a.identicalTo(c));
}

TEST(InitTest, DoublePrecisionRoundsOnceFromTheSameDraws) {
  InitSpec spec{InitSpec::Kind::Normal, 0, 1};
  Tensor single = initialized({64}, spec, 3, DType::F32);
  Tensor dbl = initialized({64}, spec, 3, DType::F64);
  for (int64_t i = 0; i < 64; ++i)
    EXPECT_EQ(single.getDouble(i),
              static_cast<double>(static_cast<float>(dbl.getDouble(i))));
}

} // namespace
