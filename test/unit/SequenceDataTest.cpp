//===- SequenceDataTest.cpp - Text, labeled sequences and series ----------===//
//
// The loaders of SequenceData.h on texts in memory: units, vocabularies and
// their ids, <pad> and <unk>, text and series windows (targets one step
// ahead), labeled sequences from TSV and class files, max_len, the errors
// with their positions; then batches (time-major, padded, masks) and the
// bucketed epoch order.
//
//===----------------------------------------------------------------------===//
#include "seqc/Runtime/SequenceData.h"
#include "seqc/Runtime/Batches.h"

#include "DataTestUtil.h"
#include "TestUtil.h"

#include <gtest/gtest.h>

#include <limits>
#include <set>

using namespace seqc;
using namespace seqc::rt;
using namespace seqc::test;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace {

DataSpec textSpec(int64_t window, double split = 1.0) {
  DataSpec spec;
  spec.kind = DataSourceKind::Text;
  spec.path = "t.txt";
  spec.window = window;
  spec.split = split;
  return spec;
}

llvm::Expected<LoadedData> parseOne(const DataSpec &spec, llvm::StringRef text,
                                    llvm::StringRef name = "t.txt",
                                    const DataOptions &options = {}) {
  return parseSequenceData(spec, {DataFile{name.str(), text}}, options);
}

std::vector<int64_t> lengths(const Dataset &data) {
  std::vector<int64_t> result;
  for (int64_t row = 0; row < data.rows; ++row)
    result.push_back(data.length(row));
  return result;
}

TEST(SequenceDataTest, Units) {
  EXPECT_THAT(splitUnits("ab c", "char"), ElementsAre("a", "b", " ", "c"));
  // Bytes: an em dash is three units.
  EXPECT_EQ(splitUnits("a\xE2\x80\x94", "char").size(), 4u);
  EXPECT_THAT(splitUnits("  the cat\n\tsat\r\n", "word"),
              ElementsAre("the", "cat", "sat"));
  EXPECT_TRUE(splitUnits(" \n ", "word").empty());
}

TEST(SequenceDataTest, TextVocabularyAndWindows) {
  SEQC_ASSERT_OK_AND_ASSIGN(data, parseOne(textSpec(3), "abracadabra"));
  // a: 5, b: 2, r: 2 (ties by bytes), c: 1, d: 1.
  EXPECT_THAT(data.schema.vocabulary,
              ElementsAre("<pad>", "<unk>", "a", "b", "r", "c", "d"));
  EXPECT_THAT(data.schema.dataDims(),
              ElementsAre(std::pair<std::string, int64_t>("vocab", 7)));
  EXPECT_EQ(data.schema.kind, DataSourceKind::Text);
  // 11 units, windows of 3 with stride 3: abr|aca|dab; the tail "ra" lacks
  // a next unit for a fourth window.
  EXPECT_EQ(data.train.rows, 3);
  EXPECT_TRUE(data.train.sequential && data.train.stepTargets);
  EXPECT_TRUE(data.train.tokenSteps());
  EXPECT_THAT(data.train.offsets, ElementsAre(0, 3, 6, 9));
  EXPECT_THAT(data.train.tokens, ElementsAre(2, 3, 4, 2, 5, 2, 6, 2, 3));
  // y is x one unit ahead: bra|cad|abr.
  EXPECT_THAT(data.train.targets, ElementsAre(3, 4, 2, 5, 2, 6, 2, 3, 4));
  EXPECT_EQ(data.train.targetKind, TargetKind::ClassIndex);
  EXPECT_EQ(data.valid.rows, 0);
}

TEST(SequenceDataTest, TextSplitsByPositionAndUnknownUnits) {
  // 9 units; the first 6 train. The vocabulary is the training part's: z,
  // seen only in the validation part, is <unk> there.
  SEQC_ASSERT_OK_AND_ASSIGN(data,
                            parseOne(textSpec(2, 6.0 / 9.0), "abababzab"));
  EXPECT_THAT(data.schema.vocabulary, ElementsAre("<pad>", "<unk>", "a", "b"));
  EXPECT_EQ(data.train.rows, 2);
  EXPECT_THAT(data.train.tokens, ElementsAre(2, 3, 2, 3));
  EXPECT_THAT(data.train.targets, ElementsAre(3, 2, 3, 2));
  EXPECT_EQ(data.valid.rows, 1);
  EXPECT_THAT(data.valid.tokens, ElementsAre(kUnknownToken, 2));
  EXPECT_THAT(data.valid.targets, ElementsAre(2, 3));
  EXPECT_EQ(data.train.name, "t.txt (training split)");
  EXPECT_EQ(data.valid.name, "t.txt (validation split)");
}

TEST(SequenceDataTest, MinCountAndWords) {
  DataSpec spec = textSpec(2);
  spec.minCount = 2;
  SEQC_ASSERT_OK_AND_ASSIGN(chars, parseOne(spec, "aaabbc"));
  EXPECT_THAT(chars.schema.vocabulary, ElementsAre("<pad>", "<unk>", "a", "b"));
  EXPECT_THAT(chars.train.tokens, ElementsAre(2, 2, 2, 3));
  EXPECT_THAT(chars.train.targets, ElementsAre(2, 2, 3, 3));

  spec = textSpec(2);
  spec.unit = "word";
  SEQC_ASSERT_OK_AND_ASSIGN(words,
                            parseOne(spec, "the cat  the\nhat\tthe end"));
  EXPECT_THAT(words.schema.vocabulary,
              ElementsAre("<pad>", "<unk>", "the", "cat", "end", "hat"));
  EXPECT_THAT(words.train.tokens, ElementsAre(2, 3, 2, 5));
  EXPECT_EQ(words.schema.unit, "word");
}

TEST(SequenceDataTest, TextErrorsNameTheFile) {
  EXPECT_EQ(errorOf(parseOne(textSpec(4), "")),
            "t.txt:1:1: error: empty text: no characters to read");
  EXPECT_EQ(errorOf(parseOne(textSpec(5), "abcde")),
            "t.txt:1:1: error: window = 5 is longer than the text: a window "
            "needs 6 chars (x and the next unit y), but t.txt has 5");
  // The largest window a train block takes: no overflow counting its units.
  constexpr int64_t kLargest = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(errorOf(parseOne(textSpec(kLargest), "abcde")),
            "t.txt:1:1: error: window = 9223372036854775807 is longer than "
            "the text: a window needs 9223372036854775808 chars (x and the "
            "next unit y), but t.txt has 5");
  DataSpec spec = textSpec(4, 0.5);
  spec.loc = {"m.seq", 3, 15};
  EXPECT_EQ(errorOf(parseOne(spec, "abcdefgh")),
            "m.seq:3:15: error: window = 4 is longer than the text: a window "
            "needs 5 chars (x and the next unit y), but t.txt has 8 (4 in "
            "the training split)");
  spec = textSpec(4);
  spec.unit = "byte";
  EXPECT_EQ(errorOf(parseOne(spec, "abcdefgh")),
            "unit must be \"char\" or \"word\", got \"byte\"");
}

DataSpec tsvSpec(double split = 1.0) {
  DataSpec spec;
  spec.kind = DataSourceKind::Sequences;
  spec.path = "s.tsv";
  spec.split = split;
  return spec;
}

TEST(SequenceDataTest, LabeledTsv) {
  SEQC_ASSERT_OK_AND_ASSIGN(
      data, parseOne(tsvSpec(),
                     "label\ttext\nspam\tbuy\\tnow\nham\thi\\\\\n"
                     "\nham\tab\\r\\n\n",
                     "s.tsv"));
  EXPECT_THAT(data.schema.classes, ElementsAre("ham", "spam"));
  EXPECT_THAT(data.schema.dataDims(),
              ElementsAre(std::pair<std::string, int64_t>("vocab", 15),
                          std::pair<std::string, int64_t>("classes", 2)));
  EXPECT_EQ(data.train.rows, 3);
  EXPECT_FALSE(data.train.stepTargets);
  EXPECT_THAT(data.train.targets, ElementsAre(1, 0, 0));
  // The escapes are undone: "buy<TAB>now" is 7 units, "hi\" 3, "ab<CR><LF>" 4.
  EXPECT_THAT(lengths(data.train), ElementsAre(7, 3, 4));
  const auto &vocabulary = data.schema.vocabulary;
  EXPECT_EQ(rowTokens(data.train, 1).back(),
            std::find(vocabulary.begin(), vocabulary.end(), "\\") -
                vocabulary.begin());
  EXPECT_EQ(rowTokens(data.train, 2)[2],
            std::find(vocabulary.begin(), vocabulary.end(), "\r") -
                vocabulary.begin());
}

TEST(SequenceDataTest, NumericLabelsAndMaxLength) {
  DataSpec spec = tsvSpec();
  spec.unit = "word";
  spec.maxLength = 2;
  SEQC_ASSERT_OK_AND_ASSIGN(data,
                            parseOne(spec,
                                     "text\tlabel\none two three\t10\nfour\t2\n"
                                     "five six\t2.0\n",
                                     "s.tsv"));
  // Numbers in numeric order; 2 and 2.0 are one class.
  EXPECT_THAT(data.schema.classes, ElementsAre("2", "10"));
  EXPECT_THAT(data.train.targets, ElementsAre(1, 0, 0));
  // Cut to the first 2 words: "three" is gone from the vocabulary.
  EXPECT_THAT(lengths(data.train), ElementsAre(2, 1, 2));
  EXPECT_THAT(data.schema.vocabulary, ElementsAre("<pad>", "<unk>", "five",
                                                  "four", "one", "six", "two"));
  EXPECT_EQ(data.schema.maxLength, 2);
}

TEST(SequenceDataTest, TsvErrorsHavePositions) {
  auto parse = [](llvm::StringRef text) {
    return errorOf(parseOne(tsvSpec(), text, "s.tsv"));
  };
  EXPECT_EQ(parse(""), "s.tsv:1:1: error: empty data file: expected a header "
                       "row 'label<TAB>text', then one labeled text a line");
  EXPECT_EQ(parse("\nlabel\ttext\n"),
            "s.tsv:2:1: error: no data rows after the header");
  EXPECT_EQ(parse("name\tbody\n"),
            "s.tsv:1:1: error: expected a header row naming the columns "
            "'label' and 'text' (separated by a tab), found 'name\tbody'");
  EXPECT_EQ(parse("label\ttext\na\tx\nb\tsay \\q\n"),
            "s.tsv:3:7: error: unknown escape '\\q' in a text: the texts of a "
            "TSV file escape only \\\\, \\t, \\n and \\r");
  EXPECT_EQ(parse("label\ttext\na\tx\tz\n"),
            "s.tsv:2:5: error: ragged row: 3 cells, but the header has 2 "
            "columns (texts escape a tab as \\t)");
  EXPECT_EQ(parse("label\ttext\na\tx\nb\t\n"),
            "s.tsv:3:3: error: empty text: a sequence needs at least one char");
  // A blank text is empty in words; in chars a space is a unit.
  DataSpec words = tsvSpec();
  words.unit = "word";
  EXPECT_EQ(errorOf(parseOne(words, "label\ttext\na\tx\nb\t \n", "s.tsv")),
            "s.tsv:3:3: error: empty text: a sequence needs at least one word");
  EXPECT_EQ(parse("label\ttext\na\tx\na\ty\n"),
            "s.tsv:1:1: error: the data has 1 class; classification needs at "
            "least 2");
}

TEST(SequenceDataTest, TrainAndValidFilesShareTheVocabularyOfTraining) {
  DataSpec spec = tsvSpec();
  spec.trainPath = "train.tsv";
  spec.validPath = "valid.tsv";
  SEQC_ASSERT_OK_AND_ASSIGN(
      data, parseSequenceData(
                spec, {DataFile{"train.tsv", "label\ttext\nf\tann\nm\tbob\n"},
                       DataFile{"valid.tsv", "label\ttext\nm\tzed\n"}}));
  EXPECT_THAT(data.schema.vocabulary,
              ElementsAre("<pad>", "<unk>", "b", "n", "a", "o"));
  EXPECT_EQ(data.train.rows, 2);
  EXPECT_EQ(data.valid.rows, 1);
  // z, e and d are not in the training file: <unk>.
  EXPECT_THAT(data.valid.tokens,
              ElementsAre(kUnknownToken, kUnknownToken, kUnknownToken));
  EXPECT_THAT(data.valid.targets, ElementsAre(1));
  EXPECT_EQ(data.valid.name, "valid.tsv");
}

TEST(SequenceDataTest, ClassFiles) {
  DataSpec spec;
  spec.kind = DataSourceKind::Sequences;
  spec.classFiles = {"names/male.txt", "names/female.txt"};
  spec.split = 1.0;
  std::vector<DataFile> files{
      {"names/male.txt", "Al\nBo\n"},
      {"names/female.txt", "Ann\r\nEve\n\n  \nMary Jo\n"}};
  SEQC_ASSERT_OK_AND_ASSIGN(data, parseSequenceData(spec, files));
  // The class is the file's stem; classes in lexicographic order.
  EXPECT_THAT(data.schema.classes, ElementsAre("female", "male"));
  EXPECT_EQ(data.train.rows, 5);
  EXPECT_THAT(data.train.targets, ElementsAre(1, 1, 0, 0, 0));
  // Blank lines are skipped; a line's CR is not part of it.
  EXPECT_THAT(lengths(data.train), ElementsAre(2, 2, 3, 3, 7));

  // One seeded split of all texts; the same seed gives the same split.
  spec.split = 0.6;
  DataOptions options;
  options.seed = 3;
  SEQC_ASSERT_OK_AND_ASSIGN(split, parseSequenceData(spec, files, options));
  SEQC_ASSERT_OK_AND_ASSIGN(again, parseSequenceData(spec, files, options));
  EXPECT_EQ(split.train.rows, 3);
  EXPECT_EQ(split.valid.rows, 2);
  EXPECT_EQ(split.train.tokens, again.train.tokens);
  EXPECT_EQ(split.valid.targets, again.valid.targets);
  EXPECT_EQ(split.schema.split, 0.6);

  files[1].text = "\n\n";
  EXPECT_EQ(errorOf(parseSequenceData(spec, files)),
            "names/female.txt:1:1: error: empty class file: expected one text "
            "of class 'female' a line");
}

DataSpec seriesSpec(int64_t window, double split = 1.0) {
  DataSpec spec;
  spec.kind = DataSourceKind::Series;
  spec.path = "s.csv";
  spec.features = {"a"};
  spec.targetKind = TargetKind::Vector;
  spec.targets = {"b"};
  spec.window = window;
  spec.split = split;
  return spec;
}

constexpr llvm::StringLiteral kSeries = "a,b,c\n1,10,0\n2,20,0\n3,30,0\n"
                                        "4,40,0\n5,50,0\n6,60,0\n";

TEST(SequenceDataTest, SeriesWindowsAndTargetsOneStepAhead) {
  SEQC_ASSERT_OK_AND_ASSIGN(data, parseOne(seriesSpec(2), kSeries, "s.csv"));
  EXPECT_THAT(data.schema.dataDims(),
              ElementsAre(std::pair<std::string, int64_t>("features", 1),
                          std::pair<std::string, int64_t>("targets", 1)));
  // 6 rows: x = rows 1-2 and 3-4; y = b of rows 2-3 and 4-5. Row 5 alone
  // is too short for a third window.
  EXPECT_EQ(data.train.rows, 2);
  EXPECT_FALSE(data.train.tokenSteps());
  EXPECT_THAT(data.train.offsets, ElementsAre(0, 2, 4));
  EXPECT_THAT(data.train.features, ElementsAre(1, 2, 3, 4));
  EXPECT_THAT(data.train.targets, ElementsAre(20, 30, 40, 50));

  // Two target columns; the split by position; statistics of the training
  // rows (1, 2, 3, 4: mean 2.5, deviation sqrt(1.25)) for all rows.
  DataSpec spec = seriesSpec(1, 4.0 / 6.0);
  spec.targets = {"b", "a"};
  spec.standardize = true;
  SEQC_ASSERT_OK_AND_ASSIGN(scaled, parseOne(spec, kSeries, "s.csv"));
  EXPECT_THAT(scaled.schema.mean, ElementsAre(2.5));
  EXPECT_THAT(scaled.schema.stddev, ElementsAre(std::sqrt(1.25)));
  EXPECT_THAT(scaled.schema.targetMean, ElementsAre(25.0, 2.5));
  EXPECT_EQ(scaled.train.rows, 3);
  EXPECT_EQ(scaled.valid.rows, 1);
  EXPECT_EQ(scaled.train.targetWidth, 2);
  double s = std::sqrt(1.25);
  EXPECT_DOUBLE_EQ(scaled.train.features[0], (1 - 2.5) / s);
  // y of the first window: row 2's b and a.
  EXPECT_DOUBLE_EQ(scaled.train.targets[0], (20 - 25) / (10 * s));
  EXPECT_DOUBLE_EQ(scaled.train.targets[1], (2 - 2.5) / s);
  // Validation: x = row 5, y = row 6.
  EXPECT_DOUBLE_EQ(scaled.valid.features[0], (5 - 2.5) / s);
  EXPECT_DOUBLE_EQ(scaled.valid.targets[1], (6 - 2.5) / s);

  EXPECT_EQ(errorOf(parseOne(seriesSpec(6), kSeries, "s.csv")),
            "s.csv:1:1: error: window = 6 is longer than the series: a window "
            "needs 7 rows (x and the next row's y), but s.csv has 6");
  EXPECT_EQ(errorOf(parseOne(seriesSpec(std::numeric_limits<int64_t>::max()),
                             kSeries, "s.csv")),
            "s.csv:1:1: error: window = 9223372036854775807 is longer than "
            "the series: a window needs 9223372036854775808 rows (x and the "
            "next row's y), but s.csv has 6");
  EXPECT_EQ(errorOf(parseOne(seriesSpec(2), "a,b\n", "s.csv")),
            "s.csv:1:1: error: no data rows after the header");
  EXPECT_EQ(errorOf(parseOne(seriesSpec(2), "a,b\n1,x\n", "s.csv")),
            "s.csv:2:3: error: 'x' in column 'b' is not a number");
}

TEST(SequenceDataTest, SchemaRoundTripsThroughMetadata) {
  DataSpec spec = tsvSpec();
  spec.unit = "word";
  spec.maxLength = 7;
  SEQC_ASSERT_OK_AND_ASSIGN(
      data, parseOne(spec, "label\ttext\na\tx y\nb\ty\n", "s.tsv"));
  MetadataMap metadata;
  data.schema.toMetadata(metadata);
  SEQC_ASSERT_OK_AND_ASSIGN(back, DataSchema::fromMetadata(metadata, "c"));
  EXPECT_EQ(back.kind, DataSourceKind::Sequences);
  EXPECT_EQ(back.unit, "word");
  EXPECT_EQ(back.maxLength, 7);
  EXPECT_EQ(back.vocabulary, data.schema.vocabulary);
  EXPECT_EQ(back.classes, data.schema.classes);
  EXPECT_EQ(back.dataDims(), data.schema.dataDims());

  DataSpec series = seriesSpec(2);
  series.standardize = true;
  SEQC_ASSERT_OK_AND_ASSIGN(numbers, parseOne(series, kSeries, "s.csv"));
  metadata.clear();
  numbers.schema.toMetadata(metadata);
  SEQC_ASSERT_OK_AND_ASSIGN(again, DataSchema::fromMetadata(metadata, "c"));
  EXPECT_EQ(again.kind, DataSourceKind::Series);
  EXPECT_EQ(again.window, 2);
  EXPECT_EQ(again.targetMean, numbers.schema.targetMean);
  EXPECT_EQ(again.targetStddev, numbers.schema.targetStddev);

  // Char units are bytes, which JSON strings cannot hold as they are: the
  // metadata escapes them, and a backslash.
  DataSchema bytes = data.schema;
  bytes.vocabulary = {"<pad>", "<unk>",        "\xE2", "\x80",
                      "\\",    "\xE2\x80\x94", "a\\x", "\xFFz"};
  metadata.clear();
  bytes.toMetadata(metadata);
  EXPECT_EQ(metadata.at("seqc.data.vocabulary"),
            R"(["<pad>","<unk>","\\xE2","\\x80","\\\\",")"
            "\xE2\x80\x94"
            R"(","a\\\\x","\\xFFz"])");
  SEQC_ASSERT_OK_AND_ASSIGN(unescaped, DataSchema::fromMetadata(metadata, "c"));
  EXPECT_EQ(unescaped.vocabulary, bytes.vocabulary);

  metadata["seqc.data.vocabulary"] = R"(["<pad>","<unk>","\\q"])";
  EXPECT_EQ(errorOf(DataSchema::fromMetadata(metadata, "c")),
            "c: corrupt checkpoint: metadata 'seqc.data.vocabulary' has a "
            "unit with a bad escape (\\\\ or \\xNN)");
  metadata["seqc.data.vocabulary"] = "[1]";
  EXPECT_EQ(errorOf(DataSchema::fromMetadata(metadata, "c")),
            "c: corrupt checkpoint: metadata 'seqc.data.vocabulary' is not a "
            "list of strings");
}

