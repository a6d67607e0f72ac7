//===- GradCheckTest.cpp - Every derivative rule, checked numerically -----===//
//
// For every seq op with a derivative rule and every loss as the frontend
// builds it, a small scalar loss `@loss` in the seq dialect (parameters
// `seq.param`, inputs `seq.input`), usually sum(op(params, inputs) * w) with
// fixed random weights w so that every output element matters. Each case is
// differentiated by seqc-autodiff (then canonicalized), JIT-compiled, and
// checked twice:
//
//  F64: in f64, every gradient against central finite differences of the
//       compiled @loss (steps 1e-6 relative), error <= 1e-6; also the loss
//       and the gradients against PyTorch's float64 ones, error <= 1e-10.
//       Inputs are differentiated too (seqc-autodiff wrt-inputs=true;
//       integer inputs, indices, have no gradient).
//  F32: in f32, as training runs it (wrt-inputs=false), the loss and the
//       parameters' gradients against PyTorch's, error <= 1e-5.
//
// Errors are relative with a floor: |a - b| / max(1, |a|, |b|) (GradCheck.h).
// The arguments, the PyTorch losses and gradients come from
// Inputs/grad_goldens.safetensors, written by Inputs/make_grad_goldens.py,
// which keeps every kink (relu, abs, ... at 0; ties of maxout and max) at
// least 1e-3 away from the inputs. Each case below has a twin of the same
// name there (GradCheckGoldens checks both lists agree).
//
// GradCheckSanity shows that the checks catch wrong gradients (finite
// differences of a function perturbed by 1e-5, a golden off by 3e-5), and
// checks tied maxima (TiedMaximaShareTheCotangent) and wrt-inputs with
// integer inputs (WrtInputsWithIndexInputs).
//
// SEQC_GRADCHECK_VERBOSE=1 prints every case's errors.
//
//===----------------------------------------------------------------------===//
#include "GradCheck.h"
#include "TestContext.h"
#include "TestUtil.h"

#include "seqc/Runtime/SafeTensors.h"

#include "llvm/ADT/StringExtras.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <set>

using namespace seqc::rt;
using namespace seqc::test;

namespace {

constexpr double kFiniteDifferenceTolerance = 1e-6;
constexpr double kF64PyTorchTolerance = 1e-10;
constexpr double kF32PyTorchTolerance = 1e-5;
constexpr double kRelativeStep = 1e-6;

//===----------------------------------------------------------------------===//
// The cases
//===----------------------------------------------------------------------===//

struct GradCase {
  std::string name;
  std::string mlir; // func.func @loss, with !T for the float type
};

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

//===----------------------------------------------------------------------===//
// Goldens
//===----------------------------------------------------------------------===//

const std::string &goldenPath() {
  static const std::string path = std::string(SEQC_SOURCE_DIR) +
                                  "/test/unit/Inputs/grad_goldens.safetensors";
  return path;
}

/// The golden file, loaded once; null (with the error in `loadError`) when
/// it cannot be read.
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

/// A case's golden arguments, loss and gradients.
struct CaseGoldens {
  std::map<std::string, const Tensor *> args;
  double loss = 0;
  std::map<std::string, const Tensor *> grads;
};

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

//===----------------------------------------------------------------------===//
// The largest errors over all cases, printed at the end
//===----------------------------------------------------------------------===//

struct Worst {
  double error = 0;
  std::string where = "-";
  int checks = 0;
  void note(double e, const std::string &what) {
    ++checks;
    if (e >= error) {
      error = e;
      where = what;
    }
  }
};

std::map<std::string, Worst> &summary() {
  static std::map<std::string, Worst> worst;
  return worst;
}

bool verbose() {
  const char *value = std::getenv("SEQC_GRADCHECK_VERBOSE");
  return value && *value && std::string(value) != "0";
}

//===----------------------------------------------------------------------===//
// The tests
//===----------------------------------------------------------------------===//

class GradCheckTest : public ::testing::TestWithParam<GradCase> {
protected:
  static void TearDownTestSuite() {
    std::cout << "  largest errors |a - b| / max(1, |a|, |b|) over all "
                 "cases:\n";
    for (const auto &[check, worst] : summary())
      std::cout << fmt::format("    {:<34} {:9.3g} ({} tensors; worst: {})\n",
                               check, worst.error, worst.checks, worst.where);
  }

