//===- Checkpoint.h - Training checkpoints, read back -----------*- C++ -*-===//
//
// A checkpoint folder holds `model.safetensors`: the parameters, the
// optimizer state and, as metadata, the epoch, step and generator state, the
// seed, the optimizer, and the data schema (classes, standardization). The
// Trainer writes it; resuming, evaluating and generating read it back here.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_RUNTIME_CHECKPOINT_H
#define SEQC_RUNTIME_CHECKPOINT_H

#include "seqc/Runtime/Data.h"
#include "seqc/Runtime/SafeTensors.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>

namespace seqc::rt {

/// The file a checkpoint folder holds.
inline constexpr llvm::StringLiteral kCheckpointFile = "model.safetensors";
/// DIR/model.safetensors.
std::string checkpointPath(llvm::StringRef dir);

/// A training checkpoint read back: its parameters and state, the data
/// schema and the seed of its run.
struct Checkpoint {
  std::string path;
  SafetensorsFile file;
  DataSchema schema;
  uint64_t seed = 0;
};

/// Reads DIR/model.safetensors; fails when it is missing or is not a seqc
/// training checkpoint.
llvm::Expected<Checkpoint> readCheckpoint(llvm::StringRef dir);

} // namespace seqc::rt

#endif // SEQC_RUNTIME_CHECKPOINT_H
