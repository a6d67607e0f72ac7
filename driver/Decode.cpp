//===- Decode.cpp - `seqc generate` for encoder-decoder models ------------===//
#include "seqc/Driver/Decode.h"

#include "seqc/Runtime/AlignmentPlot.h"
#include "seqc/Runtime/BeamSearch.h"
#include "seqc/Runtime/Checkpoint.h"
#include "seqc/Runtime/Error.h"
#include "seqc/Runtime/SequenceData.h"
#include "seqc/Runtime/SequenceMetrics.h"
#include "seqc/Support/ReadFile.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <optional>

using namespace seqc;
using namespace seqc::driver;
using namespace seqc::rt;

namespace {

struct Example {
  std::string source;
  std::vector<int64_t> ids;
  std::optional<std::string> reference;
};

/// The roles of an entry point's inputs: the source, the decoder's input
/// and their masks (the first and the second `*_mask`), then the states.
struct InputRoles {
  int64_t source = -1, decoderInput = -1, sourceMask = -1, decoderMask = -1;
  std::vector<int64_t> states;
};

llvm::Expected<InputRoles> rolesOf(const EntryPoint &entry) {
  InputRoles roles;
  for (auto [index, input] : llvm::enumerate(entry.inputs)) {
    llvm::StringRef name = input.name;
    int64_t i = int64_t(index);
    if (name.starts_with("state."))
      roles.states.push_back(i);
    else if (name.ends_with("_mask"))
      (roles.sourceMask < 0 ? roles.sourceMask : roles.decoderMask) = i;
    else if (roles.source < 0)
      roles.source = i;
    else if (roles.decoderInput < 0)
      roles.decoderInput = i;
    else
      return makeError("@{} takes an input '{}' besides the source, the "
                       "decoder's input and their masks",
                       entry.name, input.name);
  }
  if (roles.decoderInput < 0 || roles.sourceMask < 0 || roles.decoderMask < 0)
    return makeError("@{} does not take a source and a decoder's input with "
                     "their masks; decoding needs forward(x: seq<token>, "
                     "y_in: seq<token>)",
                     entry.name);
  return roles;
}

llvm::Expected<std::vector<Example>> readExamples(const DecodeOptions &options,
                                                  const DataSchema &schema) {
  std::vector<Example> examples;
  auto add = [&](llvm::StringRef source, std::optional<std::string> reference) {
    Example example;
    example.source = source.str();
    example.ids = encodeText(schema, source);
    example.reference = std::move(reference);
    // Units the training data did not have are read as <unk>, as in
    // training; say so, once per input.
    int64_t unknown = llvm::count(example.ids, kUnknownToken);
    if (unknown > 0)
      llvm::errs() << fmt::format(
          "seqc: warning: {} unit{} of \"{}\" {} not in the source "
          "vocabulary and {} read as <unk>\n",
          unknown, unknown == 1 ? "" : "s", example.source,
          unknown == 1 ? "is" : "are", unknown == 1 ? "is" : "are");
    examples.push_back(std::move(example));
  };
  for (const std::string &input : options.inputs)
    add(llvm::StringRef(input).trim(' '), std::nullopt);
  if (!options.inputFile.empty()) {
    auto buffer = readRegularFile(options.inputFile, kMaxDataBytes, true);
    if (!buffer)
      return makeError("{}: {}", options.inputFile,
                       llvm::toString(buffer.takeError()));
    llvm::StringRef text = (*buffer)->getBuffer();
    int64_t line = 0;
    while (!text.empty()) {
      auto [row, rest] = text.split('\n');
      text = rest;
      ++line;
      row = row.rtrim("\r");
      if (row.trim(' ').empty())
        continue;
      auto [source, reference] = row.split('\t');
      if (source.trim(' ').empty())
        return makeError("{}:{}: empty source", options.inputFile, line);
      add(source.trim(' '), row.contains('\t')
                                ? std::optional(reference.trim(' ').str())
                                : std::nullopt);
    }
  }
  if (examples.empty())
    return makeError("nothing to decode: give --input TEXT or --input-file "
                     "FILE (a source, or source<TAB>reference, per line)");
  for (const Example &example : examples)
    if (example.ids.empty())
      return makeError("the input \"{}\" has no {} units", example.source,
                       schema.unit);
  return examples;
}

/// Rows `parents` of `tensor` (batch axis first), in that order.
Tensor gatherRows(const Tensor &tensor, llvm::ArrayRef<int64_t> parents) {
  llvm::SmallVector<int64_t, 4> shape(tensor.shape());
  int64_t rows = shape.front();
  size_t rowBytes = rows ? tensor.sizeInBytes() / rows : 0;
  shape.front() = int64_t(parents.size());
  Tensor result(tensor.dtype(), shape);
  for (auto [row, parent] : llvm::enumerate(parents))
    std::memcpy(result.rawData() + row * rowBytes,
                tensor.rawData() + parent * rowBytes, rowBytes);
  return result;
}

/// Decodes `examples` together: the model side of the beam search.
class BatchDecoder {
public:
  BatchDecoder(JitSession &session, llvm::ArrayRef<Example> examples,
               const EntryPoint &start, const EntryPoint &step,
               const InputRoles &startRoles, const InputRoles &stepRoles)
      : session(session), examples(examples), start(start), step(step),
        startRoles(startRoles), stepRoles(stepRoles) {
    for (const Example &example : examples)
      sourceSteps = std::max<int64_t>(sourceSteps, example.ids.size());
    for (auto [index, name] : llvm::enumerate(step.resultNames))
      if (name == "attention")
        attentionResult = int64_t(index);
  }