  /// The goldens of the current case; fails the test without them.
  const CaseGoldens *caseGoldens() {
    std::string error;
    const SafetensorsFile *file = goldens(error);
    if (!file) {
      ADD_FAILURE() << "cannot read the goldens: " << error;
      return nullptr;
    }
    current = goldensOf(*file, GetParam().name);
    if (current.args.empty()) {
      ADD_FAILURE() << goldenPath() << " has no case '" << GetParam().name
                    << "'; run Inputs/make_grad_goldens.py";
      return nullptr;
    }
    return &current;
  }

  /// Compiles the case and sets its arguments to the golden ones.
  std::unique_ptr<CompiledLoss> compile(DType dtype, bool wrtInputs) {
    const CaseGoldens *golden = caseGoldens();
    if (!golden)
      return nullptr;
    LossSpec spec{GetParam().mlir, dtype, wrtInputs};
    auto loss = CompiledLoss::create(context, spec);
    if (!loss) {
      ADD_FAILURE() << llvm::toString(loss.takeError()) << "\n"
                    << GetParam().mlir;
      return nullptr;
    }
    std::set<std::string> unset;
    for (const auto &[name, tensor] : golden->args)
      unset.insert(name);
    for (const EntryArgument &arg : (*loss)->arguments()) {
      auto it = golden->args.find(arg.name);
      if (it == golden->args.end()) {
        ADD_FAILURE() << "the goldens lack argument '" << arg.name << "'";
        return nullptr;
      }
      if (llvm::Error e = (*loss)->set(arg.name, *it->second)) {
        ADD_FAILURE() << "golden argument: " << llvm::toString(std::move(e));
        return nullptr;
      }
      unset.erase(arg.name);
    }
    if (!unset.empty()) {
      ADD_FAILURE() << "@loss lacks the golden argument '" << *unset.begin()
                    << "'";
      return nullptr;
    }
    return std::move(*loss);
  }

  /// EXPECTs error(actual, expected) <= tolerance and records it.
  void expectClose(const Tensor &actual, const Tensor &expected,
                   double tolerance, const std::string &check,
                   const std::string &what) {
    auto comparison = compareTensors(actual, expected);
    ASSERT_TRUE(static_cast<bool>(comparison))
        << what << ": " << llvm::toString(comparison.takeError());
    EXPECT_LE(comparison->maxError, tolerance)
        << check << ", " << what << ": "
        << comparison->describe(actual.shape());
    std::string where = GetParam().name + ", " + what;
    summary()[check].note(comparison->maxError, where);
    if (verbose())
      std::cout << fmt::format("  {:<28} {:<26} {:<10} {:.3g}\n",
                               GetParam().name, check, what,
                               comparison->maxError);
  }

  void expectClose(double actual, double expected, double tolerance,
                   const std::string &check, const std::string &what) {
    expectClose(Tensor::fromValues<double>({}, {actual}),
                Tensor::fromValues<double>({}, {expected}), tolerance, check,
                what);
  }

