// RUN: seqc-opt %s --convert-seq-to-linalg --canonicalize --cse -split-input-file | FileCheck %s

// An Elman cell: the scan becomes one scf.for over the dynamic time axis,
// carrying the state and the stacked output; each step reads x[t] with a
// rank-reducing extract_slice and writes h[t] with an insert_slice. The body's
// seq ops are lowered inside the loop. The stacked output's batch size is
// derived before the loop from the operands (here from xs, through the
// matmul with U).
// CHECK-LABEL: func.func @elman
// CHECK-SAME: (%[[H0:.*]]: tensor<?x4xf32>, %[[XS:.*]]: tensor<?x?x3xf32>, %[[W:.*]]: tensor<4x4xf32>, %[[U:.*]]: tensor<4x3xf32>, %[[B:.*]]: tensor<4xf32>)
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[T:.*]] = tensor.dim %[[XS]], %[[C0]]
// CHECK-DAG: %[[N:.*]] = tensor.dim %[[XS]], %[[C1]]
// CHECK: %[[HS0:.*]] = tensor.empty(%[[T]], %[[N]]) : tensor<?x?x4xf32>
// CHECK: %[[R:.*]]:2 = scf.for %[[I:.*]] = %[[C0]] to %[[T]] step %[[C1]] iter_args(%[[H:.*]] = %[[H0]], %[[HS:.*]] = %[[HS0]]) -> (tensor<?x4xf32>, tensor<?x?x4xf32>) {
// CHECK:   %[[X:.*]] = tensor.extract_slice %[[XS]][%[[I]], 0, 0] [1, %[[N]], 3] [1, 1, 1] : tensor<?x?x3xf32> to tensor<?x3xf32>
// CHECK:   linalg.matmul_transpose_b ins(%[[H]], %[[W]] : tensor<?x4xf32>, tensor<4x4xf32>)
// CHECK:   linalg.matmul_transpose_b ins(%[[X]], %[[U]] : tensor<?x3xf32>, tensor<4x3xf32>)
// CHECK:     math.tanh
// CHECK:   %[[INS:.*]] = tensor.insert_slice %[[HN:.*]] into %[[HS]][%[[I]], 0, 0] [1, %[[N]], 4] [1, 1, 1] : tensor<?x4xf32> into tensor<?x?x4xf32>
// CHECK:   scf.yield %[[HN]], %[[INS]] : tensor<?x4xf32>, tensor<?x?x4xf32>
// CHECK: }
// CHECK: return %[[R]]#0, %[[R]]#1
// CHECK-NOT: seq.
func.func @elman(%h0: tensor<?x4xf32>, %xs: tensor<?x?x3xf32>, %W: tensor<4x4xf32>,
                 %U: tensor<4x3xf32>, %b: tensor<4xf32>)
    -> (tensor<?x4xf32>, tensor<?x?x4xf32>) {
  %r:2 = seq.scan inits(%h0 : tensor<?x4xf32>) over(%xs : tensor<?x?x3xf32>)
                  captures(%W, %U, %b : tensor<4x4xf32>, tensor<4x3xf32>, tensor<4xf32>)
      -> (tensor<?x4xf32>, tensor<?x?x4xf32>) {
  ^bb0(%h: tensor<?x4xf32>, %x: tensor<?x3xf32>, %w: tensor<4x4xf32>,
       %u: tensor<4x3xf32>, %bb: tensor<4xf32>):
    %a = seq.matmul %h, %w {transpose_rhs} : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    %c = seq.matmul %x, %u {transpose_rhs} : tensor<?x3xf32>, tensor<4x3xf32> -> tensor<?x4xf32>
    %s = seq.add %c, %a : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
    %z = seq.add %s, %bb : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
    %hn = seq.tanh %z : tensor<?x4xf32>
    seq.yield %hn : tensor<?x4xf32> outs(%hn : tensor<?x4xf32>)
  }
  return %r#0, %r#1 : tensor<?x4xf32>, tensor<?x?x4xf32>
}

// -----

// reverse: step i reads and writes index t = T - 1 - i.
// CHECK-LABEL: func.func @reverse
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[T:.*]] = tensor.dim %arg1, %{{.*}}
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %[[T]] step %[[C1]]
// CHECK:   %[[LAST:.*]] = arith.subi %[[T]], %[[C1]] : index
// CHECK:   %[[IDX:.*]] = arith.subi %[[LAST]], %[[I]] : index
// CHECK:   tensor.extract_slice %arg1[%[[IDX]], 0] [1, 4] [1, 1] : tensor<?x4xf64> to tensor<4xf64>
// CHECK:   tensor.insert_slice %{{.*}} into %{{.*}}[%[[IDX]], 0] [1, 4] [1, 1] : tensor<4xf64> into tensor<?x4xf64>
func.func @reverse(%s0: tensor<4xf64>, %xs: tensor<?x4xf64>) -> tensor<?x4xf64> {
  %r:2 = seq.scan reverse inits(%s0 : tensor<4xf64>) over(%xs : tensor<?x4xf64>)
      -> (tensor<4xf64>, tensor<?x4xf64>) {
  ^bb0(%s: tensor<4xf64>, %x: tensor<4xf64>):
    %n = seq.add %s, %x : tensor<4xf64>, tensor<4xf64> -> tensor<4xf64>
    seq.yield %n : tensor<4xf64> outs(%n : tensor<4xf64>)
  }
  return %r#1 : tensor<?x4xf64>
}

// -----

