//===- SemaImpl.h - The elaborator's class and state ------------*- C++ -*-===//
//
// Private to frontend/: the Sema class, which elaborates a parsed model into
// the typed IR, the instances and scopes it works on, and the tables of
// builtin functions, losses and initializers. Its methods are defined by
// concern in the Sema*.cpp files; Sema.cpp has the driver.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_FRONTEND_SEMAIMPL_H
#define SEQC_FRONTEND_SEMAIMPL_H

#include "seqc/Frontend/AST.h"
#include "seqc/Frontend/Frontend.h"

#include "SemaSupport.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/SMLoc.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace seqc::sema {

using ast::Expr;
using llvm::SMLoc;
using llvm::SMRange;
using llvm::StringRef;
using llvm::Twine;

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

/// The builtin functions that become one node each (SemaBuiltins.cpp).
const std::vector<Builtin> &builtins();
const Builtin *lookupBuiltin(StringRef name);

/// Losses and one_hot: builtins that sema desugars into several nodes, in
/// numerically stable forms where it matters (see evalLossBuiltin).
enum class LossKind {
#define SEQC_LOSS(Kind, name, ...) Kind,
#include "seqc/Frontend/Losses.def"
};

/// A row of Losses.def.
struct LossBuiltin {
  LossKind kind;
  const char *name;
  std::vector<std::string> formals; // all required
};

const std::vector<LossBuiltin> &lossBuiltins();
const LossBuiltin *lookupLossBuiltin(StringRef name);
/// A builtin function or loss.
bool isBuiltinName(StringRef name);

//===----------------------------------------------------------------------===//
// Initializers
//===----------------------------------------------------------------------===//

struct InitializerInfo {
  const char *name;
  tir::InitKind kind;
  std::vector<const char *> args; // all numbers, all required
};

