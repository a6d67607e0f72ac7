//===- GradCheckCases.cpp - The cases of the gradient checks --------------===//
//
// Writes the cases of GradCheckTest: for every seq op with a derivative rule
// and every loss as the frontend builds it, `@loss` in the seq dialect with
// `!T` for the float type, usually sum(op(params, inputs) * w) with fixed
// random weights w so that every output element matters; and reads their
// goldens. Each case has a twin of the same name in
// Inputs/make_grad_goldens.py.
//
//===----------------------------------------------------------------------===//
#include "GradCheckCases.h"

#include "llvm/ADT/StringExtras.h"

#include <fmt/format.h>

#include <memory>

using namespace seqc::rt;

namespace seqc::test {
namespace {

//===----------------------------------------------------------------------===//
// The cases
//===----------------------------------------------------------------------===//

/// `tensor<4x?x!T>`; -1 is a dynamic size.
std::string ty(std::vector<int64_t> shape, const std::string &elem = "!T") {
  std::string text = "tensor<";
  for (int64_t size : shape)
    text += (size < 0 ? std::string("?") : std::to_string(size)) + "x";
  return text + elem + ">";
}

std::string axesOf(size_t rank) {
  std::vector<std::string> axes;
  for (size_t i = 0; i < rank; ++i)
    axes.push_back(std::to_string(i));
  return "[" + llvm::join(axes, ", ") + "]";
}

/// Writes `@loss`: arguments, body lines, and the loss
/// sum(`result` * `weights`) of a `result` of shape `shape`.
class Fn {
public:
  Fn &param(const std::string &name, std::vector<int64_t> shape) {
    args.push_back(
        fmt::format("%{}: {} {{seq.param = \"{}\"}}", name, ty(shape), name));
    return *this;
  }
  Fn &input(const std::string &name, std::vector<int64_t> shape,
            const std::string &elem = "!T") {
    args.push_back(fmt::format("%{}: {} {{seq.input = \"{}\"}}", name,
                               ty(shape, elem), name));
    return *this;
  }
  Fn &line(const std::string &text) {
    body += "  " + text + "\n";
    return *this;
  }
  /// Returns the scalar `value`.
  std::string returning(const std::string &value) const {
    return fmt::format("func.func @loss({}) -> tensor<!T> {{\n{}  return %{} "
                       ": tensor<!T>\n}}\n",
                       llvm::join(args, ", "), body, value);
  }
  /// Returns sum(%value * %weights), %value of shape `shape`.
  std::string weightedSum(const std::string &value, std::vector<int64_t> shape,
                          const std::string &weights = "w") {
    line(fmt::format("%prod = seq.mul %{}, %{} : {}, {} -> {}", value, weights,
                     ty(shape), ty(shape), ty(shape)));
    if (shape.empty())
      return returning("prod");
    line(fmt::format("%loss = seq.reduce_sum %prod {} : {} -> {}",
                     axesOf(shape.size()), ty(shape), ty({})));
    return returning("loss");
  }

private:
  std::vector<std::string> args;
  std::string body;
};

void addElementwiseCases(std::vector<GradCase> &cases) {
  // op -> the attribute text after the operand
  const std::vector<std::pair<std::string, std::string>> unary = {
      {"neg", ""},
      {"sigmoid", ""},
      {"tanh", ""},
      {"relu", ""},
      {"exp", ""},
      {"log", ""},
      {"sqrt", ""},
      {"abs", ""},
      {"leaky_relu", " alpha = 0.1"},
      {"elu", " alpha = 0.7"},
      {"step", ""},
      {"sign", ""}};
  for (const auto &[op, attr] : unary) {
    Fn fn;
    fn.param("x", {4, 3}).input("w", {4, 3});
    fn.line(fmt::format("%y = seq.{} %x{} : {}", op, attr, ty({4, 3})));
    cases.push_back({op, fn.weightedSum("y", {4, 3})});
  }

  // Broadcasting forms: shapes of a, b and the result.
  struct Form {
    std::string name;
    std::vector<int64_t> a, b, out;
  };
  const std::vector<Form> forms = {
      {"same", {4, 3}, {4, 3}, {4, 3}},
      {"row", {4, 3}, {3}, {4, 3}},
      {"row_lhs", {3}, {4, 3}, {4, 3}},
      {"col", {4, 1}, {4, 3}, {4, 3}},
      {"col_rhs", {4, 3}, {4, 1}, {4, 3}},
      {"scalar", {4, 3}, {}, {4, 3}},
      {"scalar_lhs", {}, {4, 3}, {4, 3}},
      {"both", {2, 1, 3}, {4, 1}, {2, 4, 3}},
  };
  for (std::string op : {"add", "sub", "mul", "div"}) {
    for (const Form &form : forms) {
      Fn fn;
      fn.param("a", form.a).param("b", form.b).input("w", form.out);
      fn.line(fmt::format("%y = seq.{} %a, %b : {}, {} -> {}", op, ty(form.a),
                          ty(form.b), ty(form.out)));
      cases.push_back({op + "_" + form.name, fn.weightedSum("y", form.out)});
    }
    // A [3] parameter against a batch [?, 3] of inputs.
    {
      Fn fn;
      fn.input("x", {-1, 3}).param("b", {3}).input("w", {-1, 3});
      fn.line(fmt::format("%y = seq.{} %x, %b : {}, {} -> {}", op, ty({-1, 3}),
                          ty({3}), ty({-1, 3})));
      cases.push_back({op + "_row_batch", fn.weightedSum("y", {-1, 3})});
    }
    // A batch [?, 1] against a batch [?, 3].
    {
      Fn fn;
      fn.input("c", {-1, 1}).input("x", {-1, 3}).param("p", {3});
      fn.input("w", {-1, 3});
      fn.line(fmt::format("%xp = seq.mul %x, %p : {}, {} -> {}", ty({-1, 3}),
                          ty({3}), ty({-1, 3})));
      fn.line(fmt::format("%y = seq.{} %c, %xp : {}, {} -> {}", op, ty({-1, 1}),
                          ty({-1, 3}), ty({-1, 3})));
      cases.push_back({op + "_col_batch", fn.weightedSum("y", {-1, 3})});
    }
  }
}

void addMatmulCases(std::vector<GradCase> &cases) {
  const int64_t M = 2, K = 3, N = 4, B = 2;
  const std::vector<std::tuple<int, int, std::string>> ranks = {
      {2, 2, "matmul"},
      {3, 2, "matmul_batched_lhs"},
      {2, 3, "matmul_batched_rhs"},
      {3, 3, "matmul_batched_both"}};
  for (const auto &[lhsRank, rhsRank, prefix] : ranks) {
    for (bool ta : {false, true}) {
      for (bool tb : {false, true}) {
        std::vector<int64_t> a =
            ta ? std::vector<int64_t>{K, M} : std::vector<int64_t>{M, K};
        std::vector<int64_t> b =
            tb ? std::vector<int64_t>{N, K} : std::vector<int64_t>{K, N};
        std::vector<int64_t> out = {M, N};
        if (lhsRank == 3)
          a.insert(a.begin(), B);
        if (rhsRank == 3)
          b.insert(b.begin(), B);
        if (lhsRank == 3 || rhsRank == 3)
          out.insert(out.begin(), B);
        std::vector<std::string> flags;
        if (ta)
          flags.push_back("transpose_lhs");
        if (tb)
          flags.push_back("transpose_rhs");
        std::string attrs =
            flags.empty() ? "" : " {" + llvm::join(flags, ", ") + "}";
        Fn fn;
        fn.param("a", a).param("b", b).input("w", out);
        fn.line(fmt::format("%y = seq.matmul %a, %b{} : {}, {} -> {}", attrs,
                            ty(a), ty(b), ty(out)));
        std::string name = prefix + "_" + (ta ? "t" : "n") + (tb ? "t" : "n");
        cases.push_back({name, fn.weightedSum("y", out)});
      }
    }
  }
  {
    // A batch of matrices times a shared weight.
    Fn fn;
    fn.input("a", {-1, 2, 3}).param("b", {3, 4}).input("w", {-1, 2, 4});
    fn.line(fmt::format("%y = seq.matmul %a, %b : {}, {} -> {}", ty({-1, 2, 3}),
                        ty({3, 4}), ty({-1, 2, 4})));
    cases.push_back({"matmul_batch_shared", fn.weightedSum("y", {-1, 2, 4})});
  }
  {
    // The linear layer as MLIRGen emits it: x @ W^T + b.
    Fn fn;
    fn.param("W", {3, 4}).param("b", {3}).input("x", {-1, 4});
    fn.input("w", {-1, 3});
    fn.line(fmt::format("%z = seq.matmul %x, %W {{transpose_rhs}} : {}, {} "
                        "-> {}",
                        ty({-1, 4}), ty({3, 4}), ty({-1, 3})));
    fn.line(fmt::format("%y = seq.add %z, %b : {}, {} -> {}", ty({-1, 3}),
                        ty({3}), ty({-1, 3})));
    cases.push_back({"linear", fn.weightedSum("y", {-1, 3})});
  }
}

/// sum(`op` of x * w) for an op of one parameter x.
GradCase oneParam(const std::string &name, std::vector<int64_t> in,
                  std::vector<int64_t> out, const std::string &opLine) {
  Fn fn;
  fn.param("x", in).input("w", out);
  fn.line(opLine);
  return {name, fn.weightedSum("y", out)};
}

void addDataMovementCases(std::vector<GradCase> &cases) {
  cases.push_back(oneParam("transpose_2d", {3, 4}, {4, 3},
                           "%y = seq.transpose %x [1, 0] : " + ty({3, 4}) +
                               " -> " + ty({4, 3})));
  cases.push_back(oneParam("transpose_3d", {2, 3, 4}, {4, 2, 3},
                           "%y = seq.transpose %x [2, 0, 1] : " +
                               ty({2, 3, 4}) + " -> " + ty({4, 2, 3})));
  for (std::string op : {"softmax", "log_softmax"})
    for (int axis : {0, 1})
      cases.push_back(oneParam(
          fmt::format("{}_axis{}", op, axis), {4, 3}, {4, 3},
          fmt::format("%y = seq.{} %x axis = {} : {}", op, axis, ty({4, 3}))));
  cases.push_back(oneParam("softmax_3d", {2, 3, 4}, {2, 3, 4},
                           "%y = seq.softmax %x axis = 1 : " + ty({2, 3, 4})));
  cases.push_back(oneParam("maxout_k2", {4, 6}, {4, 3},
                           "%y = seq.maxout %x k = 2 : " + ty({4, 6}) + " -> " +
                               ty({4, 3})));
  cases.push_back(oneParam("maxout_k3", {3, 6}, {3, 2},
                           "%y = seq.maxout %x k = 3 : " + ty({3, 6}) + " -> " +
                               ty({3, 2})));
  {
    Fn fn;
    fn.param("a", {2, 3}).param("b", {2, 2}).input("w", {2, 5});
    fn.line(fmt::format("%y = seq.concat %a, %b axis = 1 : {}, {} -> {}",
                        ty({2, 3}), ty({2, 2}), ty({2, 5})));
    cases.push_back({"concat_axis1", fn.weightedSum("y", {2, 5})});
  }
  {
    Fn fn;
    fn.param("a", {1, 3}).param("b", {2, 3}).param("c", {3, 3});
    fn.input("w", {6, 3});
    fn.line(fmt::format("%y = seq.concat %a, %b, %c axis = 0 : {}, {}, {} -> "
                        "{}",
                        ty({1, 3}), ty({2, 3}), ty({3, 3}), ty({6, 3})));
    cases.push_back({"concat_axis0_three", fn.weightedSum("y", {6, 3})});
  }
  cases.push_back(oneParam("slice_axis1", {4, 5}, {4, 2},
                           "%y = seq.slice %x axis = 1 start = 1 size = 2 : " +
                               ty({4, 5}) + " -> " + ty({4, 2})));
  cases.push_back(oneParam("slice_axis0", {4, 5}, {2, 5},
                           "%y = seq.slice %x axis = 0 start = 2 size = 2 : " +
                               ty({4, 5}) + " -> " + ty({2, 5})));
  {
    // expand_dims, then a broadcast along the new axis.
    Fn fn;
    fn.param("x", {4, 3}).input("w", {4, 2, 3});
    fn.line("%e = seq.expand_dims %x axis = 1 : " + ty({4, 3}) + " -> " +
            ty({4, 1, 3}));
    fn.line(fmt::format("%y = seq.mul %e, %w : {}, {} -> {}", ty({4, 1, 3}),
                        ty({4, 2, 3}), ty({4, 2, 3})));
    fn.line(fmt::format("%loss = seq.reduce_sum %y [0, 1, 2] : {} -> {}",
                        ty({4, 2, 3}), ty({})));
    cases.push_back({"expand_dims", fn.returning("loss")});
  }
  cases.push_back(oneParam("squeeze", {4, 1, 3}, {4, 3},
                           "%y = seq.squeeze %x axis = 1 : " + ty({4, 1, 3}) +
                               " -> " + ty({4, 3})));

  // Embedding lookups with repeated rows.
  const std::vector<
      std::tuple<std::string, std::vector<int64_t>, std::vector<int64_t>>>
      gathers = {{"gather", {7}, {7, 3}},
                 {"gather_2d", {2, 3}, {2, 3, 3}},
                 {"gather_batch", {-1}, {-1, 3}}};
  for (const auto &[name, ids, out] : gathers) {
    Fn fn;
    fn.param("E", {5, 3}).input("ids", ids, "i64").input("w", out);
    fn.line(fmt::format("%y = seq.gather %E[%ids] : {}, {} -> {}", ty({5, 3}),
                        ty(ids, "i64"), ty(out)));
    cases.push_back({name, fn.weightedSum("y", out)});
  }

  // broadcast_like to the shape of w (whose values it does not read).
  const std::vector<std::pair<std::string, std::vector<int64_t>>> likes = {
      {"row", {3}}, {"col", {4, 1}}, {"scalar", {}}};
  for (const auto &[label, shape] : likes) {
    Fn fn;
    fn.param("x", shape).input("w", {4, 3});
    fn.line(fmt::format("%y = seq.broadcast_like %x, %w : {}, {} -> {}",
                        ty(shape), ty({4, 3}), ty({4, 3})));
    cases.push_back({"broadcast_like_" + label, fn.weightedSum("y", {4, 3})});
  }
  {
    Fn fn;
    fn.param("x", {3}).input("w", {-1, 3});
    fn.line(fmt::format("%y = seq.broadcast_like %x, %w : {}, {} -> {}",
                        ty({3}), ty({-1, 3}), ty({-1, 3})));
    cases.push_back({"broadcast_like_batch", fn.weightedSum("y", {-1, 3})});
  }
  cases.push_back(oneParam("pad_axis1", {3, 4}, {3, 7},
                           "%y = seq.pad %x axis = 1 before = 2 after = 1 : " +
                               ty({3, 4}) + " -> " + ty({3, 7})));
  cases.push_back(oneParam("pad_axis0", {3, 4}, {5, 4},
                           "%y = seq.pad %x axis = 0 before = 0 after = 2 : " +
                               ty({3, 4}) + " -> " + ty({5, 4})));
  const std::vector<
      std::tuple<std::string, std::vector<int64_t>, std::vector<int64_t>>>
      scatters = {{"scatter_add", {6}, {6, 3}},
                  {"scatter_add_2d", {2, 3}, {2, 3, 3}}};
  for (const auto &[name, ids, updates] : scatters) {
    Fn fn;
    fn.param("u", updates).input("ids", ids, "i64").input("w", {5, 3});
    fn.line(fmt::format("%y = seq.scatter_add %u[%ids] rows = 5 : {}, {} -> "
                        "{}",
                        ty(updates), ty(ids, "i64"), ty({5, 3})));
    cases.push_back({name, fn.weightedSum("y", {5, 3})});
  }
}

/// The data movement ops on a dynamic batch axis: %xp = x * p for a batch
/// of inputs x and a parameter p, moved by `opLine` into %y of shape `out`.
GradCase batchCase(const std::string &name, std::vector<int64_t> in,
                   std::vector<int64_t> param, std::vector<int64_t> out,
                   const std::string &opLine) {
  Fn fn;
  fn.input("x", in).param("p", param).input("w", out);
  fn.line(fmt::format("%xp = seq.mul %x, %p : {}, {} -> {}", ty(in), ty(param),
                      ty(in)));
  fn.line(opLine);
  return {name, fn.weightedSum("y", out)};
}

void addBatchDataMovementCases(std::vector<GradCase> &cases) {
  {
    Fn fn;
    fn.input("a", {-1, 2}).input("b", {-1, 3}).param("p", {5});
    fn.input("w", {-1, 5});
    fn.line(fmt::format("%ab = seq.concat %a, %b axis = 1 : {}, {} -> {}",
                        ty({-1, 2}), ty({-1, 3}), ty({-1, 5})));
    fn.line(fmt::format("%y = seq.mul %ab, %p : {}, {} -> {}", ty({-1, 5}),
                        ty({5}), ty({-1, 5})));
    cases.push_back({"concat_batch", fn.weightedSum("y", {-1, 5})});
  }
  cases.push_back(batchCase(
      "slice_batch", {-1, 5}, {5}, {-1, 2},
      "%y = seq.slice %xp axis = 1 start = 1 size = 2 : " + ty({-1, 5}) +
          " -> " + ty({-1, 2})));
  cases.push_back(batchCase(
      "pad_batch", {-1, 3}, {3}, {-1, 6},
      "%y = seq.pad %xp axis = 1 before = 2 after = 1 : " + ty({-1, 3}) +
          " -> " + ty({-1, 6})));
  cases.push_back(batchCase("maxout_batch", {-1, 6}, {6}, {-1, 3},
                            "%y = seq.maxout %xp k = 2 : " + ty({-1, 6}) +
                                " -> " + ty({-1, 3})));
  cases.push_back(batchCase("transpose_batch", {-1, 3}, {3}, {3, -1},
                            "%y = seq.transpose %xp [1, 0] : " + ty({-1, 3}) +
                                " -> " + ty({3, -1})));
  {
    Fn fn;
    fn.input("x", {-1, 3}).param("p", {3}).input("w", {-1, 2, 3});
    fn.line(fmt::format("%xp = seq.mul %x, %p : {}, {} -> {}", ty({-1, 3}),
                        ty({3}), ty({-1, 3})));
    fn.line("%e = seq.expand_dims %xp axis = 1 : " + ty({-1, 3}) + " -> " +
            ty({-1, 1, 3}));
    fn.line(fmt::format("%y = seq.mul %e, %w : {}, {} -> {}", ty({-1, 1, 3}),
                        ty({-1, 2, 3}), ty({-1, 2, 3})));
    fn.line(fmt::format("%loss = seq.reduce_sum %y [0, 1, 2] : {} -> {}",
                        ty({-1, 2, 3}), ty({})));
    cases.push_back({"expand_dims_batch", fn.returning("loss")});
  }
  cases.push_back(batchCase("squeeze_batch", {-1, 1, 3}, {3}, {-1, 3},
                            "%y = seq.squeeze %xp axis = 1 : " +
                                ty({-1, 1, 3}) + " -> " + ty({-1, 3})));
  for (std::string op : {"softmax", "log_softmax"})
    for (int axis : {0, 1})
      cases.push_back(batchCase(fmt::format("{}_batch_axis{}", op, axis),
                                {-1, 3}, {3}, {-1, 3},
                                fmt::format("%y = seq.{} %xp axis = {} : {}",
                                            op, axis, ty({-1, 3}))));
  {
    Fn fn;
    fn.input("u", {-1, 3}).input("ids", {-1}, "i64").param("p", {3});
    fn.input("w", {5, 3});
    fn.line(fmt::format("%up = seq.mul %u, %p : {}, {} -> {}", ty({-1, 3}),
                        ty({3}), ty({-1, 3})));
    fn.line(fmt::format("%y = seq.scatter_add %up[%ids] rows = 5 : {}, {} -> "
                        "{}",
                        ty({-1, 3}), ty({-1}, "i64"), ty({5, 3})));
    cases.push_back({"scatter_add_batch", fn.weightedSum("y", {5, 3})});
  }
}

void addReductionCases(std::vector<GradCase> &cases) {
  const std::vector<int64_t> shape = {3, 4, 5};
  const std::vector<std::pair<std::string, std::vector<int64_t>>> axisSets = {
      {"0", {0}},      {"1", {1}},      {"2", {2}},        {"0_2", {0, 2}},
      {"2_0", {2, 0}}, {"1_2", {1, 2}}, {"all", {0, 1, 2}}};
  for (std::string op : {"sum", "mean", "max"}) {
    for (const auto &[label, axes] : axisSets) {
      std::vector<int64_t> kept;
      for (int64_t d = 0; d < 3; ++d)
        if (!llvm::is_contained(axes, d))
          kept.push_back(shape[d]);
      std::vector<std::string> axisText;
      for (int64_t axis : axes)
        axisText.push_back(std::to_string(axis));
      cases.push_back(oneParam(
          "reduce_" + op + "_" + label, shape, kept,
          fmt::format("%y = seq.reduce_{} %x [{}] : {} -> {}", op,
                      llvm::join(axisText, ", "), ty(shape), ty(kept))));
    }
    // Over the dynamic batch axis, alone and with the feature axis.
    for (bool all : {false, true}) {
      std::vector<int64_t> out =
          all ? std::vector<int64_t>{} : std::vector<int64_t>{4};
      Fn fn;
      fn.input("x", {-1, 4}).param("p", {4}).input("w", out);
      fn.line(fmt::format("%xp = seq.mul %x, %p : {}, {} -> {}", ty({-1, 4}),
                          ty({4}), ty({-1, 4})));
      fn.line(fmt::format("%y = seq.reduce_{} %xp [{}] : {} -> {}", op,
                          all ? "0, 1" : "0", ty({-1, 4}), ty(out)));
      cases.push_back({"reduce_" + op + (all ? "_batch_all" : "_batch"),
                       fn.weightedSum("y", out)});
    }
  }
}

/// The logits z = x @ W^T + b ([?, C]) of the loss cases; the arguments W,
/// b, x come first, then the targets.
Fn linearLogits(int64_t classes) {
  Fn fn;
  fn.param("W", {classes, 4}).param("b", {classes}).input("x", {-1, 4});
  return fn;
}

void emitLogits(Fn &fn, int64_t classes) {
  fn.line(fmt::format("%z0 = seq.matmul %x, %W {{transpose_rhs}} : {}, {} -> "
                      "{}",
                      ty({-1, 4}), ty({classes, 4}), ty({-1, classes})));
  fn.line(fmt::format("%z = seq.add %z0, %b : {}, {} -> {}", ty({-1, classes}),
                      ty({classes}), ty({-1, classes})));
}

/// Lines computing %bce = relu(z) - z * t + log(1 + exp(-|z|)), [?, C].
void emitStableBCE(Fn &fn, int64_t classes) {
  std::string t = ty({-1, classes}), s = ty({});
  fn.line("%one = arith.constant dense<1.0> : " + s);
  fn.line("%r = seq.relu %z : " + t);
  fn.line(fmt::format("%zt = seq.mul %z, %t : {}, {} -> {}", t, t, t));
  fn.line("%a = seq.abs %z : " + t);
  fn.line("%na = seq.neg %a : " + t);
  fn.line("%e = seq.exp %na : " + t);
  fn.line(fmt::format("%e1 = seq.add %one, %e : {}, {} -> {}", s, t, t));
  fn.line("%lg = seq.log %e1 : " + t);
  fn.line(fmt::format("%d = seq.sub %r, %zt : {}, {} -> {}", t, t, t));
  fn.line(fmt::format("%bce = seq.add %d, %lg : {}, {} -> {}", t, t, t));
}

/// Lines computing %`result`, the batch mean of the per-instance means
/// over the last axis of %`value` ([?, C]), as Sema's batchMean builds it.
void emitMeanOfMeans(Fn &fn, const std::string &value, int64_t classes,
                     const std::string &result) {
  fn.line(fmt::format("%{}_rows = seq.reduce_mean %{} [1] : {} -> {}", result,
                      value, ty({-1, classes}), ty({-1})));
  fn.line(fmt::format("%{} = seq.reduce_mean %{}_rows [0] : {} -> {}", result,
                      result, ty({-1}), ty({})));
}

/// Lines computing %mse = mean((z - y)^2).
void emitMSE(Fn &fn, int64_t classes) {
  std::string t = ty({-1, classes});
  fn.line(fmt::format("%diff = seq.sub %z, %y : {}, {} -> {}", t, t, t));
  fn.line(fmt::format("%sq = seq.mul %diff, %diff : {}, {} -> {}", t, t, t));
  emitMeanOfMeans(fn, "sq", classes, "mse");
}

/// Lines computing %ce = -mean(sum(%target * log_softmax(z), 1)).
void emitCrossEntropy(Fn &fn, int64_t classes, const std::string &target) {
  std::string t = ty({-1, classes});
  fn.line(fmt::format("%lp = seq.log_softmax %z axis = 1 : {}", t));
  fn.line(
      fmt::format("%tl = seq.mul %{}, %lp : {}, {} -> {}", target, t, t, t));
  fn.line(
      fmt::format("%rows = seq.reduce_sum %tl [1] : {} -> {}", t, ty({-1})));
  fn.line(fmt::format("%nrows = seq.neg %rows : {}", ty({-1})));
  fn.line(fmt::format("%ce = seq.reduce_mean %nrows [0] : {} -> {}", ty({-1}),
                      ty({})));
}

void addLossCases(std::vector<GradCase> &cases) {
  {
    // Softmax cross-entropy with class indices: one_hot + log_softmax.
    Fn fn = linearLogits(3);
    fn.input("y", {-1}, "i64");
    emitLogits(fn, 3);
    fn.line(fmt::format("%oh = seq.one_hot %y depth = 3 : {} -> {}",
                        ty({-1}, "i64"), ty({-1, 3})));
    emitCrossEntropy(fn, 3, "oh");
    cases.push_back({"cross_entropy_indices", fn.returning("ce")});
  }
  {
    // With one-hot (float) targets.
    Fn fn = linearLogits(3);
    fn.input("t", {-1, 3});
    emitLogits(fn, 3);
    emitCrossEntropy(fn, 3, "t");
    cases.push_back({"cross_entropy_onehot", fn.returning("ce")});
  }
  {
    // Sigmoid + binary cross-entropy from the logits, in the stable form.
    Fn fn = linearLogits(1);
    fn.input("t", {-1, 1});
    emitLogits(fn, 1);
    emitStableBCE(fn, 1);
    emitMeanOfMeans(fn, "bce", 1, "l");
    cases.push_back({"bce_logits", fn.returning("l")});
  }
  {
    // Binary cross-entropy of probabilities p (here sigmoid(z), which Sema
    // would rewrite to the logits form; it keeps this form for a p that is
    // not a sigmoid): -mean(t log p + (1 - t) log(1 - p)).
    Fn fn = linearLogits(1);
    fn.input("t", {-1, 1});
    emitLogits(fn, 1);
    std::string t = ty({-1, 1}), s = ty({});
    fn.line("%one = arith.constant dense<1.0> : " + s);
    fn.line("%p = seq.sigmoid %z : " + t);
    fn.line("%lp = seq.log %p : " + t);
    fn.line(fmt::format("%q = seq.sub %one, %p : {}, {} -> {}", s, t, t));
    fn.line("%lq = seq.log %q : " + t);
    fn.line(fmt::format("%nt = seq.sub %one, %t : {}, {} -> {}", s, t, t));
    fn.line(fmt::format("%pos = seq.mul %t, %lp : {}, {} -> {}", t, t, t));
    fn.line(fmt::format("%neg = seq.mul %nt, %lq : {}, {} -> {}", t, t, t));
    fn.line(fmt::format("%ll = seq.add %pos, %neg : {}, {} -> {}", t, t, t));
    fn.line("%nll = seq.neg %ll : " + t);
    emitMeanOfMeans(fn, "nll", 1, "l");
    cases.push_back({"bce_probabilities", fn.returning("l")});
  }
  {
    // Multilabel: the mean of the labels' binary losses, over the batch.
    Fn fn = linearLogits(5);
    fn.input("t", {-1, 5});
    emitLogits(fn, 5);
    emitStableBCE(fn, 5);
    emitMeanOfMeans(fn, "bce", 5, "l");
    cases.push_back({"multilabel_bce", fn.returning("l")});
  }
  {
    Fn fn = linearLogits(2);
    fn.input("y", {-1, 2});
    emitLogits(fn, 2);
    emitMSE(fn, 2);
    cases.push_back({"mse", fn.returning("mse")});
  }
  {
    // kl_div(t, softmax(z)) = sum(t * (log(t + 1e-30) - log_softmax(z))),
    // averaged over the batch; Sema adds 1e-30 so that zeros of t count 0.
    Fn fn = linearLogits(3);
    fn.input("t", {-1, 3});
    emitLogits(fn, 3);
    std::string t = ty({-1, 3});
    fn.line("%tiny = arith.constant dense<1.0e-30> : " + ty({}));
    fn.line(
        fmt::format("%t1 = seq.add %t, %tiny : {}, {} -> {}", t, ty({}), t));
    fn.line("%lt = seq.log %t1 : " + t);
    fn.line("%lp = seq.log_softmax %z axis = 1 : " + t);
    fn.line(fmt::format("%d = seq.sub %lt, %lp : {}, {} -> {}", t, t, t));
    fn.line(fmt::format("%td = seq.mul %t, %d : {}, {} -> {}", t, t, t));
    fn.line(
        fmt::format("%rows = seq.reduce_sum %td [1] : {} -> {}", t, ty({-1})));
    fn.line(fmt::format("%l = seq.reduce_mean %rows [0] : {} -> {}", ty({-1}),
                        ty({})));
    cases.push_back({"kl_divergence", fn.returning("l")});
  }
  {
    // Ridge: mse + 0.01 * l2(W), the penalty added once, outside the batch
    // mean.
    Fn fn = linearLogits(2);
    fn.input("y", {-1, 2});
    emitLogits(fn, 2);
    emitMSE(fn, 2);
    std::string s = ty({});
    fn.line("%lambda = arith.constant dense<0.01> : " + s);
    fn.line(fmt::format("%ww = seq.mul %W, %W : {}, {} -> {}", ty({2, 4}),
                        ty({2, 4}), ty({2, 4})));
    fn.line(fmt::format("%norm = seq.reduce_sum %ww [0, 1] : {} -> {}",
                        ty({2, 4}), s));
    fn.line(
        fmt::format("%pen = seq.mul %lambda, %norm : {}, {} -> {}", s, s, s));
    fn.line(fmt::format("%l = seq.add %mse, %pen : {}, {} -> {}", s, s, s));
    cases.push_back({"mse_l2", fn.returning("l")});
  }
  {
    // l2(params) alone: sum(A * A) + sum(c * c).
    Fn fn;
    fn.param("A", {3, 4}).param("c", {3});
    std::string s = ty({});
    fn.line(fmt::format("%aa = seq.mul %A, %A : {}, {} -> {}", ty({3, 4}),
                        ty({3, 4}), ty({3, 4})));
    fn.line(fmt::format("%na = seq.reduce_sum %aa [0, 1] : {} -> {}",
                        ty({3, 4}), s));
    fn.line(fmt::format("%cc = seq.mul %c, %c : {}, {} -> {}", ty({3}), ty({3}),
                        ty({3})));
    fn.line(fmt::format("%nc = seq.reduce_sum %cc [0] : {} -> {}", ty({3}), s));
    fn.line(fmt::format("%l = seq.add %na, %nc : {}, {} -> {}", s, s, s));
    cases.push_back({"l2", fn.returning("l")});
  }
  {
    // A two-layer perceptron under softmax cross-entropy.
    Fn fn;
    fn.param("W1", {6, 4}).param("b1", {6}).param("W2", {3, 6});
    fn.param("b2", {3}).input("x", {-1, 4}).input("y", {-1}, "i64");
    fn.line(fmt::format("%h0 = seq.matmul %x, %W1 {{transpose_rhs}} : {}, {} "
                        "-> {}",
                        ty({-1, 4}), ty({6, 4}), ty({-1, 6})));
    fn.line(fmt::format("%h1 = seq.add %h0, %b1 : {}, {} -> {}", ty({-1, 6}),
                        ty({6}), ty({-1, 6})));
    fn.line("%h = seq.tanh %h1 : " + ty({-1, 6}));
    fn.line(fmt::format("%z0 = seq.matmul %h, %W2 {{transpose_rhs}} : {}, {} "
                        "-> {}",
                        ty({-1, 6}), ty({3, 6}), ty({-1, 3})));
    fn.line(fmt::format("%z = seq.add %z0, %b2 : {}, {} -> {}", ty({-1, 3}),
                        ty({3}), ty({-1, 3})));
    fn.line(fmt::format("%oh = seq.one_hot %y depth = 3 : {} -> {}",
                        ty({-1}, "i64"), ty({-1, 3})));
    emitCrossEntropy(fn, 3, "oh");
    cases.push_back({"mlp_cross_entropy", fn.returning("ce")});
  }
}

} // namespace

const std::vector<GradCase> &allCases() {
  static const std::vector<GradCase> cases = [] {
    std::vector<GradCase> cases;
    addElementwiseCases(cases);
    addMatmulCases(cases);
    addDataMovementCases(cases);
    addBatchDataMovementCases(cases);
    addReductionCases(cases);
    addLossCases(cases);
    return cases;
  }();
  return cases;
}

const std::string &goldenPath() {
  static const std::string path = std::string(SEQC_SOURCE_DIR) +
                                  "/test/unit/Inputs/grad_goldens.safetensors";
  return path;
}

const SafetensorsFile *goldens(std::string &loadError) {
  static std::string error;
  static const std::unique_ptr<SafetensorsFile> file = [] {
    auto loaded = loadSafetensors(goldenPath());
    if (!loaded) {
      error = llvm::toString(loaded.takeError());
      return std::unique_ptr<SafetensorsFile>();
    }
    return std::make_unique<SafetensorsFile>(std::move(*loaded));
  }();
  loadError = error;
  return file.get();
}

CaseGoldens goldensOf(const SafetensorsFile &file, const std::string &name) {
  CaseGoldens result;
  std::string prefix = name + "/";
  for (auto it = file.tensors.lower_bound(prefix);
       it != file.tensors.end() &&
       llvm::StringRef(it->first).starts_with(prefix);
       ++it) {
    llvm::StringRef key = llvm::StringRef(it->first).drop_front(prefix.size());
    if (key == "loss")
      result.loss = it->second.getDouble(0);
    else if (key.consume_front("grad/"))
      result.grads[key.str()] = &it->second;
    else
      result.args[key.str()] = &it->second;
  }
  return result;
}

} // namespace seqc::test
