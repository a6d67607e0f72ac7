// RUN: seqc-opt %s --seqc-hoist-scan-matmuls -split-input-file | FileCheck %s
// RUN: seqc-opt %s --seqc-hoist-scan-matmuls=elementwise=false -split-input-file | FileCheck %s --check-prefix=NOEW
// RUN: seqc-opt %s --seqc-hoist-scan-matmuls=sink=false -split-input-file | FileCheck %s --check-prefix=NOSINK

// An Elman step: the input projection x U^T and the bias add depend on no
// state, so they run before the loop over all T*N rows and come in as a new
// sequence; h W^T stays in the loop.
// CHECK-LABEL: func.func @elman_forward
// CHECK-SAME: (%[[W:.*]]: tensor<4x4xf32>, %[[U:.*]]: tensor<4x3xf32>, %[[B:.*]]: tensor<4xf32>, %[[H0:.*]]: tensor<?x4xf32>, %[[XS:.*]]: tensor<?x?x3xf32>)
// CHECK: %[[XU:.*]] = seq.matmul %[[XS]], %[[U]] {transpose_rhs} : tensor<?x?x3xf32>, tensor<4x3xf32> -> tensor<?x?x4xf32>
// CHECK: %[[XUB:.*]] = seq.add %[[XU]], %[[B]] : tensor<?x?x4xf32>, tensor<4xf32> -> tensor<?x?x4xf32>
// CHECK: %[[R:.*]]:2 = seq.scan inits(%[[H0]] : tensor<?x4xf32>) over(%[[XS]], %[[XUB]] : tensor<?x?x3xf32>, tensor<?x?x4xf32>) captures(%[[W]], %[[U]], %[[B]] : tensor<4x4xf32>, tensor<4x3xf32>, tensor<4xf32>)
// CHECK-NEXT: ^bb0(%[[H:.*]]: tensor<?x4xf32>, %{{.*}}: tensor<?x3xf32>, %[[P:.*]]: tensor<?x4xf32>, %[[WC:.*]]: tensor<4x4xf32>, %{{.*}}: tensor<4x3xf32>, %{{.*}}: tensor<4xf32>):
// CHECK-NEXT: %[[A:.*]] = seq.matmul %[[H]], %[[WC]] {transpose_rhs}
// CHECK-NEXT: %[[Z:.*]] = seq.add %[[A]], %[[P]]
// CHECK-NEXT: %[[HN:.*]] = seq.tanh %[[Z]]
// CHECK-NEXT: seq.yield %[[HN]] : tensor<?x4xf32> outs(%[[HN]] : tensor<?x4xf32>)
// CHECK: return %[[R]]#0, %[[R]]#1
//
// Without elementwise hoisting only the matmul leaves the loop.
// NOEW-LABEL: func.func @elman_forward
// NOEW: %[[XU:.*]] = seq.matmul %{{.*}}, %{{.*}} {transpose_rhs} : tensor<?x?x3xf32>, tensor<4x3xf32> -> tensor<?x?x4xf32>
// NOEW-NOT: seq.add
// NOEW: seq.scan
// NOEW: seq.matmul
// NOEW-NEXT: seq.add
// NOEW-NOT: seq.matmul
// NOEW: seq.yield
func.func @elman_forward(%W: tensor<4x4xf32>, %U: tensor<4x3xf32>, %b: tensor<4xf32>,
                         %h0: tensor<?x4xf32>, %xs: tensor<?x?x3xf32>)
    -> (tensor<?x4xf32>, tensor<?x?x4xf32>) {
  %r:2 = seq.scan inits(%h0 : tensor<?x4xf32>) over(%xs : tensor<?x?x3xf32>)
                  captures(%W, %U, %b : tensor<4x4xf32>, tensor<4x3xf32>, tensor<4xf32>)
      -> (tensor<?x4xf32>, tensor<?x?x4xf32>) {
  ^bb0(%h: tensor<?x4xf32>, %x: tensor<?x3xf32>, %Wc: tensor<4x4xf32>, %Uc: tensor<4x3xf32>, %bc: tensor<4xf32>):
    %u = seq.matmul %x, %Uc {transpose_rhs} : tensor<?x3xf32>, tensor<4x3xf32> -> tensor<?x4xf32>
    %ub = seq.add %u, %bc : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
    %a = seq.matmul %h, %Wc {transpose_rhs} : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    %z = seq.add %a, %ub : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
    %hn = seq.tanh %z : tensor<?x4xf32>
    seq.yield %hn : tensor<?x4xf32> outs(%hn : tensor<?x4xf32>)
  }
  return %r#0, %r#1 : tensor<?x4xf32>, tensor<?x?x4xf32>
}

