//===- Metrics.cpp - Evaluation metrics -----------------------------------===//
#include "seqc/Runtime/Metrics.h"

#include "seqc/Runtime/Data.h"

#include "llvm/ADT/SmallVector.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

using namespace seqc;
using namespace seqc::rt;

/// The index of a row's largest output; ties go to the lower index.
static int64_t argmax(llvm::ArrayRef<double> row) {
  int64_t best = 0;
  for (int64_t j = 1; j < (int64_t)row.size(); ++j)
    if (row[j] > row[best])
      best = j;
  return best;
}

static llvm::Error metricError(const MetricSpec &spec,
                               const std::string &message) {
  if (spec.loc.file.empty())
    return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
  return makeLocatedError(spec.loc.file, spec.loc.line, spec.loc.col, message);
}

llvm::Expected<MetricAccumulator>
MetricAccumulator::create(const MetricSpec &spec, TargetKind targetKind,
                          int64_t outputWidth, int64_t targetWidth,
                          bool stepTargets,
                          llvm::ArrayRef<std::string> labelNames) {
  MetricAccumulator metric;
  metric.stepTargets = stepTargets;
  metric.targetKind = targetKind;
  metric.outputWidth = outputWidth;
  metric.targetWidth = targetWidth;
  metric.kind = spec.kind;
  metric.displayName = metricName(spec.kind);
  bool classes = targetKind == TargetKind::ClassIndex;
  bool binary =
      targetKind == TargetKind::MultiLabel || targetKind == TargetKind::Scalar;
  bool numeric = !classes && targetKind != TargetKind::None;

  switch (spec.kind) {
  case Kind::Accuracy:
    if (!classes && !binary)
      return metricError(spec, "accuracy needs class labels: `label`, "
                               "`labels` or a 0/1 `target`");
    break;
  case Kind::PrecisionAt:
    metric.k = spec.k;
    metric.displayName = fmt::format("precision@{}", spec.k);
    if (!classes && targetKind != TargetKind::MultiLabel)
      return metricError(spec, "precision_at needs class labels: `label` or "
                               "`labels`");
    if (spec.k < 1 || spec.k > outputWidth)
      return metricError(spec,
                         fmt::format("precision_at({}) needs 1 <= k <= {}, "
                                     "the number of outputs",
                                     spec.k, outputWidth));
    break;
  case Kind::Precision:
  case Kind::Recall:
  case Kind::F1:
    if (!classes)
      return metricError(spec, fmt::format("{} needs class labels: `label`, "
                                           "or tagged(...) data",
                                           metricName(spec.kind)));
    metric.perClass.assign(3 * outputWidth, 0.0);
    break;
  case Kind::SpanF1: {
    if (!classes || !stepTargets)
      return metricError(spec, "span_f1 needs a BIO label per token: "
                               "tagged(...) data");
    if ((int64_t)labelNames.size() != outputWidth)
      return metricError(spec,
                         fmt::format("span_f1 compares the model's {} outputs "
                                     "per token with {} labels; they do not "
                                     "fit",
                                     outputWidth, labelNames.size()));
    metric.tags.emplace(
        std::vector<std::string>(labelNames.begin(), labelNames.end()));
    if (!metric.tags->usesBio()) {
      std::string names;
      for (const std::string &name : labelNames)
        names += (names.empty() ? "" : ", ") + name;
      return metricError(spec, fmt::format("span_f1 counts spans of BIO "
                                           "labels (B-X, I-X and O), but the "
                                           "labels are {}",
                                           names));
    }
    break;
  }
  case Kind::MSE:
  case Kind::RMSE:
    if (!numeric)
      return metricError(spec, fmt::format("{} needs numeric targets: "
                                           "`target` or `labels`",
                                           metricName(spec.kind)));
    break;
  case Kind::Perplexity:
  case Kind::Loss:
    break;
  case Kind::NatsPerStep:
    if (!stepTargets)
      return metricError(spec, "nats_per_step needs a target at every step "
                               "(text or series data)");
    break;
  }

  if (!metric.fromLoss()) {
    int64_t expected = classes ? outputWidth : targetWidth;
    if (outputWidth != expected || (classes && outputWidth < 2))
      return metricError(
          spec,
          fmt::format("{} compares the model's {} outputs per instance "
                      "with {}; they do not fit",
                      metric.displayName, outputWidth,
                      classes ? "a class index"
                              : fmt::format("{} target values", targetWidth)));
  }
  return metric;
}

