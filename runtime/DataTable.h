//===- DataTable.h - CSV and TSV files as tables of cells -------*- C++ -*-===//
//
// Private to runtime/: the table layer under the loaders of `csv` and
// `series` data. A delimited file is read (DelimitedText.h) into a header
// and rows of text cells, each with its line and column for messages; cells
// are then read as numbers, and label cells as classes (LabelKeys).
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_RUNTIME_DATATABLE_H
#define SEQC_RUNTIME_DATATABLE_H

#include "DelimitedText.h"
#include "seqc/Runtime/Data.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace seqc::rt {

using Cell = DelimitedCell;

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

/// Reads the header and the rows; blank lines and `#` comment lines are
/// skipped. Every row must have as many cells as the header.
llvm::Error parseTable(TextTable &table, char separator);

/// A table of a copy of `text`; `name` is the file's, for messages.
std::unique_ptr<TextTable> tableFromText(llvm::StringRef text,
                                         llvm::StringRef name);

/// The cell as a double: std::nullopt when it is not a number at all; NaN
/// and infinities (also from overflow) are returned as such.
std::optional<double> parseNumber(llvm::StringRef text);

/// A finite number (within f32's range for an f32 model), or an error at
/// the cell.
llvm::Expected<double> readNumber(const TextTable &table, const Row &row,
                                  size_t column, bool float32);

/// Where each wanted column is in one file.
struct ColumnMap {
  std::vector<size_t> features;
  std::vector<size_t> targets;
};

/// Whether a label counts as a number: a finite one ("inf" is a name).
/// Training and a checkpoint's classes must decide alike, or a label maps
/// to another class when resuming.
inline bool isNumericLabel(llvm::StringRef text) {
  std::optional<double> value = parseNumber(text);
  return value && std::isfinite(*value);
}

/// A label value as a class key: a number in its shortest form when every
/// label is numeric, so that "1" and "1.0" (and "0" and "-0") are one
/// class; the text otherwise.
struct LabelKeys {
  bool numeric = true;
  std::string key(llvm::StringRef text) const {
    if (numeric)
      if (std::optional<double> value = parseNumber(text))
        return fmt::format("{}", *value == 0 ? 0.0 : *value);
    return text.str();
  }
};

/// Where the `features` and `targets` columns are in `table`; a name that
/// is not in its header is an error.
llvm::Expected<ColumnMap> mapColumns(const TextTable &table,
                                     llvm::ArrayRef<std::string> features,
                                     llvm::ArrayRef<std::string> targets);

/// Reads the features and numeric targets of every row of `table` into
/// `data`; class labels are left to the loader of `label` columns.
llvm::Error readRows(const TextTable &table, const ColumnMap &columns,
                     TargetKind kind, bool float32, Dataset &data);

/// The columns of `table` that are not `targets`, in order: the features of
/// a spec that lists none.
std::vector<std::string> nonTargetColumns(const TextTable &table,
                                          llvm::ArrayRef<std::string> targets);
/// The error of a table whose every column is a target.
llvm::Error noFeatureColumns(const TextTable &table);

} // namespace seqc::rt

#endif // SEQC_RUNTIME_DATATABLE_H
