//===- SequenceDatasets.cpp - Datasets of sequences and their splits ------===//
#include "DataLoaders.h"
#include "seqc/Runtime/Random.h"

#include "llvm/ADT/STLExtras.h"

#include <fmt/format.h>

#include <cmath>
#include <numeric>

using namespace seqc;
using namespace seqc::rt;

/// An empty Dataset of sequences of the given form.
Dataset seqc::rt::sequenceDataset(std::string name, int64_t numFeatures,
                                  TargetKind targetKind, int64_t targetWidth,
                                  bool stepTargets) {
  Dataset data;
  data.name = std::move(name);
  data.sequential = true;
  data.numFeatures = numFeatures;
  data.targetKind = targetKind;
  data.targetWidth = targetWidth;
  data.stepTargets = stepTargets;
  data.offsets = {0};
  return data;
}

/// Ends a row whose steps were appended.
void seqc::rt::endRow(Dataset &data) {
  ++data.rows;
  data.offsets.push_back(data.tokenSteps()
                             ? static_cast<int64_t>(data.tokens.size())
                             : static_cast<int64_t>(data.features.size()) /
                                   data.numFeatures);
}

/// The split fraction: the checkpoint's, else the spec's; in (0, 1].
llvm::Expected<double> seqc::rt::splitFraction(const DataSpec &spec,
                                               const DataOptions &options) {
  double split = options.schema ? options.schema->split : spec.split;
  if (!(split > 0.0 && split <= 1.0))
    return errorAtLoc(spec.loc,
                      fmt::format("split must be in (0, 1], got {}", split));
  return split;
}

int64_t seqc::rt::trainCount(double split, int64_t count) {
  return static_cast<int64_t>(
      std::floor(split * static_cast<double>(count) + 1e-9));
}

llvm::Expected<std::pair<std::vector<int64_t>, std::vector<int64_t>>>
seqc::rt::trainingRows(const DataSpec &spec, const DataOptions &options,
                       DataSchema &schema, int64_t count, bool separateValid,
                       llvm::StringRef instances) {
  if (separateValid) {
    std::vector<int64_t> all(static_cast<size_t>(count));
    std::iota(all.begin(), all.end(), 0);
    return std::make_pair(std::move(all), std::vector<int64_t>());
  }
  auto split = splitFraction(spec, options);
  if (!split)
    return split.takeError();
  schema.split = *split;
  auto rows = seededSplit(count, *split, options.seed);
  if (rows.first.empty())
    return errorAtLoc(spec.loc,
                      fmt::format("split {} of {} {} leaves none for training",
                                  *split, count, instances.str()));
  return rows;
}

/// The rows of a seeded split of `count` rows (as a table's): training rows
/// and validation rows, each in file order.
std::pair<std::vector<int64_t>, std::vector<int64_t>>
seqc::rt::seededSplit(int64_t count, double split, uint64_t seed) {
  std::vector<int64_t> order(count);
  std::iota(order.begin(), order.end(), 0);
  Rng rng = Rng::forStream(seed, "data.split");
  for (int64_t i = count - 1; i > 0; --i)
    std::swap(order[i], order[rng.below(static_cast<uint64_t>(i) + 1)]);
  int64_t train = trainCount(split, count);
  std::vector<int64_t> first(order.begin(), order.begin() + train);
  std::vector<int64_t> second(order.begin() + train, order.end());
  llvm::sort(first);
  llvm::sort(second);
  return {std::move(first), std::move(second)};
}
