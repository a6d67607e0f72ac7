//===- AST.h - Syntax tree of the seqc language ---------------------------===//
//
// The parser's output: what was written, with source ranges for diagnostics.
// Nothing here is resolved or checked; sema (elaborate) does that.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_FRONTEND_AST_H
#define SEQC_FRONTEND_AST_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Casting.h"
#include "llvm/Support/SMLoc.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace seqc::ast {

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

struct Expr;

/// `value` or `name = value` in a call.
struct Arg {
  std::string keyword; // empty: positional
  llvm::SMLoc keywordLoc;
  std::unique_ptr<Expr> value;
};

/// One entry of `e[...]`: an index `i` or a slice `a:b` (either bound may be
/// missing).
struct IndexItem {
  bool isSlice = false;
  std::unique_ptr<Expr> start; // the index itself when !isSlice
  std::unique_ptr<Expr> stop;
  llvm::SMRange range;
};

enum class BinaryOp { Add, Sub, Mul, Div, MatMul };
llvm::StringRef spell(BinaryOp op);

struct Expr {
  enum class Kind { Number, String, Ident, Neg, Binary, Call, Index, List };

  Kind kind;
  llvm::SMRange range; // the whole expression
  unsigned depth = 1;  // height of the tree; the parser bounds it

  // Number.
  double number = 0.0;
  bool isInteger = false;
  int64_t integer = 0;
  // String (unescaped value), Ident (the name), Number (as written).
  std::string text;
  // Neg (lhs only) and Binary.
  BinaryOp op = BinaryOp::Add;
  llvm::SMLoc opLoc;
  std::unique_ptr<Expr> lhs, rhs;
  // Call: lhs is the callee. Index: lhs is the indexed value.
  std::vector<Arg> args;
  std::vector<IndexItem> indices;
  // List.
  std::vector<std::unique_ptr<Expr>> elements;

  explicit Expr(Kind kind, llvm::SMRange range) : kind(kind), range(range) {}
  llvm::SMLoc loc() const { return range.Start; }
  /// The callee's name when this is a call of a plain identifier.
  llvm::StringRef calleeName() const {
    if (kind == Kind::Call && lhs && lhs->kind == Kind::Ident)
      return lhs->text;
    return {};
  }
};

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

/// `[d, ...]` (a per-instance shape, `[]` is a scalar), `token`, `seq<T>`.
struct TypeExpr {
  enum class Kind { Shape, Token, Seq };
  Kind kind = Kind::Shape;
  llvm::SMRange range;
  std::vector<std::unique_ptr<Expr>> dims; // Shape: names, literals, sums
  std::unique_ptr<TypeExpr> element;       // Seq
};

//===----------------------------------------------------------------------===//
// Statements (inside `{ }` bodies of fn and entry points)
//===----------------------------------------------------------------------===//

struct Stmt {
  enum class Kind { Let, Assign, Return };
  Kind kind;
  llvm::SMLoc loc;  // the statement's first token
  std::string name; // Let, Assign
  llvm::SMLoc nameLoc;
  std::unique_ptr<Expr> value;
};

//===----------------------------------------------------------------------===//
// Declarations
//===----------------------------------------------------------------------===//

class Decl {
public:
  enum class Kind { Use, Layer, Model, Train, Param, Instance, Func, Cell };

  Decl(Kind kind, std::string name, llvm::SMLoc loc)
      : kind(kind), name(std::move(name)), loc(loc) {}
  virtual ~Decl() = default;

  Kind getKind() const { return kind; }

  const Kind kind;
  std::string name;
  llvm::SMLoc loc; // the name
};

/// `use std.layers` (a library module) or `use "path.seq"` (a file).
class UseDecl : public Decl {
public:
  UseDecl(std::string target, llvm::SMLoc loc, bool isPath)
      : Decl(Kind::Use, std::move(target), loc), isPath(isPath) {}
  static bool classof(const Decl *d) { return d->getKind() == Kind::Use; }

  bool isPath; // name is a path relative to the including file
  llvm::SMRange range;
};

/// `param W: [O, I] = xavier` (one per name of a `param A: ..., B: ...`).
class ParamDecl : public Decl {
public:
  ParamDecl(std::string name, llvm::SMLoc loc)
      : Decl(Kind::Param, std::move(name), loc) {}
  static bool classof(const Decl *d) { return d->getKind() == Kind::Param; }

  TypeExpr type;
  std::unique_ptr<Expr> init; // null: the default initializer
};

/// `fc1 = Linear(In, H)`: a named instance of a layer.
class InstanceDecl : public Decl {
public:
  InstanceDecl(std::string name, llvm::SMLoc loc)
      : Decl(Kind::Instance, std::move(name), loc) {}
  static bool classof(const Decl *d) { return d->getKind() == Kind::Instance; }

