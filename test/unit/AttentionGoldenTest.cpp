//===- AttentionGoldenTest.cpp - std.attention against PyTorch and FD -----===//
//
// Two encoder-decoders of std.attention are compiled through the frontend
// with the loss of their train block (teacher forcing over pairs: the
// entry point "loss" takes x, y_in, the target y and the masks x_mask and
// y_in_mask, FrontendOptions::withLoss):
//
//   dot       enc = LSTM(E, H), dec = DotAttentionLSTM(E, H), the decoder
//             starting from the encoder's last state;
//   additive  enc = bidir(GRU(E, H)), dec = AdditiveAttentionGRU(E, H,
//             2 * H, A = 5), the decoder starting from 0;
//
// and seqc-autodiff differentiates @loss with respect to every parameter.
// For T = 1, 2 and 17 target steps, and 5 target steps over a long source
// (31 steps), with N = 3 instances of different source and target lengths
// (padding at the end, random token ids in the padding):
//
//  F32: @forward's outputs (at the target's real steps), the loss and the
//       gradient of every parameter against PyTorch's, error <= 1e-5;
//  F64: the same against PyTorch's, error <= 1e-10, and the gradient of
//       every parameter against central finite differences of the compiled
//       @loss, error <= 1e-6.
//
// More encoder-decoders are checked in f64 against finite differences
// only, with random arguments, at T = 1, 17, and 3 with an instance without
// a target and one without a source: the additive decoder starting from a
// projection of the mean of the encoder's states; sizes past the kernels'
// tiles; a step whose weight Wa enters both the part computed once before
// the loop (Wa @ hs, mean(tanh(hs), axis = time)) and the loop, with two
// per-step inputs; attention over the embeddings, without an encoder. And a
// decoder with a context, its scans unrolled (unroll = 2), against the
// loops (error <= 1e-12).
//
// The reductions over time that attention is written with (softmax, sum,
// mean and max over axis = time, leaving the padding out) are checked
// alone too, in f64, against a reference computed here and against finite
// differences, with an instance of no real step.
//
// Errors are relative with a floor, |a - b| / max(1, |a|, |b|) (GradCheck.h).
// The goldens are Inputs/attention_goldens.safetensors, written by
// Inputs/make_attention_goldens.py, which writes the models out step by step
// and checks its encoders against PyTorch's nn.LSTM and nn.GRU.
//
// SEQC_GRADCHECK_VERBOSE=1 prints every tensor's error.
//
//===----------------------------------------------------------------------===//
#include "FrontendModels.h"
#include "GoldenCases.h"
#include "GradCheck.h"
#include "TestUtil.h"

#include "seqc/Runtime/JitSession.h"
#include "seqc/Runtime/Random.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

using namespace seqc::rt;
using namespace seqc::test;

namespace {

constexpr int64_t kBatch = 3;
/// The golden cases of each model: "<model>_<suffix>" (T target steps; S
/// source steps when the source is long).
const char *const kCaseSuffixes[] = {"T1", "T2", "T17", "T5_S31"};
constexpr int64_t kStepCounts[] = {1, 2, 17};
constexpr double kF32PyTorchTolerance = 1e-5;
constexpr double kF64PyTorchTolerance = 1e-10;
constexpr double kFiniteDifferenceTolerance = 1e-6;
constexpr double kReferenceTolerance = 1e-12;
constexpr double kRelativeStep = 1e-6;

bool isMask(llvm::StringRef name) {
  return name == "mask" || name.ends_with("_mask");
}

//===----------------------------------------------------------------------===//
// The models
//===----------------------------------------------------------------------===//

struct ModelCase {
  std::string name;
  std::string source;
};

void PrintTo(const ModelCase &model, std::ostream *os) { *os << model.name; }

/// The train block gives `loss` its target; the data is never read.
constexpr const char *kPairsTrain = R"(
train M {
  data = pairs(train = "train.tsv", valid = "valid.tsv", unit = "char")
  loss = nll(forward(x, y_in), y)
}
)";

