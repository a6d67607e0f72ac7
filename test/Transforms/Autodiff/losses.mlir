// RUN: seqc-opt %s --seqc-autodiff -split-input-file | FileCheck %s
// RUN: seqc-opt %s --seqc-autodiff --canonicalize --cse -split-input-file | FileCheck %s --check-prefix=CLEAN

// Softmax cross-entropy with class indices, in the stable form the frontend
// emits: -mean(sum(one_hot(y) * log_softmax(z))). The cotangent of the logits
// is softmax(z) - one_hot(y), scaled by 1/N: exp(log_softmax) times the row
// sum, subtracted from the incoming cotangent.
// CHECK-LABEL: func.func @softmax_ce_grad
// CHECK: %[[LP:.*]] = seq.log_softmax %[[Z:.*]] axis = 1
// CHECK: %[[OH:.*]] = seq.one_hot %arg2 depth = 3
// CHECK: tensor.dim
// CHECK: %[[P:.*]] = seq.exp %[[LP]]
// CHECK: seq.mul %[[P]],
// CHECK: seq.matmul %{{.*}}, %arg1 {transpose_lhs}
// CLEAN-LABEL: func.func @softmax_ce_grad
// CLEAN-NOT: seq.matmul %{{.*}}, %arg0 :
// CLEAN: return
func.func @softmax_ce(%w: tensor<3x4xf32> {seq.param = "W"}, %x: tensor<?x4xf32> {seq.input = "x"}, %y: tensor<?xi64> {seq.input = "y"}) -> tensor<f32> {
  %z = seq.matmul %x, %w {transpose_rhs} : tensor<?x4xf32>, tensor<3x4xf32> -> tensor<?x3xf32>
  %lp = seq.log_softmax %z axis = 1 : tensor<?x3xf32>
  %oh = seq.one_hot %y depth = 3 : tensor<?xi64> -> tensor<?x3xf32>
  %t = seq.mul %oh, %lp : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
  %s = seq.reduce_sum %t [1] : tensor<?x3xf32> -> tensor<?xf32>
  %n = seq.neg %s : tensor<?xf32>
  %l = seq.reduce_mean %n [0] : tensor<?xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Softmax on its own: dx = y * (dy - sum(dy * y)) (checked after cleanup,
// which removes the unused cotangent of the other factor).
// CLEAN-LABEL: func.func @softmax_grad
// CLEAN: %[[Y:.*]] = seq.softmax %arg0 axis = 1
// CLEAN: %[[DY_Y:.*]] = seq.mul %[[DY:.*]], %[[Y]]
// CLEAN: %[[DOT:.*]] = seq.reduce_sum %[[DY_Y]] [1]
// CLEAN: %[[KEEP:.*]] = seq.expand_dims %[[DOT]] axis = 1
// CLEAN: %[[DIFF:.*]] = seq.sub %[[DY]], %[[KEEP]]
// CLEAN: seq.mul %[[Y]], %[[DIFF]]
func.func @softmax(%z: tensor<2x3xf32> {seq.param = "z"}, %w: tensor<2x3xf32>) -> tensor<f32> {
  %y = seq.softmax %z axis = 1 : tensor<2x3xf32>
  %t = seq.mul %y, %w : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
  %l = seq.reduce_sum %t [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Binary cross-entropy from logits in the stable form
// relu(z) - z * t + log(1 + exp(-|z|)): each piece has its own rule.
// CHECK-LABEL: func.func @bce_logits_grad
// CHECK: seq.sign
// CHECK: seq.step
// CHECK: return
func.func @bce_logits(%z: tensor<4xf32> {seq.param = "z"}, %t: tensor<4xf32>) -> tensor<f32> {
  %one = arith.constant dense<1.0> : tensor<f32>
  %r = seq.relu %z : tensor<4xf32>
  %zt = seq.mul %z, %t : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %a = seq.abs %z : tensor<4xf32>
  %na = seq.neg %a : tensor<4xf32>
  %e = seq.exp %na : tensor<4xf32>
  %e1 = seq.add %one, %e : tensor<f32>, tensor<4xf32> -> tensor<4xf32>
  %lg = seq.log %e1 : tensor<4xf32>
  %d = seq.sub %r, %zt : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %b = seq.add %d, %lg : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %l = seq.reduce_mean %b [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}
