// RUN: seqc-opt %s --convert-seq-to-linalg -split-input-file | FileCheck %s

// The bias gradient: a sum over the batch.
// CHECK-DAG: #[[$IN:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$OUT:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @reduce_sum_batch
// CHECK-SAME:    (%[[X:.*]]: tensor<?x35xf32>)
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[E:.*]] = tensor.empty() : tensor<35xf32>
// CHECK:         %[[INIT:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E]] : tensor<35xf32>)
// CHECK:         %[[R:.*]] = linalg.generic {indexing_maps = [#[[$IN]], #[[$OUT]]], iterator_types = ["reduction", "parallel"]}
// CHECK-SAME:      ins(%[[X]] : tensor<?x35xf32>) outs(%[[INIT]] : tensor<35xf32>)
// CHECK:         ^bb0(%[[V:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK:           %[[S:.*]] = arith.addf %[[V]], %[[ACC]] : f32
// CHECK:           linalg.yield %[[S]]
// CHECK:         return %[[R]]
func.func @reduce_sum_batch(%x: tensor<?x35xf32>) -> tensor<35xf32> {
  %0 = seq.reduce_sum %x [0] : tensor<?x35xf32> -> tensor<35xf32>
  return %0 : tensor<35xf32>
}

// -----

// CHECK-DAG: #[[$IN:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$OUT:.*]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @reduce_sum_all
// CHECK:         tensor.empty() : tensor<f32>
// CHECK:         linalg.generic {indexing_maps = [#[[$IN]], #[[$OUT]]], iterator_types = ["reduction", "reduction"]}
func.func @reduce_sum_all(%x: tensor<?x35xf32>) -> tensor<f32> {
  %0 = seq.reduce_sum %x [1, 0] : tensor<?x35xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// CHECK-LABEL: func.func @reduce_max
// CHECK-SAME:    (%[[X:.*]]: tensor<?x35xf32>)
// CHECK:         %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK:         %[[N:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x35xf32>
// CHECK:         %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?xf32>
// CHECK:         linalg.fill ins(%[[NEGINF]] : f32) outs(%[[E]] : tensor<?xf32>)
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK:           arith.maximumf
func.func @reduce_max(%x: tensor<?x35xf32>) -> tensor<?xf32> {
  %0 = seq.reduce_max %x [1] : tensor<?x35xf32> -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// The mean divides by the element count; a dynamic axis counts at run time.
// CHECK-LABEL: func.func @reduce_mean
// CHECK-SAME:    (%[[X:.*]]: tensor<?x4x5xf32>)
// CHECK:         %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "parallel", "reduction"]
// CHECK:           arith.addf
// CHECK:         %[[N:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x4x5xf32>
// CHECK:         %[[FIVE:.*]] = arith.constant 5.000000e+00 : f32
// CHECK:         %[[NI:.*]] = arith.index_castui %[[N]] : index to i64
// CHECK:         %[[NF:.*]] = arith.uitofp %[[NI]] : i64 to f32
// CHECK:         %[[COUNT:.*]] = arith.mulf %[[FIVE]], %[[NF]] : f32
// CHECK:         linalg.generic
// CHECK-SAME:      ins(%[[SUM]] : tensor<4xf32>)
// CHECK:         ^bb0(%[[V:.*]]: f32, %{{.*}}: f32):
// CHECK:           arith.divf %[[V]], %[[COUNT]] : f32
func.func @reduce_mean(%x: tensor<?x4x5xf32>) -> tensor<4xf32> {
  %0 = seq.reduce_mean %x [0, 2] : tensor<?x4x5xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @reduce_mean_static
// CHECK:         %[[COUNT:.*]] = arith.constant 3.500000e+01 : f32
// CHECK-NOT:     tensor.dim
// CHECK:         arith.divf %{{.*}}, %[[COUNT]] : f32
func.func @reduce_mean_static(%x: tensor<7x5xf32>) -> tensor<f32> {
  %0 = seq.reduce_mean %x [0, 1] : tensor<7x5xf32> -> tensor<f32>
  return %0 : tensor<f32>
}
