//===- SemaCells.cpp - Checks of cell definitions -------------------------===//
//
// A cell is one step of a recurrence written in the lecture's notation:
//
//   cell Elman(P, H) {                 # x[t]: [P]
//     param W: [H, H], U: [H, P], b: [H]
//     state h: [H] = 0
//     h = tanh(W @ h[t-1] + U @ x[t] + b)
//     out h
//   }
//
// checkCell checks what does not depend on the dimensions' sizes: names,
// time indices, the order of reads and writes of the states, and `out`.
//
//===----------------------------------------------------------------------===//

#include "SemaSupport.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

using namespace seqc;
using namespace seqc::sema;
using ast::Expr;
using llvm::SMLoc;
using llvm::StringRef;
using llvm::Twine;

namespace {

class CellChecker {
public:
  CellChecker(const ast::CellDecl &cell, Reporter &reporter)
      : cell(cell), reporter(reporter) {}

  bool run();

private:
  void error(SMLoc loc, const Twine &message,
             llvm::ArrayRef<llvm::SMRange> ranges = {}) {
    ok = false;
    reporter.error(loc, message, ranges);
  }
  const ast::StateSpec *state(StringRef name) const {
    for (const ast::StateSpec &s : cell.states)
      if (s.name == name)
        return &s;
    return nullptr;
  }
  /// A per-step input: a declared `input`, or `x` when there is none.
  bool input(StringRef name) const {
    if (cell.inputs.empty())
      return name == "x";
    return llvm::any_of(cell.inputs, [&](const ast::StateSpec &slot) {
      return slot.name == name;
    });
  }
  bool context(StringRef name) const {
    return llvm::any_of(cell.contexts, [&](const ast::StateSpec &slot) {
      return slot.name == name;
    });
  }
  /// The step offset of a time index (`t` -> 0, `t-1` -> -1, `t+1` -> 1),
  /// or nullopt if the index does not mention `t` at all.
  std::optional<int64_t> timeOffset(const Expr &index, bool &mentionsT);
  void visit(const Expr &expr);
  void readState(const ast::StateSpec &s, int64_t offset, const Expr &at);

  const ast::CellDecl &cell;
  Reporter &reporter;
  llvm::StringSet<> assigned;
  bool ok = true;
};

bool mentions(const Expr &expr, StringRef name) {
  if (expr.kind == Expr::Kind::Ident)
    return expr.text == name;
  if (expr.lhs && mentions(*expr.lhs, name))
    return true;
  if (expr.rhs && mentions(*expr.rhs, name))
    return true;
  for (const ast::Arg &arg : expr.args)
    if (arg.value && mentions(*arg.value, name))
      return true;
  for (const ast::IndexItem &item : expr.indices)
    if ((item.start && mentions(*item.start, name)) ||
        (item.stop && mentions(*item.stop, name)))
      return true;
  for (const auto &element : expr.elements)
    if (mentions(*element, name))
      return true;
  return false;
}

} // namespace

std::optional<int64_t> CellChecker::timeOffset(const Expr &index,
                                               bool &mentionsT) {
  mentionsT = mentions(index, "t");
  if (!mentionsT)
    return std::nullopt;
  if (index.kind == Expr::Kind::Ident)
    return 0;
  if (index.kind == Expr::Kind::Binary &&
      (index.op == ast::BinaryOp::Add || index.op == ast::BinaryOp::Sub) &&
      index.lhs->kind == Expr::Kind::Ident && index.lhs->text == "t" &&
      index.rhs->kind == Expr::Kind::Number && index.rhs->isInteger)
    return index.op == ast::BinaryOp::Add ? index.rhs->integer
                                          : -index.rhs->integer;
  return std::nullopt;
}

void CellChecker::readState(const ast::StateSpec &s, int64_t offset,
                            const Expr &at) {
  if (offset == -1 && !s.init)
    error(at.loc(),
          "state '" + s.name +
              "' is read at t-1 but has no initial value: "
              "give it one, like 'state " +
              s.name + ": [...] = 0'",
          at.range);
  if (offset == 0 && !assigned.contains(s.name))
    error(at.loc(),
          "state '" + s.name +
              "' is read before it is assigned in this step: write '" + s.name +
              "[t-1]' for its previous value",
          at.range);
}

