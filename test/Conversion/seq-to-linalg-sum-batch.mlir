// RUN: seqc-opt %s --convert-seq-to-linalg -split-input-file | FileCheck %s

// sum_t g[t]^T x[t]: the time axis joins the batch rows, and the whole sum
// is one matmul_transpose_a contracting over T*N rows.
// CHECK-LABEL: func.func @weight_gradient
// CHECK-SAME:    (%[[G:.*]]: tensor<?x?x16xf32>, %[[X:.*]]: tensor<?x?x4xf32>)
// CHECK:         %[[G2:.*]] = tensor.collapse_shape %[[G]] {{\[}}[0, 1], [2]] : tensor<?x?x16xf32> into tensor<?x16xf32>
// CHECK:         %[[X2:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : tensor<?x?x4xf32> into tensor<?x4xf32>
// CHECK:         %[[ACC:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<16x4xf32>)
// CHECK:         %[[R:.*]] = linalg.matmul_transpose_a ins(%[[G2]], %[[X2]] : tensor<?x16xf32>, tensor<?x4xf32>) outs(%[[ACC]] : tensor<16x4xf32>) -> tensor<16x4xf32>
// CHECK:         return %[[R]]
func.func @weight_gradient(%g: tensor<?x?x16xf32>, %x: tensor<?x?x4xf32>) -> tensor<16x4xf32> {
  %0 = seq.matmul %g, %x {sum_batch, transpose_lhs} : tensor<?x?x16xf32>, tensor<?x?x4xf32> -> tensor<16x4xf32>
  return %0 : tensor<16x4xf32>
}

// -----

// Other layouts: one generic op that reduces over the batch (d0) and K (d3).
// CHECK-DAG:   #[[$A:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG:   #[[$B:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>
// CHECK-DAG:   #[[$C:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d2)>
// CHECK-LABEL: func.func @sum_batch_plain
// CHECK:         linalg.generic {indexing_maps = [#[[$A]], #[[$B]], #[[$C]]], iterator_types = ["reduction", "parallel", "parallel", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<3x2x5xf32>, tensor<3x5x4xf32>) outs(%{{.*}} : tensor<2x4xf32>)
// CHECK:           arith.mulf
// CHECK:           arith.addf
func.func @sum_batch_plain(%a: tensor<3x2x5xf32>, %b: tensor<3x5x4xf32>) -> tensor<2x4xf32> {
  %0 = seq.matmul %a, %b {sum_batch} : tensor<3x2x5xf32>, tensor<3x5x4xf32> -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}
