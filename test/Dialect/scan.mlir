// RUN: seqc-opt %s | seqc-opt | FileCheck %s
// RUN: seqc-opt %s --mlir-print-op-generic | seqc-opt | FileCheck %s

// An LSTM-shaped scan: two states, one sequence, two captures, one stacked
// output.
// CHECK-LABEL: func.func @two_states
// CHECK: %[[R:.*]]:3 = seq.scan inits(%arg0, %arg1 : tensor<?x16xf32>, tensor<?x16xf32>) over(%arg2 : tensor<?x?x8xf32>) captures(%arg3, %arg4 : tensor<16x16xf32>, tensor<16x8xf32>) -> (tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x?x16xf32>) {
// CHECK-NEXT: ^bb0(%[[H:.*]]: tensor<?x16xf32>, %[[C:.*]]: tensor<?x16xf32>, %[[X:.*]]: tensor<?x8xf32>, %[[W:.*]]: tensor<16x16xf32>, %[[U:.*]]: tensor<16x8xf32>):
// CHECK: seq.yield %{{.*}}, %{{.*}} : tensor<?x16xf32>, tensor<?x16xf32> outs(%{{.*}} : tensor<?x16xf32>)
// CHECK: return %[[R]]#0, %[[R]]#2
func.func @two_states(%h0: tensor<?x16xf32>, %c0: tensor<?x16xf32>,
                      %xs: tensor<?x?x8xf32>, %W: tensor<16x16xf32>,
                      %U: tensor<16x8xf32>)
    -> (tensor<?x16xf32>, tensor<?x?x16xf32>) {
  %r:3 = seq.scan inits(%h0, %c0 : tensor<?x16xf32>, tensor<?x16xf32>)
                  over(%xs : tensor<?x?x8xf32>)
                  captures(%W, %U : tensor<16x16xf32>, tensor<16x8xf32>)
      -> (tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x?x16xf32>) {
  ^bb0(%h: tensor<?x16xf32>, %c: tensor<?x16xf32>, %x: tensor<?x8xf32>,
       %w: tensor<16x16xf32>, %u: tensor<16x8xf32>):
    %a = seq.matmul %h, %w {transpose_rhs} : tensor<?x16xf32>, tensor<16x16xf32> -> tensor<?x16xf32>
    %b = seq.matmul %x, %u {transpose_rhs} : tensor<?x8xf32>, tensor<16x8xf32> -> tensor<?x16xf32>
    %s = seq.add %a, %b : tensor<?x16xf32>, tensor<?x16xf32> -> tensor<?x16xf32>
    %cn = seq.add %c, %s : tensor<?x16xf32>, tensor<?x16xf32> -> tensor<?x16xf32>
    %hn = seq.tanh %cn : tensor<?x16xf32>
    seq.yield %hn, %cn : tensor<?x16xf32>, tensor<?x16xf32> outs(%hn : tensor<?x16xf32>)
  }
  return %r#0, %r#2 : tensor<?x16xf32>, tensor<?x?x16xf32>
}

// A running sum backwards in time, no captures, a static time axis, and the
// unroll option.
// CHECK-LABEL: func.func @reverse_sum
// CHECK: seq.scan reverse inits(%arg0 : tensor<4xf64>) over(%arg1 : tensor<7x4xf64>) attributes {unroll = 2 : i64} -> (tensor<4xf64>, tensor<7x4xf64>)
// CHECK: seq.yield %{{.*}} : tensor<4xf64> outs(%{{.*}} : tensor<4xf64>)
func.func @reverse_sum(%s0: tensor<4xf64>, %xs: tensor<7x4xf64>)
    -> (tensor<4xf64>, tensor<7x4xf64>) {
  %r:2 = seq.scan reverse inits(%s0 : tensor<4xf64>) over(%xs : tensor<7x4xf64>)
      attributes {unroll = 2 : i64} -> (tensor<4xf64>, tensor<7x4xf64>) {
  ^bb0(%s: tensor<4xf64>, %x: tensor<4xf64>):
    %n = seq.add %s, %x : tensor<4xf64>, tensor<4xf64> -> tensor<4xf64>
    seq.yield %n : tensor<4xf64> outs(%n : tensor<4xf64>)
  }
  return %r#0, %r#1 : tensor<4xf64>, tensor<7x4xf64>
}

// A map over time: no state, two sequences (one of integer indices).
// CHECK-LABEL: func.func @map
// CHECK: seq.scan over(%arg0, %arg1 : tensor<?x?xi64>, tensor<?x?x3xf32>) captures(%arg2 : tensor<10x3xf32>) -> (tensor<?x?x3xf32>)
// CHECK: seq.yield outs(%{{.*}} : tensor<?x3xf32>)
func.func @map(%ids: tensor<?x?xi64>, %xs: tensor<?x?x3xf32>,
               %E: tensor<10x3xf32>) -> tensor<?x?x3xf32> {
  %r = seq.scan over(%ids, %xs : tensor<?x?xi64>, tensor<?x?x3xf32>)
                captures(%E : tensor<10x3xf32>) -> (tensor<?x?x3xf32>) {
  ^bb0(%i: tensor<?xi64>, %x: tensor<?x3xf32>, %e: tensor<10x3xf32>):
    %g = seq.gather %e[%i] : tensor<10x3xf32>, tensor<?xi64> -> tensor<?x3xf32>
    %y = seq.add %g, %x : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<?x3xf32>
    seq.yield outs(%y : tensor<?x3xf32>)
  }
  return %r : tensor<?x?x3xf32>
}
