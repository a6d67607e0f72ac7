//===- SequenceDataFuzzer.cpp - libFuzzer target: sequence data -----------===//
//
// Feeds arbitrary bytes to loadData as `text` data (one text cut into
// windows), `sequences` data (a `label<TAB>text` file, a training and a
// validation file, or class files: the lines dealt out to two or three
// files, each file's name its class), `pairs` (source<TAB>target lines)
// or `tagged` data (token and label columns, sentences between blank
// lines), each pairs and tagged file split by the seed. The last bytes of the
// input choose the settings (FuzzedDataProvider reads them from the end, so a
// real data file stays a data file): the kind, unit, window, max_len,
// min_count, split and seed. Any input must end in data or in an error, never
// in a crash, a sanitizer report, a hang or unbounded memory; data that load
// must load again alike under their own schema (DataFuzzing.h).
//
//===----------------------------------------------------------------------===//
#include "DataFuzzing.h"

#include "seqc/Support/Lines.h"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

using namespace seqc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  FuzzedDataProvider settings(data, size);
  enum Kind { Text, LabeledTsv, TrainAndValid, ClassFiles, Pairs, Tagged };
  Kind kind = static_cast<Kind>(settings.ConsumeIntegralInRange(0, 5));
  bool words = settings.ConsumeBool();
  const int64_t largeWindows[] = {0, std::numeric_limits<int64_t>::max(),
                                  int64_t(1) << 40};
  uint8_t windowChoice = settings.ConsumeIntegral<uint8_t>();
  int64_t window = windowChoice < 250 ? 1 + windowChoice % 64
                                      : largeWindows[windowChoice % 3];
  int64_t maxLength = settings.ConsumeIntegralInRange(0, 16);
  int64_t minCount = settings.ConsumeIntegralInRange(1, 3);
  const double splits[] = {0.9, 0.5, 1.0, 0.75, 0.1, 1e-9, 0.0};
  double split = splits[settings.ConsumeIntegralInRange(0, 6)];
  int classes = settings.ConsumeIntegralInRange(2, 3);
  uint64_t seed = settings.ConsumeIntegral<uint8_t>();
  std::string text = settings.ConsumeRemainingBytesAsString();

  DataSpec spec;
  spec.kind = kind == Text     ? DataSourceKind::Text
              : kind == Pairs  ? DataSourceKind::Pairs
              : kind == Tagged ? DataSourceKind::Tagged
                               : DataSourceKind::Sequences;
  spec.unit = words ? "word" : "char";
  spec.window = window;
  spec.maxLength = maxLength;
  spec.minCount = minCount;
  spec.split = split;
  rt::DataOptions options;
  options.seed = seed;

  switch (kind) {
  case Text:
  case LabeledTsv:
  case Pairs:
  case Tagged:
    spec.path = fuzz::writeScratchFile("data.txt", text);
    break;
  case TrainAndValid: {
    // The header and the first half of the rows train, the rest validates.
    llvm::StringRef rest = text;
    std::string header = takeLine(rest).str();
    size_t cut = rest.find('\n', rest.size() / 2);
    cut = cut == llvm::StringRef::npos ? rest.size() : cut + 1;
    spec.trainPath = fuzz::writeScratchFile(
        "train.tsv", header + "\n" + rest.take_front(cut).str());
    spec.validPath = fuzz::writeScratchFile(
        "valid.tsv", header + "\n" + rest.drop_front(cut).str());
    break;
  }
  case ClassFiles: {
    std::vector<std::string> files(classes);
    llvm::StringRef rest = text;
    for (size_t line = 0; !rest.empty(); ++line)
      files[line % classes] += takeLine(rest).str() + "\n";
    const char *names[] = {"ham.txt", "spam.txt", "eggs.txt"};
    for (int i = 0; i < classes; ++i)
      spec.classFiles.push_back(fuzz::writeScratchFile(names[i], files[i]));
    break;
  }
  }
  fuzz::loadAndReload(spec, options);
  return 0;
}
