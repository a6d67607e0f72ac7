//===- TrainKinds.h - The closed sets of names of a train block -*- C++ -*-===//
//
// The kinds of data source, optimizer and metric, each an enum with its one
// mapping to and from the name the language, checkpoints and messages use
// (optimizers and metrics from their tables, Optimizers.def and Metrics.def).
// Code decides on the enum; the name is only parsed where text comes in and
// printed where text goes out.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_SPEC_TRAINKINDS_H
#define SEQC_SPEC_TRAINKINDS_H

#include <cstddef>
#include <optional>
#include <string_view>

namespace seqc {

/// What a data source yields per instance (DataSpec describes each).
/// `tsv(...)` in the language is Csv with a tab separator.
enum class DataSourceKind { Csv, Text, Sequences, Series, Pairs, Tagged };

/// An optimizer of a train block (OptimizerSpec), from Optimizers.def.
enum class OptimizerKind {
#define SEQC_OPTIMIZER(Kind, name, ...) Kind,
#include "seqc/Spec/Optimizers.def"
};

/// A metric reported per epoch (MetricSpec), from Metrics.def.
enum class MetricKind {
#define SEQC_METRIC(Kind, name, keyword) Kind,
#include "seqc/Spec/Metrics.def"
};

namespace detail {
inline constexpr const char *dataSourceNames[] = {
    "csv", "text", "sequences", "series", "pairs", "tagged"};
inline constexpr const char *optimizerNames[] = {
#define SEQC_OPTIMIZER(Kind, name, ...) name,
#include "seqc/Spec/Optimizers.def"
};
inline constexpr const char *metricNames[] = {
#define SEQC_METRIC(Kind, name, keyword) name,
#include "seqc/Spec/Metrics.def"
};

/// The index of `name` in `names`, as the enum `Kind`.
template <typename Kind, size_t N>
std::optional<Kind> kindNamed(const char *const (&names)[N],
                              std::string_view name) {
  for (size_t i = 0; i < N; ++i)
    if (name == names[i])
      return static_cast<Kind>(i);
  return std::nullopt;
}
} // namespace detail

inline const char *dataSourceName(DataSourceKind kind) {
  return detail::dataSourceNames[static_cast<size_t>(kind)];
}
inline std::optional<DataSourceKind> dataSourceNamed(std::string_view name) {
  return detail::kindNamed<DataSourceKind>(detail::dataSourceNames, name);
}

/// Text, sequences, series, pairs and tagged: each instance is a sequence,
/// batched time-major with a mask.
inline bool isSequenceSource(DataSourceKind kind) {
  return kind != DataSourceKind::Csv;
}

inline const char *optimizerName(OptimizerKind kind) {
  return detail::optimizerNames[static_cast<size_t>(kind)];
}
inline std::optional<OptimizerKind> optimizerNamed(std::string_view name) {
  return detail::kindNamed<OptimizerKind>(detail::optimizerNames, name);
}

inline const char *metricName(MetricKind kind) {
  return detail::metricNames[static_cast<size_t>(kind)];
}
inline std::optional<MetricKind> metricNamed(std::string_view name) {
  return detail::kindNamed<MetricKind>(detail::metricNames, name);
}

} // namespace seqc

#endif // SEQC_SPEC_TRAINKINDS_H
