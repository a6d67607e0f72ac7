//===- Tensor.cpp - Host tensors of the runtime ---------------------------===//
#include "seqc/Runtime/Tensor.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>
#include <cstring>

using namespace seqc::rt;

size_t seqc::rt::dtypeSize(DType dtype) {
  switch (dtype) {
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::F64:
  case DType::I64:
    return 8;
  }
  llvm_unreachable("unknown dtype");
}

llvm::StringRef seqc::rt::dtypeName(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "f32";
  case DType::F64:
    return "f64";
  case DType::I32:
    return "i32";
  case DType::I64:
    return "i64";
  }
  llvm_unreachable("unknown dtype");
}

llvm::StringRef seqc::rt::dtypeSafetensorsName(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "F32";
  case DType::F64:
    return "F64";
  case DType::I32:
    return "I32";
  case DType::I64:
    return "I64";
  }
  llvm_unreachable("unknown dtype");
}

std::optional<DType> seqc::rt::dtypeFromSafetensorsName(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<DType>>(name)
      .Case("F32", DType::F32)
      .Case("F64", DType::F64)
      .Case("I32", DType::I32)
      .Case("I64", DType::I64)
      .Default(std::nullopt);
}

std::string seqc::rt::shapeToString(llvm::ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (auto [index, size] : llvm::enumerate(shape)) {
    if (index)
      text += ", ";
    text += size < 0 ? std::string("?") : std::to_string(size);
  }
  return text + "]";
}

int64_t seqc::rt::numElementsOf(llvm::ArrayRef<int64_t> shape) {
  int64_t count = 1;
  for (int64_t size : shape)
    count *= size;
  return count;
}

// Buffers come from the pool, 64-byte aligned (a cache line, an AVX-512
// vector) so that compiled code may use aligned vector loads on parameters
// and inputs.
static constexpr size_t kAlignment = kBufferAlignment;

static std::byte *allocateZeroed(size_t bytes) {
  auto *pointer = static_cast<std::byte *>(poolAllocate(bytes));
  std::memset(pointer, 0, std::max<size_t>(bytes, 1));
  return pointer;
}

Tensor::Tensor() : dims({0}), storage(allocateZeroed(0)) {
  base = storage.get();
}

Tensor::Tensor(DType dtype, llvm::ArrayRef<int64_t> shape)
    : elementType(dtype), dims(shape.begin(), shape.end()),
      elementCount(numElementsOf(shape)) {
  assert(llvm::all_of(shape, [](int64_t size) { return size >= 0; }) &&
         "tensor sizes must be non-negative");
  storage.reset(allocateZeroed(sizeInBytes()));
  base = storage.get();
}

Tensor::Tensor(const Tensor &other)
    : elementType(other.elementType), dims(other.dims),
      elementCount(other.elementCount),
      storage(allocateZeroed(other.sizeInBytes())) {
  base = storage.get();
  if (other.base)
    std::memcpy(base, other.base, sizeInBytes());
}

Tensor::Tensor(Tensor &&other) noexcept
    : elementType(other.elementType), dims(std::move(other.dims)),
      elementCount(other.elementCount), storage(std::move(other.storage)),
      base(other.base) {
  other.elementCount = 0;
  other.base = nullptr;
}

Tensor &Tensor::operator=(Tensor &&other) noexcept {
  if (this == &other)
    return *this;
  elementType = other.elementType;
  dims = std::move(other.dims);
  elementCount = other.elementCount;
  storage = std::move(other.storage);
  base = other.base;
  other.elementCount = 0;
  other.base = nullptr;
  return *this;
}

Tensor Tensor::adopt(DType dtype, llvm::ArrayRef<int64_t> shape,
                     void *allocated, std::byte *data) {
  assert(allocated && data && "adopting a null buffer");
  assert(reinterpret_cast<uintptr_t>(data) % kAlignment == 0 &&
         "adopted buffers must be 64-byte aligned");
  Tensor tensor;
  tensor.elementType = dtype;
  tensor.dims.assign(shape.begin(), shape.end());
  tensor.elementCount = numElementsOf(shape);
  tensor.storage.reset(static_cast<std::byte *>(allocated));
  tensor.base = data;
  return tensor;
}

Tensor &Tensor::operator=(const Tensor &other) {
  if (this != &other)
    *this = Tensor(other);
  return *this;
}

llvm::SmallVector<int64_t, 4> Tensor::strides() const {
  llvm::SmallVector<int64_t, 4> result(dims.size(), 1);
  for (int64_t axis = rank() - 2; axis >= 0; --axis)
    result[axis] = result[axis + 1] * dims[axis + 1];
  return result;
}

double Tensor::getDouble(int64_t flatIndex) const {
  assert(flatIndex >= 0 && flatIndex < elementCount && "index out of range");
  switch (elementType) {
  case DType::F32:
    return reinterpret_cast<const float *>(base)[flatIndex];
  case DType::F64:
    return reinterpret_cast<const double *>(base)[flatIndex];
  case DType::I32:
    return reinterpret_cast<const int32_t *>(base)[flatIndex];
  case DType::I64:
    return static_cast<double>(
        reinterpret_cast<const int64_t *>(base)[flatIndex]);
  }
  llvm_unreachable("unknown dtype");
}

void Tensor::setDouble(int64_t flatIndex, double value) {
  assert(flatIndex >= 0 && flatIndex < elementCount && "index out of range");
  switch (elementType) {
  case DType::F32:
    reinterpret_cast<float *>(base)[flatIndex] = static_cast<float>(value);
    return;
  case DType::F64:
    reinterpret_cast<double *>(base)[flatIndex] = value;
    return;
  case DType::I32:
    reinterpret_cast<int32_t *>(base)[flatIndex] = static_cast<int32_t>(value);
    return;
  case DType::I64:
    reinterpret_cast<int64_t *>(base)[flatIndex] = static_cast<int64_t>(value);
    return;
  }
  llvm_unreachable("unknown dtype");
}

double Tensor::at(llvm::ArrayRef<int64_t> index) const {
  assert(static_cast<int64_t>(index.size()) == rank() && "index rank");
  int64_t flat = 0;
  for (auto [axis, position] : llvm::enumerate(index)) {
    assert(position >= 0 && position < dims[axis] && "index out of range");
    flat = flat * dims[axis] + position;
  }
  return getDouble(flat);
}

void Tensor::fill(double value) {
  for (int64_t index = 0; index < elementCount; ++index)
    setDouble(index, value);
}

bool Tensor::identicalTo(const Tensor &other) const {
  return elementType == other.elementType && dims == other.dims &&
         std::memcmp(base, other.base, sizeInBytes()) == 0;
}

bool Tensor::allFinite() const {
  auto finite = [](const auto *values, int64_t count) {
    for (int64_t i = 0; i < count; ++i)
      if (!std::isfinite(values[i]))
        return false;
    return true;
  };
  switch (elementType) {
  case DType::F32:
    return finite(data<float>(), elementCount);
  case DType::F64:
    return finite(data<double>(), elementCount);
  default:
    return true;
  }
}
