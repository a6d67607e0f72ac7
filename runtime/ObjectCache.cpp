//===- ObjectCache.cpp - Compiled models on disk --------------------------===//
#include "seqc/Runtime/ObjectCache.h"
#include "seqc/Runtime/DurableFile.h"
#include "seqc/Runtime/Error.h"
#include "seqc/Support/Environment.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cstdlib>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

using namespace seqc::rt;

namespace {

constexpr llvm::StringLiteral kMagic = "seqc-object-v1";

std::string hexDigest(llvm::ArrayRef<uint8_t> digest) {
  return llvm::toHex(digest, /*LowerCase=*/true);
}

std::string sha256(llvm::StringRef bytes) {
  return hexDigest(llvm::SHA256::hash(llvm::arrayRefFromStringRef(bytes)));
}

/// What distinguishes this build of seqc from another: LLVM's version and a
/// hash of the running executable (its passes decide the code).
const std::string &buildIdentity() {
  static const std::string identity = [] {
    std::string text = "llvm " LLVM_VERSION_STRING "\n";
    auto executable = llvm::MemoryBuffer::getFile("/proc/self/exe",
                                                  /*IsText=*/false,
                                                  /*RequiresNullTerminator=*/
                                                  false);
    if (executable)
      text += sha256((*executable)->getBuffer());
    return text;
  }();
  return identity;
}

/// Writes `bytes` to `path` and makes them durable before returning.
} // namespace

ObjectCache::ObjectCache(std::string directory)
    : directory(std::move(directory)) {}

std::string ObjectCache::defaultDirectory() {
  if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    return (llvm::Twine(xdg) + "/seqc").str();
  if (const char *home = std::getenv("HOME"); home && *home)
    return (llvm::Twine(home) + "/.cache/seqc").str();
  return "";
}

std::string ObjectCache::key(llvm::StringRef material) {
  return sha256(buildIdentity() + "\n" + material.str());
}

std::string ObjectCache::entryPath(llvm::StringRef key) const {
  return (llvm::Twine(directory) + "/" + key + ".obj").str();
}

std::unique_ptr<llvm::MemoryBuffer>
ObjectCache::lookup(llvm::StringRef key) const {
  std::string path = entryPath(key);
  auto file = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                          /*RequiresNullTerminator=*/false);
  if (!file)
    return nullptr;
  // "<magic> <key> <size> <sha256>\n" then the object.
  llvm::StringRef contents = (*file)->getBuffer();
  auto [header, object] = contents.split('\n');
  llvm::SmallVector<llvm::StringRef, 4> fields;
  header.split(fields, ' ');
  uint64_t size = 0;
  bool valid = fields.size() == 4 && fields[0] == kMagic && fields[1] == key &&
               !fields[2].getAsInteger(10, size) && size == object.size() &&
               fields[3] == sha256(object);
  if (!valid) {
    llvm::sys::fs::remove(path);
    return nullptr;
  }
  // Recently used entries are the last to go when the cache is pruned.
  if (int fd; !llvm::sys::fs::openFileForWrite(
          path, fd, llvm::sys::fs::CD_OpenExisting)) {
    llvm::sys::fs::setLastAccessAndModificationTime(
        fd, std::chrono::system_clock::now());
    ::close(fd);
  }
  return llvm::MemoryBuffer::getMemBufferCopy(object, path);
}

llvm::Error ObjectCache::store(llvm::StringRef key,
                               llvm::ArrayRef<char> object) const {
  if (directory.empty())
    return makeError("no cache folder ($XDG_CACHE_HOME and $HOME are unset)");
  if (std::error_code ec = llvm::sys::fs::create_directories(directory))
    return makeError("cannot create the cache folder '{}': {}", directory,
                     ec.message());
  llvm::StringRef bytes(object.data(), object.size());
  std::string contents =
      (llvm::Twine(kMagic) + " " + key + " " + llvm::Twine(bytes.size()) + " " +
       sha256(bytes) + "\n")
          .str();
  contents += bytes;
  std::string path = entryPath(key);
  if (llvm::Error error = writeFileDurably(path, contents))
    return makeError("cannot write the cache entry: {}",
                     llvm::toString(std::move(error)));
  prune(path);
  return llvm::Error::success();
}

uint64_t ObjectCache::sizeLimit() {
  return uint64_t(environmentInteger("SEQC_CACHE_MAX_MB").value_or(512)) << 20;
}

void ObjectCache::prune(llvm::StringRef keep) const {
  struct Entry {
    llvm::sys::TimePoint<> used;
    uint64_t size;
    std::string path;
  };
  std::vector<Entry> entries;
  uint64_t total = 0;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(directory, ec), end;
       it != end && !ec; it.increment(ec)) {
    if (!llvm::StringRef(it->path()).ends_with(".obj"))
      continue;
    llvm::sys::fs::file_status status;
    if (llvm::sys::fs::status(it->path(), status))
      continue;
    entries.push_back(
        {status.getLastModificationTime(), status.getSize(), it->path()});
    total += status.getSize();
  }
  uint64_t limit = sizeLimit();
  if (total <= limit)
    return;
  // Least recently used first (a hit refreshes an entry's time); the entry
  // just written stays.
  llvm::sort(entries,
             [](const Entry &a, const Entry &b) { return a.used < b.used; });
  for (const Entry &entry : entries) {
    if (total <= limit)
      break;
    if (entry.path == keep)
      continue;
    if (!llvm::sys::fs::remove(entry.path))
      total -= entry.size;
  }
}