/// Labels that are names ("inf" is not a number, so "01" and "1" are two
/// classes) keep their classes under the checkpoint's schema.
TEST(SequenceDataTest, CheckpointClassesAreNamesWhenTrainingsWere) {
  const char *text = "label\ttext\n01\ta\n1\tb\ninf\tc\n01\td\n";
  SEQC_ASSERT_OK_AND_ASSIGN(trained, parseOne(tsvSpec(), text, "s.tsv"));
  EXPECT_THAT(trained.schema.classes, ElementsAre("01", "1", "inf"));
  DataOptions options;
  options.schema = &trained.schema;
  SEQC_ASSERT_OK_AND_ASSIGN(resumed,
                            parseOne(tsvSpec(), text, "s.tsv", options));
  EXPECT_EQ(resumed.train.targets, trained.train.targets);
}

TEST(SequenceDataTest, ACheckpointsVocabularyReadsNewData) {
  SEQC_ASSERT_OK_AND_ASSIGN(trained, parseOne(textSpec(2), "abab"));
  DataOptions options;
  options.schema = &trained.schema;
  SEQC_ASSERT_OK_AND_ASSIGN(data,
                            parseOne(textSpec(2), "cbacb", "u.txt", options));
  EXPECT_EQ(data.schema.vocabulary, trained.schema.vocabulary);
  EXPECT_THAT(data.train.tokens,
              ElementsAre(kUnknownToken, 3, 2, kUnknownToken));
  DataSpec words = textSpec(2);
  words.unit = "word";
  EXPECT_EQ(errorOf(parseOne(words, "a b c", "u.txt", options)),
            "the model was trained on unit = \"char\", but the train block "
            "says unit = \"word\"");
}

