//===- Data.cpp - Tables of training data ---------------------------------===//
#include "seqc/Runtime/Data.h"
#include "seqc/Runtime/Error.h"
#include "seqc/Support/Lines.h"
#include "seqc/Support/ReadFile.h"

#include "seqc/Runtime/Random.h"
#include "seqc/Runtime/SequenceData.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/ConvertUTF.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>

using namespace seqc;
using namespace seqc::rt;

char LocatedError::ID = 0;

void LocatedError::log(llvm::raw_ostream &os) const {
  os << file << ":" << line << ":" << column << ": error: " << message;
}

std::error_code LocatedError::convertToErrorCode() const {
  return llvm::inconvertibleErrorCode();
}

llvm::Error seqc::rt::makeLocatedError(llvm::StringRef file, int64_t line,
                                       int64_t column,
                                       const std::string &message) {
  return llvm::make_error<LocatedError>(file.str(), line, column, message);
}

llvm::Error seqc::rt::errorAtLoc(const SourceLoc &loc,
                                 const std::string &message) {
  if (loc.file.empty())
    return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
  return makeLocatedError(loc.file, loc.line, loc.col, message);
}

//===----------------------------------------------------------------------===//
// Tables of text cells
//===----------------------------------------------------------------------===//

namespace {
struct Cell {
  llvm::StringRef text; // unquoted, without surrounding blanks
  int64_t column;       // 1-based character column of the cell's start
};

struct Row {
  int64_t line;
  llvm::SmallVector<Cell, 16> cells;
};

/// A delimited text file: the header's cells and each data row's, as text.
struct TextTable {
  std::string fileName;
  int64_t headerLine = 0;
  llvm::SmallVector<Cell, 16> header;
  std::vector<Row> rows;
  std::unique_ptr<llvm::MemoryBuffer> buffer;
  std::deque<std::string> unescaped; // quoted cells with "" inside

  llvm::Error errorAt(int64_t line, int64_t column,
                      const std::string &message) const {
    return makeLocatedError(fileName, line, column, message);
  }
  /// The header cell of column `index`, quoted for messages.
  std::string columnName(size_t index) const {
    return "'" + header[index].text.str() + "'";
  }
};
} // namespace

/// Splits one line into cells at `separator`, honouring double quotes
/// ("a, b" and "say ""hi""").
static llvm::Error splitCells(TextTable &table, llvm::StringRef line,
                              int64_t lineNumber, char separator,
                              llvm::SmallVectorImpl<Cell> &cells) {
  const char *blanks = separator == '\t' ? " " : " \t";
  size_t position = 0;
  while (true) {
    size_t start = line.find_first_not_of(blanks, position);
    if (start == llvm::StringRef::npos)
      start = line.size();
    if (start < line.size() && line[start] == '"') {
      size_t search = start + 1;
      bool escaped = false;
      size_t close;
      while (true) {
        close = line.find('"', search);
        if (close == llvm::StringRef::npos)
          return table.errorAt(lineNumber, start + 1,
                               "unterminated quoted cell");
        if (close + 1 < line.size() && line[close + 1] == '"') {
          escaped = true;
          search = close + 2;
          continue;
        }
        break;
      }
      llvm::StringRef text = line.slice(start + 1, close);
      if (escaped) {
        std::string unescaped;
        for (size_t i = 0; i < text.size(); ++i) {
          unescaped += text[i];
          if (text[i] == '"')
            ++i;
        }
        table.unescaped.push_back(std::move(unescaped));
        text = table.unescaped.back();
      }
      cells.push_back({text, static_cast<int64_t>(start + 1)});
      size_t next = line.find_first_not_of(blanks, close + 1);
      if (next == llvm::StringRef::npos)
        return llvm::Error::success();
      if (line[next] != separator)
        return table.errorAt(lineNumber, next + 1,
                             "unexpected text after a quoted cell");
      position = next + 1;
      continue;
    }
    size_t end = line.find(separator, start);
    llvm::StringRef raw = line.slice(start, end);
    cells.push_back({raw.rtrim(blanks), static_cast<int64_t>(start + 1)});
    if (end == llvm::StringRef::npos)
      return llvm::Error::success();
    position = end + 1;
  }
}

static std::optional<double> parseNumber(llvm::StringRef text);

