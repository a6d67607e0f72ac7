//===- Sema.cpp - Elaboration of a model into the typed IR ----------------===//
//
// The methods of the Sema class (SemaImpl.h), which elaborates a parsed
// model into the typed IR, and the frontend's entry points elaborate and
// analyzeTrain.
//
//===----------------------------------------------------------------------===//

#include "seqc/Frontend/AST.h"
#include "seqc/Frontend/Frontend.h"

#include "SemaImpl.h"

using namespace seqc;
using namespace seqc::sema;

namespace {

/// Inlining can blow up (fn calling fn twice, ten levels deep); beyond these
/// limits the program is surely a mistake, and refusing keeps sema fast and
/// its recursion shallow.
constexpr size_t kMaxNodes = 250000;
constexpr unsigned kMaxCallDepth = 256;
/// Consumers of the typed IR (printer, MLIRGen) walk it recursively.
constexpr unsigned kMaxNodeDepth = 5000;

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
  // An operation on a sequence applies at every step (a per-step map): its
  // result is a sequence too. Scan, Last and BatchMean say otherwise.
  if (kind != tir::NodeKind::Last && kind != tir::NodeKind::BatchMean)
    for (const tir::Node *operand : operands)
      node->type.sequence |= operand->type.sequence;
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
    for (const LossBuiltin &builtin : lossBuiltins())
      names.push_back(builtin.name);
    for (const auto &func : fileFuncs)
      names.push_back(func.first().str());
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
    if (!operand || !requireFloat(operand, *expr.lhs))
      return nullptr;
    if (operand->kind == tir::NodeKind::Constant)
      return constant(-operand->number, expr.loc());
    return make(tir::NodeKind::Neg, operand->type.dims, operand->type.batched,
                expr.loc(), {operand});
  }
  case Expr::Kind::Binary:
    return evalBinary(expr, scope);
  case Expr::Kind::Index:
    if (scope.cellPrev)
      if (const tir::Node *step = evalTimeIndex(expr, scope))
        return step;
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
  if (param != inst.params.end())
    return paramNode(param->second, expr.loc());

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
  if (inst.funcs.count(name) || fileFuncs.count(name) || isBuiltinName(name)) {
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
  if (scope.target)
    return bindTarget(expr, scope);

  error(expr.loc(),
        "unknown name '" + name + "'" +
            suggest(name, visibleNames(scope, false)),
        expr.range);
  return nullptr;
}

const tir::Node *Sema::paramNode(int index, SMLoc loc) {
  const tir::Node *&cached = paramNodes[index];
  if (!cached) {
    const tir::Param &p = program.params[index];
    tir::Node *node = make(tir::NodeKind::Param, p.shape, false, loc);
    if (!node)
      return nullptr;
    node->paramIndex = index;
    cached = node;
  }
  return cached;
}

/// An unknown name in the loss expression is its target, `y`: the first one
/// becomes the target input, typed from the data; another is an error.
const tir::Node *Sema::bindTarget(const Expr &expr, Scope &scope) {
  LossTarget &target = *scope.target;
  StringRef name = expr.text;
  if (target.node) {
    error(expr.loc(),
          "unknown name '" + name + "': the loss already has a target, '" +
              target.name + "'" + suggest(name, visibleNames(scope, false)),
          expr.range);
    note(target.loc, "the target '" + target.name + "' is used here");
    return nullptr;
  }
  const DataSpec &data = target.spec->data;
  if (!target.hasData || data.targetKind == TargetKind::None) {
    error(expr.loc(),
          "unknown name '" + name + "'" +
              suggest(name, visibleNames(scope, false)) +
              (target.hasData
                   ? ": the data has no target to bind it to (give csv(..., "
                     "label = \"column\") or target = ... or labels = ...)"
                   : ": the train block has no data to take a target from"),
          expr.range);
    return nullptr;
  }
  Shape shape;
  if (data.targetKind == TargetKind::Vector ||
      data.targetKind == TargetKind::MultiLabel) {
    tir::Dim dim{"", int64_t(data.targets.size())};
    // Name the axis after a model dimension of that size from the data.
    Instance &model = *scope.inst;
    for (const std::string &dimName : model.dimOrder) {
      const DimBinding &binding = model.dims[dimName];
      if (binding.sized && binding.dim.size == dim.size &&
          (binding.source == "targets" ||
           (binding.source == "classes" &&
            data.targetKind == TargetKind::MultiLabel))) {
        dim.name = dimName;
        break;
      }
    }
    shape.push_back(dim);
  }
  tir::Node *node = make(tir::NodeKind::Input, shape, true, expr.loc());
  if (!node)
    return nullptr;
  if (data.targetKind == TargetKind::ClassIndex)
    node->type.elem = tir::ElemKind::Token;
  // Text and series give a target per step: the next token, the next value.
  node->type.sequence = data.kind == "text" || data.kind == "series";
  node->inputIndex = target.entry->inputs.size();
  tir::Input input;
  input.name = name.str();
  input.type = node->type;
  input.loc = toLoc(expr.loc());
  target.entry->targetInput = target.entry->inputs.size();
  target.entry->inputs.push_back(std::move(input));
  target.name = name.str();
  target.loc = expr.loc();
  target.node = node;
  scope.locals[name] = Local{node, expr.loc()};
  return node;
}

/// Class indices (the target of `label = ...`) are integers: only the
/// losses, and one_hot, take them.
bool Sema::requireFloat(const tir::Node *node, const Expr &expr) {
  if (node->type.elem == tir::ElemKind::Float)
    return true;
  error(expr.loc(),
        "'" + sourceText(expr) +
            "' is a class index (an integer), not a number: use it in "
            "cross_entropy(p, y), nll(logp, y), bce(p, y) or one_hot(y, C)",
        expr.range);
  return false;
}

