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
  if (kind == "text" || kind == "sequences") {
    dims.emplace_back("vocab", static_cast<int64_t>(vocabulary.size()));
    if (kind == "sequences")
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

std::string seqc::rt::jsonStrings(llvm::ArrayRef<std::string> values) {
  llvm::json::Array array;
  for (const std::string &value : values)
    array.push_back(value);
  return llvm::formatv("{0}", llvm::json::Value(std::move(array))).str();
}

/// A vocabulary unit as JSON can hold it: JSON strings are UTF-8, and a
/// char unit is one byte. A backslash is written \\ and every byte outside
/// a valid UTF-8 sequence \xNN (two hex digits).
static std::string escapeUnit(llvm::StringRef unit) {
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

/// The unit escapeUnit wrote, or std::nullopt for a bad escape.
static std::optional<std::string> unescapeUnit(llvm::StringRef text) {
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
  metadata["seqc.data.mean"] = jsonDoubles(mean);
  metadata["seqc.data.std"] = jsonDoubles(stddev);
  metadata["seqc.data.split"] = fmt::format("{:.17g}", split);
  if (!isSequence())
    return;
  metadata["seqc.data.kind"] = kind;
  metadata["seqc.data.unit"] = unit;
  metadata["seqc.data.window"] = std::to_string(window);
  metadata["seqc.data.max_length"] = std::to_string(maxLength);
  std::vector<std::string> units;
  for (const std::string &unit : vocabulary)
    units.push_back(escapeUnit(unit));
  metadata["seqc.data.vocabulary"] = jsonStrings(units);
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

  DataSchema schema;
  if (llvm::Error error = getStrings("seqc.data.features", schema.features))
    return std::move(error);
  if (llvm::Error error = getStrings("seqc.data.targets", schema.targets))
    return std::move(error);
  if (llvm::Error error = getStrings("seqc.data.classes", schema.classes))
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
  schema.kind = kindText->second;
  if (!schema.isSequence())
    return corrupt("seqc.data.kind", "is not a kind of sequence data");
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
  std::vector<std::string> units;
  if (llvm::Error error = getStrings("seqc.data.vocabulary", units))
    return std::move(error);
  for (const std::string &text : units) {
    std::optional<std::string> unit = unescapeUnit(text);
    if (!unit)
      return corrupt("seqc.data.vocabulary",
                     "has a unit with a bad escape (\\\\ or \\xNN)");
    schema.vocabulary.push_back(std::move(*unit));
  }
  if (llvm::Error error =
          getDoubles("seqc.data.target_mean", schema.targetMean))
    return std::move(error);
  if (llvm::Error error =
          getDoubles("seqc.data.target_std", schema.targetStddev))
    return std::move(error);
  if (schema.kind != "series" && schema.vocabulary.size() < 2)
    return corrupt("seqc.data.vocabulary", "lacks <pad> and <unk>");
  if (schema.targetMean.size() != schema.targetStddev.size() ||
      (!schema.targetMean.empty() &&
       schema.targetMean.size() != schema.targets.size()))
    return corrupt("seqc.data.target_mean",
                   "does not match the targets and their deviations");
  return schema;
}
