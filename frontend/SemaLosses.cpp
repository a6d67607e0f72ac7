//===- SemaLosses.cpp - Loss builtins -------------------------------------===//
//
// The losses (mse, sse, cross_entropy, nll, bce, bce_with_logits, kl_div,
// l2) and one_hot, desugared into nodes, in numerically stable forms where
// it matters: log(softmax(z)) is log_softmax(z), bce of a sigmoid works on
// the logits.
//
//===----------------------------------------------------------------------===//

#include "SemaImpl.h"

using namespace seqc;
using namespace seqc::sema;

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
  LossKind kind = builtin.kind;
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
  if (kind == LossKind::L2 && (allParams || ofInstance)) {
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
  if (kind == LossKind::OneHot) {
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

  if (kind == LossKind::OneHot) {
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
  if (kind == LossKind::L2)
    return reduceAll(K::ReduceSum, binaryOp(K::Mul, args[0], args[0], loc),
                     loc);

  // cross_entropy and nll take a class index or a distribution.
  if (kind == LossKind::CrossEntropy || kind == LossKind::NLL) {
    const tir::Node *p = args[0], *y = args[1];
    const tir::Node *logp = kind == LossKind::NLL ? p : nullptr;
    if (secondIsIndex) {
      if (p->type.rank() != 1) {
        error(first.loc(),
              name + " with a class index needs " + builtin.formals[0] +
                  " to be a vector with one " +
                  (kind == LossKind::NLL ? "log-probability" : "probability") +
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
  if (kind == LossKind::BCE && secondIsIndex) {
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
    for (const auto &[dim, size] : options.dataDims)
      if (dim == "classes" && size != 2) {
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

  if (kind == LossKind::MSE || kind == LossKind::SSE) {
    const tir::Node *d = binaryOp(K::Sub, a, b, loc);
    return reduceAll(kind == LossKind::MSE ? K::ReduceMean : K::ReduceSum,
                     binaryOp(K::Mul, d, d, loc), loc);
  }
  if (kind == LossKind::BCE || kind == LossKind::BCEWithLogits) {
    const tir::Node *inner = lookThrough(a);
    const tir::Node *elementwise = nullptr;
    if (kind == LossKind::BCEWithLogits) {
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
  if (kind == LossKind::KLDiv) {
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
