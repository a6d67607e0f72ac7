//===- CsvTest.cpp - Numeric CSV input ------------------------------------===//
#include "seqc/Runtime/Csv.h"

#include "TestUtil.h"

#include <gtest/gtest.h>

using namespace seqc::rt;
using seqc::test::errorOf;
using ::testing::HasSubstr;

namespace {

TEST(CsvTest, ParsesAMatrix) {
  SEQC_ASSERT_OK_AND_ASSIGN(table, parseCsv("1,2,3\n4,5,6\n", "in.csv"));
  EXPECT_TRUE(table.header.empty());
  EXPECT_EQ(table.values.shape(), llvm::ArrayRef<int64_t>({2, 3}));
  EXPECT_EQ(table.values.dtype(), DType::F32);
  EXPECT_EQ(table.values.at({1, 2}), 6.0);
}

TEST(CsvTest, HeaderBlankLinesCommentsAndSpaces) {
  std::string text = "# measurements\n"
                     "\"x1\", x2 ,x3\r\n"
                     "\n"
                     " -1.5 , +2e-3,.5\r\n"
                     "1e2,-0,  7  \r\n"
                     "\n";
  SEQC_ASSERT_OK_AND_ASSIGN(table, parseCsv(text, "in.csv"));
  EXPECT_EQ(table.header, (std::vector<std::string>{"x1", "x2", "x3"}));
  ASSERT_EQ(table.values.shape(), llvm::ArrayRef<int64_t>({2, 3}));
  EXPECT_EQ(table.values.at({0, 0}), -1.5);
  EXPECT_FLOAT_EQ(table.values.at({0, 1}), 2e-3);
  EXPECT_EQ(table.values.at({0, 2}), 0.5);
  EXPECT_EQ(table.values.at({1, 0}), 100.0);
  EXPECT_EQ(table.values.at({1, 2}), 7.0);
}

TEST(CsvTest, NoTrailingNewlineAndF64) {
  CsvOptions options;
  options.dtype = DType::F64;
  SEQC_ASSERT_OK_AND_ASSIGN(table, parseCsv("0.1", "in.csv", options));
  EXPECT_EQ(table.values.dtype(), DType::F64);
  EXPECT_EQ(table.values.at({0, 0}), 0.1);
}

TEST(CsvTest, IntegerColumns) {
  CsvOptions options;
  options.dtype = DType::I64;
  SEQC_ASSERT_OK_AND_ASSIGN(table, parseCsv("3,1\n0,2\n", "ids.csv", options));
  EXPECT_EQ(table.values.values<int64_t>()[1], 1);
  EXPECT_EQ(table.values.values<int64_t>()[3], 2);

  EXPECT_EQ(errorOf(parseCsv("1,2.5\n", "ids.csv", options)),
            "ids.csv:1:3: '2.5' in column 2 is not an i64 integer");
  options.dtype = DType::I32;
  EXPECT_THAT(errorOf(parseCsv("1\n5000000000\n", "ids.csv", options)),
              HasSubstr("ids.csv:2:1: '5000000000' in column 1 is not an i32"));
}

TEST(CsvTest, NonNumericCellNamesLineAndColumn) {
  EXPECT_EQ(errorOf(parseCsv("a,b\n1,2\n3, abc\n", "in.csv")),
            "in.csv:3:4: 'abc' in column 2 is not a number");
  // A first row with some numbers is data, not a header.
  EXPECT_EQ(errorOf(parseCsv("1,x\n", "in.csv")),
            "in.csv:1:3: 'x' in column 2 is not a number");
}

TEST(CsvTest, EmptyCell) {
  EXPECT_EQ(errorOf(parseCsv("1,2\n3,\n", "in.csv")),
            "in.csv:2:3: empty cell in column 2");
}

TEST(CsvTest, RaggedRows) {
  EXPECT_EQ(errorOf(parseCsv("1,2,3\n4,5\n", "in.csv")),
            "in.csv:2:4: ragged row: 2 values, but line 1 has 3");
  EXPECT_EQ(errorOf(parseCsv("1,2\n4,5,6\n", "in.csv")),
            "in.csv:2:5: ragged row: 3 values, but line 1 has 2");
  EXPECT_EQ(errorOf(parseCsv("a,b\n1,2,3\n", "in.csv")),
            "in.csv:2:5: ragged row: 3 values, but line 1 has 2");
}

TEST(CsvTest, EmptyFiles) {
  EXPECT_EQ(errorOf(parseCsv("", "in.csv")),
            "in.csv:1:1: empty CSV file: expected rows of numbers");
  EXPECT_EQ(errorOf(parseCsv("\n  \n# only a comment\n", "in.csv")),
            "in.csv:1:1: empty CSV file: expected rows of numbers");
  EXPECT_EQ(errorOf(parseCsv("x1,x2\n", "in.csv")),
            "in.csv:1:1: no data rows after the header line");
}

TEST(CsvTest, WrongColumnCountForTheModel) {
  CsvOptions options;
  options.expectedColumns = 4;
  options.expectedColumnsReason = "input 'x' has 4 features";
  EXPECT_EQ(errorOf(parseCsv("x,y,z\n1,2,3\n", "in.csv", options)),
            "in.csv:1:1: expected 4 values per row (input 'x' has 4 "
            "features), found 3");
  EXPECT_EQ(errorOf(parseCsv("1,2,3\n", "in.csv", options)),
            "in.csv:1:1: expected 4 values per row (input 'x' has 4 "
            "features), found 3");
  SEQC_ASSERT_OK_AND_ASSIGN(table, parseCsv("1,2,3,4\n", "in.csv", options));
  EXPECT_EQ(table.values.dim(1), 4);
}

TEST(CsvTest, QuotedCellsAsInDataFiles) {
  SEQC_ASSERT_OK_AND_ASSIGN(
      table, parseCsv("\"x, 1\",\"say \"\"y\"\"\"\n\"1\", 2\n", "in.csv"));
  EXPECT_EQ(table.header, (std::vector<std::string>{"x, 1", "say \"y\""}));
  EXPECT_EQ(table.values.at({0, 0}), 1.0);
  EXPECT_EQ(table.values.at({0, 1}), 2.0);
  EXPECT_EQ(errorOf(parseCsv("1,\"2\n", "in.csv")),
            "in.csv:1:3: unterminated quoted cell");
  EXPECT_EQ(errorOf(parseCsv("1,\"2\" 3\n", "in.csv")),
            "in.csv:1:7: unexpected text after a quoted cell");
}

TEST(CsvTest, MissingFile) {
  EXPECT_THAT(errorOf(readCsv("/nonexistent/in.csv")),
              HasSubstr("/nonexistent/in.csv: cannot read input"));
}

} // namespace
