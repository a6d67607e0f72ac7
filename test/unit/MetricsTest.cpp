//===- MetricsTest.cpp - Evaluation metrics -------------------------------===//
#include "seqc/Runtime/Metrics.h"

#include "TestUtil.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace seqc;
using namespace seqc::rt;
using seqc::test::errorOf;

namespace {

MetricSpec metric(const char *name, int64_t k = 1) {
  MetricSpec spec;
  spec.kind = *metricNamed(name);
  spec.k = k;
  return spec;
}

TEST(MetricsTest, AccuracyOfClassIndices) {
  SEQC_ASSERT_OK_AND_ASSIGN(
      accuracy, MetricAccumulator::create(metric("accuracy"),
                                          TargetKind::ClassIndex, 3, 1));
  EXPECT_TRUE(std::isnan(accuracy.value()));
  Tensor outputs =
      Tensor::fromValues<float>({4, 3}, {0.1f, 0.7f, 0.2f, 0.5f, 0.3f, 0.2f,
                                         0.2f, 0.2f, 0.6f, 0.4f, 0.4f, 0.2f});
  double labels[] = {1, 0, 1, 1};
  accuracy.add(outputs, labels);
  // Rows 0 and 1 are right, row 2 is wrong, row 3 ties 0 and 1: the first.
  EXPECT_DOUBLE_EQ(accuracy.value(), 0.5);
  // Batches accumulate.
  double more[] = {1};
  accuracy.add(Tensor::fromValues<float>({1, 3}, {0, 1, 0}), more);
  EXPECT_DOUBLE_EQ(accuracy.value(), 0.6);
  accuracy.reset();
  EXPECT_TRUE(std::isnan(accuracy.value()));
}

TEST(MetricsTest, PrecisionRecallAndF1AreMacroAveragedOverClasses) {
  // Classes 0 (the outside label O), 1 and 2; predictions (argmax) and
  // gold labels of six tokens:
  //   predicted 1 1 2 0 2 0
  //   gold      1 2 2 0 0 1
  // class 1: 1 right of 2 predicted, of 2 gold; class 2: 1 of 2, of 2;
  // class 0: 1 of 2, of 2.
  Tensor outputs = Tensor::fromValues<float>(
      {6, 3}, {0, 1, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0});
  double gold[] = {1, 2, 2, 0, 0, 1};
  auto make = [&](const char *name, int64_t outside) {
    auto created =
        MetricAccumulator::create(metric(name), TargetKind::ClassIndex, 3, 1);
    EXPECT_TRUE(bool(created));
    created->setOutsideClass(outside);
    created->add(outputs, gold);
    return *created;
  };
  EXPECT_DOUBLE_EQ(make("precision", 0).value(), 0.5);
  EXPECT_DOUBLE_EQ(make("recall", 0).value(), 0.5);
  EXPECT_DOUBLE_EQ(make("f1", 0).value(), 0.5);

  // Without the outside class left out, class 0 counts as well; a class
  // that is predicted but never gold has recall 0 and f1 0.
  double other[] = {1, 1, 1, 1, 1, 1};
  auto f1 =
      MetricAccumulator::create(metric("f1"), TargetKind::ClassIndex, 3, 1);
  ASSERT_TRUE(bool(f1));
  f1->add(outputs, other);
  // class 1: precision 2/2, recall 2/6, f1 0.5; classes 0 and 2: 0.
  EXPECT_DOUBLE_EQ(f1->value(), 0.5 / 3);
  f1->reset();
  EXPECT_TRUE(std::isnan(f1->value()));
  EXPECT_EQ(errorOf(MetricAccumulator::create(metric("f1"), TargetKind::Vector,
                                              2, 2)),
            "f1 needs class labels: `label`, or tagged(...) data");
}

TEST(MetricsTest, SpanF1CountsWholeBioSpansPerSentence) {
  // Labels O, B-PER, I-PER, B-LOC; two sentences of 4 and 2 tokens:
  //   gold  B-PER I-PER O B-LOC | B-LOC O      spans PER[0,2) LOC[3,4) |
  //   LOC[0,1) pred  B-PER I-PER O O     | B-LOC B-PER  spans PER[0,2) |
  //   LOC[0,1) PER[1,2)
  // 2 spans right, 1 missed, 1 wrong: precision = recall = f1 = 2/3.
  std::vector<std::string> labels = {"O", "B-PER", "I-PER", "B-LOC"};
  SEQC_ASSERT_OK_AND_ASSIGN(
      spans,
      MetricAccumulator::create(metric("span_f1"), TargetKind::ClassIndex, 4, 1,
                                /*stepTargets=*/true, labels));
  EXPECT_TRUE(std::isnan(spans.value()));
  auto oneHot = [](std::vector<int> tags) {
    std::vector<float> values(tags.size() * 4, 0.0f);
    for (size_t i = 0; i < tags.size(); ++i)
      values[i * 4 + tags[i]] = 1.0f;
    return Tensor::fromValues<float>({int64_t(tags.size()), 4}, values);
  };
  double gold[] = {1, 2, 0, 3, 3, 0};
  spans.add(oneHot({1, 2, 0, 0, 3, 1}), gold, {4, 2});
  EXPECT_DOUBLE_EQ(spans.value(), 2.0 / 3.0);
  // The sentences' lengths matter: an I-PER that starts a sentence is a
  // span of its own, not the continuation of the last sentence's PER.
  spans.reset();
  double goldPair[] = {1, 2, 2};
  spans.add(oneHot({1, 2, 2}), goldPair, {2, 1});
  EXPECT_DOUBLE_EQ(spans.value(), 1.0);
  spans.reset();
  spans.add(oneHot({1, 2, 0}), goldPair, {2, 1});
  EXPECT_DOUBLE_EQ(spans.value(), 2.0 / 3.0); // PER[0,2) right, PER[0,1) missed

  EXPECT_EQ(errorOf(MetricAccumulator::create(metric("span_f1"),
                                              TargetKind::ClassIndex, 3, 1,
                                              true, {"NOUN", "VERB", "O"})),
            "span_f1 counts spans of BIO labels (B-X, I-X and O), but the "
            "labels are NOUN, VERB, O");
  EXPECT_EQ(errorOf(MetricAccumulator::create(metric("span_f1"),
                                              TargetKind::ClassIndex, 4, 1,
                                              /*stepTargets=*/false, labels)),
            "span_f1 needs a BIO label per token: tagged(...) data");
}

TEST(MetricsTest, AccuracyOfLabelsThresholdsAtOneHalf) {
  SEQC_ASSERT_OK_AND_ASSIGN(
      accuracy, MetricAccumulator::create(metric("accuracy"),
                                          TargetKind::MultiLabel, 2, 2));
  double targets[] = {1, 0, 0, 1};
  accuracy.add(Tensor::fromValues<double>({2, 2}, {0.9, 0.5, 0.1, 0.2}),
               targets);
  EXPECT_DOUBLE_EQ(accuracy.value(), 0.5);
}

TEST(MetricsTest, PrecisionAtK) {
  SEQC_ASSERT_OK_AND_ASSIGN(
      single, MetricAccumulator::create(metric("precision_at", 2),
                                        TargetKind::ClassIndex, 4, 1));
  EXPECT_EQ(single.name(), "precision@2");
  Tensor outputs = Tensor::fromValues<float>(
      {2, 4}, {0.1f, 0.4f, 0.3f, 0.2f, 0.5f, 0.1f, 0.2f, 0.2f});
  double labels[] = {2, 3};
  single.add(outputs, labels);
  // Row 0: top-2 {1, 2} holds the label: 1/2. Row 1: top-2 {0, 2} (the tie
  // of 2 and 3 goes to 2): 0.
  EXPECT_DOUBLE_EQ(single.value(), 0.25);

  SEQC_ASSERT_OK_AND_ASSIGN(
      multi, MetricAccumulator::create(metric("precision_at", 3),
                                       TargetKind::MultiLabel, 4, 4));
  double relevant[] = {1, 1, 0, 1, 0, 0, 0, 1};
  multi.add(outputs, relevant);
  // Row 0: top-3 {1, 2, 3}, relevant {0, 1, 3}: 2/3. Row 1: {0, 2, 3},
  // relevant {3}: 1/3.
  EXPECT_DOUBLE_EQ(multi.value(), 0.5);
}

TEST(MetricsTest, MeanSquaredErrorAndItsRoot) {
  SEQC_ASSERT_OK_AND_ASSIGN(
      mse, MetricAccumulator::create(metric("mse"), TargetKind::Vector, 2, 2));
  SEQC_ASSERT_OK_AND_ASSIGN(
      rmse,
      MetricAccumulator::create(metric("rmse"), TargetKind::Vector, 2, 2));
  Tensor outputs = Tensor::fromValues<double>({2, 2}, {1, 2, 3, 4});
  double targets[] = {1, 0, 0, 4};
  mse.add(outputs, targets);
  rmse.add(outputs, targets);
  EXPECT_DOUBLE_EQ(mse.value(), (0 + 4 + 9 + 0) / 4.0);
  EXPECT_DOUBLE_EQ(rmse.value(), std::sqrt(13.0 / 4.0));
}

TEST(MetricsTest, PerplexityAndLossComeFromTheLoss) {
  SEQC_ASSERT_OK_AND_ASSIGN(
      perplexity, MetricAccumulator::create(metric("perplexity"),
                                            TargetKind::ClassIndex, 5, 1));
  EXPECT_TRUE(perplexity.fromLoss());
  perplexity.addLoss(1.0, 3);
  perplexity.addLoss(2.0, 1);
  EXPECT_DOUBLE_EQ(perplexity.value(), std::exp(5.0 / 4.0));
}

TEST(MetricsTest, PerStepLossMetricsDivideByTheRealSteps) {
  auto create = [](const char *name) {
    return MetricAccumulator::create(metric(name), TargetKind::ClassIndex, 5, 1,
                                     /*stepTargets=*/true);
  };
  SEQC_ASSERT_OK_AND_ASSIGN(nats, create("nats_per_step"));
  SEQC_ASSERT_OK_AND_ASSIGN(perplexity, create("perplexity"));
  SEQC_ASSERT_OK_AND_ASSIGN(loss, create("loss"));
  EXPECT_TRUE(nats.fromLoss());
  // A batch of 2 instances with a mean loss of 3 over 4 real steps, and one
  // of 1 instance with a loss of 6 over 2 steps: 12 nats over 6 steps.
  for (MetricAccumulator *metric : {&nats, &perplexity, &loss}) {
    metric->addLoss(3.0, 2, 4);
    metric->addLoss(6.0, 1, 2);
  }
  EXPECT_DOUBLE_EQ(nats.value(), 2.0);
  EXPECT_DOUBLE_EQ(perplexity.value(), std::exp(2.0));
  EXPECT_DOUBLE_EQ(loss.value(), 4.0); // per instance
}

TEST(MetricsTest, MetricsThatDoNotApply) {
  EXPECT_EQ(errorOf(MetricAccumulator::create(metric("mse"),
                                              TargetKind::ClassIndex, 3, 1)),
            "mse needs numeric targets: `target` or `labels`");
  EXPECT_EQ(errorOf(MetricAccumulator::create(metric("accuracy"),
                                              TargetKind::Vector, 2, 2)),
            "accuracy needs class labels: `label`, `labels` or a 0/1 "
            "`target`");
  EXPECT_EQ(errorOf(MetricAccumulator::create(metric("precision_at", 5),
                                              TargetKind::ClassIndex, 3, 1)),
            "precision_at(5) needs 1 <= k <= 3, the number of outputs");
  EXPECT_EQ(errorOf(MetricAccumulator::create(metric("rmse"),
                                              TargetKind::Vector, 3, 2)),
            "rmse compares the model's 3 outputs per instance with 2 target "
            "values; they do not fit");
  EXPECT_FALSE(metricNamed("f2")); // the frontend reports unknown names
  EXPECT_EQ(errorOf(MetricAccumulator::create(metric("nats_per_step"),
                                              TargetKind::ClassIndex, 3, 1)),
            "nats_per_step needs a target at every step (text or series "
            "data)");
  MetricSpec located = metric("mse");
  located.loc = {"m.seq", 4, 7};
  EXPECT_EQ(
      errorOf(MetricAccumulator::create(located, TargetKind::ClassIndex, 3, 1)),
      "m.seq:4:7: error: mse needs numeric targets: `target` or "
      "`labels`");
}

} // namespace