TEST(SequenceDataTest, EncodeAndDecode) {
  DataSchema schema;
  schema.kind = DataSourceKind::Text;
  schema.unit = "char";
  schema.vocabulary = {"<pad>", "<unk>", "a", "b"};
  EXPECT_THAT(encodeText(schema, "abz"), ElementsAre(2, 3, kUnknownToken));
  EXPECT_EQ(decodeTokens(schema, {2, 0, 3, 1, 9}),
            "ab\xEF\xBF\xBD\xEF\xBF\xBD");
  schema.unit = "word";
  schema.vocabulary = {"<pad>", "<unk>", "the", "cat"};
  EXPECT_THAT(encodeText(schema, " the dog\ncat "),
              ElementsAre(2, kUnknownToken, 3));
  EXPECT_EQ(decodeTokens(schema, {2, 1, 3}), "the <unk> cat");
}

//===----------------------------------------------------------------------===//
// Batches
//===----------------------------------------------------------------------===//

TEST(SequenceDataTest, TokenBatchesAreTimeMajorPaddedAndMasked) {
  SEQC_ASSERT_OK_AND_ASSIGN(
      data,
      parseOne(tsvSpec(), "label\ttext\nx\tab\ny\tbbab\nx\ta\n", "s.tsv"));
  // b: 4, a: 3.
  EXPECT_THAT(data.schema.vocabulary, ElementsAre("<pad>", "<unk>", "b", "a"));
  std::vector<int64_t> rows{2, 1, 0}; // lengths 1, 4, 2
  EXPECT_EQ(batchLength(data.train, rows), 4);
  SEQC_ASSERT_OK_AND_ASSIGN(
      x, gatherSteps(data.train, rows, tensorType(DType::I64, {-1, -1}), "x"));
  EXPECT_THAT(x.shape(), ElementsAre(4, 3));
  // Row t holds step t of each instance: a|b|a, pad|b|b, pad|a|pad, pad|b|pad.
  EXPECT_THAT(x.values<int64_t>(),
              ElementsAre(3, 2, 3, 0, 2, 2, 0, 3, 0, 0, 2, 0));
  SEQC_ASSERT_OK_AND_ASSIGN(
      mask,
      gatherMask(data.train, rows, tensorType(DType::F32, {-1, -1}), "mask"));
  EXPECT_THAT(mask.values<float>(),
              ElementsAre(1, 1, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0));
  SEQC_ASSERT_OK_AND_ASSIGN(
      y, gatherTargets(data.train, rows, tensorType(DType::I64, {-1}), "y"));
  EXPECT_THAT(y.values<int64_t>(), ElementsAre(0, 1, 0));

  EXPECT_EQ(errorOf(gatherSteps(data.train, rows,
                                tensorType(DType::F32, {-1, -1}), "x")),
            "input 'x' has type [?, ?] f32; the data's steps are token ids, "
            "fed as an integer type");
  EXPECT_EQ(
      errorOf(gatherSteps(data.train, rows, tensorType(DType::I64, {-1}), "x")),
      "input 'x' has type [?] i64; sequence data feeds time-major "
      "inputs [T, N, ...] with static sizes after T and N");
  EXPECT_EQ(errorOf(gatherMask(data.train, rows,
                               tensorType(DType::I64, {-1, -1}), "mask")),
            "input 'mask' has type [?, ?] i64; the mask is f32 or f64");
}

