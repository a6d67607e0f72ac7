// RUN: seqc-opt %s --seqc-autodiff --canonicalize --seqc-hoist-scan-matmuls --canonicalize --cse | FileCheck %s --check-prefix=DEFAULT
// RUN: seqc-opt %s --seqc-autodiff --canonicalize --seqc-hoist-scan-matmuls=saved-states=true --canonicalize --cse | FileCheck %s

// The pass on what seqc-autodiff builds for an Elman cell (BPTT).
//
// By default the backward scan recomputes the step's elementwise math from
// the saved states in the loop (hoisting it would allocate a temporary per
// value), but not its product: the forward scan outputs h[t-1] W^T, which
// the backward reads as a sequence. The weight and bias gradients leave the
// loop.
// DEFAULT-LABEL: func.func @elman_grad
// DEFAULT: %[[F:.*]]:4 = seq.scan inits
// DEFAULT: %[[HW:.*]] = seq.matmul %{{.*}}, %{{.*}} {transpose_rhs}
// DEFAULT: seq.yield %{{.*}} outs(%{{.*}}, %{{.*}}, %[[HW]] :
// DEFAULT: %[[R:.*]]:2 = seq.scan reverse inits(%{{.*}} : tensor<?x4xf32>) over(%[[F]]#2, %{{.*}}, %{{.*}}, %[[F]]#3 : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>)
// DEFAULT-NOT: transpose_rhs
// DEFAULT-NOT: transpose_lhs
// DEFAULT: seq.yield
// DEFAULT: seq.matmul %[[R]]#1, %[[F]]#2 {sum_batch, transpose_lhs}
// DEFAULT: seq.reduce_sum %[[R]]#1 [0, 1]
//
// With saved-states=true the backward scan's recomputation the forward step from the saved states h[t-1]:
// all of it depends on no carried state, so it runs before the loop over
// the whole sequence (hs W^T as one GEMM, the bias add, tanh and the slope
// 1 - y^2), and the loop reads the slope as a sequence. The weight and bias
// gradients, running sums in the loop before, are one GEMM contracting over
// T*N and one reduction after it. What is left per step: dz = (dh + dy) *
// slope and dh[t-1] = dz W.
// CHECK-LABEL: func.func @elman_grad
// CHECK-SAME: (%[[W:[^:]*]]: tensor<4x4xf32> {seq.param = "W"}, %[[B:[^:]*]]: tensor<4xf32> {seq.param = "b"}, %[[H0:[^:]*]]: tensor<?x4xf32> {seq.input = "h0"}, %[[XS:[^:]*]]: tensor<?x?x4xf32> {seq.input = "xs"}, %{{[^:]*}}: tensor<?x?x4xf32> {seq.input = "w"})
// CHECK: %[[F:.*]]:3 = seq.scan inits(%[[H0]] : tensor<?x4xf32>) over(%[[XS]] : tensor<?x?x4xf32>)
// CHECK: %[[HW:.*]] = seq.matmul %[[F]]#2, %[[W]] {transpose_rhs} : tensor<?x?x4xf32>, tensor<4x4xf32> -> tensor<?x?x4xf32>
// CHECK-NEXT: %[[S:.*]] = seq.add %[[HW]], %[[XS]]
// CHECK-NEXT: %[[Z:.*]] = seq.add %[[S]], %[[B]]
// CHECK-NEXT: %[[Y:.*]] = seq.tanh %[[Z]] : tensor<?x?x4xf32>
// CHECK-NEXT: %[[YY:.*]] = seq.mul %[[Y]], %[[Y]]
// CHECK-NEXT: %[[SLOPE:.*]] = seq.sub %{{.*}}, %[[YY]] : tensor<f32>, tensor<?x?x4xf32> -> tensor<?x?x4xf32>
// CHECK-NEXT: %[[R:.*]]:2 = seq.scan reverse inits(%{{.*}} : tensor<?x4xf32>) over(%[[F]]#2, %[[XS]], %[[DYS:.*]], %[[SLOPE]] : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>) captures(%[[W]], %[[B]] : tensor<4x4xf32>, tensor<4xf32>) -> (tensor<?x4xf32>, tensor<?x?x4xf32>) {
// CHECK-NEXT: ^bb0(%[[DH:[^:]*]]: tensor<?x4xf32>, %{{[^:]*}}: tensor<?x4xf32>, %{{[^:]*}}: tensor<?x4xf32>, %[[DY:[^:]*]]: tensor<?x4xf32>, %[[SL:[^:]*]]: tensor<?x4xf32>, %[[WC:[^:]*]]: tensor<4x4xf32>, %{{[^:]*}}: tensor<4xf32>):
// CHECK-NEXT: %[[G:.*]] = seq.add %[[DH]], %[[DY]]
// CHECK-NEXT: %[[DZ:.*]] = seq.mul %[[G]], %[[SL]]
// CHECK-NEXT: %[[DHP:.*]] = seq.matmul %[[DZ]], %[[WC]] : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
// CHECK-NEXT: seq.yield %[[DHP]] : tensor<?x4xf32> outs(%[[DZ]] : tensor<?x4xf32>)
// CHECK-NEXT: }
// CHECK-NEXT: %[[DW:.*]] = seq.matmul %[[R]]#1, %[[F]]#2 {sum_batch, transpose_lhs} : tensor<?x?x4xf32>, tensor<?x?x4xf32> -> tensor<4x4xf32>
// CHECK-NEXT: %[[DB:.*]] = seq.reduce_sum %[[R]]#1 [0, 1] : tensor<?x?x4xf32> -> tensor<4xf32>
// CHECK-NEXT: return %{{.*}}, %[[DW]], %[[DB]]
func.func @elman(%W: tensor<4x4xf32> {seq.param = "W"}, %b: tensor<4xf32> {seq.param = "b"},
                 %h0: tensor<?x4xf32> {seq.input = "h0"}, %xs: tensor<?x?x4xf32> {seq.input = "xs"},
                 %w: tensor<?x?x4xf32> {seq.input = "w"}) -> tensor<f32> {
  %r:2 = seq.scan inits(%h0 : tensor<?x4xf32>) over(%xs : tensor<?x?x4xf32>)
                  captures(%W, %b : tensor<4x4xf32>, tensor<4xf32>)
      -> (tensor<?x4xf32>, tensor<?x?x4xf32>) {
  ^bb0(%h: tensor<?x4xf32>, %x: tensor<?x4xf32>, %Wc: tensor<4x4xf32>, %bc: tensor<4xf32>):
    %a = seq.matmul %h, %Wc {transpose_rhs} : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    %s = seq.add %a, %x : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
    %z = seq.add %s, %bc : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
    %hn = seq.tanh %z : tensor<?x4xf32>
    seq.yield %hn : tensor<?x4xf32> outs(%hn : tensor<?x4xf32>)
  }
  %p = seq.mul %r#1, %w : tensor<?x?x4xf32>, tensor<?x?x4xf32> -> tensor<?x?x4xf32>
  %l = seq.reduce_sum %p [0, 1, 2] : tensor<?x?x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}
