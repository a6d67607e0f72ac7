//===- DataSchema.cpp - A data schema and its checkpoint metadata --------===//
#include "DataLoaders.h"
#include "seqc/Runtime/Error.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/ConvertUTF.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

#include <fmt/format.h>

using namespace seqc;
using namespace seqc::rt;

int64_t DataSchema::targetWidth() const {
  switch (targetKind) {
  case TargetKind::None:
    return 0;
  case TargetKind::ClassIndex:
  case TargetKind::Scalar:
    return 1;
  case TargetKind::Vector:
  case TargetKind::MultiLabel:
    return static_cast<int64_t>(targets.size());
  }
  return 0;
}

std::vector<std::pair<std::string, int64_t>> DataSchema::dataDims() const {
  std::vector<std::pair<std::string, int64_t>> dims;
  using K = DataSourceKind;
  if (kind == K::Pairs) {
    dims.emplace_back("source_vocab", static_cast<int64_t>(vocabulary.size()));
    dims.emplace_back("target_vocab",
                      static_cast<int64_t>(targetVocabulary.size()));
    return dims;
  }
  if (kind == K::Text || kind == K::Sequences || kind == K::Tagged) {
    dims.emplace_back("vocab", static_cast<int64_t>(vocabulary.size()));
    if (kind == K::Sequences || kind == K::Tagged)
      dims.emplace_back("classes", static_cast<int64_t>(classes.size()));
    return dims;
  }
  dims.emplace_back("features", static_cast<int64_t>(features.size()));
  switch (targetKind) {
  case TargetKind::None:
    break;
  case TargetKind::ClassIndex:
    dims.emplace_back("classes", static_cast<int64_t>(classes.size()));
    break;
  case TargetKind::Scalar:
    dims.emplace_back("targets", 1);
    break;
  case TargetKind::Vector:
    dims.emplace_back("targets", static_cast<int64_t>(targets.size()));
    break;
  case TargetKind::MultiLabel:
    dims.emplace_back("classes", static_cast<int64_t>(targets.size()));
    dims.emplace_back("targets", static_cast<int64_t>(targets.size()));
    break;
  }
  return dims;
}

llvm::StringRef seqc::rt::targetKindName(TargetKind kind) {
  switch (kind) {
  case TargetKind::None:
    return "none";
  case TargetKind::ClassIndex:
    return "label";
  case TargetKind::Scalar:
    return "target";
  case TargetKind::Vector:
    return "targets";
  case TargetKind::MultiLabel:
    return "labels";
  }
  return "none";
}

/// A text as JSON can hold it: JSON strings are UTF-8, but a char unit is
/// one byte and a label or a column name any bytes of a data file. A
/// backslash is written \\ and every byte outside a valid UTF-8 sequence
/// \xNN (two hex digits).
static std::string escapeText(llvm::StringRef unit) {
  std::string text;
  for (size_t i = 0; i < unit.size();) {
    auto *begin = reinterpret_cast<const llvm::UTF8 *>(unit.data() + i);
    unsigned length = llvm::getNumBytesForUTF8(*begin);
    if (unit[i] == '\\') {
      text += "\\\\";
      ++i;
    } else if (length > 1 && i + length <= unit.size() &&
               llvm::isLegalUTF8Sequence(begin, begin + length)) {
      text += unit.substr(i, length).str();
      i += length;
    } else if (static_cast<unsigned char>(unit[i]) >= 0x80) {
      text += fmt::format("\\x{:02X}", static_cast<unsigned char>(unit[i]));
      ++i;
    } else {
      text += unit[i++];
    }
  }
  return text;
}

/// The text escapeText wrote, or std::nullopt for a bad escape.
static std::optional<std::string> unescapeText(llvm::StringRef text) {
  std::string unit;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      unit += text[i];
      continue;
    }
    unsigned byte = 0;
    llvm::StringRef hex = text.substr(i + 2, 2);
    if (text.substr(i + 1, 1) == "\\") {
      unit += '\\';
      i += 1;
    } else if (text.substr(i + 1, 1) == "x" && hex.size() == 2 &&
               !hex.getAsInteger(16, byte)) {
      unit += static_cast<char>(byte);
      i += 3;
    } else {
      return std::nullopt;
    }
  }
  return unit;
}

std::string seqc::rt::jsonStrings(llvm::ArrayRef<std::string> values) {
  llvm::json::Array array;
  for (const std::string &value : values)
    array.push_back(escapeText(value));
  return llvm::formatv("{0}", llvm::json::Value(std::move(array))).str();
}

