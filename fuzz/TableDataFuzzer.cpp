//===- TableDataFuzzer.cpp - libFuzzer target: csv, tsv and series data ---===//
//
// Feeds arbitrary bytes as a CSV or TSV data file to loadData, as `csv`,
// `tsv` or `series` data, and to readCsv, as `seqc run --input`. The last
// bytes of the input choose the train block's settings (FuzzedDataProvider
// reads them from the end, so a real data file stays a data file): the
// kind, which header columns are targets and of which kind, standardize,
// split, window, seed, f32, and whether the rows come in one file or as a
// training and a validation file. Any input must end in data or in an
// error, never in a crash, a sanitizer report, a hang or unbounded memory;
// data that load must load again alike under their own schema
// (DataFuzzing.h).
//
//===----------------------------------------------------------------------===//
#include "DataFuzzing.h"
#include "DelimitedText.h"

#include "seqc/Runtime/Csv.h"
#include "seqc/Support/Lines.h"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <string>
#include <vector>

using namespace seqc;

/// The header's cells as the table reader sees them; empty when the first
/// row does not split.
static std::vector<std::string> headerNames(llvm::StringRef text,
                                            char separator) {
  std::deque<std::string> unescaped;
  rt::DelimitedRows rows(dropByteOrderMark(text), separator, unescaped);
  llvm::SmallVector<rt::DelimitedCell, 16> cells;
  auto ignore = [](int64_t, int64_t, const std::string &) {
    return llvm::make_error<llvm::StringError>("bad header",
                                               llvm::inconvertibleErrorCode());
  };
  auto read = rows.next(cells, ignore);
  std::vector<std::string> names;
  if (!read) {
    llvm::consumeError(read.takeError());
    return names;
  }
  for (const rt::DelimitedCell &cell : cells)
    names.push_back(cell.text.str());
  return names;
}

/// The header line and the rows after the first half of the data lines:
/// a validation file to go with the first half.
static std::pair<std::string, std::string> splitRows(llvm::StringRef text) {
  llvm::StringRef rest = text;
  llvm::StringRef header = takeLine(rest);
  size_t half = rest.size() / 2;
  size_t cut = rest.find('\n', half);
  if (cut == llvm::StringRef::npos)
    cut = rest.size();
  else
    ++cut;
  std::string train = text.take_front(text.size() - rest.size()).str() +
                      rest.take_front(cut).str();
  std::string valid = header.str() + "\n" + rest.drop_front(cut).str();
  return {train, valid};
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  FuzzedDataProvider settings(data, size);
  enum Kind { Csv, Tsv, Series, SeriesTsv };
  Kind kind = static_cast<Kind>(settings.ConsumeIntegralInRange(0, 3));
  const TargetKind targetKinds[] = {TargetKind::ClassIndex, TargetKind::Scalar,
                                    TargetKind::Vector, TargetKind::MultiLabel};
  TargetKind targetKind = targetKinds[settings.ConsumeIntegralInRange(0, 3)];
  int targetCount = settings.ConsumeIntegralInRange(1, 3);
  std::vector<uint8_t> targetColumns;
  for (int i = 0; i < targetCount; ++i)
    targetColumns.push_back(settings.ConsumeIntegral<uint8_t>());
  bool listFeatures = settings.ConsumeBool();
  bool standardize = settings.ConsumeBool();
  bool float32 = settings.ConsumeBool();
  bool twoFiles = settings.ConsumeBool();
  const double splits[] = {0.9, 0.5, 1.0, 0.75, 0.1, 1e-9, 0.0};
  double split = splits[settings.ConsumeIntegralInRange(0, 6)];
  const int64_t largeWindows[] = {0, std::numeric_limits<int64_t>::max(),
                                  int64_t(1) << 40};
  uint8_t windowChoice = settings.ConsumeIntegral<uint8_t>();
  int64_t window = windowChoice < 250 ? 1 + windowChoice % 16
                                      : largeWindows[windowChoice % 3];
  uint64_t seed = settings.ConsumeIntegral<uint8_t>();
  std::string text = settings.ConsumeRemainingBytesAsString();

  DataSpec spec;
  spec.kind = kind == Series || kind == SeriesTsv ? DataSourceKind::Series
                                                  : DataSourceKind::Csv;
  spec.separator = kind == Tsv || kind == SeriesTsv ? '\t' : ',';
  spec.split = split;
  spec.standardize = standardize;
  spec.window = window;
  if (spec.kind == DataSourceKind::Series &&
      (targetKind == TargetKind::ClassIndex ||
       targetKind == TargetKind::MultiLabel))
    targetKind = TargetKind::Scalar;
  spec.targetKind = targetKind;
  // Targets are columns of the header, as a train block names them.
  std::vector<std::string> names = headerNames(text, spec.separator);
  if (names.empty())
    names.push_back("y");
  if (targetKind == TargetKind::ClassIndex || targetKind == TargetKind::Scalar)
    targetColumns.resize(1);
  for (uint8_t column : targetColumns) {
    const std::string &name = names[column % names.size()];
    if (!llvm::is_contained(spec.targets, name))
      spec.targets.push_back(name);
  }
  if (listFeatures)
    for (const std::string &name : names)
      if (!llvm::is_contained(spec.targets, name))
        spec.features.push_back(name);

  rt::DataOptions options;
  options.seed = seed;
  options.float32 = float32;
  if (twoFiles && spec.kind == DataSourceKind::Csv) {
    auto [train, valid] = splitRows(text);
    spec.trainPath = fuzz::writeScratchFile("train.csv", train);
    spec.validPath = fuzz::writeScratchFile("valid.csv", valid);
  } else {
    spec.path = fuzz::writeScratchFile("data.csv", text);
  }
  fuzz::loadAndReload(spec, options);

  // The same bytes as `seqc run --input`.
  rt::CsvOptions csv;
  csv.dtype = float32 ? rt::DType::F32 : rt::DType::F64;
  std::string path = fuzz::writeScratchFile("input.csv", text);
  auto table = rt::readCsv(path, csv);
  if (!table)
    (void)llvm::toString(table.takeError());
  return 0;
}
