//===- Csv.cpp - Numeric CSV input ----------------------------------------===//
#include "seqc/Runtime/Csv.h"
#include "DelimitedText.h"
#include "seqc/Support/Lines.h"
#include "seqc/Support/ReadFile.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/MemoryBuffer.h"

#include <fmt/format.h>

#include <charconv>
#include <cstdint>
#include <deque>

using namespace seqc::rt;

namespace {
struct Location {
  llvm::StringRef fileName;
  int64_t line;
};
} // namespace

static llvm::Error errorAt(const Location &location, int64_t column,
                           const std::string &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 fmt::format("{}:{}:{}: {}",
                                             location.fileName.str(),
                                             location.line, column, message));
}

/// Parses a whole cell as T; from_chars rounds the decimal once, straight to
/// T (no double rounding through double for f32).
template <typename T>
static std::optional<T> parseNumber(llvm::StringRef text) {
  if (text.starts_with("+"))
    text = text.drop_front();
  if (text.empty())
    return std::nullopt;
  T value = 0;
  auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

static std::optional<double> parseDouble(llvm::StringRef text) {
  return parseNumber<double>(text);
}

static std::optional<int64_t> parseInteger(llvm::StringRef text) {
  if (text.starts_with("+"))
    text = text.drop_front();
  int64_t value = 0;
  auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

llvm::Expected<CsvTable> seqc::rt::parseCsv(llvm::StringRef text,
                                            llvm::StringRef fileName,
                                            const CsvOptions &options) {
  CsvTable table;
  std::vector<double> floatValues;
  std::vector<int64_t> integerValues;
  bool integral = !isFloat(options.dtype);
  int64_t columns = -1;
  int64_t widthLine = 0; // the line that fixed the row width
  int64_t rows = 0;
  bool sawContent = false;

  std::deque<std::string> unescaped;
  DelimitedRows lines(text, ',', unescaped);
  auto errorAtCell = [&](int64_t line, int64_t column,
                         const std::string &message) {
    return errorAt({fileName, line}, column, message);
  };
  while (true) {
    llvm::SmallVector<DelimitedCell, 16> cells;
    llvm::Expected<bool> read = lines.next(cells, errorAtCell);
    if (!read)
      return read.takeError();
    if (!*read)
      break;
    llvm::StringRef line = lines.line();
    int64_t lineNumber = lines.lineNumber();
    Location location{fileName, lineNumber};

    if (!sawContent) {
      sawContent = true;
      bool anyNumeric = llvm::any_of(cells, [](const DelimitedCell &cell) {
        return parseDouble(cell.text);
      });
      if (!anyNumeric) {
        for (const DelimitedCell &cell : cells)
          table.header.push_back(cell.text.str());
        columns = static_cast<int64_t>(cells.size());
        widthLine = lineNumber;
        continue;
      }
    }

    int64_t count = static_cast<int64_t>(cells.size());
    if (columns < 0) {
      columns = count;
      widthLine = lineNumber;
    }
    if (options.expectedColumns && columns != *options.expectedColumns) {
      std::string reason = options.expectedColumnsReason.empty()
                               ? std::string()
                               : " (" + options.expectedColumnsReason + ")";
      Location widthLocation{fileName, widthLine};
      return errorAt(widthLocation, 1,
                     fmt::format("expected {} values per row{}, found {}",
                                 *options.expectedColumns, reason, columns));
    }
    if (count != columns) {
      int64_t column = count > columns ? cells[columns].column
                                       : static_cast<int64_t>(line.size()) + 1;
      return errorAt(location, column,
                     fmt::format("ragged row: {} value{}, but line {} has {}",
                                 count, count == 1 ? "" : "s", widthLine,
                                 columns));
    }

    for (auto [index, cell] : llvm::enumerate(cells)) {
      if (cell.text.empty())
        return errorAt(location, cell.column,
                       fmt::format("empty cell in column {}", index + 1));
      if (integral) {
        std::optional<int64_t> value = parseInteger(cell.text);
        if (value && options.dtype == DType::I32 &&
            (*value < INT32_MIN || *value > INT32_MAX))
          value.reset();
        if (!value)
          return errorAt(location, cell.column,
                         fmt::format("'{}' in column {} is not an {} integer",
                                     cell.text.str(), index + 1,
                                     dtypeName(options.dtype).str()));
        integerValues.push_back(*value);
      } else {
        std::optional<double> value;
        if (options.dtype == DType::F32) {
          if (std::optional<float> single = parseNumber<float>(cell.text))
            value = *single;
        } else {
          value = parseNumber<double>(cell.text);
        }
        if (!value)
          return errorAt(location, cell.column,
                         fmt::format("'{}' in column {} is not a number",
                                     cell.text.str(), index + 1));
        floatValues.push_back(*value);
      }
    }
    ++rows;
  }

  if (!sawContent)
    return errorAt({fileName, 1}, 1,
                   "empty CSV file: expected rows of numbers");
  if (rows == 0)
    return errorAt({fileName, lines.lineNumber()}, 1,
                   "no data rows after the header line");

  table.values = Tensor(options.dtype, {rows, columns});
  for (int64_t index = 0, end = rows * columns; index < end; ++index) {
    switch (options.dtype) {
    case DType::I64:
      table.values.data<int64_t>()[index] = integerValues[index];
      break;
    case DType::I32:
      table.values.data<int32_t>()[index] =
          static_cast<int32_t>(integerValues[index]);
      break;
    default:
      table.values.setDouble(index, floatValues[index]);
      break;
    }
  }
  return table;
}

llvm::Expected<CsvTable> seqc::rt::readCsv(llvm::StringRef path,
                                           const CsvOptions &options) {
  auto buffer = seqc::readRegularFile(path, seqc::kMaxDataBytes,
                                      /*isText=*/true);
  if (!buffer)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        fmt::format("{}: cannot read input: {}", path.str(),
                    llvm::toString(buffer.takeError())));
  return parseCsv(seqc::dropByteOrderMark((*buffer)->getBuffer()), path,
                  options);
}
