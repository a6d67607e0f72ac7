// RUN: seqc-opt %s -canonicalize -split-input-file | FileCheck %s

// A transposed operand folds into the matmul's transpose flag.
// CHECK-LABEL: func.func @transpose_into_matmul_rhs
// CHECK-SAME:    (%[[X:.*]]: tensor<?x4xf32>, %[[W:.*]]: tensor<16x4xf32>)
// CHECK-NOT:     seq.transpose
// CHECK:         %[[Y:.*]] = seq.matmul %[[X]], %[[W]] {transpose_rhs} : tensor<?x4xf32>, tensor<16x4xf32> -> tensor<?x16xf32>
// CHECK:         return %[[Y]]
func.func @transpose_into_matmul_rhs(%x: tensor<?x4xf32>, %w: tensor<16x4xf32>) -> tensor<?x16xf32> {
  %wt = seq.transpose %w [1, 0] : tensor<16x4xf32> -> tensor<4x16xf32>
  %y = seq.matmul %x, %wt : tensor<?x4xf32>, tensor<4x16xf32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// CHECK-LABEL: func.func @transpose_into_matmul_lhs
// CHECK-SAME:    (%[[A:.*]]: tensor<4x?xf32>, %[[B:.*]]: tensor<4x16xf32>)
// CHECK-NOT:     seq.transpose
// CHECK:         seq.matmul %[[A]], %[[B]] {transpose_lhs} : tensor<4x?xf32>, tensor<4x16xf32> -> tensor<?x16xf32>
func.func @transpose_into_matmul_lhs(%a: tensor<4x?xf32>, %b: tensor<4x16xf32>) -> tensor<?x16xf32> {
  %at = seq.transpose %a [1, 0] : tensor<4x?xf32> -> tensor<?x4xf32>
  %y = seq.matmul %at, %b : tensor<?x4xf32>, tensor<4x16xf32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// Folding a transpose into an already transposed operand clears the flag.
// CHECK-LABEL: func.func @transpose_cancels_flag
// CHECK-SAME:    (%[[X:.*]]: tensor<?x4xf32>, %[[W:.*]]: tensor<4x16xf32>)
// CHECK:         seq.matmul %[[X]], %[[W]] : tensor<?x4xf32>, tensor<4x16xf32> -> tensor<?x16xf32>
func.func @transpose_cancels_flag(%x: tensor<?x4xf32>, %w: tensor<4x16xf32>) -> tensor<?x16xf32> {
  %wt = seq.transpose %w [1, 0] : tensor<4x16xf32> -> tensor<16x4xf32>
  %y = seq.matmul %x, %wt {transpose_rhs} : tensor<?x4xf32>, tensor<16x4xf32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// A batched (rank-3) transpose is not a matrix transpose of the operand.
// CHECK-LABEL: func.func @batched_transpose_stays
// CHECK:         seq.transpose
// CHECK:         seq.matmul
func.func @batched_transpose_stays(%a: tensor<?x4x3xf32>, %b: tensor<4x5xf32>) -> tensor<3x?x5xf32> {
  %at = seq.transpose %a [2, 0, 1] : tensor<?x4x3xf32> -> tensor<3x?x4xf32>
  %y = seq.matmul %at, %b : tensor<3x?x4xf32>, tensor<4x5xf32> -> tensor<3x?x5xf32>
  return %y : tensor<3x?x5xf32>
}

// -----

// CHECK-LABEL: func.func @identity_transpose
// CHECK-SAME:    (%[[X:.*]]: tensor<?x4xf32>)
// CHECK-NEXT:    return %[[X]]
func.func @identity_transpose(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = seq.transpose %x [0, 1] : tensor<?x4xf32> -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// CHECK-LABEL: func.func @transpose_of_transpose
// CHECK-SAME:    (%[[X:.*]]: tensor<?x4x5xf32>)
// CHECK-NEXT:    return %[[X]]
func.func @transpose_of_transpose(%x: tensor<?x4x5xf32>) -> tensor<?x4x5xf32> {
  %0 = seq.transpose %x [2, 0, 1] : tensor<?x4x5xf32> -> tensor<5x?x4xf32>
  %1 = seq.transpose %0 [1, 2, 0] : tensor<5x?x4xf32> -> tensor<?x4x5xf32>
  return %1 : tensor<?x4x5xf32>
}

// -----

// Two transposes that do not compose to the identity stay.
// CHECK-LABEL: func.func @transpose_of_transpose_not_inverse
// CHECK-COUNT-2: seq.transpose
func.func @transpose_of_transpose_not_inverse(%x: tensor<3x4x5xf32>) -> tensor<4x5x3xf32> {
  %0 = seq.transpose %x [2, 0, 1] : tensor<3x4x5xf32> -> tensor<5x3x4xf32>
  %1 = seq.transpose %0 [2, 0, 1] : tensor<5x3x4xf32> -> tensor<4x5x3xf32>
  return %1 : tensor<4x5x3xf32>
}

// -----

// CHECK-LABEL: func.func @squeeze_of_expand_dims
// CHECK-SAME:    (%[[X:.*]]: tensor<?x4xf32>)
// CHECK-NEXT:    return %[[X]]
func.func @squeeze_of_expand_dims(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = seq.expand_dims %x axis = 1 : tensor<?x4xf32> -> tensor<?x1x4xf32>
  %1 = seq.squeeze %0 axis = 1 : tensor<?x1x4xf32> -> tensor<?x4xf32>
  return %1 : tensor<?x4xf32>
}

// -----

// Squeezing another unit axis than the one inserted is not an identity.
// CHECK-LABEL: func.func @squeeze_of_expand_dims_other_axis
// CHECK:         seq.expand_dims
// CHECK:         seq.squeeze
func.func @squeeze_of_expand_dims_other_axis(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %0 = seq.expand_dims %x axis = 1 : tensor<1x4xf32> -> tensor<1x1x4xf32>
  %1 = seq.squeeze %0 axis = 0 : tensor<1x1x4xf32> -> tensor<1x4xf32>
  return %1 : tensor<1x4xf32>
}

// -----

// CHECK-LABEL: func.func @full_slice
// CHECK-SAME:    (%[[X:.*]]: tensor<?x4xf32>)
// CHECK-NEXT:    return %[[X]]
func.func @full_slice(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = seq.slice %x axis = 1 start = 0 size = 4 : tensor<?x4xf32> -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// CHECK-LABEL: func.func @partial_slice
// CHECK:         seq.slice
func.func @partial_slice(%x: tensor<?x4xf32>) -> tensor<?x3xf32> {
  %0 = seq.slice %x axis = 1 start = 0 size = 3 : tensor<?x4xf32> -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// CHECK-LABEL: func.func @single_concat
// CHECK-SAME:    (%[[X:.*]]: tensor<?x4xf32>)
// CHECK-NEXT:    return %[[X]]
func.func @single_concat(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = seq.concat %x axis = 1 : tensor<?x4xf32> -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}
