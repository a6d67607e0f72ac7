//===- Data.h - Tables of training data -------------------------*- C++ -*-===//
//
// Reads the data a train block's `data = csv(...)` describes (DataSpec in
// seqc/Frontend/TrainSpec.h): a CSV or TSV file whose first row names the
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

#include "seqc/Frontend/TrainSpec.h"
#include "seqc/Runtime/JitSession.h"
#include "seqc/Runtime/SafeTensors.h"
#include "seqc/Runtime/Tensor.h"

#include "llvm/Support/Error.h"

#include <cstdint>
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
/// classes of a `label` column and the standardization statistics.
struct DataSchema {
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

  /// Values per instance of the target: 1 for a class index or a scalar,
  /// the number of columns for vectors and multi-labels, 0 without one.
  int64_t targetWidth() const;
  /// The sizes that bind a model's data dimensions (FrontendOptions::
  /// dataDims): "features", and "classes" and "targets" where they apply.
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

  const double *featureRow(int64_t row) const {
    return features.data() + row * numFeatures;
  }
  const double *targetRow(int64_t row) const {
    return targets.data() + row * targetWidth;
  }
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
};

/// Reads and splits the data `spec` describes.
llvm::Expected<LoadedData> loadData(const DataSpec &spec,
                                    const DataOptions &options = {});

/// Same for text already in memory: `trainText` is the single file (or the
/// training file), `validText` the validation file or empty; the names are
/// used in messages. For tests.
llvm::Expected<LoadedData>
parseData(const DataSpec &spec, llvm::StringRef trainText,
          llvm::StringRef trainName, llvm::StringRef validText,
          llvm::StringRef validName, const DataOptions &options = {});

/// The features of `rows` as an input of type `type` (leading batch axis,
/// the row's values in row-major order on the others).
llvm::Expected<Tensor> gatherFeatures(const Dataset &data,
                                      llvm::ArrayRef<int64_t> rows,
                                      const TensorType &type,
                                      llvm::StringRef inputName);
/// The targets of `rows` as an input of type `type`: class indices for an
/// integer type, values otherwise.
llvm::Expected<Tensor> gatherTargets(const Dataset &data,
                                     llvm::ArrayRef<int64_t> rows,
                                     const TensorType &type,
                                     llvm::StringRef inputName);

} // namespace seqc::rt

#endif // SEQC_RUNTIME_DATA_H
