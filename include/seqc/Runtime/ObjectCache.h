//===- ObjectCache.h - Compiled models on disk ------------------*- C++ -*-===//
//
// Machine code of compiled models, kept between runs so that a model seqc
// has compiled before starts in a fraction of a second. An entry is keyed by
// everything that decides the code (the seq module, the CPU and its
// features, the pipeline's options, and seqc's own build); it holds the
// object file behind a header with its size and hash. An entry that does not
// check out is removed and rebuilt; writes go to a temporary file that is
// renamed into place, so readers never see half an entry.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_RUNTIME_OBJECTCACHE_H
#define SEQC_RUNTIME_OBJECTCACHE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdint>
#include <memory>
#include <string>

namespace seqc::rt {

class ObjectCache {
public:
  /// A cache in `directory` (created when first written).
  explicit ObjectCache(std::string directory);

  /// $XDG_CACHE_HOME/seqc, else $HOME/.cache/seqc; "" when neither is set.
  static std::string defaultDirectory();

  /// A key for `material` (any bytes that decide the object), combined
  /// with the identity of this seqc build.
  static std::string key(llvm::StringRef material);

  /// The object stored under `key`, or null when there is none or the entry
  /// is damaged (then it is removed).
  std::unique_ptr<llvm::MemoryBuffer> lookup(llvm::StringRef key) const;

  /// Stores `object` under `key`, replacing any entry atomically.
  llvm::Error store(llvm::StringRef key, llvm::ArrayRef<char> object) const;

  /// The file of the entry for `key`.
  std::string entryPath(llvm::StringRef key) const;

  /// The most bytes of entries the cache keeps: $SEQC_CACHE_MAX_MB
  /// megabytes, 512 without it. store() removes the least recently used
  /// entries beyond it (never the one it wrote).
  static uint64_t sizeLimit();

private:
  void prune(llvm::StringRef keep) const;

  std::string directory;
};

} // namespace seqc::rt

#endif // SEQC_RUNTIME_OBJECTCACHE_H
