// RUN: seqc-opt %s --seqc-hoist-scan-matmuls -split-input-file | FileCheck %s
// RUN: seqc-opt %s --seqc-hoist-scan-matmuls=merge=false -split-input-file | FileCheck %s --check-prefix=NOMERGE

// Two gates of a cell: h Wa^T and h Wb^T share h, and Wa, Wb are captures
// of one type. They become one product h [Wa; Wb]^T (the concatenation is a
// new capture, made once before the loop) and two slices of it. The input
// projections x Ua^T and x Ub^T merge the same way and then leave the loop
// as one GEMM over all steps.
// CHECK-LABEL: func.func @two_gates
// CHECK-SAME: (%[[WA:[^:]*]]: tensor<4x4xf32>, %[[WB:[^:]*]]: tensor<4x4xf32>, %[[UA:[^:]*]]: tensor<4x3xf32>, %[[UB:[^:]*]]: tensor<4x3xf32>
// CHECK-DAG:  %[[WCAT:.*]] = seq.concat %[[WA]], %[[WB]] axis = 0 : tensor<4x4xf32>, tensor<4x4xf32> -> tensor<8x4xf32>
// CHECK-DAG:  %[[UCAT:.*]] = seq.concat %[[UA]], %[[UB]] axis = 0 : tensor<4x3xf32>, tensor<4x3xf32> -> tensor<8x3xf32>
// CHECK:      %[[XU:.*]] = seq.matmul %{{.*}}, %[[UCAT]] {transpose_rhs} : tensor<?x?x3xf32>, tensor<8x3xf32> -> tensor<?x?x8xf32>
// CHECK:      seq.scan
// CHECK-SAME:   over(%{{.*}}, %[[XU]] :
// CHECK-SAME:   captures(%[[WA]], %[[WB]], %[[UA]], %[[UB]], %[[WCAT]], %[[UCAT]] :
// CHECK:      ^bb0(%[[H:[^:]*]]: tensor<?x4xf32>, %{{[^:]*}}: tensor<?x3xf32>, %[[P:[^:]*]]: tensor<?x8xf32>, {{.*}}, %[[WC:[^:]*]]: tensor<8x4xf32>, %{{[^:]*}}: tensor<8x3xf32>):
// CHECK:        %[[G:.*]] = seq.matmul %[[H]], %[[WC]] {transpose_rhs} : tensor<?x4xf32>, tensor<8x4xf32> -> tensor<?x8xf32>
// CHECK-DAG:    seq.slice %[[G]] axis = 1 start = 0 size = 4 : tensor<?x8xf32> -> tensor<?x4xf32>
// CHECK-DAG:    seq.slice %[[G]] axis = 1 start = 4 size = 4 : tensor<?x8xf32> -> tensor<?x4xf32>
// CHECK-DAG:    seq.slice %[[P]] axis = 1 start = 0 size = 4 : tensor<?x8xf32> -> tensor<?x4xf32>
// CHECK-DAG:    seq.slice %[[P]] axis = 1 start = 4 size = 4 : tensor<?x8xf32> -> tensor<?x4xf32>
// CHECK-NOT:    seq.matmul
// CHECK:        seq.yield
//
// NOMERGE-LABEL: func.func @two_gates
// NOMERGE-NOT:   seq.concat
// NOMERGE:       seq.scan
// NOMERGE-COUNT-2: seq.matmul %{{.*}} {transpose_rhs} : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
func.func @two_gates(%Wa: tensor<4x4xf32>, %Wb: tensor<4x4xf32>, %Ua: tensor<4x3xf32>, %Ub: tensor<4x3xf32>,
                     %h0: tensor<?x4xf32>, %xs: tensor<?x?x3xf32>)
    -> (tensor<?x4xf32>, tensor<?x?x4xf32>) {
  %r:2 = seq.scan inits(%h0 : tensor<?x4xf32>) over(%xs : tensor<?x?x3xf32>)
                  captures(%Wa, %Wb, %Ua, %Ub : tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x3xf32>, tensor<4x3xf32>)
      -> (tensor<?x4xf32>, tensor<?x?x4xf32>) {
  ^bb0(%h: tensor<?x4xf32>, %x: tensor<?x3xf32>, %wa: tensor<4x4xf32>, %wb: tensor<4x4xf32>, %ua: tensor<4x3xf32>, %ub: tensor<4x3xf32>):
    %a = seq.matmul %h, %wa {transpose_rhs} : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    %b = seq.matmul %h, %wb {transpose_rhs} : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    %c = seq.matmul %x, %ua {transpose_rhs} : tensor<?x3xf32>, tensor<4x3xf32> -> tensor<?x4xf32>
    %d = seq.matmul %x, %ub {transpose_rhs} : tensor<?x3xf32>, tensor<4x3xf32> -> tensor<?x4xf32>
    %ac = seq.add %a, %c : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
    %bd = seq.add %b, %d : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
    %s = seq.sigmoid %ac : tensor<?x4xf32>
    %t = seq.tanh %bd : tensor<?x4xf32>
    %hn = seq.mul %s, %t : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
    seq.yield %hn : tensor<?x4xf32> outs(%hn : tensor<?x4xf32>)
  }
  return %r#0, %r#1 : tensor<?x4xf32>, tensor<?x?x4xf32>
}

