//===- Sema.cpp - Elaboration of a model into the typed IR ----------------===//
//
// Sema works like a template instantiator: layers are checked when they are
// instantiated with concrete dimensions, and every call of a `fn` or a layer
// instance is inlined. What comes out is a flat list of parameters and, per
// entry point, a DAG of shape-checked nodes in per-instance notation.
//
//===----------------------------------------------------------------------===//

#include "seqc/Frontend/AST.h"
#include "seqc/Frontend/Frontend.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <map>
#include <set>

using namespace seqc;
using ast::Expr;
using llvm::SMLoc;
using llvm::SMRange;
using llvm::StringRef;
using llvm::Twine;

namespace {

/// Inlining can blow up (fn calling fn twice, ten levels deep); beyond these
/// limits the program is surely a mistake, and refusing keeps sema fast and
/// its recursion shallow.
constexpr size_t kMaxNodes = 250000;
constexpr unsigned kMaxCallDepth = 256;
constexpr unsigned kMaxLayerDepth = 64;
/// Consumers of the typed IR (printer, MLIRGen) walk it recursively.
constexpr unsigned kMaxNodeDepth = 5000;

//===----------------------------------------------------------------------===//
// Shapes
//===----------------------------------------------------------------------===//

using Shape = std::vector<tir::Dim>;

/// "[H=16, 4]"; a scalar is "[]".
std::string formatShape(const Shape &shape) {
  std::string out = "[";
  llvm::raw_string_ostream os(out);
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      os << ", ";
    if (!shape[i].name.empty())
      os << shape[i].name << "=";
    os << shape[i].size;
  }
  os << "]";
  return out;
}

std::string formatDim(const tir::Dim &dim) {
  if (dim.name.empty())
    return std::to_string(dim.size);
  return dim.name + "=" + std::to_string(dim.size);
}

bool sameSizes(const Shape &a, const Shape &b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].size != b[i].size)
      return false;
  return true;
}

/// Numpy broadcasting, trailing-aligned.
std::optional<Shape> broadcast(const Shape &a, const Shape &b) {
  size_t rank = std::max(a.size(), b.size());
  Shape result(rank);
  for (size_t i = 0; i < rank; ++i) {
    const tir::Dim *da = i < a.size() ? &a[a.size() - 1 - i] : nullptr;
    const tir::Dim *db = i < b.size() ? &b[b.size() - 1 - i] : nullptr;
    tir::Dim &out = result[rank - 1 - i];
    if (!da || !db) {
      out = da ? *da : *db;
    } else if (da->size == db->size) {
      out = da->name.empty() ? *db : *da;
    } else if (da->size == 1) {
      out = *db;
    } else if (db->size == 1) {
      out = *da;
    } else {
      return std::nullopt;
    }
  }
  return result;
}

/// Closest candidate for "did you mean ...?", if any is close enough.
std::string suggest(StringRef name, llvm::ArrayRef<std::string> candidates) {
  // One-letter names are dimension-like (H, I, O): any other letter is one
  // edit away, so a suggestion would be noise.
  if (name.size() < 2)
    return "";
  std::string best;
  unsigned bestDistance = (name.size() + 2) / 3 + 1;
  for (const std::string &candidate : candidates) {
    unsigned distance = name.edit_distance(candidate, true, bestDistance);
    if (distance < bestDistance && candidate != name) {
      bestDistance = distance;
      best = candidate;
    }
  }
  if (best.empty())
    return "";
  return "; did you mean '" + best + "'?";
}

std::string joinNames(llvm::ArrayRef<std::string> names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i)
    out += (i ? ", " : "") + names[i];
  return out;
}

//===----------------------------------------------------------------------===//
// Builtins
//===----------------------------------------------------------------------===//

enum class ArgKind { Tensor, Number, Int, OptionalInt };

struct BuiltinArg {
  const char *name;
  ArgKind kind;
  double defaultValue; // Number and Int; OptionalInt defaults to "none"
};

enum class ShapeRule {
  Elementwise,
  Softmax,
  Maxout,
  Concat,
  Reduce,
  Transpose,
};

struct Builtin {
  const char *name;
  tir::NodeKind kind;
  ShapeRule rule;
  std::vector<BuiltinArg> args; // args[0] is the value (Concat: variadic)
};

const std::vector<Builtin> &builtins() {
  using K = tir::NodeKind;
  static const std::vector<Builtin> table = {
      {"sigmoid",
       K::Sigmoid,
       ShapeRule::Elementwise,
       {{"x", ArgKind::Tensor, 0}}},
      {"tanh", K::Tanh, ShapeRule::Elementwise, {{"x", ArgKind::Tensor, 0}}},
      {"relu", K::Relu, ShapeRule::Elementwise, {{"x", ArgKind::Tensor, 0}}},
      {"identity",
       K::Identity,
       ShapeRule::Elementwise,
       {{"x", ArgKind::Tensor, 0}}},
      {"exp", K::Exp, ShapeRule::Elementwise, {{"x", ArgKind::Tensor, 0}}},
      {"log", K::Log, ShapeRule::Elementwise, {{"x", ArgKind::Tensor, 0}}},
      {"sqrt", K::Sqrt, ShapeRule::Elementwise, {{"x", ArgKind::Tensor, 0}}},
      {"abs", K::Abs, ShapeRule::Elementwise, {{"x", ArgKind::Tensor, 0}}},
      {"leaky_relu",
       K::LeakyRelu,
       ShapeRule::Elementwise,
       {{"x", ArgKind::Tensor, 0}, {"alpha", ArgKind::Number, 0.01}}},
      {"elu",
       K::Elu,
       ShapeRule::Elementwise,
       {{"x", ArgKind::Tensor, 0}, {"alpha", ArgKind::Number, 1.0}}},
      {"softmax",
       K::Softmax,
       ShapeRule::Softmax,
       {{"x", ArgKind::Tensor, 0}, {"axis", ArgKind::Int, -1}}},
      {"log_softmax",
       K::LogSoftmax,
       ShapeRule::Softmax,
       {{"x", ArgKind::Tensor, 0}, {"axis", ArgKind::Int, -1}}},
      {"maxout",
       K::Maxout,
       ShapeRule::Maxout,
       {{"x", ArgKind::Tensor, 0}, {"k", ArgKind::Int, 2}}},
      {"concat",
       K::Concat,
       ShapeRule::Concat,
       {{"x", ArgKind::Tensor, 0}, {"axis", ArgKind::Int, -1}}},
      {"sum",
       K::ReduceSum,
       ShapeRule::Reduce,
       {{"x", ArgKind::Tensor, 0}, {"axis", ArgKind::OptionalInt, 0}}},
      {"mean",
       K::ReduceMean,
       ShapeRule::Reduce,
       {{"x", ArgKind::Tensor, 0}, {"axis", ArgKind::OptionalInt, 0}}},
      {"max",
       K::ReduceMax,
       ShapeRule::Reduce,
       {{"x", ArgKind::Tensor, 0}, {"axis", ArgKind::OptionalInt, 0}}},
      {"transpose",
       K::Transpose,
       ShapeRule::Transpose,
       {{"x", ArgKind::Tensor, 0}}},
  };
  return table;
}

const Builtin *lookupBuiltin(StringRef name) {
  for (const Builtin &builtin : builtins())
    if (name == builtin.name)
      return &builtin;
  return nullptr;
}

std::string formatNumber(double value) {
  std::string out;
  llvm::raw_string_ostream os(out);
  if (value == std::floor(value) && std::fabs(value) < 1e15)
    os << int64_t(value);
  else
    os << value;
  return out;
}

std::string builtinSignature(const Builtin &builtin) {
  std::string out = std::string(builtin.name) + "(";
  for (size_t i = 0; i < builtin.args.size(); ++i) {
    const BuiltinArg &arg = builtin.args[i];
    if (i)
      out += ", ";
    if (i == 0 && builtin.rule == ShapeRule::Concat)
      out += "a, b, ...";
    else
      out += arg.name;
    if (arg.kind == ArgKind::Number || arg.kind == ArgKind::Int)
      out += " = " + formatNumber(arg.defaultValue);
    else if (arg.kind == ArgKind::OptionalInt)
      out += " = none";
  }
  return out + ")";
}

//===----------------------------------------------------------------------===//
// Initializers
//===----------------------------------------------------------------------===//

struct InitializerInfo {
  const char *name;
  tir::InitKind kind;
  std::vector<const char *> args; // all numbers, all required
};

const std::vector<InitializerInfo> &initializers() {
  static const std::vector<InitializerInfo> table = {
      {"zeros", tir::InitKind::Zeros, {}},
      {"ones", tir::InitKind::Constant, {}},
      {"xavier", tir::InitKind::Xavier, {}},
      {"he", tir::InitKind::He, {}},
      {"constant", tir::InitKind::Constant, {"value"}},
      {"uniform", tir::InitKind::Uniform, {"low", "high"}},
      {"normal", tir::InitKind::Normal, {"mean", "std"}},
  };
  return table;
}