  SeqcContext context;
  CaseGoldens current;
};

TEST_P(GradCheckTest, F64MatchesFiniteDifferences) {
  const CaseGoldens *golden = caseGoldens();
  ASSERT_TRUE(golden);
  auto loss = compile(DType::F64, /*wrtInputs=*/true);
  ASSERT_TRUE(loss);
  SEQC_ASSERT_OK_AND_ASSIGN(result, loss->gradients());
  SEQC_ASSERT_OK_AND_ASSIGN(plainLoss, loss->loss());
  EXPECT_LE(relativeError(result.loss, plainLoss), 1e-14)
      << "@loss and @loss_grad disagree: " << plainLoss << " vs "
      << result.loss;
  expectClose(result.loss, golden->loss, kF64PyTorchTolerance,
              "f64 loss vs PyTorch", "loss");

  size_t params = 0;
  for (const EntryArgument &arg : loss->arguments())
    params += arg.kind == EntryArgument::Kind::Param;
  size_t expected = 0;
  for (const EntryArgument &arg : loss->arguments())
    expected +=
        arg.kind == EntryArgument::Kind::Param || isFloat(arg.type.dtype);
  EXPECT_EQ(result.grads.size(), expected);
  EXPECT_GE(params, 1u);

  for (const auto &[name, grad] : result.grads) {
    SEQC_ASSERT_OK_AND_ASSIGN(fd, loss->finiteDifferences(name, kRelativeStep));
    expectClose(grad, fd, kFiniteDifferenceTolerance,
                "f64 grad vs finite differences", "grad " + name);
    auto it = golden->grads.find(name);
    ASSERT_NE(it, golden->grads.end()) << "no golden gradient of " << name;
    expectClose(grad, *it->second, kF64PyTorchTolerance, "f64 grad vs PyTorch",
                "grad " + name);
  }
}

TEST_P(GradCheckTest, F32MatchesPyTorch) {
  const CaseGoldens *golden = caseGoldens();
  ASSERT_TRUE(golden);
  auto loss = compile(DType::F32, /*wrtInputs=*/false);
  ASSERT_TRUE(loss);
  SEQC_ASSERT_OK_AND_ASSIGN(result, loss->gradients());
  expectClose(result.loss, golden->loss, kF32PyTorchTolerance,
              "f32 loss vs PyTorch", "loss");
  size_t params = 0;
  for (const EntryArgument &arg : loss->arguments())
    params += arg.kind == EntryArgument::Kind::Param;
  EXPECT_EQ(result.grads.size(), params);
  for (const auto &[name, grad] : result.grads) {
    EXPECT_EQ(grad.dtype(), DType::F32);
    auto it = golden->grads.find(name);
    ASSERT_NE(it, golden->grads.end()) << "no golden gradient of " << name;
    expectClose(grad, *it->second, kF32PyTorchTolerance, "f32 grad vs PyTorch",
                "grad " + name);
  }
}

INSTANTIATE_TEST_SUITE_P(AllOps, GradCheckTest, ::testing::ValuesIn(allCases()),
                         [](const ::testing::TestParamInfo<GradCase> &info) {
                           return info.param.name;
                         });

/// Every case has goldens and every golden case a test.
TEST(GradCheckGoldens, CasesMatchTheGenerator) {
  std::string error;
  const SafetensorsFile *file = goldens(error);
  ASSERT_TRUE(file) << error;
  std::set<std::string> inFile, inTest;
  for (const auto &[key, tensor] : file->tensors)
    inFile.insert(key.substr(0, key.find('/')));
  for (const GradCase &c : allCases())
    EXPECT_TRUE(inTest.insert(c.name).second) << "duplicate case " << c.name;
  for (const std::string &name : inTest)
    EXPECT_TRUE(inFile.count(name))
        << name << " has no goldens; run Inputs/make_grad_goldens.py";
  for (const std::string &name : inFile)
    EXPECT_TRUE(inTest.count(name))
        << "make_grad_goldens.py writes a case '" << name
        << "' that GradCheckTest does not run";
}

//===----------------------------------------------------------------------===//
// The checks can fail
//===----------------------------------------------------------------------===//

class GradCheckSanity : public ::testing::Test {
protected:
  SeqcContext context;
};

/// sum(sigmoid(x) * w) + eps * sum(x): with eps = 0 its gradient is the
/// sigmoid case's; finite differences of the function perturbed by eps =
/// 1e-5 differ from that gradient by 1e-5 in every element, and the check
/// must notice, while eps = 1e-9 stays below its resolution.
TEST_F(GradCheckSanity, FiniteDifferencesCatchAWrongGradient) {
  LossSpec spec{R"mlir(
    func.func @loss(%x: tensor<4x3x!T> {seq.param = "x"},
                    %w: tensor<4x3x!T> {seq.input = "w"},
                    %eps: tensor<!T> {seq.input = "eps"}) -> tensor<!T> {
      %y = seq.sigmoid %x : tensor<4x3x!T>
      %p = seq.mul %y, %w : tensor<4x3x!T>, tensor<4x3x!T> -> tensor<4x3x!T>
      %s = seq.reduce_sum %p [0, 1] : tensor<4x3x!T> -> tensor<!T>
      %sx = seq.reduce_sum %x [0, 1] : tensor<4x3x!T> -> tensor<!T>
      %e = seq.mul %eps, %sx : tensor<!T>, tensor<!T> -> tensor<!T>
      %l = seq.add %s, %e : tensor<!T>, tensor<!T> -> tensor<!T>
      return %l : tensor<!T>
    })mlir",
                DType::F64, /*wrtInputs=*/false};
  SEQC_ASSERT_OK_AND_ASSIGN(loss, CompiledLoss::create(context, spec));
  std::string error;
  const SafetensorsFile *file = goldens(error);
  ASSERT_TRUE(file) << error;
  SEQC_ASSERT_OK(loss->set("x", file->tensors.at("sigmoid/x")));
  SEQC_ASSERT_OK(loss->set("w", file->tensors.at("sigmoid/w")));

