//===- MemRefABI.cpp - Tensors in and out of compiled entry points --------===//
#include "seqc/Runtime/MemRefABI.h"
#include "seqc/Runtime/BufferPool.h"

#include <cstring>

using namespace seqc::rt;

namespace {
/// A ranked memref descriptor as the C interface lays it out: allocated and
/// aligned pointers, offset, sizes[rank], strides[rank], all 8 bytes.
class MemRefDescriptor {
public:
  /// Describes a contiguous row-major tensor owned by the caller.
  static void append(llvm::SmallVectorImpl<int64_t> &words, const void *data,
                     llvm::ArrayRef<int64_t> shape) {
    auto pointer = static_cast<int64_t>(reinterpret_cast<intptr_t>(data));
    words.push_back(pointer); // allocated
    words.push_back(pointer); // aligned
    words.push_back(0);       // offset
    words.append(shape.begin(), shape.end());
    llvm::SmallVector<int64_t, 4> strides(shape.size(), 1);
    for (int64_t axis = static_cast<int64_t>(shape.size()) - 2; axis >= 0;
         --axis)
      strides[axis] = strides[axis + 1] * shape[axis + 1];
    words.append(strides.begin(), strides.end());
  }
  static size_t words(size_t rank) { return 3 + 2 * rank; }
};
} // namespace

/// The pointer a statically allocated (global) memref carries as its
/// allocated pointer; it must not be freed.
static void *const kGlobalMemRefMarker = reinterpret_cast<void *>(0xdeadbeef);

/// Whether the memref described at `words` is laid out row-major without
/// gaps (unit axes may have any stride).
static bool isContiguous(const int64_t *words, size_t rank) {
  llvm::ArrayRef<int64_t> sizes(words + 3, rank);
  llvm::ArrayRef<int64_t> strides(words + 3 + rank, rank);
  int64_t expectedStride = 1;
  for (int64_t axis = static_cast<int64_t>(rank) - 1; axis >= 0; --axis) {
    if (sizes[axis] != 1 && strides[axis] != expectedStride)
      return false;
    expectedStride *= sizes[axis];
  }
  return true;
}

/// Copies the memref described at `words` into a new contiguous tensor,
/// following its offset and strides.
static Tensor copyOut(const int64_t *words, const TensorType &type) {
  size_t rank = type.shape.size();
  auto *aligned =
      reinterpret_cast<const std::byte *>(static_cast<intptr_t>(words[1]));
  int64_t offset = words[2];
  llvm::ArrayRef<int64_t> sizes(words + 3, rank);
  llvm::ArrayRef<int64_t> strides(words + 3 + rank, rank);
  Tensor tensor(type.dtype, sizes);
  size_t elementSize = dtypeSize(type.dtype);
  if (tensor.numElements() == 0)
    return tensor;

  const std::byte *base = aligned + offset * elementSize;
  if (isContiguous(words, rank)) {
    std::memcpy(tensor.rawData(), base, tensor.sizeInBytes());
    return tensor;
  }
  llvm::SmallVector<int64_t, 4> index(rank, 0);
  for (int64_t flat = 0; flat < tensor.numElements(); ++flat) {
    int64_t source = 0;
    for (size_t axis = 0; axis < rank; ++axis)
      source += index[axis] * strides[axis];
    std::memcpy(tensor.rawData() + flat * elementSize,
                base + source * elementSize, elementSize);
    for (int64_t axis = static_cast<int64_t>(rank) - 1; axis >= 0; --axis) {
      if (++index[axis] < sizes[axis])
        break;
      index[axis] = 0;
    }
  }
  return tensor;
}

PackedCall::PackedCall(llvm::ArrayRef<TensorType> results)
    : resultTypes(results) {
  size_t resultWordCount = 0;
  for (const TensorType &result : results)
    resultWordCount += MemRefDescriptor::words(result.shape.size());
  resultWords.assign(resultWordCount, 0);
}

void PackedCall::addArgument(const Tensor &tensor) {
  MemRefDescriptor::append(argumentWords.emplace_back(), tensor.rawData(),
                           tensor.shape());
  argumentBuffers.insert(tensor.rawData());
}

void PackedCall::invoke(PackedFunction function) {
  // The packed interface takes `(results *, arg0 *, arg1 *, ...)`, each a
  // pointer to a pointer to the descriptor.
  llvm::SmallVector<void *, 16> argumentPointers;
  argumentPointers.reserve(argumentWords.size() + 1);
  void *resultPointer = resultWords.data();
  if (!resultTypes.empty())
    argumentPointers.push_back(&resultPointer);
  llvm::SmallVector<void *, 16> descriptorPointers;
  for (auto &words : argumentWords)
    descriptorPointers.push_back(words.data());
  for (void *&pointer : descriptorPointers)
    argumentPointers.push_back(&pointer);
  function(argumentPointers.data());
}

std::vector<Tensor> PackedCall::takeResults() {
  std::vector<Tensor> outputs;
  llvm::SmallVector<void *, 4> adopted, toFree;
  const int64_t *words = resultWords.data();
  for (const TensorType &result : resultTypes) {
    size_t rank = result.shape.size();
    auto *allocated = reinterpret_cast<void *>(static_cast<intptr_t>(words[0]));
    auto *data =
        reinterpret_cast<std::byte *>(static_cast<intptr_t>(words[1])) +
        words[2] * dtypeSize(result.dtype);
    bool fresh = allocated && allocated != kGlobalMemRefMarker &&
                 !argumentBuffers.count(allocated);
    llvm::ArrayRef<int64_t> sizes(words + 3, rank);
    if (fresh && !llvm::is_contained(adopted, allocated) &&
        numElementsOf(sizes) > 0 && isContiguous(words, rank) &&
        reinterpret_cast<uintptr_t>(data) % 64 == 0) {
      outputs.push_back(Tensor::adopt(result.dtype, sizes, allocated, data));
      adopted.push_back(allocated);
    } else {
      outputs.push_back(copyOut(words, result));
      if (fresh && !llvm::is_contained(toFree, allocated))
        toFree.push_back(allocated);
    }
    words += MemRefDescriptor::words(rank);
  }
  for (void *allocated : toFree)
    if (!llvm::is_contained(adopted, allocated))
      poolRelease(allocated);
  return outputs;
}