/// Reads the header and the rows; blank lines and `#` comment lines are
/// skipped. Every row must have as many cells as the header.
static llvm::Error parseTable(TextTable &table, char separator) {
  llvm::StringRef rest = table.buffer->getBuffer();
  int64_t lineNumber = 0;
  bool sawHeader = false;
  while (!rest.empty()) {
    llvm::StringRef line = takeLine(rest);
    ++lineNumber;
    llvm::StringRef content = line.trim(" \t");
    if (content.empty() || content.starts_with("#"))
      continue;
    llvm::SmallVector<Cell, 16> cells;
    if (llvm::Error error =
            splitCells(table, line, lineNumber, separator, cells))
      return error;

    if (!sawHeader) {
      sawHeader = true;
      table.headerLine = lineNumber;
      if (llvm::all_of(cells, [](const Cell &cell) {
            return parseNumber(cell.text).has_value();
          }))
        return table.errorAt(lineNumber, 1,
                             "expected a header row naming the columns, "
                             "found numbers");
      llvm::StringMap<int64_t> seen;
      for (const Cell &cell : cells) {
        if (cell.text.empty())
          return table.errorAt(lineNumber, cell.column,
                               "empty column name in the header");
        auto [it, inserted] = seen.try_emplace(cell.text, cell.column);
        if (!inserted)
          return table.errorAt(
              lineNumber, cell.column,
              fmt::format("duplicate column '{}' (also at column {})",
                          cell.text.str(), it->second));
      }
      table.header = std::move(cells);
      continue;
    }

    size_t expected = table.header.size();
    if (cells.size() != expected) {
      int64_t column = cells.size() > expected
                           ? cells[expected].column
                           : static_cast<int64_t>(line.size()) + 1;
      return table.errorAt(
          lineNumber, column,
          fmt::format("ragged row: {} cell{}, but the header has {} columns",
                      cells.size(), cells.size() == 1 ? "" : "s", expected));
    }
    table.rows.push_back({lineNumber, std::move(cells)});
  }
  if (!sawHeader)
    return table.errorAt(1, 1,
                         "empty data file: expected a header row naming the "
                         "columns, then rows of values");
  if (table.rows.empty())
    return table.errorAt(lineNumber, 1, "no data rows after the header");
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Cells as numbers
//===----------------------------------------------------------------------===//

/// The cell as a double: std::nullopt when it is not a number at all; NaN
/// and infinities (also from overflow) are returned as such.
static std::optional<double> parseNumber(llvm::StringRef text) {
  if (text.starts_with("+"))
    text = text.drop_front();
  if (text.empty())
    return std::nullopt;
  double value = 0;
  auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (end != text.data() + text.size())
    return std::nullopt;
  if (error == std::errc::result_out_of_range) {
    // Overflow becomes an infinity, underflow a (sub)normal or zero.
    std::string copy = text.str();
    return std::strtod(copy.c_str(), nullptr);
  }
  if (error != std::errc())
    return std::nullopt;
  return value;
}

/// A finite number (within f32's range for an f32 model), or an error at
/// the cell.
static llvm::Expected<double> readNumber(const TextTable &table, const Row &row,
                                         size_t column, bool float32) {
  const Cell &cell = row.cells[column];
  std::string name = table.columnName(column);
  if (cell.text.empty())
    return table.errorAt(row.line, cell.column,
                         fmt::format("empty cell in column {}", name));
  std::optional<double> value = parseNumber(cell.text);
  if (!value)
    return table.errorAt(row.line, cell.column,
                         fmt::format("'{}' in column {} is not a number",
                                     cell.text.str(), name));
  if (std::isnan(*value))
    return table.errorAt(row.line, cell.column,
                         fmt::format("NaN in column {}; the data must be "
                                     "finite numbers",
                                     name));
  if (std::isinf(*value))
    return table.errorAt(row.line, cell.column,
                         fmt::format("'{}' in column {} is infinite; the data "
                                     "must be finite numbers",
                                     cell.text.str(), name));
  if (float32 && std::fabs(*value) > std::numeric_limits<float>::max())
    return table.errorAt(
        row.line, cell.column,
        fmt::format("'{}' in column {} is beyond the range of f32 (about "
                    "+-3.4e38), which the model computes in; scale the data "
                    "or compile with --f64",
                    cell.text.str(), name));
  return *value;
}

//===----------------------------------------------------------------------===//
// Schema
//===----------------------------------------------------------------------===//

int64_t DataSchema::targetWidth() const {
  switch (targetKind) {
  case TargetKind::None:
    return 0;
  case TargetKind::ClassIndex:
  case TargetKind::Scalar:
    return 1;
  case TargetKind::Vector:
  case TargetKind::MultiLabel:
    return static_cast<int64_t>(targets.size());
  }
  return 0;
}

std::vector<std::pair<std::string, int64_t>> DataSchema::dataDims() const {
  std::vector<std::pair<std::string, int64_t>> dims;
  if (kind == "text" || kind == "sequences") {
    dims.emplace_back("vocab", static_cast<int64_t>(vocabulary.size()));
    if (kind == "sequences")
      dims.emplace_back("classes", static_cast<int64_t>(classes.size()));
    return dims;
  }
  dims.emplace_back("features", static_cast<int64_t>(features.size()));
  switch (targetKind) {
  case TargetKind::None:
    break;
  case TargetKind::ClassIndex:
    dims.emplace_back("classes", static_cast<int64_t>(classes.size()));
    break;
  case TargetKind::Scalar:
    dims.emplace_back("targets", 1);
    break;
  case TargetKind::Vector:
    dims.emplace_back("targets", static_cast<int64_t>(targets.size()));
    break;
  case TargetKind::MultiLabel:
    dims.emplace_back("classes", static_cast<int64_t>(targets.size()));
    dims.emplace_back("targets", static_cast<int64_t>(targets.size()));
    break;
  }
  return dims;
}

static llvm::StringRef targetKindName(TargetKind kind) {
  switch (kind) {
  case TargetKind::None:
    return "none";
  case TargetKind::ClassIndex:
    return "label";
  case TargetKind::Scalar:
    return "target";
  case TargetKind::Vector:
    return "targets";
  case TargetKind::MultiLabel:
    return "labels";
  }
  return "none";
}

static std::string jsonStrings(llvm::ArrayRef<std::string> values) {
  llvm::json::Array array;
  for (const std::string &value : values)
    array.push_back(value);
  return llvm::formatv("{0}", llvm::json::Value(std::move(array))).str();
}

/// A vocabulary unit as JSON can hold it: JSON strings are UTF-8, and a
/// char unit is one byte. A backslash is written \\ and every byte outside
/// a valid UTF-8 sequence \xNN (two hex digits).
static std::string escapeUnit(llvm::StringRef unit) {
  std::string text;
  for (size_t i = 0; i < unit.size();) {
    auto *begin = reinterpret_cast<const llvm::UTF8 *>(unit.data() + i);
    unsigned length = llvm::getNumBytesForUTF8(*begin);
    if (unit[i] == '\\') {
      text += "\\\\";
      ++i;
    } else if (length > 1 && i + length <= unit.size() &&
               llvm::isLegalUTF8Sequence(begin, begin + length)) {
      text += unit.substr(i, length).str();
      i += length;
    } else if (static_cast<unsigned char>(unit[i]) >= 0x80) {
      text += fmt::format("\\x{:02X}", static_cast<unsigned char>(unit[i]));
      ++i;
    } else {
      text += unit[i++];
    }
  }
  return text;
}

/// The unit escapeUnit wrote, or std::nullopt for a bad escape.
static std::optional<std::string> unescapeUnit(llvm::StringRef text) {
  std::string unit;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      unit += text[i];
      continue;
    }
    unsigned byte = 0;
    llvm::StringRef hex = text.substr(i + 2, 2);
    if (text.substr(i + 1, 1) == "\\") {
      unit += '\\';
      i += 1;
    } else if (text.substr(i + 1, 1) == "x" && hex.size() == 2 &&
               !hex.getAsInteger(16, byte)) {
      unit += static_cast<char>(byte);
      i += 3;
    } else {
      return std::nullopt;
    }
  }
  return unit;
}

