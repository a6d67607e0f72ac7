//===- Lexer.h - Tokens of the seqc language ------------------------------===//
//
// The lexer turns one source buffer into tokens. Newlines end statements,
// except inside () and [] where they are ignored (as in Python); `;` is an
// explicit statement separator. Comments run from `#` to the end of the line.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_FRONTEND_LEXER_H
#define SEQC_FRONTEND_LEXER_H

#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/SMLoc.h"

namespace llvm {
class SourceMgr;
} // namespace llvm

namespace seqc {

enum class TokenKind {
  Eof,
  Error,   // the lexer already reported a diagnostic
  Newline, // one or more line ends (outside brackets)
  Semicolon,
  Identifier,
  Integer,
  Float,
  String,
  // Keywords.
  KwUse,
  KwLayer,
  KwModel,
  KwTrain,
  KwCell,
  KwParam,
  KwState,
  KwOut,
  KwFn,
  KwLet,
  KwReturn,
  // Punctuation.
  LParen,
  RParen,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  Comma,
  Colon,
  Dot,
  Equal,
  Arrow,
  Plus,
  Minus,
  Star,
  Slash,
  At,
  Less,
  Greater,
};

/// A short human-readable spelling of a token kind, for "expected X"
/// messages.
llvm::StringRef spell(TokenKind kind);

struct Token {
  TokenKind kind = TokenKind::Eof;
  llvm::StringRef text; // points into the source buffer

  bool is(TokenKind k) const { return kind == k; }
  bool isNot(TokenKind k) const { return kind != k; }
  llvm::SMLoc loc() const { return llvm::SMLoc::getFromPointer(text.data()); }
  llvm::SMLoc endLoc() const {
    return llvm::SMLoc::getFromPointer(text.data() + text.size());
  }
  llvm::SMRange range() const { return {loc(), endLoc()}; }
};

class Lexer {
public:
  Lexer(llvm::SourceMgr &srcMgr, unsigned bufferId);

  /// Returns the next token; after an error or the end, keeps returning
  /// Error / Eof.
  Token next();

  /// Bracket depth bookkeeping is done by the lexer itself; the parser only
  /// consumes tokens.
  unsigned bracketDepth() const { return depth; }

private:
  Token make(TokenKind kind, const char *start) const;
  Token error(const char *where, const llvm::Twine &message);
  Token lexIdentifier(const char *start);
  Token lexNumber(const char *start);
  Token lexString(const char *start);
  void skipSpaceAndComments();

  llvm::SourceMgr &srcMgr;
  const char *cur;
  const char *end;
  unsigned depth = 0; // nesting of () and []
  bool failed = false;
  bool lastWasNewline = true; // suppress leading/duplicate newlines
};

} // namespace seqc

#endif // SEQC_FRONTEND_LEXER_H
