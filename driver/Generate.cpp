//===- Generate.cpp - `seqc generate`: sampling from a language model -----===//
#include "seqc/Driver/Generate.h"

#include "seqc/Runtime/Data.h"
#include "seqc/Runtime/Error.h"
#include "seqc/Runtime/Random.h"
#include "seqc/Runtime/SequenceData.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

using namespace seqc;
using namespace seqc::driver;
using namespace seqc::rt;

int64_t seqc::driver::sampleUnit(llvm::ArrayRef<double> scores,
                                 double temperature,
                                 llvm::ArrayRef<int64_t> excluded,
                                 double uniform) {
  // Probabilities (a softmax output) become log-probabilities; logits and
  // log-probabilities are used as they are: softmax(s / T) is the same
  // distribution for both.
  bool probabilities = true;
  double total = 0.0;
  for (double s : scores) {
    probabilities &= s >= 0.0;
    total += s;
  }
  probabilities &= std::abs(total - 1.0) < 1e-3;
  std::vector<double> logits(scores.begin(), scores.end());
  if (probabilities)
    for (double &s : logits)
      s = std::log(std::max(s, 1e-30));
  double lowest = -std::numeric_limits<double>::infinity();
  for (int64_t id : excluded)
    if (id >= 0 && id < int64_t(logits.size()))
      logits[id] = lowest;
  int64_t best =
      std::max_element(logits.begin(), logits.end()) - logits.begin();
  if (temperature <= 0.0)
    return best;
  std::vector<double> weights(logits.size());
  double sum = 0.0;
  for (size_t i = 0; i < logits.size(); ++i) {
    weights[i] = logits[i] == lowest
                     ? 0.0
                     : std::exp((logits[i] - logits[best]) / temperature);
    sum += weights[i];
  }
  double target = uniform * sum, running = 0.0;
  for (size_t i = 0; i < weights.size(); ++i) {
    running += weights[i];
    if (weights[i] > 0.0 && target < running)
      return i;
  }
  return best;
}

/// A [T, 1] input of token ids and its mask of ones, typed as `entry`
/// declares them.
static llvm::Expected<std::vector<Tensor>>
stepInputs(const EntryPoint &entry, llvm::ArrayRef<int64_t> ids) {
  int64_t steps = ids.size();
  std::vector<Tensor> inputs;
  for (const EntryArgument &input : entry.inputs) {
    if (input.name == "mask") {
      Tensor mask(input.type.dtype, {steps, 1});
      if (input.type.dtype == DType::F64)
        std::fill_n(mask.data<double>(), steps, 1.0);
      else
        std::fill_n(mask.data<float>(), steps, 1.0f);
      inputs.push_back(std::move(mask));
    } else if (input.name.rfind("state.", 0) == 0) {
      break; // the states follow; the caller appends them
    } else if (input.type.dtype == DType::I64 && input.type.shape.size() == 2 &&
               inputs.empty()) {
      inputs.push_back(Tensor::fromValues<int64_t>({steps, 1}, ids));
    } else {
      return makeError("generate feeds a model one sequence of tokens, but "
                       "'{}' takes '{}': {}",
                       entry.name, input.name, input.type.str());
    }
  }
  return inputs;
}

/// The scores of the last step of a [T, 1, V] result.
static std::vector<double> lastStepScores(const Tensor &result) {
  llvm::ArrayRef<int64_t> shape = result.shape();
  int64_t vocab = shape.back();
  int64_t offset = (shape.front() - 1) * vocab;
  std::vector<double> scores(vocab);
  for (int64_t v = 0; v < vocab; ++v)
    scores[v] = result.dtype() == DType::F64 ? result.data<double>()[offset + v]
                                             : result.data<float>()[offset + v];
  return scores;
}

llvm::Error seqc::driver::generateCommand(const ModelCompiler &compile,
                                          const GenerateOptions &options,
                                          llvm::raw_ostream &out) {
  if (options.fromDir.empty())
    return makeError("generate needs a trained model: --from DIR");
  auto checkpoint = readCheckpoint(options.fromDir);
  if (!checkpoint)
    return checkpoint.takeError();
  const std::string &path = checkpoint->path;
  const DataSchema *schema = &checkpoint->schema;
  if (schema->kind == DataSourceKind::Pairs)
    return makeError("{}: the model was trained on pairs(...): give it "
                     "sources to decode, --input TEXT or --input-file FILE",
                     path);
  if (schema->kind != DataSourceKind::Text)
    return makeError("{}: generate samples text from a model trained on "
                     "text(...) data; this one was trained on {} data",
                     path, dataSourceName(schema->kind));
  if (options.prompt.empty())
    return makeError("generate needs a prompt to start from: --prompt "
                     "\"Call me\"");
  std::vector<int64_t> prompt = encodeText(*schema, options.prompt);
  if (prompt.empty())
    return makeError("the prompt \"{}\" has no {} units", options.prompt,
                     schema->unit);

  auto module = compile(schema->dataDims());
  if (!module)
    return module.takeError();
  auto session = JitSession::create(**module, options.jit);
  if (!session)
    return session.takeError();
  if (llvm::Error error =
          (*session)->loadCheckpoint(checkpoint->file, path, false))
    return error;
  const EntryPoint *start = (*session)->entryPoint("forward_start");
  const EntryPoint *step = (*session)->entryPoint("forward_step");
  if (!start || !step)
    return makeError("the model cannot generate: its forward needs a cell "
                     "running forward in time (a bidirectional cell sees "
                     "the future)");

  // The prompt is printed first, then every unit as soon as it is drawn.
  out << options.prompt;
  out.flush();
  using Clock = std::chrono::steady_clock;
  std::vector<double> unitSeconds;
  auto unitStart = Clock::now();

  auto inputs = stepInputs(*start, prompt);
  if (!inputs)
    return inputs.takeError();
  auto results = (*session)->run("forward_start", *inputs);
  if (!results)
    return results.takeError();

  Rng rng(options.seed);
  const int64_t excluded[] = {kPadToken, kUnknownToken};
  bool words = schema->unit == "word";
  for (int64_t i = 0; i < options.length; ++i) {
    int64_t unit = sampleUnit(lastStepScores(results->front()),
                              options.temperature, excluded, rng.uniform());
    if (options.bench) {
      auto now = Clock::now();
      unitSeconds.push_back(
          std::chrono::duration<double>(now - unitStart).count());
      unitStart = now;
    }
    out << (words && i > 0 ? " " : "") << decodeTokens(*schema, {unit});
    out.flush();
    if (i + 1 == options.length)
      break;
    auto next = stepInputs(*step, {unit});
    if (!next)
      return next.takeError();
    // The states the last call returned, in the order step takes them.
    for (size_t s = 1; s < results->size(); ++s)
      next->push_back(std::move((*results)[s]));
    results = (*session)->run("forward_step", *next);
    if (!results)
      return results.takeError();
  }
  out << "\n";
  if (options.bench) {
    // The first unit includes the prompt's forward pass; the median is the
    // latency of one step of generation.
    std::vector<double> later(unitSeconds.begin() + 1, unitSeconds.end());
    double median = std::nan("");
    if (!later.empty()) {
      std::nth_element(later.begin(), later.begin() + later.size() / 2,
                       later.end());
      median = later[later.size() / 2];
    }
    out << fmt::format("BENCH generate units={} median_unit_ms={:.4f} "
                       "first_unit_ms={:.4f} compile_s={:.3f}\n",
                       unitSeconds.size(), median * 1e3,
                       unitSeconds.front() * 1e3,
                       (*session)->compileInfo().seconds);
  }
  out.flush();
  return llvm::Error::success();
}