/// Marks metadata whose features, targets and classes are escaped as the
/// vocabulary always was; older checkpoints wrote them as they were (and
/// invalid UTF-8 in them as U+FFFD).
static constexpr llvm::StringLiteral kEscapedNamesKey =
    "seqc.data.escaped_names";

/// Doubles in JSON with 17 significant digits, so that they read back
/// bit for bit.
static std::string jsonDoubles(llvm::ArrayRef<double> values) {
  std::vector<std::string> texts;
  for (double value : values)
    texts.push_back(fmt::format("{:.17g}", value));
  return "[" + llvm::join(texts, ",") + "]";
}

void DataSchema::toMetadata(MetadataMap &metadata) const {
  metadata["seqc.data.features"] = jsonStrings(features);
  metadata["seqc.data.target_kind"] = targetKindName(targetKind).str();
  metadata["seqc.data.targets"] = jsonStrings(targets);
  metadata["seqc.data.classes"] = jsonStrings(classes);
  metadata[kEscapedNamesKey.str()] = "1";
  metadata["seqc.data.mean"] = jsonDoubles(mean);
  metadata["seqc.data.std"] = jsonDoubles(stddev);
  metadata["seqc.data.split"] = fmt::format("{:.17g}", split);
  if (!isSequence())
    return;
  metadata["seqc.data.kind"] = dataSourceName(kind);
  metadata["seqc.data.unit"] = unit;
  metadata["seqc.data.window"] = std::to_string(window);
  metadata["seqc.data.max_length"] = std::to_string(maxLength);
  metadata["seqc.data.vocabulary"] = jsonStrings(vocabulary);
  if (kind == DataSourceKind::Pairs) {
    metadata["seqc.data.target_unit"] = targetUnit;
    metadata["seqc.data.target_vocabulary"] = jsonStrings(targetVocabulary);
  }
  metadata["seqc.data.target_mean"] = jsonDoubles(targetMean);
  metadata["seqc.data.target_std"] = jsonDoubles(targetStddev);
}

