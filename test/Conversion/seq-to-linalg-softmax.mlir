// RUN: seqc-opt %s --convert-seq-to-linalg -split-input-file | FileCheck %s

// Numerically stable: the row max is subtracted before exp.
// CHECK-DAG: #[[$ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @softmax
// CHECK-SAME:    (%[[X:.*]]: tensor<?x10xf32>)
// CHECK:         %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK:         %[[E0:.*]] = tensor.empty(%{{.*}}) : tensor<?xf32>
// CHECK:         %[[INIT_MAX:.*]] = linalg.fill ins(%[[NEGINF]] : f32) outs(%[[E0]] : tensor<?xf32>)
// CHECK:         %[[MAX:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$ROW]]], iterator_types = ["parallel", "reduction"]}
// CHECK-SAME:      ins(%[[X]] : tensor<?x10xf32>) outs(%[[INIT_MAX]] : tensor<?xf32>)
// CHECK:           arith.maximumf
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[INIT_SUM:.*]] = linalg.fill ins(%[[ZERO]] : f32)
// CHECK:         %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$ROW]], #[[$ROW]]], iterator_types = ["parallel", "reduction"]}
// CHECK-SAME:      ins(%[[X]], %[[MAX]] : tensor<?x10xf32>, tensor<?xf32>) outs(%[[INIT_SUM]] : tensor<?xf32>)
// CHECK:         ^bb0(%[[IN:.*]]: f32, %[[M:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK:           %[[D:.*]] = arith.subf %[[IN]], %[[M]] : f32
// CHECK:           %[[EXP:.*]] = math.exp %[[D]] : f32
// CHECK:           %[[S:.*]] = arith.addf %[[EXP]], %[[ACC]] : f32
// CHECK:           linalg.yield %[[S]]
// CHECK:         %[[R:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$ROW]], #[[$ROW]], #[[$ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:      ins(%[[X]], %[[MAX]], %[[SUM]] : tensor<?x10xf32>, tensor<?xf32>, tensor<?xf32>)
// CHECK:         ^bb0(%[[IN:.*]]: f32, %[[M:.*]]: f32, %[[T:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[D:.*]] = arith.subf %[[IN]], %[[M]] : f32
// CHECK:           %[[EXP:.*]] = math.exp %[[D]] : f32
// CHECK:           %[[Q:.*]] = arith.divf %[[EXP]], %[[T]] : f32
// CHECK:           linalg.yield %[[Q]]
// CHECK:         return %[[R]]
func.func @softmax(%x: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %0 = seq.softmax %x axis = 1 : tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

// Along the batch axis the reductions keep the feature axis.
// CHECK-DAG: #[[$COL:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @softmax_axis0
// CHECK:         tensor.empty() : tensor<10xf32>
// CHECK:         linalg.generic {indexing_maps = [#{{.*}}, #[[$COL]]], iterator_types = ["reduction", "parallel"]}
// CHECK:         linalg.generic {indexing_maps = [#{{.*}}, #[[$COL]], #[[$COL]]], iterator_types = ["reduction", "parallel"]}
// CHECK:         linalg.generic {indexing_maps = [#{{.*}}, #[[$COL]], #[[$COL]], #{{.*}}], iterator_types = ["parallel", "parallel"]}
func.func @softmax_axis0(%x: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %0 = seq.softmax %x axis = 0 : tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

// log_softmax(x) = x - max - log(sum(exp(x - max)))
// CHECK-LABEL: func.func @log_softmax
// CHECK-SAME:    (%[[X:.*]]: tensor<?x10xf32>)
// CHECK:         %[[MAX:.*]] = linalg.generic
// CHECK:           arith.maximumf
// CHECK:         %[[SUM:.*]] = linalg.generic
// CHECK:           math.exp
// CHECK:           arith.addf
// CHECK:         linalg.generic
// CHECK-SAME:      ins(%[[X]], %[[MAX]], %[[SUM]] : tensor<?x10xf32>, tensor<?xf32>, tensor<?xf32>)
// CHECK:         ^bb0(%[[IN:.*]]: f32, %[[M:.*]]: f32, %[[T:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[D:.*]] = arith.subf %[[IN]], %[[M]] : f32
// CHECK:           %[[L:.*]] = math.log %[[T]] : f32
// CHECK:           %[[R:.*]] = arith.subf %[[D]], %[[L]] : f32
// CHECK:           linalg.yield %[[R]]
func.func @log_softmax(%x: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %0 = seq.log_softmax %x axis = 1 : tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

// maxout views [N, 12] as [N, 3 pieces, 4] and takes the max over pieces.
// CHECK-DAG: #[[$IN:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[$OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-LABEL: func.func @maxout
// CHECK-SAME:    (%[[X:.*]]: tensor<?x12xf32>)
// CHECK:         %[[N:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x12xf32>
// CHECK:         %[[PIECES:.*]] = tensor.expand_shape %[[X]] {{\[}}[0], [1, 2]] output_shape [%[[N]], 3, 4] : tensor<?x12xf32> into tensor<?x3x4xf32>
// CHECK:         %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK:         %[[INIT:.*]] = linalg.fill ins(%[[NEGINF]] : f32) outs(%{{.*}} : tensor<?x4xf32>)
// CHECK:         linalg.generic {indexing_maps = [#[[$IN]], #[[$OUT]]], iterator_types = ["parallel", "reduction", "parallel"]}
// CHECK-SAME:      ins(%[[PIECES]] : tensor<?x3x4xf32>) outs(%[[INIT]] : tensor<?x4xf32>)
// CHECK:           arith.maximumf
func.func @maxout(%x: tensor<?x12xf32>) -> tensor<?x4xf32> {
  %0 = seq.maxout %x k = 3 : tensor<?x12xf32> -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}
