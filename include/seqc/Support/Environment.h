//===- Environment.h - Settings read from environment variables -*- C++ -*-===//
//
// The runtime's tuning knobs (SEQC_THREADS, SEQC_POOL_MAX_MB,
// SEQC_CACHE_MAX_MB, SEQC_PARALLEL_MIN_WORK) are whole non-negative numbers;
// anything else leaves the default in place.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_SUPPORT_ENVIRONMENT_H
#define SEQC_SUPPORT_ENVIRONMENT_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <cstdlib>
#include <optional>

namespace seqc {

/// The value of environment variable `name` when it is a whole non-negative
/// decimal number, else std::nullopt.
inline std::optional<int64_t> environmentInteger(const char *name) {
  const char *value = std::getenv(name);
  uint64_t parsed = 0;
  if (!value || llvm::StringRef(value).getAsInteger(10, parsed) ||
      parsed > static_cast<uint64_t>(INT64_MAX))
    return std::nullopt;
  return static_cast<int64_t>(parsed);
}

} // namespace seqc

#endif // SEQC_SUPPORT_ENVIRONMENT_H
