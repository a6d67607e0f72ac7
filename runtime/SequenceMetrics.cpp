//===- SequenceMetrics.cpp - Scores of decoded and tagged sequences -------===//
#include "seqc/Runtime/SequenceMetrics.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <tuple>

using namespace seqc::rt;

int64_t seqc::rt::editDistance(llvm::ArrayRef<int64_t> a,
                               llvm::ArrayRef<int64_t> b) {
  // One row of the dynamic program at a time: row[j] is the distance
  // between the prefix of a read so far and b[0..j).
  std::vector<int64_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    row[j] = static_cast<int64_t>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    int64_t diagonal = row[0];
    row[0] = static_cast<int64_t>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      int64_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      diagonal = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, substitute});
    }
  }
  return row[b.size()];
}

void DecodeScores::add(llvm::ArrayRef<int64_t> output,
                       llvm::ArrayRef<int64_t> reference) {
  ++sequences;
  if (output == reference)
    ++exact;
  referenceTokens += static_cast<int64_t>(reference.size());
  for (size_t i = 0; i < std::min(output.size(), reference.size()); ++i)
    positionsRight += output[i] == reference[i];
  edits += editDistance(output, reference);
}

double DecodeScores::exactMatch() const {
  return sequences ? double(exact) / double(sequences) : NAN;
}

double DecodeScores::tokenAccuracy() const {
  return referenceTokens ? double(positionsRight) / double(referenceTokens)
                         : NAN;
}

double DecodeScores::editRate() const {
  return referenceTokens ? double(edits) / double(referenceTokens) : NAN;
}

double PrecisionRecall::precision() const {
  int64_t predicted = truePositives + falsePositives;
  return predicted ? double(truePositives) / double(predicted) : 0.0;
}

double PrecisionRecall::recall() const {
  int64_t relevant = truePositives + falseNegatives;
  return relevant ? double(truePositives) / double(relevant) : 0.0;
}

double PrecisionRecall::f1() const {
  double p = precision(), r = recall();
  return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}

TagScores::TagScores(std::vector<std::string> labelNames,
                     llvm::StringRef outside)
    : labels(std::move(labelNames)), perLabel(labels.size()) {
  bio = !labels.empty();
  for (size_t i = 0; i < labels.size(); ++i) {
    llvm::StringRef name = labels[i];
    if (!outside.empty() && name == outside)
      outsideIndex = static_cast<int64_t>(i);
    else if (!(name.starts_with("B-") || name.starts_with("I-")))
      bio = false;
  }
}

bool TagScores::Span::operator<(const Span &other) const {
  return std::tie(begin, end, type) <
         std::tie(other.begin, other.end, other.type);
}

bool TagScores::Span::operator==(const Span &other) const {
  return begin == other.begin && end == other.end && type == other.type;
}

std::vector<TagScores::Span>
TagScores::spansOf(llvm::ArrayRef<int64_t> tags) const {
  // As conlleval: a span starts at B-X, or at I-X that does not continue a
  // span of type X; it goes on while I-X follows.
  std::vector<Span> result;
  for (size_t i = 0; i < tags.size(); ++i) {
    if (tags[i] == outsideIndex)
      continue;
    llvm::StringRef name = labels[tags[i]];
    llvm::StringRef type = name.drop_front(2);
    bool continues = name.starts_with("I-") && !result.empty() &&
                     result.back().end == static_cast<int64_t>(i) &&
                     result.back().type == type;
    if (continues)
      ++result.back().end;
    else
      result.push_back(
          {static_cast<int64_t>(i), static_cast<int64_t>(i) + 1, type.str()});
  }
  return result;
}

void TagScores::add(llvm::ArrayRef<int64_t> predicted,
                    llvm::ArrayRef<int64_t> gold) {
  size_t n = std::min(predicted.size(), gold.size());
  for (size_t i = 0; i < n; ++i) {
    ++tokens;
    if (predicted[i] == gold[i]) {
      ++tokensRight;
      ++perLabel[gold[i]].truePositives;
    } else {
      ++perLabel[predicted[i]].falsePositives;
      ++perLabel[gold[i]].falseNegatives;
    }
  }
  if (!bio)
    return;
  std::vector<Span> found = spansOf(predicted.take_front(n));
  std::vector<Span> wanted = spansOf(gold.take_front(n));
  std::sort(found.begin(), found.end());
  std::sort(wanted.begin(), wanted.end());
  std::vector<Span> common;
  std::set_intersection(found.begin(), found.end(), wanted.begin(),
                        wanted.end(), std::back_inserter(common));
  int64_t matched = static_cast<int64_t>(common.size());
  spanCounts.truePositives += matched;
  spanCounts.falsePositives += static_cast<int64_t>(found.size()) - matched;
  spanCounts.falseNegatives += static_cast<int64_t>(wanted.size()) - matched;
}

PrecisionRecall TagScores::micro() const {
  PrecisionRecall total;
  for (size_t i = 0; i < perLabel.size(); ++i) {
    if (static_cast<int64_t>(i) == outsideIndex)
      continue;
    total.truePositives += perLabel[i].truePositives;
    total.falsePositives += perLabel[i].falsePositives;
    total.falseNegatives += perLabel[i].falseNegatives;
  }
  return total;
}

void TagScores::reset() {
  perLabel.assign(labels.size(), PrecisionRecall());
  spanCounts = PrecisionRecall();
  tokens = tokensRight = 0;
}

double TagScores::tokenAccuracy() const {
  return tokens ? double(tokensRight) / double(tokens) : NAN;
}
