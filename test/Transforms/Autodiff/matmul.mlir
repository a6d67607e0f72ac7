// RUN: seqc-opt %s --seqc-autodiff -split-input-file | FileCheck %s

// A shared weight times a batch of vectors, W @ x: dW = dy^T x, one GEMM whose
// contraction runs over the batch.
// CHECK-LABEL: func.func @matvec_grad
// CHECK-SAME: -> (tensor<f32>, tensor<3x4xf32> {seq.grad_of = "W"})
// CHECK: %[[Y:.*]] = seq.matmul %[[X:.*]], %[[W:.*]] {transpose_rhs}
// CHECK: %[[DW:.*]] = seq.matmul %[[DY:.*]], %[[X]] {transpose_lhs} : tensor<?x3xf32>, tensor<?x4xf32> -> tensor<3x4xf32>
// CHECK: return %{{.*}}, %[[DW]]
func.func @matvec(%w: tensor<3x4xf32> {seq.param = "W"}, %x: tensor<?x4xf32> {seq.input = "x"}) -> tensor<f32> {
  %y = seq.matmul %x, %w {transpose_rhs} : tensor<?x4xf32>, tensor<3x4xf32> -> tensor<?x3xf32>
  %l = seq.reduce_sum %y [0, 1] : tensor<?x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Plain matmul: dA = dC B^T, dB = A^T dC, both as flags, no transposes.
// CHECK-LABEL: func.func @matmul_grad
// CHECK-DAG: %[[DA:.*]] = seq.matmul %[[DC:.*]], %arg1 {transpose_rhs} : tensor<2x5xf32>, tensor<3x5xf32> -> tensor<2x3xf32>
// CHECK-DAG: %[[DB:.*]] = seq.matmul %arg0, %[[DC]] {transpose_lhs} : tensor<2x3xf32>, tensor<2x5xf32> -> tensor<3x5xf32>
// CHECK: return %{{.*}}, %[[DA]], %[[DB]]
func.func @matmul(%a: tensor<2x3xf32> {seq.param = "A"}, %b: tensor<3x5xf32> {seq.param = "B"}) -> tensor<f32> {
  %c = seq.matmul %a, %b : tensor<2x3xf32>, tensor<3x5xf32> -> tensor<2x5xf32>
  %l = seq.reduce_sum %c [0, 1] : tensor<2x5xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A weight shared by a batch of matrices: the batched cotangent is summed
// over the batch.
// CHECK-LABEL: func.func @batched_grad
// CHECK: %[[DB3:.*]] = seq.matmul %arg1, %{{.*}} {transpose_lhs} : tensor<?x2x3xf32>, tensor<?x2x5xf32> -> tensor<?x3x5xf32>
// CHECK: %[[DB:.*]] = seq.reduce_sum %[[DB3]] [0] : tensor<?x3x5xf32> -> tensor<3x5xf32>
// CHECK: return %{{.*}}, %[[DB]]
func.func @batched(%b: tensor<3x5xf32> {seq.param = "B"}, %a: tensor<?x2x3xf32> {seq.input = "a"}) -> tensor<f32> {
  %c = seq.matmul %a, %b : tensor<?x2x3xf32>, tensor<3x5xf32> -> tensor<?x2x5xf32>
  %l = seq.reduce_sum %c [0, 1, 2] : tensor<?x2x5xf32> -> tensor<f32>
  return %l : tensor<f32>
}