constexpr const char *kInitializerList =
    "zeros, ones, a number, constant(v), uniform(low, high), "
    "normal(mean, std), xavier or he";

//===----------------------------------------------------------------------===//
// Train settings
//===----------------------------------------------------------------------===//

const std::vector<std::string> &trainKeys() {
  static const std::vector<std::string> keys = {
      "data",         "loss",       "optimizer", "batch",    "epochs",
      "seed",         "lr",         "metrics",   "split",    "clip_norm",
      "weight_decay", "momentum",   "shuffle",   "bptt",     "eval_every",
      "log_every",    "checkpoint", "patience",  "schedule", "warmup"};
  return keys;
}

//===----------------------------------------------------------------------===//
// Instances and scopes
//===----------------------------------------------------------------------===//

struct DimBinding {
  tir::Dim dim;
  bool sized = true;
  SMLoc loc;          // where it is declared
  std::string source; // `vocab` in `V: vocab`
};

/// A layer (or the model) instantiated with concrete dimensions.
struct Instance {
  const ast::BlockDecl *decl = nullptr;
  std::string name;   // the instance's name ("fc1"); the model's name
  std::string prefix; // qualifies param names: "fc1."
  Instance *parent = nullptr;
  llvm::StringMap<DimBinding> dims;
  std::vector<std::string> dimOrder;
  llvm::StringMap<int> params; // -> Program::params
  llvm::StringMap<const ast::ParamDecl *> paramDecls;
  llvm::StringMap<std::unique_ptr<Instance>> children;
  llvm::StringMap<const ast::InstanceDecl *> childDecls;
  llvm::StringMap<const ast::FuncDecl *> funcs; // fn and entry points

  std::string describe() const {
    std::string kind = decl->isModel() ? "model" : "layer";
    if (decl->isModel() || name.empty())
      return kind + " '" + decl->name + "'";
    return kind + " '" + decl->name + "' (instance '" +
           prefix.substr(0, prefix.size() - 1) + "')";
  }
};

struct Local {
  const tir::Node *node;
  SMLoc loc;
};

/// The names visible in one function body while it is being inlined.
struct Scope {
  Instance *inst;
  const ast::FuncDecl *func;
  llvm::StringMap<Local> locals;
};

class Sema {
public:
  Sema(const ast::Module &module, llvm::SourceMgr &srcMgr,
       const FrontendOptions &options)
      : module(module), srcMgr(srcMgr), options(options) {}

  std::optional<tir::Program> run();

private:
  // Diagnostics.
  /// Reports an error once: a layer called twice would otherwise repeat the
  /// errors of its body (and their notes).
  void error(SMLoc loc, const Twine &message,
             llvm::ArrayRef<SMRange> ranges = {}) {
    failed = true;
    std::string text = message.str();
    suppressNotes = !reported.insert({loc.getPointer(), text}).second;
    if (suppressNotes)
      return;
    srcMgr.PrintMessage(loc, llvm::SourceMgr::DK_Error, text, ranges);
    ++errorCount;
  }
  void note(SMLoc loc, const Twine &message,
            llvm::ArrayRef<SMRange> ranges = {}) {
    if (!suppressNotes)
      srcMgr.PrintMessage(loc, llvm::SourceMgr::DK_Note, message, ranges);
  }
  /// Says where the errors reported since `errorsBefore` were reached from
  /// (an instantiation, a call), like a compiler's template backtrace.
  void contextNote(unsigned errorsBefore, SMLoc loc, const Twine &message,
                   llvm::ArrayRef<SMRange> ranges = {}) {
    if (errorCount > errorsBefore)
      srcMgr.PrintMessage(loc, llvm::SourceMgr::DK_Note, message, ranges);
  }
  void fileError(const Twine &message) {
    llvm::SMDiagnostic diag(module.mainFile().name, llvm::SourceMgr::DK_Error,
                            message.str());
    srcMgr.PrintMessage(llvm::errs(), diag);
    failed = true;
  }
  void duplicate(StringRef what, StringRef name, SMLoc loc, SMLoc previous) {
    error(loc, "duplicate definition of " + what + " '" + name + "'");
    note(previous, "previous definition is here");
  }
  tir::Loc toLoc(SMLoc loc) const;

  // Declarations.
  void collectGlobals();
  void checkBlock(const ast::BlockDecl &block);
  void checkTrain(const ast::TrainDecl &train, bool selected);

  // Instantiation.
  bool bindModelDims(Instance &model);
  bool instantiate(Instance &inst);
  bool instantiateChild(Instance &parent, const ast::InstanceDecl &decl);
  void addParam(Instance &inst, const ast::ParamDecl &decl);
  std::optional<tir::InitSpec> evalInit(const ast::ParamDecl &decl,
                                        Instance &inst, const Shape &shape);

  // Compile-time values.
  enum class IntUse { Dim, Index, Attribute };
  std::optional<tir::Dim> evalInt(const Expr &expr, Instance &inst, IntUse use);
  std::optional<double> evalNumber(const Expr &expr, Instance &inst);
  std::optional<Shape> evalType(const ast::TypeExpr &type, Instance &inst,
                                StringRef what);
  void unsizedDimError(SMLoc loc, SMRange range, StringRef name,
                       const DimBinding &binding);

  // Arguments.
  struct Binding {
    std::vector<std::vector<const Expr *>> values; // per formal
  };
  bool bindArgs(const Expr &call, StringRef callee, StringRef signature,
                llvm::ArrayRef<std::string> formals, unsigned required,
                bool variadic, Binding &binding);

  // Expressions.
  tir::Node *make(tir::NodeKind kind, Shape dims, bool batched, SMLoc loc,
                  std::vector<const tir::Node *> operands = {});
  const tir::Node *constant(double value, SMLoc loc);
  const tir::Node *evalExpr(const Expr &expr, Scope &scope);
  const tir::Node *evalIdent(const Expr &expr, Scope &scope);
  const tir::Node *evalBinary(const Expr &expr, Scope &scope);
  const tir::Node *evalIndex(const Expr &expr, Scope &scope);
  const tir::Node *evalCall(const Expr &expr, Scope &scope);
  const tir::Node *evalBuiltin(const Builtin &builtin, const Expr &call,
                               Scope &scope);
  const tir::Node *callFunc(const ast::FuncDecl &func, Instance &inst,
                            const Expr &call, Scope &callerScope);
  const tir::Node *inlineBody(const ast::FuncDecl &func, Scope &scope);
  std::optional<int64_t> normalizeAxis(std::optional<tir::Dim> axis,
                                       size_t rank, const Expr *axisExpr,
                                       const Expr &call, StringRef callee);
  std::vector<std::string> visibleNames(Scope &scope, bool callable);
  /// A member whose definition failed (and was reported): uses of it stay
  /// silent instead of adding "unknown name" errors.
  static bool isFailedMember(const Instance &inst, StringRef name) {
    return llvm::any_of(inst.decl->members, [&](const auto &member) {
      return member->name == name;
    });
  }

  // Entry points.
  void elaborateEntry(const ast::FuncDecl &func, Instance &model);

  const ast::Module &module;
  llvm::SourceMgr &srcMgr;
  const FrontendOptions &options;
  bool failed = false;
  bool tooLarge = false;
  unsigned errorCount = 0;
  bool suppressNotes = false;
  std::set<std::pair<const char *, std::string>> reported;

  llvm::StringMap<const ast::BlockDecl *> blocks; // layers and models
  std::vector<const ast::TrainDecl *> trains;
  tir::Program program;
  size_t nodeCount = 0;
  std::vector<const ast::BlockDecl *> instantiating; // recursion check
  std::vector<const ast::FuncDecl *> calling;        // recursion check
  std::map<int, const tir::Node *> paramNodes;       // per entry point
  llvm::DenseMap<const tir::Node *, unsigned> nodeDepth;
};

} // namespace

tir::Loc Sema::toLoc(SMLoc loc) const {
  tir::Loc out;
  if (!loc.isValid())
    return out;
  unsigned id = srcMgr.FindBufferContainingLoc(loc);
  if (!id)
    return out;
  out.file = srcMgr.getMemoryBuffer(id)->getBufferIdentifier().str();
  auto [line, col] = srcMgr.getLineAndColumn(loc, id);
  out.line = line;
  out.col = col;
  return out;
}

//===----------------------------------------------------------------------===//
// Declarations
//===----------------------------------------------------------------------===//

void Sema::collectGlobals() {
  // Used files first, so that a clash with the library is reported at the
  // user's definition.
  for (const auto &file : llvm::reverse(module.files)) {
    for (const auto &decl : file->decls) {
      if (const auto *block = llvm::dyn_cast<ast::BlockDecl>(decl.get())) {
        auto [it, inserted] = blocks.try_emplace(block->name, block);
        if (!inserted) {
          const ast::BlockDecl *previous = it->second;
          duplicate(block->isModel() ? "model" : "layer", block->name,
                    block->loc, previous->loc);
          continue;
        }
        checkBlock(*block);
      } else if (const auto *train =
                     llvm::dyn_cast<ast::TrainDecl>(decl.get())) {
        trains.push_back(train);
      }
    }
  }
}

