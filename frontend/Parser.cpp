//===- Parser.cpp - Recursive-descent parser for seqc ---------------------===//
//
// One function per grammar rule (see docs/language.md), and one
// precedence-climbing routine for the binary operators. The parser stops at
// the first syntax error: later errors in the same file are usually noise.
//
//===----------------------------------------------------------------------===//

#include "seqc/Frontend/Parser.h"
#include "seqc/Frontend/Lexer.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/SourceMgr.h"

#include <cmath>
#include <cstdlib>
#include <optional>

using namespace seqc;
using namespace seqc::ast;
using llvm::SMLoc;
using llvm::SMRange;
using llvm::StringRef;
using llvm::Twine;

namespace {

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

} // namespace

//===----------------------------------------------------------------------===//
// Definitions
//===----------------------------------------------------------------------===//

bool Parser::parseFile(SourceFile &file) {
  skipNewlines();
  while (tok.isNot(TokenKind::Eof)) {
    std::unique_ptr<Decl> decl = parseTopLevel();
    if (!decl)
      return false;
    file.decls.push_back(std::move(decl));
    if (tok.is(TokenKind::RBrace)) {
      errorExpected("a definition");
      return false;
    }
    if (!expectEndOfStatement("the definition"))
      return false;
    skipNewlines();
  }
  return !failed;
}

std::unique_ptr<Decl> Parser::parseTopLevel() {
  switch (tok.kind) {
  case TokenKind::KwUse:
    return parseUse();
  case TokenKind::KwLayer:
  case TokenKind::KwModel:
    return parseBlock();
  case TokenKind::KwTrain:
    return parseTrain();
  case TokenKind::KwFn:
    return parseFunc(/*isEntry=*/false); // a file-level function
  case TokenKind::KwCell:
    return parseCell();
  default:
    return errorExpected(
        "'use', 'layer', 'model', 'cell', 'fn' or 'train' at the top level");
  }
}

std::unique_ptr<Decl> Parser::parseUse() {
  SMLoc start = tok.loc();
  consume(); // 'use'
  if (tok.is(TokenKind::String)) {
    std::string path = tok.text.drop_front().drop_back().str();
    auto use = std::make_unique<UseDecl>(path, tok.loc(), /*isPath=*/true);
    consume();
    use->range = rangeFrom(start);
    return use;
  }
  if (tok.isNot(TokenKind::Identifier))
    return errorExpected("a library module like 'std.layers' or a file path "
                         "in quotes after 'use'");
  SMLoc nameLoc = tok.loc();
  std::string name = tok.text.str();
  consume();
  while (consumeIf(TokenKind::Dot)) {
    if (tok.isNot(TokenKind::Identifier))
      return errorExpected("a module name after '.'");
    name += "." + tok.text.str();
    consume();
  }
  auto use = std::make_unique<UseDecl>(name, nameLoc, /*isPath=*/false);
  use->range = rangeFrom(start);
  return use;
}

std::unique_ptr<Decl> Parser::parseBlock() {
  bool isModel = tok.is(TokenKind::KwModel);
  StringRef what = isModel ? "model" : "layer";
  consume();
  std::string name;
  SMLoc nameLoc;
  if (!expectIdentifier(name, nameLoc, "a name after '" + what + "'"))
    return nullptr;
  auto block = std::make_unique<BlockDecl>(
      isModel ? Decl::Kind::Model : Decl::Kind::Layer, name, nameLoc);

  if (tok.is(TokenKind::LParen) && !parseDimDecls(*block))
    return nullptr;

  SMLoc openLoc = tok.loc();
  if (!expect(TokenKind::LBrace,
              "to start the body of " + what + " '" + name + "'"))
    return nullptr;
  for (;;) {
    skipNewlines();
    if (consumeIf(TokenKind::RBrace))
      break;
    if (tok.is(TokenKind::Eof)) {
      expectClose(TokenKind::RBrace, openLoc,
                  "to close the body of " + what + " '" + name + "'");
      return nullptr;
    }
    if (!parseMember(*block))
      return nullptr;
  }
  return block;
}

std::unique_ptr<Decl> Parser::parseCell() {
  consume(); // 'cell'
  std::string name;
  SMLoc nameLoc;
  if (!expectIdentifier(name, nameLoc, "a name after 'cell'"))
    return nullptr;
  auto cell = std::make_unique<CellDecl>(name, nameLoc);
  if (tok.is(TokenKind::LParen) && !parseDimDecls(*cell))
    return nullptr;
  SMLoc openLoc = tok.loc();
  if (!expect(TokenKind::LBrace, "to start the body of cell '" + name + "'"))
    return nullptr;
  for (;;) {
    skipNewlines();
    if (tok.is(TokenKind::RBrace)) {
      cell->bodyEnd = tok.loc();
      consume();
      break;
    }
    if (tok.is(TokenKind::Eof)) {
      expectClose(TokenKind::RBrace, openLoc,
                  "to close the body of cell '" + name + "'");
      return nullptr;
    }
    if (!parseCellMember(*cell))
      return nullptr;
  }
  return cell;
}

