//===- LinesTest.cpp - Splitting data files into lines --------------------===//

#include "seqc/Support/Lines.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

std::vector<std::string> linesOf(llvm::StringRef text) {
  std::vector<std::string> lines;
  while (!text.empty())
    lines.push_back(seqc::takeLine(text).str());
  return lines;
}

TEST(LinesTest, EveryLineEndingEndsALine) {
  using Lines = std::vector<std::string>;
  EXPECT_EQ(linesOf("a\nb\n"), (Lines{"a", "b"}));
  EXPECT_EQ(linesOf("a\r\nb\r\n"), (Lines{"a", "b"}));
  // Old Mac files: a lone CR ends a line too.
  EXPECT_EQ(linesOf("a\rb\r"), (Lines{"a", "b"}));
  // Mixed, with empty lines kept (CR LF is one ending, LF CR two).
  EXPECT_EQ(linesOf("a\r\n\nb\n\rc"), (Lines{"a", "", "b", "", "c"}));
  EXPECT_EQ(linesOf("last line without an ending"),
            (Lines{"last line without an ending"}));
  EXPECT_TRUE(linesOf("").empty());
}

TEST(LinesTest, AByteOrderMarkIsNotText) {
  EXPECT_EQ(seqc::dropByteOrderMark("\xEF\xBB\xBFx,y\n"), "x,y\n");
  EXPECT_EQ(seqc::dropByteOrderMark("x,y\n"), "x,y\n");
  // Only at the start.
  EXPECT_EQ(seqc::dropByteOrderMark("x\xEF\xBB\xBF"), "x\xEF\xBB\xBF");
}

} // namespace
