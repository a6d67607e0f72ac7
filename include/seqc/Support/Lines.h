//===- Lines.h - Splitting text files into lines ----------------*- C++ -*-===//
//
// The data readers (CSV, TSV, labeled text) take a file line by line. A line
// ends at "\n", "\r\n" or a lone "\r" (old Mac files, which would otherwise
// be one long line), and the line number counts them all alike. A UTF-8
// byte-order mark at the start of a file, as spreadsheet programs write it,
// is not part of its first line. Header-only, like ReadFile.h.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_SUPPORT_LINES_H
#define SEQC_SUPPORT_LINES_H

#include "llvm/ADT/StringRef.h"

namespace seqc {

/// The first line of `rest` without its line ending; `rest` moves past it.
inline llvm::StringRef takeLine(llvm::StringRef &rest) {
  size_t end = rest.find_first_of("\r\n");
  llvm::StringRef line = rest.take_front(end);
  if (end == llvm::StringRef::npos) {
    rest = llvm::StringRef();
    return line;
  }
  size_t next = end + 1;
  if (rest[end] == '\r' && next < rest.size() && rest[next] == '\n')
    ++next;
  rest = rest.drop_front(next);
  return line;
}

/// `text` without a UTF-8 byte-order mark at its start (which would
/// otherwise stick to the first column's name, invisibly).
inline llvm::StringRef dropByteOrderMark(llvm::StringRef text) {
  if (text.starts_with("\xEF\xBB\xBF"))
    return text.drop_front(3);
  return text;
}

} // namespace seqc

#endif // SEQC_SUPPORT_LINES_H
