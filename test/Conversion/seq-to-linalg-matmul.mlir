// RUN: seqc-opt %s --convert-seq-to-linalg -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @matmul
// CHECK-SAME:    (%[[X:.*]]: tensor<?x4xf32>, %[[W:.*]]: tensor<4x16xf32>)
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[M:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x4xf32>
// CHECK:         %[[E:.*]] = tensor.empty(%[[M]]) : tensor<?x16xf32>
// CHECK:         %[[ACC:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E]] : tensor<?x16xf32>) -> tensor<?x16xf32>
// CHECK:         %[[R:.*]] = linalg.matmul ins(%[[X]], %[[W]] : tensor<?x4xf32>, tensor<4x16xf32>) outs(%[[ACC]] : tensor<?x16xf32>) -> tensor<?x16xf32>
// CHECK:         return %[[R]]
func.func @matmul(%x: tensor<?x4xf32>, %w: tensor<4x16xf32>) -> tensor<?x16xf32> {
  %0 = seq.matmul %x, %w : tensor<?x4xf32>, tensor<4x16xf32> -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// -----

// x @ W^T, the dense layer.
// CHECK-LABEL: func.func @matmul_transpose_rhs
// CHECK-SAME:    (%[[X:.*]]: tensor<?x4xf32>, %[[W:.*]]: tensor<16x4xf32>)
// CHECK:         %[[ACC:.*]] = linalg.fill
// CHECK:         linalg.matmul_transpose_b ins(%[[X]], %[[W]] : tensor<?x4xf32>, tensor<16x4xf32>) outs(%[[ACC]] : tensor<?x16xf32>)
func.func @matmul_transpose_rhs(%x: tensor<?x4xf32>, %w: tensor<16x4xf32>) -> tensor<?x16xf32> {
  %0 = seq.matmul %x, %w {transpose_rhs} : tensor<?x4xf32>, tensor<16x4xf32> -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// -----

// dW = dY^T @ X: the batch is the contraction axis; the result is static.
// CHECK-LABEL: func.func @matmul_transpose_lhs
// CHECK-SAME:    (%[[DY:.*]]: tensor<?x16xf32>, %[[X:.*]]: tensor<?x4xf32>)
// CHECK:         %[[E:.*]] = tensor.empty() : tensor<16x4xf32>
// CHECK:         %[[ACC:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E]] : tensor<16x4xf32>)
// CHECK:         linalg.matmul_transpose_a ins(%[[DY]], %[[X]] : tensor<?x16xf32>, tensor<?x4xf32>) outs(%[[ACC]] : tensor<16x4xf32>)
func.func @matmul_transpose_lhs(%dy: tensor<?x16xf32>, %x: tensor<?x4xf32>) -> tensor<16x4xf32> {
  %0 = seq.matmul %dy, %x {transpose_lhs} : tensor<?x16xf32>, tensor<?x4xf32> -> tensor<16x4xf32>
  return %0 : tensor<16x4xf32>
}

// -----

// Both transposed: no named op, a generic with C[m, n] += A[k, m] * B[n, k].
// CHECK-DAG: #[[$A:.*]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-DAG: #[[$B:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[$C:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @matmul_transpose_both
// CHECK-SAME:    (%[[A:.*]]: tensor<5x?xf32>, %[[B:.*]]: tensor<18x5xf32>)
// CHECK:         %[[M:.*]] = tensor.dim %[[A]], %{{.*}} : tensor<5x?xf32>
// CHECK:         tensor.empty(%[[M]]) : tensor<?x18xf32>
// CHECK:         linalg.generic {indexing_maps = [#[[$A]], #[[$B]], #[[$C]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME:      ins(%[[A]], %[[B]] : tensor<5x?xf32>, tensor<18x5xf32>)
// CHECK:         ^bb0(%[[L:.*]]: f32, %[[R:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK:           %[[P:.*]] = arith.mulf %[[L]], %[[R]] : f32
// CHECK:           %[[S:.*]] = arith.addf %[[ACC]], %[[P]] : f32
// CHECK:           linalg.yield %[[S]] : f32
func.func @matmul_transpose_both(%a: tensor<5x?xf32>, %b: tensor<18x5xf32>) -> tensor<?x18xf32> {
  %0 = seq.matmul %a, %b {transpose_lhs, transpose_rhs} : tensor<5x?xf32>, tensor<18x5xf32> -> tensor<?x18xf32>
  return %0 : tensor<?x18xf32>
}

// -----

// CHECK-LABEL: func.func @batch_matmul
// CHECK:         linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<?x6x7xf32>, tensor<?x7x9xf32>) outs(%{{.*}} : tensor<?x6x9xf32>)
func.func @batch_matmul(%a: tensor<?x6x7xf32>, %b: tensor<?x7x9xf32>) -> tensor<?x6x9xf32> {
  %0 = seq.matmul %a, %b : tensor<?x6x7xf32>, tensor<?x7x9xf32> -> tensor<?x6x9xf32>
  return %0 : tensor<?x6x9xf32>
}

// -----

// CHECK-LABEL: func.func @batch_matmul_transposed
// CHECK:         linalg.batch_matmul_transpose_b ins(%{{.*}}, %{{.*}} : tensor<?x6x7xf32>, tensor<?x9x7xf32>)
// CHECK:         linalg.batch_matmul_transpose_a ins(%{{.*}}, %{{.*}} : tensor<?x7x6xf32>, tensor<?x7x9xf32>)
func.func @batch_matmul_transposed(%a: tensor<?x6x7xf32>, %b: tensor<?x9x7xf32>,
                                   %c: tensor<?x7x6xf32>, %d: tensor<?x7x9xf32>)
    -> (tensor<?x6x9xf32>, tensor<?x6x9xf32>) {
  %0 = seq.matmul %a, %b {transpose_rhs} : tensor<?x6x7xf32>, tensor<?x9x7xf32> -> tensor<?x6x9xf32>
  %1 = seq.matmul %c, %d {transpose_lhs} : tensor<?x7x6xf32>, tensor<?x7x9xf32> -> tensor<?x6x9xf32>
  return %0, %1 : tensor<?x6x9xf32>, tensor<?x6x9xf32>
}

// -----

// [B, M, K] @ [K, N] is one GEMM over B*M rows.
// CHECK-LABEL: func.func @batch_times_shared
// CHECK-SAME:    (%[[A:.*]]: tensor<?x6x7xf32>, %[[W:.*]]: tensor<20x7xf32>)
// CHECK:         %[[FLAT:.*]] = tensor.collapse_shape %[[A]] {{\[}}[0, 1], [2]] : tensor<?x6x7xf32> into tensor<?x7xf32>
// CHECK:         %[[P:.*]] = linalg.matmul_transpose_b ins(%[[FLAT]], %[[W]] : tensor<?x7xf32>, tensor<20x7xf32>) outs(%{{.*}} : tensor<?x20xf32>)
// CHECK:         %[[B:.*]] = tensor.dim %[[A]], %{{.*}} : tensor<?x6x7xf32>
// CHECK:         %[[R:.*]] = tensor.expand_shape %[[P]] {{\[}}[0, 1], [2]] output_shape [%[[B]], 6, 20] : tensor<?x20xf32> into tensor<?x6x20xf32>
// CHECK:         return %[[R]]
func.func @batch_times_shared(%a: tensor<?x6x7xf32>, %w: tensor<20x7xf32>) -> tensor<?x6x20xf32> {
  %0 = seq.matmul %a, %w {transpose_rhs} : tensor<?x6x7xf32>, tensor<20x7xf32> -> tensor<?x6x20xf32>
  return %0 : tensor<?x6x20xf32>
}

// -----

// A shared lhs is read without the batch index.
// CHECK-DAG: #[[$A:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d3)>
// CHECK-DAG: #[[$B:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>
// CHECK-DAG: #[[$C:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @shared_times_batch
// CHECK:         linalg.generic {indexing_maps = [#[[$A]], #[[$B]], #[[$C]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME:      ins(%{{.*}}, %{{.*}} : tensor<6x7xf32>, tensor<?x7x20xf32>)
func.func @shared_times_batch(%a: tensor<6x7xf32>, %b: tensor<?x7x20xf32>) -> tensor<?x6x20xf32> {
  %0 = seq.matmul %a, %b : tensor<6x7xf32>, tensor<?x7x20xf32> -> tensor<?x6x20xf32>
  return %0 : tensor<?x6x20xf32>
}

// -----

// CHECK-LABEL: func.func @matmul_f64
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f64
// CHECK:         linalg.fill ins(%[[ZERO]] : f64)
// CHECK:         linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<3x4xf64>, tensor<4x5xf64>) outs(%{{.*}} : tensor<3x5xf64>)
func.func @matmul_f64(%a: tensor<3x4xf64>, %b: tensor<4x5xf64>) -> tensor<3x5xf64> {
  %0 = seq.matmul %a, %b : tensor<3x4xf64>, tensor<4x5xf64> -> tensor<3x5xf64>
  return %0 : tensor<3x5xf64>
}
