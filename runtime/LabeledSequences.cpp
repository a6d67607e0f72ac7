//===- LabeledSequences.cpp - sequences data: labeled texts ---------------===//
#include "DataLoaders.h"
#include "seqc/Runtime/Error.h"
#include "seqc/Runtime/SequenceData.h"
#include "seqc/Support/Lines.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Path.h"

#include <fmt/format.h>

#include <deque>
#include <numeric>
#include <set>

using namespace seqc;
using namespace seqc::rt;

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

llvm::Expected<LoadedData>
seqc::rt::parseSequences(const DataSpec &spec, llvm::ArrayRef<DataFile> files,
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
  schema.kind = DataSourceKind::Sequences;
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
  std::string name =
      classFiles ? llvm::join(spec.classFiles, ", ") : files[0].name;
  auto rows =
      trainingRows(spec, options, schema, static_cast<int64_t>(units[0].size()),
                   parts.size() > 1, "texts");
  if (!rows)
    return rows.takeError();
  std::vector<int64_t> trainRows = std::move(rows->first),
                       validRows = std::move(rows->second);

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
