//===- DelimitedText.cpp - Splitting CSV and TSV text into cells ----------===//
#include "DelimitedText.h"
#include "seqc/Support/Lines.h"

using namespace seqc;
using namespace seqc::rt;

llvm::Expected<bool>
DelimitedRows::next(llvm::SmallVectorImpl<DelimitedCell> &cells,
                    DelimitedErrorFn errorAt) {
  cells.clear();
  while (!rest.empty()) {
    current = takeLine(rest);
    ++lines;
    llvm::StringRef content = current.trim(" \t");
    if (content.empty() || content.starts_with("#"))
      continue;
    if (llvm::Error error = splitCells(cells, errorAt))
      return std::move(error);
    return true;
  }
  current = llvm::StringRef();
  return false;
}

llvm::Error
DelimitedRows::splitCells(llvm::SmallVectorImpl<DelimitedCell> &cells,
                          DelimitedErrorFn errorAt) {
  llvm::StringRef line = current;
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
          return errorAt(lines, start + 1, "unterminated quoted cell");
        if (close + 1 < line.size() && line[close + 1] == '"') {
          escaped = true;
          search = close + 2;
          continue;
        }
        break;
      }
      llvm::StringRef text = line.slice(start + 1, close);
      if (escaped) {
        std::string unquoted;
        for (size_t i = 0; i < text.size(); ++i) {
          unquoted += text[i];
          if (text[i] == '"')
            ++i;
        }
        unescaped.push_back(std::move(unquoted));
        text = unescaped.back();
      }
      cells.push_back({text, static_cast<int64_t>(start + 1)});
      size_t next = line.find_first_not_of(blanks, close + 1);
      if (next == llvm::StringRef::npos)
        return llvm::Error::success();
      if (line[next] != separator)
        return errorAt(lines, next + 1, "unexpected text after a quoted cell");
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
