//===- BeamSearch.cpp - Greedy and beam-search decoding -------------------===//
//
// The search of BeamSearch.h. Hypotheses share their prefixes in a tree of
// emitted tokens (one node per token, pointing at its parent), so that a
// step costs O(rows) bookkeeping however long the hypotheses are.
//
//===----------------------------------------------------------------------===//
#include "seqc/Runtime/BeamSearch.h"

#include "seqc/Runtime/Error.h"

#include <algorithm>
#include <cmath>

using namespace seqc;
using namespace seqc::rt;

namespace {

/// One emitted token, with the extras of the step that emitted it.
struct Node {
  int64_t token;
  int64_t parent; ///< -1 for a first token.
};

/// An active hypothesis: one row of the next step.
struct Beam {
  int64_t instance;
  int64_t node; ///< Its last token.
  int64_t length;
  double logProb;
};

struct Candidate {
  double logProb;
  int64_t row;
  int64_t token;
};

double rankingScore(double logProb, int64_t length, double lengthPenalty) {
  if (lengthPenalty == 0.0 || length == 0)
    return logProb;
  return logProb / std::pow(double(length), lengthPenalty);
}

class Search {
public:
  Search(int64_t instances, int64_t vocabSize, int64_t extrasWidth,
         const BeamSearchOptions &options)
      : instances(instances), vocabSize(vocabSize), extrasWidth(extrasWidth),
        options(options), finished(instances) {}

  llvm::Expected<std::vector<std::vector<Hypothesis>>>
  run(const DecodeStepFn &step);

private:
  /// Ends `beam` extended by `token` (the end token, or the last token at
  /// the maximum length).
  void finish(const Beam &beam, int64_t node, double logProb, bool ended);
  Hypothesis hypothesis(int64_t node, double logProb, int64_t length,
                        bool ended) const;

