// RUN: seqc-opt %s --seqc-autodiff -split-input-file | FileCheck %s

// concat: each operand's cotangent is its slice of the result's.
// CHECK-LABEL: func.func @concat_grad
// CHECK: %[[DA:.*]] = seq.slice %[[G:.*]] axis = 0 start = 0 size = 2
// CHECK: %[[DB:.*]] = seq.slice %[[G]] axis = 0 start = 2 size = 3
// CHECK: return %{{.*}}, %[[DA]], %[[DB]]
func.func @concat(%a: tensor<2xf32> {seq.param = "a"}, %b: tensor<3xf32> {seq.param = "b"}) -> tensor<f32> {
  %c = seq.concat %a, %b axis = 0 : tensor<2xf32>, tensor<3xf32> -> tensor<5xf32>
  %l = seq.reduce_sum %c [0] : tensor<5xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// slice: the cotangent is padded back with zeros.
// CHECK-LABEL: func.func @slice_grad
// CHECK: %[[P:.*]] = seq.pad %{{.*}} axis = 1 before = 1 after = 2 : tensor<2x2xf32> -> tensor<2x5xf32>
// CHECK: return %{{.*}}, %[[P]]
func.func @slice(%a: tensor<2x5xf32> {seq.param = "a"}) -> tensor<f32> {
  %s = seq.slice %a axis = 1 start = 1 size = 2 : tensor<2x5xf32> -> tensor<2x2xf32>
  %l = seq.reduce_sum %s [0, 1] : tensor<2x2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// gather (embedding lookup): the table's cotangent is a scatter-add of the
// rows' cotangents; the indices have none.
// CHECK-LABEL: func.func @gather_grad
// CHECK: %[[D:.*]] = seq.scatter_add %{{.*}}[%arg1] rows = 10 : tensor<?x4xf32>, tensor<?xi64> -> tensor<10x4xf32>
// CHECK: return %{{.*}}, %[[D]]
func.func @gather(%e: tensor<10x4xf32> {seq.param = "E"}, %i: tensor<?xi64> {seq.input = "i"}) -> tensor<f32> {
  %r = seq.gather %e[%i] : tensor<10x4xf32>, tensor<?xi64> -> tensor<?x4xf32>
  %l = seq.reduce_sum %r [0, 1] : tensor<?x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// expand_dims and squeeze undo each other; transpose takes the inverse
// permutation.
// CHECK-LABEL: func.func @reshape_grad
// CHECK: seq.transpose %{{.*}} [1, 0] : tensor<1x3xf32> -> tensor<3x1xf32>
// CHECK: seq.squeeze %{{.*}} axis = 1 : tensor<3x1xf32> -> tensor<3xf32>
func.func @reshape(%a: tensor<3xf32> {seq.param = "a"}) -> tensor<f32> {
  %e = seq.expand_dims %a axis = 1 : tensor<3xf32> -> tensor<3x1xf32>
  %t = seq.transpose %e [1, 0] : tensor<3x1xf32> -> tensor<1x3xf32>
  %l = seq.reduce_sum %t [0, 1] : tensor<1x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}
