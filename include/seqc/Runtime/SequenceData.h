//===- SequenceData.h - Text, sequences, series, pairs, tags ----*- C++ -*-===//
//
// Reads the sequence data a train block describes (DataSpec kinds `text`,
// `sequences`, `series`, `pairs` and `tagged` in seqc/Spec/TrainSpec.h) into
// a Dataset
// whose rows are sequences; Batches.h turns rows into time-major, padded
// batches.
//
// Units. Files are read as bytes, never decoded. `unit = "char"`: one unit
// per byte (an em dash, U+2014, is the three units E2 80 94; the model
// learns the encoding); `unit = "word"`: the maximal runs of bytes that are
// not ASCII whitespace (space, \t, \n, \v, \f, \r). bench/seqdata.py
// reads the data by the same rules.
//
// Vocabulary. Built from the training split only: id 0 is <pad>
// (kPadToken), 1 is <unk> (kUnknownToken), then the units by decreasing
// count, ties by their bytes. A unit seen fewer than `min_count` times in
// the training split, and any unit the training split lacks (in the
// validation split, in a prompt), is <unk>.
//
//   text       one file; its units cut by position: the first `split` of
//              them train, the rest validate. Each part is cut into windows
//              of `window` units with stride `window`: x = units i..i+W-1,
//              y = units i+1..i+W (so W + 1 units make a window; a shorter
//              tail is dropped). Targets are per step.
//   sequences  a TSV file with a header row naming the columns `label` and
//              `text` (text escaped as \\ \t \n \r), one or split by a
//              seeded shuffle, or train and valid files; or class files
//              (`classes = [...]`): one text per line, blank lines skipped,
//              the class named by the file's stem, split by a seeded
//              shuffle. Classes are ordered as a `label` column's (numeric
//              when every label is a number, else lexicographic). Texts
//              longer than `max_len` units keep their first max_len units.
//              Targets are per row (the class index).
//   series     a numeric CSV table read in row order: x[t] = the feature
//              columns at row t, y[t] = the target columns at row t + 1.
//              The rows are cut by position (the first `split` train), each
//              part into windows of `window` steps (W + 1 rows), stride W.
//              With `standardize`, features and targets are standardized
//              with the mean and deviation of the training rows (targets
//              with their own statistics; mse and rmse are then in
//              standardized units).
//   pairs      `source<TAB>target` lines (exactly one tab), one file split by
//              a seeded shuffle of its lines, or train and valid files.
//              Each side is trimmed of spaces at its ends and read in its
//              own unit (`unit`, or source_unit / target_unit) into its own
//              vocabulary, which reserves <pad> <unk> <s> </s> (ids 0-3).
//              Blank lines (only spaces and tabs) are skipped; a line
//              without a tab, or whose source or target has no unit, is an
//              error at its file and line, and so is a file without pairs.
//              No escapes: a backslash is an ordinary character.
//   tagged     CoNLL-style: one token per line, its columns separated by
//              spaces or tabs; the token is the first column, the label the
//              last (or `column = k`, 1-based); a blank line (or a
//              `-DOCSTART-` line, as CoNLL-2003 has) ends a sentence. One
//              file split by a seeded shuffle of its sentences, or train and
//              valid files. Tokens are whole cells (unit "word"); the labels
//              of the training split are the classes (ordered as a `label`
//              column's), and a label the training split lacks is an error
//              at its file, line and column. Targets are per step.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_RUNTIME_SEQUENCEDATA_H
#define SEQC_RUNTIME_SEQUENCEDATA_H

#include "seqc/Runtime/Data.h"

#include "llvm/ADT/StringMap.h"

#include <cstdint>
#include <string>
#include <vector>

namespace seqc::rt {

/// The spellings of the reserved vocabulary entries (kPadToken,
/// kUnknownToken; for pairs also kStartToken, kEndToken).
inline constexpr llvm::StringLiteral kPadUnit = "<pad>";
inline constexpr llvm::StringLiteral kUnknownUnit = "<unk>";
inline constexpr llvm::StringLiteral kStartUnit = "<s>";
inline constexpr llvm::StringLiteral kEndUnit = "</s>";

/// The units of `text` for `unit` ("char" or "word"), pointing into it.
std::vector<llvm::StringRef> splitUnits(llvm::StringRef text,
                                        llvm::StringRef unit);

/// Units and their ids, as a DataSchema's vocabulary lists them.
class Vocabulary {
public:
  /// `units` in id order, the `reserved` entries first (<pad> and <unk>;
  /// for pairs also <s> and </s>): no unit of a text has their ids.
  explicit Vocabulary(llvm::ArrayRef<std::string> units,
                      int64_t reserved = kUnknownToken + 1);
  /// The id of `unit`; kUnknownToken for one it does not have.
  int64_t id(llvm::StringRef unit) const;
  int64_t size() const { return static_cast<int64_t>(units.size()); }

private:
  std::vector<std::string> units;
  llvm::StringMap<int64_t> ids;
};

/// The ids of the units of `text` in the schema's vocabulary and unit (for
/// pairs: the source side's).
std::vector<int64_t> encodeText(const DataSchema &schema, llvm::StringRef text);
/// The text of `ids`: char units concatenated, word units joined by a
/// space. <pad> (and for pairs <s> and </s>) gives nothing; <unk> gives
/// U+FFFD for chars and "<unk>" for words; an id outside the vocabulary is
/// <unk>. Char units are bytes, so a sampled text need not be valid UTF-8.
std::string decodeTokens(const DataSchema &schema, llvm::ArrayRef<int64_t> ids);
/// Pairs: the text of target ids as a decoder emits them, in the target
/// side's vocabulary and unit: it ends at the first </s>; <s> and <pad>
/// give nothing, <unk> as in decodeTokens.
std::string decodeTarget(const DataSchema &schema, llvm::ArrayRef<int64_t> ids);

/// Reads sequence data already in memory: the class files of
/// `spec.classFiles` in their order, else the single file, or the training
/// and the validation file. For tests.
llvm::Expected<LoadedData> parseSequenceData(const DataSpec &spec,
                                             llvm::ArrayRef<DataFile> files,
                                             const DataOptions &options = {});
/// Reads the files `spec` names and parses them.
llvm::Expected<LoadedData> loadSequenceData(const DataSpec &spec,
                                            const DataOptions &options = {});

} // namespace seqc::rt

#endif // SEQC_RUNTIME_SEQUENCEDATA_H
