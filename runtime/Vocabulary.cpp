//===- Vocabulary.cpp - Units of text and their vocabularies --------------===//
#include "DataLoaders.h"
#include "seqc/Runtime/SequenceData.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"

#include <algorithm>

using namespace seqc;
using namespace seqc::rt;

static bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
         c == '\f';
}

std::vector<llvm::StringRef> seqc::rt::splitUnits(llvm::StringRef text,
                                                  llvm::StringRef unit) {
  std::vector<llvm::StringRef> units;
  if (unit == "word") {
    size_t i = 0;
    while (i < text.size()) {
      while (i < text.size() && isSpace(text[i]))
        ++i;
      size_t start = i;
      while (i < text.size() && !isSpace(text[i]))
        ++i;
      if (i > start)
        units.push_back(text.slice(start, i));
    }
    return units;
  }
  // Bytes, as bench/seqdata.py reads them: no decoding, so any file works
  // and an em dash is three units.
  units.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i)
    units.push_back(text.substr(i, 1));
  return units;
}

Vocabulary::Vocabulary(llvm::ArrayRef<std::string> units, int64_t reserved)
    : units(units.vec()) {
  // The reserved entries are never matched by a unit of the text.
  for (size_t id = static_cast<size_t>(reserved); id < this->units.size(); ++id)
    ids.try_emplace(this->units[id], static_cast<int64_t>(id));
}

int64_t Vocabulary::id(llvm::StringRef unit) const {
  auto it = ids.find(unit);
  return it == ids.end() ? kUnknownToken : it->second;
}

/// The entries of the schema's vocabularies that no unit of a text has.
static int64_t reservedOf(const DataSchema &schema) {
  return schema.kind == DataSourceKind::Pairs ? kPairUnitsBegin
                                              : kUnknownToken + 1;
}

std::vector<int64_t> seqc::rt::encodeText(const DataSchema &schema,
                                          llvm::StringRef text) {
  Vocabulary vocabulary(schema.vocabulary, reservedOf(schema));
  std::vector<int64_t> ids;
  for (llvm::StringRef unit : splitUnits(text, schema.unit))
    ids.push_back(vocabulary.id(unit));
  return ids;
}

/// The text of `ids` in `vocabulary` and `unit`: the reserved entries other
/// than <unk> give nothing, and with `stopAtEnd` the text ends at </s>.
static std::string decodeIds(llvm::ArrayRef<std::string> vocabulary,
                             llvm::StringRef unit, int64_t reserved,
                             bool stopAtEnd, llvm::ArrayRef<int64_t> ids) {
  bool words = unit == "word";
  std::string text;
  bool first = true;
  for (int64_t id : ids) {
    if (stopAtEnd && id == kEndToken)
      break;
    bool unknown = id == kUnknownToken || id < 0 ||
                   id >= static_cast<int64_t>(vocabulary.size());
    if (!unknown && id < reserved)
      continue;
    if (words && !first)
      text += ' ';
    first = false;
    if (unknown)
      text += words ? kUnknownUnit.str() : "\xEF\xBF\xBD";
    else
      text += vocabulary[id];
  }
  return text;
}

std::string seqc::rt::decodeTokens(const DataSchema &schema,
                                   llvm::ArrayRef<int64_t> ids) {
  return decodeIds(schema.vocabulary, schema.unit, reservedOf(schema),
                   /*stopAtEnd=*/false, ids);
}

std::string seqc::rt::decodeTarget(const DataSchema &schema,
                                   llvm::ArrayRef<int64_t> ids) {
  return decodeIds(schema.targetVocabulary, schema.targetUnit, kPairUnitsBegin,
                   /*stopAtEnd=*/true, ids);
}

std::vector<std::string>
seqc::rt::buildVocabulary(const llvm::StringMap<int64_t> &counts,
                          int64_t minCount,
                          llvm::ArrayRef<llvm::StringRef> reserved) {
  std::vector<std::pair<llvm::StringRef, int64_t>> kept;
  for (const auto &entry : counts)
    if (entry.second >= minCount)
      kept.emplace_back(entry.first(), entry.second);
  llvm::sort(kept, [](const auto &a, const auto &b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::vector<std::string> vocabulary;
  for (llvm::StringRef entry : reserved)
    vocabulary.push_back(entry.str());
  for (const auto &entry : kept)
    vocabulary.push_back(entry.first.str());
  return vocabulary;
}

std::vector<std::string> seqc::rt::vocabularyFor(
    const DataSpec &spec, const DataOptions &options,
    llvm::function_ref<void(llvm::StringMap<int64_t> &)> count) {
  if (options.schema)
    return options.schema->vocabulary;
  llvm::StringMap<int64_t> counts;
  count(counts);
  return buildVocabulary(counts, std::max<int64_t>(spec.minCount, 1),
                         {kPadUnit, kUnknownUnit});
}
