//===- Csv.h - Numeric CSV input --------------------------------*- C++ -*-===//
//
// Reads the numeric matrices `seqc run --input file.csv` takes: one instance
// per row, comma-separated numbers, an optional header row (a first row with
// no numeric cell), blank lines and `#` comment lines skipped. Cells are
// split as in the training data's CSV files (quotes, line endings, a
// byte-order mark). Every error names file:line:col of the offending cell.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_RUNTIME_CSV_H
#define SEQC_RUNTIME_CSV_H

#include "seqc/Runtime/Tensor.h"

#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace seqc::rt {

struct CsvOptions {
  /// Element type of the result; integer types reject fractional cells.
  DType dtype = DType::F32;
  /// When set, every row must have this many values.
  std::optional<int64_t> expectedColumns;
  /// Says where expectedColumns comes from, for the error message, e.g.
  /// "the model's input 'x' has 4 features".
  std::string expectedColumnsReason;
};

struct CsvTable {
  /// [rows, columns].
  Tensor values;
  /// The header's cells, empty without a header row.
  std::vector<std::string> header;
};

/// Parses CSV text; `fileName` is used in error messages only.
llvm::Expected<CsvTable> parseCsv(llvm::StringRef text,
                                  llvm::StringRef fileName,
                                  const CsvOptions &options = {});
llvm::Expected<CsvTable> readCsv(llvm::StringRef path,
                                 const CsvOptions &options = {});

} // namespace seqc::rt

#endif // SEQC_RUNTIME_CSV_H
