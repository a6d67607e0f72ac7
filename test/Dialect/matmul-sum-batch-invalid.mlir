// RUN: seqc-opt %s -split-input-file -verify-diagnostics

func.func @sum_batch_rank2(%a: tensor<?x4xf32>, %b: tensor<3x?x5xf32>) {
  // expected-error @below {{with sum_batch expects two operands of rank 3, got [?, 4] and [3, ?, 5]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.matmul %a, %b {sum_batch, transpose_lhs} : tensor<?x4xf32>, tensor<3x?x5xf32> -> tensor<4x5xf32>
  return
}

// -----

func.func @sum_batch_keeps_batch(%a: tensor<3x2x4xf32>, %b: tensor<3x2x5xf32>) {
  // expected-error @below {{inferred type(s) 'tensor<4x5xf32>' are incompatible with return type(s) of operation 'tensor<3x4x5xf32>'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.matmul %a, %b {sum_batch, transpose_lhs} : tensor<3x2x4xf32>, tensor<3x2x5xf32> -> tensor<3x4x5xf32>
  return
}

// -----

func.func @sum_batch_batches_differ(%a: tensor<3x2x4xf32>, %b: tensor<2x2x5xf32>) {
  // expected-error @below {{batch sizes differ: 3 and 2}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.matmul %a, %b {sum_batch, transpose_lhs} : tensor<3x2x4xf32>, tensor<2x2x5xf32> -> tensor<4x5xf32>
  return
}