TEST(SequenceDataTest, StepTargetsAndSeriesBatches) {
  SEQC_ASSERT_OK_AND_ASSIGN(text, parseOne(textSpec(2), "abbab"));
  // b: 3, a: 2, so b = 2 and a = 3. Windows x = ab, y = bb; x = ba, y = ab.
  std::vector<int64_t> rows{1, 0};
  SEQC_ASSERT_OK_AND_ASSIGN(
      y, gatherStepTargets(text.train, rows, tensorType(DType::I64, {-1, -1}),
                           "y"));
  EXPECT_THAT(y.shape(), ElementsAre(2, 2));
  EXPECT_THAT(y.values<int64_t>(), ElementsAre(3, 2, 2, 2));

  DataSpec spec = seriesSpec(2);
  spec.features = {"a", "c"};
  SEQC_ASSERT_OK_AND_ASSIGN(series, parseOne(spec, kSeries, "s.csv"));
  SEQC_ASSERT_OK_AND_ASSIGN(x, gatherSteps(series.train, rows,
                                           tensorType(DType::F64, {-1, -1, 2}),
                                           "x"));
  EXPECT_THAT(x.shape(), ElementsAre(2, 2, 2));
  EXPECT_THAT(x.values<double>(), ElementsAre(3, 0, 1, 0, 4, 0, 2, 0));
  SEQC_ASSERT_OK_AND_ASSIGN(
      flat, gatherStepTargets(series.train, rows,
                              tensorType(DType::F32, {-1, -1}), "y"));
  EXPECT_THAT(flat.values<float>(), ElementsAre(40, 20, 50, 30));
  SEQC_ASSERT_OK_AND_ASSIGN(
      wide, gatherStepTargets(series.train, rows,
                              tensorType(DType::F32, {-1, -1, 1}), "y"));
  EXPECT_THAT(wide.shape(), ElementsAre(2, 2, 1));
  EXPECT_EQ(errorOf(gatherSteps(series.train, rows,
                                tensorType(DType::F64, {-1, -1, 3}), "x")),
            "input 'x' takes 3 values per step ([?, ?, 3] f64), but the data "
            "has 2 features per step");
}

