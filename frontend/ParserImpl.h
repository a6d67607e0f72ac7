//===- ParserImpl.h - The recursive-descent parser's state -----*- C++ -*-===//
//
// The parser class shared by its two halves: ParseDecls.cpp (files,
// declarations, statements, types) and ParseExpr.cpp (expressions).
// Private to frontend/; seqc::parseBuffer in Parser.cpp is the entry point.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_FRONTEND_PARSERIMPL_H
#define SEQC_FRONTEND_PARSERIMPL_H

#include "seqc/Frontend/AST.h"
#include "seqc/Frontend/Lexer.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/SourceMgr.h"

#include <memory>
#include <vector>

namespace seqc::parser {

using llvm::SMLoc;
using llvm::SMRange;
using llvm::StringRef;
using llvm::Twine;
using namespace seqc::ast;

/// Deeper nesting than this is surely not a model; refusing it keeps the
/// recursive descent far from the end of the stack.
constexpr unsigned kMaxNesting = 200;
/// Long chains (`a + b + ...`, `x[0][0]...`) nest without recursion in the
/// parser but make a deep tree, which sema walks recursively.
constexpr unsigned kMaxExprDepth = 1000;

class Parser {
public:
  Parser(llvm::SourceMgr &srcMgr, unsigned bufferId)
      : srcMgr(srcMgr), lexer(srcMgr, bufferId) {
    prevEnd = srcMgr.getMemoryBuffer(bufferId)->getBufferStart();
    tok = lexer.next();
  }

  bool parseFile(SourceFile &file);

private:
  //===--------------------------------------------------------------------===//
  // Token handling and diagnostics
  //===--------------------------------------------------------------------===//

  void consume() {
    prevEnd = tok.text.data() + tok.text.size();
    if (hasPeek) {
      tok = peekTok;
      hasPeek = false;
    } else {
      tok = lexer.next();
    }
  }
  const Token &peek() {
    if (!hasPeek) {
      peekTok = lexer.next();
      hasPeek = true;
    }
    return peekTok;
  }
  bool consumeIf(TokenKind kind) {
    if (tok.isNot(kind))
      return false;
    consume();
    return true;
  }
  SMLoc prevEndLoc() const { return SMLoc::getFromPointer(prevEnd); }
  SMRange rangeFrom(SMLoc start) const { return {start, prevEndLoc()}; }

  /// What the current token is, for "found ..." in messages.
  std::string describe(const Token &t) const {
    switch (t.kind) {
    case TokenKind::Identifier:
      return ("'" + t.text + "'").str();
    case TokenKind::Integer:
    case TokenKind::Float:
      return ("number '" + t.text + "'").str();
    case TokenKind::String:
      return "a string";
    case TokenKind::Newline:
      return "end of line";
    default:
      return spell(t.kind).str();
    }
  }

  bool lexerFailed() const {
    return tok.is(TokenKind::Error) ||
           (hasPeek && peekTok.is(TokenKind::Error));
  }

  /// Reports an error unless the lexer already did (its Error token is the
  /// cause of whatever the parser trips over next).
  std::nullptr_t error(SMLoc loc, const Twine &message,
                       llvm::ArrayRef<SMRange> ranges = {}) {
    if (!failed && !lexerFailed())
      srcMgr.PrintMessage(loc, llvm::SourceMgr::DK_Error, message, ranges);
    failed = true;
    return nullptr;
  }
  void note(SMLoc loc, const Twine &message) {
    srcMgr.PrintMessage(loc, llvm::SourceMgr::DK_Note, message);
  }
  /// "expected X <context>, found Y" at the current token.
  std::nullptr_t errorExpected(const Twine &what) {
    return error(tok.loc(), "expected " + what + ", found " + describe(tok));
  }