/// Doubles in JSON with 17 significant digits, so that they read back
/// bit for bit.
static std::string jsonDoubles(llvm::ArrayRef<double> values) {
  std::vector<std::string> texts;
  for (double value : values)
    texts.push_back(fmt::format("{:.17g}", value));
  return "[" + llvm::join(texts, ",") + "]";
}

void DataSchema::toMetadata(MetadataMap &metadata) const {
  metadata["seqc.data.features"] = jsonStrings(features);
  metadata["seqc.data.target_kind"] = targetKindName(targetKind).str();
  metadata["seqc.data.targets"] = jsonStrings(targets);
  metadata["seqc.data.classes"] = jsonStrings(classes);
  metadata["seqc.data.mean"] = jsonDoubles(mean);
  metadata["seqc.data.std"] = jsonDoubles(stddev);
  metadata["seqc.data.split"] = fmt::format("{:.17g}", split);
  if (!isSequence())
    return;
  metadata["seqc.data.kind"] = kind;
  metadata["seqc.data.unit"] = unit;
  metadata["seqc.data.window"] = std::to_string(window);
  metadata["seqc.data.max_length"] = std::to_string(maxLength);
  std::vector<std::string> units;
  for (const std::string &unit : vocabulary)
    units.push_back(escapeUnit(unit));
  metadata["seqc.data.vocabulary"] = jsonStrings(units);
  metadata["seqc.data.target_mean"] = jsonDoubles(targetMean);
  metadata["seqc.data.target_std"] = jsonDoubles(targetStddev);
}