bool Parser::parseCellMember(CellDecl &cell) {
  switch (tok.kind) {
  case TokenKind::KwParam:
    if (!parseParamGroup(cell.members))
      return false;
    return expectEndOfStatement("the parameters");
  case TokenKind::KwState:
    consume();
    return parseCellSlots(cell.states, "state", "h: [H] = 0",
                          /*withInit=*/true) &&
           expectEndOfStatement("the states");
  case TokenKind::KwOut:
    if (cell.out) {
      error(tok.loc(), "cell '" + cell.name + "' has a second 'out'");
      return false;
    }
    cell.outLoc = tok.loc();
    consume();
    cell.out = parseExpr();
    if (!cell.out)
      return false;
    return expectEndOfStatement("the output");
  case TokenKind::Identifier:
    // `input` and `context` are keywords only here, before a name.
    if ((tok.text == "input" || tok.text == "context") &&
        peek().is(TokenKind::Identifier)) {
      bool input = tok.text == "input";
      consume();
      return parseCellSlots(input ? cell.inputs : cell.contexts,
                            input ? "input" : "context",
                            input ? "x: [P]" : "hs: seq<[H]>",
                            /*withInit=*/false) &&
             expectEndOfStatement(input ? "the inputs" : "the contexts");
    }
    if (peek().is(TokenKind::Equal)) {
      if (!parseStmt(cell.body))
        return false;
      return expectEndOfStatement("the statement");
    }
    [[fallthrough]];
  default:
    errorExpected("a member of cell '" + cell.name +
                  "' ('param', 'state', 'input', 'context', an assignment "
                  "like 'h = tanh(...)' or 'out h')");
    return false;
  }
}

bool Parser::parseCellSlots(std::vector<StateSpec> &slots, StringRef what,
                            StringRef example, bool withInit) {
  do {
    StateSpec slot;
    if (!expectIdentifier(slot.name, slot.loc, "a " + what.str() + " name"))
      return false;
    if (!expect(TokenKind::Colon, "and a type after " + what.str() + " '" +
                                      slot.name + "' (like '" + example.str() +
                                      "')"))
      return false;
    std::unique_ptr<TypeExpr> type = parseType();
    if (!type)
      return false;
    slot.type = std::move(*type);
    if (withInit && consumeIf(TokenKind::Equal)) {
      slot.init = parseExpr();
      if (!slot.init)
        return false;
    }
    slots.push_back(std::move(slot));
  } while (consumeIf(TokenKind::Comma));
  return true;
}

bool Parser::parseDimDecls(BlockDecl &block) {
  SMLoc openLoc = tok.loc();
  consume(); // '('
  if (consumeIf(TokenKind::RParen))
    return true;
  for (;;) {
    DimDecl dim;
    if (!expectIdentifier(dim.name, dim.loc, "a dimension name"))
      return false;
    if (consumeIf(TokenKind::Colon)) {
      dim.sourceLoc = tok.loc();
      SMLoc unused;
      if (!expectIdentifier(dim.source, unused,
                            "where the dimension's size comes from (like "
                            "'vocab') after ':'"))
        return false;
    }
    if (consumeIf(TokenKind::Equal)) {
      dim.defaultSize = parseExpr();
      if (!dim.defaultSize)
        return false;
    }
    block.dims.push_back(std::move(dim));
    if (consumeIf(TokenKind::Comma)) {
      if (consumeIf(TokenKind::RParen))
        return true;
      continue;
    }
    return expectClose(TokenKind::RParen, openLoc,
                       "after the dimensions of '" + block.name + "'");
  }
}

bool Parser::parseMember(BlockDecl &block) {
  std::unique_ptr<Decl> member;
  switch (tok.kind) {
  case TokenKind::KwParam:
    if (!parseParamGroup(block.members))
      return false;
    return expectEndOfStatement("the parameters");
  case TokenKind::KwFn:
    member = parseFunc(/*isEntry=*/false);
    break;
  case TokenKind::KwState:
  case TokenKind::KwOut:
    error(tok.loc(), spell(tok.kind) + " is only allowed in a cell");
    return false;
  case TokenKind::Identifier:
    if (peek().is(TokenKind::LParen)) {
      member = parseFunc(/*isEntry=*/true);
      break;
    }
    if (peek().is(TokenKind::Equal)) {
      member = parseInstance();
      break;
    }
    [[fallthrough]];
  default:
    errorExpected("a member of " + Twine(block.isModel() ? "model" : "layer") +
                  " '" + block.name +
                  "' ('param', 'fn', an instance like 'fc = Linear(I, O)' "
                  "or an entry point like 'forward(x: [I]) -> [O] = ...')");
    return false;
  }
  if (!member)
    return false;
  block.members.push_back(std::move(member));
  return expectEndOfStatement("the definition of '" +
                              block.members.back()->name + "'");
}

