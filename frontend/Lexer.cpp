//===- Lexer.cpp - Tokens of the seqc language ----------------------------===//

#include "seqc/Frontend/Lexer.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

using namespace seqc;
using llvm::StringRef;

StringRef seqc::spell(TokenKind kind) {
  switch (kind) {
  case TokenKind::Eof:
    return "end of file";
  case TokenKind::Error:
    return "invalid token";
  case TokenKind::Newline:
    return "newline";
  case TokenKind::Semicolon:
    return "';'";
  case TokenKind::Identifier:
    return "identifier";
  case TokenKind::Integer:
    return "integer";
  case TokenKind::Float:
    return "number";
  case TokenKind::String:
    return "string";
  case TokenKind::KwUse:
    return "'use'";
  case TokenKind::KwLayer:
    return "'layer'";
  case TokenKind::KwModel:
    return "'model'";
  case TokenKind::KwTrain:
    return "'train'";
  case TokenKind::KwCell:
    return "'cell'";
  case TokenKind::KwParam:
    return "'param'";
  case TokenKind::KwState:
    return "'state'";
  case TokenKind::KwOut:
    return "'out'";
  case TokenKind::KwFn:
    return "'fn'";
  case TokenKind::KwLet:
    return "'let'";
  case TokenKind::KwReturn:
    return "'return'";
  case TokenKind::LParen:
    return "'('";
  case TokenKind::RParen:
    return "')'";
  case TokenKind::LBracket:
    return "'['";
  case TokenKind::RBracket:
    return "']'";
  case TokenKind::LBrace:
    return "'{'";
  case TokenKind::RBrace:
    return "'}'";
  case TokenKind::Comma:
    return "','";
  case TokenKind::Colon:
    return "':'";
  case TokenKind::Dot:
    return "'.'";
  case TokenKind::Equal:
    return "'='";
  case TokenKind::Arrow:
    return "'->'";
  case TokenKind::Plus:
    return "'+'";
  case TokenKind::Minus:
    return "'-'";
  case TokenKind::Star:
    return "'*'";
  case TokenKind::Slash:
    return "'/'";
  case TokenKind::At:
    return "'@'";
  case TokenKind::Less:
    return "'<'";
  case TokenKind::Greater:
    return "'>'";
  }
  return "token";
}

Lexer::Lexer(llvm::SourceMgr &srcMgr, unsigned bufferId) : srcMgr(srcMgr) {
  const llvm::MemoryBuffer *buffer = srcMgr.getMemoryBuffer(bufferId);
  cur = buffer->getBufferStart();
  end = buffer->getBufferEnd();
}

Token Lexer::make(TokenKind kind, const char *start) const {
  Token tok;
  tok.kind = kind;
  tok.text = StringRef(start, cur - start);
  return tok;
}

Token Lexer::error(const char *where, const llvm::Twine &message) {
  srcMgr.PrintMessage(llvm::SMLoc::getFromPointer(where),
                      llvm::SourceMgr::DK_Error, message);
  failed = true;
  Token tok;
  tok.kind = TokenKind::Error;
  tok.text = StringRef(where, 0);
  return tok;
}

static bool isIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static bool isDigit(char c) { return c >= '0' && c <= '9'; }
static bool isIdentChar(char c) { return isIdentStart(c) || isDigit(c); }

void Lexer::skipSpaceAndComments() {
  while (cur != end) {
    char c = *cur;
    if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
      ++cur;
    } else if (c == '#') {
      while (cur != end && *cur != '\n')
        ++cur;
    } else if (c == '\\' && cur + 1 != end && cur[1] == '\n') {
      cur += 2; // explicit line continuation
    } else if (c == '\\' && end - cur > 2 && cur[1] == '\r' && cur[2] == '\n') {
      cur += 3; // the same, with a Windows line end
    } else if (c == '\n' && depth > 0) {
      ++cur; // inside () or []: a newline is plain whitespace
    } else {
      return;
    }
  }
}

