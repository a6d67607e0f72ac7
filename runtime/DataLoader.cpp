//===- DataLoader.cpp - Which loader reads which kind of data -------------===//
//
// The one place that knows every kind of data: loadData and parseData send
// `csv` (and tsv) to the table loader and the sequence kinds to their
// loaders, which read their own files and call neither each other nor back
// here.
//
//===----------------------------------------------------------------------===//
#include "DataLoaders.h"
#include "seqc/Runtime/SequenceData.h"

#include "llvm/Support/MemoryBuffer.h"

#include <fmt/format.h>

#include <memory>

using namespace seqc;
using namespace seqc::rt;

using K = DataSourceKind;

/// The kinds that read a training and a validation file, not only one file.
static bool readsTwoFiles(DataSourceKind kind) {
  return kind == K::Sequences || kind == K::Pairs || kind == K::Tagged;
}

/// The kinds whose units the spec chooses (series are numbers, tagged
/// tokens whole cells).
static bool hasUnit(DataSourceKind kind) {
  return kind != K::Series && kind != K::Tagged;
}

/// The unit, and a pairs' target unit when it has its own, are "char" or
/// "word".
static llvm::Error checkUnit(const DataSpec &spec) {
  std::vector<llvm::StringRef> units{spec.unit};
  if (!spec.targetUnit.empty())
    units.push_back(spec.targetUnit);
  for (llvm::StringRef unit : units)
    if (unit != "char" && unit != "word")
      return errorAtLoc(spec.loc, fmt::format("unit must be \"char\" or "
                                              "\"word\", got \"{}\"",
                                              unit.str()));
  return llvm::Error::success();
}

/// The checkpoint's unit must be the spec's: ids mean nothing otherwise.
static llvm::Error checkSchemaKind(const DataSpec &spec,
                                   const DataOptions &options) {
  if (!options.schema)
    return llvm::Error::success();
  const DataSchema &schema = *options.schema;
  if (schema.kind != spec.kind)
    return errorAtLoc(spec.loc,
                      fmt::format("the model was trained on {} data, but the "
                                  "train block reads {}",
                                  dataSourceName(schema.kind),
                                  dataSourceName(spec.kind)));
  if (hasUnit(spec.kind) && schema.unit != spec.unit)
    return errorAtLoc(spec.loc,
                      fmt::format("the model was trained on unit = \"{}\", "
                                  "but the train block says unit = \"{}\"",
                                  schema.unit, spec.unit));
  std::string targetUnit =
      spec.targetUnit.empty() ? spec.unit : spec.targetUnit;
  if (spec.kind == K::Pairs && schema.targetUnit != targetUnit)
    return errorAtLoc(spec.loc,
                      fmt::format("the model was trained on target_unit = "
                                  "\"{}\", but the train block says "
                                  "target_unit = \"{}\"",
                                  schema.targetUnit, targetUnit));
  return llvm::Error::success();
}

llvm::Expected<LoadedData>
seqc::rt::parseData(const DataSpec &spec, llvm::StringRef trainText,
                    llvm::StringRef trainName, llvm::StringRef validText,
                    llvm::StringRef validName, const DataOptions &options) {
  if (isSequenceSource(spec.kind)) {
    std::vector<DataFile> files{{trainName.str(), trainText}};
    if (!validName.empty())
      files.push_back({validName.str(), validText});
    return parseSequenceData(spec, files, options);
  }
  return parseTableData(spec, trainText, trainName, validText, validName,
                        options);
}

llvm::Expected<LoadedData> seqc::rt::loadData(const DataSpec &spec,
                                              const DataOptions &options) {
  if (isSequenceSource(spec.kind))
    return loadSequenceData(spec, options);
  return loadTableData(spec, options);
}

llvm::Expected<LoadedData>
seqc::rt::parseSequenceData(const DataSpec &spec,
                            llvm::ArrayRef<DataFile> files,
                            const DataOptions &options) {
  if (files.empty())
    return errorAtLoc(spec.loc, "the data names no file");
  if (hasUnit(spec.kind))
    if (llvm::Error error = checkUnit(spec))
      return std::move(error);
  if (llvm::Error error = checkSchemaKind(spec, options))
    return std::move(error);
  switch (spec.kind) {
  case K::Text:
    return parseText(spec, files[0], options);
  case K::Series:
    return parseSeries(spec, files[0], options);
  case K::Sequences:
    return parseSequences(spec, files, options);
  case K::Pairs:
    return parsePairs(spec, files, options);
  case K::Tagged:
    return parseTagged(spec, files, options);
  case K::Csv:
    break;
  }
  return errorAtLoc(spec.loc, "csv data is not a kind of sequence data (text, "
                              "sequences, series, pairs, tagged)");
}

llvm::Expected<LoadedData>
seqc::rt::loadSequenceData(const DataSpec &spec, const DataOptions &options) {
  std::vector<std::string> paths;
  if (!spec.classFiles.empty() && spec.kind == K::Sequences) {
    paths = spec.classFiles;
  } else if (!spec.trainPath.empty()) {
    paths.push_back(spec.trainPath);
    if (!spec.validPath.empty())
      paths.push_back(spec.validPath);
  } else if (!spec.path.empty()) {
    paths.push_back(spec.path);
  } else {
    return errorAtLoc(spec.loc, "the data names no file");
  }
  std::vector<std::unique_ptr<llvm::MemoryBuffer>> buffers;
  std::vector<DataFile> files;
  for (const std::string &path : paths) {
    std::string resolved;
    auto buffer = readDataFile(spec, path, options, resolved);
    if (!buffer)
      return buffer.takeError();
    buffers.push_back(std::move(*buffer));
    files.push_back({resolved, buffers.back()->getBuffer()});
  }
  if (!readsTwoFiles(spec.kind) && files.size() > 1)
    return errorAtLoc(spec.loc,
                      fmt::format("{} reads one file, split by position",
                                  dataSourceName(spec.kind)));
  // A training file alone: no validation split.
  if (readsTwoFiles(spec.kind) && spec.classFiles.empty() &&
      !spec.trainPath.empty() && spec.validPath.empty()) {
    DataSpec whole = spec;
    whole.split = 1.0;
    return parseSequenceData(whole, files, options);
  }
  return parseSequenceData(spec, files, options);
}