  int64_t sourceSteps = 0;
  /// The index of @forward_step's attention weights [1, Ts, R], or -1.
  int64_t attentionResult = -1;

  llvm::Error operator()(const DecodeStep &decode) {
    bool first = rowInstance.empty();
    int64_t rows = int64_t(decode.parents.size());
    std::vector<int64_t> instance(rows);
    for (int64_t r = 0; r < rows; ++r)
      instance[r] = first ? decode.parents[r] : rowInstance[decode.parents[r]];
    const EntryPoint &entry = first ? start : step;
    const InputRoles &roles = first ? startRoles : stepRoles;

    std::vector<Tensor> inputs(entry.inputs.size());
    const TensorType &maskType = entry.inputs[roles.sourceMask].type;
    Tensor source(DType::I64, {sourceSteps, rows});
    Tensor sourceMask(maskType.dtype, {sourceSteps, rows});
    for (int64_t r = 0; r < rows; ++r) {
      const std::vector<int64_t> &ids = examples[instance[r]].ids;
      for (size_t t = 0; t < ids.size(); ++t) {
        source.data<int64_t>()[t * rows + r] = ids[t];
        sourceMask.setDouble(t * rows + r, 1.0);
      }
    }
    Tensor decoderMask(entry.inputs[roles.decoderMask].type.dtype, {1, rows});
    decoderMask.fill(1.0);
    inputs[roles.source] = std::move(source);
    inputs[roles.sourceMask] = std::move(sourceMask);
    inputs[roles.decoderInput] = Tensor::fromValues<int64_t>(
        {1, rows}, llvm::ArrayRef<int64_t>(decode.tokens));
    inputs[roles.decoderMask] = std::move(decoderMask);
    if (roles.states.size() != states.size() && !first)
      return makeError("@{} takes {} states, @{} returned {}", entry.name,
                       roles.states.size(), start.name, states.size());
    for (size_t s = 0; s < roles.states.size(); ++s)
      inputs[roles.states[s]] = gatherRows(states[s], decode.parents);

    auto results = session.run(entry.name, inputs);
    if (!results)
      return results.takeError();
    const Tensor &logProbs = results->front(); // [1, R, V]
    int64_t vocab = logProbs.dim(2);
    decode.logProbs->resize(rows * vocab);
    for (int64_t i = 0; i < rows * vocab; ++i)
      (*decode.logProbs)[i] = float(logProbs.getDouble(i));
    states.clear();
    for (size_t i = 1; i < results->size(); ++i) {
      if (int64_t(i) == attentionResult) {
        const Tensor &weights = (*results)[i]; // [1, Ts, R]
        if (decode.extras) {
          decode.extras->assign(rows * sourceSteps, 0.0f);
          for (int64_t r = 0; r < rows; ++r)
            for (int64_t t = 0; t < sourceSteps; ++t)
              (*decode.extras)[r * sourceSteps + t] =
                  float(weights.getDouble(t * rows + r));
        }
        continue;
      }
      states.push_back(std::move((*results)[i]));
    }
    rowInstance = std::move(instance);
    return llvm::Error::success();
  }

private:
  JitSession &session;
  llvm::ArrayRef<Example> examples;
  const EntryPoint &start, &step;
  const InputRoles &startRoles, &stepRoles;
  std::vector<int64_t> rowInstance; // empty before the first step
  std::vector<Tensor> states;
};

/// The target side's ids of a reference text.
std::vector<int64_t> encodeReference(const DataSchema &schema,
                                     const Vocabulary &targets,
                                     llvm::StringRef text) {
  std::vector<int64_t> ids;
  for (llvm::StringRef unit : splitUnits(text, schema.targetUnit))
    ids.push_back(targets.id(unit));
  return ids;
}

/// The units of a text for the axis of an alignment picture.
std::vector<std::string> unitsOf(llvm::StringRef text, llvm::StringRef unit) {
  std::vector<std::string> units;
  for (llvm::StringRef piece : splitUnits(text, unit))
    units.push_back(piece.str());
  return units;
}

} // namespace

