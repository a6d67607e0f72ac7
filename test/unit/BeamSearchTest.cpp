//===- BeamSearchTest.cpp - Greedy and beam-search decoding ---------------===//
//
// The search against toy models whose state is the prefix each row has
// read: the rows' parents must rebuild exactly the prefixes the search
// reports, and an exhaustive beam must find the best sequence that brute
// force finds.
//
//===----------------------------------------------------------------------===//
#include "seqc/Runtime/BeamSearch.h"

#include "TestUtil.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

using namespace seqc::rt;
using seqc::test::errorOf;
using ::testing::HasSubstr;

namespace {

constexpr int64_t kStart = 0, kEnd = 1, kA = 2, kB = 3;

/// A model that remembers each row's instance and prefix, and gives
/// log-probabilities from `distribution(instance, prefix)`.
class PrefixModel {
public:
  using Distribution = std::function<std::vector<double>(
      int64_t instance, const std::vector<int64_t> &prefix)>;
  PrefixModel(int64_t vocabSize, Distribution distribution)
      : vocabSize(vocabSize), distribution(std::move(distribution)) {}

  llvm::Error operator()(const DecodeStep &step) {
    std::vector<Row> next;
    for (size_t r = 0; r < step.parents.size(); ++r) {
      Row row;
      if (rows.empty()) {
        row.instance = step.parents[r];
        EXPECT_EQ(step.tokens[r], kStart);
      } else {
        row = rows[step.parents[r]];
        row.prefix.push_back(step.tokens[r]);
      }
      std::vector<double> probs = distribution(row.instance, row.prefix);
      for (int64_t v = 0; v < vocabSize; ++v)
        (*step.logProbs)[r * vocabSize + v] = float(std::log(probs[v]));
      if (step.extras) {
        (*step.extras)[r * 2] = float(row.prefix.size());
        (*step.extras)[r * 2 + 1] = float(row.instance);
      }
      next.push_back(row);
    }
    rows = std::move(next);
    ++steps;
    return llvm::Error::success();
  }

