//===- DataLoaders.h - The loader of each kind of data ----------*- C++ -*-===//
//
// Private to runtime/. The dispatcher (DataLoader.cpp: loadData, parseData,
// loadSequenceData, parseSequenceData) calls one loader per kind of data:
//
//   csv, tsv   TableData.cpp         on the table layer (DataTable.h)
//   text       TextData.cpp          on units and vocabularies (Vocabulary.cpp)
//   sequences  LabeledSequences.cpp  on units and vocabularies, label classes
//   series     SeriesData.cpp        on the table layer (DataTable.h)
//   pairs      PairsData.cpp         on units and vocabularies
//   tagged     TaggedData.cpp        on vocabularies, label classes
//
// A loader calls no other loader and never the dispatcher; what several of
// them need is below: the spelling of schemas in messages (DataSchema.cpp),
// datasets of sequences and their splits (SequenceDatasets.cpp), and the
// vocabulary of a training split (Vocabulary.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_RUNTIME_DATALOADERS_H
#define SEQC_RUNTIME_DATALOADERS_H

#include "seqc/Runtime/Data.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace seqc::rt {

//===----------------------------------------------------------------------===//
// The loaders
//===----------------------------------------------------------------------===//

/// csv and tsv: reads the file(s) `spec` names and loads them (a `label`,
/// `target` or `labels` column is required).
llvm::Expected<LoadedData> loadTableData(const DataSpec &spec,
                                         const DataOptions &options);
/// The same for text in memory (parseData's arguments).
llvm::Expected<LoadedData>
parseTableData(const DataSpec &spec, llvm::StringRef trainText,
               llvm::StringRef trainName, llvm::StringRef validText,
               llvm::StringRef validName, const DataOptions &options);

/// text: windows of one text.
llvm::Expected<LoadedData> parseText(const DataSpec &spec, const DataFile &file,
                                     const DataOptions &options);
/// sequences: labeled texts, from TSV files or class files.
llvm::Expected<LoadedData> parseSequences(const DataSpec &spec,
                                          llvm::ArrayRef<DataFile> files,
                                          const DataOptions &options);
/// series: windows of a numeric table.
llvm::Expected<LoadedData> parseSeries(const DataSpec &spec,
                                       const DataFile &file,
                                       const DataOptions &options);
/// pairs: source and target sequences, from one file or train and valid.
llvm::Expected<LoadedData> parsePairs(const DataSpec &spec,
                                      llvm::ArrayRef<DataFile> files,
                                      const DataOptions &options);
/// tagged: sentences of tokens with a label each, from one file or train
/// and valid.
llvm::Expected<LoadedData> parseTagged(const DataSpec &spec,
                                       llvm::ArrayRef<DataFile> files,
                                       const DataOptions &options);

//===----------------------------------------------------------------------===//
// What the loaders share
//===----------------------------------------------------------------------===//

/// How a train block names a target kind: "label", "target", "targets",
/// "labels", or "none".
llvm::StringRef targetKindName(TargetKind kind);
/// `values` as a JSON list of strings, each with \\ for a backslash and \xNN
/// for a byte outside valid UTF-8 (JSON strings are UTF-8).
std::string jsonStrings(llvm::ArrayRef<std::string> values);

/// An empty Dataset of sequences of the given form.
Dataset sequenceDataset(std::string name, int64_t numFeatures,
                        TargetKind targetKind, int64_t targetWidth,
                        bool stepTargets);
/// Ends a row whose steps were appended.
void endRow(Dataset &data);
/// The split fraction: the checkpoint's, else the spec's; in (0, 1].
llvm::Expected<double> splitFraction(const DataSpec &spec,
                                     const DataOptions &options);
/// How many of `count` rows (or units) the training part of `split` holds.
int64_t trainCount(double split, int64_t count);
/// The rows of a seeded split of `count` rows (as a table's): training rows
/// and validation rows, each in file order.
std::pair<std::vector<int64_t>, std::vector<int64_t>>
seededSplit(int64_t count, double split, uint64_t seed);

/// Which of `count` instances train and which validate: with one file
/// (`separateValid` false), a seeded split by the checkpoint's or the
/// spec's fraction (recorded in `schema.split`); with a validation file,
/// every instance of the training file. `instances` names them in the
/// error when the split leaves none for training ("texts", "pairs").
llvm::Expected<std::pair<std::vector<int64_t>, std::vector<int64_t>>>
trainingRows(const DataSpec &spec, const DataOptions &options,
             DataSchema &schema, int64_t count, bool separateValid,
             llvm::StringRef instances);

/// The vocabulary of units counted in `counts`: the `reserved` entries,
/// then every unit seen at least `minCount` times by decreasing count, ties
/// by their bytes.
std::vector<std::string>
buildVocabulary(const llvm::StringMap<int64_t> &counts, int64_t minCount,
                llvm::ArrayRef<llvm::StringRef> reserved);

/// The schema's vocabulary when resuming, else the one of the units that
/// `count` counts (the training split's), <pad> and <unk> first.
std::vector<std::string>
vocabularyFor(const DataSpec &spec, const DataOptions &options,
              llvm::function_ref<void(llvm::StringMap<int64_t> &)> count);

} // namespace seqc::rt

#endif // SEQC_RUNTIME_DATALOADERS_H
