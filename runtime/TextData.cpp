//===- TextData.cpp - text data: windows of one text ----------------------===//
#include "DataLoaders.h"
#include "seqc/Runtime/SequenceData.h"

#include <fmt/format.h>

using namespace seqc;
using namespace seqc::rt;

llvm::Expected<LoadedData> seqc::rt::parseText(const DataSpec &spec,
                                               const DataFile &file,
                                               const DataOptions &options) {
  if (spec.window < 1)
    return errorAtLoc(spec.loc, fmt::format("text needs window = the steps "
                                            "per window (at least 1), got {}",
                                            spec.window));
  auto split = splitFraction(spec, options);
  if (!split)
    return split.takeError();
  std::vector<llvm::StringRef> units = splitUnits(file.text, spec.unit);
  if (units.empty())
    return makeLocatedError(
        file.name, 1, 1,
        fmt::format("empty text: no {}s to read",
                    spec.unit == "word" ? "word" : "character"));
  int64_t count = static_cast<int64_t>(units.size());
  int64_t cut = trainCount(*split, count);
  int64_t window = spec.window;
  // window + 1 would overflow at the largest window a train block allows.
  if (window >= cut)
    return errorAtLoc(
        spec.loc.file.empty() ? SourceLoc{file.name, 1, 1} : spec.loc,
        fmt::format("window = {} is longer than the text: a window needs {} "
                    "{}s (x and the next unit y), but {} has {}{}",
                    window, static_cast<uint64_t>(window) + 1, spec.unit,
                    file.name, count,
                    cut < count
                        ? fmt::format(" ({} in the training split)", cut)
                        : std::string()));

  LoadedData loaded;
  DataSchema &schema = loaded.schema;
  schema.kind = DataSourceKind::Text;
  schema.unit = spec.unit;
  schema.window = window;
  schema.split = *split;
  schema.targetKind = TargetKind::ClassIndex;
  schema.vocabulary =
      vocabularyFor(spec, options, [&](llvm::StringMap<int64_t> &counts) {
        for (int64_t i = 0; i < cut; ++i)
          ++counts[units[i]];
      });
  Vocabulary vocabulary(schema.vocabulary);
  std::vector<int64_t> ids(count);
  for (int64_t i = 0; i < count; ++i)
    ids[i] = vocabulary.id(units[i]);

  // Windows of [begin, end): x = ids i..i+W-1, y = ids i+1..i+W.
  auto windows = [&](int64_t begin, int64_t end, std::string name) {
    Dataset data = sequenceDataset(std::move(name), 0, TargetKind::ClassIndex,
                                   1, /*stepTargets=*/true);
    for (int64_t i = begin; i + window + 1 <= end; i += window) {
      data.tokens.insert(data.tokens.end(), ids.begin() + i,
                         ids.begin() + i + window);
      for (int64_t t = i + 1; t <= i + window; ++t)
        data.targets.push_back(static_cast<double>(ids[t]));
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
