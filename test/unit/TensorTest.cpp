//===- TensorTest.cpp - Host tensors --------------------------------------===//
#include "seqc/Runtime/Tensor.h"

#include <gtest/gtest.h>

using namespace seqc::rt;

namespace {

TEST(TensorTest, ConstructsZeroFilledRowMajor) {
  Tensor tensor(DType::F32, {2, 3});
  EXPECT_EQ(tensor.dtype(), DType::F32);
  EXPECT_EQ(tensor.rank(), 2);
  EXPECT_EQ(tensor.numElements(), 6);
  EXPECT_EQ(tensor.sizeInBytes(), 24u);
  EXPECT_EQ(tensor.strides(), (llvm::SmallVector<int64_t, 4>{3, 1}));
  for (float value : tensor.values<float>())
    EXPECT_EQ(value, 0.0f);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(tensor.rawData()) % 64, 0u);
}

TEST(TensorTest, DefaultIsEmpty) {
  Tensor tensor;
  EXPECT_EQ(tensor.numElements(), 0);
  EXPECT_EQ(tensor.shape(), llvm::ArrayRef<int64_t>({0}));
}

TEST(TensorTest, ScalarHasOneElement) {
  Tensor scalar(DType::F64, {});
  EXPECT_EQ(scalar.rank(), 0);
  EXPECT_EQ(scalar.numElements(), 1);
  scalar.setDouble(0, 2.5);
  EXPECT_EQ(scalar.at({}), 2.5);
}

TEST(TensorTest, FromValuesAndIndexing) {
  Tensor tensor = Tensor::fromValues<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(tensor.at({0, 0}), 1.0);
  EXPECT_EQ(tensor.at({1, 2}), 6.0);
  EXPECT_EQ(tensor.at({1, 0}), 4.0);
  EXPECT_EQ(tensor.getDouble(4), 5.0);
}

TEST(TensorTest, CopiesAreDeepMovesSteal) {
  Tensor original = Tensor::fromValues<double>({2}, {1.5, -2.5});
  Tensor copy = original;
  copy.setDouble(0, 7.0);
  EXPECT_EQ(original.getDouble(0), 1.5);
  EXPECT_EQ(copy.getDouble(0), 7.0);
  EXPECT_NE(copy.rawData(), original.rawData());

  const std::byte *storage = original.rawData();
  Tensor moved = std::move(original);
  EXPECT_EQ(moved.rawData(), storage);
  EXPECT_EQ(moved.getDouble(1), -2.5);

  Tensor assigned(DType::I32, {5});
  assigned = moved;
  EXPECT_TRUE(assigned.identicalTo(moved));
}

TEST(TensorTest, ConvertsEveryDType) {
  for (DType dtype : {DType::F32, DType::F64, DType::I32, DType::I64}) {
    Tensor tensor(dtype, {3});
    tensor.setDouble(1, -4.0);
    EXPECT_EQ(tensor.getDouble(1), -4.0) << dtypeName(dtype).str();
    EXPECT_EQ(tensor.sizeInBytes(), 3 * dtypeSize(dtype));
    EXPECT_EQ(dtypeFromSafetensorsName(dtypeSafetensorsName(dtype)), dtype);
  }
  EXPECT_EQ(dtypeFromSafetensorsName("BF16"), std::nullopt);
  Tensor integers(DType::I64, {1});
  integers.data<int64_t>()[0] = (int64_t(1) << 53) + 1;
  EXPECT_EQ(integers.values<int64_t>()[0], (int64_t(1) << 53) + 1);
}

TEST(TensorTest, IdenticalComparesTypeShapeAndBits) {
  Tensor a = Tensor::fromValues<float>({2, 2}, {1, 2, 3, 4});
  Tensor b = Tensor::fromValues<float>({4}, {1, 2, 3, 4});
  Tensor c = Tensor::fromValues<float>({2, 2}, {1, 2, 3, 5});
  EXPECT_TRUE(a.identicalTo(Tensor(a)));
  EXPECT_FALSE(a.identicalTo(b));
  EXPECT_FALSE(a.identicalTo(c));
  a.fill(0.5);
  EXPECT_EQ(a.at({1, 1}), 0.5);
}

TEST(TensorTest, ShapeStrings) {
  EXPECT_EQ(shapeToString({}), "[]");
  EXPECT_EQ(shapeToString({16, 4}), "[16, 4]");
  EXPECT_EQ(shapeToString({-1, 4}), "[?, 4]");
  EXPECT_EQ(numElementsOf({}), 1);
  EXPECT_EQ(numElementsOf({2, 0, 3}), 0);
}

} // namespace