  int64_t instances, vocabSize, extrasWidth;
  BeamSearchOptions options;
  std::vector<Node> nodes;
  std::vector<float> nodeExtras; ///< extrasWidth per node.
  std::vector<std::vector<Hypothesis>> finished;
};

Hypothesis Search::hypothesis(int64_t node, double logProb, int64_t length,
                              bool ended) const {
  Hypothesis result;
  result.logProb = logProb;
  result.score = rankingScore(logProb, length, options.lengthPenalty);
  result.ended = ended;
  std::vector<int64_t> path;
  for (int64_t at = node; at >= 0; at = nodes[at].parent)
    path.push_back(at);
  std::reverse(path.begin(), path.end());
  for (int64_t at : path) {
    if (!(ended && at == node))
      result.tokens.push_back(nodes[at].token);
    result.extras.insert(result.extras.end(),
                         nodeExtras.begin() + at * extrasWidth,
                         nodeExtras.begin() + (at + 1) * extrasWidth);
  }
  return result;
}

void Search::finish(const Beam &beam, int64_t node, double logProb,
                    bool ended) {
  finished[beam.instance].push_back(
      hypothesis(node, logProb, beam.length + 1, ended));
}

llvm::Expected<std::vector<std::vector<Hypothesis>>>
Search::run(const DecodeStepFn &step) {
  const int64_t width = options.beamWidth;
  std::vector<Beam> beams;
  std::vector<int64_t> parents, tokens;
  for (int64_t i = 0; i < instances; ++i) {
    beams.push_back({i, -1, 0, 0.0});
    parents.push_back(i);
    tokens.push_back(options.startToken);
  }

  std::vector<float> logProbs, extras;
  std::vector<Candidate> candidates;
  while (!beams.empty()) {
    int64_t rows = static_cast<int64_t>(beams.size());
    logProbs.assign(static_cast<size_t>(rows * vocabSize), NAN);
    extras.assign(static_cast<size_t>(rows * extrasWidth), 0.0f);
    DecodeStep request{parents, tokens, &logProbs,
                       extrasWidth > 0 ? &extras : nullptr};
    if (llvm::Error error = step(request))
      return std::move(error);
    if (logProbs.size() != static_cast<size_t>(rows * vocabSize) ||
        extras.size() != static_cast<size_t>(rows * extrasWidth))
      return makeError("the decoder step changed the size of its outputs");

    std::vector<Beam> next;
    std::vector<int64_t> nextParents, nextTokens;
    // Rows are grouped by instance, in instance order.
    for (int64_t first = 0; first < rows;) {
      int64_t instance = beams[first].instance, end = first;
      while (end < rows && beams[end].instance == instance)
        ++end;
      candidates.clear();
      for (int64_t row = first; row < end; ++row)
        for (int64_t token = 0; token < vocabSize; ++token) {
          float value = logProbs[row * vocabSize + token];
          if (std::isnan(value))
            return makeError(
                "the model gave a log-probability that is not a number");
          if (value == -INFINITY)
            continue;
          candidates.push_back({beams[row].logProb + value, row, token});
        }
      auto better = [](const Candidate &a, const Candidate &b) {
        if (a.logProb != b.logProb)
          return a.logProb > b.logProb;
        if (a.row != b.row)
          return a.row < b.row;
        return a.token < b.token;
      };
      size_t considered = std::min<size_t>(candidates.size(), 2 * width);
      std::partial_sort(candidates.begin(), candidates.begin() + considered,
                        candidates.end(), better);
      int64_t extended = 0;
      for (size_t rank = 0; rank < considered && extended < width; ++rank) {
        const Candidate &candidate = candidates[rank];
        const Beam &beam = beams[candidate.row];
        bool isEnd = candidate.token == options.endToken;
        // An end token counts only among the best `width` candidates, so
        // that finishing never crowds out a better continuation.
        if (isEnd && rank >= static_cast<size_t>(width))
          continue;
        int64_t node = static_cast<int64_t>(nodes.size());
        nodes.push_back({candidate.token, beam.node});
        nodeExtras.insert(nodeExtras.end(),
                          extras.begin() + candidate.row * extrasWidth,
                          extras.begin() + (candidate.row + 1) * extrasWidth);
        if (isEnd || beam.length + 1 >= options.maxLength) {
          finish(beam, node, candidate.logProb, isEnd);
          if (isEnd)
            continue;
        } else {
          next.push_back({instance, node, beam.length + 1, candidate.logProb});
          nextParents.push_back(candidate.row);
          nextTokens.push_back(candidate.token);
        }
        ++extended;
      }
      // An instance is done when `width` hypotheses have ended.
      if (static_cast<int64_t>(finished[instance].size()) >= width) {
        while (!next.empty() && next.back().instance == instance) {
          next.pop_back();
          nextParents.pop_back();
          nextTokens.pop_back();
        }
      }
      first = end;
    }
    beams = std::move(next);
    parents = std::move(nextParents);
    tokens = std::move(nextTokens);
  }

  for (std::vector<Hypothesis> &ranked : finished) {
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const Hypothesis &a, const Hypothesis &b) {
                       return a.score > b.score;
                     });
    if (static_cast<int64_t>(ranked.size()) > options.keep)
      ranked.resize(static_cast<size_t>(options.keep));
  }
  return std::move(finished);
}

} // namespace

llvm::Expected<std::vector<std::vector<Hypothesis>>>
seqc::rt::beamSearch(int64_t instances, int64_t vocabSize, int64_t extrasWidth,
                     const BeamSearchOptions &options,
                     const DecodeStepFn &step) {
  if (options.beamWidth < 1)
    return makeError("the beam width must be at least 1, got {0}",
                     options.beamWidth);
  if (options.maxLength < 1)
    return makeError("the maximum length must be at least 1, got {0}",
                     options.maxLength);
  if (options.keep < 1 || options.keep > options.beamWidth)
    return makeError("can keep 1 to {0} hypotheses (the beam width), not {1}",
                     options.beamWidth, options.keep);
  if (vocabSize < 1 || options.endToken < 0 || options.endToken >= vocabSize ||
      options.startToken < 0 || options.startToken >= vocabSize)
    return makeError("the start and end tokens must be in the vocabulary");
  if (!std::isfinite(options.lengthPenalty) || options.lengthPenalty < 0)
    return makeError("the length penalty must be a finite number >= 0");
  return Search(instances, vocabSize, extrasWidth, options).run(step);
}
