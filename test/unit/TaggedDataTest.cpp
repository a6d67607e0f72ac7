//===- TaggedDataTest.cpp - tagged data: a label for every token ----------===//
//
// The `tagged` loader on texts in memory: CoNLL-style columns, sentences
// between blank lines, the label column, the vocabulary of tokens and the
// classes of the training split, the errors with their file, line and
// column; then the batches (one class index per step) and the schema in a
// checkpoint.
//
//===----------------------------------------------------------------------===//
#include "seqc/Runtime/Batches.h"
#include "seqc/Runtime/SequenceData.h"

#include "DataTestUtil.h"
#include "TestUtil.h"

#include <gtest/gtest.h>

using namespace seqc;
using namespace seqc::rt;
using namespace seqc::test;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace {

DataSpec taggedSpec(int64_t labelColumn = 0) {
  DataSpec spec;
  spec.kind = DataSourceKind::Tagged;
  spec.trainPath = "train.txt";
  spec.validPath = "valid.txt";
  spec.unit = "word";
  spec.labelColumn = labelColumn;
  return spec;
}

std::vector<double> labelsOf(const Dataset &data, int64_t row) {
  return std::vector<double>(data.targets.begin() + data.offsets[row],
                             data.targets.begin() + data.offsets[row + 1]);
}

// CoNLL-2003 style: token, POS, chunk, entity; a -DOCSTART- line and blank
// lines between sentences.
constexpr llvm::StringLiteral kConll = "-DOCSTART- -X- O O\n"
                                       "\n"
                                       "EU NNP I-NP I-ORG\n"
                                       "rejects VBZ I-VP O\n"
                                       "German JJ I-NP I-MISC\n"
                                       "\n"
                                       "\n"
                                       "Peter NNP I-NP I-PER\n"
                                       "Blackburn NNP I-NP I-PER\n";

TEST(TaggedDataTest, SentencesOfTokensWithALabelEach) {
  SEQC_ASSERT_OK_AND_ASSIGN(
      data,
      parseTrainAndValid(taggedSpec(), kConll, "Peter\tNNP\tI-NP\tI-PER\n"));
  EXPECT_EQ(data.schema.kind, DataSourceKind::Tagged);
  // Labels: the last column, ordered by their text.
  EXPECT_THAT(data.schema.classes,
              ElementsAre("I-MISC", "I-ORG", "I-PER", "O"));
  EXPECT_THAT(data.schema.vocabulary,
              ElementsAre("<pad>", "<unk>", "Blackburn", "EU", "German",
                          "Peter", "rejects"));
  EXPECT_THAT(data.schema.dataDims(),
              ElementsAre(std::pair<std::string, int64_t>("vocab", 7),
                          std::pair<std::string, int64_t>("classes", 4)));
  const Dataset &train = data.train;
  EXPECT_EQ(train.rows, 2);
  EXPECT_TRUE(train.sequential && train.stepTargets && train.tokenSteps());
  EXPECT_FALSE(train.pairs());
  EXPECT_THAT(rowTokens(train, 0), ElementsAre(3, 6, 4));
  EXPECT_THAT(labelsOf(train, 0), ElementsAre(1, 3, 0));
  EXPECT_THAT(rowTokens(train, 1), ElementsAre(5, 2));
  EXPECT_THAT(labelsOf(train, 1), ElementsAre(2, 2));
  // Tabs separate columns as well as spaces do; no blank line at the end.
  EXPECT_EQ(data.valid.rows, 1);
  EXPECT_THAT(rowTokens(data.valid, 0), ElementsAre(5));
  EXPECT_THAT(labelsOf(data.valid, 0), ElementsAre(2));
}

TEST(TaggedDataTest, TheLabelColumnAndUnknownTokens) {
  // column = 2: the part of speech.
  SEQC_ASSERT_OK_AND_ASSIGN(
      data, parseTrainAndValid(taggedSpec(2), kConll, "Paul NNP I-NP I-PER\n"));
  EXPECT_THAT(data.schema.classes, ElementsAre("JJ", "NNP", "VBZ"));
  EXPECT_THAT(labelsOf(data.train, 0), ElementsAre(1, 2, 0));
  // A token the training split lacks is <unk>.
  EXPECT_THAT(rowTokens(data.valid, 0), ElementsAre(kUnknownToken));

  // min_count = 2: tokens seen once are <unk>.
  DataSpec spec = taggedSpec();
  spec.minCount = 2;
  SEQC_ASSERT_OK_AND_ASSIGN(
      rare, parseTrainAndValid(spec, "a X\nb Y\n\na X\n", "b Y\n"));
  EXPECT_THAT(rare.schema.vocabulary, ElementsAre("<pad>", "<unk>", "a"));
  EXPECT_THAT(rowTokens(rare.train, 0), ElementsAre(2, kUnknownToken));
}

TEST(TaggedDataTest, OneFileIsSplitBySentences) {
  DataSpec spec = taggedSpec();
  spec.trainPath.clear();
  spec.validPath.clear();
  spec.path = "all.txt";
  spec.split = 0.5;
  std::string text;
  for (int i = 0; i < 8; ++i)
    text += "w" + std::to_string(i) + " A\nend B\n\n";
  DataOptions options;
  options.seed = 1;
  SEQC_ASSERT_OK_AND_ASSIGN(
      data, parseSequenceData(spec, {DataFile{"all.txt", text}}, options));
  EXPECT_EQ(data.train.rows, 4);
  EXPECT_EQ(data.valid.rows, 4);
  EXPECT_EQ(data.valid.name, "all.txt (validation split)");
  for (const Dataset *part : {&data.train, &data.valid})
    for (int64_t row = 0; row < part->rows; ++row)
      EXPECT_EQ(part->length(row), 2);
}

TEST(TaggedDataTest, ErrorsNameTheFileLineAndColumn) {
  DataSpec spec = taggedSpec();
  EXPECT_EQ(errorOf(parseTrainAndValid(spec, "a X\nb\n", "a X\n")),
            "train.txt:2:2: error: the token 'b' has no label: expected the "
            "token, then its label in a column of its own (separated by "
            "spaces or tabs)");
  EXPECT_EQ(
      errorOf(parseTrainAndValid(taggedSpec(3), "a X Y\nb X\n", "a X Y\n")),
      "train.txt:2:4: error: no column 3 (the labels, column = 3): the "
      "line has 2 columns");
  // The labels are the training file's: another one in validation is an
  // error at its position.
  EXPECT_EQ(errorOf(parseTrainAndValid(spec, "a X\nb Y\n", "a X\n\nb  Z\n")),
            "valid.txt:3:4: error: label 'Z' is not one of the 2 labels of "
            "the training data (X, Y)");
  EXPECT_EQ(errorOf(parseTrainAndValid(spec, "\n\n", "a X\n")),
            "train.txt:2:1: error: no tagged tokens in the file: expected one "
            "token and its label a line, a blank line between sentences");
  EXPECT_EQ(errorOf(parseTrainAndValid(spec, "a X\n", "-DOCSTART- O\n")),
            "valid.txt:1:1: error: no tagged tokens in the file: expected one "
            "token and its label a line, a blank line between sentences");
  EXPECT_THAT(errorOf(parseTrainAndValid(spec, "a X\nb X\n", "a X\n")),
              HasSubstr("the training data has 1 distinct label; tagging "
                        "needs at least 2"));
}

TEST(TaggedDataTest, BatchesHaveAClassPerStep) {
  SEQC_ASSERT_OK_AND_ASSIGN(
      data,
      parseTrainAndValid(taggedSpec(), "a X\nb Y\nc X\n\nb Y\n", "a X\n"));
  std::vector<int64_t> rows{1, 0};
  SEQC_ASSERT_OK_AND_ASSIGN(
      x, gatherSteps(data.train, rows, tensorType(DType::I64, {-1, -1}), "x"));
  EXPECT_THAT(x.shape(), ElementsAre(3, 2));
  // b is the most frequent token: id 2; then a 3, c 4.
  EXPECT_THAT(x.values<int64_t>(), ElementsAre(2, 3, 0, 2, 0, 4));
  SEQC_ASSERT_OK_AND_ASSIGN(
      y, gatherStepTargets(data.train, rows, tensorType(DType::I64, {-1, -1}),
                           "y"));
  EXPECT_THAT(y.values<int64_t>(), ElementsAre(1, 0, 0, 1, 0, 0));
  SEQC_ASSERT_OK_AND_ASSIGN(
      mask,
      gatherMask(data.train, rows, tensorType(DType::F32, {-1, -1}), "mask"));
  EXPECT_THAT(mask.values<float>(), ElementsAre(1, 1, 0, 1, 0, 1));
}

TEST(TaggedDataTest, SchemaRoundTripsAndKeepsItsClasses) {
  SEQC_ASSERT_OK_AND_ASSIGN(
      data, parseTrainAndValid(taggedSpec(), "a X\nb Y\n", "a X\n"));
  MetadataMap metadata;
  data.schema.toMetadata(metadata);
  SEQC_ASSERT_OK_AND_ASSIGN(back, DataSchema::fromMetadata(metadata, "ck"));
  EXPECT_EQ(back.kind, DataSourceKind::Tagged);
  EXPECT_EQ(back.classes, data.schema.classes);
  EXPECT_EQ(back.vocabulary, data.schema.vocabulary);
  EXPECT_EQ(back.dataDims(), data.schema.dataDims());
  // Evaluating on new data: a label the model was not trained on.
  DataOptions options;
  options.schema = &back;
  EXPECT_EQ(
      errorOf(parseTrainAndValid(taggedSpec(), "a X\n", "b W\n", options)),
      "valid.txt:1:3: error: label 'W' is not one of the 2 labels the "
      "model was trained on (X, Y)");
}

} // namespace