  auto ok = [](llvm::Error e) {
    if (!e)
      return true;
    ADD_FAILURE() << llvm::toString(std::move(e));
    return false;
  };
  auto errorAt = [&](double eps) -> double {
    if (!ok(loss->set("eps", Tensor::fromValues<double>({}, {0.0}))))
      return INFINITY;
    auto gradients = loss->gradients();
    if (!gradients)
      return ok(gradients.takeError()), INFINITY;
    if (!ok(loss->set("eps", Tensor::fromValues<double>({}, {eps}))))
      return INFINITY;
    auto fd = loss->finiteDifferences("x", kRelativeStep);
    if (!fd)
      return ok(fd.takeError()), INFINITY;
    auto comparison = compareTensors(gradients->grads.at("x"), *fd);
    if (!comparison)
      return ok(comparison.takeError()), INFINITY;
    return comparison->maxError;
  };
  double exact = errorAt(0.0), tiny = errorAt(1e-9), wrong = errorAt(1e-5);
  std::cout << fmt::format("  error vs finite differences of the function "
                           "perturbed by eps: eps = 0: {:.3g}, 1e-9: {:.3g}, "
                           "1e-5: {:.3g}\n",
                           exact, tiny, wrong);
  EXPECT_LE(exact, kFiniteDifferenceTolerance);
  EXPECT_LE(tiny, kFiniteDifferenceTolerance);
  EXPECT_GT(wrong, kFiniteDifferenceTolerance);
  EXPECT_NEAR(wrong, 1e-5, 1e-7);
}

/// A gradient off by 3e-5 in one element fails the f32 comparison with
/// PyTorch.
TEST_F(GradCheckSanity, PyTorchComparisonCatchesAWrongGradient) {
  std::string error;
  const SafetensorsFile *file = goldens(error);
  ASSERT_TRUE(file) << error;
  const Tensor &expected = file->tensors.at("tanh/grad/x");
  Tensor wrong = convertTensor(expected, DType::F32);
  wrong.setDouble(5, wrong.getDouble(5) + 3e-5);
  SEQC_ASSERT_OK_AND_ASSIGN(bad, compareTensors(wrong, expected));
  EXPECT_GT(bad.maxError, kF32PyTorchTolerance);
  Tensor right = convertTensor(expected, DType::F32);
  SEQC_ASSERT_OK_AND_ASSIGN(good, compareTensors(right, expected));
  EXPECT_LE(good.maxError, kF32PyTorchTolerance);
}

/// The floor of the relative error: absolute below magnitude 1.
TEST(GradCheckError, RelativeWithAFloorOfOne) {
  EXPECT_DOUBLE_EQ(relativeError(1e-3, 2e-3), 1e-3);
  EXPECT_DOUBLE_EQ(relativeError(100.0, 101.0), 1.0 / 101.0);
  EXPECT_DOUBLE_EQ(relativeError(-2.0, 2.0), 2.0);
  EXPECT_EQ(relativeError(NAN, 1.0), INFINITY);
}

/// Padding a dynamic axis has no derivative rule (its adjoint would be a
/// slice of dynamic size); seqc-autodiff says so instead of building an
/// invalid seq.slice of size -9223372036854775808.
TEST_F(GradCheckSanity, PadOfADynamicAxisIsRejected) {
  LossSpec spec{R"mlir(
    func.func @loss(%x: tensor<?x3x!T> {seq.input = "x"},
                    %p: tensor<3x!T> {seq.param = "p"}) -> tensor<!T> {
      %y = seq.mul %x, %p : tensor<?x3x!T>, tensor<3x!T> -> tensor<?x3x!T>
      %z = seq.pad %y axis = 0 before = 1 after = 2 : tensor<?x3x!T> -> tensor<?x3x!T>
      %l = seq.reduce_sum %z [0, 1] : tensor<?x3x!T> -> tensor<!T>
      return %l : tensor<!T>
    })mlir",
                DType::F64, /*wrtInputs=*/false};
  EXPECT_THAT(errorOf(CompiledLoss::create(context, spec)),
              ::testing::HasSubstr(
                  "'seq.pad' op cannot differentiate a pad of a dynamic axis"));
}

