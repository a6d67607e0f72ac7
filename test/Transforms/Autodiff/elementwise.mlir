// RUN: seqc-opt %s --seqc-autodiff -split-input-file | FileCheck %s

// A bias broadcast over the batch: its cotangent is summed over the batch.
// CHECK-LABEL: func.func @bias_grad
// CHECK: %[[DB:.*]] = seq.reduce_sum %{{.*}} [0] : tensor<?x3xf32> -> tensor<3xf32>
// CHECK: return %{{.*}}, %[[DB]]
func.func @bias(%b: tensor<3xf32> {seq.param = "b"}, %x: tensor<?x3xf32> {seq.input = "x"}) -> tensor<f32> {
  %y = seq.add %x, %b : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
  %l = seq.reduce_sum %y [0, 1] : tensor<?x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A size-1 axis stretched by broadcasting keeps its axis in the cotangent.
// CHECK-LABEL: func.func @unit_axis_grad
// CHECK: %[[S:.*]] = seq.reduce_sum %{{.*}} [1] : tensor<4x3xf32> -> tensor<4xf32>
// CHECK: %[[E:.*]] = seq.expand_dims %[[S]] axis = 1 : tensor<4xf32> -> tensor<4x1xf32>
// CHECK: return %{{.*}}, %[[E]]
func.func @unit_axis(%a: tensor<4x1xf32> {seq.param = "a"}, %b: tensor<4x3xf32>) -> tensor<f32> {
  %y = seq.mul %a, %b : tensor<4x1xf32>, tensor<4x3xf32> -> tensor<4x3xf32>
  %l = seq.reduce_sum %y [0, 1] : tensor<4x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// d(a * b) = (db * b, da * a); d(a / b) = (g / b, -(g * y) / b).
// CHECK-LABEL: func.func @mul_div_grad
// CHECK: %[[Y:.*]] = seq.div %arg0, %arg1
// CHECK: seq.div %[[G:.*]], %arg1
// CHECK: %[[GY:.*]] = seq.mul %[[G]], %[[Y]]
// CHECK: %[[Q:.*]] = seq.div %[[GY]], %arg1
// CHECK: seq.neg %[[Q]]
func.func @mul_div(%a: tensor<3xf32> {seq.param = "a"}, %b: tensor<3xf32> {seq.param = "b"}) -> tensor<f32> {
  %y = seq.div %a, %b : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  %l = seq.reduce_sum %y [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A value used twice gets the sum of both cotangents.
// CHECK-LABEL: func.func @fanout_grad
// CHECK-COUNT-2: seq.mul %{{.*}}, %arg0
// CHECK: %[[SUM:.*]] = seq.add
// CHECK: return %{{.*}}, %[[SUM]]
func.func @fanout(%a: tensor<3xf32> {seq.param = "a"}) -> tensor<f32> {
  %y = seq.mul %a, %a : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  %l = seq.reduce_sum %y [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A parameter the loss does not read gets a zero gradient.
// CHECK-LABEL: func.func @unused_grad
// CHECK: %[[Z:.*]] = seq.broadcast_like %{{.*}}, %arg1 : tensor<f32>, tensor<2xf32> -> tensor<2xf32>
// CHECK: return %{{.*}}, %{{.*}}, %[[Z]]
func.func @unused(%a: tensor<3xf32> {seq.param = "a"}, %b: tensor<2xf32> {seq.param = "b"}) -> tensor<f32> {
  %l = seq.reduce_sum %a [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}
