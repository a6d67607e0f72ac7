//===- FrontendFuzzer.cpp - libFuzzer target: lexer, parser and sema ------===//
//
// Feeds arbitrary bytes to the frontend as a model file: parse, check the
// train block, elaborate (with the loss entry point when the train block
// allows it). Any input must end in a result or in diagnostics, never in a
// crash, a sanitizer report, a hang or unbounded memory. `use` of other
// files resolves against the current folder, as for a file on disk.
//
//===----------------------------------------------------------------------===//
#include "seqc/Frontend/Frontend.h"

#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef source(reinterpret_cast<const char *>(data), size);
  llvm::SourceMgr srcMgr;
  // Diagnostics are expected; only their formatting runs.
  srcMgr.setDiagHandler([](const llvm::SMDiagnostic &diag, void *) {
    std::string text;
    llvm::raw_string_ostream os(text);
    diag.print("seqc", os, /*ShowColors=*/false);
  });
  auto module = seqc::parseSource(srcMgr, source, "fuzz.seq");
  if (!module)
    return 0;
  seqc::FrontendOptions options;
  auto train = seqc::analyzeTrain(*module, srcMgr, options);
  options.withLoss = train.has_value();
  (void)seqc::elaborate(*module, srcMgr, options);
  return 0;
}