/// Checks what does not depend on dimensions: duplicate names and entry
/// points. The rest is checked when the block is instantiated.
void Sema::checkBlock(const ast::BlockDecl &block) {
  llvm::StringMap<SMLoc> names;
  for (const ast::DimDecl &dim : block.dims) {
    auto [it, inserted] = names.try_emplace(dim.name, dim.loc);
    if (!inserted)
      duplicate("dimension", dim.name, dim.loc, it->second);
  }
  bool hasForward = false;
  for (const auto &member : block.members) {
    auto [it, inserted] = names.try_emplace(member->name, member->loc);
    if (!inserted) {
      StringRef what = llvm::isa<ast::ParamDecl>(member.get()) ? "parameter"
                       : llvm::isa<ast::InstanceDecl>(member.get())
                           ? "instance"
                           : "function";
      duplicate(what, member->name, member->loc, it->second);
    }
    const auto *func = llvm::dyn_cast<ast::FuncDecl>(member.get());
    if (!func || !func->isEntry)
      continue;
    if (func->name == "forward")
      hasForward = true;
    else if (!block.isModel())
      error(func->loc, "a layer has one entry point, 'forward'; use 'fn " +
                           func->name + "(...)' for a helper function");
  }
  if (!hasForward)
    error(block.loc, Twine(block.isModel() ? "model" : "layer") + " '" +
                         block.name +
                         "' has no 'forward': expected an entry point like "
                         "'forward(x: [I]) -> [O] = ...'");
}

void Sema::checkTrain(const ast::TrainDecl &train, bool selected) {
  auto it = blocks.find(train.name);
  if (it == blocks.end() || !it->second->isModel()) {
    std::vector<std::string> models;
    for (const auto &entry : blocks)
      if (entry.second->isModel())
        models.push_back(entry.first().str());
    llvm::sort(models);
    if (it != blocks.end())
      error(train.loc,
            "'" + train.name + "' is a layer; 'train' expects a model");
    else
      error(train.loc, "unknown model '" + train.name + "' in train block" +
                           suggest(train.name, models));
    return;
  }

  llvm::StringMap<SMLoc> seen;
  const std::vector<std::string> &keys = trainKeys();
  for (const ast::TrainSetting &setting : train.settings) {
    if (!llvm::is_contained(keys, setting.key)) {
      error(setting.keyLoc, "unknown train setting '" + setting.key +
                                "': expected one of " + joinNames(keys) +
                                suggest(setting.key, keys));
      continue;
    }
    auto [seenIt, inserted] = seen.try_emplace(setting.key, setting.keyLoc);
    if (!inserted) {
      duplicate("train setting", setting.key, setting.keyLoc, seenIt->second);
      continue;
    }
    const Expr &value = *setting.value;
    bool isInt = value.kind == Expr::Kind::Number && value.isInteger;
    bool isNumber = value.kind == Expr::Kind::Number;
    if (setting.key == "batch" || setting.key == "epochs" ||
        setting.key == "bptt") {
      if (!isInt || value.integer <= 0)
        error(value.loc(),
              "'" + setting.key + "' must be a positive integer, got '" +
                  setting.text + "'",
              value.range);
    } else if (setting.key == "seed") {
      if (!isInt)
        error(value.loc(),
              "'seed' must be a non-negative integer, got '" + setting.text +
                  "'",
              value.range);
    } else if (setting.key == "lr") {
      if (!isNumber || value.number <= 0)
        error(value.loc(),
              "'lr' must be a positive number, got '" + setting.text + "'",
              value.range);
    } else if (setting.key == "split") {
      if (!isNumber || value.number <= 0 || value.number >= 1)
        error(value.loc(),
              "'split' must be a number between 0 and 1 (the training "
              "fraction), got '" +
                  setting.text + "'",
              value.range);
    }
    if (selected) {
      tir::Setting out;
      out.key = setting.key;
      out.text = setting.text.str();
      out.loc = toLoc(setting.keyLoc);
      program.trainSettings.push_back(std::move(out));
    }
  }
}

//===----------------------------------------------------------------------===//
// Compile-time values
//===----------------------------------------------------------------------===//

void Sema::unsizedDimError(SMLoc loc, SMRange range, StringRef name,
                           const DimBinding &binding) {
  if (!binding.source.empty())
    error(loc,
          "dimension '" + name + "' has no size: it comes from the data ('" +
              binding.source + "'), which is not loaded here; pass --dim " +
              name + "=<size>",
          range);
  else
    error(loc,
          "dimension '" + name + "' has no size: give it a default like '" +
              name + " = 16' or pass --dim " + name + "=<size>",
          range);
  note(binding.loc, "'" + name + "' is declared here");
}

std::optional<tir::Dim> Sema::evalInt(const Expr &expr, Instance &inst,
                                      IntUse use) {
  switch (expr.kind) {
  case Expr::Kind::Number:
    if (!expr.isInteger) {
      error(expr.loc(), "expected an integer, got a fractional number",
            expr.range);
      return std::nullopt;
    }
    return tir::Dim{"", expr.integer};
  case Expr::Kind::Ident: {
    auto it = inst.dims.find(expr.text);
    if (it != inst.dims.end()) {
      if (!it->second.sized) {
        unsizedDimError(expr.loc(), expr.range, expr.text, it->second);
        return std::nullopt;
      }
      return it->second.dim;
    }
    if (use == IntUse::Index) {
      error(expr.loc(),
            "index '" + expr.text +
                "' is not a dimension or an integer: indices must "
                "be known at compile time (time indexing like "
                "'x[t]' is not supported yet)",
            expr.range);
      return std::nullopt;
    }
    std::vector<std::string> names(inst.dimOrder);
    std::string known = names.empty()
                            ? inst.describe() + " has no dimensions"
                            : inst.describe() + " has " + joinNames(names);
    error(expr.loc(),
          "undefined dimension '" + expr.text + "'" +
              suggest(expr.text, names) + " (" + known + ")",
          expr.range);
    return std::nullopt;
  }
  case Expr::Kind::Neg: {
    std::optional<tir::Dim> value = evalInt(*expr.lhs, inst, use);
    if (!value)
      return std::nullopt;
    if (value->size == std::numeric_limits<int64_t>::min()) {
      error(expr.loc(), "integer overflow", expr.range);
      return std::nullopt;
    }
    return tir::Dim{"", -value->size};
  }
  case Expr::Kind::Binary: {
    if (expr.op == ast::BinaryOp::MatMul)
      break;
    std::optional<tir::Dim> lhs = evalInt(*expr.lhs, inst, use);
    std::optional<tir::Dim> rhs = evalInt(*expr.rhs, inst, use);
    if (!lhs || !rhs)
      return std::nullopt;
    int64_t result = 0;
    bool overflow = false;
    switch (expr.op) {
    case ast::BinaryOp::Add:
      overflow = llvm::AddOverflow(lhs->size, rhs->size, result);
      break;
    case ast::BinaryOp::Sub:
      overflow = llvm::SubOverflow(lhs->size, rhs->size, result);
      break;
    case ast::BinaryOp::Mul:
      overflow = llvm::MulOverflow(lhs->size, rhs->size, result);
      break;
    case ast::BinaryOp::Div:
      if (rhs->size == 0 || lhs->size % rhs->size != 0) {
        error(expr.opLoc,
              "integer division " + Twine(lhs->size) + " / " +
                  Twine(rhs->size) + " is not exact",
              expr.range);
        return std::nullopt;
      }
      result = lhs->size / rhs->size;
      break;
    case ast::BinaryOp::MatMul:
      break;
    }
    if (overflow) {
      error(expr.loc(), "integer overflow", expr.range);
      return std::nullopt;
    }
    return tir::Dim{"", result};
  }
  default:
    break;
  }
  error(expr.loc(),
        use == IntUse::Dim
            ? "expected a dimension: a dimension name, an integer, or + - * / "
              "of them"
            : "expected a compile-time integer: an integer, a dimension name, "
              "or + - * / of them",
        expr.range);
  return std::nullopt;
}

