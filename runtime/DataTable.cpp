//===- DataTable.cpp - CSV and TSV files as tables of cells ---------------===//
#include "DataTable.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>

using namespace seqc;
using namespace seqc::rt;

//===----------------------------------------------------------------------===//
// Tables of text cells
//===----------------------------------------------------------------------===//

llvm::Error seqc::rt::parseTable(TextTable &table, char separator) {
  DelimitedRows lines(table.buffer->getBuffer(), separator, table.unescaped);
  auto errorAt = [&](int64_t line, int64_t column, const std::string &message) {
    return table.errorAt(line, column, message);
  };
  bool sawHeader = false;
  while (true) {
    llvm::SmallVector<Cell, 16> cells;
    llvm::Expected<bool> read = lines.next(cells, errorAt);
    if (!read)
      return read.takeError();
    if (!*read)
      break;
    llvm::StringRef line = lines.line();
    int64_t lineNumber = lines.lineNumber();

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
    return table.errorAt(lines.lineNumber(), 1,
                         "no data rows after the header");
  return llvm::Error::success();
}

std::unique_ptr<TextTable> seqc::rt::tableFromText(llvm::StringRef text,
                                                   llvm::StringRef name) {
  auto table = std::make_unique<TextTable>();
  table->fileName = name.str();
  table->buffer = llvm::MemoryBuffer::getMemBufferCopy(text, name);
  return table;
}

//===----------------------------------------------------------------------===//
// Cells as numbers and labels as classes
//===----------------------------------------------------------------------===//

std::optional<double> seqc::rt::parseNumber(llvm::StringRef text) {
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

llvm::Expected<double> seqc::rt::readNumber(const TextTable &table,
                                            const Row &row, size_t column,
                                            bool float32) {
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

LabelClasses LabelClasses::fromLabels(llvm::ArrayRef<llvm::StringRef> labels) {
  LabelClasses classes;
  for (llvm::StringRef label : labels)
    classes.numeric &= isNumericLabel(label);
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
    classes.numeric &= isNumericLabel(name);
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

//===----------------------------------------------------------------------===//
// Columns
//===----------------------------------------------------------------------===//

llvm::Expected<ColumnMap>
seqc::rt::mapColumns(const TextTable &table,
                     llvm::ArrayRef<std::string> features,
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

llvm::Error seqc::rt::readRows(const TextTable &table, const ColumnMap &columns,
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

std::vector<std::string>
seqc::rt::nonTargetColumns(const TextTable &table,
                           llvm::ArrayRef<std::string> targets) {
  std::vector<std::string> columns;
  for (const Cell &cell : table.header)
    if (!llvm::is_contained(targets, cell.text))
      columns.push_back(cell.text.str());
  return columns;
}

llvm::Error seqc::rt::noFeatureColumns(const TextTable &table) {
  return table.errorAt(table.headerLine, 1,
                       "no feature columns: every column is a target");
}
