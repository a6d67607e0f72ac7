//===- SeriesData.cpp - series data: windows of a numeric table -----------===//
#include "DataLoaders.h"
#include "DataTable.h"

#include "llvm/ADT/StringExtras.h"

#include <fmt/format.h>

#include <cmath>
#include <memory>

using namespace seqc;
using namespace seqc::rt;

/// Mean and population deviation of `count` values at `values[i * stride]`;
/// a constant column gets a deviation of 1.
static std::pair<double, double> statistics(const double *values, int64_t count,
                                            int64_t stride) {
  double sum = 0.0;
  for (int64_t i = 0; i < count; ++i)
    sum += values[i * stride];
  double mean = sum / static_cast<double>(count);
  double squares = 0.0;
  for (int64_t i = 0; i < count; ++i) {
    double delta = values[i * stride] - mean;
    squares += delta * delta;
  }
  double stddev = std::sqrt(squares / static_cast<double>(count));
  return {mean, stddev > 0.0 && std::isfinite(stddev) ? stddev : 1.0};
}

llvm::Expected<LoadedData> seqc::rt::parseSeries(const DataSpec &spec,
                                                 const DataFile &file,
                                                 const DataOptions &options) {
  if (spec.window < 1)
    return errorAtLoc(spec.loc, fmt::format("series needs window = the steps "
                                            "per window (at least 1), got {}",
                                            spec.window));
  if (spec.targetKind != TargetKind::Scalar &&
      spec.targetKind != TargetKind::Vector)
    return errorAtLoc(spec.loc, "series needs the column(s) to predict: "
                                "target = \"col\" or target = [...]");
  auto split = splitFraction(spec, options);
  if (!split)
    return split.takeError();

  // The table in file order, raw: every row kept, nothing standardized.
  std::unique_ptr<TextTable> table = tableFromText(file.text, file.name);
  if (llvm::Error error = parseTable(*table, spec.separator))
    return std::move(error);
  std::vector<std::string> featureNames =
      spec.features.empty() ? nonTargetColumns(*table, spec.targets)
                            : spec.features;
  if (featureNames.empty())
    return noFeatureColumns(*table);
  auto columns = mapColumns(*table, featureNames, spec.targets);
  if (!columns)
    return columns.takeError();
  Dataset all;
  if (llvm::Error error = readRows(*table, *columns, spec.targetKind,
                                   /*float32=*/false, all))
    return std::move(error);
  all.targetWidth = spec.targetKind == TargetKind::Scalar
                        ? 1
                        : static_cast<int64_t>(spec.targets.size());
  int64_t count = all.rows;
  int64_t features = all.numFeatures, targets = all.targetWidth;
  int64_t cut = trainCount(*split, count);
  int64_t window = spec.window;
  // window + 1 would overflow at the largest window a train block allows.
  if (window >= cut)
    return errorAtLoc(
        spec.loc.file.empty() ? SourceLoc{file.name, 1, 1} : spec.loc,
        fmt::format("window = {} is longer than the series: a window needs "
                    "{} rows (x and the next row's y), but {} has {}{}",
                    window, static_cast<uint64_t>(window) + 1, file.name, count,
                    cut < count
                        ? fmt::format(" ({} in the training split)", cut)
                        : std::string()));

  LoadedData loaded;
  DataSchema &schema = loaded.schema;
  schema.kind = DataSourceKind::Series;
  schema.window = window;
  schema.split = *split;
  schema.features = featureNames;
  schema.targetKind = spec.targetKind;
  schema.targets = spec.targets;
  if (options.schema) {
    const DataSchema &trained = *options.schema;
    if (trained.features != schema.features ||
        trained.targets != schema.targets)
      return errorAtLoc(
          spec.loc, fmt::format("the model was trained on the features [{}] "
                                "and targets [{}], but the train block "
                                "reads [{}] and [{}]",
                                llvm::join(trained.features, ", "),
                                llvm::join(trained.targets, ", "),
                                llvm::join(schema.features, ", "),
                                llvm::join(schema.targets, ", ")));
    schema.mean = trained.mean;
    schema.stddev = trained.stddev;
    schema.targetMean = trained.targetMean;
    schema.targetStddev = trained.targetStddev;
  } else if (spec.standardize) {
    for (int64_t j = 0; j < features; ++j) {
      auto [mean, stddev] = statistics(all.features.data() + j, cut, features);
      schema.mean.push_back(mean);
      schema.stddev.push_back(stddev);
    }
    for (int64_t k = 0; k < targets; ++k) {
      auto [mean, stddev] = statistics(all.targets.data() + k, cut, targets);
      schema.targetMean.push_back(mean);
      schema.targetStddev.push_back(stddev);
    }
  }

  auto feature = [&](int64_t row, int64_t j) {
    double value = all.featureRow(row)[j];
    return schema.mean.empty() ? value
                               : (value - schema.mean[j]) / schema.stddev[j];
  };
  auto target = [&](int64_t row, int64_t k) {
    double value = all.targetRow(row)[k];
    return schema.targetMean.empty()
               ? value
               : (value - schema.targetMean[k]) / schema.targetStddev[k];
  };
  // Windows of rows [begin, end): x[t] = row i + t, y[t] = row i + t + 1.
  auto windows = [&](int64_t begin, int64_t end, std::string name) {
    Dataset data =
        sequenceDataset(std::move(name), features, spec.targetKind, targets,
                        /*stepTargets=*/true);
    for (int64_t i = begin; i + window + 1 <= end; i += window) {
      for (int64_t t = i; t < i + window; ++t) {
        for (int64_t j = 0; j < features; ++j)
          data.features.push_back(feature(t, j));
        for (int64_t k = 0; k < targets; ++k)
          data.targets.push_back(target(t + 1, k));
      }
      endRow(data);
    }
    return data;
  };
  bool whole = cut == count;
  loaded.train =
      windows(0, cut, whole ? file.name : file.name + " (training split)");
  loaded.valid = windows(cut, count, file.name + " (validation split)");
  return loaded;
}