void CellChecker::visit(const Expr &expr) {
  switch (expr.kind) {
  case Expr::Kind::Ident:
    if (expr.text == "t")
      error(expr.loc(),
            "'t' is only allowed as a time index, like 'x[t]' or 'h[t-1]'",
            expr.range);
    else if (const ast::StateSpec *s = state(expr.text))
      readState(*s, 0, expr);
    return;
  case Expr::Kind::Index: {
    const Expr &base = *expr.lhs;
    bool mentionsT = false;
    std::optional<int64_t> offset;
    const ast::IndexItem *first =
        expr.indices.empty() ? nullptr : &expr.indices.front();
    if (first && !first->isSlice && first->start)
      offset = timeOffset(*first->start, mentionsT);
    for (size_t i = 0; i < expr.indices.size(); ++i) {
      const ast::IndexItem &item = expr.indices[i];
      if (i == 0 && mentionsT)
        continue;
      if (item.start)
        visit(*item.start);
      if (item.stop)
        visit(*item.stop);
    }
    if (!mentionsT) {
      visit(base);
      return;
    }
    const ast::StateSpec *s =
        base.kind == Expr::Kind::Ident ? state(base.text) : nullptr;
    bool isInput = base.kind == Expr::Kind::Ident && input(base.text);
    if (!s && !isInput) {
      bool isContext = base.kind == Expr::Kind::Ident && context(base.text);
      error(first->range.Start,
            "time index on '" + sourceText(base) + "': " +
                (isContext ? "a context is read whole at every step, not "
                             "by time"
                           : "only the inputs and the states of cell '" +
                                 cell.name + "' are indexed by time"),
            first->range);
      return;
    }
    if (!offset || *offset > 0 || *offset < -1) {
      error(first->range.Start,
            "time index '" + sourceText(*first->start) +
                "' is not supported: only 't' (this step) and 't-1' (the "
                "previous step) are",
            first->range);
      return;
    }
    if (isInput) {
      if (*offset != 0)
        error(first->range.Start,
              "the input is read at 't' only: 'x[t]' (keep a state for an "
              "earlier input)",
              first->range);
      return;
    }
    readState(*s, *offset, expr);
    return;
  }
  case Expr::Kind::Call:
    // The callee is a function or builtin name, not a value.
    if (expr.lhs && expr.lhs->kind != Expr::Kind::Ident)
      visit(*expr.lhs);
    for (const ast::Arg &arg : expr.args)
      if (arg.value)
        visit(*arg.value);
    return;
  default:
    if (expr.lhs)
      visit(*expr.lhs);
    if (expr.rhs)
      visit(*expr.rhs);
    for (const auto &element : expr.elements)
      visit(*element);
    return;
  }
}

bool CellChecker::run() {
  llvm::StringMap<SMLoc> names;
  auto declare = [&](StringRef what, StringRef name, SMLoc loc) {
    auto [it, inserted] = names.try_emplace(name, loc);
    if (!inserted) {
      error(loc, "duplicate definition of " + what + " '" + name + "'");
      reporter.note(it->second, "previous definition is here");
    } else if (name == "t" || (name == "x" && cell.inputs.empty())) {
      error(loc, "'" + name + "' is reserved in a cell (" +
                     (name == "x" ? "the input" : "the time index") + ")");
    }
  };
  for (const ast::DimDecl &dim : cell.dims)
    declare("dimension", dim.name, dim.loc);
  for (const auto &member : cell.members)
    declare("parameter", member->name, member->loc);
  for (const ast::StateSpec &s : cell.inputs)
    declare("input", s.name, s.loc);
  for (const ast::StateSpec &s : cell.contexts)
    declare("context", s.name, s.loc);
  for (const ast::StateSpec &s : cell.states)
    declare("state", s.name, s.loc);

  for (const ast::Stmt &stmt : cell.body) {
    visit(*stmt.value);
    if (input(stmt.name) || stmt.name == "t") {
      error(stmt.nameLoc, "cannot assign to '" + stmt.name + "' in a cell");
      continue;
    }
    auto it = names.find(stmt.name);
    if (it != names.end() && !state(stmt.name)) {
      error(stmt.nameLoc, "cannot assign to '" + stmt.name +
                              "': only states and new local names are "
                              "assigned in a cell");
      continue;
    }
    assigned.insert(stmt.name);
  }
  if (cell.out)
    visit(*cell.out);
  else
    error(cell.bodyEnd, "cell '" + cell.name +
                            "' has no 'out': expected its per-step output, "
                            "like 'out h'");
  for (const ast::StateSpec &s : cell.states)
    if (!assigned.contains(s.name) && s.name != "x" && s.name != "t")
      error(s.loc, "state '" + s.name + "' of cell '" + cell.name +
                       "' is never assigned: expected an assignment like '" +
                       s.name + " = ...' that gives its new value");
  return ok;
}

bool seqc::sema::checkCell(const ast::CellDecl &cell, Reporter &reporter) {
  return CellChecker(cell, reporter).run();
}