std::optional<double> Sema::evalNumber(const Expr &expr, Instance &inst) {
  switch (expr.kind) {
  case Expr::Kind::Number:
    return expr.number;
  case Expr::Kind::Ident: {
    auto it = inst.dims.find(expr.text);
    if (it != inst.dims.end() && it->second.sized)
      return double(it->second.dim.size);
    if (it != inst.dims.end()) {
      unsizedDimError(expr.loc(), expr.range, expr.text, it->second);
      return std::nullopt;
    }
    break;
  }
  case Expr::Kind::Neg:
    if (std::optional<double> value = evalNumber(*expr.lhs, inst))
      return -*value;
    return std::nullopt;
  case Expr::Kind::Binary: {
    if (expr.op == ast::BinaryOp::MatMul)
      break;
    std::optional<double> lhs = evalNumber(*expr.lhs, inst);
    std::optional<double> rhs = evalNumber(*expr.rhs, inst);
    if (!lhs || !rhs)
      return std::nullopt;
    switch (expr.op) {
    case ast::BinaryOp::Add:
      return *lhs + *rhs;
    case ast::BinaryOp::Sub:
      return *lhs - *rhs;
    case ast::BinaryOp::Mul:
      return *lhs * *rhs;
    case ast::BinaryOp::Div:
      return *lhs / *rhs;
    case ast::BinaryOp::MatMul:
      break;
    }
    break;
  }
  default:
    break;
  }
  error(expr.loc(), "expected a number known at compile time", expr.range);
  return std::nullopt;
}

std::optional<Shape> Sema::evalType(const ast::TypeExpr &type, Instance &inst,
                                    StringRef what) {
  if (type.kind != ast::TypeExpr::Kind::Shape) {
    error(type.range.Start,
          "sequence types are not supported yet: " + what +
              " must have a shape like '[H]'",
          type.range);
    return std::nullopt;
  }
  Shape shape;
  bool ok = true;
  for (const auto &dimExpr : type.dims) {
    std::optional<tir::Dim> dim = evalInt(*dimExpr, inst, IntUse::Dim);
    if (!dim) {
      ok = false;
      continue;
    }
    if (dim->size <= 0) {
      error(dimExpr->loc(),
            "a dimension must be positive, got " + Twine(dim->size),
            dimExpr->range);
      ok = false;
      continue;
    }
    shape.push_back(*dim);
  }
  if (!ok)
    return std::nullopt;
  return shape;
}

//===----------------------------------------------------------------------===//
// Instantiation
//===----------------------------------------------------------------------===//

bool Sema::bindModelDims(Instance &model) {
  const ast::BlockDecl &decl = *model.decl;
  llvm::StringMap<int64_t> overrides;
  for (const auto &[name, size] : options.dimOverrides) {
    bool declared = llvm::any_of(
        decl.dims, [&](const ast::DimDecl &dim) { return dim.name == name; });
    if (!declared) {
      std::vector<std::string> names;
      for (const ast::DimDecl &dim : decl.dims)
        names.push_back(dim.name);
      error(decl.loc,
            "--dim " + name + "=" + Twine(size) + ": model '" + decl.name +
                "' has no dimension '" + name + "'" + suggest(name, names) +
                (names.empty() ? "" : " (it has " + joinNames(names) + ")"));
      continue;
    }
    if (size <= 0) {
      error(decl.loc, "--dim " + name + "=" + Twine(size) +
                          ": a dimension must be positive");
      continue;
    }
    overrides[name] = size;
  }

  for (const ast::DimDecl &dimDecl : decl.dims) {
    if (model.dims.count(dimDecl.name))
      continue; // duplicate, already reported
    DimBinding binding;
    binding.loc = dimDecl.loc;
    binding.source = dimDecl.source;
    binding.dim.name = dimDecl.name;
    auto overridden = overrides.find(dimDecl.name);
    if (overridden != overrides.end()) {
      binding.dim.size = overridden->second;
    } else if (dimDecl.defaultSize) {
      std::optional<tir::Dim> size =
          evalInt(*dimDecl.defaultSize, model, IntUse::Dim);
      if (!size)
        return false;
      if (size->size <= 0) {
        error(dimDecl.defaultSize->loc(),
              "dimension '" + dimDecl.name + "' must be positive, got " +
                  Twine(size->size),
              dimDecl.defaultSize->range);
        return false;
      }
      binding.dim.size = size->size;
    } else {
      binding.sized = false;
    }
    model.dims[dimDecl.name] = binding;
    model.dimOrder.push_back(dimDecl.name);
  }
  return !failed;
}

bool Sema::instantiate(Instance &inst) {
  const ast::BlockDecl &decl = *inst.decl;
  if (instantiating.size() >= kMaxLayerDepth) {
    error(decl.loc, "layers are nested too deeply (more than " +
                        Twine(kMaxLayerDepth) + " levels)");
    return false;
  }
  instantiating.push_back(&decl);
  auto pop = llvm::make_scope_exit([&] { instantiating.pop_back(); });

  for (const auto &member : decl.members) {
    if (inst.dims.count(member->name) || inst.params.count(member->name) ||
        inst.children.count(member->name) || inst.funcs.count(member->name))
      continue; // a duplicate, already reported
    if (const auto *param = llvm::dyn_cast<ast::ParamDecl>(member.get()))
      addParam(inst, *param);
    else if (const auto *child =
                 llvm::dyn_cast<ast::InstanceDecl>(member.get()))
      instantiateChild(inst, *child);
    else if (const auto *func = llvm::dyn_cast<ast::FuncDecl>(member.get()))
      inst.funcs[func->name] = func;
  }
  return !failed;
}

void Sema::addParam(Instance &inst, const ast::ParamDecl &decl) {
  std::optional<Shape> shape =
      evalType(decl.type, inst, "parameter '" + decl.name + "'");
  if (!shape)
    return;
  std::optional<tir::InitSpec> init = evalInit(decl, inst, *shape);
  if (!init)
    return;
  tir::Param param;
  param.name = inst.prefix + decl.name;
  param.shape = *shape;
  param.init = *init;
  param.loc = toLoc(decl.loc);
  inst.params[decl.name] = program.params.size();
  inst.paramDecls[decl.name] = &decl;
  program.params.push_back(std::move(param));
}

std::optional<tir::InitSpec>
Sema::evalInit(const ast::ParamDecl &decl, Instance &inst, const Shape &shape) {
  tir::InitSpec spec;
  if (!decl.init) {
    spec.kind =
        shape.size() >= 2 ? tir::InitKind::Xavier : tir::InitKind::Zeros;
    return spec;
  }
  const Expr &init = *decl.init;
  // A plain number (or an expression of numbers) is a constant.
  if (init.kind == Expr::Kind::Number || init.kind == Expr::Kind::Neg ||
      init.kind == Expr::Kind::Binary) {
    std::optional<double> value = evalNumber(init, inst);
    if (!value)
      return std::nullopt;
    spec.kind = tir::InitKind::Constant;
    spec.a = *value;
    return spec;
  }

  StringRef name;
  if (init.kind == Expr::Kind::Ident)
    name = init.text;
  else
    name = init.calleeName();
  const InitializerInfo *info = nullptr;
  for (const InitializerInfo &candidate : initializers())
    if (name == candidate.name)
      info = &candidate;
  if (!info) {
    std::vector<std::string> names;
    for (const InitializerInfo &candidate : initializers())
      names.push_back(candidate.name);
    if (name.empty())
      error(init.loc(), Twine("expected an initializer: ") + kInitializerList,
            init.range);
    else
      error(init.loc(),
            "unknown initializer '" + name + "': expected " + kInitializerList +
                suggest(name, names),
            init.range);
    return std::nullopt;
  }
  spec.kind = info->kind;
  if (StringRef(info->name) == "ones")
    spec.a = 1.0;

  if (init.kind == Expr::Kind::Ident) {
    if (!info->args.empty()) {
      error(init.loc(),
            "initializer '" + name + "' needs arguments: '" + name + "(" +
                joinNames(std::vector<std::string>(info->args.begin(),
                                                   info->args.end())) +
                ")'",
            init.range);
      return std::nullopt;
    }
    return spec;
  }

  std::vector<std::string> formals(info->args.begin(), info->args.end());
  std::string signature =
      std::string(info->name) + "(" + joinNames(formals) + ")";
  Binding binding;
  if (!bindArgs(init, name, signature, formals, formals.size(),
                /*variadic=*/false, binding))
    return std::nullopt;
  std::vector<double> values;
  for (auto &exprs : binding.values) {
    std::optional<double> value = evalNumber(*exprs.front(), inst);
    if (!value)
      return std::nullopt;
    values.push_back(*value);
  }
  if (values.size() > 0)
    spec.a = values[0];
  if (values.size() > 1)
    spec.b = values[1];
  if (spec.kind == tir::InitKind::Uniform && spec.a > spec.b) {
    error(init.loc(),
          "uniform(low, high) needs low <= high, got " + formatNumber(spec.a) +
              " > " + formatNumber(spec.b),
          init.range);
    return std::nullopt;
  }
  if (spec.kind == tir::InitKind::Normal && spec.b < 0) {
    error(init.loc(),
          "normal(mean, std) needs std >= 0, got " + formatNumber(spec.b),
          init.range);
    return std::nullopt;
  }
  return spec;
}

