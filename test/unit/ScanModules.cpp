//===- ScanModules.cpp - Recurrences written as seq.scan modules ----------===//
#include "ScanModules.h"

#include <fmt/format.h>

#include <vector>

namespace seqc::test {

static std::string dim(int64_t size) {
  return size < 0 ? "?" : std::to_string(size);
}

std::string cellModule(const CellSpec &spec) {
  const int64_t H = spec.hidden, P = spec.input, N = spec.batch;
  std::string n = spec.dynamicBatch ? "?" : std::to_string(N);
  std::string t = dim(spec.time);
  std::string state = fmt::format("tensor<{}x{}x!T>", n, H);
  std::string stacked = fmt::format("tensor<{}x{}x{}x!T>", t, n, H);
  std::string xs = fmt::format("tensor<{}x{}x{}x!T>", t, n, P);
  std::string x = fmt::format("tensor<{}x{}x!T>", n, P);
  std::string maskSeq = fmt::format("tensor<{}x{}x1x!T>", t, n);
  std::string mask = fmt::format("tensor<{}x1x!T>", n);
  std::string W = fmt::format("tensor<{}x{}x!T>", H, H);
  std::string U = fmt::format("tensor<{}x{}x!T>", H, P);
  std::string b = fmt::format("tensor<{}x!T>", H);

  std::string inits = spec.twoStates ? "%h0, %c0" : "%h0";
  std::string initTypes = spec.twoStates ? state + ", " + state : state;
  std::string seqs = spec.masked ? "%xs, %ms" : "%xs";
  std::string seqTypes = spec.masked ? xs + ", " + maskSeq : xs;
  std::string results = spec.twoStates
                            ? fmt::format("{}, {}, {}", state, state, stacked)
                            : fmt::format("{}, {}", state, stacked);
  std::string blockArgs =
      fmt::format("%h: {}{}, %x: {}{}, %Wc: {}, %Uc: {}, %bc: {}", state,
                  spec.twoStates ? ", %c: " + state : "", x,
                  spec.masked ? ", %m: " + mask : "", W, U, b);
  std::vector<std::string> options;
  if (spec.unroll != 1)
    options.push_back(fmt::format("unroll = {} : i64", spec.unroll));
  if (spec.tbptt != 0)
    options.push_back(fmt::format("tbptt = {} : i64", spec.tbptt));
  if (spec.checkpoint != 0)
    options.push_back(fmt::format("checkpoint = {} : i64", spec.checkpoint));
  std::string attrs = options.empty() ? ""
                                      : fmt::format(" attributes {{{}}}",
                                                    fmt::join(options, ", "));

  std::string body =
      fmt::format(R"(
    %a = seq.matmul %h, %Wc {{transpose_rhs}} : {S}, {W} -> {S}
    %u = seq.matmul %x, %Uc {{transpose_rhs}} : {X}, {U} -> {S}
    %s = seq.add %a, %u : {S}, {S} -> {S}
    %z = seq.add %s, %bc : {S}, {B} -> {S}
)",
                  fmt::arg("S", state), fmt::arg("W", W), fmt::arg("X", x),
                  fmt::arg("U", U), fmt::arg("B", b));
  if (spec.twoStates)
    body += fmt::format(R"(
    %f = seq.sigmoid %z : {S}
    %g = seq.tanh %z : {S}
    %cf = seq.mul %c, %f : {S}, {S} -> {S}
    %cn = seq.add %cf, %g : {S}, {S} -> {S}
    %hn = seq.tanh %cn : {S}
)",
                        fmt::arg("S", state));
  else
    body += fmt::format("    %hn = seq.tanh %z : {}\n", state);
  std::string newH = "%hn";
  if (spec.masked) {
    body += fmt::format(R"(
    %one = arith.constant dense<1.0> : tensor<!T>
    %keep = seq.sub %one, %m : tensor<!T>, {M} -> {M}
    %new = seq.mul %m, %hn : {M}, {S} -> {S}
    %old = seq.mul %keep, %h : {M}, {S} -> {S}
    %hb = seq.add %new, %old : {S}, {S} -> {S}
)",
                        fmt::arg("S", state), fmt::arg("M", mask));
    newH = "%hb";
  }
  std::string yield =
      spec.twoStates ? fmt::format("seq.yield {}, %cn : {}, {} outs({} : {})",
                                   newH, state, state, newH, state)
                     : fmt::format("seq.yield {} : {} outs({} : {})", newH,
                                   state, newH, state);
  std::string hs = spec.twoStates ? "%r#2" : "%r#1";

  std::string args = fmt::format(
      "%W: {} {{seq.param = \"W\", seq.init = {{kind = \"zeros\"}}}}, "
      "%U: {} {{seq.param = \"U\", seq.init = {{kind = \"zeros\"}}}}, "
      "%b: {} {{seq.param = \"b\", seq.init = {{kind = \"zeros\"}}}}, "
      "%h0: {} {{seq.input = \"h0\"}}{}, "
      "%xs: {} {{seq.input = \"xs\"}}{}",
      W, U, b, state,
      spec.twoStates ? ", %c0: " + state + " {seq.input = \"c0\"}" : "", xs,
      spec.masked ? ", %ms: " + maskSeq + " {seq.input = \"mask\"}" : "");
  std::string scan = fmt::format(
      R"(  %r:{} = seq.scan {}inits({} : {}) over({} : {})
      captures(%W, %U, %b : {}, {}, {}){} -> ({}) {{
  ^bb0({}):{}    {}
  }}
)",
      spec.twoStates ? 3 : 2, spec.reverse ? "reverse " : "", inits, initTypes,
      seqs, seqTypes, W, U, b, attrs, results, blockArgs, body, yield);

  return fmt::format(R"(
func.func @forward({A}) -> ({S}, {Y}) {{
{scan}  return %r#0, {hs} : {S}, {Y}
}}
func.func @loss({A}, %w: {Y} {{seq.input = "w"}},
                %v: {S} {{seq.input = "v"}}) -> tensor<!T> {{
{scan}  %p = seq.mul {hs}, %w : {Y}, {Y} -> {Y}
  %l1 = seq.reduce_sum %p [0, 1, 2] : {Y} -> tensor<!T>
  %q = seq.mul %r#0, %v : {S}, {S} -> {S}
  %l2 = seq.reduce_sum %q [0, 1] : {S} -> tensor<!T>
  %l = seq.add %l1, %l2 : tensor<!T>, tensor<!T> -> tensor<!T>
  return %l : tensor<!T>
}}
)",
                     fmt::arg("A", args), fmt::arg("S", state),
                     fmt::arg("Y", stacked), fmt::arg("scan", scan),
                     fmt::arg("hs", hs));
}

