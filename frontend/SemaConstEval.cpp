//===- SemaConstEval.cpp - Compile-time values ----------------------------===//
//
// Values known at compile time, in the dimensions of one instance:
// integers (dimension sizes, indices, the options of builtins), numbers
// (initializers, the initial values of states) and types (shapes,
// sequences and tokens).
//
//===----------------------------------------------------------------------===//

#include "SemaImpl.h"

#include "llvm/Support/MathExtras.h"

#include <limits>

using namespace seqc;
using namespace seqc::sema;

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
                                    StringRef what, bool *sequence,
                                    bool *token) {
  if (sequence)
    *sequence = false;
  if (token)
    *token = false;
  if (sequence && type.kind == ast::TypeExpr::Kind::Seq && type.element &&
      type.element->kind != ast::TypeExpr::Kind::Seq) {
    *sequence = true;
    return evalType(*type.element, inst, what, nullptr, token);
  }
  if (token && type.kind == ast::TypeExpr::Kind::Token) {
    *token = true;
    return Shape{};
  }
  if (type.kind != ast::TypeExpr::Kind::Shape) {
    bool nested = type.kind == ast::TypeExpr::Kind::Seq && sequence;
    error(type.range.Start,
          nested ? "a sequence of sequences is not supported: " + what +
                       " must be seq<[...]> or seq<token>"
                 : (type.kind == ast::TypeExpr::Kind::Seq
                        ? "a sequence type is not allowed here: "
                        : "'token' is not allowed here: ") +
                       what + " must have a shape like '[H]'",
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
