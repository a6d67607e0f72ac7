//===- ReadFile.h - Reading a whole input file, bounded ---------*- C++ -*-===//
//
// Every file seqc reads whole (model sources, data, checkpoints) goes
// through here: only regular files, and no more than a limit, so that
// `use "/dev/zero"`, a FIFO or a runaway file is an error instead of a read
// that never ends. Header-only: the frontend and the runtime both use it and
// share no library.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_SUPPORT_READFILE_H
#define SEQC_SUPPORT_READFILE_H

#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdint>
#include <memory>
#include <string>

namespace seqc {

/// Model sources: far more than any model file needs.
inline constexpr uint64_t kMaxSourceBytes = uint64_t(16) << 20;
/// Data files and checkpoints.
inline constexpr uint64_t kMaxDataBytes = uint64_t(8) << 30;

/// The contents of the regular file `path`, of at most `maxBytes` bytes.
/// The error says what is wrong ("is not a regular file", "is N bytes, more
/// than the limit of M", or the system's reason), without the path.
inline llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
readRegularFile(const llvm::Twine &path, uint64_t maxBytes, bool isText) {
  llvm::sys::fs::file_status status;
  if (std::error_code ec = llvm::sys::fs::status(path, status))
    return llvm::createStringError(ec, ec.message());
  if (status.type() == llvm::sys::fs::file_type::directory_file)
    return llvm::createStringError(
        std::make_error_code(std::errc::is_a_directory), "is a directory");
  if (status.type() != llvm::sys::fs::file_type::regular_file)
    return llvm::createStringError(
        std::make_error_code(std::errc::invalid_argument),
        "is not a regular file (a device, FIFO or socket)");
  if (status.getSize() > maxBytes)
    return llvm::createStringError(
        std::make_error_code(std::errc::file_too_large),
        "is " + std::to_string(status.getSize()) +
            " bytes, more than the limit of " + std::to_string(maxBytes));
  auto buffer = llvm::MemoryBuffer::getFile(path, isText,
                                            /*RequiresNullTerminator=*/true);
  if (!buffer)
    return llvm::createStringError(buffer.getError(),
                                   buffer.getError().message());
  return std::move(*buffer);
}

} // namespace seqc

#endif // SEQC_SUPPORT_READFILE_H