// -----

// A padding mask blended in the body (h = h + m (h_step - h)) reads the state:
// it stays in the loop, and so does 1 - m, which feeds no matmul. The
// projection of x * m (state-independent) is hoisted with its product.
// CHECK-LABEL: func.func @masked
// CHECK: %[[XM:.*]] = seq.mul %[[XS:.*]], %[[MS:.*]] : tensor<5x2x3xf32>, tensor<5x2x1xf32> -> tensor<5x2x3xf32>
// CHECK: %[[XU:.*]] = seq.matmul %[[XM]], %{{.*}} {transpose_rhs} : tensor<5x2x3xf32>, tensor<4x3xf32> -> tensor<5x2x4xf32>
// CHECK: seq.scan inits(%{{.*}}) over(%[[XS]], %[[MS]], %[[XU]] : tensor<5x2x3xf32>, tensor<5x2x1xf32>, tensor<5x2x4xf32>)
// CHECK: ^bb0(%[[H:[^:]*]]: tensor<2x4xf32>, %{{[^:]*}}: tensor<2x3xf32>, %[[M:[^:]*]]: tensor<2x1xf32>, %[[P:[^:]*]]: tensor<2x4xf32>,
// CHECK-NOT: seq.matmul %{{.*}}, %{{.*}} {transpose_rhs} : tensor<2x3xf32>
// CHECK: %[[A:.*]] = seq.matmul %[[H]]
// CHECK: seq.add %[[A]], %[[P]]
// CHECK: seq.sub %[[HN:.*]], %[[H]]
// CHECK: seq.mul %[[M]]
// CHECK: seq.yield
func.func @masked(%W: tensor<4x4xf32>, %U: tensor<4x3xf32>, %h0: tensor<2x4xf32>,
                  %xs: tensor<5x2x3xf32>, %ms: tensor<5x2x1xf32>) -> tensor<2x4xf32> {
  %r = seq.scan inits(%h0 : tensor<2x4xf32>) over(%xs, %ms : tensor<5x2x3xf32>, tensor<5x2x1xf32>)
                captures(%W, %U : tensor<4x4xf32>, tensor<4x3xf32>) -> (tensor<2x4xf32>) {
  ^bb0(%h: tensor<2x4xf32>, %x: tensor<2x3xf32>, %m: tensor<2x1xf32>, %Wc: tensor<4x4xf32>, %Uc: tensor<4x3xf32>):
    %xm = seq.mul %x, %m : tensor<2x3xf32>, tensor<2x1xf32> -> tensor<2x3xf32>
    %u = seq.matmul %xm, %Uc {transpose_rhs} : tensor<2x3xf32>, tensor<4x3xf32> -> tensor<2x4xf32>
    %a = seq.matmul %h, %Wc {transpose_rhs} : tensor<2x4xf32>, tensor<4x4xf32> -> tensor<2x4xf32>
    %z = seq.add %a, %u : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
    %hs = seq.tanh %z : tensor<2x4xf32>
    %d = seq.sub %hs, %h : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
    %md = seq.mul %m, %d : tensor<2x1xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
    %hn = seq.add %h, %md : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
    seq.yield %hn : tensor<2x4xf32>
  }
  return %r : tensor<2x4xf32>
}

// -----

