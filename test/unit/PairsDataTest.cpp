//===- PairsDataTest.cpp - pairs data: source and target sequences --------===//
//
// The `pairs` loader on texts in memory: each side's vocabulary with the
// reserved <pad> <unk> <s> </s>, units per side, unseen units, the split,
// the errors with their file and line; then the batches of a sequence-to-
// sequence model (x, y_in = <s> target, y = target </s>, a mask per side),
// bucketing by source length, and the schema in a checkpoint.
//
//===----------------------------------------------------------------------===//
#include "seqc/Runtime/Batches.h"
#include "seqc/Runtime/SequenceData.h"

#include "DataTestUtil.h"
#include "TestUtil.h"

#include <gtest/gtest.h>

#include <set>

using namespace seqc;
using namespace seqc::rt;
using namespace seqc::test;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace {

DataSpec pairsSpec(llvm::StringRef unit = "char",
                   llvm::StringRef targetUnit = "") {
  DataSpec spec;
  spec.kind = DataSourceKind::Pairs;
  spec.trainPath = "train.tsv";
  spec.validPath = "valid.tsv";
  spec.unit = unit.str();
  spec.targetUnit = targetUnit.str();
  return spec;
}

std::vector<int64_t> targetOf(const Dataset &data, int64_t row) {
  return std::vector<int64_t>(
      data.targetTokens.begin() + data.targetOffsets[row],
      data.targetTokens.begin() + data.targetOffsets[row + 1]);
}

TEST(PairsDataTest, EachSideHasItsOwnVocabularyWithFixedSpecials) {
  SEQC_ASSERT_OK_AND_ASSIGN(
      data,
      parseTrainAndValid(pairsSpec(), "ab\txyy\nba\ty\nbb\tx\n", "ab\tyz\n"));
  // Source: b 4, a 2; target: y 3, x 2. The reserved ids come first.
  EXPECT_THAT(data.schema.vocabulary,
              ElementsAre("<pad>", "<unk>", "<s>", "</s>", "b", "a"));
  EXPECT_THAT(data.schema.targetVocabulary,
              ElementsAre("<pad>", "<unk>", "<s>", "</s>", "y", "x"));
  EXPECT_EQ(kPadToken, 0);
  EXPECT_EQ(kUnknownToken, 1);
  EXPECT_EQ(kStartToken, 2);
  EXPECT_EQ(kEndToken, 3);
  EXPECT_THAT(data.schema.dataDims(),
              ElementsAre(std::pair<std::string, int64_t>("source_vocab", 6),
                          std::pair<std::string, int64_t>("target_vocab", 6)));
  EXPECT_EQ(data.schema.kind, DataSourceKind::Pairs);
  EXPECT_TRUE(data.schema.isSequence());

  const Dataset &train = data.train;
  EXPECT_EQ(train.rows, 3);
  EXPECT_TRUE(train.sequential && train.tokenSteps() && train.pairs());
  EXPECT_THAT(rowTokens(train, 0), ElementsAre(5, 4));
  EXPECT_THAT(targetOf(train, 0), ElementsAre(5, 4, 4));
  EXPECT_THAT(rowTokens(train, 1), ElementsAre(4, 5));
  EXPECT_THAT(targetOf(train, 1), ElementsAre(4));
  EXPECT_EQ(train.length(0), 2);
  EXPECT_EQ(train.targetLength(0), 3);

  // The validation file is read with the training vocabularies: 'z' is
  // <unk> on the target side.
  EXPECT_EQ(data.valid.rows, 1);
  EXPECT_EQ(data.valid.name, "valid.tsv");
  EXPECT_THAT(rowTokens(data.valid, 0), ElementsAre(5, 4));
  EXPECT_THAT(targetOf(data.valid, 0), ElementsAre(4, kUnknownToken));
}

TEST(PairsDataTest, UnitsPerSideTrimmedSidesAndBlankLines) {
  // Graphemes to phonemes: characters on the left, words on the right.
  // Spaces at a side's ends are trimmed; blank lines are skipped; a CRLF
  // line ending is no unit.
  SEQC_ASSERT_OK_AND_ASSIGN(
      data, parseTrainAndValid(pairsSpec("char", "word"),
                               "\xEF\xBB\xBF"
                               "cat \t K AE1 T\r\n\n   \n\t\nat\tAE1 T\n",
                               "tac\tT AE1 K\n"));
  EXPECT_EQ(data.schema.unit, "char");
  EXPECT_EQ(data.schema.targetUnit, "word");
  EXPECT_EQ(data.train.rows, 2);
  // a 2, t 2, c 1; AE1 2, T 2, K 1.
  EXPECT_THAT(data.schema.vocabulary,
              ElementsAre("<pad>", "<unk>", "<s>", "</s>", "a", "t", "c"));
  EXPECT_THAT(data.schema.targetVocabulary,
              ElementsAre("<pad>", "<unk>", "<s>", "</s>", "AE1", "T", "K"));
  EXPECT_THAT(rowTokens(data.train, 0), ElementsAre(6, 4, 5));
  EXPECT_THAT(targetOf(data.train, 0), ElementsAre(6, 4, 5));
  EXPECT_THAT(targetOf(data.valid, 0), ElementsAre(5, 4, 6));

  // Words on both sides; a unit spelled like a reserved entry is a unit.
  SEQC_ASSERT_OK_AND_ASSIGN(words, parseTrainAndValid(pairsSpec("word"),
                                                      "the cat\tle <s> chat\n",
                                                      "x\ty\n"));
  EXPECT_THAT(
      words.schema.targetVocabulary,
      ElementsAre("<pad>", "<unk>", "<s>", "</s>", "<s>", "chat", "le"));
  EXPECT_THAT(targetOf(words.train, 0), ElementsAre(6, 4, 5));
}

TEST(PairsDataTest, MinCountMakesRareUnitsUnknown) {
  DataSpec spec = pairsSpec();
  spec.minCount = 2;
  SEQC_ASSERT_OK_AND_ASSIGN(data,
                            parseTrainAndValid(spec, "aab\txx\n", "b\tx\n"));
  EXPECT_THAT(data.schema.vocabulary,
              ElementsAre("<pad>", "<unk>", "<s>", "</s>", "a"));
  EXPECT_THAT(rowTokens(data.train, 0), ElementsAre(4, 4, kUnknownToken));
}

TEST(PairsDataTest, OneFileIsSplitBySeededShuffle) {
  DataSpec spec = pairsSpec();
  spec.trainPath.clear();
  spec.validPath.clear();
  spec.path = "all.tsv";
  spec.split = 0.6;
  std::string text;
  for (int i = 0; i < 10; ++i)
    text += std::string(1 + i, 'a') + "\t" + std::string(1 + i % 3, 'b') + "\n";
  DataOptions options;
  options.seed = 3;
  SEQC_ASSERT_OK_AND_ASSIGN(
      data, parseSequenceData(spec, {DataFile{"all.tsv", text}}, options));
  EXPECT_EQ(data.train.rows, 6);
  EXPECT_EQ(data.valid.rows, 4);
  EXPECT_EQ(data.train.name, "all.tsv (training split)");
  EXPECT_DOUBLE_EQ(data.schema.split, 0.6);
  // Every line is in one part: the source lengths are 1..10.
  std::multiset<int64_t> lengths;
  for (const Dataset *part : {&data.train, &data.valid})
    for (int64_t row = 0; row < part->rows; ++row)
      lengths.insert(part->length(row));
  EXPECT_EQ(lengths, std::multiset<int64_t>({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  // The same seed, the same split.
  SEQC_ASSERT_OK_AND_ASSIGN(
      again, parseSequenceData(spec, {DataFile{"all.tsv", text}}, options));
  EXPECT_EQ(again.train.tokens, data.train.tokens);
  EXPECT_EQ(again.train.targetTokens, data.train.targetTokens);

  // A split that leaves nothing to train on is an error, with the count.
  spec.split = 0.05;
  EXPECT_THAT(
      errorOf(parseSequenceData(spec, {DataFile{"all.tsv", text}}, options)),
      HasSubstr("split 0.05 of 10 pairs leaves none for training"));
}

TEST(PairsDataTest, ErrorsNameTheFileAndLine) {
  DataSpec spec = pairsSpec();
  EXPECT_EQ(errorOf(parseTrainAndValid(spec, "ab\tc\nabc\n", "a\tb\n")),
            "train.tsv:2:4: error: expected a tab between the source and the "
            "target (source<TAB>target), found none");
  EXPECT_EQ(errorOf(parseTrainAndValid(spec, "ab\tc\td\n", "a\tb\n")),
            "train.tsv:1:5: error: a second tab: a line holds one source and "
            "one target (source<TAB>target), and neither may contain a tab");
  EXPECT_EQ(errorOf(parseTrainAndValid(spec, "ab\tc\n  \tc\n", "a\tb\n")),
            "train.tsv:2:1: error: empty source: the text before the tab "
            "needs at least one char");
  EXPECT_EQ(errorOf(parseTrainAndValid(spec, "ab\tc\n", "\n\na\t \n")),
            "valid.tsv:3:3: error: empty target: the text after the tab needs "
            "at least one char");
  EXPECT_EQ(errorOf(parseTrainAndValid(pairsSpec("char", "word"), "ab\tc\n",
                                       "a\t\n")),
            "valid.tsv:1:3: error: empty target: the text after the tab needs "
            "at least one word");
  EXPECT_EQ(errorOf(parseTrainAndValid(spec, "", "a\tb\n")),
            "train.tsv:1:1: error: no pairs in the file: expected one "
            "source<TAB>target a line");
  EXPECT_EQ(errorOf(parseTrainAndValid(spec, "a\tb\n", "\n \n\n")),
            "valid.tsv:3:1: error: no pairs in the file: expected one "
            "source<TAB>target a line");
  DataSpec bad = pairsSpec("char", "byte");
  EXPECT_THAT(errorOf(parseTrainAndValid(bad, "a\tb\n", "a\tb\n")),
              HasSubstr("unit must be \"char\" or \"word\", got \"byte\""));
}

//===----------------------------------------------------------------------===//
// Batches
//===----------------------------------------------------------------------===//

TEST(PairsDataTest, BatchesShiftTheTargetForTeacherForcing) {
  // Source vocabulary: a 4, b 5; target: x 4, y 5, z 6.
  SEQC_ASSERT_OK_AND_ASSIGN(
      data,
      parseTrainAndValid(pairsSpec(), "aaa\txxyz\na\tyy\naab\tx\n", "a\tx\n"));
  EXPECT_THAT(data.schema.vocabulary,
              ElementsAre("<pad>", "<unk>", "<s>", "</s>", "a", "b"));
  EXPECT_THAT(data.schema.targetVocabulary,
              ElementsAre("<pad>", "<unk>", "<s>", "</s>", "x", "y", "z"));
  std::vector<int64_t> rows{1, 2, 0};
  const Dataset &train = data.train;

  // x: the sources, lengths 1, 3, 3, with their mask.
  EXPECT_EQ(batchLength(train, rows), 3);
  SEQC_ASSERT_OK_AND_ASSIGN(
      x, gatherSteps(train, rows, tensorType(DType::I64, {-1, -1}), "x"));
  EXPECT_THAT(x.shape(), ElementsAre(3, 3));
  EXPECT_THAT(x.values<int64_t>(), ElementsAre(4, 4, 4, //
                                               0, 4, 4, //
                                               0, 5, 4));
  SEQC_ASSERT_OK_AND_ASSIGN(
      xMask, gatherMask(train, rows, tensorType(DType::F32, {-1, -1}), "mask"));
  EXPECT_THAT(xMask.values<float>(), ElementsAre(1, 1, 1, 0, 1, 1, 0, 1, 1));

  // Targets of 2, 1 and 4 units: y_in and y have 3, 2 and 5 steps.
  EXPECT_EQ(decoderBatchLength(train, rows), 5);
  SEQC_ASSERT_OK_AND_ASSIGN(
      yIn, gatherDecoderInputs(train, rows, tensorType(DType::I64, {-1, -1}),
                               "y_in"));
  EXPECT_THAT(yIn.shape(), ElementsAre(5, 3));
  EXPECT_THAT(yIn.values<int64_t>(), ElementsAre(2, 2, 2, //  <s>
                                                 5, 4, 4, //
                                                 5, 0, 4, //
                                                 0, 0, 5, //
                                                 0, 0, 6));
  SEQC_ASSERT_OK_AND_ASSIGN(
      y,
      gatherDecoderTargets(train, rows, tensorType(DType::I32, {-1, -1}), "y"));
  EXPECT_THAT(y.values<int32_t>(), ElementsAre(5, 4, 4, //
                                               5, 3, 4, //
                                               3, 0, 5, //
                                               0, 0, 6, //
                                               0, 0, 3));
  SEQC_ASSERT_OK_AND_ASSIGN(
      yMask, gatherDecoderMask(train, rows, tensorType(DType::F64, {-1, -1}),
                               "y_mask"));
  EXPECT_THAT(yMask.values<double>(), ElementsAre(1, 1, 1, //
                                                  1, 1, 1, //
                                                  1, 0, 1, //
                                                  0, 0, 1, //
                                                  0, 0, 1));
  // y_in is y one step late: y_in[t + 1] = y[t] at every real step but the
  // last.
  for (int64_t n = 0; n < 3; ++n) {
    int64_t steps = train.targetLength(rows[n]) + 1;
    for (int64_t t = 0; t + 1 < steps; ++t)
      EXPECT_EQ(yIn.values<int64_t>()[(t + 1) * 3 + n],
                y.values<int32_t>()[t * 3 + n]);
  }

  EXPECT_EQ(errorOf(gatherDecoderInputs(
                train, rows, tensorType(DType::F32, {-1, -1}), "y_in")),
            "input 'y_in' has type [?, ?] f32; the target side's steps are "
            "token ids, fed as an integer type");
  EXPECT_EQ(errorOf(gatherDecoderMask(
                train, rows, tensorType(DType::I64, {-1, -1}), "y_mask")),
            "input 'y_mask' has type [?, ?] i64; the mask is f32 or f64");
  // Pairs have no target per instance or per source step.
  EXPECT_EQ(
      errorOf(gatherTargets(train, rows, tensorType(DType::I64, {-1}), "y")),
      "input 'y' is a target, but the data are pairs of sequences, "
      "whose target side is y_in and y");
  EXPECT_EQ(errorOf(gatherStepTargets(train, rows,
                                      tensorType(DType::I64, {-1, -1}), "y")),
            "input 'y' is a target, but the data are pairs of sequences, "
            "whose target side is y_in and y");
  Dataset notPairs;
  notPairs.sequential = true;
  notPairs.offsets = {0, 1};
  notPairs.tokens = {4};
  notPairs.rows = 1;
  EXPECT_EQ(errorOf(gatherDecoderTargets(
                notPairs, {0}, tensorType(DType::I64, {-1, -1}), "y")),
            "input 'y' is a side of pairs of sequences, but the data are not "
            "pairs");
}

TEST(PairsDataTest, BucketsBySourceLengthEveryPairOncePerEpoch) {
  // 300 pairs with sources of 1..30 units (10 of each), batches of 8.
  std::string text;
  for (int i = 0; i < 300; ++i)
    text += std::string(1 + (i * 17) % 30, 'a') + "\t" +
            std::string(1 + i % 7, 'b') + "\n";
  SEQC_ASSERT_OK_AND_ASSIGN(data,
                            parseTrainAndValid(pairsSpec(), text, "a\tb\n"));
  const Dataset &train = data.train;
  std::vector<int64_t> lengths;
  for (int64_t row = 0; row < train.rows; ++row)
    lengths.push_back(train.length(row));

  Rng rng = Rng::forStream(11, "data.shuffle");
  Rng same = rng;
  auto epoch = bucketedBatches(lengths, 8, true, rng);
  ASSERT_EQ(epoch.size(), 38u); // the last one holds 4
  std::multiset<int64_t> seen;
  int64_t widest = 0;
  for (const auto &batch : epoch) {
    seen.insert(batch.begin(), batch.end());
    auto [low, high] = std::minmax_element(
        batch.begin(), batch.end(),
        [&](int64_t a, int64_t b) { return lengths[a] < lengths[b]; });
    widest = std::max(widest, lengths[*high] - lengths[*low]);
  }
  // Every pair exactly once.
  EXPECT_EQ(seen.size(), 300u);
  EXPECT_EQ(std::set<int64_t>(seen.begin(), seen.end()).size(), 300u);
  // One bucket (300 < 50 batches of 8) sorted by source length: 10 pairs of
  // each length, so a batch of 8 spans at most 2 lengths.
  EXPECT_LE(widest, 1);
  // Deterministic for a seed, and a different order the next epoch.
  EXPECT_EQ(bucketedBatches(lengths, 8, true, same), epoch);
  EXPECT_NE(bucketedBatches(lengths, 8, true, rng), epoch);
  Rng other = Rng::forStream(12, "data.shuffle");
  EXPECT_NE(bucketedBatches(lengths, 8, true, other), epoch);
}

TEST(PairsDataTest, EncodeTheSourceAndDecodeTheTarget) {
  SEQC_ASSERT_OK_AND_ASSIGN(data, parseTrainAndValid(pairsSpec("word"),
                                                     "the <s> cat\tle chat\n",
                                                     "a\tb\n"));
  const DataSchema &schema = data.schema;
  // A word spelled like a reserved entry is the unit of the vocabulary.
  EXPECT_THAT(schema.vocabulary, ElementsAre("<pad>", "<unk>", "<s>", "</s>",
                                             "<s>", "cat", "the"));
  EXPECT_THAT(encodeText(schema, "the <s> dog"), ElementsAre(6, 4, 1));
  EXPECT_EQ(decodeTokens(schema, {kStartToken, 6, 5, kEndToken, kPadToken}),
            "the cat");
  // A decoder's output ends at </s>; <s> and <pad> give nothing.
  EXPECT_THAT(schema.targetVocabulary,
              ElementsAre("<pad>", "<unk>", "<s>", "</s>", "chat", "le"));
  EXPECT_EQ(decodeTarget(schema, {kStartToken, 5, kUnknownToken, 4, kEndToken,
                                  5, kPadToken}),
            "le <unk> chat");
  EXPECT_EQ(decodeTarget(schema, {5, 99, kPadToken}), "le <unk>");
}

//===----------------------------------------------------------------------===//
// Checkpoints
//===----------------------------------------------------------------------===//

TEST(PairsDataTest, SchemaRoundTripsAndReadsNewData) {
  SEQC_ASSERT_OK_AND_ASSIGN(data, parseTrainAndValid(pairsSpec("char", "word"),
                                                     "ab\tX Y\n", "a\tX\n"));
  MetadataMap metadata;
  data.schema.toMetadata(metadata);
  EXPECT_EQ(metadata["seqc.data.kind"], "pairs");
  EXPECT_EQ(metadata["seqc.data.target_unit"], "word");
  SEQC_ASSERT_OK_AND_ASSIGN(back, DataSchema::fromMetadata(metadata, "ck"));
  EXPECT_EQ(back.kind, DataSourceKind::Pairs);
  EXPECT_EQ(back.unit, "char");
  EXPECT_EQ(back.targetUnit, "word");
  EXPECT_EQ(back.vocabulary, data.schema.vocabulary);
  EXPECT_EQ(back.targetVocabulary, data.schema.targetVocabulary);
  EXPECT_EQ(back.dataDims(), data.schema.dataDims());

  // New data read with the checkpoint's vocabularies: new units are <unk>.
  DataOptions options;
  options.schema = &back;
  SEQC_ASSERT_OK_AND_ASSIGN(again,
                            parseTrainAndValid(pairsSpec("char", "word"),
                                               "ba\tY Z\n", "c\tX\n", options));
  EXPECT_EQ(again.schema.targetVocabulary, data.schema.targetVocabulary);
  EXPECT_THAT(rowTokens(again.train, 0), ElementsAre(5, 4));
  EXPECT_THAT(targetOf(again.train, 0), ElementsAre(5, kUnknownToken));
  // A checkpoint of another target unit does not read the data.
  EXPECT_THAT(errorOf(parseTrainAndValid(pairsSpec("char", "char"), "a\tb\n",
                                         "a\tb\n", options)),
              HasSubstr("the model was trained on target_unit = \"word\", but "
                        "the train block says target_unit = \"char\""));

  MetadataMap corrupt = metadata;
  corrupt["seqc.data.target_vocabulary"] = "[\"<pad>\"]";
  EXPECT_EQ(errorOf(DataSchema::fromMetadata(corrupt, "ck")),
            "ck: corrupt checkpoint: metadata 'seqc.data.target_vocabulary' "
            "lacks <pad>, <unk>, <s> and </s>");
  corrupt.erase("seqc.data.target_unit");
  EXPECT_EQ(errorOf(DataSchema::fromMetadata(corrupt, "ck")),
            "ck: corrupt checkpoint: metadata 'seqc.data.target_unit' is "
            "missing");
}

} // namespace