llvm::Error seqc::driver::decodeCommand(const ModelCompiler &compile,
                                        const DecodeOptions &options,
                                        llvm::raw_ostream &out) {
  auto checkpoint = readCheckpoint(options.fromDir);
  if (!checkpoint)
    return checkpoint.takeError();
  const DataSchema &schema = checkpoint->schema;
  if (options.beamWidth < 1 || options.nBest < 1 ||
      options.nBest > options.beamWidth)
    return makeError("--beam must be at least 1 and --n-best between 1 and "
                     "the beam's width");
  auto examples = readExamples(options, schema);
  if (!examples)
    return examples.takeError();

  auto module = compile(schema.dataDims());
  if (!module)
    return module.takeError();
  auto session = JitSession::create(**module, options.jit);
  if (!session)
    return session.takeError();
  if (llvm::Error error =
          (*session)->loadCheckpoint(checkpoint->file, checkpoint->path, false))
    return error;
  const EntryPoint *start = (*session)->entryPoint("forward_start");
  const EntryPoint *step = (*session)->entryPoint("forward_step");
  if (!start || !step)
    return makeError("the model cannot decode: its decoder needs a cell "
                     "running forward in time over y_in");
  auto startRoles = rolesOf(*start);
  if (!startRoles)
    return startRoles.takeError();
  auto stepRoles = rolesOf(*step);
  if (!stepRoles)
    return stepRoles.takeError();
  int64_t vocab = int64_t(schema.targetVocabulary.size());

  Vocabulary targets(schema.targetVocabulary, kPairUnitsBegin);
  DecodeScores scores;
  bool drawn = false;
  for (size_t begin = 0; begin < examples->size();
       begin += size_t(options.batch)) {
    llvm::ArrayRef<Example> batch = llvm::ArrayRef(*examples).slice(
        begin, std::min(size_t(options.batch), examples->size() - begin));
    BatchDecoder decoder(**session, batch, *start, *step, *startRoles,
                         *stepRoles);
    BeamSearchOptions search;
    search.beamWidth = options.beamWidth;
    search.keep = options.nBest;
    search.lengthPenalty = options.lengthPenalty;
    search.startToken = kStartToken;
    search.endToken = kEndToken;
    search.maxLength = options.maxLength > 0 ? options.maxLength
                                             : 2 * decoder.sourceSteps + 10;
    int64_t extrasWidth =
        decoder.attentionResult >= 0 ? decoder.sourceSteps : 0;
    auto hypotheses =
        beamSearch(int64_t(batch.size()), vocab, extrasWidth, search,
                   [&](const DecodeStep &s) { return decoder(s); });
    if (!hypotheses)
      return hypotheses.takeError();
    for (auto [example, best] : llvm::zip(batch, *hypotheses)) {
      for (auto [rank, hypothesis] : llvm::enumerate(best)) {
        std::string text = decodeTarget(schema, hypothesis.tokens);
        if (options.nBest > 1)
          out << fmt::format("{}\t{:.4f}\t", rank + 1, hypothesis.score);
        out << text << "\n";
      }
      if (example.reference && !best.empty())
        scores.add(best.front().tokens,
                   encodeReference(schema, targets, *example.reference));
      if (!options.attentionSvg.empty() && !drawn && !best.empty()) {
        drawn = true;
        if (extrasWidth == 0)
          return makeError("--attention: the model's decoder has no "
                           "attention softmax (softmax(..., axis = time) in "
                           "its cell)");
        // One row per output token (</s> included), the real source steps.
        const Hypothesis &winner = best.front();
        std::vector<std::string> sources = unitsOf(example.source, schema.unit);
        std::vector<std::string> outputs;
        for (int64_t token : winner.tokens)
          outputs.push_back(decodeTarget(schema, {token}));
        outputs.push_back("</s>");
        size_t steps = std::min(outputs.size(),
                                winner.extras.size() / size_t(extrasWidth));
        outputs.resize(steps);
        std::vector<float> weights;
        for (size_t i = 0; i < steps; ++i)
          for (size_t j = 0; j < sources.size(); ++j)
            weights.push_back(winner.extras[i * extrasWidth + j]);
        if (llvm::Error error = writeAlignmentSvg(options.attentionSvg, sources,
                                                  outputs, weights))
          return error;
      }
    }
    out.flush();
  }
  if (scores.count() > 0)
    out << fmt::format("{} references: exact match {:.4f}, token accuracy "
                       "{:.4f}, edit rate {:.4f}\n",
                       scores.count(), scores.exactMatch(),
                       scores.tokenAccuracy(), scores.editRate());
  return llvm::Error::success();
}