bool Sema::instantiateChild(Instance &parent, const ast::InstanceDecl &decl) {
  const Expr &call = *decl.call;
  StringRef layerName = call.calleeName();
  const Expr &callee = *call.lhs;
  auto it = blocks.find(layerName);
  if (it == blocks.end()) {
    std::vector<std::string> layers;
    for (const auto &entry : blocks)
      if (!entry.second->isModel())
        layers.push_back(entry.first().str());
    llvm::sort(layers);
    std::string hint = lookupBuiltin(layerName)
                           ? " ('" + layerName.str() +
                                 "' is a builtin function: call it in a "
                                 "forward or fn body)"
                           : suggest(layerName, layers);
    error(callee.loc(), "unknown layer '" + layerName + "'" + hint,
          callee.range);
    return false;
  }
  const ast::BlockDecl &layer = *it->second;
  if (layer.isModel()) {
    error(callee.loc(),
          "'" + layerName + "' is a model; only layers can be instantiated",
          callee.range);
    note(layer.loc, "'" + layerName + "' is defined here");
    return false;
  }
  if (llvm::is_contained(instantiating, &layer)) {
    error(callee.loc(),
          "recursive layer: '" + layerName + "' contains an instance of itself",
          call.range);
    note(layer.loc, "'" + layerName + "' is defined here");
    return false;
  }

  // Bind the layer's dimensions: positionally, by name, or from defaults.
  std::vector<std::string> formals;
  unsigned required = 0;
  std::string signature = layer.name + "(";
  for (const ast::DimDecl &dim : layer.dims) {
    if (!dim.defaultSize)
      required = formals.size() + 1;
    signature += (formals.empty() ? "" : ", ") + dim.name;
    formals.push_back(dim.name);
  }
  signature += ")";
  Binding binding;
  if (!bindArgs(call, layerName, signature, formals, required,
                /*variadic=*/false, binding))
    return false;

  auto child = std::make_unique<Instance>();
  child->decl = &layer;
  child->name = decl.name;
  child->prefix = parent.prefix + decl.name + ".";
  child->parent = &parent;
  for (size_t i = 0; i < layer.dims.size(); ++i) {
    const ast::DimDecl &dimDecl = layer.dims[i];
    if (child->dims.count(dimDecl.name))
      continue; // duplicate, already reported
    DimBinding dimBinding;
    dimBinding.loc = dimDecl.loc;
    std::optional<tir::Dim> value;
    const Expr *sizeExpr = nullptr;
    if (!binding.values[i].empty()) {
      sizeExpr = binding.values[i].front();
      value = evalInt(*sizeExpr, parent, IntUse::Dim); // caller's scope
    } else if (dimDecl.defaultSize) {
      sizeExpr = dimDecl.defaultSize.get();
      value = evalInt(*sizeExpr, *child, IntUse::Dim); // earlier dims
    }
    if (!value)
      return false;
    if (value->size <= 0) {
      error(sizeExpr->loc(),
            "dimension '" + dimDecl.name + "' of layer '" + layer.name +
                "' must be positive, got " + Twine(value->size),
            sizeExpr->range);
      return false;
    }
    // A dimension passed by name keeps the caller's name ("H"), so shapes in
    // messages and in the typed IR speak of the model's dimensions; one given
    // as a literal or an expression stays unnamed.
    dimBinding.dim = *value;
    child->dims[dimDecl.name] = dimBinding;
    child->dimOrder.push_back(dimDecl.name);
  }

  Instance &childRef = *child;
  parent.children[decl.name] = std::move(child);
  parent.childDecls[decl.name] = &decl;
  unsigned errorsBefore = errorCount;
  bool ok = instantiate(childRef);
  std::string dims;
  for (const std::string &name : childRef.dimOrder)
    dims += (dims.empty() ? "" : ", ") + name + "=" +
            std::to_string(childRef.dims[name].dim.size);
  contextNote(errorsBefore, call.loc(),
              "in layer '" + layer.name + "' with " + dims +
                  ", instantiated here",
              call.range);
  return ok;
}

//===----------------------------------------------------------------------===//
// Arguments
//===----------------------------------------------------------------------===//