llvm::Expected<DataSchema> DataSchema::fromMetadata(const MetadataMap &metadata,
                                                    llvm::StringRef path) {
  auto corrupt = [&](llvm::StringRef key, llvm::StringRef what) {
    return makeError("{}: corrupt checkpoint: metadata '{}' {}", path.str(),
                     key.str(), what.str());
  };
  auto getArray =
      [&](llvm::StringRef key) -> llvm::Expected<llvm::json::Array> {
    auto it = metadata.find(key);
    if (it == metadata.end())
      return corrupt(key, "is missing");
    llvm::Expected<llvm::json::Value> value = llvm::json::parse(it->second);
    if (!value) {
      llvm::consumeError(value.takeError());
      return corrupt(key, "is not JSON");
    }
    if (!value->getAsArray())
      return corrupt(key, "is not a JSON list");
    return std::move(*value->getAsArray());
  };
  auto getStrings = [&](llvm::StringRef key,
                        std::vector<std::string> &out) -> llvm::Error {
    auto array = getArray(key);
    if (!array)
      return array.takeError();
    for (const llvm::json::Value &value : *array) {
      std::optional<llvm::StringRef> text = value.getAsString();
      if (!text)
        return corrupt(key, "is not a list of strings");
      out.push_back(text->str());
    }
    return llvm::Error::success();
  };
  auto getDoubles = [&](llvm::StringRef key,
                        std::vector<double> &out) -> llvm::Error {
    auto array = getArray(key);
    if (!array)
      return array.takeError();
    for (const llvm::json::Value &value : *array) {
      std::optional<double> number = value.getAsNumber();
      if (!number)
        return corrupt(key, "is not a list of numbers");
      out.push_back(*number);
    }
    return llvm::Error::success();
  };

  DataSchema schema;
  if (llvm::Error error = getStrings("seqc.data.features", schema.features))
    return std::move(error);
  if (llvm::Error error = getStrings("seqc.data.targets", schema.targets))
    return std::move(error);
  if (llvm::Error error = getStrings("seqc.data.classes", schema.classes))
    return std::move(error);
  if (llvm::Error error = getDoubles("seqc.data.mean", schema.mean))
    return std::move(error);
  if (llvm::Error error = getDoubles("seqc.data.std", schema.stddev))
    return std::move(error);
  auto kind = metadata.find("seqc.data.target_kind");
  if (kind == metadata.end())
    return corrupt("seqc.data.target_kind", "is missing");
  std::optional<TargetKind> targetKind;
  for (TargetKind candidate :
       {TargetKind::None, TargetKind::ClassIndex, TargetKind::Scalar,
        TargetKind::Vector, TargetKind::MultiLabel})
    if (targetKindName(candidate) == kind->second)
      targetKind = candidate;
  if (!targetKind)
    return corrupt("seqc.data.target_kind", "is not a target kind");
  schema.targetKind = *targetKind;
  auto split = metadata.find("seqc.data.split");
  if (split != metadata.end() &&
      (llvm::StringRef(split->second).getAsDouble(schema.split) ||
       !(schema.split > 0 && schema.split <= 1)))
    return corrupt("seqc.data.split", "is not a fraction");
  if (schema.mean.size() != schema.stddev.size() ||
      (!schema.mean.empty() && schema.mean.size() != schema.features.size()))
    return corrupt("seqc.data.mean",
                   "does not match the features and their deviations");

  // Sequence data; checkpoints of tables have none of these keys.
  auto kindText = metadata.find("seqc.data.kind");
  if (kindText == metadata.end())
    return schema;
  schema.kind = kindText->second;
  if (!schema.isSequence())
    return corrupt("seqc.data.kind", "is not a kind of sequence data");
  auto unit = metadata.find("seqc.data.unit");
  if (unit == metadata.end())
    return corrupt("seqc.data.unit", "is missing");
  schema.unit = unit->second;
  for (auto [key, field] : {std::pair<llvm::StringRef, int64_t *>{
                                "seqc.data.window", &schema.window},
                            {"seqc.data.max_length", &schema.maxLength}}) {
    auto it = metadata.find(key);
    if (it == metadata.end() ||
        llvm::StringRef(it->second).getAsInteger(10, *field) || *field < 0)
      return corrupt(key, "is missing or not a count");
  }
  std::vector<std::string> units;
  if (llvm::Error error = getStrings("seqc.data.vocabulary", units))
    return std::move(error);
  for (const std::string &text : units) {
    std::optional<std::string> unit = unescapeUnit(text);
    if (!unit)
      return corrupt("seqc.data.vocabulary",
                     "has a unit with a bad escape (\\\\ or \\xNN)");
    schema.vocabulary.push_back(std::move(*unit));
  }
  if (llvm::Error error =
          getDoubles("seqc.data.target_mean", schema.targetMean))
    return std::move(error);
  if (llvm::Error error =
          getDoubles("seqc.data.target_std", schema.targetStddev))
    return std::move(error);
  if (schema.kind != "series" && schema.vocabulary.size() < 2)
    return corrupt("seqc.data.vocabulary", "lacks <pad> and <unk>");
  if (schema.targetMean.size() != schema.targetStddev.size() ||
      (!schema.targetMean.empty() &&
       schema.targetMean.size() != schema.targets.size()))
    return corrupt("seqc.data.target_mean",
                   "does not match the targets and their deviations");
  return schema;
}

//===----------------------------------------------------------------------===//
// Loading
//===----------------------------------------------------------------------===//

namespace {
/// Where each wanted column is in one file.
struct ColumnMap {
  std::vector<size_t> features;
  std::vector<size_t> targets;
};

/// A label value as a class key: a number in its shortest form when every
/// label is numeric, so that "1" and "1.0" are one class; the text otherwise.
struct LabelKeys {
  bool numeric = true;
  std::string key(llvm::StringRef text) const {
    if (numeric)
      if (std::optional<double> value = parseNumber(text))
        return fmt::format("{}", *value);
    return text.str();
  }
};
} // namespace

LabelClasses LabelClasses::fromLabels(llvm::ArrayRef<llvm::StringRef> labels) {
  LabelClasses classes;
  for (llvm::StringRef label : labels) {
    std::optional<double> value = parseNumber(label);
    classes.numeric &= value && std::isfinite(*value);
  }
  std::map<double, std::string> numeric;
  std::map<std::string, int, std::less<>> textual;
  for (llvm::StringRef label : labels) {
    if (classes.numeric)
      numeric.emplace(*parseNumber(label), classes.key(label));
    else
      textual.emplace(label.str(), 0);
  }
  for (const auto &entry : numeric)
    classes.classNames.push_back(entry.second);
  for (const auto &entry : textual)
    classes.classNames.push_back(entry.first);
  for (auto [index, name] : llvm::enumerate(classes.classNames))
    classes.byKey[name] = static_cast<int64_t>(index);
  return classes;
}