/// At a tie the maximum has no derivative; a valid subgradient of
/// max(x1, ..., xn) is a convex combination of the tied unit vectors (PyTorch's
/// amax splits evenly), so the cotangent reaching the tied elements sums to
/// the cotangent of the maximum. The rules of reduce_max and maxout share it
/// evenly among the tied elements, as PyTorch does; the cases above keep
/// away from ties, this one checks one.
TEST_F(GradCheckSanity, TiedMaximaShareTheCotangent) {
  LossSpec spec{R"mlir(
    func.func @loss(%x: tensor<2x3x!T> {seq.param = "x"},
                    %v: tensor<4x!T> {seq.param = "v"}) -> tensor<!T> {
      %m = seq.reduce_max %x [1] : tensor<2x3x!T> -> tensor<2x!T>
      %s = seq.reduce_sum %m [0] : tensor<2x!T> -> tensor<!T>
      %o = seq.maxout %v k = 2 : tensor<4x!T> -> tensor<2x!T>
      %t = seq.reduce_sum %o [0] : tensor<2x!T> -> tensor<!T>
      %l = seq.add %s, %t : tensor<!T>, tensor<!T> -> tensor<!T>
      return %l : tensor<!T>
    })mlir",
                DType::F64, /*wrtInputs=*/false};
  SEQC_ASSERT_OK_AND_ASSIGN(loss, CompiledLoss::create(context, spec));
  // Row 0 of x ties at 2, row 1 has one maximum; v's pieces [1, 5] and
  // [1, 3] tie in their first element.
  SEQC_ASSERT_OK(
      loss->set("x", Tensor::fromValues<double>({2, 3}, {2, 2, 1, 0, 4, 3})));
  SEQC_ASSERT_OK(loss->set("v", Tensor::fromValues<double>({4}, {1, 5, 1, 3})));
  SEQC_ASSERT_OK_AND_ASSIGN(result, loss->gradients());
  const Tensor &dx = result.grads.at("x"), &dv = result.grads.at("v");
  // Away from the ties the gradient is exact either way.
  EXPECT_EQ(dx.getDouble(3) + dx.getDouble(4) + dx.getDouble(5), 1.0);
  EXPECT_EQ(dv.getDouble(1) + dv.getDouble(3), 1.0);
  // At the ties the tied elements share it evenly: 1/2 each, summing to 1.
  EXPECT_EQ(dx.getDouble(0), 0.5);
  EXPECT_EQ(dx.getDouble(1), 0.5);
  EXPECT_EQ(dx.getDouble(2), 0.0);
  EXPECT_EQ(dv.getDouble(0), 0.5);
  EXPECT_EQ(dv.getDouble(2), 0.5);
}

/// seqc-autodiff with wrt-inputs=true on a loss with an integer input
/// (gather indices) differentiates only the float arguments: the integer
/// input gets no cotangent.
TEST_F(GradCheckSanity, WrtInputsWithIndexInputs) {
  LossSpec spec{R"mlir(
    func.func @loss(%E: tensor<5x3x!T> {seq.param = "E"},
                    %ids: tensor<?xi64> {seq.input = "ids"}) -> tensor<!T> {
      %r = seq.gather %E[%ids] : tensor<5x3x!T>, tensor<?xi64> -> tensor<?x3x!T>
      %l = seq.reduce_sum %r [0, 1] : tensor<?x3x!T> -> tensor<!T>
      return %l : tensor<!T>
    })mlir",
                DType::F64, /*wrtInputs=*/true};
  SEQC_ASSERT_OK_AND_ASSIGN(loss, CompiledLoss::create(context, spec));
  EXPECT_THAT(loss->gradientNames(), ::testing::ElementsAre("E"));
}

} // namespace
