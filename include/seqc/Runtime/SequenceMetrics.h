//===- SequenceMetrics.h - Scores of decoded and tagged sequences -*- C++ -*-=//
//
// Metrics of whole output sequences, which per-step metrics (Metrics.h)
// cannot give: a decoded sequence is compared with its reference, and a
// tagging with its gold labels.
//
//   DecodeScores  exact match (the share of outputs equal to their
//                 reference), token accuracy (the share of reference
//                 positions whose token the output has at that position)
//                 and the edit-distance rate (Levenshtein edits over
//                 reference tokens: the word, phoneme or character error
//                 rate, depending on the unit).
//   TagScores     per-label precision, recall and F1 over tokens, their
//                 micro average without the outside label, and, for
//                 labels in the BIO scheme (B-X, I-X, O), precision, recall
//                 and F1 over whole spans as CoNLL's conlleval counts them.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_RUNTIME_SEQUENCEMETRICS_H
#define SEQC_RUNTIME_SEQUENCEMETRICS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>
#include <vector>

namespace seqc::rt {

/// The Levenshtein distance (insertions, deletions, substitutions, each 1).
int64_t editDistance(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b);

class DecodeScores {
public:
  void add(llvm::ArrayRef<int64_t> output, llvm::ArrayRef<int64_t> reference);
  int64_t count() const { return sequences; }
  /// Each NaN before anything was added; the edit rate also when every
  /// reference was empty.
  double exactMatch() const;
  double tokenAccuracy() const;
  double editRate() const;

private:
  int64_t sequences = 0, exact = 0;
  int64_t referenceTokens = 0, positionsRight = 0, edits = 0;
};

/// Precision, recall and F1 from counts; 0 where a denominator is 0.
struct PrecisionRecall {
  int64_t truePositives = 0, falsePositives = 0, falseNegatives = 0;
  double precision() const;
  double recall() const;
  double f1() const;
};

class TagScores {
public:
  /// `labels`: the name of each label index; `outside`: the label that
  /// marks "no tag" (excluded from the micro average), or empty.
  TagScores(std::vector<std::string> labels, llvm::StringRef outside = "O");

  /// One sentence's predicted and gold label indices (equal lengths).
  void add(llvm::ArrayRef<int64_t> predicted, llvm::ArrayRef<int64_t> gold);

  const PrecisionRecall &label(int64_t index) const { return perLabel[index]; }
  /// Over all labels but the outside one.
  PrecisionRecall micro() const;
  /// Whether every label is O or B-/I- something, so that spans count.
  bool usesBio() const { return bio; }
  /// Over whole spans (type and both ends must match); only with usesBio().
  const PrecisionRecall &spans() const { return spanCounts; }
  double tokenAccuracy() const;
  /// Forgets every sentence added, keeping the labels.
  void reset();

private:
  struct Span {
    int64_t begin, end;
    std::string type;
    bool operator<(const Span &other) const;
    bool operator==(const Span &other) const;
  };
  std::vector<Span> spansOf(llvm::ArrayRef<int64_t> tags) const;

  std::vector<std::string> labels;
  int64_t outsideIndex = -1;
  bool bio = false;
  std::vector<PrecisionRecall> perLabel;
  PrecisionRecall spanCounts;
  int64_t tokens = 0, tokensRight = 0;
};

} // namespace seqc::rt

#endif // SEQC_RUNTIME_SEQUENCEMETRICS_H