std::string withFloatType(const std::string &module, const char *type) {
  return fmt::format("!T = {}\n{}", type, module);
}

std::string lstmModule(const LstmSpec &spec) {
  const int64_t H = spec.hidden, P = spec.input;
  std::string n = spec.dynamicBatch ? "?" : std::to_string(spec.batch);
  std::string t = spec.dynamicBatch ? "9"
                  : spec.time < 0   ? "?"
                                    : std::to_string(spec.time);
  std::string S = fmt::format("tensor<{}x{}x!T>", n, H);
  std::string X = fmt::format("tensor<{}x{}x!T>", n, P);
  std::string Y = fmt::format("tensor<{}x{}x{}x!T>", t, n, H);
  std::string XS = fmt::format("tensor<{}x{}x{}x!T>", t, n, P);
  std::string M = fmt::format("tensor<{}x1x!T>", n);
  std::string MS = fmt::format("tensor<{}x{}x1x!T>", t, n);
  std::string W = fmt::format("tensor<{}x{}x!T>", H, H);
  std::string U = fmt::format("tensor<{}x{}x!T>", H, P);
  std::string B = fmt::format("tensor<{}x!T>", H);

  std::string params, captures, captureTypes, captureArgs, body;
  for (const char *g : kLstmGates) {
    params += fmt::format("%W{g}: {W} {{seq.param = \"W{g}\", {I}}}, "
                          "%U{g}: {U} {{seq.param = \"U{g}\", {I}}}, "
                          "%b{g}: {B} {{seq.param = \"b{g}\", {I}}}, ",
                          fmt::arg("I", "seq.init = {kind = \"zeros\"}"),
                          fmt::arg("g", g), fmt::arg("W", W), fmt::arg("U", U),
                          fmt::arg("B", B));
    captures += fmt::format("{}%W{g}, %U{g}, %b{g}",
                            captures.empty() ? "" : ", ", fmt::arg("g", g));
    captureTypes +=
        fmt::format("{}{}, {}, {}", captureTypes.empty() ? "" : ", ", W, U, B);
    captureArgs +=
        fmt::format(", %cW{g}: {W}, %cU{g}: {U}, %cb{g}: {B}", fmt::arg("g", g),
                    fmt::arg("W", W), fmt::arg("U", U), fmt::arg("B", B));
    body += fmt::format(R"(
    %{g}a = seq.matmul %h, %cW{g} {{transpose_rhs}} : {S}, {W} -> {S}
    %{g}u = seq.matmul %x, %cU{g} {{transpose_rhs}} : {X}, {U} -> {S}
    %{g}s = seq.add %{g}a, %{g}u : {S}, {S} -> {S}
    %{g}z = seq.add %{g}s, %cb{g} : {S}, {B} -> {S})",
                        fmt::arg("g", g), fmt::arg("S", S), fmt::arg("W", W),
                        fmt::arg("X", X), fmt::arg("U", U), fmt::arg("B", B));
  }
  body += fmt::format(R"(
    %ig = seq.sigmoid %iz : {S}
    %fg = seq.sigmoid %fz : {S}
    %og = seq.sigmoid %oz : {S}
    %cg = seq.tanh %cz : {S}
    %fc = seq.mul %fg, %c : {S}, {S} -> {S}
    %ic = seq.mul %ig, %cg : {S}, {S} -> {S}
    %cn = seq.add %fc, %ic : {S}, {S} -> {S}
    %tc = seq.tanh %cn : {S}
    %hn = seq.mul %og, %tc : {S}, {S} -> {S})",
                      fmt::arg("S", S));
  std::string newH = "%hn", newC = "%cn";
  if (spec.masked) {
    body += fmt::format(R"(
    %dh = seq.sub %hn, %h : {S}, {S} -> {S}
    %mdh = seq.mul %m, %dh : {M}, {S} -> {S}
    %hb = seq.add %h, %mdh : {S}, {S} -> {S}
    %dc = seq.sub %cn, %c : {S}, {S} -> {S}
    %mdc = seq.mul %m, %dc : {M}, {S} -> {S}
    %cb = seq.add %c, %mdc : {S}, {S} -> {S})",
                        fmt::arg("S", S), fmt::arg("M", M));
    newH = "%hb";
    newC = "%cb";
  }
  std::string attrs =
      spec.unroll != 1
          ? fmt::format(" attributes {{unroll = {} : i64}}", spec.unroll)
          : "";
  return fmt::format(
      R"(
func.func @loss({params}%h0: {S} {{seq.input = "h0"}}, %c0: {S} {{seq.input = "c0"}},
                %xs: {XS} {{seq.input = "xs"}}{maskArg}, %w: {Y} {{seq.input = "w"}},
                %v: {S} {{seq.input = "v"}}) -> tensor<!T> {{
  %r:3 = seq.scan {rev}inits(%h0, %c0 : {S}, {S}) over(%xs{maskSeq} : {XS}{maskSeqType})
      captures({captures} : {captureTypes}){attrs} -> ({S}, {S}, {Y}) {{
  ^bb0(%h: {S}, %c: {S}, %x: {X}{maskBlockArg}{captureArgs}):{body}
    seq.yield {newH}, {newC} : {S}, {S} outs({newH} : {S})
  }}
  %p = seq.mul %r#2, %w : {Y}, {Y} -> {Y}
  %l1 = seq.reduce_sum %p [0, 1, 2] : {Y} -> tensor<!T>
  %q = seq.mul %r#0, %v : {S}, {S} -> {S}
  %l2 = seq.reduce_sum %q [0, 1] : {S} -> tensor<!T>
  %l = seq.add %l1, %l2 : tensor<!T>, tensor<!T> -> tensor<!T>
  return %l : tensor<!T>
}}
)",
      fmt::arg("params", params), fmt::arg("S", S), fmt::arg("XS", XS),
      fmt::arg("Y", Y), fmt::arg("X", X),
      fmt::arg("maskArg",
               spec.masked
                   ? fmt::format(", %ms: {} {{seq.input = \"mask\"}}", MS)
                   : ""),
      fmt::arg("maskSeq", spec.masked ? ", %ms" : ""),
      fmt::arg("maskSeqType", spec.masked ? ", " + MS : ""),
      fmt::arg("maskBlockArg", spec.masked ? ", %m: " + M : ""),
      fmt::arg("rev", spec.reverse ? "reverse " : ""),
      fmt::arg("captures", captures), fmt::arg("captureTypes", captureTypes),
      fmt::arg("attrs", attrs), fmt::arg("captureArgs", captureArgs),
      fmt::arg("body", body), fmt::arg("newH", newH), fmt::arg("newC", newC));
}

} // namespace seqc::test
