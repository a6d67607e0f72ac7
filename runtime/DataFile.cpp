//===- DataFile.cpp - Finding data files; errors located in them ----------===//
#include "seqc/Runtime/Data.h"
#include "seqc/Support/Lines.h"
#include "seqc/Support/ReadFile.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <fmt/format.h>

using namespace seqc;
using namespace seqc::rt;

char LocatedError::ID = 0;

void LocatedError::log(llvm::raw_ostream &os) const {
  os << file << ":" << line << ":" << column << ": error: " << message;
}

std::error_code LocatedError::convertToErrorCode() const {
  return llvm::inconvertibleErrorCode();
}

llvm::Error seqc::rt::makeLocatedError(llvm::StringRef file, int64_t line,
                                       int64_t column,
                                       const std::string &message) {
  return llvm::make_error<LocatedError>(file.str(), line, column, message);
}

llvm::Error seqc::rt::errorAtLoc(const SourceLoc &loc,
                                 const std::string &message) {
  if (loc.file.empty())
    return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
  return makeLocatedError(loc.file, loc.line, loc.col, message);
}

llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
seqc::rt::readDataFile(const DataSpec &spec, const std::string &path,
                       const DataOptions &options, std::string &resolved) {
  // Relative paths: the model file's folder, the working directory, then
  // the model file's parent folders (examples/m.seq naming "data/x.csv"
  // finds the project's data/ from anywhere).
  resolved = path;
  if (!options.baseDir.empty() && !llvm::sys::path::is_absolute(path)) {
    llvm::SmallString<256> candidate(options.baseDir);
    llvm::sys::path::append(candidate, path);
    if (llvm::sys::fs::exists(candidate)) {
      resolved = std::string(candidate);
    } else if (!llvm::sys::fs::exists(path)) {
      llvm::SmallString<256> folder(options.baseDir);
      llvm::sys::fs::make_absolute(folder);
      for (llvm::StringRef parent = llvm::sys::path::parent_path(folder);
           !parent.empty(); parent = llvm::sys::path::parent_path(parent)) {
        llvm::SmallString<256> above(parent);
        llvm::sys::path::append(above, path);
        if (llvm::sys::fs::exists(above)) {
          resolved = std::string(above);
          break;
        }
      }
    }
  }
  auto buffer =
      seqc::readRegularFile(resolved, seqc::kMaxDataBytes, /*isText=*/true);
  if (!buffer)
    return errorAtLoc(spec.loc,
                      fmt::format("cannot read data file '{}': {}", path,
                                  llvm::toString(buffer.takeError())));
  // A UTF-8 byte-order mark is not part of the data.
  llvm::StringRef text = (*buffer)->getBuffer();
  llvm::StringRef data = dropByteOrderMark(text);
  if (data.size() != text.size())
    return llvm::MemoryBuffer::getMemBufferCopy(data, resolved);
  return std::move(*buffer);
}