  int64_t steps = 0;

private:
  struct Row {
    int64_t instance = 0;
    std::vector<int64_t> prefix;
  };
  int64_t vocabSize;
  Distribution distribution;
  std::vector<Row> rows;
};

/// From the start: a 0.6, b 0.4. After a: a 0.36, b 0.34, end 0.3. After b:
/// end 0.9, a 0.05, b 0.05. Greedy takes a and never ends; a beam of two
/// finds "b" (0.36).
std::vector<double> greedyTrap(int64_t, const std::vector<int64_t> &prefix) {
  if (prefix.empty())
    return {1e-9, 1e-9, 0.6, 0.4};
  if (prefix.back() == kA)
    return {1e-9, 0.3, 0.36, 0.34};
  return {1e-9, 0.9, 0.05, 0.05};
}

TEST(BeamSearchTest, GreedyRunsToTheMaximumLength) {
  PrefixModel model(4, greedyTrap);
  BeamSearchOptions options;
  options.maxLength = 5;
  options.endToken = kEnd;
  options.startToken = kStart;
  SEQC_ASSERT_OK_AND_ASSIGN(result,
                            beamSearch(1, 4, 0, options, std::ref(model)));
  ASSERT_EQ(result.size(), 1u);
  ASSERT_EQ(result[0].size(), 1u);
  const Hypothesis &best = result[0][0];
  EXPECT_EQ(best.tokens, (std::vector<int64_t>{kA, kA, kA, kA, kA}));
  EXPECT_FALSE(best.ended);
  EXPECT_NEAR(best.logProb, std::log(0.6) + 4 * std::log(0.36), 1e-5);
  EXPECT_EQ(model.steps, 5);
}

TEST(BeamSearchTest, ABeamOfTwoFindsTheShortHighProbabilityEnd) {
  PrefixModel model(4, greedyTrap);
  BeamSearchOptions options;
  options.beamWidth = 2;
  options.keep = 2;
  options.maxLength = 5;
  options.endToken = kEnd;
  options.lengthPenalty = 0.0;
  SEQC_ASSERT_OK_AND_ASSIGN(result,
                            beamSearch(1, 4, 0, options, std::ref(model)));
  ASSERT_EQ(result[0].size(), 2u);
  EXPECT_EQ(result[0][0].tokens, (std::vector<int64_t>{kB}));
  EXPECT_TRUE(result[0][0].ended);
  EXPECT_NEAR(result[0][0].logProb, std::log(0.4 * 0.9), 1e-5);
  // The runner-up is "a b" then the end (0.1836): "a" then the end (0.18)
  // ranked below the two continuations of "a" at its step.
  EXPECT_EQ(result[0][1].tokens, (std::vector<int64_t>{kA, kB}));
  EXPECT_NEAR(result[0][1].logProb, std::log(0.6 * 0.34 * 0.9), 1e-5);
}

/// A model without structure: the probabilities hash the prefix.
std::vector<double> hashed(int64_t instance,
                           const std::vector<int64_t> &prefix) {
  uint64_t h = 1469598103934665603ull + uint64_t(instance) * 7919;
  for (int64_t token : prefix)
    h = (h ^ uint64_t(token + 1)) * 1099511628211ull;
  std::vector<double> weights(4);
  double total = 0;
  for (int v = 0; v < 4; ++v) {
    h = (h ^ uint64_t(v + 11)) * 1099511628211ull;
    weights[v] = 0.05 + double(h % 1000) / 1000.0;
    total += weights[v];
  }
  weights[kStart] = 1e-12; // Never emitted.
  for (double &w : weights)
    w /= total;
  return weights;
}

/// The best normalized score over all sequences of at most `maxLength`
/// tokens, by enumeration.
double bruteForceBest(int64_t instance, int64_t maxLength, double penalty) {
  double best = -INFINITY;
  std::function<void(std::vector<int64_t> &, double)> visit =
      [&](std::vector<int64_t> &prefix, double logProb) {
        std::vector<double> probs = hashed(instance, prefix);
        for (int64_t v = 0; v < 4; ++v) {
          double next = logProb + double(float(std::log(probs[v])));
          int64_t length = int64_t(prefix.size()) + 1;
          if (v == kEnd || length == maxLength) {
            best = std::max(best, next / std::pow(double(length), penalty));
            continue;
          }
          prefix.push_back(v);
          visit(prefix, next);
          prefix.pop_back();
        }
      };
  std::vector<int64_t> prefix;
  visit(prefix, 0.0);
  return best;
}

TEST(BeamSearchTest, AnExhaustiveBeamFindsTheBestSequence) {
  for (double penalty : {0.0, 0.7, 1.0}) {
    PrefixModel model(4, hashed);
    BeamSearchOptions options;
    options.beamWidth = 64; // 4^3: every sequence of length 3 fits.
    options.maxLength = 4;
    options.endToken = kEnd;
    options.lengthPenalty = penalty;
    SEQC_ASSERT_OK_AND_ASSIGN(result,
                              beamSearch(3, 4, 0, options, std::ref(model)));
    for (int64_t instance = 0; instance < 3; ++instance)
      EXPECT_NEAR(result[instance][0].score,
                  bruteForceBest(instance, 4, penalty), 1e-6)
          << "penalty " << penalty << " instance " << instance;
  }
}

TEST(BeamSearchTest, ABatchDecodesAsEachInstanceAlone) {
  BeamSearchOptions options;
  options.beamWidth = 3;
  options.maxLength = 6;
  options.endToken = kEnd;
  PrefixModel batchModel(4, hashed);
  SEQC_ASSERT_OK_AND_ASSIGN(batch,
                            beamSearch(4, 4, 0, options, std::ref(batchModel)));
  for (int64_t instance = 0; instance < 4; ++instance) {
    PrefixModel alone(4, [instance](int64_t, const std::vector<int64_t> &p) {
      return hashed(instance, p);
    });
    SEQC_ASSERT_OK_AND_ASSIGN(single,
                              beamSearch(1, 4, 0, options, std::ref(alone)));
    EXPECT_EQ(batch[instance][0].tokens, single[0][0].tokens);
    EXPECT_DOUBLE_EQ(batch[instance][0].logProb, single[0][0].logProb);
  }
}

TEST(BeamSearchTest, ExtrasFollowTheWinningHypothesis) {
  PrefixModel model(4, greedyTrap);
  BeamSearchOptions options;
  options.beamWidth = 2;
  options.maxLength = 5;
  options.endToken = kEnd;
  SEQC_ASSERT_OK_AND_ASSIGN(result,
                            beamSearch(1, 4, 2, options, std::ref(model)));
  // "b" then the end: two tokens emitted, each with the extras of the row
  // that emitted it (its prefix length, its instance).
  EXPECT_EQ(result[0][0].extras, (std::vector<float>{0, 0, 1, 0}));
}

TEST(BeamSearchTest, BadOptionsAndNaNAreErrors) {
  PrefixModel model(4, greedyTrap);
  BeamSearchOptions options;
  options.beamWidth = 0;
  EXPECT_THAT(errorOf(beamSearch(1, 4, 0, options, std::ref(model))),
              HasSubstr("beam width must be at least 1"));
  options.beamWidth = 2;
  options.keep = 3;
  EXPECT_THAT(errorOf(beamSearch(1, 4, 0, options, std::ref(model))),
              HasSubstr("can keep 1 to 2 hypotheses"));
  options.keep = 1;
  options.endToken = 4;
  EXPECT_THAT(errorOf(beamSearch(1, 4, 0, options, std::ref(model))),
              HasSubstr("must be in the vocabulary"));
  options.endToken = kEnd;
  DecodeStepFn broken = [](const DecodeStep &step) {
    (*step.logProbs)[0] = NAN;
    return llvm::Error::success();
  };
  // The search leaves unwritten entries NaN, so a model that writes nothing
  // is caught too.
  EXPECT_THAT(errorOf(beamSearch(1, 4, 0, options, broken)),
              HasSubstr("not a number"));
}

} // namespace