const tir::Node *Sema::evalBinary(const Expr &expr, Scope &scope) {
  const tir::Node *lhs = evalExpr(*expr.lhs, scope);
  const tir::Node *rhs = evalExpr(*expr.rhs, scope);
  if (!lhs || !rhs)
    return nullptr;
  if (!requireFloat(lhs, *expr.lhs) || !requireFloat(rhs, *expr.rhs))
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
  if (!value || !requireFloat(value, *expr.lhs))
    return nullptr;
  const Shape &shape = value->type.dims;
  // `table[i]` with `i` a token (a value, not a compile-time integer) is a
  // lookup of row i: an embedding.
  if (expr.indices.size() == 1 && !expr.indices[0].isSlice &&
      expr.indices[0].start &&
      expr.indices[0].start->kind == Expr::Kind::Ident &&
      scope.locals.count(expr.indices[0].start->text)) {
    const Expr &indexExpr = *expr.indices[0].start;
    const tir::Node *index = evalExpr(indexExpr, scope);
    if (!index)
      return nullptr;
    if (index->type.elem != tir::ElemKind::Token || index->type.rank() != 0) {
      error(indexExpr.loc(),
            "an index must be a compile-time integer or a token, got '" +
                indexExpr.text + "' of shape " + formatShape(index->type.dims),
            indexExpr.range);
      return nullptr;
    }
    if (value->type.batched || value->type.rank() != 2) {
      error(expr.lhs->loc(),
            "a token selects a row of a parameter matrix [V, E], got " +
                formatShape(value->type.dims) +
                (value->type.batched ? " that depends on the input" : ""),
            expr.lhs->range);
      return nullptr;
    }
    Shape row(shape.begin() + 1, shape.end());
    return make(tir::NodeKind::Gather, row, index->type.batched, expr.loc(),
                {value, index});
  }
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
    if (childInst.bidirectional)
      return callBidir(childInst, expr, scope);
    if (const auto *cell = llvm::dyn_cast<ast::CellDecl>(childInst.decl))
      return callCell(*cell, childInst, expr, scope);
    auto forward = childInst.funcs.find("forward");
    if (forward == childInst.funcs.end())
      return nullptr; // "has no forward" was reported with the layer
    return callFunc(*forward->second, childInst, expr, scope);
  }
  auto func = inst.funcs.find(name);
  if (func != inst.funcs.end())
    return callFunc(*func->second, inst, expr, scope);
  auto fileFunc = fileFuncs.find(name);
  if (fileFunc != fileFuncs.end())
    return callFunc(*fileFunc->second, fileScope, expr, scope);
  if (name == "last") {
    if (expr.args.size() != 1 || !expr.args[0].keyword.empty()) {
      error(callee.loc(), "'last' takes one sequence: last(x)", expr.range);
      return nullptr;
    }
    const Expr &argExpr = *expr.args[0].value;
    const tir::Node *seqNode = evalExpr(argExpr, scope);
    if (!seqNode)
      return nullptr;
    return lastStep(seqNode, argExpr, expr.loc());
  }
  if (const Builtin *builtin = lookupBuiltin(name))
    return evalBuiltin(*builtin, expr, scope);
  if (lookupLossBuiltin(name))
    return evalLossBuiltin(name, expr, scope);
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

//===----------------------------------------------------------------------===//
// Functions and entry points
//===----------------------------------------------------------------------===//

/// "[H=4]", "token", "seq<[E=3]>", "seq<token>": a value's type in messages.
static std::string describeType(const tir::Type &type) {
  std::string step = type.elem == tir::ElemKind::Token && type.dims.empty()
                         ? std::string("token")
                         : formatShape(type.dims);
  return type.sequence ? "seq<" + step + ">" : step;
}

