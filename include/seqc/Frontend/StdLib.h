//===- StdLib.h - The embedded standard library ---------------------------===//
//
// The .seq files of lib/std are compiled into the binary so that `use
// std.layers` works from any folder.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_FRONTEND_STDLIB_H
#define SEQC_FRONTEND_STDLIB_H

#include "llvm/ADT/StringRef.h"

#include <optional>
#include <vector>

namespace seqc {

/// "std.layers" -> the contents of lib/std/layers.seq.
std::optional<llvm::StringRef> lookupStdLib(llvm::StringRef moduleName);

/// Every module name, sorted ("std.layers", ...).
std::vector<llvm::StringRef> stdLibModules();

} // namespace seqc

#endif // SEQC_FRONTEND_STDLIB_H
