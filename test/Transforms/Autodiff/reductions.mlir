// RUN: seqc-opt %s --seqc-autodiff -split-input-file | FileCheck %s

// sum: the cotangent is broadcast back over the reduced axes.
// CHECK-LABEL: func.func @sum_grad
// CHECK: %[[E:.*]] = seq.expand_dims %{{.*}} axis = 1 : tensor<2xf32> -> tensor<2x1xf32>
// CHECK: seq.broadcast_like %[[E]], %arg0 : tensor<2x1xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
func.func @sum(%a: tensor<2x3xf32> {seq.param = "a"}) -> tensor<f32> {
  %s = seq.reduce_sum %a [1] : tensor<2x3xf32> -> tensor<2xf32>
  %q = seq.mul %s, %s : tensor<2xf32>, tensor<2xf32> -> tensor<2xf32>
  %l = seq.reduce_sum %q [0] : tensor<2xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// mean over the batch divides by its size, read at run time.
// CHECK-LABEL: func.func @mean_grad
// CHECK: %[[N:.*]] = tensor.dim %0, %{{.*}} : tensor<?x3xf32>
// CHECK: arith.index_cast %[[N]]
// CHECK: seq.div
func.func @mean(%b: tensor<3xf32> {seq.param = "b"}, %x: tensor<?x3xf32> {seq.input = "x"}) -> tensor<f32> {
  %y = seq.mul %x, %b : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
  %l = seq.reduce_mean %y [0, 1] : tensor<?x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// max: the cotangent is shared by the elements equal to the maximum.
// CHECK-LABEL: func.func @max_grad
// CHECK: %[[M:.*]] = seq.reduce_max %arg0 [1]
// CHECK: %[[ME:.*]] = seq.expand_dims %[[M]] axis = 1
// CHECK: %[[MB:.*]] = seq.broadcast_like %[[ME]], %arg0
// CHECK: %[[MASK:.*]] = seq.equal %arg0, %[[MB]]
// CHECK: %[[TIES:.*]] = seq.reduce_sum %[[MASK]] [1]
// CHECK: %[[SHARE:.*]] = seq.div %[[MASK]], %{{.*}}
// CHECK: seq.mul %{{.*}}, %[[SHARE]]
func.func @max(%a: tensor<2x3xf32> {seq.param = "a"}) -> tensor<f32> {
  %m = seq.reduce_max %a [1] : tensor<2x3xf32> -> tensor<2xf32>
  %l = seq.reduce_sum %m [0] : tensor<2xf32> -> tensor<f32>
  return %l : tensor<f32>
}
