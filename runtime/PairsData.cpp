//===- PairsData.cpp - pairs data: a source and a target sequence ---------===//
//
// `source<TAB>target` lines, each side in its own unit and vocabulary (with
// <pad> <unk> <s> </s> reserved), for sequence-to-sequence models. The
// target side is kept without <s> and </s>; batches add them (Batches.h).
//
//===----------------------------------------------------------------------===//
#include "DataLoaders.h"
#include "seqc/Runtime/SequenceData.h"
#include "seqc/Support/Lines.h"

#include <fmt/format.h>

#include <numeric>

using namespace seqc;
using namespace seqc::rt;

namespace {
/// The units of one line's two sides, pointing into the file's text.
struct Pair {
  std::vector<llvm::StringRef> source, target;
};

/// The reserved entries of both vocabularies, in id order.
const llvm::StringRef kPairReserved[] = {kPadUnit, kUnknownUnit, kStartUnit,
                                         kEndUnit};
} // namespace

/// The pairs of one file; blank lines are skipped.
static llvm::Error readPairs(const DataFile &file, llvm::StringRef sourceUnit,
                             llvm::StringRef targetUnit,
                             std::vector<Pair> &pairs) {
  llvm::StringRef rest = dropByteOrderMark(file.text);
  int64_t lineNumber = 0;
  while (!rest.empty()) {
    llvm::StringRef line = takeLine(rest);
    ++lineNumber;
    if (line.trim(" \t").empty())
      continue;
    size_t tab = line.find('\t');
    if (tab == llvm::StringRef::npos)
      return makeLocatedError(
          file.name, lineNumber, 1 + static_cast<int64_t>(line.size()),
          "expected a tab between the source and the target "
          "(source<TAB>target), found none");
    size_t secondTab = line.find('\t', tab + 1);
    if (secondTab != llvm::StringRef::npos)
      return makeLocatedError(
          file.name, lineNumber, 1 + static_cast<int64_t>(secondTab),
          "a second tab: a line holds one source and one target "
          "(source<TAB>target), and neither may contain a tab");
    llvm::StringRef source = line.take_front(tab).trim(' ');
    llvm::StringRef target = line.drop_front(tab + 1).trim(' ');
    Pair pair;
    pair.source = splitUnits(source, sourceUnit);
    pair.target = splitUnits(target, targetUnit);
    if (pair.source.empty())
      return makeLocatedError(
          file.name, lineNumber, 1,
          fmt::format("empty source: the text before the tab needs at "
                      "least one {}",
                      sourceUnit.str()));
    if (pair.target.empty())
      return makeLocatedError(
          file.name, lineNumber, 2 + static_cast<int64_t>(tab),
          fmt::format("empty target: the text after the tab needs at "
                      "least one {}",
                      targetUnit.str()));
    pairs.push_back(std::move(pair));
  }
  if (pairs.empty())
    return makeLocatedError(file.name, std::max<int64_t>(lineNumber, 1), 1,
                            "no pairs in the file: expected one "
                            "source<TAB>target a line");
  return llvm::Error::success();
}

llvm::Expected<LoadedData> seqc::rt::parsePairs(const DataSpec &spec,
                                                llvm::ArrayRef<DataFile> files,
                                                const DataOptions &options) {
  std::string sourceUnit = spec.unit;
  std::string targetUnit =
      spec.targetUnit.empty() ? spec.unit : spec.targetUnit;
  // parts[0]: the single file's pairs, or the training file's; parts[1]:
  // the validation file's.
  std::vector<std::vector<Pair>> parts(files.size());
  for (auto [index, file] : llvm::enumerate(files))
    if (llvm::Error error =
            readPairs(file, sourceUnit, targetUnit, parts[index]))
      return std::move(error);

  LoadedData loaded;
  DataSchema &schema = loaded.schema;
  schema.kind = DataSourceKind::Pairs;
  schema.unit = sourceUnit;
  schema.targetUnit = targetUnit;
  schema.targetKind = TargetKind::ClassIndex;

  // Which pairs train: the training file's, else a seeded split.
  auto rows =
      trainingRows(spec, options, schema, static_cast<int64_t>(parts[0].size()),
                   parts.size() > 1, "pairs");
  if (!rows)
    return rows.takeError();
  std::vector<int64_t> trainRows = std::move(rows->first),
                       validRows = std::move(rows->second);

  // Each side's vocabulary, from the training pairs only.
  if (options.schema) {
    schema.vocabulary = options.schema->vocabulary;
    schema.targetVocabulary = options.schema->targetVocabulary;
  } else {
    llvm::StringMap<int64_t> sourceCounts, targetCounts;
    for (int64_t row : trainRows) {
      for (llvm::StringRef unit : parts[0][row].source)
        ++sourceCounts[unit];
      for (llvm::StringRef unit : parts[0][row].target)
        ++targetCounts[unit];
    }
    int64_t minCount = std::max<int64_t>(spec.minCount, 1);
    schema.vocabulary = buildVocabulary(sourceCounts, minCount, kPairReserved);
    schema.targetVocabulary =
        buildVocabulary(targetCounts, minCount, kPairReserved);
  }
  Vocabulary sources(schema.vocabulary, kPairUnitsBegin);
  Vocabulary targets(schema.targetVocabulary, kPairUnitsBegin);

  auto select = [&](size_t part, llvm::ArrayRef<int64_t> rows,
                    std::string name) {
    // A target per step of the decoder (y).
    Dataset data = sequenceDataset(std::move(name), 0, TargetKind::ClassIndex,
                                   1, /*stepTargets=*/true);
    data.targetOffsets = {0};
    for (int64_t row : rows) {
      const Pair &pair = parts[part][row];
      for (llvm::StringRef unit : pair.source)
        data.tokens.push_back(sources.id(unit));
      for (llvm::StringRef unit : pair.target)
        data.targetTokens.push_back(targets.id(unit));
      data.targetOffsets.push_back(
          static_cast<int64_t>(data.targetTokens.size()));
      endRow(data);
    }
    return data;
  };
  if (parts.size() == 1) {
    bool whole = validRows.empty();
    const std::string &name = files[0].name;
    loaded.train =
        select(0, trainRows, whole ? name : name + " (training split)");
    loaded.valid = select(0, validRows, name + " (validation split)");
  } else {
    loaded.train = select(0, trainRows, files[0].name);
    std::vector<int64_t> all(parts[1].size());
    std::iota(all.begin(), all.end(), 0);
    loaded.valid = select(1, all, files[1].name);
  }
  return loaded;
}
