//===- AlignmentPlotTest.cpp - Attention weights drawn as a heatmap -------===//
#include "seqc/Runtime/AlignmentPlot.h"

#include "TestUtil.h"

#include <gtest/gtest.h>

using namespace seqc::rt;
using seqc::test::errorOf;
using ::testing::HasSubstr;

namespace {

int occurrences(const std::string &text, const std::string &needle) {
  int count = 0;
  for (size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + 1))
    ++count;
  return count;
}

TEST(AlignmentPlotTest, OneSquarePerPairWithItsGrayLevel) {
  std::vector<std::string> sources = {"3", " ", "M", "a", "r"};
  std::vector<std::string> outputs = {"0", "3"};
  std::vector<float> weights = {1, 0, 0,    0,     0, //
                                0, 0, 0.5f, 0.25f, 0.25f};
  SEQC_ASSERT_OK_AND_ASSIGN(svg, alignmentSvg(sources, outputs, weights));
  EXPECT_EQ(svg.rfind("<svg ", 0), 0u);
  EXPECT_EQ(occurrences(svg, "class=\"weight\""), 10);
  EXPECT_EQ(occurrences(svg, "class=\"source\""), 5);
  EXPECT_EQ(occurrences(svg, "class=\"output\""), 2);
  EXPECT_EQ(occurrences(svg, "fill=\"rgb(255,255,255)\""), 1);
  EXPECT_EQ(occurrences(svg, "fill=\"rgb(128,128,128)\""), 1);
  EXPECT_EQ(occurrences(svg, "fill=\"rgb(64,64,64)\""), 2);
  EXPECT_EQ(occurrences(svg, "fill=\"rgb(0,0,0)\""), 6);
  EXPECT_NE(svg.find("<title>0.500</title>"), std::string::npos);
  // The space token is labelled with a visible sign.
  EXPECT_NE(svg.find(">\xE2\x90\xA3</text>"), std::string::npos);
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
}

TEST(AlignmentPlotTest, TokensAreEscapedAndBadValuesVisible) {
  SEQC_ASSERT_OK_AND_ASSIGN(
      svg, alignmentSvg({"<unk>", "a&b", "\x01"}, {"</s>"}, {NAN, 2.0f, -1}));
  EXPECT_NE(svg.find(">&lt;unk&gt;</text>"), std::string::npos);
  EXPECT_NE(svg.find(">a&amp;b</text>"), std::string::npos);
  EXPECT_NE(svg.find(">&lt;/s&gt;</text>"), std::string::npos);
  EXPECT_EQ(svg.find('\x01'), std::string::npos);
  EXPECT_EQ(occurrences(svg, "fill=\"rgb(255,0,0)\""), 1);     // NaN
  EXPECT_EQ(occurrences(svg, "fill=\"rgb(255,255,255)\""), 1); // 2
  EXPECT_EQ(occurrences(svg, "fill=\"rgb(0,0,0)\""), 1);       // -1
}

TEST(AlignmentPlotTest, WrongWeightCountIsAnError) {
  EXPECT_THAT(errorOf(alignmentSvg({"a", "b"}, {"c"}, {0.5f})),
              HasSubstr("1 output and 2 source tokens needs 2 weights, got 1"));
}

} // namespace