  std::unique_ptr<Expr> call; // a Call of the layer's name
};

/// An argument of a function or entry point: `x: [I]` (the type may be
/// omitted for `fn`, which then accepts any shape).
struct ParamSpec {
  std::string name;
  llvm::SMLoc loc;
  std::unique_ptr<TypeExpr> type;
};

/// `fn name(args) -> T = expr | { ... }` or an entry point
/// `forward(args) -> T = expr | { ... }`.
class FuncDecl : public Decl {
public:
  FuncDecl(std::string name, llvm::SMLoc loc, bool isEntry)
      : Decl(Kind::Func, std::move(name), loc), isEntry(isEntry) {}
  static bool classof(const Decl *d) { return d->getKind() == Kind::Func; }

  bool isEntry;
  std::vector<ParamSpec> params;
  std::unique_ptr<TypeExpr> resultType; // null when `-> T` is omitted
  bool exprBody = false;                // `= expr`: body is a single Return
  std::vector<Stmt> body;
  llvm::SMLoc bodyEnd; // the closing `}` (or the end of the expression)
};

/// A dimension parameter of a layer or model: `H`, `H = 16`, `V: vocab`.
struct DimDecl {
  std::string name;
  llvm::SMLoc loc;
  std::unique_ptr<Expr> defaultSize; // null: must be given
  std::string source;                // `vocab` in `V: vocab`; empty if none
  llvm::SMLoc sourceLoc;
};

/// `layer Name(dims) { members }` and `model Name(dims) { members }`.
class BlockDecl : public Decl {
public:
  BlockDecl(Kind kind, std::string name, llvm::SMLoc loc)
      : Decl(kind, std::move(name), loc) {}
  static bool classof(const Decl *d) {
    return d->getKind() == Kind::Layer || d->getKind() == Kind::Model;
  }
  bool isModel() const { return getKind() == Kind::Model; }

  std::vector<DimDecl> dims;
  std::vector<std::unique_ptr<Decl>> members; // Param, Instance, Func
};

/// `state h: [H] = 0` (one per name of a `state a: ..., b: ...`); a state
/// without an initial value must not be read at `t-1`. Also a cell's
/// `input` and `context` declarations (without an initial value).
struct StateSpec {
  std::string name;
  llvm::SMLoc loc;
  TypeExpr type;
  std::unique_ptr<Expr> init; // null: no initial value
};

/// `cell Name(dims) { param ...  state ...  name = expr ...  out expr }`:
/// one time step of a recurrence. `x` is the current input (`x[t]`), a
/// state's previous value is `h[t-1]`. The dimensions and the params live in
/// the BlockDecl part (members holds only ParamDecls).
class CellDecl : public BlockDecl {
public:
  CellDecl(std::string name, llvm::SMLoc loc)
      : BlockDecl(Kind::Cell, std::move(name), loc) {}
  static bool classof(const Decl *d) { return d->getKind() == Kind::Cell; }

  std::vector<StateSpec> states;
  /// `input y: [E], f: [F]`: the per-step inputs, read at `t`; empty: one
  /// input named `x` of any shape.
  std::vector<StateSpec> inputs;
  /// `context hs: seq<[H]>`: values the application passes by keyword
  /// (`dec(y, hs = enc(x))`), read whole at every step.
  std::vector<StateSpec> contexts;
  std::vector<Stmt> body;    // Assign statements, in order
  std::unique_ptr<Expr> out; // null: `out` is missing (sema reports it)
  llvm::SMLoc outLoc;        // the `out` keyword
  llvm::SMLoc bodyEnd;       // the closing `}`
};

/// `key = value` in a train block.
struct TrainSetting {
  std::string key;
  llvm::SMLoc keyLoc;
  std::unique_ptr<Expr> value;
  llvm::StringRef text; // the value as written
};

/// `train Model { key = value ... }`; name is the model's name.
class TrainDecl : public Decl {
public:
  TrainDecl(std::string modelName, llvm::SMLoc loc)
      : Decl(Kind::Train, std::move(modelName), loc) {}
  static bool classof(const Decl *d) { return d->getKind() == Kind::Train; }

  llvm::SMLoc keywordLoc;
  std::vector<TrainSetting> settings;
};

/// One parsed source buffer.
struct SourceFile {
  std::string name;  // as shown in diagnostics
  unsigned bufferId; // in the SourceMgr
  bool isLibrary = false;
  std::vector<std::unique_ptr<Decl>> decls;
};

/// The main file and, after it, every file it `use`s (transitively, each
/// once).
struct Module {
  std::vector<std::unique_ptr<SourceFile>> files;
  const SourceFile &mainFile() const { return *files.front(); }
};

} // namespace seqc::ast

#endif // SEQC_FRONTEND_AST_H
