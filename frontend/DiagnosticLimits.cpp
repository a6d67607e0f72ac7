//===- DiagnosticLimits.cpp - Bounded error output ------------------------===//
#include "seqc/Frontend/DiagnosticLimits.h"

#include <algorithm>
#include <string>

using namespace seqc;

DiagnosticLimits::DiagnosticLimits(llvm::SourceMgr &srcMgr,
                                   llvm::raw_ostream &os)
    : srcMgr(srcMgr), os(os) {
  srcMgr.setDiagHandler(&DiagnosticLimits::handle, this);
}

DiagnosticLimits::~DiagnosticLimits() {
  srcMgr.setDiagHandler(nullptr, nullptr);
  if (suppressed)
    os << "note: " << suppressed << " more error"
       << (suppressed == 1 ? "" : "s") << " not shown (the first " << kMaxErrors
       << " are)\n";
  os.flush();
}

/// "Included from FILE:LINE:" for each `use` that led to `loc`, outermost
/// first, as SourceMgr prints without a handler.
static void printIncludeStack(const llvm::SourceMgr &srcMgr, llvm::SMLoc loc,
                              llvm::raw_ostream &os) {
  if (!loc.isValid())
    return;
  unsigned buffer = srcMgr.FindBufferContainingLoc(loc);
  if (!buffer)
    return;
  llvm::SMLoc includeLoc = srcMgr.getBufferInfo(buffer).IncludeLoc;
  if (!includeLoc.isValid())
    return;
  printIncludeStack(srcMgr, includeLoc, os);
  unsigned including = srcMgr.FindBufferContainingLoc(includeLoc);
  os << "Included from "
     << srcMgr.getMemoryBuffer(including)->getBufferIdentifier() << ":"
     << srcMgr.FindLineNumber(includeLoc, including) << ":\n";
}

void DiagnosticLimits::handle(const llvm::SMDiagnostic &diag, void *self) {
  static_cast<DiagnosticLimits *>(self)->print(diag);
}

void DiagnosticLimits::print(const llvm::SMDiagnostic &diag) {
  if (diag.getKind() == llvm::SourceMgr::DK_Error) {
    hideNotes = ++errors > kMaxErrors;
    if (hideNotes) {
      ++suppressed;
      return;
    }
  } else if (diag.getKind() == llvm::SourceMgr::DK_Note && hideNotes) {
    return;
  }

  if (diag.getSourceMgr())
    printIncludeStack(*diag.getSourceMgr(), diag.getLoc(), os);
  llvm::StringRef line = diag.getLineContents();
  if (line.size() <= kMaxLineWidth || !diag.getSourceMgr()) {
    diag.print(nullptr, os);
    return;
  }
  // A window of the line around the caret; ranges and fix-its, whose
  // columns refer to the whole line, are left out.
  size_t column =
      std::min<size_t>(std::max(diag.getColumnNo(), 0), line.size());
  size_t start = column > kMaxLineWidth / 2 ? column - kMaxLineWidth / 2 : 0;
  size_t end = std::min(line.size(), start + kMaxLineWidth);
  std::string shown = (start > 0 ? "..." : "") + line.slice(start, end).str() +
                      (end < line.size() ? "..." : "");
  int caret = static_cast<int>(column - start + (start > 0 ? 3 : 0));
  llvm::SMDiagnostic window(*diag.getSourceMgr(), diag.getLoc(),
                            diag.getFilename(), diag.getLineNo(), caret,
                            diag.getKind(), diag.getMessage(), shown, {});
  if (!diag.getFilename().empty()) {
    os << diag.getFilename();
    if (diag.getLineNo() != -1) {
      os << ':' << diag.getLineNo();
      if (diag.getColumnNo() != -1)
        os << ':' << (diag.getColumnNo() + 1);
    }
    os << ": ";
  }
  window.print(nullptr, os, /*ShowColors=*/true, /*ShowKindLabel=*/true,
               /*ShowLocation=*/false);
}
