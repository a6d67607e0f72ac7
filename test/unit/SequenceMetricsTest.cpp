//===- SequenceMetricsTest.cpp - Scores of decoded and tagged sequences ---===//
#include "seqc/Runtime/SequenceMetrics.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace seqc::rt;

namespace {

std::vector<int64_t> codes(llvm::StringRef text) {
  return std::vector<int64_t>(text.bytes_begin(), text.bytes_end());
}

TEST(SequenceMetricsTest, EditDistance) {
  EXPECT_EQ(editDistance(codes("kitten"), codes("sitting")), 3);
  EXPECT_EQ(editDistance(codes("flaw"), codes("lawn")), 2);
  EXPECT_EQ(editDistance(codes(""), codes("abc")), 3);
  EXPECT_EQ(editDistance(codes("abc"), codes("")), 3);
  EXPECT_EQ(editDistance(codes("abc"), codes("abc")), 0);
  EXPECT_EQ(editDistance(codes("ab"), codes("ba")), 2);
}

TEST(SequenceMetricsTest, DecodeScores) {
  DecodeScores scores;
  EXPECT_TRUE(std::isnan(scores.exactMatch()));
  scores.add(codes("2021-03-03"), codes("2021-03-03")); // exact
  scores.add(codes("2021-03-04"), codes("2021-03-03")); // one substitution
  scores.add(codes("2021-3-03"), codes("2021-03-03"));  // one deletion
  scores.add(codes(""), codes("x"));                    // one insertion
  EXPECT_EQ(scores.count(), 4);
  EXPECT_DOUBLE_EQ(scores.exactMatch(), 0.25);
  // Positions right: 10 + 9 + 5 ("2021-") + 0 over 31 reference tokens.
  EXPECT_DOUBLE_EQ(scores.tokenAccuracy(), 24.0 / 31.0);
  EXPECT_DOUBLE_EQ(scores.editRate(), 3.0 / 31.0);
}

TEST(SequenceMetricsTest, TokenLevelPrecisionRecall) {
  // Part-of-speech style labels: no BIO, no outside label.
  TagScores scores({"NOUN", "VERB", "DET"}, "");
  EXPECT_FALSE(scores.usesBio());
  scores.add({2, 0, 1, 0}, {2, 0, 1, 1}); // last VERB taken for a NOUN
  EXPECT_DOUBLE_EQ(scores.tokenAccuracy(), 0.75);
  EXPECT_EQ(scores.label(0).truePositives, 1);
  EXPECT_EQ(scores.label(0).falsePositives, 1);
  EXPECT_DOUBLE_EQ(scores.label(1).recall(), 0.5);
  EXPECT_DOUBLE_EQ(scores.label(1).precision(), 1.0);
  EXPECT_DOUBLE_EQ(scores.label(0).f1(), 2 * 0.5 * 1.0 / 1.5);
  EXPECT_DOUBLE_EQ(scores.micro().f1(), 0.75);
}

TEST(SequenceMetricsTest, SpansAsConllevalCountsThem) {
  // 0 O, 1 B-PER, 2 I-PER, 3 B-LOC, 4 I-LOC
  TagScores scores({"O", "B-PER", "I-PER", "B-LOC", "I-LOC"});
  ASSERT_TRUE(scores.usesBio());
  // Gold: [John Smith]PER visited [New York]LOC .
  std::vector<int64_t> gold = {1, 2, 0, 3, 4, 0};
  // Predicted: PER right; LOC cut short ([New]LOC and a stray I-LOC that
  // starts a span of its own).
  std::vector<int64_t> predicted = {1, 2, 0, 3, 0, 4};
  scores.add(predicted, gold);
  EXPECT_EQ(scores.spans().truePositives, 1);
  EXPECT_EQ(scores.spans().falsePositives, 2);
  EXPECT_EQ(scores.spans().falseNegatives, 1);
  EXPECT_DOUBLE_EQ(scores.spans().precision(), 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(scores.spans().recall(), 0.5);
  EXPECT_DOUBLE_EQ(scores.spans().f1(), 0.4);
  // An I- after a different type starts a new span: I-PER I-LOC is two.
  TagScores types({"O", "B-PER", "I-PER", "B-LOC", "I-LOC"});
  types.add({2, 4}, {2, 4});
  EXPECT_EQ(types.spans().truePositives, 2);
  // The micro average over tokens leaves O out: of the 4 tagged gold
  // tokens 3 are found; of 4 predicted tags 3 are right.
  EXPECT_DOUBLE_EQ(scores.micro().recall(), 0.75);
  EXPECT_DOUBLE_EQ(scores.micro().precision(), 0.75);
}

} // namespace