static bool isSequenceType(const ast::TypeExpr &type) {
  return type.kind == ast::TypeExpr::Kind::Seq;
}

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
  bool ok = true, lifted = false;
  for (size_t i = 0; i < func.params.size(); ++i) {
    const ast::ParamSpec &param = func.params[i];
    const Expr &argExpr = *binding.values[i].front();
    const tir::Node *arg = evalExpr(argExpr, callerScope);
    if (!arg) {
      ok = false;
      continue;
    }
    if (param.type) {
      // A sequence argument for a per-step parameter maps the function
      // over time; a seq<...> parameter needs a sequence.
      bool sequence = false, token = false;
      std::optional<Shape> expected =
          evalType(*param.type, inst, "argument '" + param.name + "'",
                   &sequence, &token);
      if (!expected) {
        ok = false;
        continue;
      }
      bool argToken = arg->type.elem == tir::ElemKind::Token;
      if (token != argToken || (sequence && !arg->type.sequence)) {
        std::string expectedText = token ? "token" : formatShape(*expected);
        if (sequence)
          expectedText = "seq<" + expectedText + ">";
        std::string got = argToken ? "token" : formatShape(arg->type.dims);
        if (arg->type.sequence)
          got = "seq<" + got + ">";
        error(argExpr.loc(),
              "type mismatch: argument '" + param.name + "' of '" + func.name +
                  "' expects " + expectedText + ", got " + got,
              argExpr.range);
        note(param.loc, "'" + param.name + "' is declared here");
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
    if (arg->type.sequence && !(param.type && isSequenceType(*param.type)))
      lifted = true;
    scope.locals[param.name] = Local{arg, param.loc};
  }
  if (!ok)
    return nullptr;

  calling.push_back(&func);
  unsigned errorsBefore = errorCount;
  const tir::Node *result = inlineBody(func, scope, lifted);
  calling.pop_back();
  contextNote(errorsBefore, call.loc(),
              "in the call of '" + callee.text + "' here", call.range);
  return result;
}

/// `rnn(xs)` with `rnn` an instance of a cell: the cell's step runs over
/// the time axis of `xs`. The states at t-1 and `x[t]` are StepArg nodes;
/// the assignments are evaluated in order (a state assigned is its new
/// value from there on); the result is the sequence of `out`s.
const tir::Node *Sema::callCell(const ast::CellDecl &cell, Instance &inst,
                                const Expr &call, Scope &callerScope,
                                bool reverse) {
  const Expr &callee = *call.lhs;
  if (call.args.size() != 1 || !call.args[0].keyword.empty()) {
    error(callee.loc(),
          "'" + callee.text + "' (a cell) takes one sequence, like '" +
              callee.text + "(x)'",
          call.range);
    return nullptr;
  }
  const Expr &argExpr = *call.args[0].value;
  const tir::Node *xs = evalExpr(argExpr, callerScope);
  if (!xs)
    return nullptr;
  if (!xs->type.sequence || xs->type.elem != tir::ElemKind::Float) {
    error(argExpr.loc(),
          "'" + callee.text + "' (cell '" + cell.name +
              "') runs over a sequence of vectors: expected seq<[...]>, "
              "got " +
              describeType(xs->type) +
              (xs->type.elem == tir::ElemKind::Token
                   ? " (embed the tokens first, like Embedding(V, E))"
                   : ""),
          argExpr.range);
    return nullptr;
  }

  auto step = std::make_shared<tir::ScanStep>();
  llvm::StringMap<const tir::Node *> prev;
  Scope scope{&inst, nullptr, {}};
  scope.cellPrev = &prev;
  bool ok = true;
  for (size_t i = 0; i < cell.states.size(); ++i) {
    const ast::StateSpec &state = cell.states[i];
    std::optional<Shape> shape =
        evalType(state.type, inst, "state '" + state.name + "'");
    if (!shape) {
      ok = false;
      continue;
    }
    double init = 0.0;
    if (state.init) {
      std::optional<double> value = evalNumber(*state.init, inst);
      if (!value) {
        ok = false;
        continue;
      }
      init = *value;
    }
    tir::Node *arg = make(tir::NodeKind::StepArg, *shape, true, state.loc);
    if (!arg)
      return nullptr;
    arg->inputIndex = i;
    step->stateArgs.push_back(arg);
    step->stateInits.push_back(init);
    prev[state.name] = arg;
  }
  if (!ok)
    return nullptr;
  tir::Node *x =
      make(tir::NodeKind::StepArg, xs->type.dims, true, argExpr.loc());
  if (!x)
    return nullptr;
  x->inputIndex = cell.states.size();
  step->sequenceArgs.push_back(x);
  scope.locals["x"] = Local{x, argExpr.loc()};

  unsigned errorsBefore = errorCount;
  for (const ast::Stmt &stmt : cell.body) {
    const tir::Node *value = evalExpr(*stmt.value, scope);
    if (!value) {
      ok = false;
      break;
    }
    if (const tir::Node *old = prev.lookup(stmt.name)) {
      if (!sameSizes(old->type.dims, value->type.dims)) {
        error(stmt.value->loc(),
              "shape mismatch: state '" + stmt.name + "' of cell '" +
                  cell.name + "' is " + formatShape(old->type.dims) +
                  ", but its new value is " + formatShape(value->type.dims),
              stmt.value->range);
        ok = false;
        break;
      }
    }
    scope.locals[stmt.name] = Local{value, stmt.nameLoc};
  }
  const tir::Node *out = nullptr;
  if (ok && cell.out) {
    out = evalExpr(*cell.out, scope);
    if (out && !out->type.batched) {
      error(cell.out->loc(),
            "the output of cell '" + cell.name +
                "' does not depend on its input or its states",
            cell.out->range);
      out = nullptr;
    }
  }
  contextNote(errorsBefore, call.loc(),
              "in the application of '" + callee.text + "' here", call.range);
  if (!out)
    return nullptr;
  for (const ast::StateSpec &state : cell.states)
    step->newStates.push_back(scope.locals[state.name].node);
  step->out = out;
  step->reverse = reverse;
  std::vector<const tir::Node *> operands = {xs};
  if (sequenceMask)
    operands.push_back(sequenceMask);
  tir::Node *node =
      make(tir::NodeKind::Scan, out->type.dims, true, call.loc(), operands);
  if (!node)
    return nullptr;
  node->type.sequence = true;
  node->scan = std::move(step);
  return node;
}

/// `rnn(x)` with `rnn = bidir(Cell(...))`: the forward cell over x and the
/// backward cell over x from its last real step to its first; at every step
/// the two outputs are concatenated (Schuster & Paliwal).
const tir::Node *Sema::callBidir(Instance &inst, const Expr &call,
                                 Scope &callerScope) {
  // A cell that did not instantiate (an unknown name, wrong arguments) was
  // reported at its declaration; there is nothing to apply.
  if (!inst.decl || !llvm::isa<ast::CellDecl>(inst.decl))
    return nullptr;
  const auto &cell = llvm::cast<ast::CellDecl>(*inst.decl);
  const tir::Node *forward =
      callCell(cell, *inst.children["fwd"], call, callerScope);
  if (!forward)
    return nullptr;
  const tir::Node *backward = callCell(cell, *inst.children["bwd"], call,
                                       callerScope, /*reverse=*/true);
  if (!backward)
    return nullptr;
  if (forward->type.rank() != 1) {
    error(call.loc(),
          "'bidir' concatenates the two directions' outputs, which must be "
          "vectors; cell '" +
              cell.name + "' gives " + formatShape(forward->type.dims),
          call.range);
    return nullptr;
  }
  Shape dims = {tir::Dim{"", forward->type.dims[0].size * 2}};
  tir::Node *node =
      make(tir::NodeKind::Concat, dims, true, call.loc(), {forward, backward});
  if (node)
    node->axis = 0;
  return node;
}

/// `last(s)`: the output at the last real step of a cell applied to a
/// sequence. For a bidirectional application, the final outputs of both
/// directions (the backward one's is at the first step).
const tir::Node *Sema::lastStep(const tir::Node *seqNode, const Expr &argExpr,
                                SMLoc loc) {
  if (seqNode->kind == tir::NodeKind::Scan)
    return make(tir::NodeKind::Last, seqNode->type.dims, true, loc, {seqNode});
  if (seqNode->kind == tir::NodeKind::Concat && seqNode->type.sequence &&
      llvm::all_of(seqNode->operands, [](const tir::Node *operand) {
        return operand->kind == tir::NodeKind::Scan;
      })) {
    std::vector<const tir::Node *> lasts;
    for (const tir::Node *operand : seqNode->operands)
      lasts.push_back(lastStep(operand, argExpr, loc));
    if (llvm::is_contained(lasts, nullptr))
      return nullptr;
    tir::Node *node =
        make(tir::NodeKind::Concat, seqNode->type.dims, true, loc, lasts);
    if (node)
      node->axis = seqNode->axis;
    return node;
  }
  error(argExpr.loc(),
        seqNode->type.sequence && seqNode->kind != tir::NodeKind::Input
            ? std::string("'last' takes the outputs of a cell applied to a "
                          "sequence; apply it before per-step operations, "
                          "like head(last(rnn(x)))")
        : seqNode->type.sequence
            ? std::string("'last' takes the outputs of a cell applied to a "
                          "sequence, like last(rnn(x))")
            : "'last' takes a sequence, got " + formatShape(seqNode->type.dims),
        argExpr.range);
  return nullptr;
}

/// `x[t]`, `h[t]` and `h[t-1]` in a cell's step; nullptr for any other index.
const tir::Node *Sema::evalTimeIndex(const Expr &expr, Scope &scope) {
  if (expr.lhs->kind != Expr::Kind::Ident || expr.indices.size() != 1 ||
      expr.indices[0].isSlice || !expr.indices[0].start)
    return nullptr;
  const Expr &index = *expr.indices[0].start;
  bool now = index.kind == Expr::Kind::Ident && index.text == "t";
  bool before =
      index.kind == Expr::Kind::Binary && index.op == ast::BinaryOp::Sub &&
      index.lhs->kind == Expr::Kind::Ident && index.lhs->text == "t" &&
      index.rhs->kind == Expr::Kind::Number && index.rhs->isInteger &&
      index.rhs->integer == 1;
  StringRef name = expr.lhs->text;
  if (before)
    return scope.cellPrev->lookup(name);
  if (now) {
    auto local = scope.locals.find(name);
    if (local != scope.locals.end())
      return local->second.node;
  }
  return nullptr;
}

const tir::Node *Sema::inlineBody(const ast::FuncDecl &func, Scope &scope,
                                  bool lifted) {
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
    bool sequence = false;
    std::optional<Shape> declared = evalType(
        *func.resultType, inst, "the result of '" + func.name + "'", &sequence);
    if (!declared)
      return nullptr;
    if (!sameSizes(*declared, result->type.dims) ||
        (sequence != result->type.sequence && !(lifted && !sequence))) {
      const Expr &value = *returnStmt->value;
      auto show = [](const Shape &shape, bool seq) {
        return seq ? "seq<" + formatShape(shape) + ">" : formatShape(shape);
      };
      error(value.loc(),
            "return type mismatch: '" + func.name + "' is declared to return " +
                show(*declared, sequence) + " but its body gives " +
                show(result->type.dims, result->type.sequence),
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
  sequenceMask = nullptr;
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
    bool sequence = false, token = false;
    std::optional<Shape> shape = evalType(
        *param.type, model, "input '" + param.name + "'", &sequence, &token);
    if (!shape) {
      ok = false;
      continue;
    }
    if (!addInput(entry, scope, param, *shape, sequence, token))
      return;
  }
  if (!ok)
    return;
  calling.push_back(&func);
  entry.result = inlineBody(func, scope);
  calling.pop_back();
  if (entry.result)
    finishEntry(entry);
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

const tir::Node *Sema::unaryOp(tir::NodeKind kind, const tir::Node *x,
                               SMLoc loc) {
  if (!x)
    return nullptr;
  return make(kind, x->type.dims, x->type.batched, loc, {x});
}

const tir::Node *Sema::binaryOp(tir::NodeKind kind, const tir::Node *a,
                                const tir::Node *b, SMLoc loc) {
  if (!a || !b)
    return nullptr;
  std::optional<Shape> shape = broadcast(a->type.dims, b->type.dims);
  if (!shape) { // the callers match shapes first
    error(loc, "internal error: shapes " + formatShape(a->type.dims) + " and " +
                   formatShape(b->type.dims) + " do not broadcast");
    return nullptr;
  }
  return make(kind, *shape, a->type.batched || b->type.batched, loc, {a, b});
}

/// sum/mean over every per-instance axis; a scalar is its own sum and mean.
const tir::Node *Sema::reduceAll(tir::NodeKind kind, const tir::Node *x,
                                 SMLoc loc) {
  if (!x || x->type.rank() == 0)
    return x;
  tir::Node *node = make(kind, {}, x->type.batched, loc, {x});
  if (node)
    node->axis = -1;
  return node;
}

static const tir::Node *lookThrough(const tir::Node *node) {
  while (node->kind == tir::NodeKind::Identity)
    node = node->operands.front();
  return node;
}

/// log(p), computed stably when p is softmax(z) (log_softmax(z)) or exp(a).
const tir::Node *Sema::logOf(const tir::Node *p, SMLoc loc) {
  if (!p)
    return nullptr;
  const tir::Node *inner = lookThrough(p);
  if (inner->kind == tir::NodeKind::Softmax) {
    tir::Node *node = make(tir::NodeKind::LogSoftmax, inner->type.dims,
                           inner->type.batched, loc, {inner->operands[0]});
    if (node)
      node->axis = inner->axis;
    return node;
  }
  if (inner->kind == tir::NodeKind::Exp)
    return inner->operands[0];
  return unaryOp(tir::NodeKind::Log, p, loc);
}

tir::Node *Sema::oneHot(const tir::Node *y, int64_t depth, SMLoc loc) {
  if (!y)
    return nullptr;
  Shape shape = y->type.dims;
  shape.push_back(tir::Dim{"", depth});
  tir::Node *node =
      make(tir::NodeKind::OneHot, shape, y->type.batched, loc, {y});
  if (node)
    node->k = depth;
  return node;
}

/// Drops the axes of size 1 ([1] -> [], [3, 1] -> [3]).
const tir::Node *Sema::squeezeUnitAxes(const tir::Node *x, SMLoc loc) {
  for (size_t i = x->type.rank(); x && i-- > 0;) {
    if (x->type.dims[i].size != 1)
      continue;
    Shape dims = x->type.dims;
    dims.erase(dims.begin() + i);
    tir::Node *node =
        make(tir::NodeKind::Index, dims, x->type.batched, loc, {x});
    if (!node)
      return nullptr;
    node->axis = i;
    node->start = 0;
    node->size = 1;
    x = node;
  }
  return x;
}

/// The two values of a loss must have the same shape; axes of size 1 do not
/// count, so that a [1] prediction goes with a scalar target.
bool Sema::matchShapes(const tir::Node *&a, const tir::Node *&b,
                       const Expr &call, StringRef aName, StringRef bName,
                       const Expr &aExpr, const Expr &bExpr) {
  if (sameSizes(a->type.dims, b->type.dims))
    return true;
  const tir::Node *sa = squeezeUnitAxes(a, call.loc());
  const tir::Node *sb = squeezeUnitAxes(b, call.loc());
  if (!sa || !sb)
    return false;
  if (sameSizes(sa->type.dims, sb->type.dims)) {
    a = sa;
    b = sb;
    return true;
  }
  error(call.lhs->loc(),
        "shape mismatch in '" + call.calleeName() + "': " + aName +
            " has shape " + formatShape(a->type.dims) + " but " + bName +
            " has " + formatShape(b->type.dims) + "; they must be the same",
        {aExpr.range, bExpr.range});
  return false;
}

/// Binary cross-entropy from logits, stable for any z:
/// relu(z) - z * t + log(1 + exp(-|z|)).
const tir::Node *Sema::logitsBCE(const tir::Node *z, const tir::Node *t,
                                 SMLoc loc) {
  using K = tir::NodeKind;
  const tir::Node *softplus = unaryOp(
      K::Log,
      binaryOp(
          K::Add, constant(1.0, loc),
          unaryOp(K::Exp, unaryOp(K::Neg, unaryOp(K::Abs, z, loc), loc), loc),
          loc),
      loc);
  return binaryOp(K::Add,
                  binaryOp(K::Sub, unaryOp(K::Relu, z, loc),
                           binaryOp(K::Mul, z, t, loc), loc),
                  softplus, loc);
}

const tir::Node *Sema::evalLossBuiltin(StringRef name, const Expr &call,
                                       Scope &scope) {
  using K = tir::NodeKind;
  const LossBuiltin &builtin = *lookupLossBuiltin(name);
  std::string signature =
      std::string(builtin.name) + "(" + joinNames(builtin.formals) + ")";
  Binding binding;
  if (!bindArgs(call, builtin.name, signature, builtin.formals,
                builtin.formals.size(), /*variadic=*/false, binding))
    return nullptr;
  SMLoc loc = call.loc();
  const Expr &first = *binding.values[0].front();

  // l2(params): every parameter of the layer or model where it is written;
  // l2(fc): every parameter of the instance fc.
  bool allParams = first.kind == Expr::Kind::Ident && first.text == "params" &&
                   !scope.locals.count("params") &&
                   !scope.inst->params.count("params") &&
                   scope.inst != &fileScope;
  bool ofInstance = first.kind == Expr::Kind::Ident &&
                    scope.inst->children.count(first.text) &&
                    !scope.locals.count(first.text);
  if (name == "l2" && (allParams || ofInstance)) {
    std::string prefix = scope.inst->prefix;
    if (ofInstance)
      prefix += first.text + ".";
    const tir::Node *total = nullptr;
    for (size_t i = 0; i < program.params.size(); ++i) {
      if (!StringRef(program.params[i].name).starts_with(prefix))
        continue;
      const tir::Node *w = paramNode(i, first.loc());
      const tir::Node *squares =
          reduceAll(K::ReduceSum, binaryOp(K::Mul, w, w, loc), loc);
      total = total ? binaryOp(K::Add, total, squares, loc) : squares;
      if (!total)
        return nullptr;
    }
    if (!total) {
      error(first.loc(),
            "l2(" + first.text + "): " +
                (ofInstance ? scope.inst->children[first.text]->describe()
                            : scope.inst->describe()) +
                " has no parameters",
            first.range);
      return nullptr;
    }
    return total;
  }

  std::vector<const tir::Node *> args;
  if (name == "one_hot") {
    args.push_back(evalExpr(first, scope));
  } else {
    for (auto &values : binding.values)
      args.push_back(evalExpr(*values.front(), scope));
  }
  for (const tir::Node *arg : args)
    if (!arg)
      return nullptr;
  const Expr &secondExpr =
      binding.values.size() > 1 ? *binding.values[1].front() : first;
  // A loss compares a prediction and a target step by step or instance by
  // instance, never one value against every step of a sequence.
  if (args.size() > 1 && args[0]->type.sequence != args[1]->type.sequence) {
    bool targetPerStep = args[1]->type.sequence;
    error(call.lhs->loc(),
          "'" + name + "' compares a " +
              (targetPerStep ? "value per instance" : "sequence") + " ('" +
              sourceText(first) + "') with a " +
              (targetPerStep ? "sequence" : "value per instance") + " ('" +
              sourceText(secondExpr) + "')" +
              (targetPerStep
                   ? ": the data gives a target at every step, so the "
                     "prediction must be a sequence too, like seq<[V]>"
                   : ": take one step of the sequence first, like "
                     "last(...)"),
          {first.range, secondExpr.range});
    return nullptr;
  }
  bool secondIsIndex =
      args.size() > 1 && args[1]->type.elem == tir::ElemKind::Token;

  if (name == "one_hot") {
    if (args[0]->type.elem != tir::ElemKind::Token) {
      error(first.loc(),
            "one_hot needs a class index (the target of a data with label = "
            "\"column\"), got a number of shape " +
                formatShape(args[0]->type.dims),
            first.range);
      return nullptr;
    }
    std::optional<tir::Dim> depth =
        evalInt(secondExpr, *scope.inst, IntUse::Attribute);
    if (!depth)
      return nullptr;
    if (depth->size < 1) {
      error(secondExpr.loc(),
            "one_hot needs depth >= 1, got " + Twine(depth->size),
            secondExpr.range);
      return nullptr;
    }
    tir::Node *node = oneHot(args[0], depth->size, loc);
    if (node)
      node->type.dims.back() = *depth;
    return node;
  }

  if (!requireFloat(args[0], first))
    return nullptr;
  if (name == "l2")
    return reduceAll(K::ReduceSum, binaryOp(K::Mul, args[0], args[0], loc),
                     loc);

  // cross_entropy and nll take a class index or a distribution.
  if (name == "cross_entropy" || name == "nll") {
    const tir::Node *p = args[0], *y = args[1];
    const tir::Node *logp = name == "nll" ? p : nullptr;
    if (secondIsIndex) {
      if (p->type.rank() != 1) {
        error(first.loc(),
              name + " with a class index needs " + builtin.formals[0] +
                  " to be a vector with one " +
                  (name == "nll" ? "log-probability" : "probability") +
                  " per class, [C], got " + formatShape(p->type.dims),
              {first.range, secondExpr.range});
        return nullptr;
      }
      if (!logp)
        logp = logOf(p, loc);
      tir::Node *encoded = oneHot(y, p->type.dims[0].size, loc);
      if (!encoded)
        return nullptr;
      encoded->type.dims.back() = p->type.dims[0];
      y = encoded;
    } else {
      if (!sameSizes(p->type.dims, y->type.dims)) {
        error(call.lhs->loc(),
              "shape mismatch in '" + name + "': " + builtin.formals[0] +
                  " has shape " + formatShape(p->type.dims) + " but y has " +
                  formatShape(y->type.dims) +
                  "; y must be a class index or a distribution of the shape "
                  "of " +
                  builtin.formals[0],
              {first.range, secondExpr.range});
        return nullptr;
      }
      if (!logp)
        logp = logOf(p, loc);
    }
    return unaryOp(K::Neg,
                   reduceAll(K::ReduceSum, binaryOp(K::Mul, y, logp, loc), loc),
                   loc);
  }

  // The others compare two values of one shape.
  const tir::Node *a = args[0], *b = args[1];
  if (name == "bce" && secondIsIndex) {
    // A class index 0 or 1: t = one_hot(y, 2)[1].
    const tir::Node *sa = squeezeUnitAxes(a, loc);
    if (!sa)
      return nullptr;
    if (sa->type.rank() != 0) {
      error(first.loc(),
            "bce with a class index needs p to be one probability, [] or "
            "[1], got " +
                formatShape(a->type.dims),
            {first.range, secondExpr.range});
      return nullptr;
    }
    for (const auto &[kind, size] : options.dataDims)
      if (kind == "classes" && size != 2) {
        error(secondExpr.loc(),
              "bce with a class index needs 2 classes (0 and 1), but the data "
              "has " +
                  Twine(size),
              secondExpr.range);
        return nullptr;
      }
    a = sa;
    const tir::Node *encoded = oneHot(b, 2, loc);
    tir::Node *index =
        encoded ? make(K::Index, {}, b->type.batched, loc, {encoded}) : nullptr;
    if (!index)
      return nullptr;
    index->axis = 0;
    index->start = 1;
    index->size = 1;
    b = index;
  } else {
    if (!requireFloat(b, secondExpr))
      return nullptr;
    if (!matchShapes(a, b, call, builtin.formals[0], builtin.formals[1], first,
                     secondExpr))
      return nullptr;
  }

  if (name == "mse" || name == "sse") {
    const tir::Node *d = binaryOp(K::Sub, a, b, loc);
    return reduceAll(name == "mse" ? K::ReduceMean : K::ReduceSum,
                     binaryOp(K::Mul, d, d, loc), loc);
  }
  if (name == "bce" || name == "bce_with_logits") {
    const tir::Node *inner = lookThrough(a);
    const tir::Node *elementwise = nullptr;
    if (name == "bce_with_logits") {
      elementwise = logitsBCE(a, b, loc);
    } else if (inner->kind == K::Sigmoid) {
      elementwise = logitsBCE(inner->operands[0], b, loc);
    } else {
      // -(t log p + (1 - t) log(1 - p))
      const tir::Node *one = constant(1.0, loc);
      elementwise = unaryOp(
          K::Neg,
          binaryOp(K::Add, binaryOp(K::Mul, b, unaryOp(K::Log, a, loc), loc),
                   binaryOp(K::Mul, binaryOp(K::Sub, one, b, loc),
                            unaryOp(K::Log, binaryOp(K::Sub, one, a, loc), loc),
                            loc),
                   loc),
          loc);
    }
    return reduceAll(K::ReduceMean, elementwise, loc);
  }
  if (name == "kl_div") {
    // sum p * (log p - log q). A target distribution has zeros (one-hot),
    // whose terms count as 0: log p is taken of p + 1e-30, which is p itself
    // for any p > 1e-23 in single precision.
    const tir::Node *inner = lookThrough(a);
    const tir::Node *logp =
        inner->kind == K::Softmax || inner->kind == K::Exp
            ? logOf(a, loc)
            : unaryOp(K::Log, binaryOp(K::Add, a, constant(1e-30, loc), loc),
                      loc);
    return reduceAll(
        K::ReduceSum,
        binaryOp(K::Mul, a, binaryOp(K::Sub, logp, logOf(b, loc), loc), loc),
        loc);
  }
  error(loc, "internal error: unhandled loss '" + name + "'");
  return nullptr;
}

/// Whether a sum of terms has an unbatched term, through + - and scaling.
static bool hasUnbatchedTerm(const tir::Node *node) {
  using K = tir::NodeKind;
  if (!node->type.batched)
    return true;
  const auto &ops = node->operands;
  switch (node->kind) {
  case K::Add:
  case K::Sub:
    return hasUnbatchedTerm(ops[0]) || hasUnbatchedTerm(ops[1]);
  case K::Neg:
    return hasUnbatchedTerm(ops[0]);
  case K::Mul:
  case K::Div:
    if (!ops[1]->type.batched)
      return hasUnbatchedTerm(ops[0]);
    if (node->kind == K::Mul && !ops[0]->type.batched)
      return hasUnbatchedTerm(ops[1]);
    return false;
  default:
    return false;
  }
}

/// The loss of a batch is the mean of the per-instance losses. The mean is
/// pushed through sums, differences and scaling by unbatched values down to
/// the unbatched terms, so that a term like `1e-3 * l2(params)` is added
/// once: mean(a + r) = mean(a) + r.
const tir::Node *Sema::batchMean(const tir::Node *node) {
  using K = tir::NodeKind;
  if (!node || !node->type.batched)
    return node;
  SMLoc loc; // the nodes keep their operands' locations below
  auto rebuild = [&](K kind, const tir::Node *a,
                     const tir::Node *b) -> const tir::Node * {
    if (!a || !b)
      return nullptr;
    tir::Node *out = make(kind, node->type.dims, false, loc, {a, b});
    if (out)
      out->loc = node->loc;
    return out;
  };
  const auto &ops = node->operands;
  switch (node->kind) {
  case K::Add:
  case K::Sub:
    if (hasUnbatchedTerm(node) &&
        sameSizes(ops[0]->type.dims, node->type.dims) &&
        sameSizes(ops[1]->type.dims, node->type.dims))
      return rebuild(node->kind, batchMean(ops[0]), batchMean(ops[1]));
    break;
  case K::Mul:
  case K::Div:
    if (!ops[1]->type.batched && ops[1]->type.rank() == 0)
      return rebuild(node->kind, batchMean(ops[0]), ops[1]);
    if (node->kind == K::Mul && !ops[0]->type.batched &&
        ops[0]->type.rank() == 0)
      return rebuild(node->kind, ops[0], batchMean(ops[1]));
    break;
  case K::Neg: {
    const tir::Node *inner = batchMean(ops[0]);
    if (!inner)
      return nullptr;
    tir::Node *out = make(K::Neg, node->type.dims, false, loc, {inner});
    if (out)
      out->loc = node->loc;
    return out;
  }
  default:
    break;
  }
  // A per-step loss is summed over the real steps of each instance.
  std::vector<const tir::Node *> operands = {node};
  if (node->type.sequence && sequenceMask)
    operands.push_back(sequenceMask);
  tir::Node *out = make(K::BatchMean, node->type.dims, false, loc, operands);
  if (out)
    out->loc = node->loc;
  return out;
}

/// A table gives `forward` one vector of features per instance.
void Sema::checkDataAgainstForward(Instance &model) {
  if (!trainSpec || !trainCheck.data)
    return;
  const ast::FuncDecl *forward = model.funcs.lookup("forward");
  if (!forward)
    return;
  const Expr &data = *trainCheck.data->value;
  if (forward->params.size() != 1) {
    error(forward->loc, "the data gives one vector of features per instance, "
                        "but 'forward' takes " +
                            Twine(forward->params.size()) + " inputs");
    note(data.loc(), "the data is given here", data.range);
    return;
  }
  const ast::ParamSpec &input = forward->params.front();
  const DataSpec &dataSpec = trainSpec->data;
  if (dataSpec.kind != "csv") {
    // Text gives a sequence of tokens per instance, a series a sequence of
    // feature vectors.
    bool sequence = false, token = false;
    std::optional<Shape> shape = evalType(
        *input.type, model, "input '" + input.name + "'", &sequence, &token);
    if (!shape)
      return;
    bool tokens = dataSpec.kind != "series";
    int64_t features = int64_t(dataSpec.features.size());
    for (const auto &[kind, value] : options.dataDims)
      if (kind == "features")
        features = value;
    std::string expected =
        tokens ? "seq<token>"
               : "seq<[F]> with F = " + std::to_string(features) + " feature" +
                     (features == 1 ? "" : "s");
    bool matches =
        sequence && token == tokens &&
        (tokens || (shape->size() == 1 &&
                    (features == 0 || shape->front().size == features)));
    if (!matches) {
      error(input.type->range.Start,
            "the data gives " +
                Twine(tokens ? "a sequence of tokens"
                             : "a sequence of feature vectors") +
                " per instance, so 'forward' must take " + input.name + ": " +
                expected,
            input.type->range);
      note(data.loc(), "the data is given here", data.range);
    }
    return;
  }
  std::optional<Shape> shape =
      evalType(*input.type, model, "input '" + input.name + "'");
  if (!shape)
    return;
  if (shape->size() > 1) {
    error(input.type->range.Start,
          "the data gives a vector of features per instance, but 'forward' "
          "takes " +
              input.name + ": " + formatShape(*shape),
          input.type->range);
    note(data.loc(), "the data is given here", data.range);
    return;
  }
  int64_t size = shape->empty() ? 1 : shape->front().size;
  const DataSpec &spec = trainSpec->data;
  int64_t features = int64_t(spec.features.size());
  for (const auto &[kind, value] : options.dataDims)
    if (kind == "features")
      features = value;
  if (features == 0 || features == size)
    return;
  std::string listed;
  if (!spec.features.empty())
    listed = " (" + joinNames(spec.features) + ")";
  error(input.type->range.Start,
        "'forward' takes " + input.name + ": " + formatShape(*shape) +
            " but the data has " + Twine(features) + " feature" +
            (features == 1 ? "" : "s") + listed,
        input.type->range);
  note(data.loc(), "the data is given here", data.range);
}

/// The `loss` entry point: the forward's inputs, then the target; the value
/// is the loss of one instance, and the entry returns its mean over the
/// batch.
void Sema::elaborateLoss(Instance &model) {
  if (!selectedTrain) {
    error(modelDecl->loc, "model '" + modelDecl->name +
                              "' has no train block, so it has no loss to "
                              "compile: expected 'train " +
                              modelDecl->name + " { loss = ... }'");
    return;
  }
  if (!trainCheck.loss) {
    error(selectedTrain->loc,
          "the train block of '" + selectedTrain->name +
              "' has no 'loss': expected a line like 'loss = "
              "cross_entropy(forward(x), y)'");
    return;
  }
  const ast::FuncDecl *forward = model.funcs.lookup("forward");
  if (!forward)
    return; // reported with the model
  const Expr &lossExpr = *trainCheck.loss->value;

  paramNodes.clear();
  sequenceMask = nullptr;
  tir::EntryPoint entry;
  entry.name = "loss";
  entry.loc = toLoc(trainCheck.loss->keyLoc);
  Scope scope{&model, nullptr, {}};
  for (const ast::ParamSpec &param : forward->params) {
    bool sequence = false, token = false;
    std::optional<Shape> shape = evalType(
        *param.type, model, "input '" + param.name + "'", &sequence, &token);
    if (!shape)
      return;
    if (!addInput(entry, scope, param, *shape, sequence, token))
      return;
  }
  LossTarget target;
  target.spec = trainSpec.get();
  target.hasData = trainCheck.data != nullptr;
  target.entry = &entry;
  scope.target = &target;

  unsigned errorsBefore = errorCount;
  const tir::Node *value = evalExpr(lossExpr, scope);
  contextNote(errorsBefore, trainCheck.loss->keyLoc,
              "in the loss of model '" + modelDecl->name + "'");
  if (!value)
    return;
  if (value->type.elem != tir::ElemKind::Float || value->type.rank() != 0) {
    error(lossExpr.loc(),
          "the loss must be one number per instance, got " +
              (value->type.elem == tir::ElemKind::Token
                   ? std::string("a class index")
                   : formatShape(value->type.dims)) +
              ": reduce it, like sum(...) or mean(...)",
          lossExpr.range);
    return;
  }

  // A target the expression does not use is still an input, so that the
  // loss always takes the forward's inputs and then the target.
  const DataSpec &data = trainSpec->data;
  if (!target.node && target.hasData && data.targetKind != TargetKind::None) {
    std::string name = "y";
    while (scope.locals.count(name))
      name += "_";
    Expr fake(Expr::Kind::Ident, lossExpr.range);
    fake.text = name;
    if (!bindTarget(fake, scope))
      return;
  }
  entry.result = batchMean(value);
  if (entry.result)
    finishEntry(entry);
}

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//

/// The model to compile: named by the options, or the last one of the main
/// file.
const ast::BlockDecl *Sema::selectModel() {
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
      return nullptr;
    }
    return it->second;
  }
  const ast::BlockDecl *last = nullptr;
  for (const auto &decl : module.mainFile().decls)
    if (const auto *block = llvm::dyn_cast<ast::BlockDecl>(decl.get()))
      if (block->isModel())
        last = block;
  if (!last)
    fileError("no model to compile: expected a 'model' definition");
  return last;
}

std::optional<tir::Program> Sema::run() {
  collectGlobals();
  modelDecl = selectModel();
  if (!modelDecl)
    return std::nullopt;

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
  checkDataAgainstForward(model);
  if (options.withLoss && !failed) {
    elaborateLoss(model);
  } else if (!failed && selectedTrain && trainCheck.loss) {
    // Checked even when it is not compiled: `seqc compile` of a model whose
    // loss is wrong must not succeed.
    size_t entries = program.entries.size();
    elaborateLoss(model);
    program.entries.resize(entries);
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

std::optional<TrainSpec> Sema::runTrain() {
  // Only the train block is checked here; elaborate checks the rest.
  collectGlobals(/*checkBlocks=*/false);
  modelDecl = selectModel();
  if (!modelDecl)
    return std::nullopt;
  const ast::TrainDecl *train = nullptr;
  for (const ast::TrainDecl *candidate : trains) {
    if (candidate->name != modelDecl->name)
      continue;
    if (train) {
      // Files are collected last-used first; report the later block.
      const ast::TrainDecl *later =
          candidate->keywordLoc.getPointer() > train->keywordLoc.getPointer()
              ? candidate
              : train;
      const ast::TrainDecl *earlier = later == candidate ? train : candidate;
      error(later->keywordLoc,
            "duplicate train block for model '" + later->name + "'");
      note(earlier->loc, "previous train block is here");
      return std::nullopt;
    }
    train = candidate;
  }
  if (!train) {
    error(modelDecl->loc, "model '" + modelDecl->name +
                              "' has no train block: expected 'train " +
                              modelDecl->name + " { data = ..., loss = ... }'");
    return std::nullopt;
  }
  checkTrain(*train, /*selected=*/true);
  if (failed)
    return std::nullopt;
  if (!trainCheck.data)
    error(train->loc, "the train block of '" + train->name +
                          "' has no 'data': expected a line like 'data = "
                          "csv(\"data.csv\", label = \"y\")'");
  if (!trainCheck.loss)
    error(train->loc, "the train block of '" + train->name +
                          "' has no 'loss': expected a line like 'loss = "
                          "cross_entropy(forward(x), y)'");
  if (failed)
    return std::nullopt;
  return *trainSpec;
}

std::optional<tir::Program> seqc::elaborate(const ast::Module &module,
                                            llvm::SourceMgr &srcMgr,
                                            const FrontendOptions &options) {
  if (module.files.empty())
    return std::nullopt;
  Sema sema(module, srcMgr, options);
  return sema.run();
}

std::optional<TrainSpec> seqc::analyzeTrain(const ast::Module &module,
                                            llvm::SourceMgr &srcMgr,
                                            const FrontendOptions &options) {
  if (module.files.empty())
    return std::nullopt;
  Sema sema(module, srcMgr, options);
  return sema.runTrain();
}
