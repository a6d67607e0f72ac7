//===- SafeTensors.h - The safetensors checkpoint format --------*- C++ -*-===//
//
// Reads and writes the safetensors format: a little-endian u64 header length,
// a JSON header {name: {"dtype", "shape", "data_offsets": [begin, end]}, ...,
// "__metadata__": {string: string}} padded with spaces to 8 bytes, then the
// raw little-endian data, offsets relative to the end of the header. Files
// written here load in PyTorch's `safetensors` and the other way round.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_RUNTIME_SAFETENSORS_H
#define SEQC_RUNTIME_SAFETENSORS_H

#include "seqc/Runtime/Tensor.h"

#include "llvm/Support/Error.h"

#include <map>
#include <string>
#include <vector>

namespace seqc::rt {

/// Tensors by name, ordered by name.
using TensorMap = std::map<std::string, Tensor, std::less<>>;
using MetadataMap = std::map<std::string, std::string, std::less<>>;

struct SafetensorsFile {
  TensorMap tensors;
  MetadataMap metadata;
};

/// A borrowed, named tensor, for saving tensors that live elsewhere.
struct NamedTensorRef {
  llvm::StringRef name;
  const Tensor *tensor;
};

/// The bytes of a safetensors file holding `tensors` in the given order.
std::string serializeSafetensors(llvm::ArrayRef<NamedTensorRef> tensors,
                                 const MetadataMap &metadata = {});

/// Writes the file atomically: a temporary file in the same folder, renamed
/// over `path` once complete, so a crash never leaves a truncated checkpoint.
llvm::Error saveSafetensors(llvm::StringRef path,
                            llvm::ArrayRef<NamedTensorRef> tensors,
                            const MetadataMap &metadata = {});
llvm::Error saveSafetensors(llvm::StringRef path, const TensorMap &tensors,
                            const MetadataMap &metadata = {});

/// Parses a whole file held in memory; `fileName` prefixes every error. The
/// header, every entry's dtype, shape and offsets, and that the entries tile
/// the data section exactly are all checked.
llvm::Expected<SafetensorsFile> parseSafetensors(llvm::StringRef bytes,
                                                 llvm::StringRef fileName);
llvm::Expected<SafetensorsFile> loadSafetensors(llvm::StringRef path);

} // namespace seqc::rt

#endif // SEQC_RUNTIME_SAFETENSORS_H