Token Lexer::next() {
  if (failed)
    return make(TokenKind::Error, cur);
  for (;;) {
    skipSpaceAndComments();
    if (cur == end) {
      // A virtual newline before the end simplifies "statement ends here".
      if (!lastWasNewline) {
        lastWasNewline = true;
        return make(TokenKind::Newline, cur);
      }
      return make(TokenKind::Eof, cur);
    }
    if (*cur == '\n') {
      const char *start = cur++;
      if (lastWasNewline)
        continue;
      lastWasNewline = true;
      return make(TokenKind::Newline, start);
    }
    break;
  }

  lastWasNewline = false;
  const char *start = cur;
  char c = *cur++;
  if (isIdentStart(c))
    return lexIdentifier(start);
  if (isDigit(c))
    return lexNumber(start);
  switch (c) {
  case '"':
    return lexString(start);
  case '(':
    ++depth;
    return make(TokenKind::LParen, start);
  case ')':
    if (depth > 0)
      --depth;
    return make(TokenKind::RParen, start);
  case '[':
    ++depth;
    return make(TokenKind::LBracket, start);
  case ']':
    if (depth > 0)
      --depth;
    return make(TokenKind::RBracket, start);
  case '{':
    return make(TokenKind::LBrace, start);
  case '}':
    return make(TokenKind::RBrace, start);
  case ',':
    return make(TokenKind::Comma, start);
  case ':':
    return make(TokenKind::Colon, start);
  case ';':
    lastWasNewline = true; // a `;` ends the statement like a newline
    return make(TokenKind::Semicolon, start);
  case '.':
    return make(TokenKind::Dot, start);
  case '=':
    return make(TokenKind::Equal, start);
  case '+':
    return make(TokenKind::Plus, start);
  case '-':
    if (cur != end && *cur == '>') {
      ++cur;
      return make(TokenKind::Arrow, start);
    }
    return make(TokenKind::Minus, start);
  case '*':
    return make(TokenKind::Star, start);
  case '/':
    return make(TokenKind::Slash, start);
  case '@':
    return make(TokenKind::At, start);
  case '<':
    return make(TokenKind::Less, start);
  case '>':
    return make(TokenKind::Greater, start);
  default:
    break;
  }

  // Name the offending character; multi-byte UTF-8 sequences are shown whole.
  unsigned char byte = static_cast<unsigned char>(c);
  if (byte >= 0x80) {
    const char *seqEnd = cur;
    while (seqEnd != end &&
           (static_cast<unsigned char>(*seqEnd) & 0xC0) == 0x80)
      ++seqEnd;
    return error(start, "unexpected character '" +
                            StringRef(start, seqEnd - start) +
                            "': expected an identifier, a number or an "
                            "operator");
  }
  if (byte < 0x20 || byte == 0x7f) {
    std::string hex;
    llvm::raw_string_ostream(hex) << llvm::format_hex(byte, 4);
    return error(start, "unexpected control character " + hex);
  }
  return error(start, "unexpected character '" + StringRef(start, 1) +
                          "': expected an identifier, a number or an "
                          "operator");
}

Token Lexer::lexIdentifier(const char *start) {
  while (cur != end && isIdentChar(*cur))
    ++cur;
  StringRef text(start, cur - start);
  TokenKind kind = llvm::StringSwitch<TokenKind>(text)
                       .Case("use", TokenKind::KwUse)
                       .Case("layer", TokenKind::KwLayer)
                       .Case("model", TokenKind::KwModel)
                       .Case("train", TokenKind::KwTrain)
                       .Case("cell", TokenKind::KwCell)
                       .Case("param", TokenKind::KwParam)
                       .Case("state", TokenKind::KwState)
                       .Case("out", TokenKind::KwOut)
                       .Case("fn", TokenKind::KwFn)
                       .Case("let", TokenKind::KwLet)
                       .Case("return", TokenKind::KwReturn)
                       .Default(TokenKind::Identifier);
  return make(kind, start);
}

Token Lexer::lexNumber(const char *start) {
  bool isFloat = false;
  while (cur != end && isDigit(*cur))
    ++cur;
  if (cur != end && *cur == '.' && cur + 1 != end && isDigit(cur[1])) {
    isFloat = true;
    ++cur;
    while (cur != end && isDigit(*cur))
      ++cur;
  }
  if (cur != end && (*cur == 'e' || *cur == 'E')) {
    const char *p = cur + 1;
    if (p != end && (*p == '+' || *p == '-'))
      ++p;
    if (p != end && isDigit(*p)) {
      isFloat = true;
      cur = p;
      while (cur != end && isDigit(*cur))
        ++cur;
    }
  }
  if (cur != end && isIdentChar(*cur))
    return error(cur, "invalid character '" + StringRef(cur, 1) +
                          "' in number '" + StringRef(start, cur - start + 1) +
                          "'");
  return make(isFloat ? TokenKind::Float : TokenKind::Integer, start);
}

Token Lexer::lexString(const char *start) {
  while (cur != end) {
    char c = *cur;
    if (c == '"') {
      ++cur;
      return make(TokenKind::String, start);
    }
    if (c == '\n')
      break;
    if (c == '\\' && cur + 1 != end && cur[1] != '\n')
      ++cur;
    ++cur;
  }
  return error(start, "unterminated string: expected a closing '\"' on the "
                      "same line");
}