//===----------------------------------------------------------------------===//
// The epoch order
//===----------------------------------------------------------------------===//

TEST(SequenceDataTest, BucketedBatchesGroupLengthsAndAreSeeded) {
  std::vector<int64_t> lengths;
  for (int64_t i = 0; i < 23; ++i)
    lengths.push_back((i * 7) % 11 + 1);
  Rng rng = Rng::forStream(2, "data.shuffle");
  Rng same = rng;
  auto first = bucketedBatches(lengths, 4, true, rng);
  ASSERT_EQ(first.size(), 6u);
  std::multiset<int64_t> seen;
  int64_t partial = 0;
  for (const auto &batch : first) {
    seen.insert(batch.begin(), batch.end());
    partial += batch.size() != 4;
  }
  EXPECT_EQ(seen.size(), 23u);
  EXPECT_EQ(std::set<int64_t>(seen.begin(), seen.end()).size(), 23u);
  EXPECT_EQ(partial, 1); // 23 = 5 * 4 + 3
  // All rows are one run (fewer than 50 batches): sorted by length, then
  // cut, so the batches' length ranges do not overlap.
  std::vector<std::pair<int64_t, int64_t>> ranges;
  for (const auto &batch : first) {
    int64_t low = 1 << 30, high = 0;
    for (int64_t row : batch) {
      low = std::min(low, lengths[row]);
      high = std::max(high, lengths[row]);
    }
    ranges.emplace_back(low, high);
  }
  llvm::sort(ranges);
  for (size_t i = 1; i < ranges.size(); ++i)
    EXPECT_LE(ranges[i - 1].second, ranges[i].first);

  // The same generator state gives the same epochs; a state saved between
  // epochs (as a checkpoint does) continues them exactly.
  EXPECT_EQ(bucketedBatches(lengths, 4, true, same), first);
  auto second = bucketedBatches(lengths, 4, true, rng);
  EXPECT_NE(second, first);
  std::optional<Rng> restored = Rng::deserialize(same.serialize());
  ASSERT_TRUE(restored);
  EXPECT_EQ(bucketedBatches(lengths, 4, true, *restored), second);
  EXPECT_EQ(*restored, rng);

  // Without shuffling: the rows in order, and no draws.
  Rng unused(5);
  auto inOrder = bucketedBatches(lengths, 10, false, unused);
  ASSERT_EQ(inOrder.size(), 3u);
  EXPECT_THAT(inOrder[2], ElementsAre(20, 21, 22));
  EXPECT_EQ(unused, Rng(5));
}

TEST(SequenceDataTest, BucketsAreRunsOfFiftyBatches) {
  // 2 * 50 * 2 rows in batches of 2: two runs of 100 rows; each batch lies
  // in one run and its lengths are neighbours in that run's sorted order.
  std::vector<int64_t> lengths;
  for (int64_t i = 0; i < 200; ++i)
    lengths.push_back(i % 13);
  Rng rng(7);
  auto batches = bucketedBatches(lengths, 2, true, rng);
  EXPECT_EQ(batches.size(), 100u);
  int64_t spread = 0;
  for (const auto &batch : batches)
    spread =
        std::max(spread, std::abs(lengths[batch[0]] - lengths[batch.back()]));
  // 100 rows of 13 lengths per run: a batch spans at most 2 lengths.
  EXPECT_LE(spread, 1);
}

} // namespace