// Variable-length sequences: the mask is one more sequence [T, N, 1], and the
// body blends h = m * new + (1 - m) * old; it lowers like any other step.
// CHECK-LABEL: func.func @masked
// CHECK-SAME: (%[[H0:.*]]: tensor<?x4xf32>, %[[XS:.*]]: tensor<?x?x4xf32>, %[[MS:.*]]: tensor<?x?x1xf32>)
// CHECK: scf.for %[[I:.*]] = {{.*}} iter_args(%[[H:.*]] = %[[H0]])
// CHECK:   %[[X:.*]] = tensor.extract_slice %[[XS]][%[[I]], 0, 0]
// CHECK:   %[[M:.*]] = tensor.extract_slice %[[MS]][%[[I]], 0, 0] [1, %{{.*}}, 1] [1, 1, 1] : tensor<?x?x1xf32> to tensor<?x1xf32>
// CHECK:   math.tanh
// CHECK:   linalg.generic {{.*}} ins(%[[M]]
// CHECK:   scf.yield
// CHECK-NOT: seq.
func.func @masked(%h0: tensor<?x4xf32>, %xs: tensor<?x?x4xf32>, %ms: tensor<?x?x1xf32>)
    -> tensor<?x4xf32> {
  %r = seq.scan inits(%h0 : tensor<?x4xf32>) over(%xs, %ms : tensor<?x?x4xf32>, tensor<?x?x1xf32>)
      -> (tensor<?x4xf32>) {
  ^bb0(%h: tensor<?x4xf32>, %x: tensor<?x4xf32>, %m: tensor<?x1xf32>):
    %z = seq.add %h, %x : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
    %new = seq.tanh %z : tensor<?x4xf32>
    %one = arith.constant dense<1.0> : tensor<f32>
    %keep = seq.sub %one, %m : tensor<f32>, tensor<?x1xf32> -> tensor<?x1xf32>
    %a = seq.mul %m, %new : tensor<?x1xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
    %b = seq.mul %keep, %h : tensor<?x1xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
    %hn = seq.add %a, %b : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
    seq.yield %hn : tensor<?x4xf32>
  }
  return %r : tensor<?x4xf32>
}

// -----

// unroll = 3 over 8 steps: a loop of step 3 with three copies of the body
// for [0, 6), then the two steps left over in a loop of step 1.
// CHECK-LABEL: func.func @unrolled
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[C3:.*]] = arith.constant 3 : index
// CHECK-DAG: %[[C6:.*]] = arith.constant 6 : index
// CHECK-DAG: %[[C8:.*]] = arith.constant 8 : index
// CHECK: %[[MAIN:.*]]:2 = scf.for %[[I:.*]] = %[[C0]] to %[[C6]] step %[[C3]]
// CHECK:   tensor.extract_slice %{{.*}}[%[[I]], 0]
// CHECK:   arith.mulf
// CHECK:   %[[I1:.*]] = arith.addi %[[I]], %[[C1]] : index
// CHECK:   tensor.extract_slice %{{.*}}[%[[I1]], 0]
// CHECK:   arith.mulf
// CHECK:   %[[I2:.*]] = arith.addi %[[I]], %[[C2]] : index
// CHECK:   tensor.extract_slice %{{.*}}[%[[I2]], 0]
// CHECK:   arith.mulf
// CHECK-NOT: arith.mulf
// CHECK:   scf.yield
// CHECK: %[[REST:.*]]:2 = scf.for %[[J:.*]] = %[[C6]] to %[[C8]] step %[[C1]] iter_args(%{{.*}} = %[[MAIN]]#0, %{{.*}} = %[[MAIN]]#1)
// CHECK:   tensor.extract_slice %{{.*}}[%[[J]], 0]
// CHECK: return %[[REST]]#0, %[[REST]]#1
func.func @unrolled(%s0: tensor<4xf32>, %xs: tensor<8x4xf32>) -> (tensor<4xf32>, tensor<8x4xf32>) {
  %r:2 = seq.scan inits(%s0 : tensor<4xf32>) over(%xs : tensor<8x4xf32>)
      attributes {unroll = 3 : i64} -> (tensor<4xf32>, tensor<8x4xf32>) {
  ^bb0(%s: tensor<4xf32>, %x: tensor<4xf32>):
    %n = seq.mul %s, %x : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
    seq.yield %n : tensor<4xf32> outs(%n : tensor<4xf32>)
  }
  return %r#0, %r#1 : tensor<4xf32>, tensor<8x4xf32>
}

// -----

// A scan nested in a scan's body lowers to a loop nest; the inner stacked
// output's sizes are derived through the outer body's arguments.
// CHECK-LABEL: func.func @nested
// CHECK: scf.for
// CHECK:   scf.for
// CHECK:     tensor.insert_slice
// CHECK:   tensor.insert_slice
// CHECK-NOT: seq.
func.func @nested(%s0: tensor<?xf32>, %xss: tensor<?x?x?xf32>) -> tensor<?x?x?xf32> {
  %r:2 = seq.scan inits(%s0 : tensor<?xf32>) over(%xss : tensor<?x?x?xf32>)
      -> (tensor<?xf32>, tensor<?x?x?xf32>) {
  ^bb0(%s: tensor<?xf32>, %xs: tensor<?x?xf32>):
    %q:2 = seq.scan inits(%s : tensor<?xf32>) over(%xs : tensor<?x?xf32>)
        -> (tensor<?xf32>, tensor<?x?xf32>) {
    ^bb0(%u: tensor<?xf32>, %x: tensor<?xf32>):
      %n = seq.add %u, %x : tensor<?xf32>, tensor<?xf32> -> tensor<?xf32>
      seq.yield %n : tensor<?xf32> outs(%n : tensor<?xf32>)
    }
    seq.yield %q#0 : tensor<?xf32> outs(%q#1 : tensor<?x?xf32>)
  }
  return %r#1 : tensor<?x?x?xf32>
}