bool Sema::bindArgs(const Expr &call, StringRef callee, StringRef signature,
                    llvm::ArrayRef<std::string> formals, unsigned required,
                    bool variadic, Binding &binding) {
  binding.values.assign(formals.size(), {});
  std::vector<SMLoc> givenAt(formals.size());
  size_t positional = 0;
  size_t totalPositional = llvm::count_if(
      call.args, [](const ast::Arg &arg) { return arg.keyword.empty(); });
  for (const ast::Arg &arg : call.args) {
    const Expr &value = *arg.value;
    size_t index;
    if (arg.keyword.empty()) {
      if (variadic) {
        binding.values[0].push_back(&value);
        givenAt[0] = value.loc();
        continue;
      }
      if (positional >= formals.size()) {
        std::string expected = required == formals.size()
                                   ? std::to_string(formals.size())
                                   : std::to_string(required) + " to " +
                                         std::to_string(formals.size());
        error(value.loc(),
              "wrong number of arguments to '" + signature + "': expected " +
                  expected + ", got " + Twine(totalPositional),
              value.range);
        return false;
      }
      index = positional++;
    } else {
      auto found = llvm::find(formals, arg.keyword);
      if (found == formals.end() || (variadic && found == formals.begin())) {
        std::vector<std::string> keywords(formals.begin() + (variadic ? 1 : 0),
                                          formals.end());
        error(arg.keywordLoc, "unknown keyword argument '" + arg.keyword +
                                  "' for '" + signature + "'" +
                                  suggest(arg.keyword, keywords));
        return false;
      }
      index = found - formals.begin();
    }
    if (!binding.values[index].empty()) {
      error(arg.keyword.empty() ? value.loc() : arg.keywordLoc,
            "argument '" + formals[index] + "' of '" + callee +
                "' is given twice",
            value.range);
      note(givenAt[index], "first given here");
      return false;
    }
    binding.values[index].push_back(&value);
    givenAt[index] = arg.keyword.empty() ? value.loc() : arg.keywordLoc;
  }
  if (variadic && binding.values[0].empty()) {
    error(call.loc(), "'" + signature + "' needs at least one value",
          call.range);
    return false;
  }
  for (unsigned i = variadic ? 1 : 0; i < required; ++i) {
    if (binding.values[i].empty()) {
      std::string expected = required == formals.size()
                                 ? std::to_string(formals.size())
                                 : std::to_string(required) + " to " +
                                       std::to_string(formals.size());
      error(call.loc(),
            "wrong number of arguments to '" + signature + "': expected " +
                expected + ", got " + Twine(totalPositional) + " ('" +
                formals[i] + "' is missing)",
            call.range);
      return false;
    }
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

tir::Node *Sema::make(tir::NodeKind kind, Shape dims, bool batched, SMLoc loc,
                      std::vector<const tir::Node *> operands) {
  if (++nodeCount > kMaxNodes) {
    if (!tooLarge)
      error(loc, "the model is too large after inlining (more than " +
                     Twine(kMaxNodes) + " operations)");
    tooLarge = true;
    return nullptr;
  }
  unsigned depth = 0;
  for (const tir::Node *operand : operands)
    depth = std::max(depth, nodeDepth.lookup(operand));
  if (++depth > kMaxNodeDepth) {
    if (!tooLarge)
      error(loc, "the computation is too deep after inlining (more than " +
                     Twine(kMaxNodeDepth) + " operations in a chain)");
    tooLarge = true;
    return nullptr;
  }
  tir::Node *node = program.newNode(kind);
  nodeDepth[node] = depth;
  node->type.dims = std::move(dims);
  node->type.batched = batched;
  node->loc = toLoc(loc);
  node->operands = std::move(operands);
  return node;
}

const tir::Node *Sema::constant(double value, SMLoc loc) {
  tir::Node *node = make(tir::NodeKind::Constant, {}, false, loc);
  if (node)
    node->number = value;
  return node;
}

std::vector<std::string> Sema::visibleNames(Scope &scope, bool callable) {
  std::vector<std::string> names;
  Instance &inst = *scope.inst;
  if (!callable) {
    for (const auto &local : scope.locals)
      names.push_back(local.first().str());
    for (const auto &param : inst.params)
      names.push_back(param.first().str());
    for (const std::string &dim : inst.dimOrder)
      names.push_back(dim);
  } else {
    for (const auto &child : inst.children)
      names.push_back(child.first().str());
    for (const auto &func : inst.funcs)
      names.push_back(func.first().str());
    for (const Builtin &builtin : builtins())
      names.push_back(builtin.name);
  }
  llvm::sort(names);
  return names;
}

const tir::Node *Sema::evalExpr(const Expr &expr, Scope &scope) {
  if (tooLarge)
    return nullptr;
  switch (expr.kind) {
  case Expr::Kind::Number:
    return constant(expr.number, expr.loc());
  case Expr::Kind::String:
    error(expr.loc(),
          "a string is not a value here: strings are only used "
          "in train settings",
          expr.range);
    return nullptr;
  case Expr::Kind::List:
    error(expr.loc(),
          "a list is not a value here: lists are only used in "
          "train settings",
          expr.range);
    return nullptr;
  case Expr::Kind::Ident:
    return evalIdent(expr, scope);
  case Expr::Kind::Neg: {
    const tir::Node *operand = evalExpr(*expr.lhs, scope);
    if (!operand)
      return nullptr;
    if (operand->kind == tir::NodeKind::Constant)
      return constant(-operand->number, expr.loc());
    return make(tir::NodeKind::Neg, operand->type.dims, operand->type.batched,
                expr.loc(), {operand});
  }
  case Expr::Kind::Binary:
    return evalBinary(expr, scope);
  case Expr::Kind::Index:
    return evalIndex(expr, scope);
  case Expr::Kind::Call:
    return evalCall(expr, scope);
  }
  return nullptr;
}

const tir::Node *Sema::evalIdent(const Expr &expr, Scope &scope) {
  StringRef name = expr.text;
  Instance &inst = *scope.inst;
  auto local = scope.locals.find(name);
  if (local != scope.locals.end())
    return local->second.node;

  auto param = inst.params.find(name);
  if (param != inst.params.end()) {
    const tir::Node *&cached = paramNodes[param->second];
    if (!cached) {
      const tir::Param &p = program.params[param->second];
      tir::Node *node = make(tir::NodeKind::Param, p.shape, false, expr.loc());
      if (!node)
        return nullptr;
      node->paramIndex = param->second;
      cached = node;
    }
    return cached;
  }

  auto dim = inst.dims.find(name);
  if (dim != inst.dims.end()) {
    if (!dim->second.sized) {
      unsizedDimError(expr.loc(), expr.range, name, dim->second);
      return nullptr;
    }
    return constant(double(dim->second.dim.size), expr.loc());
  }

  if (inst.children.count(name)) {
    error(expr.loc(),
          "'" + name +
              "' is a layer instance, not a value: call "
              "it, like '" +
              name + "(x)'",
          expr.range);
    return nullptr;
  }
  if (inst.funcs.count(name) || lookupBuiltin(name)) {
    error(expr.loc(),
          "'" + name +
              "' is a function, not a value: call it, "
              "like '" +
              name + "(x)'",
          expr.range);
    return nullptr;
  }
  if (isFailedMember(inst, name))
    return nullptr;

  error(expr.loc(),
        "unknown name '" + name + "'" +
            suggest(name, visibleNames(scope, false)),
        expr.range);
  return nullptr;
}

const tir::Node *Sema::evalBinary(const Expr &expr, Scope &scope) {
  const tir::Node *lhs = evalExpr(*expr.lhs, scope);
  const tir::Node *rhs = evalExpr(*expr.rhs, scope);
  if (!lhs || !rhs)
    return nullptr;
  bool batched = lhs->type.batched || rhs->type.batched;
  const Shape &a = lhs->type.dims;
  const Shape &b = rhs->type.dims;

  if (expr.op == ast::BinaryOp::MatMul) {
    if (a.empty() || b.empty() || a.size() > 2 || b.size() > 2) {
      error(
          expr.opLoc,
          "'@' needs 1-D or 2-D operands, got " + formatShape(a) + " @ " +
              formatShape(b) +
              (a.empty() || b.empty() ? " (use '*' to scale by a scalar)" : ""),
          {expr.lhs->range, expr.rhs->range});
      return nullptr;
    }
    const tir::Dim &innerA = a.back();
    const tir::Dim &innerB = b.size() == 2 ? b[0] : b[0];
    if (innerA.size != innerB.size) {
      error(expr.opLoc,
            "shape mismatch in '@': " + formatShape(a) + " @ " +
                formatShape(b) + ": the inner dimensions " + formatDim(innerA) +
                " and " + formatDim(innerB) + " differ",
            {expr.lhs->range, expr.rhs->range});
      return nullptr;
    }
    Shape result;
    if (a.size() == 2)
      result.push_back(a[0]);
    if (b.size() == 2)
      result.push_back(b[1]);
    return make(tir::NodeKind::MatMul, result, batched, expr.opLoc, {lhs, rhs});
  }

  std::optional<Shape> result = broadcast(a, b);
  if (!result) {
    error(expr.opLoc,
          "shape mismatch in '" + ast::spell(expr.op) + "': " + formatShape(a) +
              " and " + formatShape(b) + " cannot be broadcast together",
          {expr.lhs->range, expr.rhs->range});
    return nullptr;
  }
  if (lhs->kind == tir::NodeKind::Constant &&
      rhs->kind == tir::NodeKind::Constant) {
    double x = lhs->number, y = rhs->number;
    switch (expr.op) {
    case ast::BinaryOp::Add:
      return constant(x + y, expr.loc());
    case ast::BinaryOp::Sub:
      return constant(x - y, expr.loc());
    case ast::BinaryOp::Mul:
      return constant(x * y, expr.loc());
    case ast::BinaryOp::Div:
      return constant(x / y, expr.loc());
    case ast::BinaryOp::MatMul:
      break;
    }
  }
  tir::NodeKind kind = expr.op == ast::BinaryOp::Add   ? tir::NodeKind::Add
                       : expr.op == ast::BinaryOp::Sub ? tir::NodeKind::Sub
                       : expr.op == ast::BinaryOp::Mul ? tir::NodeKind::Mul
                                                       : tir::NodeKind::Div;
  return make(kind, *result, batched, expr.opLoc, {lhs, rhs});
}

const tir::Node *Sema::evalIndex(const Expr &expr, Scope &scope) {
  const tir::Node *value = evalExpr(*expr.lhs, scope);
  if (!value)
    return nullptr;
  const Shape &shape = value->type.dims;
  if (expr.indices.size() > shape.size()) {
    error(expr.indices[shape.size()].range.Start,
          "too many indices: " + Twine(expr.indices.size()) +
              " for a value of shape " + formatShape(shape),
          expr.range);
    return nullptr;
  }

  // Resolve every index first, then apply from the last axis to the first
  // so that dropping an axis does not renumber the ones still to do.
  struct Step {
    bool isSlice;
    int64_t start, size;
  };
  std::vector<Step> steps;
  for (size_t axis = 0; axis < expr.indices.size(); ++axis) {
    const ast::IndexItem &item = expr.indices[axis];
    int64_t extent = shape[axis].size;
    auto eval = [&](const Expr *bound,
                    int64_t fallback) -> std::optional<int64_t> {
      if (!bound)
        return fallback;
      std::optional<tir::Dim> v = evalInt(*bound, *scope.inst, IntUse::Index);
      if (!v)
        return std::nullopt;
      return v->size < 0 ? v->size + extent : v->size;
    };
    std::optional<int64_t> start = eval(item.start.get(), 0);
    if (!start)
      return nullptr;
    if (!item.isSlice) {
      if (*start < 0 || *start >= extent) {
        int64_t written = *start < 0 ? *start - extent : *start;
        error(item.range.Start,
              "index " + Twine(written) + " is out of range for axis " +
                  Twine(axis) + " of size " + Twine(extent) + " (" +
                  formatShape(shape) + ")",
              item.range);
        return nullptr;
      }
      steps.push_back({false, *start, 1});
      continue;
    }
    std::optional<int64_t> stop = eval(item.stop.get(), extent);
    if (!stop)
      return nullptr;
    if (*start < 0 || *stop > extent || *start >= *stop) {
      error(item.range.Start,
            "slice out of range: " + Twine(*start) + ":" + Twine(*stop) +
                " of axis " + Twine(axis) + " of size " + Twine(extent) + " (" +
                formatShape(shape) +
                "); expected 0 <= start < stop "
                "<= " +
                Twine(extent),
            item.range);
      return nullptr;
    }
    steps.push_back({true, *start, *stop - *start});
  }

  const tir::Node *result = value;
  for (size_t i = steps.size(); i-- > 0;) {
    const Step &step = steps[i];
    Shape dims = result->type.dims;
    if (step.isSlice) {
      if (step.start == 0 && step.size == dims[i].size)
        continue; // `:` keeps the whole axis
      dims[i] = tir::Dim{"", step.size};
    } else {
      dims.erase(dims.begin() + i);
    }
    tir::Node *node =
        make(step.isSlice ? tir::NodeKind::Slice : tir::NodeKind::Index, dims,
             result->type.batched, expr.indices[i].range.Start, {result});
    if (!node)
      return nullptr;
    node->axis = i;
    node->start = step.start;
    node->size = step.size;
    result = node;
  }
  return result;
}

const tir::Node *Sema::evalCall(const Expr &expr, Scope &scope) {
  const Expr &callee = *expr.lhs;
  if (callee.kind != Expr::Kind::Ident) {
    auto layer = blocks.find(callee.calleeName());
    if (layer != blocks.end() && !layer->second->isModel()) {
      error(callee.loc(),
            "layer '" + callee.calleeName() +
                "' cannot be instantiated inside an "
                "expression: declare an instance in the body, "
                "like 'fc = " +
                callee.calleeName() + "(...)', and call 'fc(x)'",
            callee.range);
      return nullptr;
    }
    error(callee.loc(), "expected a function name before '('", callee.range);
    return nullptr;
  }
  StringRef name = callee.text;
  Instance &inst = *scope.inst;

  if (scope.locals.count(name) || inst.params.count(name)) {
    error(callee.loc(), "'" + name + "' is a value, not a function",
          callee.range);
    return nullptr;
  }
  auto child = inst.children.find(name);
  if (child != inst.children.end()) {
    Instance &childInst = *child->second;
    auto forward = childInst.funcs.find("forward");
    if (forward == childInst.funcs.end())
      return nullptr; // "has no forward" was reported with the layer
    return callFunc(*forward->second, childInst, expr, scope);
  }
  auto func = inst.funcs.find(name);
  if (func != inst.funcs.end())
    return callFunc(*func->second, inst, expr, scope);
  if (const Builtin *builtin = lookupBuiltin(name))
    return evalBuiltin(*builtin, expr, scope);
  if (isFailedMember(inst, name))
    return nullptr;

  auto block = blocks.find(name);
  if (block != blocks.end() && !block->second->isModel()) {
    error(callee.loc(),
          "layer '" + name +
              "' cannot be called directly: declare an "
              "instance in the body, like 'fc = " +
              name + "(...)', and call 'fc(x)'",
          callee.range);
    return nullptr;
  }
  for (const InitializerInfo &init : initializers())
    if (name == init.name) {
      error(callee.loc(),
            "'" + name +
                "' is an initializer: it can only "
                "follow '=' in a 'param' declaration",
            callee.range);
      return nullptr;
    }
  error(callee.loc(),
        "unknown function '" + name + "'" +
            suggest(name, visibleNames(scope, true)),
        callee.range);
  return nullptr;
}

std::optional<int64_t> Sema::normalizeAxis(std::optional<tir::Dim> axis,
                                           size_t rank, const Expr *axisExpr,
                                           const Expr &call, StringRef callee) {
  int64_t value = axis ? axis->size : -1;
  int64_t normalized = value < 0 ? value + int64_t(rank) : value;
  if (normalized < 0 || normalized >= int64_t(rank)) {
    SMRange range = axisExpr ? axisExpr->range : call.range;
    error(range.Start,
          "axis " + Twine(value) + " is out of range for '" + callee +
              "' of a value of rank " + Twine(rank) +
              (rank ? " (expected -" + Twine(rank) + " to " + Twine(rank - 1) +
                          ")"
                    : Twine(": it needs at least one axis")),
          range);
    return std::nullopt;
  }
  return normalized;
}

const tir::Node *Sema::evalBuiltin(const Builtin &builtin, const Expr &call,
                                   Scope &scope) {
  std::vector<std::string> formals;
  unsigned required = 0;
  for (const BuiltinArg &arg : builtin.args) {
    formals.push_back(arg.name);
    if (arg.kind == ArgKind::Tensor)
      required = formals.size();
  }
  bool variadic = builtin.rule == ShapeRule::Concat;
  Binding binding;
  if (!bindArgs(call, builtin.name, builtinSignature(builtin), formals,
                required, variadic, binding))
    return nullptr;

  std::vector<const tir::Node *> operands;
  bool batched = false;
  for (const Expr *value : binding.values[0]) {
    const tir::Node *operand = evalExpr(*value, scope);
    if (!operand)
      return nullptr;
    batched |= operand->type.batched;
    operands.push_back(operand);
  }

  // The compile-time options.
  double number = 0;
  std::optional<tir::Dim> intOption;
  const Expr *optionExpr = nullptr;
  if (builtin.args.size() > 1) {
    const BuiltinArg &option = builtin.args[1];
    if (!binding.values[1].empty())
      optionExpr = binding.values[1].front();
    if (option.kind == ArgKind::Number) {
      number = option.defaultValue;
      if (optionExpr) {
        std::optional<double> value = evalNumber(*optionExpr, *scope.inst);
        if (!value)
          return nullptr;
        number = *value;
      }
    } else {
      if (option.kind == ArgKind::Int)
        intOption = tir::Dim{"", int64_t(option.defaultValue)};
      bool isNone = optionExpr && optionExpr->kind == Expr::Kind::Ident &&
                    optionExpr->text == "none";
      if (optionExpr && isNone && option.kind == ArgKind::OptionalInt) {
        intOption.reset();
      } else if (optionExpr) {
        intOption = evalInt(*optionExpr, *scope.inst, IntUse::Attribute);
        if (!intOption)
          return nullptr;
      }
    }
  }

  const tir::Node *x = operands.front();
  const Shape &shape = x->type.dims;
  tir::Node *node = nullptr;
  SMLoc loc = call.loc();
  switch (builtin.rule) {
  case ShapeRule::Elementwise:
    node = make(builtin.kind, shape, batched, loc, operands);
    if (node)
      node->number = number;
    return node;
  case ShapeRule::Softmax: {
    std::optional<int64_t> axis =
        normalizeAxis(intOption, shape.size(), optionExpr, call, builtin.name);
    if (!axis)
      return nullptr;
    node = make(builtin.kind, shape, batched, loc, operands);
    if (node)
      node->axis = *axis;
    return node;
  }
  case ShapeRule::Maxout: {
    int64_t k = intOption->size;
    if (k <= 0) {
      error(optionExpr ? optionExpr->loc() : loc,
            "maxout needs k >= 1, got " + Twine(k),
            optionExpr ? optionExpr->range : call.range);
      return nullptr;
    }
    if (shape.empty()) {
      error(call.args.front().value->loc(),
            "maxout needs a value with at least one axis, got a scalar",
            call.args.front().value->range);
      return nullptr;
    }
    int64_t d = shape.back().size;
    if (d % k != 0) {
      error(optionExpr ? optionExpr->loc() : loc,
            "maxout: the last dimension " + formatDim(shape.back()) +
                " is not divisible by k = " + Twine(k) + " (value of shape " +
                formatShape(shape) + ")",
            optionExpr ? optionExpr->range : call.range);
      return nullptr;
    }
    Shape result = shape;
    result.back() = tir::Dim{"", d / k};
    node = make(builtin.kind, result, batched, loc, operands);
    if (node)
      node->k = k;
    return node;
  }
  case ShapeRule::Concat: {
    size_t rank = shape.size();
    for (size_t i = 1; i < operands.size(); ++i) {
      if (operands[i]->type.dims.size() != rank) {
        const Expr *value = binding.values[0][i];
        error(value->loc(),
              "concat: all values must have the same rank; "
              "value 1 has shape " +
                  formatShape(shape) + " but value " + Twine(i + 1) + " has " +
                  formatShape(operands[i]->type.dims),
              value->range);
        return nullptr;
      }
    }
    std::optional<int64_t> axis =
        normalizeAxis(intOption, rank, optionExpr, call, builtin.name);
    if (!axis)
      return nullptr;
    Shape result = shape;
    int64_t total = 0;
    for (size_t i = 0; i < operands.size(); ++i) {
      const Shape &other = operands[i]->type.dims;
      for (size_t d = 0; d < rank; ++d) {
        if (int64_t(d) != *axis && other[d].size != shape[d].size) {
          const Expr *value = binding.values[0][i];
          error(value->loc(),
                "shape mismatch in concat along axis " + Twine(*axis) + ": " +
                    formatShape(shape) + " and " + formatShape(other) +
                    " differ in axis " + Twine(d),
                value->range);
          return nullptr;
        }
      }
      total += other[*axis].size;
    }
    result[*axis] = tir::Dim{"", total};
    node = make(builtin.kind, result, batched, loc, operands);
    if (node)
      node->axis = *axis;
    return node;
  }
  case ShapeRule::Reduce: {
    Shape result;
    int64_t axisValue = -1;
    if (intOption) {
      std::optional<int64_t> axis = normalizeAxis(
          intOption, shape.size(), optionExpr, call, builtin.name);
      if (!axis)
        return nullptr;
      axisValue = *axis;
      result = shape;
      result.erase(result.begin() + axisValue);
    }
    node = make(builtin.kind, result, batched, loc, operands);
    if (node)
      node->axis = axisValue;
    return node;
  }
  case ShapeRule::Transpose:
    if (shape.size() != 2) {
      error(call.args.front().value->loc(),
            "transpose needs a 2-D value, got " + formatShape(shape),
            call.args.front().value->range);
      return nullptr;
    }
    return make(builtin.kind, {shape[1], shape[0]}, batched, loc, operands);
  }
  return nullptr;
}

//===----------------------------------------------------------------------===//
// Functions and entry points
//===----------------------------------------------------------------------===//

const tir::Node *Sema::callFunc(const ast::FuncDecl &func, Instance &inst,
                                const Expr &call, Scope &callerScope) {
  const Expr &callee = *call.lhs;
  if (llvm::is_contained(calling, &func)) {
    error(callee.loc(),
          "recursive call of '" + func.name +
              "': functions are inlined, so a function cannot "
              "call itself, directly or through others",
          call.range);
    note(func.loc, "'" + func.name + "' is defined here");
    return nullptr;
  }
  if (calling.size() >= kMaxCallDepth) {
    error(callee.loc(),
          "calls are nested too deeply (more than " + Twine(kMaxCallDepth) +
              " levels)",
          call.range);
    return nullptr;
  }

  std::vector<std::string> formals;
  std::string signature = func.name + "(";
  for (const ast::ParamSpec &param : func.params) {
    signature += (formals.empty() ? "" : ", ") + param.name;
    formals.push_back(param.name);
  }
  signature += ")";
  Binding binding;
  if (!bindArgs(call, callee.text, signature, formals, formals.size(),
                /*variadic=*/false, binding))
    return nullptr;

  Scope scope{&inst, &func, {}};
  bool ok = true;
  for (size_t i = 0; i < func.params.size(); ++i) {
    const ast::ParamSpec &param = func.params[i];
    const Expr &argExpr = *binding.values[i].front();
    const tir::Node *arg = evalExpr(argExpr, callerScope);
    if (!arg) {
      ok = false;
      continue;
    }
    if (param.type) {
      std::optional<Shape> expected =
          evalType(*param.type, inst, "argument '" + param.name + "'");
      if (!expected) {
        ok = false;
        continue;
      }
      if (!sameSizes(*expected, arg->type.dims)) {
        error(argExpr.loc(),
              "shape mismatch: argument '" + param.name + "' of '" + func.name +
                  "' expects " + formatShape(*expected) + ", got " +
                  formatShape(arg->type.dims),
              argExpr.range);
        note(param.loc, "'" + param.name + "' is declared here");
        ok = false;
        continue;
      }
    }
    scope.locals[param.name] = Local{arg, param.loc};
  }
  if (!ok)
    return nullptr;

  calling.push_back(&func);
  unsigned errorsBefore = errorCount;
  const tir::Node *result = inlineBody(func, scope);
  calling.pop_back();
  contextNote(errorsBefore, call.loc(),
              "in the call of '" + callee.text + "' here", call.range);
  return result;
}

const tir::Node *Sema::inlineBody(const ast::FuncDecl &func, Scope &scope) {
  Instance &inst = *scope.inst;
  const tir::Node *result = nullptr;
  const ast::Stmt *returnStmt = nullptr;
  bool ok = true;
  for (const ast::Stmt &stmt : func.body) {
    if (returnStmt) {
      error(stmt.loc, "statement after 'return' is never run");
      note(returnStmt->loc, "'return' is here");
      return nullptr;
    }
    if (stmt.kind == ast::Stmt::Kind::Return) {
      returnStmt = &stmt;
      result = evalExpr(*stmt.value, scope);
      if (!result)
        ok = false;
      continue;
    }
    // Let and assignment bind a local; they cannot hide a member.
    StringRef name = stmt.name;
    const ast::Decl *member = nullptr;
    for (const auto &m : inst.decl->members)
      if (m->name == name)
        member = m.get();
    if (member || inst.dims.count(name)) {
      error(stmt.nameLoc, "cannot assign to '" + name +
                              "': it is already "
                              "defined in " +
                              inst.describe());
      note(member ? member->loc : inst.dims[name].loc,
           "previous definition is here");
      ok = false;
      continue;
    }
    if (stmt.kind == ast::Stmt::Kind::Let) {
      auto existing = scope.locals.find(name);
      if (existing != scope.locals.end()) {
        error(stmt.nameLoc, "duplicate definition of '" + name + "': use '" +
                                name + " = ...' to rebind it");
        note(existing->second.loc, "previous definition is here");
        ok = false;
        continue;
      }
    }
    const tir::Node *value = evalExpr(*stmt.value, scope);
    if (!value) {
      ok = false;
      // Keep the name known (without a value) so that later uses do not
      // report "unknown name" on top of the real error.
      scope.locals[name] = Local{nullptr, stmt.nameLoc};
      continue;
    }
    auto existing = scope.locals.find(name);
    SMLoc loc =
        existing != scope.locals.end() ? existing->second.loc : stmt.nameLoc;
    scope.locals[name] = Local{value, loc};
  }
  if (!returnStmt) {
    error(func.bodyEnd.isValid() ? func.bodyEnd : func.loc,
          "missing 'return' at the end of '" + func.name + "'");
    return nullptr;
  }
  if (!ok || !result)
    return nullptr;

  if (func.resultType) {
    std::optional<Shape> declared =
        evalType(*func.resultType, inst, "the result of '" + func.name + "'");
    if (!declared)
      return nullptr;
    if (!sameSizes(*declared, result->type.dims)) {
      const Expr &value = *returnStmt->value;
      error(value.loc(),
            "return type mismatch: '" + func.name + "' is declared to return " +
                formatShape(*declared) + " but its body gives " +
                formatShape(result->type.dims),
            value.range);
      note(func.resultType->range.Start, "the result type is declared here",
           func.resultType->range);
      return nullptr;
    }
  }
  return result;
}

void Sema::elaborateEntry(const ast::FuncDecl &func, Instance &model) {
  paramNodes.clear();
  tir::EntryPoint entry;
  entry.name = func.name;
  entry.loc = toLoc(func.loc);
  Scope scope{&model, &func, {}};
  bool ok = true;
  for (const ast::ParamSpec &param : func.params) {
    if (!param.type) {
      error(param.loc, "input '" + param.name + "' of '" + func.name +
                           "' needs a type, like '" + param.name + ": [H]'");
      ok = false;
      continue;
    }
    if (scope.locals.count(param.name)) {
      error(param.loc, "duplicate definition of input '" + param.name + "'");
      note(scope.locals[param.name].loc, "previous definition is here");
      ok = false;
      continue;
    }
    std::optional<Shape> shape =
        evalType(*param.type, model, "input '" + param.name + "'");
    if (!shape) {
      ok = false;
      continue;
    }
    tir::Node *node = make(tir::NodeKind::Input, *shape, true, param.loc);
    if (!node)
      return;
    node->inputIndex = entry.inputs.size();
    tir::Input input;
    input.name = param.name;
    input.type = node->type;
    input.loc = toLoc(param.loc);
    entry.inputs.push_back(std::move(input));
    scope.locals[param.name] = Local{node, param.loc};
  }
  if (!ok)
    return;
  calling.push_back(&func);
  entry.result = inlineBody(func, scope);
  calling.pop_back();
  if (entry.result)
    program.entries.push_back(std::move(entry));
}

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//

std::optional<tir::Program> Sema::run() {
  collectGlobals();

  // The model: named, or the last one of the main file.
  const ast::BlockDecl *modelDecl = nullptr;
  if (!options.modelName.empty()) {
    auto it = blocks.find(options.modelName);
    if (it == blocks.end() || !it->second->isModel()) {
      std::vector<std::string> models;
      for (const auto &entry : blocks)
        if (entry.second->isModel())
          models.push_back(entry.first().str());
      llvm::sort(models);
      fileError("no model named '" + options.modelName + "'" +
                suggest(options.modelName, models) +
                (models.empty() ? "" : " (models: " + joinNames(models) + ")"));
      return std::nullopt;
    }
    modelDecl = it->second;
  } else {
    for (const auto &decl : module.mainFile().decls)
      if (const auto *block = llvm::dyn_cast<ast::BlockDecl>(decl.get()))
        if (block->isModel())
          modelDecl = block;
    if (!modelDecl) {
      fileError("no model to compile: expected a 'model' definition");
      return std::nullopt;
    }
  }

  llvm::StringMap<SMLoc> trained;
  for (const ast::TrainDecl *train : trains) {
    auto [it, inserted] = trained.try_emplace(train->name, train->loc);
    if (!inserted) {
      error(train->keywordLoc,
            "duplicate train block for model '" + train->name + "'");
      note(it->second, "previous train block is here");
      continue;
    }
    checkTrain(*train, train->name == modelDecl->name);
  }
  if (failed)
    return std::nullopt;

  program.modelName = modelDecl->name;
  program.modelLoc = toLoc(modelDecl->loc);
  Instance model;
  model.decl = modelDecl;
  model.name = modelDecl->name;
  if (!bindModelDims(model))
    return std::nullopt;
  // Go on after errors here: entry points report their own errors, and
  // uses of what failed stay silent.
  instantiate(model);

  for (const auto &member : modelDecl->members) {
    const auto *func = llvm::dyn_cast<ast::FuncDecl>(member.get());
    if (func && func->isEntry && model.funcs.lookup(func->name) == func)
      elaborateEntry(*func, model);
    if (tooLarge)
      break;
  }
  if (failed)
    return std::nullopt;

  for (const std::string &name : model.dimOrder) {
    const DimBinding &binding = model.dims[name];
    if (binding.sized)
      program.dims.emplace_back(name, binding.dim.size);
  }
  return std::move(program);
}

std::optional<tir::Program> seqc::elaborate(const ast::Module &module,
                                            llvm::SourceMgr &srcMgr,
                                            const FrontendOptions &options) {
  if (module.files.empty())
    return std::nullopt;
  Sema sema(module, srcMgr, options);
  return sema.run();
}
