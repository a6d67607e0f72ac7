//===- DataFuzzing.h - What the data loaders' fuzz targets share -*- C++ -*-===//
//
// The data targets hand their bytes to loadData as files on disk, as a
// train block's data are read (byte-order mark, size limit and all), from a
// private temporary folder. Whatever loads must load again, to the same
// rows, under the schema it produced after that schema went through a
// checkpoint's metadata, as `seqc eval --from` and resuming read it; a
// difference is a bug, and aborts.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_FUZZ_DATAFUZZING_H
#define SEQC_FUZZ_DATAFUZZING_H

#include "seqc/Runtime/Data.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace seqc::fuzz {

/// A folder of this process's own, removed at exit.
inline const std::string &scratchFolder() {
  static const std::string folder = [] {
    llvm::SmallString<128> path;
    if (llvm::sys::fs::createUniqueDirectory("seqc-fuzz-data", path)) {
      std::fprintf(stderr, "cannot create a temporary folder\n");
      std::abort();
    }
    std::string made(path.str());
    static std::string toRemove = made;
    std::atexit([] { llvm::sys::fs::remove_directories(toRemove); });
    return made;
  }();
  return folder;
}

/// Writes `bytes` to `name` in the scratch folder; returns its path.
inline std::string writeScratchFile(llvm::StringRef name,
                                    llvm::StringRef bytes) {
  llvm::SmallString<128> path(scratchFolder());
  llvm::sys::path::append(path, name);
  std::error_code error;
  llvm::raw_fd_ostream out(path, error);
  if (error) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    std::abort();
  }
  out << bytes;
  return std::string(path.str());
}

/// Bitwise, so that a NaN equals itself.
inline bool sameDoubles(const std::vector<double> &a,
                        const std::vector<double> &b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(),
                                   a.size() * sizeof(double)) == 0);
}

inline bool sameRows(const rt::Dataset &a, const rt::Dataset &b) {
  return a.rows == b.rows && a.numFeatures == b.numFeatures &&
         a.targetKind == b.targetKind && a.targetWidth == b.targetWidth &&
         sameDoubles(a.features, b.features) &&
         sameDoubles(a.targets, b.targets) && a.offsets == b.offsets &&
         a.tokens == b.tokens;
}

[[noreturn]] inline void fail(const std::string &what) {
  std::fprintf(stderr, "data fuzzing: %s\n", what.c_str());
  std::abort();
}

/// Loads the data `spec` names; when they load, checks that the schema
/// survives a checkpoint's metadata and that the data load again under it
/// to the same rows.
inline void loadAndReload(const DataSpec &spec, const rt::DataOptions &options) {
  auto loaded = rt::loadData(spec, options);
  if (!loaded) {
    // The message is formatted, as the tool would print it.
    (void)llvm::toString(loaded.takeError());
    return;
  }
  rt::MetadataMap metadata;
  loaded->schema.toMetadata(metadata);
  auto schema = rt::DataSchema::fromMetadata(metadata, "fuzz.safetensors");
  if (!schema)
    fail("a schema does not read back from the metadata it wrote: " +
         llvm::toString(schema.takeError()));
  rt::DataOptions resumed = options;
  resumed.schema = &*schema;
  auto again = rt::loadData(spec, resumed);
  if (!again)
    fail("data that loaded do not load under their own schema: " +
         llvm::toString(again.takeError()));
  if (!sameRows(loaded->train, again->train))
    fail("the training rows differ under the data's own schema");
  if (!sameRows(loaded->valid, again->valid))
    fail("the validation rows differ under the data's own schema");
}

} // namespace seqc::fuzz

#endif // SEQC_FUZZ_DATAFUZZING_H