LabelClasses LabelClasses::fromNames(llvm::ArrayRef<std::string> names) {
  LabelClasses classes;
  for (const std::string &name : names)
    classes.numeric &= parseNumber(name).has_value();
  classes.classNames = names.vec();
  for (auto [index, name] : llvm::enumerate(classes.classNames))
    classes.byKey[name] = static_cast<int64_t>(index);
  return classes;
}

std::string LabelClasses::key(llvm::StringRef label) const {
  return LabelKeys{numeric}.key(label);
}

int64_t LabelClasses::index(llvm::StringRef label) const {
  auto it = byKey.find(key(label));
  if (it == byKey.end())
    it = byKey.find(label);
  return it == byKey.end() ? -1 : it->second;
}

static llvm::Expected<ColumnMap>
mapColumns(const TextTable &table, llvm::ArrayRef<std::string> features,
           llvm::ArrayRef<std::string> targets) {
  llvm::StringMap<size_t> byName;
  for (auto [index, cell] : llvm::enumerate(table.header))
    byName[cell.text] = index;
  std::vector<std::string> names;
  for (const Cell &cell : table.header)
    names.push_back(cell.text.str());
  auto find = [&](const std::string &name,
                  llvm::StringRef role) -> llvm::Expected<size_t> {
    auto it = byName.find(name);
    if (it == byName.end())
      return table.errorAt(
          table.headerLine, 1,
          fmt::format("no column '{}' ({}) in the header; the columns are: {}",
                      name, role.str(), llvm::join(names, ", ")));
    return it->second;
  };
  ColumnMap map;
  for (const std::string &name : features) {
    auto index = find(name, "a feature");
    if (!index)
      return index.takeError();
    map.features.push_back(*index);
  }
  for (const std::string &name : targets) {
    auto index = find(name, "a target");
    if (!index)
      return index.takeError();
    map.targets.push_back(*index);
  }
  return map;
}

/// Reads the features and numeric targets of every row of `table` into
/// `data`; class labels are left to mapLabels.
static llvm::Error readRows(const TextTable &table, const ColumnMap &columns,
                            TargetKind kind, bool float32, Dataset &data) {
  data.rows = static_cast<int64_t>(table.rows.size());
  data.numFeatures = static_cast<int64_t>(columns.features.size());
  data.targetKind = kind;
  data.features.reserve(data.rows * data.numFeatures);
  for (const Row &row : table.rows) {
    for (size_t column : columns.features) {
      auto value = readNumber(table, row, column, float32);
      if (!value)
        return value.takeError();
      data.features.push_back(*value);
    }
    if (kind != TargetKind::Vector && kind != TargetKind::Scalar &&
        kind != TargetKind::MultiLabel)
      continue;
    for (size_t column : columns.targets) {
      auto value = readNumber(table, row, column, float32);
      if (!value)
        return value.takeError();
      if (kind == TargetKind::MultiLabel && *value != 0.0 && *value != 1.0)
        return table.errorAt(
            row.line, row.cells[column].column,
            fmt::format("label '{}' in column {} is out of range: the "
                        "columns of `labels` hold 0 or 1",
                        row.cells[column].text.str(),
                        table.columnName(column)));
      data.targets.push_back(*value);
    }
  }
  return llvm::Error::success();
}

/// Gives each row of `table` its class index in `data.targets`.
static llvm::Error mapLabels(const TextTable &table, size_t column,
                             const LabelKeys &keys,
                             const llvm::StringMap<int64_t> &classIndex,
                             llvm::ArrayRef<std::string> classes,
                             bool fromCheckpoint, Dataset &data) {
  data.targets.reserve(data.rows);
  for (const Row &row : table.rows) {
    const Cell &cell = row.cells[column];
    if (cell.text.empty())
      return table.errorAt(
          row.line, cell.column,
          fmt::format("empty label in column {}", table.columnName(column)));
    auto it = classIndex.find(keys.key(cell.text));
    if (it == classIndex.end())
      it = classIndex.find(cell.text);
    if (it == classIndex.end()) {
      std::string known = llvm::join(classes.take_front(10), ", ");
      if (classes.size() > 10)
        known += ", ...";
      return table.errorAt(
          row.line, cell.column,
          fmt::format("label '{}' in column {} is out of range: it is not "
                      "one of the {} classes {} ({})",
                      cell.text.str(), table.columnName(column), classes.size(),
                      fromCheckpoint ? "the model was trained on"
                                     : "of the training data",
                      known));
    }
    data.targets.push_back(static_cast<double>(it->second));
  }
  return llvm::Error::success();
}

/// Keeps the rows of `data` at `rows`, in that order.
static Dataset selectRows(const Dataset &data, llvm::ArrayRef<int64_t> rows,
                          std::string name) {
  Dataset result;
  result.name = std::move(name);
  result.rows = static_cast<int64_t>(rows.size());
  result.numFeatures = data.numFeatures;
  result.targetKind = data.targetKind;
  result.targetWidth = data.targetWidth;
  for (int64_t row : rows) {
    result.features.insert(result.features.end(), data.featureRow(row),
                           data.featureRow(row) + data.numFeatures);
    result.targets.insert(result.targets.end(), data.targetRow(row),
                          data.targetRow(row) + data.targetWidth);
  }
  return result;
}

