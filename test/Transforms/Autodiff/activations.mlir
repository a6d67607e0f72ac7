// RUN: seqc-opt %s --seqc-autodiff -split-input-file | FileCheck %s

// sigmoid' = y (1 - y), from the forward result.
// CHECK-LABEL: func.func @sigmoid_grad
// CHECK: %[[Y:.*]] = seq.sigmoid %arg0
// CHECK: %[[ONE_MINUS:.*]] = seq.sub %{{.*}}, %[[Y]]
// CHECK: %[[SLOPE:.*]] = seq.mul %[[Y]], %[[ONE_MINUS]]
// CHECK: seq.mul %{{.*}}, %[[SLOPE]]
func.func @sigmoid(%x: tensor<4xf32> {seq.param = "x"}) -> tensor<f32> {
  %y = seq.sigmoid %x : tensor<4xf32>
  %l = seq.reduce_sum %y [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// tanh' = 1 - y^2.
// CHECK-LABEL: func.func @tanh_grad
// CHECK: %[[Y:.*]] = seq.tanh %arg0
// CHECK: %[[SQ:.*]] = seq.mul %[[Y]], %[[Y]]
// CHECK: seq.sub %{{.*}}, %[[SQ]]
func.func @tanh(%x: tensor<4xf32> {seq.param = "x"}) -> tensor<f32> {
  %y = seq.tanh %x : tensor<4xf32>
  %l = seq.reduce_sum %y [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// relu' = step(x).
// CHECK-LABEL: func.func @relu_grad
// CHECK: %[[STEP:.*]] = seq.step %arg0
// CHECK: seq.mul %{{.*}}, %[[STEP]]
func.func @relu(%x: tensor<4xf32> {seq.param = "x"}) -> tensor<f32> {
  %y = seq.relu %x : tensor<4xf32>
  %l = seq.reduce_sum %y [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// leaky_relu' = alpha + (1 - alpha) step(x).
// CHECK-LABEL: func.func @leaky_relu_grad
// CHECK: seq.step %arg0
// CHECK-DAG: arith.constant dense<{{0.0099[0-9]*|1.000000e-02}}> : tensor<f32>
// CHECK-DAG: arith.constant dense<9.900000e-01> : tensor<f32>
func.func @leaky_relu(%x: tensor<4xf32> {seq.param = "x"}) -> tensor<f32> {
  %y = seq.leaky_relu %x alpha = 0.01 : tensor<4xf32>
  %l = seq.reduce_sum %y [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// elu' = 1 for x > 0, y + alpha otherwise.
// CHECK-LABEL: func.func @elu_grad
// CHECK: %[[Y:.*]] = seq.elu %arg0
// CHECK: %[[STEP:.*]] = seq.step %arg0
// CHECK: seq.add %[[Y]], %{{.*}}
func.func @elu(%x: tensor<4xf32> {seq.param = "x"}) -> tensor<f32> {
  %y = seq.elu %x alpha = 1.0 : tensor<4xf32>
  %l = seq.reduce_sum %y [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// exp' = y, log' = 1 / x, sqrt' = 1 / (2 y), abs' = sign(x).
// CHECK-LABEL: func.func @exp_log_sqrt_abs_grad
// CHECK: %[[E:.*]] = seq.exp %arg0
// CHECK: %[[L:.*]] = seq.log %[[E]]
// CHECK: %[[S:.*]] = seq.sqrt %[[L]]
// CHECK: %[[A:.*]] = seq.abs %[[S]]
// CHECK: seq.sign %[[S]]
// CHECK: seq.mul %{{.*}}, %[[S]]
// CHECK: seq.div %{{.*}}, %[[E]]
// CHECK: seq.mul %{{.*}}, %[[E]]
func.func @exp_log_sqrt_abs(%x: tensor<4xf32> {seq.param = "x"}) -> tensor<f32> {
  %e = seq.exp %x : tensor<4xf32>
  %l = seq.log %e : tensor<4xf32>
  %s = seq.sqrt %l : tensor<4xf32>
  %a = seq.abs %s : tensor<4xf32>
  %r = seq.reduce_sum %a [0] : tensor<4xf32> -> tensor<f32>
  return %r : tensor<f32>
}

// -----

// maxout: the pieces equal to the maximum share the cotangent.
// CHECK-LABEL: func.func @maxout_grad
// CHECK: %[[Y:.*]] = seq.maxout %arg0 k = 2
// CHECK: %[[P0:.*]] = seq.slice %arg0 axis = 0 start = 0 size = 3
// CHECK: %[[M0:.*]] = seq.equal %[[P0]], %[[Y]]
// CHECK: %[[P1:.*]] = seq.slice %arg0 axis = 0 start = 3 size = 3
// CHECK: %[[M1:.*]] = seq.equal %[[P1]], %[[Y]]
// CHECK: %[[TIES:.*]] = seq.add %[[M0]], %[[M1]]
// CHECK: %[[SHARE:.*]] = seq.div %{{.*}}, %[[TIES]]
// CHECK: seq.mul %[[SHARE]], %[[M0]]
// CHECK: seq.mul %[[SHARE]], %[[M1]]
// CHECK: seq.concat
func.func @maxout(%x: tensor<6xf32> {seq.param = "x"}) -> tensor<f32> {
  %y = seq.maxout %x k = 2 : tensor<6xf32> -> tensor<3xf32>
  %l = seq.reduce_sum %y [0] : tensor<3xf32> -> tensor<f32>
  return %l : tensor<f32>
}