bool Parser::parseParamGroup(std::vector<std::unique_ptr<Decl>> &members) {
  consume(); // 'param'
  do {
    std::string name;
    SMLoc loc;
    if (!expectIdentifier(name, loc, "a parameter name"))
      return false;
    auto param = std::make_unique<ParamDecl>(name, loc);
    if (!expect(TokenKind::Colon, "and a shape after parameter '" + name +
                                      "' (like 'W: [O, I]')"))
      return false;
    std::unique_ptr<TypeExpr> type = parseType();
    if (!type)
      return false;
    param->type = std::move(*type);
    if (consumeIf(TokenKind::Equal)) {
      param->init = parseExpr();
      if (!param->init)
        return false;
    }
    members.push_back(std::move(param));
  } while (consumeIf(TokenKind::Comma));
  return true;
}

std::unique_ptr<Decl> Parser::parseInstance() {
  auto inst = std::make_unique<InstanceDecl>(tok.text.str(), tok.loc());
  consume(); // name
  consume(); // '='
  SMLoc start = tok.loc();
  std::unique_ptr<Expr> call = parseExpr();
  if (!call)
    return nullptr;
  if (call->calleeName().empty())
    return error(start,
                 "expected a layer instantiation like 'Linear(I, O)' after "
                 "'" +
                     inst->name + " ='",
                 call->range);
  inst->call = std::move(call);
  return inst;
}

std::unique_ptr<Decl> Parser::parseFunc(bool isEntry) {
  if (!isEntry)
    consume(); // 'fn'
  std::string name;
  SMLoc nameLoc;
  if (!expectIdentifier(name, nameLoc, "a function name after 'fn'"))
    return nullptr;
  auto func = std::make_unique<FuncDecl>(name, nameLoc, isEntry);

  SMLoc openLoc = tok.loc();
  if (!expect(TokenKind::LParen, "after '" + name + "'"))
    return nullptr;
  if (!consumeIf(TokenKind::RParen)) {
    for (;;) {
      ParamSpec param;
      if (!expectIdentifier(param.name, param.loc, "an argument name"))
        return nullptr;
      if (consumeIf(TokenKind::Colon)) {
        param.type = parseType();
        if (!param.type)
          return nullptr;
      }
      func->params.push_back(std::move(param));
      if (consumeIf(TokenKind::Comma)) {
        if (consumeIf(TokenKind::RParen))
          break;
        continue;
      }
      if (!expectClose(TokenKind::RParen, openLoc,
                       "after the arguments of '" + name + "'"))
        return nullptr;
      break;
    }
  }

  if (consumeIf(TokenKind::Arrow)) {
    func->resultType = parseType();
    if (!func->resultType)
      return nullptr;
  }

  if (consumeIf(TokenKind::Equal)) {
    Stmt ret;
    ret.kind = Stmt::Kind::Return;
    ret.loc = tok.loc();
    ret.value = parseExpr();
    if (!ret.value)
      return nullptr;
    func->exprBody = true;
    func->body.push_back(std::move(ret));
    func->bodyEnd = prevEndLoc();
    return func;
  }
  if (tok.is(TokenKind::LBrace)) {
    if (!parseStmtBlock(*func))
      return nullptr;
    return func;
  }
  return errorExpected("'=' or '{' to start the body of '" + name + "'");
}

bool Parser::parseStmtBlock(FuncDecl &func) {
  SMLoc openLoc = tok.loc();
  consume(); // '{'
  for (;;) {
    skipNewlines();
    if (tok.is(TokenKind::RBrace)) {
      func.bodyEnd = tok.loc();
      consume();
      return true;
    }
    if (tok.is(TokenKind::Eof))
      return expectClose(TokenKind::RBrace, openLoc,
                         "to close the body of '" + func.name + "'");
    if (!parseStmt(func.body))
      return false;
    if (!expectEndOfStatement("the statement"))
      return false;
  }
}

