//===- DelimitedText.h - Splitting CSV and TSV text into cells --*- C++ -*-===//
//
// Private to runtime/: the one tokenizer of comma- and tab-separated text,
// under the training data's tables (DataTable.h) and `seqc run`'s numeric
// input (Csv.h). Lines end at "\n", "\r\n" or a lone "\r"; blank lines and
// `#` comment lines hold no row. A cell in double quotes may hold the
// separator, and "" stands for one quote inside it ("a, b", "say ""hi""");
// other cells are trimmed of blanks (spaces, and tabs unless tabs separate).
// Every cell keeps the column it starts at, for messages. Errors are made
// by the caller, in its format, from a line, a column and a message.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_RUNTIME_DELIMITEDTEXT_H
#define SEQC_RUNTIME_DELIMITEDTEXT_H

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <deque>
#include <string>

namespace seqc::rt {

struct DelimitedCell {
  llvm::StringRef text; // unquoted, without surrounding blanks
  int64_t column;       // 1-based character column of the cell's start
};

/// Makes the error at 1-based `line` and `column` of the text.
using DelimitedErrorFn = llvm::function_ref<llvm::Error(
    int64_t line, int64_t column, const std::string &message)>;

/// The rows of a CSV or TSV text, one per line that is neither blank nor a
/// `#` comment.
class DelimitedRows {
public:
  /// Quoted cells with "" inside are unescaped into `unescaped`, which must
  /// outlive the cells.
  DelimitedRows(llvm::StringRef text, char separator,
                std::deque<std::string> &unescaped)
      : rest(text), separator(separator), unescaped(unescaped) {}

  /// Splits the next row into `cells`; false at the end of the text. A
  /// quoted cell without its closing quote, or with text after it, is an
  /// error made by `errorAt`.
  llvm::Expected<bool> next(llvm::SmallVectorImpl<DelimitedCell> &cells,
                            DelimitedErrorFn errorAt);

  /// The line of the row next() read, as written.
  llvm::StringRef line() const { return current; }
  /// The number of that line; at the end of the text, the number of lines.
  int64_t lineNumber() const { return lines; }

private:
  llvm::Error splitCells(llvm::SmallVectorImpl<DelimitedCell> &cells,
                         DelimitedErrorFn errorAt);

  llvm::StringRef rest;
  char separator;
  std::deque<std::string> &unescaped;
  llvm::StringRef current;
  int64_t lines = 0;
};

} // namespace seqc::rt

#endif // SEQC_RUNTIME_DELIMITEDTEXT_H
