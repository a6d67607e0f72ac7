//===- MemRefABI.h - Tensors in and out of compiled code -------*- C++ -*-===//
//
// The calling convention of a compiled entry point's packed interface
// `_mlir__mlir_ciface_<name>(void **)` (addPackedInterfaces over the
// `_mlir_ciface_` wrapper): its first pointer leads to the descriptors of
// the results, when there are any, and each further one to the descriptor
// of an argument. A descriptor is a ranked memref as the C interface lays it
// out: allocated and aligned pointers, offset, sizes[rank], strides[rank],
// 8 bytes each. Results are buffers the compiled code allocated (from the
// buffer pool), globals, or the caller's own buffers.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_RUNTIME_MEMREFABI_H
#define SEQC_RUNTIME_MEMREFABI_H

#include "seqc/Runtime/Tensor.h"
#include "seqc/Runtime/TensorType.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>
#include <vector>

namespace seqc::rt {

/// A compiled entry point's packed interface.
using PackedFunction = void (*)(void **);

/// The packed arguments of one call: descriptors of the argument tensors and
/// room for the result descriptors, and after the call the results as
/// tensors. One object per call; it holds no global state, so calls on
/// different threads each build their own.
class PackedCall {
public:
  /// `results`: the types the entry point returns (must outlive this).
  explicit PackedCall(llvm::ArrayRef<TensorType> results);

  /// Appends the descriptor of `tensor` (contiguous, row-major); the caller
  /// keeps it alive until the call returns. Compiled code may write into it
  /// only where the entry point says so (`seq.updates`).
  void addArgument(const Tensor &tensor);

  /// Calls `function` with the arguments added so far.
  void invoke(PackedFunction function);

  /// The results of the call as tensors. A fresh buffer is adopted by the
  /// first result that can take it as it is (contiguous, 64-byte aligned);
  /// the other results are copied out, and fresh buffers nobody adopted are
  /// freed once. Buffers of the arguments and globals are never adopted or
  /// freed. Call once, after invoke().
  std::vector<Tensor> takeResults();

private:
  llvm::ArrayRef<TensorType> resultTypes;
  llvm::SmallVector<llvm::SmallVector<int64_t, 8>, 8> argumentWords;
  llvm::DenseSet<const void *> argumentBuffers;
  llvm::SmallVector<int64_t, 16> resultWords;
};

} // namespace seqc::rt

#endif // SEQC_RUNTIME_MEMREFABI_H
