//===- TrainSpec.h - The settings of a `train` block ------------*- C++ -*-===//
//
// What the trainer needs from a `train` block, checked and typed by the
// frontend: where the data is and how to read it, the optimizer, the
// schedule. The loss expression itself is elaborated into the `loss` entry
// point of the typed IR. Command-line flags override these fields. Plain
// data of the spec layer: the frontend fills it in, the runtime reads it,
// and neither depends on the other through it.
//
// The driver calls analyzeTrain (Frontend.h) first, reads the data to learn
// its sizes, and passes them to elaborate as FrontendOptions::dataDims:
//   "features" the number of feature columns;
//   "classes"  label = "col": the number of distinct labels;
//              labels = [...]: the number of label columns;
//   "targets"  target = "col": 1; target = [...]: the number of columns;
//              labels = [...]: the number of label columns;
//   "vocab"    text, sequences, tagged: the size of the vocabulary;
//   "source_vocab", "target_vocab"
//              pairs: the sizes of the source and the target vocabulary.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_SPEC_TRAINSPEC_H
#define SEQC_SPEC_TRAINSPEC_H

#include "seqc/Spec/SourceLoc.h"
#include "seqc/Spec/TrainKinds.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace seqc {

/// How the target column(s) of a table are read.
enum class TargetKind {
  None,       // no target (unsupervised / forward only)
  ClassIndex, // `label = "col"`: distinct values -> 0..C-1; y is a class index
  Scalar,     // `target = "col"`: y is a float scalar per instance
  Vector,     // `target = ["a", "b"]`: y is a float vector [K]
  MultiLabel, // `labels = ["a", "b"]`: y is a 0/1 vector [K]
};

/// What a data source yields per instance.
///   csv/tsv    a row of features [F] and its target (above).
///   text       windows of `window` units of one text: x = units t..t+W-1,
///              y = units t+1..t+W (next-unit prediction); x and y are
///              seq<token>. `split` cuts the text by position: the first
///              part trains, the rest validates.
///   sequences  labeled sequences: x = the units of one text (seq<token>),
///              y = its class index. From a TSV file with a header row
///              `label<TAB>text` (text escaped as \\ \t \n \r), or from
///              `classes = ["a.txt", "b.txt"]`: one text per line, the
///              class named by the file's stem.
///   series     a numeric table read as one series, in row order: x[t] =
///              the feature columns at row t, y[t] = the target column at
///              row t + 1 (one step ahead); cut into windows of `window`
///              rows. `split` cuts by position.
///   pairs      one `source<TAB>target` line per instance (sequence to
///              sequence): x = the source units, y_in = <s> then the target
///              units (the decoder's input under teacher forcing), y = the
///              target units then </s>. Each side has its own unit and its
///              own vocabulary. `split` shuffles the lines (seeded).
///   tagged     token tagging: one token per line with its label in a
///              column, a blank line between sentences: x = the tokens of
///              a sentence, y = the label of each (a class index per step).
///              `split` shuffles the sentences (seeded).
/// Sequence batches are time-major and padded; the mask (1 for a real
/// step, 0 for padding, real steps first) is an input of its own.
struct DataSpec {
  DataSourceKind kind = DataSourceKind::Csv; // tsv is csv with a tab
                                             // separator
  SourceLoc loc;
  /// Either one file split by `split` (a seeded shuffle), or explicit files.
  /// Paths are as written in the source; empty `path` and `trainPath` mean
  /// the train block has no `data`.
  std::string path;
  std::string trainPath, validPath;
  double split = 0.9;
  char separator = ',';
  /// Feature columns in order; empty: every column that is not a target.
  std::vector<std::string> features;
  TargetKind targetKind = TargetKind::None;
  std::vector<std::string> targets; // one column for ClassIndex and Scalar
  bool standardize = false;         // with mean/std of the training split

  // Text units (text, sequences, pairs).
  std::string unit = "char"; // char | word (words: split at whitespace);
                             // pairs: the source side's unit
  std::string targetUnit;    // pairs: the target side's unit (empty: unit)
  int64_t window = 0;        // text, series: steps per window
  int64_t maxLength = 0;     // sequences: longer texts are cut to their
                             // first maxLength units (0: no limit)
  int64_t minCount = 1;      // a unit seen fewer times in the training
                             // split is <unk>
  std::vector<std::string> classFiles; // sequences: classes = [...]
  int64_t labelColumn = 0; // tagged: the 1-based column of the labels (0:
                           // the last column of each line)
};

/// The fixed ids of a vocabulary; the units of the training split follow,
/// ordered by decreasing count, then by their text. The vocabularies of
/// `pairs` also reserve the start and the end of a sequence, so that a
/// decoder can begin and stop; theirs start at kPairUnitsBegin.
constexpr int64_t kPadToken = 0;
constexpr int64_t kUnknownToken = 1;
constexpr int64_t kStartToken = 2; // pairs: <s>
constexpr int64_t kEndToken = 3;   // pairs: </s>
constexpr int64_t kPairUnitsBegin = 4;

struct OptimizerSpec {
  OptimizerKind kind = OptimizerKind::Adam;
  double lr = 1e-3;
  double momentum = 0.0;
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
  double clipNorm = 0.0; // 0: no clipping
  SourceLoc loc;
};

/// A metric reported per epoch: accuracy, precision_at (k), mse, rmse,
/// perplexity, nats_per_step, loss.
struct MetricSpec {
  MetricKind kind = MetricKind::Loss;
  int64_t k = 1; // precision_at
  SourceLoc loc;
};

struct TrainSpec {
  std::string modelName;
  SourceLoc loc;
  DataSpec data;
  OptimizerSpec optimizer;
  int64_t batch = 32;
  int64_t epochs = 1;
  uint64_t seed = 0;
  bool shuffle = true; // shuffle the training split every epoch
  std::vector<MetricSpec> metrics;
  /// Recurrences in training (0: off): `tbptt = k` cuts the gradient that
  /// flows back through the states every k steps (the states still carry
  /// on); `recompute = k` keeps only every k-th state for the backward pass
  /// and recomputes the others. They become seq.scan's `tbptt` and
  /// `checkpoint` attributes in the loss.
  int64_t tbptt = 0;
  int64_t recompute = 0;
  /// Scheduled sampling of an encoder-decoder (pairs data): the share of
  /// the decoder's input tokens that are the true previous tokens, the
  /// others being the model's own predictions; linear from the first
  /// epoch's value to the last one's (`teacher_forcing = [1.0, 0.5]`), or
  /// one value. 1: plain teacher forcing.
  double teacherForcingStart = 1.0;
  double teacherForcingEnd = 1.0;
  /// The loss expression as written (for reports), and where; empty if the
  /// train block has none. Elaborated as the `loss` entry point.
  std::string loss;
  SourceLoc lossLoc;
};

} // namespace seqc

#endif // SEQC_SPEC_TRAINSPEC_H