static void standardize(Dataset &data, const DataSchema &schema) {
  if (schema.mean.empty())
    return;
  for (int64_t row = 0; row < data.rows; ++row)
    for (int64_t column = 0; column < data.numFeatures; ++column) {
      double &value = data.features[row * data.numFeatures + column];
      value = (value - schema.mean[column]) / schema.stddev[column];
    }
}

/// Mean and (population) standard deviation of each feature; a constant
/// feature gets a deviation of 1 so that it maps to 0.
static void computeStatistics(const Dataset &data, DataSchema &schema) {
  int64_t count = data.numFeatures;
  schema.mean.assign(count, 0.0);
  schema.stddev.assign(count, 0.0);
  for (int64_t column = 0; column < count; ++column) {
    double sum = 0.0;
    for (int64_t row = 0; row < data.rows; ++row)
      sum += data.features[row * count + column];
    double mean = sum / static_cast<double>(data.rows);
    double squares = 0.0;
    for (int64_t row = 0; row < data.rows; ++row) {
      double delta = data.features[row * count + column] - mean;
      squares += delta * delta;
    }
    double stddev = std::sqrt(squares / static_cast<double>(data.rows));
    schema.mean[column] = mean;
    schema.stddev[column] =
        stddev > 0.0 && std::isfinite(stddev) ? stddev : 1.0;
  }
}

static llvm::Expected<LoadedData> loadTables(const DataSpec &spec,
                                             TextTable &first,
                                             TextTable *second,
                                             const DataOptions &options) {
  LoadedData loaded;
  DataSchema &schema = loaded.schema;
  schema.targetKind = spec.targetKind;
  schema.targets = spec.targets;

  // Features: as listed, else the checkpoint's, else every other column.
  if (!spec.features.empty()) {
    schema.features = spec.features;
    if (options.schema && options.schema->features != spec.features)
      return errorAtLoc(
          spec.loc,
          fmt::format("the model was trained on the features {}, but the "
                      "train block lists {}",
                      jsonStrings(options.schema->features),
                      jsonStrings(spec.features)));
  } else if (options.schema) {
    schema.features = options.schema->features;
  } else {
    for (const Cell &cell : first.header)
      if (!llvm::is_contained(spec.targets, cell.text))
        schema.features.push_back(cell.text.str());
  }
  if (schema.features.empty())
    return first.errorAt(first.headerLine, 1,
                         "no feature columns: every column is a target");
  if (options.schema && (options.schema->targetKind != spec.targetKind ||
                         options.schema->targets != spec.targets))
    return errorAtLoc(
        spec.loc, fmt::format("the model was trained on the {} {}, but "
                              "the train block names the {} {}",
                              targetKindName(options.schema->targetKind).str(),
                              jsonStrings(options.schema->targets),
                              targetKindName(spec.targetKind).str(),
                              jsonStrings(spec.targets)));

  std::vector<TextTable *> tables{&first};
  if (second)
    tables.push_back(second);
  std::vector<ColumnMap> columns;
  std::vector<Dataset> parts(tables.size());
  for (auto [index, table] : llvm::enumerate(tables)) {
    auto map = mapColumns(*table, schema.features, schema.targets);
    if (!map)
      return map.takeError();
    columns.push_back(*map);
    if (llvm::Error error = readRows(*table, *map, spec.targetKind,
                                     options.float32, parts[index]))
      return std::move(error);
    parts[index].targetWidth = schema.targetWidth();
    parts[index].name = table->fileName;
  }

  if (spec.targetKind == TargetKind::ClassIndex) {
    LabelKeys keys;
    llvm::StringMap<int64_t> classIndex;
    if (options.schema) {
      schema.classes = options.schema->classes;
      for (const std::string &name : schema.classes)
        keys.numeric &= parseNumber(name).has_value();
    } else {
      // Distinct labels of the training file (a validation file's label
      // that training never saw is an error in mapLabels): numeric order
      // when all are numbers.
      size_t labels = columns[0].targets[0];
      for (const Row &row : first.rows) {
        std::optional<double> value = parseNumber(row.cells[labels].text);
        keys.numeric &= value && std::isfinite(*value);
      }
      std::map<double, std::string> numeric;
      std::map<std::string, int, std::less<>> textual;
      for (const Row &row : first.rows) {
        llvm::StringRef text = row.cells[labels].text;
        if (text.empty())
          continue; // reported by mapLabels
        if (keys.numeric)
          numeric.emplace(*parseNumber(text), keys.key(text));
        else
          textual.emplace(text.str(), 0);
      }
      for (const auto &entry : numeric)
        schema.classes.push_back(entry.second);
      for (const auto &entry : textual)
        schema.classes.push_back(entry.first);
    }
    for (auto [index, name] : llvm::enumerate(schema.classes))
      classIndex[name] = static_cast<int64_t>(index);
    for (auto [index, table] : llvm::enumerate(tables))
      if (llvm::Error error = mapLabels(
              *table, columns[index].targets[0], keys, classIndex,
              schema.classes, options.schema != nullptr, parts[index]))
        return std::move(error);
    if (schema.classes.size() < 2 && !options.schema)
      return errorAtLoc(
          spec.loc,
          fmt::format("the label column '{}' has {} distinct value{}; "
                      "classification needs at least 2",
                      spec.targets[0], schema.classes.size(),
                      schema.classes.size() == 1 ? "" : "s"));
  }

  if (second) {
    loaded.train = std::move(parts[0]);
    loaded.valid = std::move(parts[1]);
  } else {
    // One file: a seeded shuffle, then the first `split` of it trains.
    Dataset &all = parts[0];
    double split = options.schema ? options.schema->split : spec.split;
    if (!(split > 0.0 && split <= 1.0))
      return errorAtLoc(spec.loc,
                        fmt::format("split must be in (0, 1], got {}", split));
    int64_t trainRows = static_cast<int64_t>(
        std::floor(split * static_cast<double>(all.rows) + 1e-9));
    if (trainRows < 1)
      return errorAtLoc(spec.loc,
                        fmt::format("split {} of {} rows leaves no training "
                                    "rows",
                                    split, all.rows));
    std::vector<int64_t> order(all.rows);
    for (int64_t row = 0; row < all.rows; ++row)
      order[row] = row;
    Rng rng = Rng::forStream(options.seed, "data.split");
    for (int64_t i = all.rows - 1; i > 0; --i)
      std::swap(order[i], order[rng.below(static_cast<uint64_t>(i) + 1)]);
    std::vector<int64_t> trainOrder(order.begin(), order.begin() + trainRows);
    std::vector<int64_t> validOrder(order.begin() + trainRows, order.end());
    llvm::sort(trainOrder);
    llvm::sort(validOrder);
    loaded.train = selectRows(all, trainOrder, all.name + " (training split)");
    loaded.valid =
        selectRows(all, validOrder, all.name + " (validation split)");
    schema.split = split;
  }

  if (options.schema) {
    schema.mean = options.schema->mean;
    schema.stddev = options.schema->stddev;
  } else if (spec.standardize) {
    computeStatistics(loaded.train, schema);
  }
  standardize(loaded.train, schema);
  standardize(loaded.valid, schema);
  return loaded;
}

