// RUN: seqc-opt %s --convert-seq-to-linalg -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @concat
// CHECK-SAME:    (%[[A:.*]]: tensor<?x3xf32>, %[[B:.*]]: tensor<?x5xf32>)
// CHECK:         %[[N:.*]] = tensor.dim %[[A]], %{{.*}} : tensor<?x3xf32>
// CHECK:         %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?x8xf32>
// CHECK:         %[[NA:.*]] = tensor.dim %[[A]], %{{.*}} : tensor<?x3xf32>
// CHECK:         %[[R0:.*]] = tensor.insert_slice %[[A]] into %[[E]][0, 0] [%[[NA]], 3] [1, 1] : tensor<?x3xf32> into tensor<?x8xf32>
// CHECK:         %[[NB:.*]] = tensor.dim %[[B]], %{{.*}} : tensor<?x5xf32>
// CHECK:         %[[R1:.*]] = tensor.insert_slice %[[B]] into %[[R0]][0, 3] [%[[NB]], 5] [1, 1] : tensor<?x5xf32> into tensor<?x8xf32>
// CHECK:         return %[[R1]]
func.func @concat(%a: tensor<?x3xf32>, %b: tensor<?x5xf32>) -> tensor<?x8xf32> {
  %0 = seq.concat %a, %b axis = 1 : tensor<?x3xf32>, tensor<?x5xf32> -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// Along a dynamic axis the offsets and the total size are computed.
// CHECK-LABEL: func.func @concat_dynamic_axis
// CHECK-SAME:    (%[[A:.*]]: tensor<?x3xf32>, %[[B:.*]]: tensor<2x3xf32>)
// CHECK:         %[[NA:.*]] = tensor.dim %[[A]]
// CHECK:         %[[PARTIAL:.*]] = arith.addi %{{.*}}, %[[NA]] : index
// CHECK:         %[[NB:.*]] = tensor.dim %[[B]]
// CHECK:         %[[TOTAL:.*]] = arith.addi %[[PARTIAL]], %[[NB]] : index
// CHECK:         %[[E:.*]] = tensor.empty(%[[TOTAL]]) : tensor<?x3xf32>
// CHECK:         %[[R0:.*]] = tensor.insert_slice %[[A]] into %[[E]][0, 0]
// CHECK:         %[[OFF:.*]] = arith.addi %{{.*}}, %{{.*}} : index
// CHECK:         tensor.insert_slice %[[B]] into %[[R0]][%[[OFF]], 0] [2, 3] [1, 1] : tensor<2x3xf32> into tensor<?x3xf32>
func.func @concat_dynamic_axis(%a: tensor<?x3xf32>, %b: tensor<2x3xf32>) -> tensor<?x3xf32> {
  %0 = seq.concat %a, %b axis = 0 : tensor<?x3xf32>, tensor<2x3xf32> -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// CHECK-LABEL: func.func @slice
// CHECK-SAME:    (%[[X:.*]]: tensor<?x30xf32>)
// CHECK:         %[[N:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x30xf32>
// CHECK:         %[[S:.*]] = tensor.extract_slice %[[X]][0, 5] [%[[N]], 17] [1, 1] : tensor<?x30xf32> to tensor<?x17xf32>
// CHECK:         return %[[S]]
func.func @slice(%x: tensor<?x30xf32>) -> tensor<?x17xf32> {
  %0 = seq.slice %x axis = 1 start = 5 size = 17 : tensor<?x30xf32> -> tensor<?x17xf32>
  return %0 : tensor<?x17xf32>
}

// -----

// CHECK-LABEL: func.func @expand_dims
// CHECK-SAME:    (%[[X:.*]]: tensor<?x30xf32>)
// CHECK:         %[[N:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x30xf32>
// CHECK:         tensor.expand_shape %[[X]] {{\[}}[0], [1, 2]] output_shape [%[[N]], 1, 30] : tensor<?x30xf32> into tensor<?x1x30xf32>
// CHECK:         tensor.expand_shape %[[X]] {{\[}}[0], [1, 2]] output_shape [%{{.*}}, 30, 1] : tensor<?x30xf32> into tensor<?x30x1xf32>
// CHECK:         tensor.expand_shape %[[X]] {{\[}}[0, 1], [2]] output_shape [1, %{{.*}}, 30] : tensor<?x30xf32> into tensor<1x?x30xf32>
func.func @expand_dims(%x: tensor<?x30xf32>) -> (tensor<?x1x30xf32>, tensor<?x30x1xf32>, tensor<1x?x30xf32>) {
  %0 = seq.expand_dims %x axis = 1 : tensor<?x30xf32> -> tensor<?x1x30xf32>
  %1 = seq.expand_dims %x axis = 2 : tensor<?x30xf32> -> tensor<?x30x1xf32>
  %2 = seq.expand_dims %x axis = 0 : tensor<?x30xf32> -> tensor<1x?x30xf32>
  return %0, %1, %2 : tensor<?x1x30xf32>, tensor<?x30x1xf32>, tensor<1x?x30xf32>
}

// -----

// CHECK-LABEL: func.func @squeeze
// CHECK:         tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2]] : tensor<?x1x30xf32> into tensor<?x30xf32>
// CHECK:         tensor.collapse_shape %{{.*}} [] : tensor<1xf32> into tensor<f32>
func.func @squeeze(%x: tensor<?x1x30xf32>, %s: tensor<1xf32>) -> (tensor<?x30xf32>, tensor<f32>) {
  %0 = seq.squeeze %x axis = 1 : tensor<?x1x30xf32> -> tensor<?x30xf32>
  %1 = seq.squeeze %s axis = 0 : tensor<1xf32> -> tensor<f32>
  return %0, %1 : tensor<?x30xf32>, tensor<f32>
}

// -----

// Embedding lookup: the row index is clamped into the table.
// CHECK-DAG: #[[$IDX:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[$OUT:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @gather
// CHECK-SAME:    (%[[T:.*]]: tensor<7x19xf32>, %[[I:.*]]: tensor<?xi64>)
// CHECK:         %[[N:.*]] = tensor.dim %[[I]], %{{.*}} : tensor<?xi64>
// CHECK:         %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?x19xf32>
// CHECK:         %[[ROWS:.*]] = tensor.dim %[[T]], %{{.*}} : tensor<7x19xf32>
// CHECK:         linalg.generic {indexing_maps = [#[[$IDX]], #[[$OUT]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:      ins(%[[I]] : tensor<?xi64>) outs(%[[E]] : tensor<?x19xf32>)
// CHECK:         ^bb0(%[[ID:.*]]: i64, %{{.*}}: f32):
// CHECK:           %[[ROW:.*]] = arith.index_cast %[[ID]] : i64 to index
// CHECK:           %[[LAST:.*]] = arith.subi %[[ROWS]], %{{.*}} : index
// CHECK:           %[[LO:.*]] = arith.maxsi %[[ROW]], %{{.*}} : index
// CHECK:           %[[CLAMPED:.*]] = arith.minsi %[[LO]], %[[LAST]] : index
// CHECK:           %[[COL:.*]] = linalg.index 1 : index
// CHECK:           %[[V:.*]] = tensor.extract %[[T]][%[[CLAMPED]], %[[COL]]] : tensor<7x19xf32>
// CHECK:           linalg.yield %[[V]] : f32
func.func @gather(%t: tensor<7x19xf32>, %i: tensor<?xi64>) -> tensor<?x19xf32> {
  %0 = seq.gather %t[%i] : tensor<7x19xf32>, tensor<?xi64> -> tensor<?x19xf32>
  return %0 : tensor<?x19xf32>
}

// -----

// CHECK-LABEL: func.func @transpose
// CHECK-SAME:    (%[[X:.*]]: tensor<?x4x5xf32>)
// CHECK:         %[[N:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x4x5xf32>
// CHECK:         %[[E:.*]] = tensor.empty(%[[N]]) : tensor<5x?x4xf32>
// CHECK:         %[[R:.*]] = linalg.transpose ins(%[[X]] : tensor<?x4x5xf32>) outs(%[[E]] : tensor<5x?x4xf32>) permutation = [2, 0, 1]
// CHECK:         return %[[R]]
func.func @transpose(%x: tensor<?x4x5xf32>) -> tensor<5x?x4xf32> {
  %0 = seq.transpose %x [2, 0, 1] : tensor<?x4x5xf32> -> tensor<5x?x4xf32>
  return %0 : tensor<5x?x4xf32>
}
