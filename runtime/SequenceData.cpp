//===- SequenceData.cpp - Text, labeled sequences and series --------------===//
#include "seqc/Runtime/SequenceData.h"
#include "seqc/Runtime/Error.h"
#include "seqc/Support/Lines.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Path.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <numeric>
#include <set>

using namespace seqc;
using namespace seqc::rt;

//===----------------------------------------------------------------------===//
// Units and vocabularies
//===----------------------------------------------------------------------===//

static bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
         c == '\f';
}

std::vector<llvm::StringRef> seqc::rt::splitUnits(llvm::StringRef text,
                                                  llvm::StringRef unit) {
  std::vector<llvm::StringRef> units;
  if (unit == "word") {
    size_t i = 0;
    while (i < text.size()) {
      while (i < text.size() && isSpace(text[i]))
        ++i;
      size_t start = i;
      while (i < text.size() && !isSpace(text[i]))
        ++i;
      if (i > start)
        units.push_back(text.slice(start, i));
    }
    return units;
  }
  // Bytes, as bench/seqdata.py reads them: no decoding, so any file works
  // and an em dash is three units.
  units.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i)
    units.push_back(text.substr(i, 1));
  return units;
}

Vocabulary::Vocabulary(llvm::ArrayRef<std::string> units) : units(units.vec()) {
  // The reserved entries are never matched by a unit of the text.
  for (size_t id = 2; id < this->units.size(); ++id)
    ids.try_emplace(this->units[id], static_cast<int64_t>(id));
}

int64_t Vocabulary::id(llvm::StringRef unit) const {
  auto it = ids.find(unit);
  return it == ids.end() ? kUnknownToken : it->second;
}

std::vector<int64_t> seqc::rt::encodeText(const DataSchema &schema,
                                          llvm::StringRef text) {
  Vocabulary vocabulary(schema.vocabulary);
  std::vector<int64_t> ids;
  for (llvm::StringRef unit : splitUnits(text, schema.unit))
    ids.push_back(vocabulary.id(unit));
  return ids;
}

std::string seqc::rt::decodeTokens(const DataSchema &schema,
                                   llvm::ArrayRef<int64_t> ids) {
  bool words = schema.unit == "word";
  std::string text;
  bool first = true;
  for (int64_t id : ids) {
    if (id == kPadToken)
      continue;
    if (words && !first)
      text += ' ';
    first = false;
    if (id <= kUnknownToken ||
        id >= static_cast<int64_t>(schema.vocabulary.size()))
      text += words ? kUnknownUnit.str() : "\xEF\xBF\xBD";
    else
      text += schema.vocabulary[id];
  }
  return text;
}