static std::unique_ptr<TextTable> tableFromText(llvm::StringRef text,
                                                llvm::StringRef name) {
  auto table = std::make_unique<TextTable>();
  table->fileName = name.str();
  table->buffer = llvm::MemoryBuffer::getMemBufferCopy(text, name);
  return table;
}

llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
seqc::rt::readDataFile(const DataSpec &spec, const std::string &path,
                       const DataOptions &options, std::string &resolved) {
  // Relative paths: the model file's folder, the working directory, then
  // the model file's parent folders (examples/m.seq naming "data/x.csv"
  // finds the project's data/ from anywhere).
  resolved = path;
  if (!options.baseDir.empty() && !llvm::sys::path::is_absolute(path)) {
    llvm::SmallString<256> candidate(options.baseDir);
    llvm::sys::path::append(candidate, path);
    if (llvm::sys::fs::exists(candidate)) {
      resolved = std::string(candidate);
    } else if (!llvm::sys::fs::exists(path)) {
      llvm::SmallString<256> folder(options.baseDir);
      llvm::sys::fs::make_absolute(folder);
      for (llvm::StringRef parent = llvm::sys::path::parent_path(folder);
           !parent.empty(); parent = llvm::sys::path::parent_path(parent)) {
        llvm::SmallString<256> above(parent);
        llvm::sys::path::append(above, path);
        if (llvm::sys::fs::exists(above)) {
          resolved = std::string(above);
          break;
        }
      }
    }
  }
  auto buffer =
      seqc::readRegularFile(resolved, seqc::kMaxDataBytes, /*isText=*/true);
  if (!buffer)
    return errorAtLoc(spec.loc,
                      fmt::format("cannot read data file '{}': {}", path,
                                  llvm::toString(buffer.takeError())));
  // A UTF-8 byte-order mark is not part of the data (it would otherwise
  // stick to the first column's name, invisibly).
  llvm::StringRef text = (*buffer)->getBuffer();
  if (text.starts_with("\xEF\xBB\xBF"))
    return llvm::MemoryBuffer::getMemBufferCopy(text.drop_front(3), resolved);
  return std::move(*buffer);
}

static llvm::Expected<std::unique_ptr<TextTable>>
readTable(const DataSpec &spec, const std::string &path,
          const DataOptions &options) {
  std::string resolved;
  auto buffer = readDataFile(spec, path, options, resolved);
  if (!buffer)
    return buffer.takeError();
  auto table = std::make_unique<TextTable>();
  table->fileName = resolved;
  table->buffer = std::move(*buffer);
  return table;
}

