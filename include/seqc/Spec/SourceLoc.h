//===- SourceLoc.h - A position in a source file ----------------*- C++ -*-===//
//
// Where something was written: the frontend's typed IR and the train block's
// settings carry it, and the runtime reports a bad setting (a data file that
// does not read, a split out of range) at it. It lives in the spec layer so
// that the runtime can name positions without depending on the frontend.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_SPEC_SOURCELOC_H
#define SEQC_SPEC_SOURCELOC_H

#include <string>

namespace seqc {

/// A source position, resolved to file:line:col for messages and MLIR
/// locations; an empty `file` means none.
struct SourceLoc {
  std::string file;
  unsigned line = 0;
  unsigned col = 0;
};

} // namespace seqc

#endif // SEQC_SPEC_SOURCELOC_H
