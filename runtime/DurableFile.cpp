//===- DurableFile.cpp - Files that are whole or not there ----------------===//
#include "seqc/Runtime/DurableFile.h"
#include "seqc/Runtime/Error.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <cerrno>
#include <csignal>
#include <string>

#include <fcntl.h>
#include <unistd.h>

using namespace seqc::rt;

namespace {

constexpr llvm::StringLiteral kTemporaryInfix = ".tmp-";

/// Writes all of `bytes` to a new file at `path` and syncs it.
llvm::Error writeAndSync(const std::string &path, llvm::StringRef bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return makeError("cannot write '{}': {}", path, std::strerror(errno));
  const char *data = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t written = ::write(fd, data, left);
    if (written < 0 && errno == EINTR)
      continue;
    if (written <= 0) {
      int error = errno;
      ::close(fd);
      return makeError("cannot write '{}': {}", path,
                       written < 0 ? std::strerror(error) : "disk full");
    }
    data += written;
    left -= static_cast<size_t>(written);
  }
  bool synced = ::fsync(fd) == 0;
  int error = errno;
  if (::close(fd) != 0 || !synced)
    return makeError("cannot write '{}': {}", path, std::strerror(error));
  return llvm::Error::success();
}

/// Syncs the folder that holds `path`, so that a rename in it is durable.
void syncFolder(llvm::StringRef path) {
  llvm::StringRef folder = llvm::sys::path::parent_path(path);
  std::string name = folder.empty() ? "." : folder.str();
  int fd = ::open(name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return;
  (void)::fsync(fd);
  ::close(fd);
}

bool processIsAlive(long pid) {
  return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
}

} // namespace

llvm::Error seqc::rt::writeFileDurably(llvm::StringRef path,
                                       llvm::StringRef bytes) {
  removeStaleTemporaries(path);
  std::string temporary =
      (llvm::Twine(path) + kTemporaryInfix + llvm::Twine(::getpid())).str();
  if (llvm::Error error = writeAndSync(temporary, bytes)) {
    llvm::sys::fs::remove(temporary);
    return error;
  }
  if (std::error_code ec = llvm::sys::fs::rename(temporary, path)) {
    llvm::sys::fs::remove(temporary);
    return makeError("cannot replace '{}': {}", path.str(), ec.message());
  }
  syncFolder(path);
  return llvm::Error::success();
}

unsigned seqc::rt::removeStaleTemporaries(llvm::StringRef path) {
  llvm::StringRef folder = llvm::sys::path::parent_path(path);
  std::string base = llvm::sys::path::filename(path).str();
  std::error_code ec;
  unsigned removed = 0;
  for (llvm::sys::fs::directory_iterator
           entry(folder.empty() ? "." : folder, ec),
       end;
       entry != end && !ec; entry.increment(ec)) {
    llvm::StringRef name = llvm::sys::path::filename(entry->path());
    if (!name.consume_front(base))
      continue;
    bool stale = name.starts_with(".temp-stream-");
    long pid = 0;
    if (name.consume_front(kTemporaryInfix) && !name.getAsInteger(10, pid))
      stale = !processIsAlive(pid);
    if (stale && !llvm::sys::fs::remove(entry->path()))
      ++removed;
  }
  return removed;
}
