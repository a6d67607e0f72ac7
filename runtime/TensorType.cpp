//===- TensorType.cpp - The type of an entry point's tensor ---------------===//
#include "seqc/Runtime/TensorType.h"

#include "llvm/ADT/STLExtras.h"

using namespace seqc::rt;

bool TensorType::accepts(const Tensor &tensor) const {
  if (tensor.dtype() != dtype ||
      tensor.rank() != static_cast<int64_t>(shape.size()))
    return false;
  for (auto [expected, actual] : llvm::zip(shape, tensor.shape()))
    if (expected != kDynamicSize && expected != actual)
      return false;
  return true;
}

std::string TensorType::str() const {
  return shapeToString(shape) + " " + dtypeName(dtype).str();
}
