//===- BeamSearch.h - Greedy and beam-search decoding -----------*- C++ -*-===//
//
// Decoding of output sequences from a model that gives, one step at a time,
// log-probabilities of the next token. The search keeps up to `beamWidth`
// hypotheses per instance, for a batch of instances at once; a hypothesis
// ends when it emits the end token or reaches `maxLength` tokens. Finished
// hypotheses are ranked by their log-probability divided by
// length^lengthPenalty (0: no normalization, 1: the mean per token), where
// the length counts the tokens emitted, the end token included. Width 1 is
// greedy decoding.
//
// The model side is a callback over "rows": each active hypothesis is one
// row. Before each step the search says, for every new row, which row of
// the previous step it continues (the model copies its recurrent state
// from there) and which token it read; the model then writes the rows'
// log-probabilities. A step may also report a vector of extras per row (for
// example attention weights over the source), which the search keeps along
// each hypothesis, so that the winner comes back with one per token.
//
// Ties are broken deterministically: by the lower previous row, then the
// lower token id.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_RUNTIME_BEAMSEARCH_H
#define SEQC_RUNTIME_BEAMSEARCH_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <functional>
#include <vector>

namespace seqc::rt {

struct BeamSearchOptions {
  int64_t beamWidth = 1;
  int64_t maxLength = 100;
  /// The token that ends a hypothesis; it is not part of the result.
  int64_t endToken = 0;
  /// The token that every hypothesis reads at its first step.
  int64_t startToken = 0;
  /// Exponent of the length in the ranking score.
  double lengthPenalty = 1.0;
  /// Hypotheses returned per instance (at most beamWidth).
  int64_t keep = 1;
};

/// One step of the model over `parents.size()` rows.
struct DecodeStep {
  /// For each row, the row of the previous step it continues; at the first
  /// step, the instance it belongs to.
  llvm::ArrayRef<int64_t> parents;
  /// For each row, the token it reads.
  llvm::ArrayRef<int64_t> tokens;
  /// Output: rows x vocabulary log-probabilities, row-major, sized by the
  /// search.
  std::vector<float> *logProbs;
  /// Output, optional: rows x extrasWidth values kept with each hypothesis.
  std::vector<float> *extras;
};

using DecodeStepFn = std::function<llvm::Error(const DecodeStep &)>;

struct Hypothesis {
  std::vector<int64_t> tokens; ///< Without the end token.
  double logProb = 0.0;        ///< Sum over the emitted tokens.
  double score = 0.0;          ///< logProb / length^lengthPenalty.
  bool ended = false;          ///< Emitted the end token.
  /// extrasWidth values per emitted token (the end token included).
  std::vector<float> extras;
};

/// Decodes `instances` sequences over a vocabulary of `vocabSize` tokens;
/// `extrasWidth` values per row and step if the model reports extras. The
/// result has, per instance, up to `options.keep` hypotheses, best first.
llvm::Expected<std::vector<std::vector<Hypothesis>>>
beamSearch(int64_t instances, int64_t vocabSize, int64_t extrasWidth,
           const BeamSearchOptions &options, const DecodeStepFn &step);

} // namespace seqc::rt

#endif // SEQC_RUNTIME_BEAMSEARCH_H