/// The vocabulary of the training units: <pad>, <unk>, then every unit seen
/// at least `minCount` times by decreasing count, ties by their bytes.
static std::vector<std::string>
buildVocabulary(const llvm::StringMap<int64_t> &counts, int64_t minCount) {
  std::vector<std::pair<llvm::StringRef, int64_t>> kept;
  for (const auto &entry : counts)
    if (entry.second >= minCount)
      kept.emplace_back(entry.first(), entry.second);
  llvm::sort(kept, [](const auto &a, const auto &b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::vector<std::string> vocabulary{kPadUnit.str(), kUnknownUnit.str()};
  for (const auto &entry : kept)
    vocabulary.push_back(entry.first.str());
  return vocabulary;
}

//===----------------------------------------------------------------------===//
// Common pieces of the loaders
//===----------------------------------------------------------------------===//

/// An empty Dataset of sequences of the given form.
static Dataset sequenceDataset(std::string name, int64_t numFeatures,
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
static void endRow(Dataset &data) {
  ++data.rows;
  data.offsets.push_back(data.tokenSteps()
                             ? static_cast<int64_t>(data.tokens.size())
                             : static_cast<int64_t>(data.features.size()) /
                                   data.numFeatures);
}

/// The split fraction: the checkpoint's, else the spec's; in (0, 1].
static llvm::Expected<double> splitFraction(const DataSpec &spec,
                                            const DataOptions &options) {
  double split = options.schema ? options.schema->split : spec.split;
  if (!(split > 0.0 && split <= 1.0))
    return errorAtLoc(spec.loc,
                      fmt::format("split must be in (0, 1], got {}", split));
  return split;
}

static int64_t trainCount(double split, int64_t count) {
  return static_cast<int64_t>(
      std::floor(split * static_cast<double>(count) + 1e-9));
}

/// The rows of a seeded split of `count` rows (as a table's): training rows
/// and validation rows, each in file order.
static std::pair<std::vector<int64_t>, std::vector<int64_t>>
seededSplit(int64_t count, double split, uint64_t seed) {
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

static llvm::Error checkUnit(const DataSpec &spec) {
  if (spec.unit != "char" && spec.unit != "word")
    return errorAtLoc(spec.loc, fmt::format("unit must be \"char\" or "
                                            "\"word\", got \"{}\"",
                                            spec.unit));
  return llvm::Error::success();
}

/// The schema's vocabulary when resuming, else the one of `trainUnits`.
static std::vector<std::string>
vocabularyFor(const DataSpec &spec, const DataOptions &options,
              llvm::function_ref<void(llvm::StringMap<int64_t> &)> count) {
  if (options.schema)
    return options.schema->vocabulary;
  llvm::StringMap<int64_t> counts;
  count(counts);
  return buildVocabulary(counts, std::max<int64_t>(spec.minCount, 1));
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
                                  schema.kind, spec.kind));
  if (spec.kind != "series" && schema.unit != spec.unit)
    return errorAtLoc(spec.loc,
                      fmt::format("the model was trained on unit = \"{}\", "
                                  "but the train block says unit = \"{}\"",
                                  schema.unit, spec.unit));
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// text: windows of one text
//===----------------------------------------------------------------------===//

static llvm::Expected<LoadedData> parseText(const DataSpec &spec,
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
  if (cut < window + 1)
    return errorAtLoc(
        spec.loc.file.empty() ? SourceLoc{file.name, 1, 1} : spec.loc,
        fmt::format("window = {} is longer than the text: a window needs {} "
                    "{}s (x and the next unit y), but {} has {}{}",
                    window, window + 1, spec.unit, file.name, count,
                    cut < count
                        ? fmt::format(" ({} in the training split)", cut)
                        : std::string()));

  LoadedData loaded;
  DataSchema &schema = loaded.schema;
  schema.kind = "text";
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

//===----------------------------------------------------------------------===//
// sequences: labeled texts
//===----------------------------------------------------------------------===//

namespace {
/// One labeled text before it is encoded.
struct LabeledText {
  llvm::StringRef text;  // unescaped
  llvm::StringRef label; // a TSV cell or a class file's stem
  const std::string *file;
  int64_t line = 0, textColumn = 0, labelColumn = 0;
};
} // namespace

/// Undoes the TSV escapes \\ \t \n \r of a text cell.
static llvm::Expected<std::string> unescape(llvm::StringRef cell,
                                            const std::string &file,
                                            int64_t line, int64_t column) {
  std::string text;
  text.reserve(cell.size());
  for (size_t i = 0; i < cell.size(); ++i) {
    if (cell[i] != '\\') {
      text += cell[i];
      continue;
    }
    char next = i + 1 < cell.size() ? cell[i + 1] : '\0';
    switch (next) {
    case '\\':
      text += '\\';
      break;
    case 't':
      text += '\t';
      break;
    case 'n':
      text += '\n';
      break;
    case 'r':
      text += '\r';
      break;
    default:
      return makeLocatedError(
          file, line, column + static_cast<int64_t>(i),
          i + 1 < cell.size()
              ? fmt::format("unknown escape '\\{}' in a text: the texts of a "
                            "TSV file escape only \\\\, \\t, \\n and \\r",
                            next)
              : std::string("a text ends in a lone '\\'; write '\\\\' for "
                            "a backslash"));
    }
    ++i;
  }
  return text;
}

/// The rows of a `label<TAB>text` file; unescaped texts go to `storage`.
static llvm::Error readLabeledTsv(const DataFile &file,
                                  std::deque<std::string> &storage,
                                  std::vector<LabeledText> &rows) {
  llvm::StringRef rest = file.text;
  int64_t lineNumber = 0;
  std::optional<size_t> labelColumn, textColumn;
  size_t columns = 0;
  while (!rest.empty()) {
    llvm::StringRef line = takeLine(rest);
    ++lineNumber;
    if (line.trim(" \t").empty())
      continue;
    llvm::SmallVector<llvm::StringRef, 4> cells;
    line.split(cells, '\t');
    if (!labelColumn && !textColumn && columns == 0) {
      for (auto [index, cell] : llvm::enumerate(cells)) {
        if (cell.trim(" ") == "label")
          labelColumn = index;
        else if (cell.trim(" ") == "text")
          textColumn = index;
      }
      if (!labelColumn || !textColumn)
        return makeLocatedError(
            file.name, lineNumber, 1,
            fmt::format("expected a header row naming the columns 'label' "
                        "and 'text' (separated by a tab), found '{}'",
                        line.take_front(60).str()));
      columns = cells.size();
      continue;
    }
    if (cells.size() != columns) {
      int64_t column = 1 + static_cast<int64_t>(line.size());
      if (cells.size() > columns)
        column = 1 + static_cast<int64_t>(cells[columns].data() - line.data());
      return makeLocatedError(
          file.name, lineNumber, column,
          fmt::format("ragged row: {} cells, but the header has {} columns "
                      "(texts escape a tab as \\t)",
                      cells.size(), columns));
    }
    LabeledText row;
    row.file = &file.name;
    row.line = lineNumber;
    llvm::StringRef label = cells[*labelColumn];
    row.labelColumn = 1 + static_cast<int64_t>(label.data() - line.data());
    row.label = label.trim(" ");
    if (row.label.empty())
      return makeLocatedError(file.name, lineNumber, row.labelColumn,
                              "empty label");
    llvm::StringRef cell = cells[*textColumn];
    row.textColumn = 1 + static_cast<int64_t>(cell.data() - line.data());
    auto text = unescape(cell, file.name, lineNumber, row.textColumn);
    if (!text)
      return text.takeError();
    storage.push_back(std::move(*text));
    row.text = storage.back();
    rows.push_back(row);
  }
  if (!labelColumn)
    return makeLocatedError(file.name, 1, 1,
                            "empty data file: expected a header row "
                            "'label<TAB>text', then one labeled text a line");
  if (rows.empty())
    return makeLocatedError(file.name, lineNumber, 1,
                            "no data rows after the header");
  return llvm::Error::success();
}

/// The texts of a class file, one a line (blank lines skipped), labeled by
/// the file's stem.
static llvm::Error readClassFile(const DataFile &file, llvm::StringRef label,
                                 std::vector<LabeledText> &rows) {
  llvm::StringRef rest = file.text;
  int64_t lineNumber = 0;
  size_t before = rows.size();
  while (!rest.empty()) {
    llvm::StringRef line = takeLine(rest);
    ++lineNumber;
    if (line.trim(" \t").empty())
      continue;
    LabeledText row;
    row.text = line;
    row.label = label;
    row.file = &file.name;
    row.line = lineNumber;
    row.textColumn = 1;
    row.labelColumn = 1;
    rows.push_back(row);
  }
  if (rows.size() == before)
    return makeLocatedError(file.name, 1, 1,
                            fmt::format("empty class file: expected one text "
                                        "of class '{}' a line",
                                        label.str()));
  return llvm::Error::success();
}

static llvm::Expected<LoadedData> parseSequences(const DataSpec &spec,
                                                 llvm::ArrayRef<DataFile> files,
                                                 const DataOptions &options) {
  bool classFiles = !spec.classFiles.empty();
  std::deque<std::string> storage;
  std::vector<std::string> stems;
  // parts[0]: the single file's (or every class file's) rows, or the
  // training file's; parts[1]: the validation file's.
  std::vector<std::vector<LabeledText>> parts(1);
  if (classFiles) {
    if (files.size() != spec.classFiles.size())
      return makeError("expected {} class files, got {}",
                       spec.classFiles.size(), files.size());
    std::set<std::string> seen;
    for (const DataFile &file : files) {
      stems.push_back(llvm::sys::path::stem(file.name).str());
      if (!seen.insert(stems.back()).second)
        return errorAtLoc(spec.loc,
                          fmt::format("two class files are named '{}'; a "
                                      "class file's name is its class",
                                      stems.back()));
    }
    if (files.size() < 2 && !options.schema)
      return errorAtLoc(spec.loc, "classes = [...] needs at least 2 files, "
                                  "one per class");
    for (auto [file, stem] : llvm::zip(files, stems))
      if (llvm::Error error = readClassFile(file, stem, parts[0]))
        return std::move(error);
  } else {
    for (auto [index, file] : llvm::enumerate(files)) {
      if (index == 1)
        parts.emplace_back();
      if (llvm::Error error = readLabeledTsv(file, storage, parts[index]))
        return std::move(error);
    }
  }

  LoadedData loaded;
  DataSchema &schema = loaded.schema;
  schema.kind = "sequences";
  schema.unit = spec.unit;
  schema.maxLength = spec.maxLength;
  schema.targetKind = TargetKind::ClassIndex;

  // Classes: the checkpoint's, else those of every file.
  LabelClasses classes;
  if (options.schema) {
    classes = LabelClasses::fromNames(options.schema->classes);
  } else {
    std::vector<llvm::StringRef> labels;
    std::set<llvm::StringRef> distinct;
    for (const auto &part : parts)
      for (const LabeledText &row : part)
        if (distinct.insert(row.label).second)
          labels.push_back(row.label);
    classes = LabelClasses::fromLabels(labels);
    if (classes.names().size() < 2)
      return errorAtLoc(
          spec.loc.file.empty() ? SourceLoc{files[0].name, 1, 1} : spec.loc,
          fmt::format("the data has {} class{}; classification needs at "
                      "least 2",
                      classes.names().size(),
                      classes.names().size() == 1 ? "" : "es"));
  }
  schema.classes = classes.names();

  // The units of every text, cut to maxLength.
  std::vector<std::vector<std::vector<llvm::StringRef>>> units(parts.size());
  std::vector<std::vector<int64_t>> labels(parts.size());
  for (auto [index, part] : llvm::enumerate(parts))
    for (const LabeledText &row : part) {
      std::vector<llvm::StringRef> rowUnits = splitUnits(row.text, spec.unit);
      if (rowUnits.empty())
        return makeLocatedError(*row.file, row.line, row.textColumn,
                                fmt::format("empty text: a sequence needs at "
                                            "least one {}",
                                            spec.unit));
      if (spec.maxLength > 0 &&
          static_cast<int64_t>(rowUnits.size()) > spec.maxLength)
        rowUnits.resize(spec.maxLength);
      int64_t label = classes.index(row.label);
      if (label < 0)
        return makeLocatedError(
            *row.file, row.line, row.labelColumn,
            fmt::format("label '{}' is not one of the {} classes the model "
                        "was trained on ({})",
                        row.label.str(), schema.classes.size(),
                        llvm::join(schema.classes, ", ")));
      units[index].push_back(std::move(rowUnits));
      labels[index].push_back(label);
    }

  // Which rows train: the training file's, else a seeded split.
  std::vector<int64_t> trainRows, validRows;
  std::string name =
      classFiles ? llvm::join(spec.classFiles, ", ") : files[0].name;
  if (parts.size() == 1) {
    auto split = splitFraction(spec, options);
    if (!split)
      return split.takeError();
    schema.split = *split;
    int64_t count = static_cast<int64_t>(units[0].size());
    std::tie(trainRows, validRows) = seededSplit(count, *split, options.seed);
    if (trainRows.empty())
      return errorAtLoc(spec.loc,
                        fmt::format("split {} of {} texts leaves none for "
                                    "training",
                                    *split, count));
  } else {
    trainRows.resize(units[0].size());
    std::iota(trainRows.begin(), trainRows.end(), 0);
  }

  schema.vocabulary =
      vocabularyFor(spec, options, [&](llvm::StringMap<int64_t> &counts) {
        for (int64_t row : trainRows)
          for (llvm::StringRef unit : units[0][row])
            ++counts[unit];
      });
  Vocabulary vocabulary(schema.vocabulary);
  auto select = [&](size_t part, llvm::ArrayRef<int64_t> rows,
                    std::string rowsName) {
    Dataset data =
        sequenceDataset(std::move(rowsName), 0, TargetKind::ClassIndex, 1,
                        /*stepTargets=*/false);
    for (int64_t row : rows) {
      for (llvm::StringRef unit : units[part][row])
        data.tokens.push_back(vocabulary.id(unit));
      data.targets.push_back(static_cast<double>(labels[part][row]));
      endRow(data);
    }
    return data;
  };
  if (parts.size() == 1) {
    bool whole = validRows.empty();
    loaded.train =
        select(0, trainRows, whole ? name : name + " (training split)");
    loaded.valid = select(0, validRows, name + " (validation split)");
  } else {
    loaded.train = select(0, trainRows, files[0].name);
    std::vector<int64_t> all(units[1].size());
    std::iota(all.begin(), all.end(), 0);
    loaded.valid = select(1, all, files[1].name);
  }
  return loaded;
}

//===----------------------------------------------------------------------===//
// series: windows of a numeric table
//===----------------------------------------------------------------------===//

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

static llvm::Expected<LoadedData> parseSeries(const DataSpec &spec,
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

  // The table in file order, raw: the csv reader with every row kept.
  DataSpec table = spec;
  table.kind = "csv";
  table.split = 1.0;
  table.standardize = false;
  DataOptions tableOptions;
  auto rows = parseData(table, file.text, file.name, "", "", tableOptions);
  if (!rows)
    return rows.takeError();
  const Dataset &all = rows->train;
  int64_t count = all.rows;
  int64_t features = all.numFeatures, targets = all.targetWidth;
  int64_t cut = trainCount(*split, count);
  int64_t window = spec.window;
  if (cut < window + 1)
    return errorAtLoc(
        spec.loc.file.empty() ? SourceLoc{file.name, 1, 1} : spec.loc,
        fmt::format("window = {} is longer than the series: a window needs "
                    "{} rows (x and the next row's y), but {} has {}{}",
                    window, window + 1, file.name, count,
                    cut < count
                        ? fmt::format(" ({} in the training split)", cut)
                        : std::string()));

  LoadedData loaded;
  DataSchema &schema = loaded.schema;
  schema.kind = "series";
  schema.window = window;
  schema.split = *split;
  schema.features = rows->schema.features;
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

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

llvm::Expected<LoadedData>
seqc::rt::parseSequenceData(const DataSpec &spec,
                            llvm::ArrayRef<DataFile> files,
                            const DataOptions &options) {
  if (files.empty())
    return errorAtLoc(spec.loc, "the data names no file");
  if (spec.kind != "series")
    if (llvm::Error error = checkUnit(spec))
      return std::move(error);
  if (llvm::Error error = checkSchemaKind(spec, options))
    return std::move(error);
  if (spec.kind == "text")
    return parseText(spec, files[0], options);
  if (spec.kind == "series")
    return parseSeries(spec, files[0], options);
  if (spec.kind == "sequences")
    return parseSequences(spec, files, options);
  return errorAtLoc(spec.loc,
                    fmt::format("'{}' is not a kind of sequence data (text, "
                                "sequences, series)",
                                spec.kind));
}

llvm::Expected<LoadedData>
seqc::rt::loadSequenceData(const DataSpec &spec, const DataOptions &options) {
  std::vector<std::string> paths;
  if (!spec.classFiles.empty() && spec.kind == "sequences") {
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
  if (spec.kind != "sequences" && files.size() > 1)
    return errorAtLoc(
        spec.loc,
        fmt::format("{} reads one file, split by position", spec.kind));
  // A training file alone: no validation split.
  if (spec.kind == "sequences" && spec.classFiles.empty() &&
      !spec.trainPath.empty() && spec.validPath.empty()) {
    DataSpec whole = spec;
    whole.split = 1.0;
    return parseSequenceData(whole, files, options);
  }
  return parseSequenceData(spec, files, options);
}

//===----------------------------------------------------------------------===//
// Batches
//===----------------------------------------------------------------------===//

int64_t seqc::rt::batchLength(const Dataset &data,
                              llvm::ArrayRef<int64_t> rows) {
  int64_t length = 0;
  for (int64_t row : rows)
    length = std::max(length, data.length(row));
  return length;
}

/// Checks that `type` is [?, ?] ++ `inner` sizes holding `width` values per
/// step; returns the batch's shape.
static llvm::Expected<llvm::SmallVector<int64_t, 4>>
timeMajorShape(const TensorType &type, int64_t steps, int64_t batch,
               int64_t width, bool allowFlat, llvm::StringRef inputName,
               llvm::StringRef what) {
  if (type.shape.size() < 2 || type.shape[0] != kDynamicSize ||
      type.shape[1] != kDynamicSize ||
      llvm::is_contained(llvm::ArrayRef(type.shape).drop_front(2),
                         kDynamicSize))
    return makeError("input '{}' has type {}; sequence data feeds time-major "
                     "inputs [T, N, ...] with static sizes after T and N",
                     inputName.str(), type.str());
  int64_t perStep = numElementsOf(llvm::ArrayRef(type.shape).drop_front(2));
  bool fits = perStep == width && (type.shape.size() > 2 || allowFlat);
  if (!fits)
    return makeError("input '{}' takes {} values per step ({}), but the data "
                     "has {} {}",
                     inputName.str(), perStep, type.str(), width, what.str());
  llvm::SmallVector<int64_t, 4> shape(type.shape);
  shape[0] = steps;
  shape[1] = batch;
  return shape;
}

/// A [T, N, width] tensor of `type` (or [T, N] when width is 1) with the
/// value `source(step)` for the real steps of each row, `pad` after them.
static llvm::Expected<Tensor>
gatherTimeMajor(const Dataset &data, llvm::ArrayRef<int64_t> rows,
                const TensorType &type, int64_t width, bool allowFlat,
                llvm::StringRef inputName, llvm::StringRef what, double pad,
                llvm::function_ref<double(int64_t step, int64_t j)> source) {
  int64_t steps = batchLength(data, rows);
  int64_t batch = static_cast<int64_t>(rows.size());
  auto shape =
      timeMajorShape(type, steps, batch, width, allowFlat, inputName, what);
  if (!shape)
    return shape.takeError();
  Tensor tensor(type.dtype, *shape);
  auto fill = [&](auto *out) {
    using T = std::remove_pointer_t<decltype(out)>;
    for (auto [n, row] : llvm::enumerate(rows)) {
      int64_t length = data.length(row), first = data.offsets[row];
      for (int64_t t = 0; t < steps; ++t) {
        T *slot = out + (t * batch + static_cast<int64_t>(n)) * width;
        for (int64_t j = 0; j < width; ++j)
          slot[j] = static_cast<T>(t < length ? source(first + t, j) : pad);
      }
    }
  };
  switch (type.dtype) {
  case DType::F32:
    fill(tensor.data<float>());
    break;
  case DType::F64:
    fill(tensor.data<double>());
    break;
  case DType::I32:
    fill(tensor.data<int32_t>());
    break;
  case DType::I64:
    fill(tensor.data<int64_t>());
    break;
  }
  return tensor;
}

llvm::Expected<Tensor> seqc::rt::gatherSteps(const Dataset &data,
                                             llvm::ArrayRef<int64_t> rows,
                                             const TensorType &type,
                                             llvm::StringRef inputName) {
  if (data.tokenSteps()) {
    if (isFloat(type.dtype))
      return makeError("input '{}' has type {}; the data's steps are token "
                       "ids, fed as an integer type",
                       inputName.str(), type.str());
    return gatherTimeMajor(data, rows, type, 1, /*allowFlat=*/true, inputName,
                           "token per step", static_cast<double>(kPadToken),
                           [&](int64_t step, int64_t) {
                             return static_cast<double>(data.tokens[step]);
                           });
  }
  if (!isFloat(type.dtype))
    return makeError("input '{}' has type {}; the data's steps are numbers, "
                     "fed as f32 or f64",
                     inputName.str(), type.str());
  return gatherTimeMajor(data, rows, type, data.numFeatures,
                         /*allowFlat=*/false, inputName, "features per step",
                         0.0, [&](int64_t step, int64_t j) {
                           return data.features[step * data.numFeatures + j];
                         });
}

llvm::Expected<Tensor> seqc::rt::gatherStepTargets(const Dataset &data,
                                                   llvm::ArrayRef<int64_t> rows,
                                                   const TensorType &type,
                                                   llvm::StringRef inputName) {
  bool ids = data.targetKind == TargetKind::ClassIndex;
  if (ids == isFloat(type.dtype))
    return makeError("input '{}' has type {}, but the data's targets are {}",
                     inputName.str(), type.str(),
                     ids ? "token ids (an integer type)"
                         : "numbers (a float type)");
  int64_t width = data.targetWidth;
  return gatherTimeMajor(
      data, rows, type, width, /*allowFlat=*/width == 1, inputName,
      "target values per step", ids ? static_cast<double>(kPadToken) : 0.0,
      [&](int64_t step, int64_t k) { return data.targets[step * width + k]; });
}

llvm::Expected<Tensor> seqc::rt::gatherMask(const Dataset &data,
                                            llvm::ArrayRef<int64_t> rows,
                                            const TensorType &type,
                                            llvm::StringRef inputName) {
  if (!isFloat(type.dtype))
    return makeError("input '{}' has type {}; the mask is f32 or f64",
                     inputName.str(), type.str());
  return gatherTimeMajor(data, rows, type, 1, /*allowFlat=*/true, inputName,
                         "mask value per step", 0.0,
                         [](int64_t, int64_t) { return 1.0; });
}

std::vector<std::vector<int64_t>>
seqc::rt::bucketedBatches(llvm::ArrayRef<int64_t> lengths, int64_t batch,
                          bool shuffle, Rng &rng) {
  int64_t rows = static_cast<int64_t>(lengths.size());
  std::vector<int64_t> order(rows);
  std::iota(order.begin(), order.end(), 0);
  if (shuffle) {
    for (int64_t i = rows - 1; i > 0; --i)
      std::swap(order[i], order[rng.below(static_cast<uint64_t>(i) + 1)]);
    int64_t chunk = kBucketBatches * batch;
    for (int64_t begin = 0; begin < rows; begin += chunk)
      std::stable_sort(
          order.begin() + begin, order.begin() + std::min(rows, begin + chunk),
          [&](int64_t a, int64_t b) { return lengths[a] < lengths[b]; });
  }
  std::vector<std::vector<int64_t>> batches;
  for (int64_t begin = 0; begin < rows; begin += batch)
    batches.emplace_back(order.begin() + begin,
                         order.begin() + std::min(rows, begin + batch));
  if (shuffle)
    for (int64_t i = static_cast<int64_t>(batches.size()) - 1; i > 0; --i)
      std::swap(batches[i], batches[rng.below(static_cast<uint64_t>(i) + 1)]);
  return batches;
}
