//===- ParseExpr.cpp - Parsing expressions --------------------------------===//
//
// One precedence-climbing routine for the binary operators, then unary,
// postfix (calls, indexing) and primary expressions.
//
//===----------------------------------------------------------------------===//

#include "ParserImpl.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"

#include <cmath>
#include <cstdlib>
#include <optional>

using namespace seqc;
using namespace seqc::parser;

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

/// The binary operator `tok` is, with its precedence (higher binds tighter;
/// all are left-associative), or nothing.
static std::optional<std::pair<BinaryOp, int>>
binaryOperator(const Token &tok) {
  switch (tok.kind) {
  case TokenKind::Plus:
    return std::pair{BinaryOp::Add, 1};
  case TokenKind::Minus:
    return std::pair{BinaryOp::Sub, 1};
  case TokenKind::Star:
    return std::pair{BinaryOp::Mul, 2};
  case TokenKind::Slash:
    return std::pair{BinaryOp::Div, 2};
  case TokenKind::At:
    return std::pair{BinaryOp::MatMul, 2};
  default:
    return std::nullopt;
  }
}

std::unique_ptr<Expr> Parser::parseExpr() {
  NestingGuard guard(*this);
  if (!guard.ok)
    return nullptr;
  return parseBinary(/*minPrecedence=*/1);
}

/// Precedence climbing: an operand, then each operator of at least
/// `minPrecedence` with its right operand, which takes only the operators
/// that bind tighter.
std::unique_ptr<Expr> Parser::parseBinary(int minPrecedence) {
  SMLoc start = tok.loc();
  std::unique_ptr<Expr> lhs = parseUnary();
  while (lhs) {
    std::optional<std::pair<BinaryOp, int>> op = binaryOperator(tok);
    if (!op || op->second < minPrecedence)
      break;
    SMLoc opLoc = tok.loc();
    consume();
    std::unique_ptr<Expr> rhs = parseBinary(op->second + 1);
    if (!rhs)
      return nullptr;
    auto bin = std::make_unique<Expr>(Expr::Kind::Binary, rangeFrom(start));
    bin->op = op->first;
    bin->opLoc = opLoc;
    bin->lhs = std::move(lhs);
    bin->rhs = std::move(rhs);
    lhs = finish(std::move(bin));
  }
  return lhs;
}

std::unique_ptr<Expr> Parser::parseUnary() {
  if (tok.isNot(TokenKind::Minus))
    return parsePostfix();
  NestingGuard guard(*this);
  if (!guard.ok)
    return nullptr;
  SMLoc start = tok.loc();
  consume();
  std::unique_ptr<Expr> operand = parseUnary();
  if (!operand)
    return nullptr;
  auto neg = std::make_unique<Expr>(Expr::Kind::Neg, rangeFrom(start));
  neg->opLoc = start;
  neg->lhs = std::move(operand);
  return finish(std::move(neg));
}

std::unique_ptr<Expr> Parser::parsePostfix() {
  SMLoc start = tok.loc();
  std::unique_ptr<Expr> expr = parsePrimary();
  while (expr) {
    if (tok.is(TokenKind::LParen)) {
      SMLoc openLoc = tok.loc();
      consume();
      auto call = std::make_unique<Expr>(Expr::Kind::Call, SMRange());
      call->lhs = std::move(expr);
      if (!parseCallArgs(*call, openLoc))
        return nullptr;
      call->range = rangeFrom(start);
      expr = finish(std::move(call));
    } else if (tok.is(TokenKind::LBracket)) {
      SMLoc openLoc = tok.loc();
      consume();
      auto index = std::make_unique<Expr>(Expr::Kind::Index, SMRange());
      index->lhs = std::move(expr);
      if (!parseIndexItems(*index, openLoc))
        return nullptr;
      index->range = rangeFrom(start);
      expr = finish(std::move(index));
    } else {
      break;
    }
  }
  return expr;
}

