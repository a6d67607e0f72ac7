//===- Metrics.h - Evaluation metrics ---------------------------*- C++ -*-===//
//
// The metrics a train block asks for, computed in C++ from the outputs of
// `forward` and the targets, accumulated batch by batch:
//
//   accuracy      label: the argmax of the outputs is the class.
//                 target / labels (0/1): each output thresholded at 0.5
//                 (outputs are probabilities) equals its target.
//   precision_at  k: the share of the k highest outputs that are relevant
//                 (the label's class, or the labels that are 1), averaged
//                 over instances: |top-k ∩ relevant| / k. Ties go to the
//                 lower index.
//   precision, recall, f1
//                 label: per class, from the argmax of the outputs over
//                 the evaluation set (precision: right / predicted, recall:
//                 right / gold, f1 their harmonic mean), then the mean
//                 over the classes that occur, leaving out the outside
//                 class "O" of tagging when the labels have one (macro
//                 average).
//   span_f1       tagged data with BIO labels (B-X, I-X, O): F1 over whole
//                 spans as CoNLL's conlleval counts them (a span is right
//                 when its type and both ends are), micro-averaged over the
//                 evaluation set (SequenceMetrics.h's TagScores).
//   mse, rmse     mean (root of the mean) squared difference between
//                 outputs and numeric targets, over every value.
//   perplexity    exp of the mean loss, and loss itself: from the `loss`
//                 entry point, not from the outputs (see Trainer).
//   nats_per_step the loss summed over instances over the number of real
//                 steps: the mean loss per step (nats per character for a
//                 character language model). Needs per-step targets (text,
//                 series); perplexity is then exp(nats_per_step).
//
// With per-step targets (many-to-many sequence data) every real step is an
// instance for accuracy, precision_at, mse and rmse: the Trainer passes the
// outputs and targets of the real steps only.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_RUNTIME_METRICS_H
#define SEQC_RUNTIME_METRICS_H

#include "seqc/Runtime/SequenceMetrics.h"
#include "seqc/Runtime/Tensor.h"
#include "seqc/Spec/TrainSpec.h"

#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace seqc::rt {

class MetricAccumulator {
public:
  /// Checks that `spec` applies to the targets (`targetWidth` values per
  /// instance; 1 for a class index) and to outputs of `outputWidth` values
  /// per instance; `stepTargets`: the data have a target at every step;
  /// `labelNames`: the name of each class (span_f1 reads the BIO scheme
  /// from them).
  static llvm::Expected<MetricAccumulator>
  create(const MetricSpec &spec, TargetKind targetKind, int64_t outputWidth,
         int64_t targetWidth, bool stepTargets = false,
         llvm::ArrayRef<std::string> labelNames = {});

  /// The name as reports and logs show it: "accuracy", "precision@3".
  const std::string &name() const { return displayName; }
  /// Whether the metric is computed from the loss rather than the outputs.
  bool fromLoss() const {
    return kind == Kind::Perplexity || kind == Kind::Loss ||
           kind == Kind::NatsPerStep;
  }

  /// Adds a batch: `outputs` [B, ...] (outputWidth values per row) and
  /// `targets`, B rows of targetWidth values (class indices as doubles).
  /// With per-step targets, `lengths` cuts the rows into the instances'
  /// sequences (span_f1 needs them; the others count every row alike).
  void add(const Tensor &outputs, const double *targets,
           llvm::ArrayRef<int64_t> lengths = {});
  /// Adds a batch's mean loss over `rows` instances that have `steps` real
  /// steps in all (for fromLoss metrics; steps count only with per-step
  /// targets).
  void addLoss(double meanLoss, int64_t rows, int64_t steps = 0);
  /// precision, recall, f1: the class to leave out of the average (the
  /// outside label "O" of tagging), or -1.
  void setOutsideClass(int64_t index) { outsideClass = index; }
  /// The value over everything added; NaN before anything was.
  double value() const;
  void reset();

private:
  using Kind = MetricKind;
  MetricAccumulator() = default;
  void addSpans(const Tensor &outputs, const double *targets, int64_t rows,
                llvm::ArrayRef<int64_t> lengths);

  Kind kind = Kind::Accuracy;
  std::string displayName;
  TargetKind targetKind = TargetKind::None;
  int64_t k = 1;
  int64_t outputWidth = 0;
  int64_t targetWidth = 0;
  bool stepTargets = false;
  double sum = 0.0;
  double count = 0.0;
  /// precision, recall, f1: per class, true positives, predictions and
  /// gold labels.
  std::vector<double> perClass;
  /// The class precision, recall and f1 leave out ("O" of BIO tags), or -1.
  int64_t outsideClass = -1;
  /// span_f1: the spans counted so far.
  std::optional<TagScores> tags;
};

} // namespace seqc::rt

#endif // SEQC_RUNTIME_METRICS_H
