//===- TrainingModules.h - Hand-written models for training tests -*- C++
//-*-===//
//
// Seq modules as the frontend emits them for a model with a train block: a
// @forward and a @loss whose inputs are forward's followed by the target.
// The training tests compile them with buildTrainingModule.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_TEST_UNIT_TRAININGMODULES_H
#define SEQC_TEST_UNIT_TRAININGMODULES_H

#include "llvm/ADT/StringRef.h"

namespace seqc::test {

/// Linear regression on 2 features: forward = x @ W^T + b ([N, 1]); loss =
/// mean squared error against y [N, 1]. Parameters start at zero.
inline constexpr llvm::StringLiteral kLinearRegression = R"mlir(
module attributes {seq.model = "LinReg"} {
  func.func @forward(
      %W: tensor<1x2xf32> {seq.param = "fc.W", seq.init = {kind = "zeros"}},
      %b: tensor<1xf32> {seq.param = "fc.b", seq.init = {kind = "zeros"}},
      %x: tensor<?x2xf32> {seq.input = "x"}) -> tensor<?x1xf32> {
    %xw = seq.matmul %x, %W {transpose_rhs}
        : tensor<?x2xf32>, tensor<1x2xf32> -> tensor<?x1xf32>
    %p = seq.add %xw, %b : tensor<?x1xf32>, tensor<1xf32> -> tensor<?x1xf32>
    return %p : tensor<?x1xf32>
  }
  func.func @loss(
      %W: tensor<1x2xf32> {seq.param = "fc.W", seq.init = {kind = "zeros"}},
      %b: tensor<1xf32> {seq.param = "fc.b", seq.init = {kind = "zeros"}},
      %x: tensor<?x2xf32> {seq.input = "x"},
      %y: tensor<?x1xf32> {seq.input = "y"}) -> tensor<f32> {
    %xw = seq.matmul %x, %W {transpose_rhs}
        : tensor<?x2xf32>, tensor<1x2xf32> -> tensor<?x1xf32>
    %p = seq.add %xw, %b : tensor<?x1xf32>, tensor<1xf32> -> tensor<?x1xf32>
    %d = seq.sub %p, %y : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<?x1xf32>
    %sq = seq.mul %d, %d : tensor<?x1xf32>, tensor<?x1xf32> -> tensor<?x1xf32>
    %l = seq.reduce_mean %sq [0, 1] : tensor<?x1xf32> -> tensor<f32>
    return %l : tensor<f32>
  }
}
)mlir";

/// Softmax regression, 2 features -> 2 classes: forward = softmax(x @ W^T +
/// b); loss = cross-entropy with class indices y [N] (i64), in the stable
/// form -mean(sum(one_hot(y) * log_softmax(z))).
inline constexpr llvm::StringLiteral kSoftmaxRegression = R"mlir(
module attributes {seq.model = "Logistic"} {
  func.func @forward(
      %W: tensor<2x2xf32> {seq.param = "fc.W",
                           seq.init = {kind = "xavier", a = 0.0, b = 0.0}},
      %b: tensor<2xf32> {seq.param = "fc.b", seq.init = {kind = "zeros"}},
      %x: tensor<?x2xf32> {seq.input = "x"}) -> tensor<?x2xf32> {
    %xw = seq.matmul %x, %W {transpose_rhs}
        : tensor<?x2xf32>, tensor<2x2xf32> -> tensor<?x2xf32>
    %z = seq.add %xw, %b : tensor<?x2xf32>, tensor<2xf32> -> tensor<?x2xf32>
    %p = seq.softmax %z axis = 1 : tensor<?x2xf32>
    return %p : tensor<?x2xf32>
  }
  func.func @loss(
      %W: tensor<2x2xf32> {seq.param = "fc.W",
                           seq.init = {kind = "xavier", a = 0.0, b = 0.0}},
      %b: tensor<2xf32> {seq.param = "fc.b", seq.init = {kind = "zeros"}},
      %x: tensor<?x2xf32> {seq.input = "x"},
      %y: tensor<?xi64> {seq.input = "y"}) -> tensor<f32> {
    %xw = seq.matmul %x, %W {transpose_rhs}
        : tensor<?x2xf32>, tensor<2x2xf32> -> tensor<?x2xf32>
    %z = seq.add %xw, %b : tensor<?x2xf32>, tensor<2xf32> -> tensor<?x2xf32>
    %lp = seq.log_softmax %z axis = 1 : tensor<?x2xf32>
    %oh = seq.one_hot %y depth = 2 : tensor<?xi64> -> tensor<?x2xf32>
    %t = seq.mul %oh, %lp : tensor<?x2xf32>, tensor<?x2xf32> -> tensor<?x2xf32>
    %s = seq.reduce_sum %t [1] : tensor<?x2xf32> -> tensor<?xf32>
    %n = seq.neg %s : tensor<?xf32>
    %l = seq.reduce_mean %n [0] : tensor<?xf32> -> tensor<f32>
    return %l : tensor<f32>
  }
}
)mlir";

} // namespace seqc::test

#endif // SEQC_TEST_UNIT_TRAININGMODULES_H
