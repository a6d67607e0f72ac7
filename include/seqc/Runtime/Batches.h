//===- Batches.h - Rows of a Dataset as input tensors -----------*- C++ -*-===//
//
// What the trainer feeds an entry point: the rows of a batch gathered from a
// Dataset (Data.h, SequenceData.h) into tensors of the types the entry
// point's inputs have, converted to their element type.
//
// Tables: one instance per row, the batch axis first. Sequences: batches
// are time-major: T = the longest row of the batch, shorter rows are padded
// at the end with kPadToken (ids) or 0 (values), and the mask [T, N] is 1 at
// a real step and 0 at padding. Their rows are grouped into batches of
// similar length (bucketedBatches).
//
// Pairs of sequences (`pairs` data) have two sides of their own lengths:
// the source side is x with its mask, as above (gatherSteps, gatherMask);
// the target side of n units gives two sequences of n + 1 steps for
// teacher forcing, y_in = <s> u1 .. un (the decoder's input) and
// y = u1 .. un </s> (what it predicts at each step), with their own mask.
// Pairs are bucketed by the length of their source.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_RUNTIME_BATCHES_H
#define SEQC_RUNTIME_BATCHES_H

#include "seqc/Runtime/Data.h"
#include "seqc/Runtime/Random.h"
#include "seqc/Runtime/Tensor.h"
#include "seqc/Runtime/TensorType.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace seqc::rt {

/// The features of `rows` as an input of type `type` (leading batch axis,
/// the row's values in row-major order on the others).
llvm::Expected<Tensor> gatherFeatures(const Dataset &data,
                                      llvm::ArrayRef<int64_t> rows,
                                      const TensorType &type,
                                      llvm::StringRef inputName);
/// The targets of `rows` as an input of type `type`: class indices for an
/// integer type, values otherwise.
llvm::Expected<Tensor> gatherTargets(const Dataset &data,
                                     llvm::ArrayRef<int64_t> rows,
                                     const TensorType &type,
                                     llvm::StringRef inputName);

/// The steps of the longest of `rows`.
int64_t batchLength(const Dataset &data, llvm::ArrayRef<int64_t> rows);

/// The steps of `rows` as an input [T, N] (ids; an integer type) or
/// [T, N, F] (values; a float type), T = batchLength, right-padded.
llvm::Expected<Tensor> gatherSteps(const Dataset &data,
                                   llvm::ArrayRef<int64_t> rows,
                                   const TensorType &type,
                                   llvm::StringRef inputName);
/// The per-step targets of `rows` as [T, N] (ids) or [T, N, K] / [T, N]
/// (values), right-padded.
llvm::Expected<Tensor> gatherStepTargets(const Dataset &data,
                                         llvm::ArrayRef<int64_t> rows,
                                         const TensorType &type,
                                         llvm::StringRef inputName);
/// The mask [T, N] of `rows` (a float type): 1 at a real step, else 0.
llvm::Expected<Tensor> gatherMask(const Dataset &data,
                                  llvm::ArrayRef<int64_t> rows,
                                  const TensorType &type,
                                  llvm::StringRef inputName);

/// Pairs: the steps of the longest target side of `rows`, plus one (for
/// <s> in y_in, </s> in y).
int64_t decoderBatchLength(const Dataset &data, llvm::ArrayRef<int64_t> rows);
/// Pairs: y_in of `rows`, [T, N] ids (an integer type), T =
/// decoderBatchLength: kStartToken, then the target ids, then kPadToken.
llvm::Expected<Tensor> gatherDecoderInputs(const Dataset &data,
                                           llvm::ArrayRef<int64_t> rows,
                                           const TensorType &type,
                                           llvm::StringRef inputName);
/// Pairs: y of `rows`, [T, N] ids: the target ids, then kEndToken, then
/// kPadToken.
llvm::Expected<Tensor> gatherDecoderTargets(const Dataset &data,
                                            llvm::ArrayRef<int64_t> rows,
                                            const TensorType &type,
                                            llvm::StringRef inputName);
/// Pairs: the mask [T, N] of y_in and y (a float type): 1 at the n + 1 real
/// steps of a target of n units, else 0.
llvm::Expected<Tensor> gatherDecoderMask(const Dataset &data,
                                         llvm::ArrayRef<int64_t> rows,
                                         const TensorType &type,
                                         llvm::StringRef inputName);

/// The batches of a training epoch of sequences of the given lengths,
/// grouped by length so that little of a batch is padding. With `shuffle`:
/// the rows are shuffled, every run of kBucketBatches * batch of them is
/// sorted by length (a stable sort, so the shuffle breaks ties), cut into
/// batches (only the very last one may be partial), and the batches are
/// shuffled; every draw comes from `rng`. Without: the rows in order, cut
/// into batches, and `rng` is not used.
std::vector<std::vector<int64_t>>
bucketedBatches(llvm::ArrayRef<int64_t> lengths, int64_t batch, bool shuffle,
                Rng &rng);
inline constexpr int64_t kBucketBatches = 50;

} // namespace seqc::rt

#endif // SEQC_RUNTIME_BATCHES_H