llvm::Expected<LoadedData>
seqc::rt::parseData(const DataSpec &spec, llvm::StringRef trainText,
                    llvm::StringRef trainName, llvm::StringRef validText,
                    llvm::StringRef validName, const DataOptions &options) {
  if (spec.kind == "text" || spec.kind == "sequences" ||
      spec.kind == "series") {
    std::vector<DataFile> files{{trainName.str(), trainText}};
    if (!validName.empty())
      files.push_back({validName.str(), validText});
    return parseSequenceData(spec, files, options);
  }
  auto first = tableFromText(trainText, trainName);
  if (llvm::Error error = parseTable(*first, spec.separator))
    return std::move(error);
  std::unique_ptr<TextTable> second;
  if (!validName.empty()) {
    second = tableFromText(validText, validName);
    if (llvm::Error error = parseTable(*second, spec.separator))
      return std::move(error);
  }
  return loadTables(spec, *first, second.get(), options);
}

llvm::Expected<LoadedData> seqc::rt::loadData(const DataSpec &spec,
                                              const DataOptions &options) {
  if (spec.kind == "text" || spec.kind == "sequences" || spec.kind == "series")
    return loadSequenceData(spec, options);
  if (spec.targetKind == TargetKind::None)
    return errorAtLoc(spec.loc, "the data names no target: add label = "
                                "\"col\", target = \"col\" or labels = [...]");
  bool twoFiles = !spec.trainPath.empty();
  if (!twoFiles && spec.path.empty())
    return errorAtLoc(spec.loc, "the data names no file");
  auto first = readTable(spec, twoFiles ? spec.trainPath : spec.path, options);
  if (!first)
    return first.takeError();
  if (llvm::Error error = parseTable(**first, spec.separator))
    return std::move(error);
  std::unique_ptr<TextTable> second;
  if (twoFiles && !spec.validPath.empty()) {
    auto table = readTable(spec, spec.validPath, options);
    if (!table)
      return table.takeError();
    second = std::move(*table);
    if (llvm::Error error = parseTable(*second, spec.separator))
      return std::move(error);
  }
  if (twoFiles && !second) {
    // A training file alone: no validation split.
    DataSpec all = spec;
    all.split = 1.0;
    return loadTables(all, **first, nullptr, options);
  }
  return loadTables(spec, **first, second.get(), options);
}

//===----------------------------------------------------------------------===//
// Batches
//===----------------------------------------------------------------------===//

/// A tensor of `type` for `rows.size()` instances of `width` values each,
/// filled from `source(row)`.
static llvm::Expected<Tensor>
gather(llvm::ArrayRef<int64_t> rows, const TensorType &type, int64_t width,
       llvm::StringRef inputName, llvm::StringRef what,
       llvm::function_ref<const double *(int64_t)> source) {
  if (type.shape.empty() || type.shape[0] != kDynamicSize ||
      llvm::is_contained(llvm::ArrayRef(type.shape).drop_front(), kDynamicSize))
    return makeError("input '{}' has type {}; the data feeds inputs with a "
                     "leading batch axis and static sizes otherwise",
                     inputName.str(), type.str());
  int64_t perRow = numElementsOf(llvm::ArrayRef(type.shape).drop_front());
  if (perRow != width)
    return makeError("input '{}' takes {} values per instance ({}), but the "
                     "data has {} {}",
                     inputName.str(), perRow, type.str(), width, what.str());
  llvm::SmallVector<int64_t, 4> shape(type.shape);
  shape[0] = static_cast<int64_t>(rows.size());
  Tensor tensor(type.dtype, shape);
  int64_t flat = 0;
  switch (type.dtype) {
  case DType::F32: {
    float *out = tensor.data<float>();
    for (int64_t row : rows)
      for (const double *in = source(row), *end = in + width; in != end; ++in)
        out[flat++] = static_cast<float>(*in);
    break;
  }
  case DType::F64: {
    double *out = tensor.data<double>();
    for (int64_t row : rows)
      for (const double *in = source(row), *end = in + width; in != end; ++in)
        out[flat++] = *in;
    break;
  }
  default:
    for (int64_t row : rows)
      for (const double *in = source(row), *end = in + width; in != end; ++in)
        tensor.setDouble(flat++, *in);
    break;
  }
  return tensor;
}

llvm::Expected<Tensor> seqc::rt::gatherFeatures(const Dataset &data,
                                                llvm::ArrayRef<int64_t> rows,
                                                const TensorType &type,
                                                llvm::StringRef inputName) {
  if (!isFloat(type.dtype))
    return makeError("input '{}' has type {}; features are numbers, fed as "
                     "f32 or f64",
                     inputName.str(), type.str());
  return gather(rows, type, data.numFeatures, inputName, "features",
                [&](int64_t row) { return data.featureRow(row); });
}

llvm::Expected<Tensor> seqc::rt::gatherTargets(const Dataset &data,
                                               llvm::ArrayRef<int64_t> rows,
                                               const TensorType &type,
                                               llvm::StringRef inputName) {
  bool classes = data.targetKind == TargetKind::ClassIndex;
  if (classes == isFloat(type.dtype))
    return makeError("input '{}' has type {}, but the data's targets are {}",
                     inputName.str(), type.str(),
                     classes ? "class indices (an integer type)"
                             : "numbers (a float type)");
  return gather(rows, type, data.targetWidth, inputName, "target values",
                [&](int64_t row) { return data.targetRow(row); });
}
