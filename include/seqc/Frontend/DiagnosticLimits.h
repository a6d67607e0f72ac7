//===- DiagnosticLimits.h - Bounded error output ----------------*- C++ -*-===//
//
// Every diagnostic of a SourceMgr goes through a DiagnosticLimits while it
// lives: after the first 20 errors the rest (and their notes) are counted,
// not printed, and a source line longer than 160 columns is shown as a
// window around the caret. Bad input of any size then prints a bounded
// amount: 10,000 errors on one 100 KB line would otherwise print the line
// 10,000 times. The location printed is always the true one.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_FRONTEND_DIAGNOSTICLIMITS_H
#define SEQC_FRONTEND_DIAGNOSTICLIMITS_H

#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

namespace seqc {

class DiagnosticLimits {
public:
  static constexpr unsigned kMaxErrors = 20;
  static constexpr size_t kMaxLineWidth = 160;

  /// Takes over `srcMgr`'s diagnostics, printing them to `os`.
  DiagnosticLimits(llvm::SourceMgr &srcMgr, llvm::raw_ostream &os);
  /// Says how many errors were not shown, and gives the diagnostics back.
  ~DiagnosticLimits();

  unsigned suppressedErrors() const { return suppressed; }

private:
  static void handle(const llvm::SMDiagnostic &diag, void *self);
  void print(const llvm::SMDiagnostic &diag);

  llvm::SourceMgr &srcMgr;
  llvm::raw_ostream &os;
  unsigned errors = 0;
  unsigned suppressed = 0;
  bool hideNotes = false;
};

} // namespace seqc

#endif // SEQC_FRONTEND_DIAGNOSTICLIMITS_H