// The BPTT shape: a reverse scan whose states are dh and the running sums of
// dW, dU and db (from zeros). dW += g^T h_prev reads a slice, dU += g^T x too,
// db += sum(g): all three leave the loop. g becomes a stacked output; h_prev
// and x are sequences already. After the loop: one GEMM with K = T*N per
// weight, one reduction for the bias. dh = g W stays.
// CHECK-LABEL: func.func @bptt
// CHECK-SAME: (%[[W:[^:]*]]: tensor<4x4xf32>, %[[U:[^:]*]]: tensor<4x3xf32>, %[[DH:[^:]*]]: tensor<?x4xf32>, %[[HP:[^:]*]]: tensor<?x?x4xf32>, %[[XS:[^:]*]]: tensor<?x?x3xf32>, %[[DY:[^:]*]]: tensor<?x?x4xf32>)
// CHECK: %[[R:.*]]:2 = seq.scan reverse inits(%[[DH]] : tensor<?x4xf32>) over(%[[HP]], %[[XS]], %[[DY]] : tensor<?x?x4xf32>, tensor<?x?x3xf32>, tensor<?x?x4xf32>) captures(%[[W]], %[[U]] : tensor<4x4xf32>, tensor<4x3xf32>) -> (tensor<?x4xf32>, tensor<?x?x4xf32>) {
// CHECK-NEXT: ^bb0(%[[D:[^:]*]]: tensor<?x4xf32>, %{{[^:]*}}: tensor<?x4xf32>, %{{[^:]*}}: tensor<?x3xf32>, %[[DYT:[^:]*]]: tensor<?x4xf32>, %[[WC:[^:]*]]: tensor<4x4xf32>, %{{[^:]*}}: tensor<4x3xf32>):
// CHECK-NEXT: %[[G:.*]] = seq.add %[[D]], %[[DYT]]
// CHECK-NEXT: %[[DHP:.*]] = seq.matmul %[[G]], %[[WC]] : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
// CHECK-NEXT: seq.yield %[[DHP]] : tensor<?x4xf32> outs(%[[G]] : tensor<?x4xf32>)
// CHECK: %[[DW:.*]] = seq.matmul %[[R]]#1, %[[HP]] {sum_batch, transpose_lhs} : tensor<?x?x4xf32>, tensor<?x?x4xf32> -> tensor<4x4xf32>
// CHECK: %[[DU:.*]] = seq.matmul %[[R]]#1, %[[XS]] {sum_batch, transpose_lhs} : tensor<?x?x4xf32>, tensor<?x?x3xf32> -> tensor<4x3xf32>
// CHECK: %[[DB:.*]] = seq.reduce_sum %[[R]]#1 [0, 1] : tensor<?x?x4xf32> -> tensor<4xf32>
// CHECK: return %[[R]]#0, %[[DW]], %[[DU]], %[[DB]]
//
// NOSINK-LABEL: func.func @bptt
// NOSINK: seq.scan reverse inits(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<4x4xf32>, tensor<4x3xf32>, tensor<4xf32>)
// NOSINK-NOT: sum_batch
func.func @bptt(%W: tensor<4x4xf32>, %U: tensor<4x3xf32>, %dh: tensor<?x4xf32>,
                %hp: tensor<?x?x4xf32>, %xs: tensor<?x?x3xf32>, %dys: tensor<?x?x4xf32>)
    -> (tensor<?x4xf32>, tensor<4x4xf32>, tensor<4x3xf32>, tensor<4xf32>) {
  %zero = arith.constant dense<0.0> : tensor<f32>
  %dW0 = seq.broadcast_like %zero, %W : tensor<f32>, tensor<4x4xf32> -> tensor<4x4xf32>
  %dU0 = seq.broadcast_like %zero, %U : tensor<f32>, tensor<4x3xf32> -> tensor<4x3xf32>
  %db0 = arith.constant dense<0.0> : tensor<4xf32>
  %r:4 = seq.scan reverse inits(%dh, %dW0, %dU0, %db0 : tensor<?x4xf32>, tensor<4x4xf32>, tensor<4x3xf32>, tensor<4xf32>)
                  over(%hp, %xs, %dys : tensor<?x?x4xf32>, tensor<?x?x3xf32>, tensor<?x?x4xf32>)
                  captures(%W, %U : tensor<4x4xf32>, tensor<4x3xf32>)
      -> (tensor<?x4xf32>, tensor<4x4xf32>, tensor<4x3xf32>, tensor<4xf32>) {
  ^bb0(%d: tensor<?x4xf32>, %sW: tensor<4x4xf32>, %sU: tensor<4x3xf32>, %sb: tensor<4xf32>,
       %h: tensor<?x4xf32>, %x: tensor<?x3xf32>, %dy: tensor<?x4xf32>, %Wc: tensor<4x4xf32>, %Uc: tensor<4x3xf32>):
    %g = seq.add %d, %dy : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
    %dhp = seq.matmul %g, %Wc : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    %gw = seq.matmul %g, %h {transpose_lhs} : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<4x4xf32>
    %gu = seq.matmul %g, %x {transpose_lhs} : tensor<?x4xf32>, tensor<?x3xf32> -> tensor<4x3xf32>
    %gb = seq.reduce_sum %g [0] : tensor<?x4xf32> -> tensor<4xf32>
    %sW2 = seq.add %sW, %gw : tensor<4x4xf32>, tensor<4x4xf32> -> tensor<4x4xf32>
    %sU2 = seq.add %gu, %sU : tensor<4x3xf32>, tensor<4x3xf32> -> tensor<4x3xf32>
    %sb2 = seq.add %sb, %gb : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
    seq.yield %dhp, %sW2, %sU2, %sb2 : tensor<?x4xf32>, tensor<4x4xf32>, tensor<4x3xf32>, tensor<4xf32>
  }
  return %r#0, %r#1, %r#2, %r#3 : tensor<?x4xf32>, tensor<4x4xf32>, tensor<4x3xf32>, tensor<4xf32>
}

