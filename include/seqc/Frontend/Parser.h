//===- Parser.h - Recursive-descent parser for seqc -----------------------===//
#ifndef SEQC_FRONTEND_PARSER_H
#define SEQC_FRONTEND_PARSER_H

#include "seqc/Frontend/AST.h"

namespace llvm {
class SourceMgr;
} // namespace llvm

namespace seqc {

/// Parses one buffer of `srcMgr`. Reports the first syntax error there and
/// returns nullptr. `use` declarations are recorded, not followed.
std::unique_ptr<ast::SourceFile> parseBuffer(llvm::SourceMgr &srcMgr,
                                             unsigned bufferId);

} // namespace seqc

#endif // SEQC_FRONTEND_PARSER_H