void MetricAccumulator::add(const Tensor &outputs, const double *targets,
                            llvm::ArrayRef<int64_t> lengths) {
  int64_t rows = outputs.rank() == 0 ? 1 : outputs.dim(0);
  if (kind == Kind::SpanF1) {
    addSpans(outputs, targets, rows, lengths);
    return;
  }
  llvm::SmallVector<double, 16> row(outputWidth);
  llvm::SmallVector<int64_t, 16> order(outputWidth);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < outputWidth; ++j)
      row[j] = outputs.getDouble(r * outputWidth + j);
    const double *target = targets + r * targetWidth;
    switch (kind) {
    case Kind::Accuracy:
      if (targetKind == TargetKind::ClassIndex) {
        sum += argmax(row) == static_cast<int64_t>(target[0]) ? 1.0 : 0.0;
        count += 1.0;
      } else {
        for (int64_t j = 0; j < outputWidth; ++j) {
          sum += (row[j] >= 0.5) == (target[j] >= 0.5) ? 1.0 : 0.0;
          count += 1.0;
        }
      }
      break;
    case Kind::PrecisionAt: {
      // The k largest outputs, ties to the lower index.
      for (int64_t j = 0; j < outputWidth; ++j)
        order[j] = j;
      std::partial_sort(order.begin(), order.begin() + k, order.end(),
                        [&](int64_t a, int64_t b) {
                          return row[a] > row[b] || (row[a] == row[b] && a < b);
                        });
      int64_t hits = 0;
      for (int64_t i = 0; i < k; ++i) {
        int64_t j = order[i];
        hits += targetKind == TargetKind::ClassIndex
                    ? j == static_cast<int64_t>(target[0])
                    : target[j] == 1.0;
      }
      sum += static_cast<double>(hits) / static_cast<double>(k);
      count += 1.0;
      break;
    }
    case Kind::Precision:
    case Kind::Recall:
    case Kind::F1: {
      // Per class: true positives, predicted, gold (perClass[3 c + i]).
      int64_t best = argmax(row);
      int64_t gold = static_cast<int64_t>(target[0]);
      if (gold < 0 || gold >= outputWidth)
        break;
      perClass[3 * best + 1] += 1.0;
      perClass[3 * gold + 2] += 1.0;
      if (best == gold)
        perClass[3 * gold] += 1.0;
      count += 1.0;
      break;
    }
    case Kind::MSE:
    case Kind::RMSE:
      for (int64_t j = 0; j < outputWidth; ++j) {
        double delta = row[j] - target[j];
        sum += delta * delta;
        count += 1.0;
      }
      break;
    case Kind::SpanF1:
    case Kind::Perplexity:
    case Kind::Loss:
    case Kind::NatsPerStep:
      break;
    }
  }
}

void MetricAccumulator::addSpans(const Tensor &outputs, const double *targets,
                                 int64_t rows,
                                 llvm::ArrayRef<int64_t> lengths) {
  // Each instance's predicted (argmax) and gold tags, one sequence each.
  std::vector<int64_t> predicted, gold;
  llvm::SmallVector<double, 16> values(outputWidth);
  int64_t row = 0;
  auto addSequence = [&](int64_t length) {
    predicted.clear();
    gold.clear();
    for (int64_t end = std::min(rows, row + length); row < end; ++row) {
      for (int64_t j = 0; j < outputWidth; ++j)
        values[j] = outputs.getDouble(row * outputWidth + j);
      predicted.push_back(argmax(values));
      gold.push_back(static_cast<int64_t>(targets[row * targetWidth]));
    }
    tags->add(predicted, gold);
    count += 1.0;
  };
  if (lengths.empty())
    addSequence(rows);
  for (int64_t length : lengths)
    addSequence(length);
}

void MetricAccumulator::addLoss(double meanLoss, int64_t rows, int64_t steps) {
  // The loss of a batch is its per-instance mean: rows times it is the sum
  // over instances (and, with per-step targets, over their real steps).
  sum += meanLoss * static_cast<double>(rows);
  bool perStep = stepTargets && kind != Kind::Loss;
  count += static_cast<double>(perStep ? steps : rows);
}

double MetricAccumulator::value() const {
  if (count == 0.0)
    return std::numeric_limits<double>::quiet_NaN();
  if (tags)
    return tags->spans().f1();
  if (!perClass.empty()) {
    // The mean over the classes that occur (gold or predicted), the
    // outside class left out, of each one's precision, recall or F1.
    double total = 0.0;
    int64_t classes = 0;
    for (int64_t c = 0; c < outputWidth; ++c) {
      double hits = perClass[3 * c], predicted = perClass[3 * c + 1],
             gold = perClass[3 * c + 2];
      if (c == outsideClass || (predicted == 0.0 && gold == 0.0))
        continue;
      double precision = predicted > 0.0 ? hits / predicted : 0.0;
      double recall = gold > 0.0 ? hits / gold : 0.0;
      double f1 = precision + recall > 0.0
                      ? 2.0 * precision * recall / (precision + recall)
                      : 0.0;
      total += kind == Kind::Precision ? precision
               : kind == Kind::Recall  ? recall
                                       : f1;
      ++classes;
    }
    return classes ? total / double(classes)
                   : std::numeric_limits<double>::quiet_NaN();
  }
  double mean = sum / count;
  switch (kind) {
  case Kind::RMSE:
    return std::sqrt(mean);
  case Kind::Perplexity:
    return std::exp(mean);
  default:
    return mean;
  }
}

void MetricAccumulator::reset() {
  sum = 0.0;
  count = 0.0;
  std::fill(perClass.begin(), perClass.end(), 0.0);
  if (tags)
    tags->reset();
}
