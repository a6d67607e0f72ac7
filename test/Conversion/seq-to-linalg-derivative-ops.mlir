// RUN: seqc-opt %s --convert-seq-to-linalg -split-input-file | FileCheck %s

// The result takes its batch size from `like`.
// CHECK-DAG: #[[$ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @broadcast_like
// CHECK-SAME:    (%[[B:.*]]: tensor<13xf32>, %[[LIKE:.*]]: tensor<?x13xf32>)
// CHECK:         %[[N:.*]] = tensor.dim %[[LIKE]], %{{.*}} : tensor<?x13xf32>
// CHECK:         %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?x13xf32>
// CHECK:         linalg.generic {indexing_maps = [#[[$ROW]], #{{.*}}], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:      ins(%[[B]] : tensor<13xf32>) outs(%[[E]] : tensor<?x13xf32>)
// CHECK:         ^bb0(%[[V:.*]]: f32, %{{.*}}: f32):
// CHECK:           linalg.yield %[[V]] : f32
func.func @broadcast_like(%b: tensor<13xf32>, %like: tensor<?x13xf32>) -> tensor<?x13xf32> {
  %0 = seq.broadcast_like %b, %like : tensor<13xf32>, tensor<?x13xf32> -> tensor<?x13xf32>
  return %0 : tensor<?x13xf32>
}

// -----

// CHECK-LABEL: func.func @pad
// CHECK-SAME:    (%[[X:.*]]: tensor<?x13xf32>)
// CHECK:         %[[N:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x13xf32>
// CHECK:         %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?x18xf32>
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[Z:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E]] : tensor<?x18xf32>)
// CHECK:         %[[R:.*]] = tensor.insert_slice %[[X]] into %[[Z]][0, 2] [%[[N]], 13] [1, 1] : tensor<?x13xf32> into tensor<?x18xf32>
// CHECK:         return %[[R]]
func.func @pad(%x: tensor<?x13xf32>) -> tensor<?x18xf32> {
  %0 = seq.pad %x axis = 1 before = 2 after = 3 : tensor<?x13xf32> -> tensor<?x18xf32>
  return %0 : tensor<?x18xf32>
}

// -----

// Rows may repeat, so the sum into the table is a sequential loop that
// updates one row in place per index.
// CHECK-LABEL: func.func @scatter_add
// CHECK-SAME:    (%[[U:.*]]: tensor<?x3x19xf32>, %[[I:.*]]: tensor<?x3xi32>)
// CHECK:         %[[FLAT_U:.*]] = tensor.collapse_shape %[[U]] {{\[}}[0, 1], [2]] : tensor<?x3x19xf32> into tensor<?x19xf32>
// CHECK:         %[[FLAT_I:.*]] = tensor.collapse_shape %[[I]] {{\[}}[0, 1]] : tensor<?x3xi32> into tensor<?xi32>
// CHECK:         %[[ZEROS:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<7x19xf32>)
// CHECK:         %[[N:.*]] = tensor.dim %[[FLAT_I]], %{{.*}} : tensor<?xi32>
// CHECK:         %[[R:.*]] = scf.for %[[K:.*]] = %{{.*}} to %[[N]] step %{{.*}} iter_args(%[[T:.*]] = %[[ZEROS]]) -> (tensor<7x19xf32>)
// CHECK:           %[[ID:.*]] = tensor.extract %[[FLAT_I]][%[[K]]] : tensor<?xi32>
// CHECK:           %[[ROW0:.*]] = arith.index_cast %[[ID]] : i32 to index
// CHECK:           %[[ROW1:.*]] = arith.maxsi %[[ROW0]], %{{.*}} : index
// CHECK:           %[[ROW:.*]] = arith.minsi %[[ROW1]], %{{.*}} : index
// CHECK:           %[[UPD:.*]] = tensor.extract_slice %[[FLAT_U]][%[[K]], 0] [1, 19] [1, 1]
// CHECK:           %[[CUR:.*]] = tensor.extract_slice %[[T]][%[[ROW]], 0] [1, 19] [1, 1]
// CHECK:           %[[SUM:.*]] = linalg.generic
// CHECK-SAME:        ins(%[[CUR]], %[[UPD]] : tensor<1x19xf32>, tensor<1x19xf32>) outs(%[[CUR]] : tensor<1x19xf32>)
// CHECK:             arith.addf
// CHECK:           %[[NEW:.*]] = tensor.insert_slice %[[SUM]] into %[[T]][%[[ROW]], 0] [1, 19] [1, 1]
// CHECK:           scf.yield %[[NEW]]
// CHECK:         return %[[R]]
func.func @scatter_add(%u: tensor<?x3x19xf32>, %i: tensor<?x3xi32>) -> tensor<7x19xf32> {
  %0 = seq.scatter_add %u[%i] rows = 7 : tensor<?x3x19xf32>, tensor<?x3xi32> -> tensor<7x19xf32>
  return %0 : tensor<7x19xf32>
}

// -----

// CHECK-LABEL: func.func @one_hot
// CHECK-SAME:    (%[[I:.*]]: tensor<?xi64>)
// CHECK:         linalg.generic {{.*}} ins(%[[I]] : tensor<?xi64>) outs(%{{.*}} : tensor<?x7xf32>)
// CHECK:         ^bb0(%[[ID:.*]]: i64, %{{.*}}: f32):
// CHECK:           %[[IDX:.*]] = arith.index_cast %[[ID]] : i64 to index
// CHECK:           %[[COL:.*]] = linalg.index 1 : index
// CHECK:           %[[HOT:.*]] = arith.cmpi eq, %[[IDX]], %[[COL]] : index
// CHECK:           %[[V:.*]] = arith.select %[[HOT]], %{{.*}}, %{{.*}} : f32
// CHECK:           linalg.yield %[[V]]
func.func @one_hot(%i: tensor<?xi64>) -> tensor<?x7xf32> {
  %0 = seq.one_hot %i depth = 7 : tensor<?xi64> -> tensor<?x7xf32>
  return %0 : tensor<?x7xf32>
}
