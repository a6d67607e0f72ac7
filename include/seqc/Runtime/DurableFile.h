//===- DurableFile.h - Files that are whole or not there --------*- C++ -*-===//
//
// Checkpoints and cached objects are written to a temporary file next to
// their path, synced, renamed over the path and the folder synced: a reader
// sees the old file or the new one, never a part, and a crash or a power
// loss does not lose the last complete file. Temporaries that a killed
// process left behind are removed the next time the same path is written.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_RUNTIME_DURABLEFILE_H
#define SEQC_RUNTIME_DURABLEFILE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace seqc::rt {

/// Replaces `path` with `bytes` atomically and durably (see above). On
/// failure `path` is unchanged and no temporary is left.
llvm::Error writeFileDurably(llvm::StringRef path, llvm::StringRef bytes);

/// Removes the temporaries of `path` that no running process is writing:
/// `<path>.tmp-<pid>` of a dead pid, and the `<path>.temp-stream-*` files of
/// earlier versions. Returns how many it removed.
unsigned removeStaleTemporaries(llvm::StringRef path);

} // namespace seqc::rt

#endif // SEQC_RUNTIME_DURABLEFILE_H