bool Parser::parseCallArgs(Expr &call, SMLoc openLoc) {
  if (consumeIf(TokenKind::RParen))
    return true;
  for (;;) {
    Arg arg;
    // A keyword may name an argument too: csv(train = "a.csv", ...).
    bool isName =
        tok.is(TokenKind::Identifier) ||
        (tok.kind >= TokenKind::KwUse && tok.kind <= TokenKind::KwReturn);
    if (isName && peek().is(TokenKind::Equal)) {
      arg.keyword = tok.text.str();
      arg.keywordLoc = tok.loc();
      consume();
      consume();
    }
    arg.value = parseExpr();
    if (!arg.value)
      return false;
    call.args.push_back(std::move(arg));
    if (consumeIf(TokenKind::Comma)) {
      if (consumeIf(TokenKind::RParen))
        return true;
      continue;
    }
    return expectClose(TokenKind::RParen, openLoc, "after the arguments");
  }
}

bool Parser::parseIndexItems(Expr &index, SMLoc openLoc) {
  for (;;) {
    IndexItem item;
    SMLoc start = tok.loc();
    if (tok.isNot(TokenKind::Colon)) {
      item.start = parseExpr();
      if (!item.start)
        return false;
    }
    if (consumeIf(TokenKind::Colon)) {
      item.isSlice = true;
      if (tok.isNot(TokenKind::Comma) && tok.isNot(TokenKind::RBracket)) {
        item.stop = parseExpr();
        if (!item.stop)
          return false;
      }
    }
    item.range = rangeFrom(start);
    index.indices.push_back(std::move(item));
    if (consumeIf(TokenKind::Comma))
      continue;
    return expectClose(TokenKind::RBracket, openLoc, "after the indices");
  }
}

static std::string unescape(StringRef quoted) {
  StringRef body = quoted.drop_front().drop_back();
  std::string out;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c == '\\' && i + 1 < body.size()) {
      char e = body[++i];
      out += e == 'n' ? '\n' : e == 't' ? '\t' : e;
      continue;
    }
    out += c;
  }
  return out;
}

std::unique_ptr<Expr> Parser::parsePrimary() {
  SMLoc start = tok.loc();
  switch (tok.kind) {
  case TokenKind::Integer: {
    auto num = std::make_unique<Expr>(Expr::Kind::Number, tok.range());
    uint64_t value;
    if (tok.text.getAsInteger(10, value) ||
        value > uint64_t(std::numeric_limits<int64_t>::max()))
      return error(tok.loc(), "integer '" + tok.text + "' is too large",
                   tok.range());
    num->isInteger = true;
    num->text = tok.text.str();
    num->integer = int64_t(value);
    num->number = double(value);
    consume();
    return num;
  }
  case TokenKind::Float: {
    auto num = std::make_unique<Expr>(Expr::Kind::Number, tok.range());
    std::string text = tok.text.str();
    num->number = std::strtod(text.c_str(), nullptr);
    if (!std::isfinite(num->number))
      return error(tok.loc(), "number '" + tok.text + "' is out of range",
                   tok.range());
    num->text = text;
    consume();
    return num;
  }
  case TokenKind::String: {
    auto str = std::make_unique<Expr>(Expr::Kind::String, tok.range());
    str->text = unescape(tok.text);
    consume();
    return str;
  }
  case TokenKind::Identifier: {
    auto ident = std::make_unique<Expr>(Expr::Kind::Ident, tok.range());
    ident->text = tok.text.str();
    consume();
    return ident;
  }
  case TokenKind::LParen: {
    consume();
    std::unique_ptr<Expr> inner = parseExpr();
    if (!inner)
      return nullptr;
    if (!expectClose(TokenKind::RParen, start, "after the expression"))
      return nullptr;
    // Keep the parentheses in the range so carets cover what was written.
    inner->range = rangeFrom(start);
    return inner;
  }
  case TokenKind::LBracket: {
    consume();
    auto list = std::make_unique<Expr>(Expr::Kind::List, SMRange());
    while (tok.isNot(TokenKind::RBracket)) {
      std::unique_ptr<Expr> element = parseExpr();
      if (!element)
        return nullptr;
      list->elements.push_back(std::move(element));
      if (!consumeIf(TokenKind::Comma))
        break;
    }
    if (!expectClose(TokenKind::RBracket, start, "after the list"))
      return nullptr;
    list->range = rangeFrom(start);
    return finish(std::move(list));
  }
  default:
    return errorExpected("an expression");
  }
}
