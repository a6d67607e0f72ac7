//===- Data.h - Tables of training data -------------------------*- C++ -*-===//
//
// Reads the data a train block's `data = csv(...)` describes (DataSpec in
// seqc/Spec/TrainSpec.h): a CSV or TSV file whose first row names the
// columns, the feature columns by name (or all but the targets), and the
// targets: a `label` column (its distinct values become classes 0..C-1,
// ordered numerically when every value is a number, else lexicographically),
// `target` columns (numbers) or `labels` columns (0/1). One file is split by
// `split` after a shuffle seeded by the train block's seed; or `train` and
// `valid` name two files. With `standardize`, every feature is shifted and
// scaled by the mean and standard deviation of the training split.
//
// What a trained model needs to read new data the same way (the class
// names, the features, the statistics) is a DataSchema, which checkpoints
// keep in their metadata. Every problem in a file is reported as
// `file:line:col: error: message` (a LocatedError).
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_RUNTIME_DATA_H
#define SEQC_RUNTIME_DATA_H

#include "seqc/Runtime/SafeTensors.h"
#include "seqc/Runtime/Tensor.h"
#include "seqc/Spec/TrainSpec.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace seqc::rt {

/// An error at a position in a file, printed as
/// `file:line:col: error: message`, the way compilers report them.
class LocatedError : public llvm::ErrorInfo<LocatedError> {
public:
  static char ID;
  LocatedError(std::string file, int64_t line, int64_t column,
               std::string message)
      : file(std::move(file)), line(line), column(column),
        message(std::move(message)) {}

  void log(llvm::raw_ostream &os) const override;
  std::error_code convertToErrorCode() const override;

  std::string file;
  int64_t line, column;
  std::string message;
};

llvm::Error makeLocatedError(llvm::StringRef file, int64_t line, int64_t column,
                             const std::string &message);

/// How to read a data set that a model was trained on: the columns, the
/// classes of a `label` column and the standardization statistics; for
/// sequence data (SequenceData.h) also the kind, the text unit and the
/// vocabulary.
struct DataSchema {
  /// DataSpec::kind (tsv is csv).
  DataSourceKind kind = DataSourceKind::Csv;
  std::vector<std::string> features;
  TargetKind targetKind = TargetKind::None;
  std::vector<std::string> targets;
  /// ClassIndex: the label value of each class, in class order.
  std::vector<std::string> classes;
  /// Per feature; both empty when the data is not standardized.
  std::vector<double> mean, stddev;
  /// The training fraction a single file was split by (with the seed, the
  /// split is reproduced when resuming or evaluating).
  double split = 1.0;

  // Sequence data.
  std::string unit;       // text, sequences, pairs (the source's): char |
                          // word; tagged: word
  std::string targetUnit; // pairs: the target side's unit
  int64_t window = 0;     // text, series: steps per window
  int64_t maxLength = 0;  // sequences: units kept per text (0: all)
  /// text, sequences, tagged: every unit in id order, "<pad>" and "<unk>"
  /// first (kPadToken, kUnknownToken); its size is the "vocab" dimension.
  /// pairs: the source side's, with "<s>" and "</s>" after them
  /// (kStartToken, kEndToken); its size is "source_vocab".
  std::vector<std::string> vocabulary;
  /// pairs: the target side's vocabulary, reserved entries as the source's;
  /// its size is "target_vocab".
  std::vector<std::string> targetVocabulary;
  /// series with `standardize`: per target column, like mean and stddev.
  std::vector<double> targetMean, targetStddev;

  /// Whether the data are sequences (text, sequences, series, pairs,
  /// tagged).
  bool isSequence() const { return isSequenceSource(kind); }

  /// Values per instance of the target: 1 for a class index or a scalar,
  /// the number of columns for vectors and multi-labels, 0 without one.
  int64_t targetWidth() const;
  /// The sizes that bind a model's data dimensions (FrontendOptions::
  /// dataDims): "features", and "classes" and "targets" where they apply;
  /// for text "vocab", for sequences and tagged "vocab" and "classes", for
  /// series "features" and "targets", for pairs "source_vocab" and
  /// "target_vocab".
  std::vector<std::pair<std::string, int64_t>> dataDims() const;

  /// Stores the schema as "seqc.data.*" metadata (JSON strings).
  void toMetadata(MetadataMap &metadata) const;
  /// Reads it back; `path` names the checkpoint in errors.
  static llvm::Expected<DataSchema> fromMetadata(const MetadataMap &metadata,
                                                 llvm::StringRef path);
};

