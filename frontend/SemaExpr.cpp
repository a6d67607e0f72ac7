//===- SemaExpr.cpp - Expressions -----------------------------------------===//
//
// Expressions: names, arithmetic, matrix products and indexing, and the
// dispatch of a call to a function, a layer or cell instance, a builtin
// or a loss. Every node of the typed IR is made here (make), within the
// limits on the program's size.
//
//===----------------------------------------------------------------------===//

#include "SemaImpl.h"

#include <algorithm>

using namespace seqc;
using namespace seqc::sema;

/// Inlining can blow up (fn calling fn twice, ten levels deep); beyond this
/// many operations the program is surely a mistake, and refusing keeps sema
/// fast.
static constexpr size_t kMaxNodes = 250000;
/// Consumers of the typed IR (printer, MLIRGen) walk it recursively.
static constexpr unsigned kMaxNodeDepth = 5000;

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
  // result is a sequence too, along the same time axis. Last, BatchMean and
  // the reductions over time say otherwise.
  if (!reducesTime(kind)) {
    const tir::Node *first = nullptr;
    for (const tir::Node *operand : operands) {
      if (!operand->type.sequence)
        continue;
      if (first && operand->type.time != first->type.time) {
        error(loc, "the steps of two sequences of different lengths cannot "
                   "be combined: " +
                       describeTime(first->type.time) + " and " +
                       describeTime(operand->type.time) +
                       " (reduce one over time first, like sum(w * hs, axis "
                       "= time), or pass it to a cell as a context)");
        return nullptr;
      }
      first = operand;
      node->type.sequence = true;
      node->type.time = operand->type.time;
    }
  }
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
  // Text and series give a target per step: the next token, the next value;
  // tagged data the label of each token.
  // Pairs give the target per step of the decoder's input (y_in), the
  // last sequence input.
  node->type.sequence = data.kind == DataSourceKind::Text ||
                        data.kind == DataSourceKind::Series ||
                        data.kind == DataSourceKind::Tagged ||
                        data.kind == DataSourceKind::Pairs;
  if (node->type.sequence && !timeNames.empty())
    node->type.time = int(timeNames.size()) - 1;
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
