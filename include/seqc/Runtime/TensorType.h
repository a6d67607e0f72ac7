//===- TensorType.h - The type of an entry point's tensor -------*- C++ -*-===//
//
// Element type and shape of an argument or result of a compiled entry point,
// with kDynamicSize for an axis whose size each call chooses (the batch, the
// time steps). The JIT session reads these types from the module; the data
// side builds batches to fit them. Neither needs the other for it.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_RUNTIME_TENSORTYPE_H
#define SEQC_RUNTIME_TENSORTYPE_H

#include "seqc/Runtime/Tensor.h"

#include "llvm/ADT/SmallVector.h"

#include <cstdint>
#include <string>

namespace seqc::rt {

/// The size the type of an argument or result gives a dynamic axis.
inline constexpr int64_t kDynamicSize = -1;

/// Element type and shape of an argument or result; kDynamicSize marks the
/// batch axis.
struct TensorType {
  DType dtype = DType::F32;
  llvm::SmallVector<int64_t, 4> shape;

  /// Whether `tensor` has this element type and matches every static size.
  bool accepts(const Tensor &tensor) const;
  /// "[?, 4] f32".
  std::string str() const;
};

} // namespace seqc::rt

#endif // SEQC_RUNTIME_TENSORTYPE_H