/// The initializers of a `param` declaration (SemaBuiltins.cpp).
const std::vector<InitializerInfo> &initializers();

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
  /// `bidir(Cell(...))`: the children "fwd" and "bwd" are the two
  /// directions' cells; `decl` is the cell's.
  bool bidirectional = false;

  std::string describe() const {
    if (decl->name.empty())
      return "a file-level function";
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

/// The target of the loss (`y` in `cross_entropy(forward(x), y)`): the one
/// name of the loss expression that is not otherwise defined. It becomes the
/// last input of the `loss` entry point when it is first used.
struct LossTarget {
  const TrainSpec *spec = nullptr;
  bool hasData = false;
  tir::EntryPoint *entry = nullptr;
  std::string name;
  SMLoc loc;
  const tir::Node *node = nullptr;
};

/// The names visible in one function body while it is being inlined.
struct Scope {
  Instance *inst;
  const ast::FuncDecl *func;
  llvm::StringMap<Local> locals;
  LossTarget *target = nullptr; // only in the loss expression itself
  /// In a cell's step: each state's value at t-1.
  const llvm::StringMap<const tir::Node *> *cellPrev = nullptr;
};

/// Elaborates one model of a module. It works like a template instantiator:
/// layers are checked when they are instantiated with concrete dimensions,
/// and every call of a `fn` or a layer instance is inlined. What comes out
/// is a flat list of parameters and, per entry point, a DAG of
/// shape-checked nodes in per-instance notation.
class Sema : public Reporter {
public:
  Sema(const ast::Module &module, llvm::SourceMgr &srcMgr,
       const FrontendOptions &options)
      : module(module), srcMgr(srcMgr), options(options) {}

  std::optional<tir::Program> run();
  std::optional<TrainSpec> runTrain();

private:
  // Diagnostics (toLoc is in Sema.cpp).
  /// Reports an error once: a layer called twice would otherwise repeat the
  /// errors of its body (and their notes).
  void error(SMLoc loc, const Twine &message,
             llvm::ArrayRef<SMRange> ranges = {}) override {
    failed = true;
    std::string text = message.str();
    suppressNotes = !reported.insert({loc.getPointer(), text}).second;
    if (suppressNotes)
      return;
    srcMgr.PrintMessage(loc, llvm::SourceMgr::DK_Error, text, ranges);
    ++errorCount;
  }
  void note(SMLoc loc, const Twine &message,
            llvm::ArrayRef<SMRange> ranges = {}) override {
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
  tir::Loc toLoc(SMLoc loc) const override;

  // The driver (Sema.cpp).
  const ast::BlockDecl *selectModel();

  // Declarations, and parameters with their initializers (SemaDecls.cpp).
  void collectGlobals(bool checkBlocks = true);
  void checkBlock(const ast::BlockDecl &block);
  void checkTrain(const ast::TrainDecl &train, bool selected);
  void addParam(Instance &inst, const ast::ParamDecl &decl);
  std::optional<tir::InitSpec> evalInit(const ast::ParamDecl &decl,
                                        Instance &inst, const Shape &shape);

  // Compile-time values (SemaConstEval.cpp).
  enum class IntUse { Dim, Index, Attribute };
  std::optional<tir::Dim> evalInt(const Expr &expr, Instance &inst, IntUse use);
  std::optional<double> evalNumber(const Expr &expr, Instance &inst);
  /// With `sequence`, also accepts `seq<[...]>` (setting *sequence) and
  /// returns the shape of one step; with `token`, also `token` (a scalar
  /// class or vocabulary index, setting *token) and `seq<token>`.
  std::optional<Shape> evalType(const ast::TypeExpr &type, Instance &inst,
                                StringRef what, bool *sequence = nullptr,
                                bool *token = nullptr);
  void unsizedDimError(SMLoc loc, SMRange range, StringRef name,
                       const DimBinding &binding);

  // Instantiation and arguments (SemaInstantiate.cpp).
  bool bindModelDims(Instance &model);
  bool instantiate(Instance &inst);
  bool instantiateChild(Instance &parent, const ast::InstanceDecl &decl);
  bool instantiateBidir(Instance &parent, const ast::InstanceDecl &decl);
  bool instantiateLayer(Instance &owner, const Expr &call, StringRef name,
                        const std::string &prefix, Instance &parent);
  struct Binding {
    std::vector<std::vector<const Expr *>> values; // per formal
  };
  bool bindArgs(const Expr &call, StringRef callee, StringRef signature,
                llvm::ArrayRef<std::string> formals, unsigned required,
                bool variadic, Binding &binding);

  // Expressions (SemaExpr.cpp).
  tir::Node *make(tir::NodeKind kind, Shape dims, bool batched, SMLoc loc,
                  std::vector<const tir::Node *> operands = {});
  const tir::Node *constant(double value, SMLoc loc);
  const tir::Node *evalExpr(const Expr &expr, Scope &scope);
  const tir::Node *evalIdent(const Expr &expr, Scope &scope);
  const tir::Node *evalBinary(const Expr &expr, Scope &scope);
  const tir::Node *evalIndex(const Expr &expr, Scope &scope);
  const tir::Node *evalCall(const Expr &expr, Scope &scope);
  std::vector<std::string> visibleNames(Scope &scope, bool callable);
  /// A member whose definition failed (and was reported): uses of it stay
  /// silent instead of adding "unknown name" errors.
  static bool isFailedMember(const Instance &inst, StringRef name) {
    return llvm::any_of(inst.decl->members, [&](const auto &member) {
      return member->name == name;
    });
  }
  const tir::Node *paramNode(int index, SMLoc loc);
  bool requireFloat(const tir::Node *node, const Expr &expr);
  const tir::Node *bindTarget(const Expr &expr, Scope &scope);

  // Calls of builtin functions (SemaBuiltins.cpp).
  const tir::Node *evalBuiltin(const Builtin &builtin, const Expr &call,
                               Scope &scope);
  /// `softmax(x, axis = time)`, `sum(...)`, `mean(...)`, `max(...)` over
  /// the real steps of a sequence.
  const tir::Node *overTime(const Builtin &builtin, const tir::Node *x,
                            const Expr &xExpr, const Expr &axisExpr,
                            const Expr &call);
  std::optional<int64_t> normalizeAxis(std::optional<tir::Dim> axis,
                                       size_t rank, const Expr *axisExpr,
                                       const Expr &call, StringRef callee);

  // Calls of functions, layers and cells (SemaCalls.cpp); a cell instance
  // applied to a sequence is a Scan.
  const tir::Node *callFunc(const ast::FuncDecl &func, Instance &inst,
                            const Expr &call, Scope &callerScope);
  /// `lifted`: the call maps the function over time (a sequence argument
  /// for a per-step parameter), so its declared per-step result type holds
  /// at every step.
  const tir::Node *inlineBody(const ast::FuncDecl &func, Scope &scope,
                              bool lifted = false);
  const tir::Node *callCell(const ast::CellDecl &cell, Instance &inst,
                            const Expr &call, Scope &callerScope,
                            bool reverse = false);
  const tir::Node *callBidir(Instance &inst, const Expr &call,
                             Scope &callerScope);
  const tir::Node *lastStep(const tir::Node *seqNode, const Expr &argExpr,
                            SMLoc loc);
  const tir::Node *evalTimeIndex(const Expr &expr, Scope &scope);

  // Losses and the values they are built from, desugared into nodes
  // (SemaLosses.cpp).
  const tir::Node *evalLossBuiltin(StringRef name, const Expr &call,
                                   Scope &scope);
  const tir::Node *unaryOp(tir::NodeKind kind, const tir::Node *x, SMLoc loc);
  const tir::Node *binaryOp(tir::NodeKind kind, const tir::Node *a,
                            const tir::Node *b, SMLoc loc);
  const tir::Node *reduceAll(tir::NodeKind kind, const tir::Node *x, SMLoc loc);
  const tir::Node *logOf(const tir::Node *p, SMLoc loc);
  tir::Node *oneHot(const tir::Node *y, int64_t depth, SMLoc loc);
  const tir::Node *squeezeUnitAxes(const tir::Node *x, SMLoc loc);
  const tir::Node *logitsBCE(const tir::Node *z, const tir::Node *t, SMLoc loc);
  bool matchShapes(const tir::Node *&a, const tir::Node *&b, const Expr &call,
                   StringRef aName, StringRef bName, const Expr &aExpr,
                   const Expr &bExpr);

  // Entry points (SemaEntryPoints.cpp).
  /// Declares `param` as the next input of `entry` and binds its name in
  /// `scope`; false after an error.
  bool addInput(tir::EntryPoint &entry, Scope &scope,
                const ast::ParamSpec &param, const Shape &shape, bool sequence,
                bool token);
  /// Adds the mask (when the entry has sequences) as the entry's last input
  /// and the entry to the program.
  void finishEntry(tir::EntryPoint &entry);
  void elaborateEntry(const ast::FuncDecl &func, Instance &model);
  void checkDataAgainstForward(Instance &model);
  void elaborateLoss(Instance &model);
  const tir::Node *batchMean(const tir::Node *node);
  const ast::Module &module;
  llvm::SourceMgr &srcMgr;
  const FrontendOptions &options;
  bool failed = false;
  bool tooLarge = false;
  unsigned errorCount = 0;
  bool suppressNotes = false;
  std::set<std::pair<const char *, std::string>> reported;

  llvm::StringMap<const ast::BlockDecl *> blocks; // layers and models
  llvm::StringMap<const ast::CellDecl *> cells;
  std::vector<const ast::TrainDecl *> trains;
  /// File-level functions (`fn` outside a layer), called from anywhere. Their
  /// bodies see their arguments, builtins and each other: they run in an
  /// instance without dimensions, parameters or members.
  llvm::StringMap<const ast::FuncDecl *> fileFuncs;
  ast::BlockDecl fileBlock{ast::Decl::Kind::Layer, "", SMLoc()};
  Instance fileScope;
  const ast::BlockDecl *modelDecl = nullptr;
  // The train block of the selected model, checked.
  const ast::TrainDecl *selectedTrain = nullptr;
  std::shared_ptr<TrainSpec> trainSpec;
  TrainCheck trainCheck;
  tir::Program program;
  size_t nodeCount = 0;
  size_t instanceCount = 0;
  std::vector<const ast::BlockDecl *> instantiating; // recursion check
  std::vector<const ast::FuncDecl *> calling;        // recursion check
  std::map<int, const tir::Node *> paramNodes;       // per entry point
  /// The padding masks of the entry point being elaborated, one per time
  /// axis (each sequence input has its own): [T, N], 1 for a real step and
  /// 0 for padding; and the name of the input each axis comes from.
  std::vector<tir::Node *> sequenceMasks;
  std::vector<std::string> timeNames;
  /// The padding mask of a sequence's time axis.
  tir::Node *maskOf(const tir::Node *sequence) const {
    size_t time = size_t(sequence->type.time);
    return time < sequenceMasks.size() ? sequenceMasks[time] : nullptr;
  }
  /// "the steps of 'x'": a time axis in messages.
  std::string describeTime(int time) const {
    return size_t(time) < timeNames.size()
               ? "the steps of '" + timeNames[time] + "'"
               : "a sequence";
  }
  /// Nodes whose result has no time axis even when an operand has one.
  static bool reducesTime(tir::NodeKind kind) {
    using K = tir::NodeKind;
    return kind == K::Last || kind == K::BatchMean || kind == K::SumOverTime ||
           kind == K::MeanOverTime || kind == K::MaxOverTime;
  }
  llvm::DenseMap<const tir::Node *, unsigned> nodeDepth;
};

} // namespace seqc::sema

#endif // SEQC_FRONTEND_SEMAIMPL_H
