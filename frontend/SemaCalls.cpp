//===- SemaCalls.cpp - Calls of functions, layers and cells ---------------===//
//
// Calls: a call of a `fn` or of a layer instance's forward is inlined (the
// arguments checked against the declared types, the body elaborated in a
// scope of its own); a cell instance applied to a sequence becomes a scan;
// bidir applies a cell in both directions, and last takes the final step.
//
//===----------------------------------------------------------------------===//

#include "SemaImpl.h"

using namespace seqc;
using namespace seqc::sema;

/// Calls are inlined; beyond this nesting the program is surely a mistake,
/// and refusing keeps sema's recursion shallow.
static constexpr unsigned kMaxCallDepth = 256;

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

/// "h, C" or "none": the names of a cell's states or contexts in messages.
static std::string slotNames(llvm::ArrayRef<ast::StateSpec> slots) {
  std::string names;
  for (const ast::StateSpec &slot : slots)
    names += (names.empty() ? "'" : ", '") + slot.name + "'";
  return names.empty() ? "none" : names;
}

/// `rnn(xs)` with `rnn` an instance of a cell: the cell's step runs over
/// the time axis of `xs` (of all its inputs, `dec(ys, fs)`, which share
/// it). Keyword arguments give a state's initial value (`h = last(enc)`)
/// or a context (`hs = enc(x)`). The states at t-1 and the inputs at t are
/// StepArg nodes; the assignments are evaluated in order (a state assigned
/// is its new value from there on); the result is the sequence of `out`s.
const tir::Node *Sema::callCell(const ast::CellDecl &cell, Instance &inst,
                                const Expr &call, Scope &callerScope,
                                bool reverse) {
  const Expr &callee = *call.lhs;
  size_t numInputs = std::max<size_t>(1, cell.inputs.size());
  std::vector<const Expr *> positional;
  std::vector<const ast::Arg *> keywords;
  for (const ast::Arg &arg : call.args)
    (arg.keyword.empty() ? positional.push_back(arg.value.get())
                         : keywords.push_back(&arg));
  if (positional.size() != numInputs) {
    std::string inputs = cell.inputs.empty()
                             ? "one sequence, like '" + callee.text + "(x)'"
                             : Twine(numInputs).str() + " sequences (" +
                                   slotNames(cell.inputs) + ")";
    error(callee.loc(),
          "'" + callee.text + "' (a cell) takes " + inputs + ", got " +
              Twine(positional.size()) +
              (keywords.empty() ? "" : " and keyword arguments"),
          call.range);
    return nullptr;
  }
  std::vector<const tir::Node *> sequences;
  for (size_t i = 0; i < numInputs; ++i) {
    const Expr &argExpr = *positional[i];
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
    if (!sequences.empty() && xs->type.time != sequences[0]->type.time) {
      error(argExpr.loc(),
            "the inputs of '" + callee.text +
                "' must run along one time "
                "axis, but this one has " +
                describeTime(xs->type.time) + " and the first " +
                describeTime(sequences[0]->type.time),
            argExpr.range);
      return nullptr;
    }
    if (!cell.inputs.empty()) {
      const ast::StateSpec &input = cell.inputs[i];
      std::optional<Shape> shape =
          evalType(input.type, inst, "input '" + input.name + "'");
      if (!shape)
        return nullptr;
      if (!sameSizes(*shape, xs->type.dims)) {
        error(argExpr.loc(),
              "shape mismatch: input '" + input.name + "' of cell '" +
                  cell.name + "' is " + formatShape(*shape) +
                  " per step, got " + describeType(xs->type),
              argExpr.range);
        note(input.loc, "'" + input.name + "' is declared here");
        return nullptr;
      }
    }
    sequences.push_back(xs);
  }

  // Keyword arguments: contexts and initial states.
  llvm::StringMap<const tir::Node *> given;
  for (const ast::Arg *arg : keywords) {
    const Expr &valueExpr = *arg->value;
    auto isNamed = [&](const ast::StateSpec &slot) {
      return slot.name == arg->keyword;
    };
    const ast::StateSpec *state = nullptr, *context = nullptr;
    if (auto it = llvm::find_if(cell.states, isNamed); it != cell.states.end())
      state = &*it;
    if (auto it = llvm::find_if(cell.contexts, isNamed);
        it != cell.contexts.end())
      context = &*it;
    if (!state && !context) {
      error(arg->keywordLoc,
            "cell '" + cell.name + "' has no state or context '" +
                arg->keyword + "' (states: " + slotNames(cell.states) +
                "; contexts: " + slotNames(cell.contexts) + ")");
      return nullptr;
    }
    if (given.count(arg->keyword)) {
      error(arg->keywordLoc, "'" + arg->keyword + "' is given twice");
      return nullptr;
    }
    const tir::Node *value = evalExpr(valueExpr, callerScope);
    if (!value || !requireFloat(value, valueExpr))
      return nullptr;
    const ast::StateSpec &slot = state ? *state : *context;
    bool sequence = false;
    std::optional<Shape> shape = evalType(
        slot.type, inst, (state ? "state '" : "context '") + slot.name + "'",
        state ? nullptr : &sequence);
    if (!shape)
      return nullptr;
    if (!sameSizes(*shape, value->type.dims) ||
        sequence != value->type.sequence) {
      std::string expected =
          sequence ? "seq<" + formatShape(*shape) + ">" : formatShape(*shape);
      error(valueExpr.loc(),
            "type mismatch: " +
                Twine(state ? "the initial value of state '" : "context '") +
                slot.name + "' of cell '" + cell.name + "' must be " +
                expected + ", got " + describeType(value->type) +
                (state && value->type.sequence
                     ? " (one value per instance: take a step, like "
                       "last(...))"
                     : ""),
            valueExpr.range);
      note(slot.loc, "'" + slot.name + "' is declared here");
      return nullptr;
    }
    given[arg->keyword] = value;
  }
  for (const ast::StateSpec &context : cell.contexts)
    if (!given.count(context.name)) {
      error(callee.loc(),
            "'" + callee.text + "' (cell '" + cell.name +
                "') needs its context '" + context.name + "', like '" +
                callee.text + "(x, " + context.name + " = ...)'",
            call.range);
      note(context.loc, "'" + context.name + "' is declared here");
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
    step->stateInitValues.push_back(given.lookup(state.name));
    prev[state.name] = arg;
  }
  if (!ok)
    return nullptr;
  for (size_t i = 0; i < numInputs; ++i) {
    const Expr &argExpr = *positional[i];
    tir::Node *x = make(tir::NodeKind::StepArg, sequences[i]->type.dims, true,
                        argExpr.loc());
    if (!x)
      return nullptr;
    x->inputIndex = cell.states.size() + i;
    step->sequenceArgs.push_back(x);
    StringRef name = cell.inputs.empty() ? StringRef("x")
                                         : StringRef(cell.inputs[i].name);
    scope.locals[name] = Local{x, argExpr.loc()};
  }
  for (const ast::StateSpec &context : cell.contexts)
    scope.locals[context.name] = Local{given.lookup(context.name), context.loc};

  unsigned errorsBefore = errorCount;
  for (const ast::Stmt &stmt : cell.body) {
    const tir::Node *value = evalExpr(*stmt.value, scope);
    if (!value) {
      ok = false;
      break;
    }
    if (const tir::Node *old = prev.lookup(stmt.name)) {
      if (value->type.sequence) {
        error(stmt.value->loc(),
              "state '" + stmt.name + "' of cell '" + cell.name +
                  "' is one value per step, but its new value is a "
                  "sequence (" +
                  describeTime(value->type.time) +
                  "): reduce it over time, like sum(w * hs, axis = time)",
              stmt.value->range);
        ok = false;
        break;
      }
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
    } else if (out && out->type.sequence) {
      error(cell.out->loc(),
            "the output of cell '" + cell.name +
                "' is one value per step, but this is a sequence (" +
                describeTime(out->type.time) +
                "): reduce it over time, like sum(w * hs, axis = time)",
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
  std::vector<const tir::Node *> operands = sequences;
  if (tir::Node *mask = maskOf(sequences.front()))
    operands.push_back(mask);
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
