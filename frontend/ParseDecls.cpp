//===- ParseDecls.cpp - Parsing files, declarations and statements --------===//
//
// One function per grammar rule (see docs/language.md): uses, layers, models,
// cells, functions, statements, train blocks and types. The parser stops at
// the first syntax error: later errors in the same file are usually noise.
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
