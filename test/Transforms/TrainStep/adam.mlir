// RUN: seqc-opt %s --seqc-autodiff --seqc-train-step="optimizer=adam clip-norm=5" | FileCheck %s
// RUN: seqc-opt %s --seqc-autodiff --seqc-train-step="optimizer=sgd momentum=0.9" | FileCheck %s --check-prefix=MOMENTUM
// RUN: seqc-opt %s --seqc-autodiff --seqc-train-step="optimizer=sgd" | FileCheck %s --check-prefix=SGD
// RUN: seqc-opt %s --seqc-autodiff --seqc-train-step="optimizer=adam clip-norm=5" --symbol-dce --canonicalize --cse --seqc-lower-to-linalg | FileCheck %s --check-prefix=LOWERED
// RUN: not seqc-opt %s --seqc-autodiff --seqc-train-step="optimizer=rmsprop" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not seqc-opt %s --seqc-train-step 2>&1 | FileCheck %s --check-prefix=NOGRAD

// Adam: parameters, then m and v per parameter, the inputs, lr and step; it
// returns the loss, the new parameters and the new state in that order, each
// marked with the argument it replaces. The update is guarded by the loss
// being finite; else the old values are returned.
// CHECK-LABEL: func.func @train_step
// CHECK-SAME: %[[W:.*]]: tensor<3x4xf32> {seq.param = "W"}
// CHECK-SAME: %[[M:.*]]: tensor<3x4xf32> {seq.state = "adam.m.W"}
// CHECK-SAME: %[[V:.*]]: tensor<3x4xf32> {seq.state = "adam.v.W"}
// CHECK-SAME: %[[X:.*]]: tensor<?x4xf32> {seq.input = "x"}
// CHECK-SAME: %[[LR:.*]]: tensor<f32> {seq.hyper = "lr"}
// CHECK-SAME: %[[T:.*]]: tensor<f32> {seq.hyper = "step"}
// CHECK-SAME: -> (tensor<f32>, tensor<3x4xf32> {seq.updates = 0 : i64}, tensor<3x4xf32> {seq.updates = 1 : i64}, tensor<3x4xf32> {seq.updates = 2 : i64})
// The gradient, computed inline:
// CHECK: %[[G:.*]] = seq.matmul %{{.*}}, %[[X]] {transpose_lhs}
// Global-norm clipping: scale = clip / (clip + relu(norm - clip)).
// CHECK: %[[SQ:.*]] = seq.mul %[[G]], %[[G]]
// CHECK: %[[NORM:.*]] = seq.sqrt
// CHECK: seq.relu
// CHECK: %[[SCALE:.*]] = seq.div
// CHECK: %[[L:.*]] = tensor.extract
// CHECK: %[[ZERO:.*]] = arith.subf %[[L]], %[[L]]
// CHECK: %[[FINITE:.*]] = arith.cmpf oeq, %[[ZERO]]
// CHECK: %[[NEW:.*]]:3 = scf.if %[[FINITE]]
// Bias corrections 1 - beta^t, then one update op per parameter.
// CHECK: seq.exp
// CHECK: %[[P1:.*]], %[[M1:.*]], %[[V1:.*]] = seq.adam_update %[[W]], %[[G]], %[[M]], %[[V]] lr %[[LR]] bias(%{{.*}}, %{{.*}}) scale %[[SCALE]] {beta1 = 9.000000e-01 : f64, beta2 = 0.99899999999999999 : f64, epsilon = 1.000000e-08 : f64}
// CHECK: scf.yield %[[P1]], %[[M1]], %[[V1]]
// CHECK: } else {
// CHECK: scf.yield %[[W]], %[[M]], %[[V]]
// CHECK: return %{{.*}}, %[[NEW]]#0, %[[NEW]]#1, %[[NEW]]#2

// The update lowers to one loop per parameter, writing it and its moments.
// LOWERED-LABEL: func.func @train_step
// LOWERED: linalg.generic {{.*}} ins(%arg0, %{{.*}}, %arg1, %arg2, %arg4
// LOWERED-SAME: outs(%{{.*}}, %{{.*}}, %{{.*}} : tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>)
// LOWERED: math.sqrt
// LOWERED: linalg.yield

// MOMENTUM-LABEL: func.func @train_step
// MOMENTUM-SAME: {seq.state = "sgd.velocity.W"}
// MOMENTUM: %[[VEL:.*]] = seq.add
// MOMENTUM: %[[STEP:.*]] = seq.mul %{{.*}}, %[[VEL]]
// MOMENTUM: %[[NEW:.*]] = seq.sub %arg0, %[[STEP]]
// MOMENTUM: scf.yield %[[NEW]], %[[VEL]]

// SGD-LABEL: func.func @train_step
// SGD-NOT: seq.state
// SGD: -> (tensor<f32>, tensor<3x4xf32> {seq.updates = 0 : i64})

// BAD: unknown optimizer 'rmsprop', expected sgd or adam
// NOGRAD: no function @loss_grad (run seqc-autodiff first)
func.func @loss(%w: tensor<3x4xf32> {seq.param = "W"}, %x: tensor<?x4xf32> {seq.input = "x"}) -> tensor<f32> {
  %y = seq.matmul %x, %w {transpose_rhs} : tensor<?x4xf32>, tensor<3x4xf32> -> tensor<?x3xf32>
  %t = seq.tanh %y : tensor<?x3xf32>
  %l = seq.reduce_mean %t [0, 1] : tensor<?x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}
