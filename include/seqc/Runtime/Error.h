//===- Error.h - Formatted llvm::Error for the runtime ----------*- C++ -*-===//
#ifndef SEQC_RUNTIME_ERROR_H
#define SEQC_RUNTIME_ERROR_H

#include "llvm/Support/Error.h"

#include <fmt/format.h>

#include <utility>

namespace seqc::rt {

/// An llvm::Error whose message is formatted with fmt.
template <typename... Args>
llvm::Error makeError(fmt::format_string<Args...> format, Args &&...args) {
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      fmt::format(format, std::forward<Args>(args)...));
}

} // namespace seqc::rt

#endif // SEQC_RUNTIME_ERROR_H