// -----

// One product per capture: a capture used twice with the same lhs, or a
// lhs shared by captures of different types, is not merged.
// CHECK-LABEL: func.func @nothing_to_merge
// CHECK-NOT:   seq.concat
// CHECK:       seq.scan
// CHECK-COUNT-2: seq.matmul
func.func @nothing_to_merge(%W: tensor<4x4xf32>, %V: tensor<5x4xf32>, %h0: tensor<?x4xf32>, %xs: tensor<?x?x3xf32>)
    -> (tensor<?x4xf32>, tensor<?x?x5xf32>) {
  %r:2 = seq.scan inits(%h0 : tensor<?x4xf32>) over(%xs : tensor<?x?x3xf32>)
                  captures(%W, %V : tensor<4x4xf32>, tensor<5x4xf32>)
      -> (tensor<?x4xf32>, tensor<?x?x5xf32>) {
  ^bb0(%h: tensor<?x4xf32>, %x: tensor<?x3xf32>, %w: tensor<4x4xf32>, %v: tensor<5x4xf32>):
    %a = seq.matmul %h, %w {transpose_rhs} : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    %o = seq.matmul %h, %v {transpose_rhs} : tensor<?x4xf32>, tensor<5x4xf32> -> tensor<?x5xf32>
    %hn = seq.tanh %a : tensor<?x4xf32>
    seq.yield %hn : tensor<?x4xf32> outs(%o : tensor<?x5xf32>)
  }
  return %r#0, %r#1 : tensor<?x4xf32>, tensor<?x?x5xf32>
}

// -----

// BPTT's dh = dh_next + sum_i g_i W_i: the products with captures of one
// type become concat(g_i) @ concat(W_i), one product with K = 2H; the
// other term is added to it.
// CHECK-LABEL: func.func @summed_products
// CHECK-SAME: (%[[WA:[^:]*]]: tensor<4x3xf32>, %[[WB:[^:]*]]: tensor<4x3xf32>
// CHECK:      %[[WCAT:.*]] = seq.concat %[[WA]], %[[WB]] axis = 0 : tensor<4x3xf32>, tensor<4x3xf32> -> tensor<8x3xf32>
// CHECK:      seq.scan
// CHECK:      ^bb0(%[[D:[^:]*]]: tensor<?x3xf32>, %[[G:[^:]*]]: tensor<?x4xf32>, {{.*}}, %[[WC:[^:]*]]: tensor<8x3xf32>):
// CHECK:        %[[GS:.*]] = seq.concat %{{.*}}, %{{.*}} axis = 1 : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x8xf32>
// CHECK:        %[[P:.*]] = seq.matmul %[[GS]], %[[WC]] : tensor<?x8xf32>, tensor<8x3xf32> -> tensor<?x3xf32>
// CHECK:        %[[S:.*]] = seq.add %[[P]], %[[D]]
// CHECK-NOT:    seq.matmul
// CHECK:        seq.yield %[[S]]
func.func @summed_products(%Wa: tensor<4x3xf32>, %Wb: tensor<4x3xf32>, %d0: tensor<?x3xf32>, %gs: tensor<?x?x4xf32>)
    -> tensor<?x3xf32> {
  %r = seq.scan reverse inits(%d0 : tensor<?x3xf32>) over(%gs : tensor<?x?x4xf32>)
                captures(%Wa, %Wb : tensor<4x3xf32>, tensor<4x3xf32>)
      -> (tensor<?x3xf32>) {
  ^bb0(%d: tensor<?x3xf32>, %g: tensor<?x4xf32>, %wa: tensor<4x3xf32>, %wb: tensor<4x3xf32>):
    %ga = seq.tanh %g : tensor<?x4xf32>
    %gb = seq.sigmoid %g : tensor<?x4xf32>
    %a = seq.matmul %ga, %wa : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
    %b = seq.matmul %gb, %wb : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
    %s1 = seq.add %d, %a : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
    %s2 = seq.add %s1, %b : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
    seq.yield %s2 : tensor<?x3xf32>
  }
  return %r : tensor<?x3xf32>
}