bool Parser::parseStmt(std::vector<Stmt> &body) {
  Stmt stmt;
  stmt.loc = tok.loc();
  switch (tok.kind) {
  case TokenKind::KwLet:
    consume();
    stmt.kind = Stmt::Kind::Let;
    if (!expectIdentifier(stmt.name, stmt.nameLoc, "a name after 'let'"))
      return false;
    if (!expect(TokenKind::Equal, "after 'let " + stmt.name + "'"))
      return false;
    break;
  case TokenKind::KwReturn:
    consume();
    stmt.kind = Stmt::Kind::Return;
    break;
  case TokenKind::Identifier:
    if (peek().is(TokenKind::Equal)) {
      stmt.kind = Stmt::Kind::Assign;
      stmt.name = tok.text.str();
      stmt.nameLoc = tok.loc();
      consume();
      consume();
      break;
    }
    [[fallthrough]];
  default:
    errorExpected("a statement ('let x = ...', 'x = ...' or 'return ...')");
    return false;
  }
  stmt.value = parseExpr();
  if (!stmt.value)
    return false;
  body.push_back(std::move(stmt));
  return true;
}

std::unique_ptr<Decl> Parser::parseTrain() {
  SMLoc keywordLoc = tok.loc();
  consume(); // 'train'
  std::string modelName;
  SMLoc modelLoc;
  if (!expectIdentifier(modelName, modelLoc,
                        "the name of the model to train after 'train'"))
    return nullptr;
  auto train = std::make_unique<TrainDecl>(modelName, modelLoc);
  train->keywordLoc = keywordLoc;

  SMLoc openLoc = tok.loc();
  if (!expect(TokenKind::LBrace, "to start the train block"))
    return nullptr;
  for (;;) {
    skipNewlines();
    if (consumeIf(TokenKind::RBrace))
      return train;
    if (tok.is(TokenKind::Eof)) {
      expectClose(TokenKind::RBrace, openLoc, "to close the train block");
      return nullptr;
    }
    TrainSetting setting;
    SMLoc keyLoc;
    if (!expectIdentifier(setting.key, keyLoc,
                          "a setting like 'epochs = 10' in the train block"))
      return nullptr;
    setting.keyLoc = keyLoc;
    if (!expect(TokenKind::Equal, "after '" + setting.key + "'"))
      return nullptr;
    const char *valueStart = tok.text.data();
    setting.value = parseExpr();
    if (!setting.value)
      return nullptr;
    setting.text = StringRef(valueStart, prevEnd - valueStart);
    train->settings.push_back(std::move(setting));
    if (!expectEndOfStatement("the setting"))
      return nullptr;
  }
}

std::unique_ptr<TypeExpr> Parser::parseType() {
  NestingGuard guard(*this);
  if (!guard.ok)
    return nullptr;
  auto type = std::make_unique<TypeExpr>();
  SMLoc start = tok.loc();
  if (tok.is(TokenKind::LBracket)) {
    consume();
    type->kind = TypeExpr::Kind::Shape;
    if (!consumeIf(TokenKind::RBracket)) {
      for (;;) {
        std::unique_ptr<Expr> dim = parseExpr();
        if (!dim)
          return nullptr;
        type->dims.push_back(std::move(dim));
        if (consumeIf(TokenKind::Comma)) {
          if (consumeIf(TokenKind::RBracket))
            break;
          continue;
        }
        if (!expectClose(TokenKind::RBracket, start, "after the dimensions"))
          return nullptr;
        break;
      }
    }
  } else if (tok.is(TokenKind::Identifier) && tok.text == "token") {
    consume();
    type->kind = TypeExpr::Kind::Token;
  } else if (tok.is(TokenKind::Identifier) && tok.text == "seq") {
    consume();
    type->kind = TypeExpr::Kind::Seq;
    SMLoc openLoc = tok.loc();
    if (!expect(TokenKind::Less, "after 'seq' (like 'seq<token>')"))
      return nullptr;
    type->element = parseType();
    if (!type->element)
      return nullptr;
    if (!expectClose(TokenKind::Greater, openLoc, "after the element type"))
      return nullptr;
  } else {
    return errorExpected(
        "a type (a shape like '[H]' or '[O, I]', 'token' or 'seq<...>')");
  }
  type->range = rangeFrom(start);
  return type;
}

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

std::unique_ptr<SourceFile> seqc::parseBuffer(llvm::SourceMgr &srcMgr,
                                              unsigned bufferId) {
  auto file = std::make_unique<SourceFile>();
  file->bufferId = bufferId;
  file->name = srcMgr.getMemoryBuffer(bufferId)->getBufferIdentifier().str();
  Parser parser(srcMgr, bufferId);
  if (!parser.parseFile(*file))
    return nullptr;
  return file;
}