  bool expect(TokenKind kind, const Twine &context) {
    if (consumeIf(kind))
      return true;
    errorExpected(spell(kind) + " " + context);
    return false;
  }
  /// Expects the closer of a bracket opened at `openLoc`, with a note there.
  bool expectClose(TokenKind kind, SMLoc openLoc, const Twine &context) {
    if (consumeIf(kind))
      return true;
    bool reported = !failed && !lexerFailed();
    errorExpected(spell(kind) + " " + context);
    if (reported)
      note(openLoc,
           "to match this " +
               spell(kind == TokenKind::RParen     ? TokenKind::LParen
                     : kind == TokenKind::RBracket ? TokenKind::LBracket
                                                   : TokenKind::LBrace));
    return false;
  }
  bool expectIdentifier(std::string &name, SMLoc &loc, const Twine &what) {
    if (tok.isNot(TokenKind::Identifier)) {
      errorExpected(what);
      return false;
    }
    name = tok.text.str();
    loc = tok.loc();
    consume();
    return true;
  }
  void skipNewlines() {
    while (tok.is(TokenKind::Newline) || tok.is(TokenKind::Semicolon))
      consume();
  }
  /// A statement or definition ends at a newline, `;`, the end of the file,
  /// or (not consumed) the `}` that closes the enclosing body.
  bool expectEndOfStatement(const Twine &after) {
    if (tok.is(TokenKind::Newline) || tok.is(TokenKind::Semicolon)) {
      consume();
      return true;
    }
    if (tok.is(TokenKind::Eof) || tok.is(TokenKind::RBrace))
      return true;
    errorExpected("end of line after " + after);
    return false;
  }

  /// Computes the height of a freshly built expression; reports (and
  /// returns nullptr) if it is beyond kMaxExprDepth.
  std::unique_ptr<Expr> finish(std::unique_ptr<Expr> expr) {
    unsigned depth = 0;
    auto visit = [&](const std::unique_ptr<Expr> &child) {
      if (child)
        depth = std::max(depth, child->depth);
    };
    visit(expr->lhs);
    visit(expr->rhs);
    for (const Arg &arg : expr->args)
      visit(arg.value);
    for (const IndexItem &item : expr->indices) {
      visit(item.start);
      visit(item.stop);
    }
    for (const auto &element : expr->elements)
      visit(element);
    expr->depth = depth + 1;
    if (expr->depth > kMaxExprDepth)
      return error(expr->loc(), "expression is too deep (more than " +
                                    Twine(kMaxExprDepth) +
                                    " nested operations)");
    return expr;
  }

  struct NestingGuard {
    Parser &parser;
    bool ok;
    explicit NestingGuard(Parser &parser)
        : parser(parser), ok(++parser.nesting <= kMaxNesting) {
      if (!ok)
        parser.error(parser.tok.loc(),
                     "expression is nested too deeply (more than " +
                         Twine(kMaxNesting) + " levels)");
    }
    ~NestingGuard() { --parser.nesting; }
  };

  //===--------------------------------------------------------------------===//
  // Grammar
  //===--------------------------------------------------------------------===//

  std::unique_ptr<Decl> parseTopLevel();
  std::unique_ptr<Decl> parseUse();
  std::unique_ptr<Decl> parseBlock();
  std::unique_ptr<Decl> parseCell();
  bool parseCellMember(CellDecl &cell);
  /// `name: type [= init], ...` after `state`, `input` or `context`.
  bool parseCellSlots(std::vector<StateSpec> &slots, StringRef what,
                      StringRef example, bool withInit);
  bool parseDimDecls(BlockDecl &block);
  bool parseMember(BlockDecl &block);
  bool parseParamGroup(std::vector<std::unique_ptr<Decl>> &members);
  std::unique_ptr<Decl> parseInstance();
  std::unique_ptr<Decl> parseFunc(bool isEntry);
  bool parseStmtBlock(FuncDecl &func);
  bool parseStmt(std::vector<Stmt> &body);
  std::unique_ptr<Decl> parseTrain();
  std::unique_ptr<TypeExpr> parseType();

  std::unique_ptr<Expr> parseExpr();
  std::unique_ptr<Expr> parseBinary(int minPrecedence);
  std::unique_ptr<Expr> parseUnary();
  std::unique_ptr<Expr> parsePostfix();
  std::unique_ptr<Expr> parsePrimary();
  bool parseCallArgs(Expr &call, SMLoc openLoc);
  bool parseIndexItems(Expr &index, SMLoc openLoc);

  llvm::SourceMgr &srcMgr;
  Lexer lexer;
  Token tok, peekTok;
  bool hasPeek = false;
  bool failed = false;
  const char *prevEnd;
  unsigned nesting = 0;
};

} // namespace seqc::parser

#endif // SEQC_FRONTEND_PARSERIMPL_H