// -----

// A sum of two g^T x terms and one that is no product (a sigmoid of one):
// the products leave the loop, the running sum keeps the other term, and
// the GEMMs are added to its final value (which started from the init).
// CHECK-LABEL: func.func @partial
// CHECK-SAME: (%[[A0:[^:]*]]: tensor<4x3xf32>, %{{[^:]*}}: tensor<2x4xf32>, %[[XS:[^:]*]]: tensor<6x2x3xf32>, %[[YS:[^:]*]]: tensor<6x2x3xf32>)
// CHECK: %[[R:.*]]:3 = seq.scan inits(%[[A0]], %{{.*}} : tensor<4x3xf32>, tensor<2x4xf32>) over(%[[XS]], %[[YS]] : tensor<6x2x3xf32>, tensor<6x2x3xf32>) -> (tensor<4x3xf32>, tensor<2x4xf32>, tensor<6x2x4xf32>) {
// CHECK-NEXT: ^bb0(%[[ACC:[^:]*]]: tensor<4x3xf32>, %[[S:[^:]*]]: tensor<2x4xf32>, %[[X:[^:]*]]: tensor<2x3xf32>, %{{[^:]*}}: tensor<2x3xf32>):
// CHECK-NEXT: %[[G:.*]] = seq.tanh %[[S]]
// CHECK-NEXT: %[[SX:.*]] = seq.matmul %[[S]], %[[X]] {transpose_lhs}
// CHECK-NEXT: %[[O:.*]] = seq.sigmoid %[[SX]]
// CHECK-NEXT: %[[NEXT:.*]] = seq.add %[[ACC]], %[[O]]
// CHECK: seq.yield %[[NEXT]], %[[G]] : tensor<4x3xf32>, tensor<2x4xf32> outs(%[[G]] : tensor<2x4xf32>)
// CHECK: %[[T1:.*]] = seq.matmul %[[R]]#2, %[[XS]] {sum_batch, transpose_lhs} : tensor<6x2x4xf32>, tensor<6x2x3xf32> -> tensor<4x3xf32>
// CHECK: %[[S1:.*]] = seq.add %[[R]]#0, %[[T1]]
// CHECK: %[[T2:.*]] = seq.matmul %[[R]]#2, %[[YS]] {sum_batch, transpose_lhs} : tensor<6x2x4xf32>, tensor<6x2x3xf32> -> tensor<4x3xf32>
// CHECK: %[[S2:.*]] = seq.add %[[S1]], %[[T2]]
// CHECK: return %[[S2]]
func.func @partial(%a0: tensor<4x3xf32>, %s0: tensor<2x4xf32>, %xs: tensor<6x2x3xf32>, %ys: tensor<6x2x3xf32>)
    -> tensor<4x3xf32> {
  %r:2 = seq.scan inits(%a0, %s0 : tensor<4x3xf32>, tensor<2x4xf32>) over(%xs, %ys : tensor<6x2x3xf32>, tensor<6x2x3xf32>)
      -> (tensor<4x3xf32>, tensor<2x4xf32>) {
  ^bb0(%acc: tensor<4x3xf32>, %s: tensor<2x4xf32>, %x: tensor<2x3xf32>, %y: tensor<2x3xf32>):
    %g = seq.tanh %s : tensor<2x4xf32>
    %t1 = seq.matmul %g, %x {transpose_lhs} : tensor<2x4xf32>, tensor<2x3xf32> -> tensor<4x3xf32>
    %t2 = seq.matmul %g, %y {transpose_lhs} : tensor<2x4xf32>, tensor<2x3xf32> -> tensor<4x3xf32>
    %sx = seq.matmul %s, %x {transpose_lhs} : tensor<2x4xf32>, tensor<2x3xf32> -> tensor<4x3xf32>
    %o = seq.sigmoid %sx : tensor<4x3xf32>
    %c1 = seq.add %t1, %o : tensor<4x3xf32>, tensor<4x3xf32> -> tensor<4x3xf32>
    %c = seq.add %c1, %t2 : tensor<4x3xf32>, tensor<4x3xf32> -> tensor<4x3xf32>
    %next = seq.add %acc, %c : tensor<4x3xf32>, tensor<4x3xf32> -> tensor<4x3xf32>
    seq.yield %next, %g : tensor<4x3xf32>, tensor<2x4xf32>
  }
  return %r#0 : tensor<4x3xf32>
}

