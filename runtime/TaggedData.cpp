//===- TaggedData.cpp - tagged data: a label for every token --------------===//
//
// CoNLL-style token tagging: one token per line with its label in a column,
// a blank line between sentences. A sentence is a row; its tokens are the
// steps and each step's label its target (a class index).
//
//===----------------------------------------------------------------------===//
#include "DataLoaders.h"
#include "seqc/Runtime/SequenceData.h"
#include "seqc/Support/Lines.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include <fmt/format.h>

#include <numeric>
#include <set>

using namespace seqc;
using namespace seqc::rt;

namespace {
/// A labeled token, pointing into its file's text.
struct TaggedToken {
  llvm::StringRef token, label;
  int64_t line = 0, labelColumn = 0;
};
using Sentence = std::vector<TaggedToken>;

/// CoNLL-2003 separates documents by a line of this token; it is no token.
constexpr llvm::StringLiteral kDocumentStart = "-DOCSTART-";
} // namespace

/// The first few of `names`, for a message whose size must not grow with
/// the data.
static std::string someNames(llvm::ArrayRef<std::string> names) {
  constexpr size_t kShown = 12;
  if (names.size() <= kShown)
    return llvm::join(names, ", ");
  return llvm::join(names.take_front(kShown), ", ") + ", ...";
}

/// The columns of `line`: maximal runs of characters other than spaces and
/// tabs.
static llvm::SmallVector<llvm::StringRef, 8>
splitColumns(llvm::StringRef line) {
  llvm::SmallVector<llvm::StringRef, 8> columns;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
      ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t')
      ++i;
    if (i > start)
      columns.push_back(line.slice(start, i));
  }
  return columns;
}

/// The sentences of one file. `labelColumn` is 1-based, or 0 for the last
/// column of each line.
static llvm::Error readTagged(const DataFile &file, int64_t labelColumn,
                              std::vector<Sentence> &sentences) {
  llvm::StringRef rest = dropByteOrderMark(file.text);
  int64_t lineNumber = 0;
  Sentence sentence;
  auto endSentence = [&] {
    if (!sentence.empty())
      sentences.push_back(std::move(sentence));
    sentence.clear();
  };
  while (!rest.empty()) {
    llvm::StringRef line = takeLine(rest);
    ++lineNumber;
    llvm::SmallVector<llvm::StringRef, 8> columns = splitColumns(line);
    if (columns.empty() || columns[0] == kDocumentStart) {
      endSentence();
      continue;
    }
    int64_t end = 1 + static_cast<int64_t>(line.size());
    if (columns.size() < 2)
      return makeLocatedError(
          file.name, lineNumber, end,
          fmt::format("the token '{}' has no label: expected the token, then "
                      "its label in a column of its own (separated by spaces "
                      "or tabs)",
                      columns[0].take_front(60).str()));
    if (labelColumn > static_cast<int64_t>(columns.size()))
      return makeLocatedError(
          file.name, lineNumber, end,
          fmt::format("no column {} (the labels, column = {}): the line has "
                      "{} columns",
                      labelColumn, labelColumn, columns.size()));
    TaggedToken token;
    token.token = columns[0];
    token.label = labelColumn > 0 ? columns[labelColumn - 1] : columns.back();
    token.line = lineNumber;
    token.labelColumn =
        1 + static_cast<int64_t>(token.label.data() - line.data());
    sentence.push_back(token);
  }
  endSentence();
  if (sentences.empty())
    return makeLocatedError(file.name, std::max<int64_t>(lineNumber, 1), 1,
                            "no tagged tokens in the file: expected one token "
                            "and its label a line, a blank line between "
                            "sentences");
  return llvm::Error::success();
}