std::vector<ModelCase> attentionModels() {
  return {
      {"dot", std::string(R"(use std.layers
use std.cells
use std.attention
model M(S = 7, V = 6, E = 3, H = 4) {
  src = Embedding(S, E)
  tgt = Embedding(V, E)
  enc = LSTM(E, H)
  dec = DotAttentionLSTM(E, H)
  head = Linear(2 * H, V)
  forward(x: seq<token>, y_in: seq<token>) -> seq<[V]> {
    hs = enc(src(x))
    return log_softmax(head(dec(tgt(y_in), hs = hs, h = last(hs))))
  }
}
)") + kPairsTrain},
      {"additive", std::string(R"(use std.layers
use std.cells
use std.attention
model M(S = 7, V = 6, E = 3, H = 4) {
  src = Embedding(S, E)
  tgt = Embedding(V, E)
  enc = bidir(GRU(E, H))
  dec = AdditiveAttentionGRU(E, H, 2 * H, A = 5)
  head = Linear(3 * H, V)
  forward(x: seq<token>, y_in: seq<token>) -> seq<[V]> {
    return log_softmax(head(dec(tgt(y_in), hs = enc(src(x)))))
  }
}
)") + kPairsTrain},
  };
}

/// The train block's @loss of `model`, differentiated with respect to the
/// parameters, in f32 or f64.
llvm::Expected<std::unique_ptr<CompiledLoss>>
compileModelLoss(mlir::MLIRContext &context, const ModelCase &model,
                 DType dtype, int64_t unroll = 1) {
  auto module =
      compileFrontendModel(context, model.source, dtype == DType::F64 ? 64 : 32,
                           /*withLoss=*/true, unroll);
  if (!module)
    return module.takeError();
  return compileLoss(context, **module, dtype, /*wrtInputs=*/false);
}

//===----------------------------------------------------------------------===//
// The goldens
//===----------------------------------------------------------------------===//

std::string caseName(const std::string &model, const std::string &suffix) {
  return model + "_" + suffix;
}

constexpr const char *kGoldenFile = "attention_goldens.safetensors";

/// The tensors of one golden case, "<model>_<suffix>": the arguments by
/// name (parameters "dec.Wa", inputs "x", "y_in", "y", "x_mask",
/// "y_in_mask"), "out", "loss", and the gradients by parameter name.
llvm::Expected<CaseGoldens> goldensOf(const std::string &model,
                                      const std::string &suffix) {
  return caseGoldens(kGoldenFile, caseName(model, suffix),
                     "make_attention_goldens.py");
}

/// Sets every argument of `loss` from `values`.
llvm::Error setArguments(CompiledLoss &loss,
                         const std::map<std::string, Tensor> &values) {
  for (const EntryArgument &arg : loss.arguments()) {
    auto it = values.find(arg.name);
    if (it == values.end())
      return makeError("no value for argument '" + arg.name + "'");
    if (llvm::Error e = loss.set(arg.name, it->second))
      return e;
  }
  return llvm::Error::success();
}

/// `out` [T, N, V] with the steps where `mask` [T, N] is 0 set to 0, in f64.
Tensor maskSteps(const Tensor &out, const Tensor &mask) {
  Tensor result = convertTensor(out, DType::F64);
  int64_t steps = mask.numElements();
  int64_t width = steps ? out.numElements() / steps : 0;
  for (int64_t i = 0; i < steps; ++i)
    if (mask.getDouble(i) == 0)
      for (int64_t k = 0; k < width; ++k)
        result.setDouble(i * width + k, 0.0);
  return result;
}

//===----------------------------------------------------------------------===//
// The checks
//===----------------------------------------------------------------------===//

class AttentionGoldenTest : public GoldenTest<ModelCase> {
protected:
  /// @forward's outputs for the golden case against PyTorch's, at the
  /// target's real steps (what a padded step outputs is no one's business).
  void checkForward(JitSession &session, const CaseGoldens &golden,
                    double tolerance, const std::string &which,
                    const std::string &check) {
    std::set<std::string> unused;
    for (const auto &[name, value] : golden.args)
      unused.insert(name);
    for (const ParamInfo &param : session.params()) {
      auto it = golden.args.find(param.name);
      ASSERT_NE(it, golden.args.end())
          << "the goldens lack parameter " << param.name;
      SEQC_ASSERT_OK(session.setParam(
          param.name, convertTensor(it->second, param.type.dtype)));
      unused.erase(param.name);
    }
    const EntryPoint *forward = session.entryPoint("forward");
    ASSERT_TRUE(forward);
    std::vector<Tensor> inputs;
    for (const EntryArgument &arg : forward->inputs) {
      auto it = golden.args.find(arg.name);
      ASSERT_NE(it, golden.args.end()) << "no value for input " << arg.name;
      inputs.push_back(convertTensor(it->second, arg.type.dtype));
      unused.erase(arg.name);
    }
    unused.erase("y"); // the loss's target
    EXPECT_TRUE(unused.empty())
        << "the model has no argument '" << *unused.begin() << "'";
    SEQC_ASSERT_OK_AND_ASSIGN(outputs, session.run("forward", inputs));
    ASSERT_EQ(outputs.size(), 1u);
    expectClose(maskSteps(outputs[0], golden.args.at("y_in_mask")), golden.out,
                tolerance, which, check, "out");
  }
};

/// In f32, as training runs: outputs, loss and gradients against PyTorch.
TEST_P(AttentionGoldenTest, F32MatchesPyTorch) {
  const ModelCase &model = GetParam();
  SEQC_ASSERT_OK_AND_ASSIGN(
      module,
      compileFrontendModel(context, model.source, 32, /*withLoss=*/false));
  SEQC_ASSERT_OK_AND_ASSIGN(session, JitSession::create(*module));
  SEQC_ASSERT_OK_AND_ASSIGN(loss, compileModelLoss(context, model, DType::F32));

  for (const char *suffix : kCaseSuffixes) {
    SEQC_ASSERT_OK_AND_ASSIGN(golden, goldensOf(model.name, suffix));
    checkForward(*session, golden, kF32PyTorchTolerance, suffix,
                 "f32 out vs PyTorch");
    SEQC_ASSERT_OK(setArguments(*loss, golden.args));
    SEQC_ASSERT_OK_AND_ASSIGN(result, loss->gradients());
    expectClose(result.loss, golden.loss, kF32PyTorchTolerance, suffix,
                "f32 loss vs PyTorch");
    EXPECT_EQ(result.grads.size(), golden.grads.size());
    for (const auto &[name, expected] : golden.grads) {
      auto it = result.grads.find(name);
      ASSERT_NE(it, result.grads.end()) << "no gradient of " << name;
      EXPECT_EQ(it->second.dtype(), DType::F32);
      expectClose(it->second, expected, kF32PyTorchTolerance, suffix,
                  "f32 grad vs PyTorch", name);
    }
  }
}

/// In f64: outputs, loss and gradients against PyTorch, and the gradients
/// against finite differences.
TEST_P(AttentionGoldenTest, F64MatchesPyTorchAndFiniteDifferences) {
  const ModelCase &model = GetParam();
  SEQC_ASSERT_OK_AND_ASSIGN(
      module,
      compileFrontendModel(context, model.source, 64, /*withLoss=*/false));
  SEQC_ASSERT_OK_AND_ASSIGN(session, JitSession::create(*module));
  SEQC_ASSERT_OK_AND_ASSIGN(loss, compileModelLoss(context, model, DType::F64));
  std::vector<std::string> inputs;
  for (const EntryArgument &arg : loss->arguments())
    if (arg.kind == EntryArgument::Kind::Input)
      inputs.push_back(arg.name);
  EXPECT_EQ(inputs, (std::vector<std::string>{"x", "y_in", "y", "x_mask",
                                              "y_in_mask"}));

  for (const char *suffix : kCaseSuffixes) {
    SEQC_ASSERT_OK_AND_ASSIGN(golden, goldensOf(model.name, suffix));
    checkForward(*session, golden, kF64PyTorchTolerance, suffix,
                 "f64 out vs PyTorch");
    SEQC_ASSERT_OK(setArguments(*loss, golden.args));
    SEQC_ASSERT_OK_AND_ASSIGN(result, loss->gradients());
    SEQC_ASSERT_OK_AND_ASSIGN(plainLoss, loss->loss());
    EXPECT_LE(relativeError(result.loss, plainLoss), 1e-14)
        << "@loss and @loss_grad disagree: " << plainLoss << " vs "
        << result.loss;
    expectClose(result.loss, golden.loss, kF64PyTorchTolerance, suffix,
                "f64 loss vs PyTorch");
    // Every parameter is differentiated, and has a golden gradient.
    EXPECT_EQ(result.grads.size(), golden.grads.size());
    for (const auto &[name, grad] : result.grads) {
      EXPECT_EQ(grad.dtype(), DType::F64);
      SEQC_ASSERT_OK_AND_ASSIGN(fd,
                                loss->finiteDifferences(name, kRelativeStep));
      expectClose(grad, fd, kFiniteDifferenceTolerance, suffix,
                  "f64 grad vs FD", name);
      auto it = golden.grads.find(name);
      ASSERT_NE(it, golden.grads.end()) << "no golden gradient of " << name;
      expectClose(grad, it->second, kF64PyTorchTolerance, suffix,
                  "f64 grad vs PyTorch", name);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Attention, AttentionGoldenTest,
                         ::testing::ValuesIn(attentionModels()),
                         CaseNamePrinter());

/// Every golden case has a test, and the other way round.
TEST(AttentionGoldens, CasesMatchTheGenerator) {
  SEQC_ASSERT_OK_AND_ASSIGN(inFile, goldenCaseNames(kGoldenFile));
  std::set<std::string> inTest;
  for (const ModelCase &model : attentionModels())
    for (const char *suffix : kCaseSuffixes)
      inTest.insert(caseName(model.name, suffix));
  EXPECT_EQ(inFile, inTest);
}

//===----------------------------------------------------------------------===//
// More encoder-decoders, against finite differences
//===----------------------------------------------------------------------===//

constexpr int64_t kSourceVocab = 7, kTargetVocab = 6;

/// Lengths of the instances' sources and targets.
struct Lengths {
  std::string name;
  std::vector<int64_t> source, target;
};

std::vector<Lengths> variantLengths() {
  return {
      {"T1", {3, 1, 5}, {1, 1, 1}},
      {"T17", {4, 6, 2}, {5, 17, 11}},
      // An instance without a target and one without a source: the decoder
      // keeps its initial state, attention over nothing gives 0.
      {"T3_empty", {5, 0, 3}, {3, 2, 0}},
  };
}

std::vector<ModelCase> attentionVariants() {
  return {
      // The decoder starts from a projection of the encoder's states,
      // averaged over the source's real steps.
      {"additive_projected", std::string(R"(use std.layers
use std.cells
use std.attention
model M(S = 7, V = 6, E = 3, H = 4) {
  src = Embedding(S, E)
  tgt = Embedding(V, E)
  enc = bidir(GRU(E, H))
  init = DenseTanh(2 * H, H)
  dec = AdditiveAttentionGRU(E, H, 2 * H, A = 5)
  head = Linear(3 * H, V)
  forward(x: seq<token>, y_in: seq<token>) -> seq<[V]> {
    hs = enc(src(x))
    return log_softmax(head(dec(tgt(y_in), hs = hs, h = init(mean(hs, axis = time)))))
  }
}
)") + kPairsTrain},
      // Sizes past the kernels' tiles.
      {"additive_wide", std::string(R"(use std.layers
use std.cells
use std.attention
model M(S = 7, V = 6, E = 9, H = 13) {
  src = Embedding(S, E)
  tgt = Embedding(V, E)
  enc = bidir(GRU(E, H))
  dec = AdditiveAttentionGRU(E, H, 2 * H, A = 11)
  head = Linear(3 * H, V)
  forward(x: seq<token>, y_in: seq<token>) -> seq<[V]> {
    return log_softmax(head(dec(tgt(y_in), hs = enc(src(x)))))
  }
}
)") + kPairsTrain},
      // One weight in the part of the step computed once before the loop
      // (Wa @ hs) and in the loop (Wa @ h[t-1]); a context alone reduced in
      // the step; two per-step inputs.
      {"shared_hoisted", std::string(R"(use std.layers
use std.cells
use std.attention
cell SharedAttention(P, H) {
  context hs: seq<[H]>
  input y: [P], e: [P]
  param Wa: [H, H], va: [H]
  param W: [H, H], U: [H, P], Ue: [H, P], C: [H, H], b: [H]
  state h: [H] = 0
  c = additive_attention(h[t-1], hs, Wa, Wa, va) + mean(tanh(hs), axis = time)
  h = tanh(W @ h[t-1] + U @ y[t] + Ue @ e[t] + C @ c + b)
  out concat(c, h)
}
model M(S = 7, V = 6, E = 3, H = 4) {
  src = Embedding(S, E)
  tgt = Embedding(V, E)
  pos = Embedding(V, E)
  enc = GRU(E, H)
  dec = SharedAttention(E, H)
  head = Linear(2 * H, V)
  forward(x: seq<token>, y_in: seq<token>) -> seq<[V]> {
    hs = enc(src(x))
    return log_softmax(head(dec(tgt(y_in), pos(y_in), hs = hs, h = last(hs))))
  }
}
)") + kPairsTrain},
      // Attention over the source's embeddings, without an encoder.
      {"dot_embeddings", std::string(R"(use std.layers
use std.cells
use std.attention
model M(S = 7, V = 6, H = 4) {
  src = Embedding(S, H)
  tgt = Embedding(V, H)
  dec = DotAttentionLSTM(H, H)
  head = Linear(2 * H, V)
  forward(x: seq<token>, y_in: seq<token>) -> seq<[V]> {
    return log_softmax(head(dec(tgt(y_in), hs = src(x))))
  }
}
)") + kPairsTrain},
  };
}

/// Random arguments of a seq2seq loss: the tables standard normal, the other
/// parameters uniform in [-0.5, 0.5], token ids everywhere (the padding
/// too), masks of the given lengths.
std::map<std::string, Tensor>
randomSeq2SeqArguments(llvm::ArrayRef<EntryArgument> args,
                       const Lengths &lengths, uint64_t seed) {
  Rng rng(seed);
  auto steps = [](const std::vector<int64_t> &v) {
    return *std::max_element(v.begin(), v.end());
  };
  int64_t sourceSteps = steps(lengths.source),
          targetSteps = steps(lengths.target);
  auto mask = [&](const std::vector<int64_t> &v, int64_t T) {
    Tensor m(DType::F64, {T, kBatch});
    for (int64_t t = 0; t < T; ++t)
      for (int64_t n = 0; n < kBatch; ++n)
        m.setDouble(t * kBatch + n, t < v[n] ? 1.0 : 0.0);
    return m;
  };
  auto tokens = [&](int64_t T, int64_t vocab) {
    Tensor ids(DType::I64, {T, kBatch});
    for (int64_t i = 0; i < ids.numElements(); ++i)
      ids.setDouble(i, static_cast<double>(rng.below(vocab)));
    return ids;
  };
  std::map<std::string, Tensor> values;
  values["x"] = tokens(sourceSteps, kSourceVocab);
  values["y_in"] = tokens(targetSteps, kTargetVocab);
  values["y"] = tokens(targetSteps, kTargetVocab);
  values["x_mask"] = mask(lengths.source, sourceSteps);
  values["y_in_mask"] = mask(lengths.target, targetSteps);
  for (const EntryArgument &arg : args) {
    if (arg.kind != EntryArgument::Kind::Param)
      continue;
    Tensor value(DType::F64, arg.type.shape);
    bool table = llvm::StringRef(arg.name).ends_with(".table");
    for (int64_t i = 0; i < value.numElements(); ++i)
      value.setDouble(i, table ? rng.normal() : rng.uniform(-0.5, 0.5));
    values[arg.name] = std::move(value);
  }
  return values;
}

bool allFinite(const Tensor &tensor) {
  for (int64_t i = 0; i < tensor.numElements(); ++i)
    if (!std::isfinite(tensor.getDouble(i)))
      return false;
  return true;
}

class AttentionVariantsGradTest : public GoldenTest<ModelCase> {};

TEST_P(AttentionVariantsGradTest, F64MatchesFiniteDifferences) {
  const ModelCase &model = GetParam();
  SEQC_ASSERT_OK_AND_ASSIGN(loss, compileModelLoss(context, model, DType::F64));
  uint64_t seed = 8000;
  for (const Lengths &lengths : variantLengths()) {
    auto values = randomSeq2SeqArguments(loss->arguments(), lengths, ++seed);
    SEQC_ASSERT_OK(setArguments(*loss, values));
    SEQC_ASSERT_OK_AND_ASSIGN(result, loss->gradients());
    EXPECT_TRUE(std::isfinite(result.loss)) << lengths.name;
    for (const auto &[name, grad] : result.grads) {
      EXPECT_TRUE(allFinite(grad)) << lengths.name << ", " << name;
      SEQC_ASSERT_OK_AND_ASSIGN(fd,
                                loss->finiteDifferences(name, kRelativeStep));
      expectClose(grad, fd, kFiniteDifferenceTolerance, lengths.name,
                  "f64 grad vs FD", name);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Attention, AttentionVariantsGradTest,
                         ::testing::ValuesIn(attentionVariants()),
                         CaseNamePrinter());

/// Unrolled scans (the attribute unroll = 2 on every seq.scan, with a
/// remainder at odd T) compute what the loops do, with a decoder that
/// captures a context; an Elman step keeps LLVM's compile time short.
class AttentionUnrollGradTest : public GoldenTest<ModelCase> {};

TEST_P(AttentionUnrollGradTest, UnrolledMatchesLooped) {
  const ModelCase &model = GetParam();
  SEQC_ASSERT_OK_AND_ASSIGN(looped,
                            compileModelLoss(context, model, DType::F64));
  SEQC_ASSERT_OK_AND_ASSIGN(unrolled,
                            compileModelLoss(context, model, DType::F64, 2));
  EXPECT_NE(unrolled->differentiatedModule().find("unroll = 2 : i64"),
            llvm::StringRef::npos);
  uint64_t seed = 9000;
  for (const Lengths &lengths : variantLengths()) {
    auto values = randomSeq2SeqArguments(looped->arguments(), lengths, ++seed);
    SEQC_ASSERT_OK(setArguments(*looped, values));
    SEQC_ASSERT_OK(setArguments(*unrolled, values));
    SEQC_ASSERT_OK_AND_ASSIGN(expected, looped->gradients());
    SEQC_ASSERT_OK_AND_ASSIGN(actual, unrolled->gradients());
    expectClose(actual.loss, expected.loss, 1e-12, lengths.name,
                "unrolled vs looped");
    EXPECT_EQ(actual.grads.size(), expected.grads.size());
    for (const auto &[name, grad] : actual.grads) {
      auto it = expected.grads.find(name);
      ASSERT_NE(it, expected.grads.end()) << "no looped gradient of " << name;
      expectClose(grad, it->second, 1e-12, lengths.name, "unrolled vs looped",
                  name);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Attention, AttentionUnrollGradTest,
                         ::testing::Values(ModelCase{
                             "elman_dot", std::string(R"(use std.layers
use std.cells
use std.attention
cell AttentionElman(P, H) {
  context hs: seq<[H]>
  param W: [H, H], U: [H, P], b: [H]
  state h: [H] = 0
  h = tanh(W @ h[t-1] + U @ x[t] + b)
  c = dot_attention(h, hs)
  out concat(c, h)
}
model M(S = 7, V = 6, E = 3, H = 4) {
  src = Embedding(S, E)
  tgt = Embedding(V, E)
  enc = Elman(E, H)
  dec = AttentionElman(E, H)
  head = Linear(2 * H, V)
  forward(x: seq<token>, y_in: seq<token>) -> seq<[V]> {
    hs = enc(src(x))
    return log_softmax(head(dec(tgt(y_in), hs = hs, h = last(hs))))
  }
}
)") + kPairsTrain}),
                         CaseNamePrinter());

//===----------------------------------------------------------------------===//
// The reductions over time alone
//===----------------------------------------------------------------------===//

constexpr int64_t kFeatures = 3;

/// The model of the reductions over time; forward is one number per
/// instance, the loss sum(forward(x) * R).
ModelCase reductionsModel() {
  return {"reductions", R"(model M(E = 3) {
  param p: [E]
  param q: [E]
  forward(x: seq<[E]>) -> [] {
    pooled = sum(mean(x, axis = time) + max(x, axis = time))
    w = softmax(x @ p, axis = time)
    return pooled + sum(sum(w * (q * x), axis = time))
  }
}
)"};
}

/// The instances' lengths at T steps: T, about half of it, and none.
std::vector<int64_t> reductionLengths(int64_t steps) {
  return {steps, (steps + 1) / 2, 0};
}

/// The forward of reductionsModel() for one instance n, computed directly
/// over its real steps: x [T, N, E], p, q [E].
double referenceReductions(const Tensor &x, const Tensor &p, const Tensor &q,
                           int64_t n, int64_t length) {
  auto at = [&](int64_t t, int64_t e) {
    return x.getDouble((t * kBatch + n) * kFeatures + e);
  };
  if (length == 0)
    return 0; // the mean, the max and the sum of nothing are 0
  double result = 0;
  for (int64_t e = 0; e < kFeatures; ++e) {
    double sum = 0, max = -INFINITY;
    for (int64_t t = 0; t < length; ++t) {
      sum += at(t, e);
      max = std::max(max, at(t, e));
    }
    result += sum / length + max;
  }
  std::vector<double> scores(length);
  for (int64_t t = 0; t < length; ++t)
    for (int64_t e = 0; e < kFeatures; ++e)
      scores[t] += at(t, e) * p.getDouble(e);
  double top = *std::max_element(scores.begin(), scores.end()), total = 0;
  for (double &s : scores)
    total += (s = std::exp(s - top));
  for (int64_t t = 0; t < length; ++t)
    for (int64_t e = 0; e < kFeatures; ++e)
      result += scores[t] / total * q.getDouble(e) * at(t, e);
  return result;
}

class TimeReductionsGradTest : public GoldenTest<ModelCase> {};

/// softmax, sum, mean and max over axis = time leave the padding out (which
/// holds large values here), give an instance without real steps 0, and
/// their gradients match finite differences, also with respect to x.
TEST_P(TimeReductionsGradTest, F64MatchesReferenceAndFiniteDifferences) {
  const ModelCase &model = GetParam();
  SEQC_ASSERT_OK_AND_ASSIGN(
      module,
      compileFrontendModel(context, model.source, 64, /*withLoss=*/false));
  SEQC_ASSERT_OK(addWeightedSumLoss(*module));
  SEQC_ASSERT_OK_AND_ASSIGN(
      loss, compileLoss(context, *module, DType::F64, /*wrtInputs=*/true));

  for (int64_t steps : kStepCounts) {
    std::string which = fmt::format("T{}", steps);
    std::vector<int64_t> lengths = reductionLengths(steps);
    Rng rng(7000 + steps);
    Tensor x(DType::F64, {steps, kBatch, kFeatures});
    Tensor mask(DType::F64, {steps, kBatch});
    for (int64_t t = 0; t < steps; ++t)
      for (int64_t n = 0; n < kBatch; ++n) {
        bool real = t < lengths[n];
        mask.setDouble(t * kBatch + n, real ? 1.0 : 0.0);
        for (int64_t e = 0; e < kFeatures; ++e)
          x.setDouble((t * kBatch + n) * kFeatures + e,
                      real ? rng.normal() : 10.0 + e);
      }
    Tensor p(DType::F64, {kFeatures}), q(DType::F64, {kFeatures});
    for (int64_t e = 0; e < kFeatures; ++e) {
      p.setDouble(e, rng.uniform(-1.5, 1.5));
      q.setDouble(e, rng.uniform(-1.5, 1.5));
    }
    Tensor R(DType::F64, {kBatch});
    for (int64_t n = 0; n < kBatch; ++n)
      R.setDouble(n, rng.normal());
    std::map<std::string, Tensor> values = {
        {"x", x}, {"mask", mask}, {"p", p}, {"q", q}, {"R", R}};
    SEQC_ASSERT_OK(setArguments(*loss, values));

    double expected = 0;
    for (int64_t n = 0; n < kBatch; ++n)
      expected += R.getDouble(n) * referenceReductions(x, p, q, n, lengths[n]);
    SEQC_ASSERT_OK_AND_ASSIGN(result, loss->gradients());
    expectClose(result.loss, expected, kReferenceTolerance, which,
                "f64 loss vs reference");
    EXPECT_EQ(result.grads.size(), values.size());
    for (const auto &[name, grad] : result.grads) {
      if (isMask(name))
        continue;
      SEQC_ASSERT_OK_AND_ASSIGN(fd,
                                loss->finiteDifferences(name, kRelativeStep));
      expectClose(grad, fd, kFiniteDifferenceTolerance, which, "f64 grad vs FD",
                  name);
    }
    // Nothing flows into the padding.
    const Tensor &dx = result.grads.at("x");
    for (int64_t t = 0; t < steps; ++t)
      for (int64_t n = 0; n < kBatch; ++n)
        for (int64_t e = 0; e < kFeatures; ++e)
          if (t >= lengths[n]) {
            EXPECT_EQ(dx.getDouble((t * kBatch + n) * kFeatures + e), 0.0)
                << "T = " << steps << ", x[" << t << ", " << n << ", " << e
                << "]";
          }
  }
}

INSTANTIATE_TEST_SUITE_P(Attention, TimeReductionsGradTest,
                         ::testing::Values(reductionsModel()),
                         CaseNamePrinter());

} // namespace