// -----

// What the pass cannot prove safe it leaves alone: an accumulator whose
// running value is also read in the body, and a scan with an attribute it
// does not know (a discardable one of another dialect: the seq dialect
// rejects unknown seq.* attributes).
// CHECK-LABEL: func.func @untouched
// CHECK: seq.scan inits(%{{.*}}, %{{.*}} : tensor<4x3xf32>, tensor<2x4xf32>)
// CHECK: seq.matmul %{{.*}}, %{{.*}} {transpose_lhs}
// CHECK: seq.scan inits(%{{.*}} : tensor<2x4xf32>) over(%{{.*}} : tensor<6x2x3xf32>) captures
// CHECK: seq.matmul %{{.*}}, %{{.*}} {transpose_rhs} : tensor<2x3xf32>
// CHECK-NOT: sum_batch
func.func @untouched(%a0: tensor<4x3xf32>, %s0: tensor<2x4xf32>, %xs: tensor<6x2x3xf32>,
                     %U: tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<2x4xf32>) {
  %r:2 = seq.scan inits(%a0, %s0 : tensor<4x3xf32>, tensor<2x4xf32>) over(%xs : tensor<6x2x3xf32>)
      captures(%U : tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<2x4xf32>) {
  ^bb0(%acc: tensor<4x3xf32>, %s: tensor<2x4xf32>, %x: tensor<2x3xf32>, %U1: tensor<4x3xf32>):
    %t = seq.matmul %s, %x {transpose_lhs} : tensor<2x4xf32>, tensor<2x3xf32> -> tensor<4x3xf32>
    %next = seq.add %acc, %t : tensor<4x3xf32>, tensor<4x3xf32> -> tensor<4x3xf32>
    %q = seq.slice %acc axis = 0 start = 0 size = 2 : tensor<4x3xf32> -> tensor<2x3xf32>
    %sq = seq.matmul %q, %U1 {transpose_rhs} : tensor<2x3xf32>, tensor<4x3xf32> -> tensor<2x4xf32>
    %sn = seq.add %s, %sq : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
    seq.yield %next, %sn : tensor<4x3xf32>, tensor<2x4xf32>
  }
  %h = seq.scan inits(%s0 : tensor<2x4xf32>) over(%xs : tensor<6x2x3xf32>)
      captures(%U : tensor<4x3xf32>) attributes {user.experimental} -> (tensor<2x4xf32>) {
  ^bb0(%hh: tensor<2x4xf32>, %x: tensor<2x3xf32>, %Uc: tensor<4x3xf32>):
    %u = seq.matmul %x, %Uc {transpose_rhs} : tensor<2x3xf32>, tensor<4x3xf32> -> tensor<2x4xf32>
    %hn = seq.add %hh, %u : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
    seq.yield %hn : tensor<2x4xf32>
  }
  return %r#0, %h : tensor<4x3xf32>, tensor<2x4xf32>
}