llvm::Expected<LoadedData> seqc::rt::parseTagged(const DataSpec &spec,
                                                 llvm::ArrayRef<DataFile> files,
                                                 const DataOptions &options) {
  if (spec.labelColumn == 1 || spec.labelColumn < 0)
    return errorAtLoc(spec.loc,
                      fmt::format("column = {}: the labels are in a column "
                                  "after the tokens' (column 1)",
                                  spec.labelColumn));
  // parts[0]: the single file's sentences, or the training file's;
  // parts[1]: the validation file's.
  std::vector<std::vector<Sentence>> parts(files.size());
  for (auto [index, file] : llvm::enumerate(files))
    if (llvm::Error error = readTagged(file, spec.labelColumn, parts[index]))
      return std::move(error);

  LoadedData loaded;
  DataSchema &schema = loaded.schema;
  schema.kind = DataSourceKind::Tagged;
  schema.unit = "word";
  schema.targetKind = TargetKind::ClassIndex;

  // Which sentences train: the training file's, else a seeded split.
  auto rows =
      trainingRows(spec, options, schema, static_cast<int64_t>(parts[0].size()),
                   parts.size() > 1, "sentences");
  if (!rows)
    return rows.takeError();
  std::vector<int64_t> trainRows = std::move(rows->first),
                       validRows = std::move(rows->second);

  // The classes: the checkpoint's, else the training split's labels.
  LabelClasses classes;
  if (options.schema) {
    classes = LabelClasses::fromNames(options.schema->classes);
  } else {
    std::vector<llvm::StringRef> labels;
    std::set<llvm::StringRef> distinct;
    for (int64_t row : trainRows)
      for (const TaggedToken &token : parts[0][row])
        if (distinct.insert(token.label).second)
          labels.push_back(token.label);
    classes = LabelClasses::fromLabels(labels);
    if (classes.names().size() < 2)
      return errorAtLoc(
          spec.loc.file.empty() ? SourceLoc{files[0].name, 1, 1} : spec.loc,
          fmt::format("the training data has {} distinct label{}; tagging "
                      "needs at least 2",
                      classes.names().size(),
                      classes.names().size() == 1 ? "" : "s"));
  }
  schema.classes = classes.names();

  schema.vocabulary =
      vocabularyFor(spec, options, [&](llvm::StringMap<int64_t> &counts) {
        for (int64_t row : trainRows)
          for (const TaggedToken &token : parts[0][row])
            ++counts[token.token];
      });
  Vocabulary vocabulary(schema.vocabulary);

  auto select = [&](size_t part, llvm::ArrayRef<int64_t> rows,
                    const std::string &file,
                    std::string name) -> llvm::Expected<Dataset> {
    Dataset data = sequenceDataset(std::move(name), 0, TargetKind::ClassIndex,
                                   1, /*stepTargets=*/true);
    for (int64_t row : rows) {
      for (const TaggedToken &token : parts[part][row]) {
        int64_t label = classes.index(token.label);
        if (label < 0)
          return makeLocatedError(
              file, token.line, token.labelColumn,
              fmt::format("label '{}' is not one of the {} labels {} ({})",
                          token.label.str(), schema.classes.size(),
                          options.schema ? "the model was trained on"
                                         : "of the training data",
                          someNames(schema.classes)));
        data.tokens.push_back(vocabulary.id(token.token));
        data.targets.push_back(static_cast<double>(label));
      }
      endRow(data);
    }
    return data;
  };
  const std::string &first = files[0].name;
  bool split = parts.size() == 1;
  auto train =
      select(0, trainRows, first,
             split && !validRows.empty() ? first + " (training split)" : first);
  if (!train)
    return train.takeError();
  loaded.train = std::move(*train);
  std::vector<int64_t> all;
  if (!split) {
    all.resize(parts[1].size());
    std::iota(all.begin(), all.end(), 0);
  }
  auto valid = split
                   ? select(0, validRows, first, first + " (validation split)")
                   : select(1, all, files[1].name, files[1].name);
  if (!valid)
    return valid.takeError();
  loaded.valid = std::move(*valid);
  return loaded;
}
