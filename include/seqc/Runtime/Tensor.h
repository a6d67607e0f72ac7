//===- Tensor.h - Host tensors of the runtime -------------------*- C++ -*-===//
//
// A dense, row-major, owning tensor: a shape, an element type tag and one
// contiguous 64-byte aligned buffer. It is what the runtime hands to and gets
// back from compiled entry points, what initializers fill and what
// checkpoints store. The element type is a runtime tag so that the same code
// serves f32 and f64 models and integer (token index) inputs.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_RUNTIME_TENSOR_H
#define SEQC_RUNTIME_TENSOR_H

#include "seqc/Runtime/BufferPool.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>

namespace seqc::rt {

enum class DType : uint8_t { F32, F64, I32, I64 };

/// Bytes of one element.
size_t dtypeSize(DType dtype);
/// Lower-case MLIR spelling: "f32", "f64", "i32", "i64".
llvm::StringRef dtypeName(DType dtype);
/// The safetensors spelling: "F32", "F64", "I32", "I64".
llvm::StringRef dtypeSafetensorsName(DType dtype);
std::optional<DType> dtypeFromSafetensorsName(llvm::StringRef name);
inline bool isFloat(DType dtype) {
  return dtype == DType::F32 || dtype == DType::F64;
}

/// Maps a C++ element type to its tag; only the four supported types have one.
template <typename T> struct DTypeOf;
template <> struct DTypeOf<float> {
  static constexpr DType value = DType::F32;
};
template <> struct DTypeOf<double> {
  static constexpr DType value = DType::F64;
};
template <> struct DTypeOf<int32_t> {
  static constexpr DType value = DType::I32;
};
template <> struct DTypeOf<int64_t> {
  static constexpr DType value = DType::I64;
};

/// "[2, 3]", the form every shape takes in error messages.
std::string shapeToString(llvm::ArrayRef<int64_t> shape);
/// Product of the sizes (1 for rank 0).
int64_t numElementsOf(llvm::ArrayRef<int64_t> shape);

class Tensor {
public:
  /// An empty f32 tensor of shape [0].
  Tensor();
  /// A zero-filled tensor. Every size must be non-negative.
  Tensor(DType dtype, llvm::ArrayRef<int64_t> shape);

  Tensor(const Tensor &other);
  Tensor &operator=(const Tensor &other);
  Tensor(Tensor &&other) noexcept;
  Tensor &operator=(Tensor &&other) noexcept;

  /// Takes ownership of a contiguous row-major buffer that `allocated` (from
  /// the buffer pool, as compiled code allocates) holds, with the first
  /// element at `data`. This is how the runtime keeps the fresh buffers that
  /// compiled entry points return without copying them. `data` must be
  /// 64-byte aligned, as every tensor's buffer is.
  static Tensor adopt(DType dtype, llvm::ArrayRef<int64_t> shape,
                      void *allocated, std::byte *data);

  /// A tensor holding `values` (row-major); their count must match `shape`.
  template <typename T>
  static Tensor fromValues(llvm::ArrayRef<int64_t> shape,
                           llvm::ArrayRef<T> values) {
    Tensor tensor(DTypeOf<T>::value, shape);
    assert(static_cast<int64_t>(values.size()) == tensor.numElements() &&
           "value count does not match the shape");
    std::copy(values.begin(), values.end(), tensor.data<T>());
    return tensor;
  }
  template <typename T>
  static Tensor fromValues(llvm::ArrayRef<int64_t> shape,
                           std::initializer_list<T> values) {
    return fromValues(shape, llvm::ArrayRef<T>(values));
  }

  DType dtype() const { return elementType; }
  llvm::ArrayRef<int64_t> shape() const { return dims; }
  int64_t rank() const { return static_cast<int64_t>(dims.size()); }
  int64_t dim(int64_t axis) const { return dims[axis]; }
  int64_t numElements() const { return elementCount; }
  size_t sizeInBytes() const { return elementCount * dtypeSize(elementType); }
  /// Row-major strides in elements.
  llvm::SmallVector<int64_t, 4> strides() const;

  std::byte *rawData() { return base; }
  const std::byte *rawData() const { return base; }

  /// Typed access; T must be the tensor's element type.
  template <typename T> T *data() {
    assert(DTypeOf<T>::value == elementType && "element type mismatch");
    return reinterpret_cast<T *>(base);
  }
  template <typename T> const T *data() const {
    assert(DTypeOf<T>::value == elementType && "element type mismatch");
    return reinterpret_cast<const T *>(base);
  }
  template <typename T> llvm::ArrayRef<T> values() const {
    return llvm::ArrayRef<T>(data<T>(), elementCount);
  }
  template <typename T> llvm::MutableArrayRef<T> values() {
    return llvm::MutableArrayRef<T>(data<T>(), elementCount);
  }

  /// Element `flatIndex` (row-major) converted to or from double, whatever
  /// the element type; for generic code such as printing and initializers.
  double getDouble(int64_t flatIndex) const;
  void setDouble(int64_t flatIndex, double value);
  /// Element at a multi-index.
  double at(llvm::ArrayRef<int64_t> index) const;

  void fill(double value);
  /// Whether every element is finite (integer tensors always are).
  bool allFinite() const;
  /// Same element type and shape, and bitwise equal contents.
  bool identicalTo(const Tensor &other) const;

private:
  struct FreeDeleter {
    void operator()(std::byte *pointer) const { poolRelease(pointer); }
  };

  DType elementType = DType::F32;
  llvm::SmallVector<int64_t, 4> dims;
  int64_t elementCount = 0;
  /// The allocation, and the first element inside it.
  std::unique_ptr<std::byte, FreeDeleter> storage;
  std::byte *base = nullptr;
};

} // namespace seqc::rt

#endif // SEQC_RUNTIME_TENSOR_H
