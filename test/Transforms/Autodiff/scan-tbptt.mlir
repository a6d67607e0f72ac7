// RUN: seqc-opt %s --seqc-autodiff --canonicalize --cse -split-input-file | FileCheck %s

// Truncated BPTT, windows of 3 steps over a dynamic number of steps. The
// forward is plain BPTT's; the backward scan also reads a [T] sequence of
// factors, 0 at the steps t that start a window (t mod 3 = 0) and 1
// elsewhere, and multiplies the state cotangent it passes back to step t - 1
// by it. The output cotangents and the captures' sums are not cut.
// CHECK-LABEL: func.func @elman_grad
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.000000e+00 : f64
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f64
// CHECK-DAG: %[[C3:.*]] = arith.constant 3 : index
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[F:.*]]:3 = seq.scan inits(%{{.*}} : tensor<2x4xf64>) over(%[[XS:.*]] : tensor<?x2x4xf64>) captures(%{{.*}} : tensor<4x4xf64>) -> (tensor<2x4xf64>, tensor<?x2x4xf64>, tensor<?x2x4xf64>)
// CHECK-NOT: tbptt
// CHECK: %[[T:.*]] = tensor.dim %[[XS]], %[[C0]]
// CHECK-NEXT: %[[FACTORS:.*]] = tensor.generate %[[T]] {
// CHECK-NEXT: ^bb0(%[[I:.*]]: index):
// CHECK-NEXT: %[[R:.*]] = arith.remui %[[I]], %[[C3]] : index
// CHECK-NEXT: %[[START:.*]] = arith.cmpi eq, %[[R]], %[[C0]] : index
// CHECK-NEXT: %[[V:.*]] = arith.select %[[START]], %[[ZERO]], %[[ONE]] : f64
// CHECK-NEXT: tensor.yield %[[V]] : f64
// CHECK-NEXT: } : tensor<?xf64>
// CHECK: %[[B:.*]]:2 = seq.scan reverse inits(%{{.*}}, %{{.*}} : tensor<2x4xf64>, tensor<4x4xf64>) over(%[[F]]#2, %[[XS]], %{{.*}}, %[[FACTORS]] : tensor<?x2x4xf64>, tensor<?x2x4xf64>, tensor<?x2x4xf64>, tensor<?xf64>) captures(%{{.*}} : tensor<4x4xf64>) -> (tensor<2x4xf64>, tensor<4x4xf64>) {
// CHECK-NEXT: ^bb0(%[[DH:.*]]: tensor<2x4xf64>, %[[SW:.*]]: tensor<4x4xf64>, %[[HP:.*]]: tensor<2x4xf64>, %{{.*}}: tensor<2x4xf64>, %[[DY:.*]]: tensor<2x4xf64>, %[[FACTOR:.*]]: tensor<f64>, %[[WC:.*]]: tensor<4x4xf64>):
// CHECK: %[[G:.*]] = seq.add %[[DH]], %[[DY]]
// CHECK: %[[DZ:.*]] = seq.mul %[[G]], %{{.*}}
// CHECK: %[[DHP:.*]] = seq.matmul %[[DZ]], %[[WC]] :
// CHECK: %[[DWT:.*]] = seq.matmul %[[DZ]], %[[HP]] {transpose_lhs}
// CHECK: %[[CUT:.*]] = seq.mul %[[FACTOR]], %[[DHP]] : tensor<f64>, tensor<2x4xf64> -> tensor<2x4xf64>
// CHECK: %[[SW2:.*]] = seq.add %[[SW]], %[[DWT]]
// CHECK: seq.yield %[[CUT]], %[[SW2]] : tensor<2x4xf64>, tensor<4x4xf64>
// CHECK: return %{{.*}}, %[[B]]#1, %[[B]]#0
func.func @elman(%W: tensor<4x4xf64> {seq.param = "W"},
                 %h0: tensor<2x4xf64> {seq.param = "h0"},
                 %xs: tensor<?x2x4xf64> {seq.input = "xs"},
                 %w: tensor<?x2x4xf64> {seq.input = "w"}) -> tensor<f64> {
  %r:2 = seq.scan inits(%h0 : tensor<2x4xf64>) over(%xs : tensor<?x2x4xf64>)
                  captures(%W : tensor<4x4xf64>) attributes {tbptt = 3 : i64}
      -> (tensor<2x4xf64>, tensor<?x2x4xf64>) {
  ^bb0(%h: tensor<2x4xf64>, %x: tensor<2x4xf64>, %Wc: tensor<4x4xf64>):
    %a = seq.matmul %h, %Wc {transpose_rhs} : tensor<2x4xf64>, tensor<4x4xf64> -> tensor<2x4xf64>
    %s = seq.add %a, %x : tensor<2x4xf64>, tensor<2x4xf64> -> tensor<2x4xf64>
    %hn = seq.tanh %s : tensor<2x4xf64>
    seq.yield %hn : tensor<2x4xf64> outs(%hn : tensor<2x4xf64>)
  }
  %p = seq.mul %r#1, %w : tensor<?x2x4xf64>, tensor<?x2x4xf64> -> tensor<?x2x4xf64>
  %l = seq.reduce_sum %p [0, 1, 2] : tensor<?x2x4xf64> -> tensor<f64>
  return %l : tensor<f64>
}

