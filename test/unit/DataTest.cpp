//===- DataTest.cpp - Tables of training data -----------------------------===//
#include "seqc/Runtime/Data.h"
#include "seqc/Runtime/Batches.h"

#include "TestUtil.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

using namespace seqc;
using namespace seqc::rt;
using seqc::test::errorOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace {

DataSpec labelSpec(double split = 1.0) {
  DataSpec spec;
  spec.path = "t.csv";
  spec.targetKind = TargetKind::ClassIndex;
  spec.targets = {"y"};
  spec.split = split;
  return spec;
}

llvm::Expected<LoadedData> parse(const DataSpec &spec, llvm::StringRef text,
                                 const DataOptions &options = {}) {
  return parseData(spec, text, "t.csv", "", "", options);
}

std::vector<double> column(const Dataset &data, int64_t index) {
  std::vector<double> values;
  for (int64_t row = 0; row < data.rows; ++row)
    values.push_back(data.featureRow(row)[index]);
  return values;
}

TEST(DataTest, FeaturesAreEveryColumnButTheTargets) {
  SEQC_ASSERT_OK_AND_ASSIGN(data,
                            parse(labelSpec(), "a,y,b\n1,cat,2\n3,dog,4\n"));
  EXPECT_THAT(data.schema.features, ElementsAre("a", "b"));
  EXPECT_EQ(data.train.rows, 2);
  EXPECT_EQ(data.train.numFeatures, 2);
  EXPECT_THAT(data.train.features, ElementsAre(1, 2, 3, 4));
  EXPECT_EQ(data.valid.rows, 0);
  EXPECT_THAT(data.schema.dataDims(),
              ElementsAre(std::pair<std::string, int64_t>("features", 2),
                          std::pair<std::string, int64_t>("classes", 2)));
}

TEST(DataTest, FeaturesByNameInTheirOrder) {
  DataSpec spec = labelSpec();
  spec.features = {"b", "a"};
  SEQC_ASSERT_OK_AND_ASSIGN(data, parse(spec, "a,y,b,c\n1,0,2,9\n3,1,4,9\n"));
  EXPECT_THAT(data.train.features, ElementsAre(2, 1, 4, 3));
}

TEST(DataTest, NumericLabelsInNumericOrder) {
  SEQC_ASSERT_OK_AND_ASSIGN(
      data, parse(labelSpec(), "x,y\n0,10\n1,2\n2,1.0\n3,2\n4,-1\n5,1\n"));
  // 10, 2 and 1 sort as numbers, not text; 1.0 and 1 are one class.
  EXPECT_THAT(data.schema.classes, ElementsAre("-1", "1", "2", "10"));
  EXPECT_THAT(data.train.targets, ElementsAre(3, 2, 1, 2, 0, 1));
}

TEST(DataTest, TextLabelsInLexicographicOrder) {
  SEQC_ASSERT_OK_AND_ASSIGN(
      data, parse(labelSpec(), "x,y\n0,pear\n1,apple\n2,Zucchini\n3,10\n"
                               "4,apple\n"));
  EXPECT_THAT(data.schema.classes,
              ElementsAre("10", "Zucchini", "apple", "pear"));
  EXPECT_THAT(data.train.targets, ElementsAre(3, 2, 1, 0, 2));
}

TEST(DataTest, QuotedCells) {
  DataSpec spec = labelSpec();
  spec.targets = {"the y"};
  SEQC_ASSERT_OK_AND_ASSIGN(
      data, parse(spec, "x,\"the y\"\n1,\"a, b\"\n2,\"say \"\"hi\"\"\"\n"
                        "3,  \"a, b\"  \n"));
  EXPECT_THAT(data.schema.classes, ElementsAre("a, b", "say \"hi\""));
  EXPECT_THAT(data.train.targets, ElementsAre(0, 1, 0));
  EXPECT_EQ(errorOf(parse(spec, "x,\"the y\"\n1,\"a\" b\n")),
            "t.csv:2:7: error: unexpected text after a quoted cell");
}

TEST(DataTest, TabSeparatedValues) {
  DataSpec spec = labelSpec();
  spec.separator = '\t';
  SEQC_ASSERT_OK_AND_ASSIGN(data, parse(spec, "a\tb\ty\n1\t2\tu\n3\t 4\tv\n"));
  EXPECT_THAT(data.train.features, ElementsAre(1, 2, 3, 4));
}

TEST(DataTest, RegressionAndMultiLabelTargets) {
  DataSpec spec;
  spec.split = 1.0;
  spec.targetKind = TargetKind::Vector;
  spec.targets = {"p", "q"};
  SEQC_ASSERT_OK_AND_ASSIGN(vec, parse(spec, "x,p,q\n1,0.5,-2\n2,3,4e1\n"));
  EXPECT_EQ(vec.train.targetWidth, 2);
  EXPECT_THAT(vec.train.targets, ElementsAre(0.5, -2, 3, 40));
  EXPECT_THAT(vec.schema.dataDims(),
              ElementsAre(std::pair<std::string, int64_t>("features", 1),
                          std::pair<std::string, int64_t>("targets", 2)));

  spec.targetKind = TargetKind::MultiLabel;
  SEQC_ASSERT_OK_AND_ASSIGN(multi, parse(spec, "x,p,q\n1,0,1\n2,1,1\n"));
  EXPECT_THAT(multi.train.targets, ElementsAre(0, 1, 1, 1));
  EXPECT_EQ(errorOf(parse(spec, "x,p,q\n1,0,1\n2,1,0.5\n")),
            "t.csv:3:5: error: label '0.5' in column 'q' is out of range: "
            "the columns of `labels` hold 0 or 1");
}

TEST(DataTest, SplitIsASeededShuffle) {
  std::string text = "x,y\n";
  for (int row = 0; row < 50; ++row)
    text += std::to_string(row) + "," + (row % 2 ? "a" : "b") + "\n";
  DataOptions options;
  options.seed = 7;
  SEQC_ASSERT_OK_AND_ASSIGN(first, parse(labelSpec(0.8), text, options));
  SEQC_ASSERT_OK_AND_ASSIGN(second, parse(labelSpec(0.8), text, options));
  EXPECT_EQ(first.train.rows, 40);
  EXPECT_EQ(first.valid.rows, 10);
  EXPECT_EQ(first.train.features, second.train.features);
  EXPECT_EQ(first.valid.features, second.valid.features);
  // Every row lands in exactly one split, each split in file order.
  std::set<double> all(first.train.features.begin(),
                       first.train.features.end());
  all.insert(first.valid.features.begin(), first.valid.features.end());
  EXPECT_EQ(all.size(), 50u);
  EXPECT_TRUE(
      std::is_sorted(first.valid.features.begin(), first.valid.features.end()));
  // Labels travel with their rows.
  for (int64_t row = 0; row < first.valid.rows; ++row)
    EXPECT_EQ(first.valid.targetRow(row)[0],
              static_cast<int64_t>(first.valid.featureRow(row)[0]) % 2 ? 0 : 1);
  // A checkpoint's split wins over the spec's.
  DataSchema saved = first.schema;
  EXPECT_EQ(saved.split, 0.8);
  options.schema = &saved;
  SEQC_ASSERT_OK_AND_ASSIGN(resumed, parse(labelSpec(0.5), text, options));
  EXPECT_EQ(resumed.valid.features, first.valid.features);
  options.schema = nullptr;
  options.seed = 8;
  SEQC_ASSERT_OK_AND_ASSIGN(other, parse(labelSpec(0.8), text, options));
  EXPECT_NE(first.valid.features, other.valid.features);
  EXPECT_THAT(first.train.name, HasSubstr("(training split)"));
}

TEST(DataTest, TrainAndValidFiles) {
  DataSpec spec = labelSpec();
  spec.path.clear();
  spec.trainPath = "train.csv";
  spec.validPath = "valid.csv";
  // Columns are found by name in each file; classes come from the
  // training file only.
  SEQC_ASSERT_OK_AND_ASSIGN(data,
                            parseData(spec, "x,y\n1,a\n2,b\n", "train.csv",
                                      "y,x\nb,5\n", "valid.csv"));
  EXPECT_THAT(data.schema.classes, ElementsAre("a", "b"));
  EXPECT_EQ(data.valid.rows, 1);
  EXPECT_THAT(data.valid.features, ElementsAre(5));
  EXPECT_THAT(data.valid.targets, ElementsAre(1));
  // A label only the validation file has is an error at its row, not a new
  // class.
  EXPECT_EQ(errorOf(parseData(spec, "x,y\n1,a\n2,b\n", "train.csv",
                              "y,x\nb,5\nc,6\n", "valid.csv")),
            "valid.csv:3:1: error: label 'c' in column 'y' is out of range: it "
            "is not one of the 2 classes of the training data (a, b)");
  EXPECT_EQ(errorOf(parseData(spec, "x,y\n1,a\n2,b\n", "train.csv",
                              "x,z\n5,c\n", "valid.csv")),
            "valid.csv:1:1: error: no column 'y' (a target) in the header; "
            "the columns are: x, z");
}

TEST(DataTest, StandardizationUsesTheTrainingSplit) {
  DataSpec spec = labelSpec();
  spec.path.clear();
  spec.trainPath = "train.csv";
  spec.validPath = "valid.csv";
  spec.standardize = true;
  SEQC_ASSERT_OK_AND_ASSIGN(
      data, parseData(spec, "a,b,y\n1,5,u\n3,5,v\n5,5,u\n7,5,v\n", "train.csv",
                      "a,b,y\n4,6,u\n", "valid.csv"));
  // a: mean 4, population std sqrt(5); b is constant: std 1.
  EXPECT_THAT(data.schema.mean, ElementsAre(4, 5));
  EXPECT_DOUBLE_EQ(data.schema.stddev[0], std::sqrt(5.0));
  EXPECT_EQ(data.schema.stddev[1], 1.0);
  EXPECT_DOUBLE_EQ(column(data.train, 0)[0], -3 / std::sqrt(5.0));
  EXPECT_THAT(column(data.train, 1), ElementsAre(0, 0, 0, 0));
  EXPECT_THAT(data.valid.features, ElementsAre(0, 1));

  // A checkpoint's statistics are used as they are.
  DataSchema saved = data.schema;
  saved.mean = {0, 0};
  saved.stddev = {2, 2};
  DataOptions options;
  options.schema = &saved;
  SEQC_ASSERT_OK_AND_ASSIGN(reused,
                            parseData(spec, "a,b,y\n2,4,u\n", "train.csv",
                                      "a,b,y\n4,6,v\n", "valid.csv", options));
  EXPECT_THAT(reused.train.features, ElementsAre(1, 2));
  EXPECT_THAT(reused.valid.features, ElementsAre(2, 3));
}

TEST(DataTest, SchemaRoundTripsThroughMetadata) {
  DataSchema schema;
  schema.features = {"a", "b \"quoted\""};
  schema.targetKind = TargetKind::ClassIndex;
  schema.targets = {"y"};
  schema.classes = {"x", "y,z"};
  schema.mean = {0.1, 1.0 / 3.0};
  schema.stddev = {1e-300, 2.5};
  schema.split = 0.7;
  MetadataMap metadata;
  schema.toMetadata(metadata);
  SEQC_ASSERT_OK_AND_ASSIGN(back, DataSchema::fromMetadata(metadata, "m"));
  EXPECT_EQ(back.features, schema.features);
  EXPECT_EQ(back.targetKind, schema.targetKind);
  EXPECT_EQ(back.targets, schema.targets);
  EXPECT_EQ(back.classes, schema.classes);
  // Bit for bit.
  EXPECT_EQ(back.mean, schema.mean);
  EXPECT_EQ(back.stddev, schema.stddev);
  EXPECT_EQ(back.split, 0.7);

  metadata.erase("seqc.data.classes");
  EXPECT_EQ(errorOf(DataSchema::fromMetadata(metadata, "m")),
            "m: corrupt checkpoint: metadata 'seqc.data.classes' is missing");
}

/// Labels and column names are any bytes of a data file (here Latin-1 é,
/// not UTF-8): the checkpoint's metadata (JSON, so UTF-8) must keep them,
/// so that the model evaluates the data it was trained on.
TEST(DataTest, NamesOutsideUtf8SurviveTheCheckpoint) {
  DataSpec spec = labelSpec();
  spec.targets = {"y\xE9"};
  const char *text = "caf\xE9,y\xE9\n1,th\xE9\n2,t\\ea\n3,th\xE9\n";
  SEQC_ASSERT_OK_AND_ASSIGN(trained, parse(spec, text));
  EXPECT_THAT(trained.schema.classes, ElementsAre("t\\ea", "th\xE9"));
  MetadataMap metadata;
  trained.schema.toMetadata(metadata);
  SEQC_ASSERT_OK_AND_ASSIGN(back, DataSchema::fromMetadata(metadata, "m"));
  EXPECT_EQ(back.features, trained.schema.features);
  EXPECT_EQ(back.targets, trained.schema.targets);
  EXPECT_EQ(back.classes, trained.schema.classes);
  DataOptions options;
  options.schema = &back;
  SEQC_ASSERT_OK_AND_ASSIGN(again, parse(spec, text, options));
  EXPECT_EQ(again.train.targets, trained.train.targets);

  // Checkpoints written before the names were escaped hold them as they
  // were.
  metadata.erase("seqc.data.escaped_names");
  metadata["seqc.data.classes"] = R"(["t\\ea", "x\\xE9"])";
  SEQC_ASSERT_OK_AND_ASSIGN(old, DataSchema::fromMetadata(metadata, "m"));
  EXPECT_THAT(old.classes, ElementsAre("t\\ea", "x\\xE9"));
}

/// "0" and "-0" are one number, so one class, as "1" and "1.0" are.
TEST(DataTest, NegativeZeroIsTheClassOfZero) {
  SEQC_ASSERT_OK_AND_ASSIGN(
      data, parse(labelSpec(), "x,y\n1,0\n2,-0\n3,1\n4,-0.0\n"));
  EXPECT_THAT(data.schema.classes, ElementsAre("0", "1"));
  EXPECT_THAT(data.train.targets, ElementsAre(0, 0, 1, 0));
}

/// With "inf" among them the labels are names, not numbers ("01" and "1"
/// are two classes); the checkpoint's classes must be read the same way,
/// not "01" as the class "1".
TEST(DataTest, CheckpointClassesAreNamesWhenTrainingsWere) {
  const char *text = "x,y\n1,01\n2,1\n3,inf\n4,01\n";
  SEQC_ASSERT_OK_AND_ASSIGN(trained, parse(labelSpec(), text));
  EXPECT_THAT(trained.schema.classes, ElementsAre("01", "1", "inf"));
  DataOptions options;
  options.schema = &trained.schema;
  SEQC_ASSERT_OK_AND_ASSIGN(resumed, parse(labelSpec(), text, options));
  EXPECT_EQ(resumed.train.targets, trained.train.targets);
}

TEST(DataTest, CheckpointClassesMapLabels) {
  DataSchema saved;
  saved.features = {"x"};
  saved.targetKind = TargetKind::ClassIndex;
  saved.targets = {"y"};
  saved.classes = {"1", "2", "10"};
  DataOptions options;
  options.schema = &saved;
  SEQC_ASSERT_OK_AND_ASSIGN(data,
                            parse(labelSpec(), "x,y\n0,10\n1,1.0\n", options));
  EXPECT_THAT(data.train.targets, ElementsAre(2, 0));
  EXPECT_EQ(errorOf(parse(labelSpec(), "x,y\n0,10\n1,3\n", options)),
            "t.csv:3:3: error: label '3' in column 'y' is out of range: it is "
            "not one of the 3 classes the model was trained on (1, 2, 10)");
}

TEST(DataTest, ErrorsNameFileLineAndColumn) {
  DataSpec spec = labelSpec();
  EXPECT_EQ(errorOf(parse(spec, "")),
            "t.csv:1:1: error: empty data file: expected a header row naming "
            "the columns, then rows of values");
  EXPECT_EQ(errorOf(parse(spec, "# comment\n\nx,y\n")),
            "t.csv:3:1: error: no data rows after the header");
  EXPECT_EQ(errorOf(parse(spec, "x,y\n1,a\n2\n")),
            "t.csv:3:2: error: ragged row: 1 cell, but the header has 2 "
            "columns");
  EXPECT_EQ(errorOf(parse(spec, "x,y\n1,a\n 1x ,b\n")),
            "t.csv:3:2: error: '1x' in column 'x' is not a number");
  EXPECT_EQ(errorOf(parse(spec, "x,y\nNaN,a\n")),
            "t.csv:2:1: error: NaN in column 'x'; the data must be finite "
            "numbers");
  EXPECT_EQ(errorOf(parse(spec, "x,y\ninfinity,a\n")),
            "t.csv:2:1: error: 'infinity' in column 'x' is infinite; the "
            "data must be finite numbers");
  EXPECT_EQ(errorOf(parse(spec, "x,y\n1,\n")),
            "t.csv:2:3: error: empty label in column 'y'");
  EXPECT_EQ(errorOf(parse(spec, "x,y,x\n1,a,2\n")),
            "t.csv:1:5: error: duplicate column 'x' (also at column 1)");
  EXPECT_EQ(errorOf(parse(spec, "x,y\n\"1,a\n")),
            "t.csv:2:1: error: unterminated quoted cell");
  spec.features = {"x", "w"};
  EXPECT_EQ(errorOf(parse(spec, "x,y\n1,a\n")),
            "t.csv:1:1: error: no column 'w' (a feature) in the header; the "
            "columns are: x, y");
  // A LocatedError prints as a compiler diagnostic.
  llvm::Error error = makeLocatedError("f.csv", 2, 3, "bad");
  EXPECT_TRUE(error.isA<LocatedError>());
  EXPECT_EQ(llvm::toString(std::move(error)), "f.csv:2:3: error: bad");
}

TEST(DataTest, BatchesTakeTheModelsTypes) {
  DataSpec spec = labelSpec();
  SEQC_ASSERT_OK_AND_ASSIGN(data, parse(spec, "a,b,y\n1,2,u\n3,4,v\n5,6,u\n"));
  TensorType x{DType::F32, {kDynamicSize, 2}};
  SEQC_ASSERT_OK_AND_ASSIGN(features,
                            gatherFeatures(data.train, {2, 0}, x, "x"));
  EXPECT_TRUE(
      features.identicalTo(Tensor::fromValues<float>({2, 2}, {5, 6, 1, 2})));
  TensorType y{DType::I64, {kDynamicSize}};
  SEQC_ASSERT_OK_AND_ASSIGN(labels, gatherTargets(data.train, {2, 1}, y, "y"));
  EXPECT_TRUE(labels.identicalTo(Tensor::fromValues<int64_t>({2}, {0, 1})));

  TensorType wide{DType::F32, {kDynamicSize, 3}};
  EXPECT_EQ(errorOf(gatherFeatures(data.train, {0}, wide, "x")),
            "input 'x' takes 3 values per instance ([?, 3] f32), but the "
            "data has 2 features");
  TensorType floatLabels{DType::F32, {kDynamicSize}};
  EXPECT_EQ(errorOf(gatherTargets(data.train, {0}, floatLabels, "y")),
            "input 'y' has type [?] f32, but the data's targets are class "
            "indices (an integer type)");
}

} // namespace
