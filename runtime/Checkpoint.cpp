//===- Checkpoint.cpp - Training checkpoints, read back -------------------===//
#include "seqc/Runtime/Checkpoint.h"
#include "seqc/Runtime/Error.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

using namespace seqc::rt;

std::string seqc::rt::checkpointPath(llvm::StringRef dir) {
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, kCheckpointFile);
  return std::string(path);
}

llvm::Expected<Checkpoint> seqc::rt::readCheckpoint(llvm::StringRef dir) {
  Checkpoint checkpoint;
  checkpoint.path = checkpointPath(dir);
  if (!llvm::sys::fs::exists(checkpoint.path))
    return makeError("{}: no checkpoint there (expected {} in the folder "
                     "that --out wrote)",
                     checkpoint.path, kCheckpointFile.str());
  auto file = loadSafetensors(checkpoint.path);
  if (!file)
    return file.takeError();
  checkpoint.file = std::move(*file);
  const MetadataMap &metadata = checkpoint.file.metadata;
  if (!metadata.count("seqc.format"))
    return makeError("{}: not a seqc training checkpoint (its metadata has "
                     "no 'seqc.format')",
                     checkpoint.path);
  auto schema = DataSchema::fromMetadata(metadata, checkpoint.path);
  if (!schema)
    return schema.takeError();
  checkpoint.schema = std::move(*schema);
  auto seed = metadata.find("seqc.seed");
  if (seed == metadata.end() ||
      llvm::StringRef(seed->second).getAsInteger(10, checkpoint.seed))
    return makeError("{}: corrupt checkpoint: metadata 'seqc.seed' is missing "
                     "or not a number",
                     checkpoint.path);
  return checkpoint;
}
