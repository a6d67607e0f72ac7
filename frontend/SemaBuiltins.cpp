//===- SemaBuiltins.cpp - Builtin functions -------------------------------===//
//
// The tables of builtin functions, losses and initializers, and the
// elaboration of a call of a builtin function: its arguments, its
// compile-time options and its shape rule. Losses are in SemaLosses.cpp.
//
//===----------------------------------------------------------------------===//

#include "SemaImpl.h"

using namespace seqc;
using namespace seqc::sema;

const std::vector<Builtin> &sema::builtins() {
  using K = tir::NodeKind;
  static const std::vector<Builtin> table = {
#define SEQC_UNARY_BUILTIN(Kind, name)                                         \
  {name, K::Kind, ShapeRule::Elementwise, {{"x", ArgKind::Tensor, 0}}},
#define SEQC_UNARY_ALPHA_BUILTIN(Kind, name, alphaDefault)                     \
  {name,                                                                       \
   K::Kind,                                                                    \
   ShapeRule::Elementwise,                                                     \
   {{"x", ArgKind::Tensor, 0}, {"alpha", ArgKind::Number, alphaDefault}}},
#include "seqc/Frontend/Builtins.def"
      {"identity",
       K::Identity,
       ShapeRule::Elementwise,
       {{"x", ArgKind::Tensor, 0}}},
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

const Builtin *sema::lookupBuiltin(StringRef name) {
  for (const Builtin &builtin : builtins())
    if (name == builtin.name)
      return &builtin;
  return nullptr;
}

const std::vector<LossBuiltin> &sema::lossBuiltins() {
  static const std::vector<LossBuiltin> table = {
#define SEQC_LOSS(Kind, name, ...) {LossKind::Kind, name, {__VA_ARGS__}},
#include "seqc/Frontend/Losses.def"
  };
  return table;
}

const LossBuiltin *sema::lookupLossBuiltin(StringRef name) {
  for (const LossBuiltin &builtin : lossBuiltins())
    if (name == builtin.name)
      return &builtin;
  return nullptr;
}

bool sema::isBuiltinName(StringRef name) {
  return lookupBuiltin(name) || lookupLossBuiltin(name);
}

static std::string builtinSignature(const Builtin &builtin) {
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

const std::vector<InitializerInfo> &sema::initializers() {
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
    if (!operand || !requireFloat(operand, *value))
      return nullptr;
    batched |= operand->type.batched;
    operands.push_back(operand);
  }

  // `axis = time`: over the steps of a sequence, padding left out.
  if (builtin.args.size() > 1 && !binding.values[1].empty() &&
      StringRef(builtin.args[1].name) == "axis") {
    const Expr &axisExpr = *binding.values[1].front();
    if (axisExpr.kind == Expr::Kind::Ident && axisExpr.text == "time")
      return overTime(builtin, operands.front(), *binding.values[0].front(),
                      axisExpr, call);
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
    // Over all axes of a scalar: the scalar itself.
    if (!intOption && shape.empty())
      return x;
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

const tir::Node *Sema::overTime(const Builtin &builtin, const tir::Node *x,
                                const Expr &xExpr, const Expr &axisExpr,
                                const Expr &call) {
  using K = tir::NodeKind;
  K kind;
  switch (builtin.kind) {
  case K::Softmax:
    kind = K::SoftmaxOverTime;
    break;
  case K::ReduceSum:
    kind = K::SumOverTime;
    break;
  case K::ReduceMean:
    kind = K::MeanOverTime;
    break;
  case K::ReduceMax:
    kind = K::MaxOverTime;
    break;
  default:
    error(axisExpr.loc(),
          "'" + Twine(builtin.name) +
              "' has no 'axis = time'; softmax, sum, mean and max do",
          axisExpr.range);
    return nullptr;
  }
  if (!x->type.sequence) {
    error(xExpr.loc(),
          "'axis = time' needs a sequence, got " + formatShape(x->type.dims) +
              " (one value per instance)",
          xExpr.range);
    return nullptr;
  }
  tir::Node *mask = maskOf(x);
  if (!mask) {
    error(xExpr.loc(), "internal error: this sequence has no padding mask",
          xExpr.range);
    return nullptr;
  }
  return make(kind, x->type.dims, x->type.batched, call.loc(), {x, mask});
}
