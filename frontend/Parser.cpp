//===- Parser.cpp - The parser's entry point ------------------------------===//
//
// Parses one buffer into a SourceFile; the parser itself is ParserImpl.h,
// ParseDecls.cpp and ParseExpr.cpp.
//
//===----------------------------------------------------------------------===//

#include "seqc/Frontend/Parser.h"
#include "ParserImpl.h"

using namespace seqc;
using seqc::ast::SourceFile;

std::unique_ptr<SourceFile> seqc::parseBuffer(llvm::SourceMgr &srcMgr,
                                              unsigned bufferId) {
  auto file = std::make_unique<SourceFile>();
  file->bufferId = bufferId;
  file->name = srcMgr.getMemoryBuffer(bufferId)->getBufferIdentifier().str();
  parser::Parser parser(srcMgr, bufferId);
  if (!parser.parseFile(*file))
    return nullptr;
  return file;
}