// -----

// BPTT's dx: a per-step output that is only a product of a body value with
// a capture is computed after the loop, one GEMM over all T*N rows; the
// scan outputs the body value instead.
// CHECK-LABEL: func.func @output_product
// CHECK-SAME: (%[[U:[^:]*]]: tensor<4x3xf32>
// CHECK:      %[[R:.*]]:2 = seq.scan
// CHECK-SAME:   -> (tensor<?x4xf32>, tensor<?x?x4xf32>)
// CHECK-NOT:    seq.matmul
// CHECK:        seq.yield
// CHECK:      %[[DX:.*]] = seq.matmul %[[R]]#1, %[[U]] : tensor<?x?x4xf32>, tensor<4x3xf32> -> tensor<?x?x3xf32>
// CHECK:      return %[[R]]#0, %[[DX]]
func.func @output_product(%U: tensor<4x3xf32>, %d0: tensor<?x4xf32>, %gs: tensor<?x?x4xf32>)
    -> (tensor<?x4xf32>, tensor<?x?x3xf32>) {
  %r:2 = seq.scan reverse inits(%d0 : tensor<?x4xf32>) over(%gs : tensor<?x?x4xf32>)
                  captures(%U : tensor<4x3xf32>)
      -> (tensor<?x4xf32>, tensor<?x?x3xf32>) {
  ^bb0(%d: tensor<?x4xf32>, %g: tensor<?x4xf32>, %u: tensor<4x3xf32>):
    %s = seq.add %g, %d : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
    %t = seq.tanh %s : tensor<?x4xf32>
    %dx = seq.matmul %t, %u : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
    seq.yield %t : tensor<?x4xf32> outs(%dx : tensor<?x3xf32>)
  }
  return %r#0, %r#1 : tensor<?x4xf32>, tensor<?x?x3xf32>
}

// -----

// The gate gradients after the loop merge only where every part of the
// concatenated output is read alike: the two bias reductions over steps and
// batch become one of [ga gb] and slices, while a reduction of ga over the
// steps alone is another reader and stays as it is.
// CHECK-LABEL: func.func @gate_gradients
// CHECK:         %[[R:.*]]:4 = seq.scan
// CHECK:         %[[DB:.*]] = seq.reduce_sum %[[R]]#1 [0, 1] : tensor<?x?x8xf32> -> tensor<8xf32>
// CHECK-DAG:     seq.slice %[[DB]] axis = 0 start = 0 size = 4 : tensor<8xf32> -> tensor<4xf32>
// CHECK-DAG:     seq.slice %[[DB]] axis = 0 start = 4 size = 4 : tensor<8xf32> -> tensor<4xf32>
// CHECK:         seq.reduce_sum %[[R]]#2 [0] : tensor<?x?x4xf32> -> tensor<?x4xf32>
func.func @gate_gradients(%h0: tensor<?x4xf32>, %xs: tensor<?x?x4xf32>)
    -> (tensor<4xf32>, tensor<4xf32>, tensor<?x4xf32>) {
  %r:4 = seq.scan inits(%h0 : tensor<?x4xf32>) over(%xs : tensor<?x?x4xf32>)
      -> (tensor<?x4xf32>, tensor<?x?x8xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>) {
  ^bb0(%h: tensor<?x4xf32>, %x: tensor<?x4xf32>):
    %a = seq.tanh %x : tensor<?x4xf32>
    %b = seq.mul %x, %h : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
    %ab = seq.concat %a, %b axis = 1 : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x8xf32>
    seq.yield %b : tensor<?x4xf32> outs(%ab, %a, %b : tensor<?x8xf32>, tensor<?x4xf32>, tensor<?x4xf32>)
  }
  %da = seq.reduce_sum %r#2 [0, 1] : tensor<?x?x4xf32> -> tensor<4xf32>
  %db = seq.reduce_sum %r#3 [0, 1] : tensor<?x?x4xf32> -> tensor<4xf32>
  %steps = seq.reduce_sum %r#2 [0] : tensor<?x?x4xf32> -> tensor<?x4xf32>
  return %da, %db, %steps : tensor<4xf32>, tensor<4xf32>, tensor<?x4xf32>
}
