//===- SafeTensorsTest.cpp - The safetensors checkpoint format ------------===//
#include "seqc/Runtime/SafeTensors.h"

#include "TestUtil.h"

#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

using namespace seqc::rt;
using seqc::test::errorOf;
using ::testing::HasSubstr;

namespace {

/// A fresh folder, removed with its contents at the end of the test.
class TempDir {
public:
  TempDir() {
    std::error_code ec =
        llvm::sys::fs::createUniqueDirectory("seqc-unittest", path);
    EXPECT_FALSE(ec) << ec.message();
  }
  ~TempDir() { llvm::sys::fs::remove_directories(path); }
  std::string file(llvm::StringRef name) const {
    llvm::SmallString<128> result(path);
    llvm::sys::path::append(result, name);
    return std::string(result);
  }

private:
  llvm::SmallString<128> path;
};

/// A file from a raw header text and data section.
std::string rawFile(llvm::StringRef header, llvm::StringRef data) {
  std::string bytes(8, '\0');
  llvm::support::endian::write64le(bytes.data(), header.size());
  return bytes + header.str() + data.str();
}

std::string floatBytes(std::initializer_list<float> values) {
  return std::string(reinterpret_cast<const char *>(values.begin()),
                     values.size() * sizeof(float));
}

TEST(SafeTensorsTest, RoundTripsEveryDTypeAndMetadata) {
  TensorMap tensors;
  tensors["fc1.W"] = Tensor::fromValues<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  tensors["fc1.b"] = Tensor::fromValues<double>({2}, {0.25, -1e300});
  tensors["tokens"] = Tensor::fromValues<int64_t>({3}, {1, -2, 1LL << 40});
  tensors["count"] = Tensor::fromValues<int32_t>({}, {7});
  tensors["empty"] = Tensor(DType::F32, {0, 4});
  MetadataMap metadata{{"format", "pt"}, {"model", "MLP"}};

  TempDir dir;
  std::string path = dir.file("params.safetensors");
  SEQC_ASSERT_OK(saveSafetensors(path, tensors, metadata));
  SEQC_ASSERT_OK_AND_ASSIGN(loaded, loadSafetensors(path));
  EXPECT_EQ(loaded.metadata, metadata);
  ASSERT_EQ(loaded.tensors.size(), tensors.size());
  for (const auto &[name, tensor] : tensors) {
    auto found = loaded.tensors.find(name);
    ASSERT_NE(found, loaded.tensors.end()) << name;
    EXPECT_TRUE(found->second.identicalTo(tensor)) << name;
  }
}

TEST(SafeTensorsTest, LayoutFollowsTheFormat) {
  Tensor weight = Tensor::fromValues<float>({2}, {1.0f, 2.0f});
  std::string bytes = serializeSafetensors({{"w", &weight}});
  uint64_t headerSize = llvm::support::endian::read64le(bytes.data());
  EXPECT_EQ(headerSize % 8, 0u);
  EXPECT_EQ(bytes.size(), 8 + headerSize + 8);
  llvm::StringRef header(bytes.data() + 8, headerSize);
  EXPECT_EQ(header.rtrim(' '),
            R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})");
  EXPECT_EQ(llvm::StringRef(bytes).take_back(8), floatBytes({1.0f, 2.0f}));
}

TEST(SafeTensorsTest, ReadsFilesWrittenElsewhere) {
  // Offsets not in name order, metadata last, no padding: all allowed.
  std::string file =
      rawFile(R"({"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},)"
              R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
              R"("__metadata__":{"format":"pt"}})",
              floatBytes({1, 2, 3}));
  SEQC_ASSERT_OK_AND_ASSIGN(loaded, parseSafetensors(file, "x.safetensors"));
  EXPECT_EQ(loaded.tensors.at("a").getDouble(1), 2.0);
  EXPECT_EQ(loaded.tensors.at("b").getDouble(0), 3.0);
  EXPECT_EQ(loaded.metadata.at("format"), "pt");
}

