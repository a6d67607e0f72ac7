// RUN: seqc-opt %s --seqc-autodiff=wrt-inputs | FileCheck %s
// RUN: seqc-opt %s --seqc-autodiff | FileCheck %s --check-prefix=PARAMS

// With wrt-inputs, the cotangent of each input is returned after the
// parameters'; without, only the parameters'.
// CHECK-LABEL: func.func @inputs_grad
// CHECK-SAME: -> (tensor<f32>, tensor<3x4xf32> {seq.grad_of = "W"}, tensor<?x4xf32> {seq.grad_of = "x"})
// CHECK: %[[DX:.*]] = seq.matmul %{{.*}}, %arg0 : tensor<?x3xf32>, tensor<3x4xf32> -> tensor<?x4xf32>
// CHECK: return %{{.*}}, %{{.*}}, %[[DX]]
// PARAMS-LABEL: func.func @inputs_grad
// PARAMS-SAME: -> (tensor<f32>, tensor<3x4xf32> {seq.grad_of = "W"})
func.func @inputs(%w: tensor<3x4xf32> {seq.param = "W"}, %x: tensor<?x4xf32> {seq.input = "x"}) -> tensor<f32> {
  %y = seq.matmul %x, %w {transpose_rhs} : tensor<?x4xf32>, tensor<3x4xf32> -> tensor<?x3xf32>
  %l = seq.reduce_sum %y [0, 1] : tensor<?x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// Integer inputs (labels, indices) have no cotangent, even with wrt-inputs.
// CHECK-LABEL: func.func @labels_grad
// CHECK-SAME: -> (tensor<f32>, tensor<3x4xf32> {seq.grad_of = "W"}, tensor<?x4xf32> {seq.grad_of = "x"})
func.func @labels(%w: tensor<3x4xf32> {seq.param = "W"}, %x: tensor<?x4xf32> {seq.input = "x"}, %y: tensor<?xi64> {seq.input = "y"}) -> tensor<f32> {
  %z = seq.matmul %x, %w {transpose_rhs} : tensor<?x4xf32>, tensor<3x4xf32> -> tensor<?x3xf32>
  %oh = seq.one_hot %y depth = 3 : tensor<?xi64> -> tensor<?x3xf32>
  %t = seq.mul %oh, %z : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
  %l = seq.reduce_mean %t [0, 1] : tensor<?x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}
