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