TEST(SafeTensorsTest, SaveReplacesAtomically) {
  TempDir dir;
  std::string path = dir.file("p.safetensors");
  TensorMap first{{"w", Tensor::fromValues<float>({1}, {1})}};
  TensorMap second{{"w", Tensor::fromValues<float>({1}, {2})}};
  SEQC_ASSERT_OK(saveSafetensors(path, first));
  SEQC_ASSERT_OK(saveSafetensors(path, second));
  SEQC_ASSERT_OK_AND_ASSIGN(loaded, loadSafetensors(path));
  EXPECT_EQ(loaded.tensors.at("w").getDouble(0), 2.0);

  // No temporary file is left next to the checkpoint.
  std::error_code ec;
  int entries = 0;
  for (llvm::sys::fs::directory_iterator it(dir.file(""), ec), end;
       it != end && !ec; it.increment(ec))
    ++entries;
  EXPECT_EQ(entries, 1);
}

TEST(SafeTensorsTest, SaveToMissingFolderFails) {
  TempDir dir;
  TensorMap tensors{{"w", Tensor::fromValues<float>({1}, {1})}};
  std::string message =
      errorOf(saveSafetensors(dir.file("no/such/dir/p.safetensors"), tensors));
  EXPECT_THAT(message, HasSubstr("cannot write parameters"));
}

TEST(SafeTensorsTest, MissingFile) {
  EXPECT_THAT(errorOf(loadSafetensors("/nonexistent/p.safetensors")),
              HasSubstr("/nonexistent/p.safetensors: cannot read parameters"));
}

struct CorruptCase {
  const char *what;
  std::string bytes;
  const char *message;
};

TEST(SafeTensorsTest, CorruptFilesGiveClearErrors) {
  std::string good =
      R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  std::string hugeLength(8, '\xff');
  std::vector<CorruptCase> cases = {
      {"empty", "", "too short for the header length"},
      {"short", "abc", "too short"},
      {"header length", hugeLength + "{}", "header length"},
      {"header beyond end", rawFile(good, floatBytes({1, 2})).substr(0, 20),
       "exceeds the file size"},
      {"not json", rawFile("{\"w\": [", ""), "invalid JSON header"},
      {"not an object", rawFile("[1, 2]", ""), "not an object"},
      {"entry not object", rawFile(R"({"w": 3})", ""),
       "header entry 'w' is not an object"},
      {"no dtype",
       rawFile(R"({"w":{"shape":[1],"data_offsets":[0,4]}})", floatBytes({1})),
       "tensor 'w' has no \"dtype\""},
      {"bad dtype",
       rawFile(R"({"w":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}})",
               "ab"),
       "unsupported dtype 'BF16'"},
      {"bad shape",
       rawFile(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})",
               floatBytes({1})),
       "shape entry"},
      {"bad offsets",
       rawFile(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}})",
               floatBytes({1})),
       "no valid \"data_offsets\""},
      {"size mismatch",
       rawFile(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})",
               floatBytes({1, 2})),
       "tensor 'w' has 8 data bytes but [3] F32 needs 12"},
      {"truncated", rawFile(good, floatBytes({1})),
       "ends at byte 8 but the data section has only 4 bytes"},
      {"trailing", rawFile(good, floatBytes({1, 2, 3})), "4 trailing bytes"},
      {"overlap",
       rawFile(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
               R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
               floatBytes({1, 2})),
       "overlaps"},
      {"gap",
       rawFile(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
               floatBytes({1, 2})),
       "unused bytes [0, 4)"},
      {"metadata not strings", rawFile(R"({"__metadata__":{"a":1}})", ""),
       "metadata entry 'a' is not a string"},
  };
  for (const CorruptCase &test : cases) {
    std::string message = errorOf(parseSafetensors(test.bytes, "bad.st"));
    EXPECT_THAT(message, HasSubstr(test.message)) << test.what;
    EXPECT_THAT(message, ::testing::StartsWith("bad.st: ")) << test.what;
  }
}

} // namespace