/// Rows of features (standardized where the schema says so) and targets,
/// row-major, in double precision; batches convert them to the model's
/// element type.
///
/// Sequence data (SequenceData.h) keep every row's steps in flat arrays:
/// row r is steps offsets[r] .. offsets[r + 1] - 1. Token steps (text,
/// sequences) are ids in `tokens`; numeric steps (series) are numFeatures
/// values each in `features`. Targets are per row (sequences: a class
/// index) or, with `stepTargets`, per step (text: the next token's id;
/// series: the next row's target values; tagged: each token's class).
///
/// Pairs of sequences (pairs) hold the source side of row r as above and its
/// target side in targetTokens[targetOffsets[r] .. targetOffsets[r + 1] - 1]:
/// the target units alone, without <s> and </s>, which batches add
/// (Batches.h: y_in, y).
struct Dataset {
  /// The file the rows come from, for messages ("iris.csv", or
  /// "iris.csv (validation split)").
  std::string name;
  int64_t rows = 0;
  int64_t numFeatures = 0;
  TargetKind targetKind = TargetKind::None;
  int64_t targetWidth = 0;
  std::vector<double> features; // rows * numFeatures
  std::vector<double> targets;  // rows * targetWidth; class indices for labels

  bool sequential = false;            // rows are sequences (offsets)
  bool stepTargets = false;           // targets per step, not per row
  std::vector<int64_t> offsets;       // sequential: rows + 1 step offsets
  std::vector<int64_t> tokens;        // token steps: one id per step
  std::vector<int64_t> targetOffsets; // pairs: rows + 1 target side offsets
  std::vector<int64_t> targetTokens;  // pairs: target side ids

  const double *featureRow(int64_t row) const {
    return features.data() + row * numFeatures;
  }
  const double *targetRow(int64_t row) const {
    return targets.data() + row * targetWidth;
  }
  /// Sequential: the number of steps of `row`, and of all rows.
  int64_t length(int64_t row) const { return offsets[row + 1] - offsets[row]; }
  int64_t steps() const { return offsets.empty() ? 0 : offsets.back(); }
  /// Token steps (ids) rather than numeric ones.
  bool tokenSteps() const { return sequential && numFeatures == 0; }
  /// Rows are pairs of sequences: a source side and a target side.
  bool pairs() const { return !targetOffsets.empty(); }
  /// Pairs: the number of target units of `row` (y_in and y have one more).
  int64_t targetLength(int64_t row) const {
    return targetOffsets[row + 1] - targetOffsets[row];
  }
};

/// A data file's name (for messages) and contents.
struct DataFile {
  std::string name;
  llvm::StringRef text;
};

struct LoadedData {
  DataSchema schema;
  Dataset train;
  /// Empty (0 rows) when the split keeps every row for training.
  Dataset valid;
};

struct DataOptions {
  /// Seeds the shuffle that splits one file into training and validation.
  uint64_t seed = 0;
  /// Relative data paths are looked up in this folder (the model file's)
  /// first, then in the working directory, then in this folder's parents.
  std::string baseDir;
  /// When set (resuming or evaluating from a checkpoint), its split, classes
  /// and statistics are used instead of the spec's and those computed from
  /// the data; a label it does not know is an error.
  const DataSchema *schema = nullptr;
  /// The data feeds an f32 model: a number beyond f32's range (about
  /// +-3.4e38) is an error at its cell instead of an infinity.
  bool float32 = false;
};

/// Reads and splits the data `spec` describes (sequence kinds through
/// loadSequenceData).
llvm::Expected<LoadedData> loadData(const DataSpec &spec,
                                    const DataOptions &options = {});

/// Same for text already in memory: `trainText` is the single file (or the
/// training file), `validText` the validation file or empty; the names are
/// used in messages. For tests. Sequence kinds go to parseSequenceData
/// (without class files).
llvm::Expected<LoadedData>
parseData(const DataSpec &spec, llvm::StringRef trainText,
          llvm::StringRef trainName, llvm::StringRef validText,
          llvm::StringRef validName, const DataOptions &options = {});

/// The contents of data file `path` (a train block's, as written), looked up
/// as DataOptions::baseDir says; `resolved` receives the path read. An
/// unreadable file is an error at `spec.loc`.
llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
readDataFile(const DataSpec &spec, const std::string &path,
             const DataOptions &options, std::string &resolved);

/// An error at a train block setting (`loc`), or a plain one without a
/// position.
llvm::Error errorAtLoc(const SourceLoc &loc, const std::string &message);

/// Classes named by label texts, in the order of a `label` column: numeric
/// when every label is a number ("1" and "1.0" are one class), else
/// lexicographic.
class LabelClasses {
public:
  /// The classes of the distinct `labels`.
  static LabelClasses fromLabels(llvm::ArrayRef<llvm::StringRef> labels);
  /// The classes a checkpoint names, in its order.
  static LabelClasses fromNames(llvm::ArrayRef<std::string> names);
  /// The class of `label`, or -1 if it is none of them.
  int64_t index(llvm::StringRef label) const;
  const std::vector<std::string> &names() const { return classNames; }

private:
  std::string key(llvm::StringRef label) const;
  std::vector<std::string> classNames;
  std::map<std::string, int64_t, std::less<>> byKey;
  bool numeric = true;
};

} // namespace seqc::rt

#endif // SEQC_RUNTIME_DATA_H