// -----

// A reverse scan counts its windows in its own order, from t = T - 1 down:
// the factor of step t is 0 where (T - 1 - t) mod 3 = 0.
// CHECK-LABEL: func.func @reverse_grad
// CHECK: %[[T:.*]] = tensor.dim
// CHECK: tensor.generate %[[T]] {
// CHECK-NEXT: ^bb0(%[[I:.*]]: index):
// CHECK-NEXT: %[[LAST:.*]] = arith.subi %[[T]], %c1 : index
// CHECK-NEXT: %[[P:.*]] = arith.subi %[[LAST]], %[[I]] : index
// CHECK-NEXT: arith.remui %[[P]], %c3 : index
// CHECK: seq.scan inits
func.func @reverse(%h0: tensor<4xf64> {seq.param = "h0"},
                   %xs: tensor<?x4xf64> {seq.input = "xs"}) -> tensor<f64> {
  %r = seq.scan reverse inits(%h0 : tensor<4xf64>) over(%xs : tensor<?x4xf64>)
      attributes {tbptt = 3 : i64} -> (tensor<4xf64>) {
  ^bb0(%h: tensor<4xf64>, %x: tensor<4xf64>):
    %m = seq.mul %h, %x : tensor<4xf64>, tensor<4xf64> -> tensor<4xf64>
    seq.yield %m : tensor<4xf64>
  }
  %l = seq.reduce_sum %r [0] : tensor<4xf64> -> tensor<f64>
  return %l : tensor<f64>
}

// -----

// With a static number of steps the factors have a static type: T = 8,
// windows of 3, forward (t = 0, 3, 6 start windows) and reverse (t = 7, 4,
// 1: (7 - t) mod 3 = 0).
// CHECK-LABEL: func.func @static_grad
// CHECK-DAG: %[[C7:.*]] = arith.constant 7 : index
// CHECK: tensor.generate {
// CHECK-NEXT: ^bb0(%[[I:.*]]: index):
// CHECK-NEXT: %[[P:.*]] = arith.subi %[[C7]], %[[I]] : index
// CHECK-NEXT: arith.remui %[[P]], %c3 : index
// CHECK: } : tensor<8xf32>
// CHECK: seq.scan inits(%{{.*}} : tensor<4xf32>) over(%{{.*}}, %{{.*}}, %{{.*}} : tensor<8x4xf32>, tensor<8x4xf32>, tensor<8xf32>)
// CHECK: tensor.generate {
// CHECK-NEXT: ^bb0(%[[I:.*]]: index):
// CHECK-NEXT: arith.remui %[[I]], %c3 : index
// CHECK: } : tensor<8xf32>
// CHECK: seq.scan reverse inits(%{{.*}} : tensor<4xf32>) over(%{{.*}}, %{{.*}}, %{{.*}} : tensor<8x4xf32>, tensor<8x4xf32>, tensor<8xf32>)
func.func @static(%h0: tensor<4xf32> {seq.param = "h0"},
                  %xs: tensor<8x4xf32> {seq.input = "xs"}) -> tensor<f32> {
  %f = seq.scan inits(%h0 : tensor<4xf32>) over(%xs : tensor<8x4xf32>)
      attributes {tbptt = 3 : i64} -> (tensor<4xf32>) {
  ^bb0(%h: tensor<4xf32>, %x: tensor<4xf32>):
    %m = seq.mul %h, %x : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
    seq.yield %m : tensor<4xf32>
  }
  %b = seq.scan reverse inits(%h0 : tensor<4xf32>) over(%xs : tensor<8x4xf32>)
      attributes {tbptt = 3 : i64} -> (tensor<4xf32>) {
  ^bb0(%h: tensor<4xf32>, %x: tensor<4xf32>):
    %m = seq.mul %h, %x : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
    seq.yield %m : tensor<4xf32>
  }
  %s = seq.add %f, %b : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %l = seq.reduce_sum %s [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}