llvm::Expected<DataSchema> DataSchema::fromMetadata(const MetadataMap &metadata,
                                                    llvm::StringRef path) {
  auto corrupt = [&](llvm::StringRef key, llvm::StringRef what) {
    return makeError("{}: corrupt checkpoint: metadata '{}' {}", path.str(),
                     key.str(), what.str());
  };
  auto getArray =
      [&](llvm::StringRef key) -> llvm::Expected<llvm::json::Array> {
    auto it = metadata.find(key);
    if (it == metadata.end())
      return corrupt(key, "is missing");
    llvm::Expected<llvm::json::Value> value = llvm::json::parse(it->second);
    if (!value) {
      llvm::consumeError(value.takeError());
      return corrupt(key, "is not JSON");
    }
    if (!value->getAsArray())
      return corrupt(key, "is not a JSON list");
    return std::move(*value->getAsArray());
  };
  auto getStrings = [&](llvm::StringRef key,
                        std::vector<std::string> &out) -> llvm::Error {
    auto array = getArray(key);
    if (!array)
      return array.takeError();
    for (const llvm::json::Value &value : *array) {
      std::optional<llvm::StringRef> text = value.getAsString();
      if (!text)
        return corrupt(key, "is not a list of strings");
      out.push_back(text->str());
    }
    return llvm::Error::success();
  };
  auto getDoubles = [&](llvm::StringRef key,
                        std::vector<double> &out) -> llvm::Error {
    auto array = getArray(key);
    if (!array)
      return array.takeError();
    for (const llvm::json::Value &value : *array) {
      std::optional<double> number = value.getAsNumber();
      if (!number)
        return corrupt(key, "is not a list of numbers");
      out.push_back(*number);
    }
    return llvm::Error::success();
  };

  auto getTexts = [&](llvm::StringRef key, bool escaped, llvm::StringRef noun,
                      std::vector<std::string> &out) -> llvm::Error {
    std::vector<std::string> texts;
    if (llvm::Error error = getStrings(key, texts))
      return error;
    for (std::string &text : texts) {
      std::optional<std::string> unescaped =
          escaped ? unescapeText(text) : std::move(text);
      if (!unescaped)
        return corrupt(key, fmt::format("has a {} with a bad escape (\\\\ or "
                                        "\\xNN)",
                                        noun.str()));
      out.push_back(std::move(*unescaped));
    }
    return llvm::Error::success();
  };

  DataSchema schema;
  bool escapedNames = metadata.count(kEscapedNamesKey) != 0;
  if (llvm::Error error =
          getTexts("seqc.data.features", escapedNames, "name", schema.features))
    return std::move(error);
  if (llvm::Error error =
          getTexts("seqc.data.targets", escapedNames, "name", schema.targets))
    return std::move(error);
  if (llvm::Error error =
          getTexts("seqc.data.classes", escapedNames, "name", schema.classes))
    return std::move(error);
  if (llvm::Error error = getDoubles("seqc.data.mean", schema.mean))
    return std::move(error);
  if (llvm::Error error = getDoubles("seqc.data.std", schema.stddev))
    return std::move(error);
  auto kind = metadata.find("seqc.data.target_kind");
  if (kind == metadata.end())
    return corrupt("seqc.data.target_kind", "is missing");
  std::optional<TargetKind> targetKind;
  for (TargetKind candidate :
       {TargetKind::None, TargetKind::ClassIndex, TargetKind::Scalar,
        TargetKind::Vector, TargetKind::MultiLabel})
    if (targetKindName(candidate) == kind->second)
      targetKind = candidate;
  if (!targetKind)
    return corrupt("seqc.data.target_kind", "is not a target kind");
  schema.targetKind = *targetKind;
  auto split = metadata.find("seqc.data.split");
  if (split != metadata.end() &&
      (llvm::StringRef(split->second).getAsDouble(schema.split) ||
       !(schema.split > 0 && schema.split <= 1)))
    return corrupt("seqc.data.split", "is not a fraction");
  if (schema.mean.size() != schema.stddev.size() ||
      (!schema.mean.empty() && schema.mean.size() != schema.features.size()))
    return corrupt("seqc.data.mean",
                   "does not match the features and their deviations");

  // Sequence data; checkpoints of tables have none of these keys.
  auto kindText = metadata.find("seqc.data.kind");
  if (kindText == metadata.end())
    return schema;
  std::optional<DataSourceKind> source = dataSourceNamed(kindText->second);
  if (!source || !isSequenceSource(*source))
    return corrupt("seqc.data.kind", "is not a kind of sequence data");
  schema.kind = *source;
  auto unit = metadata.find("seqc.data.unit");
  if (unit == metadata.end())
    return corrupt("seqc.data.unit", "is missing");
  schema.unit = unit->second;
  for (auto [key, field] : {std::pair<llvm::StringRef, int64_t *>{
                                "seqc.data.window", &schema.window},
                            {"seqc.data.max_length", &schema.maxLength}}) {
    auto it = metadata.find(key);
    if (it == metadata.end() ||
        llvm::StringRef(it->second).getAsInteger(10, *field) || *field < 0)
      return corrupt(key, "is missing or not a count");
  }
  if (llvm::Error error = getTexts("seqc.data.vocabulary", /*escaped=*/true,
                                   "unit", schema.vocabulary))
    return std::move(error);
  if (schema.kind == DataSourceKind::Pairs) {
    auto targetUnit = metadata.find("seqc.data.target_unit");
    if (targetUnit == metadata.end())
      return corrupt("seqc.data.target_unit", "is missing");
    schema.targetUnit = targetUnit->second;
    if (llvm::Error error =
            getTexts("seqc.data.target_vocabulary", /*escaped=*/true, "unit",
                     schema.targetVocabulary))
      return std::move(error);
    for (auto [key, units] :
         {std::pair<llvm::StringRef, const std::vector<std::string> *>{
              "seqc.data.vocabulary", &schema.vocabulary},
          {"seqc.data.target_vocabulary", &schema.targetVocabulary}})
      if (static_cast<int64_t>(units->size()) < kPairUnitsBegin)
        return corrupt(key, "lacks <pad>, <unk>, <s> and </s>");
  }
  if (llvm::Error error =
          getDoubles("seqc.data.target_mean", schema.targetMean))
    return std::move(error);
  if (llvm::Error error =
          getDoubles("seqc.data.target_std", schema.targetStddev))
    return std::move(error);
  if (schema.kind != DataSourceKind::Series && schema.vocabulary.size() < 2)
    return corrupt("seqc.data.vocabulary", "lacks <pad> and <unk>");
  if (schema.targetMean.size() != schema.targetStddev.size() ||
      (!schema.targetMean.empty() &&
       schema.targetMean.size() != schema.targets.size()))
    return corrupt("seqc.data.target_mean",
                   "does not match the targets and their deviations");
  return schema;
}
