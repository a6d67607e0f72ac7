// The function boundary after bufferization: entry functions take memrefs
// and return buffers they allocated, which never alias an argument or each
// other; temporaries are freed inside.
// RUN: seqc-opt %s --seqc-lower-to-linalg --seqc-prepare-bufferization \
// RUN:   --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
// RUN:   --seqc-write-updates-in-place \
// RUN:   --buffer-deallocation-pipeline --convert-bufferization-to-memref \
// RUN:   --seqc-distinct-results --canonicalize -split-input-file | FileCheck %s
// RUN: seqc-opt %s --seqc-prepare-bufferization -split-input-file | FileCheck %s --check-prefix=PREPARE

// PREPARE-LABEL: func.func @mlp
// PREPARE-SAME:    tensor<16x4xf32> {bufferization.writable = false, seq.param = "W1"}
// PREPARE-SAME:    tensor<?x4xf32> {bufferization.writable = false, seq.input = "x"}

// CHECK-LABEL: func.func @mlp
// CHECK-SAME:    (%{{.*}}: memref<16x4xf32> {{.*}}, %{{.*}}: memref<16xf32> {{.*}}, %{{.*}}: memref<3x16xf32> {{.*}}, %{{.*}}: memref<3xf32> {{.*}}, %{{.*}}: memref<?x4xf32> {{.*}}) -> memref<?x3xf32>
// CHECK-DAG:     %[[HIDDEN:.*]] = memref.alloc(%{{.*}}) {{.*}} : memref<?x16xf32>
// CHECK-DAG:     %[[OUT:.*]] = memref.alloc(%{{.*}}) {{.*}} : memref<?x3xf32>
// CHECK-DAG:     %[[MAX:.*]] = memref.alloc(%{{.*}}) {{.*}} : memref<?xf32>
// CHECK-DAG:     %[[SUM:.*]] = memref.alloc(%{{.*}}) {{.*}} : memref<?xf32>
// CHECK-DAG:     memref.dealloc %[[HIDDEN]]
// CHECK-DAG:     memref.dealloc %[[MAX]]
// CHECK-DAG:     memref.dealloc %[[SUM]]
// CHECK-NOT:     memref.dealloc %[[OUT]]
// CHECK:         return %[[OUT]] : memref<?x3xf32>
func.func @mlp(%W1: tensor<16x4xf32> {seq.param = "W1"}, %b1: tensor<16xf32> {seq.param = "b1"},
               %W2: tensor<3x16xf32> {seq.param = "W2"}, %b2: tensor<3xf32> {seq.param = "b2"},
               %x: tensor<?x4xf32> {seq.input = "x"}) -> tensor<?x3xf32> {
  %0 = seq.matmul %x, %W1 {transpose_rhs} : tensor<?x4xf32>, tensor<16x4xf32> -> tensor<?x16xf32>
  %1 = seq.add %0, %b1 : tensor<?x16xf32>, tensor<16xf32> -> tensor<?x16xf32>
  %2 = seq.tanh %1 : tensor<?x16xf32>
  %3 = seq.matmul %2, %W2 {transpose_rhs} : tensor<?x16xf32>, tensor<3x16xf32> -> tensor<?x3xf32>
  %4 = seq.add %3, %b2 : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
  %5 = seq.softmax %4 axis = 1 : tensor<?x3xf32>
  return %5 : tensor<?x3xf32>
}

// -----

// Returning an argument returns a copy of it.
// CHECK-LABEL: func.func @identity
// CHECK-SAME:    (%[[X:.*]]: memref<?x4xf32> {{.*}}) -> memref<?x4xf32>
// CHECK:         %[[COPY:.*]] = memref.alloc(%{{.*}}) : memref<?x4xf32>
// CHECK:         memref.copy %[[X]], %[[COPY]]
// CHECK:         return %[[COPY]]
func.func @identity(%x: tensor<?x4xf32> {seq.input = "x"}) -> tensor<?x4xf32> {
  return %x : tensor<?x4xf32>
}

// -----

// A value returned twice is returned as two buffers.
// CHECK-LABEL: func.func @twice
// CHECK:         %[[A:.*]] = memref.alloc(%{{.*}}) {{.*}} : memref<?x4xf32>
// CHECK:         linalg.generic
// CHECK:         %[[B:.*]] = memref.alloc(%{{.*}}) : memref<?x4xf32>
// CHECK:         memref.copy %[[A]], %[[B]]
// CHECK:         return %[[A]], %[[B]]
func.func @twice(%x: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  %0 = seq.tanh %x : tensor<?x4xf32>
  return %0, %0 : tensor<?x4xf32>, tensor<?x4xf32>
}

// -----

// So is a value and a reshaped view of it.
// CHECK-LABEL: func.func @value_and_view
// CHECK:         %[[A:.*]] = memref.alloc(%{{.*}}) {{.*}} : memref<?x4xf32>
// CHECK:         %[[VIEW:.*]] = memref.expand_shape %[[A]]
// CHECK:         %[[B:.*]] = memref.alloc(%{{.*}}) : memref<?x1x4xf32>
// CHECK:         memref.copy %[[VIEW]], %[[B]]
// CHECK:         return %[[A]], %[[B]]
func.func @value_and_view(%x: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x1x4xf32>) {
  %0 = seq.tanh %x : tensor<?x4xf32>
  %1 = seq.expand_dims %0 axis = 1 : tensor<?x4xf32> -> tensor<?x1x4xf32>
  return %0, %1 : tensor<?x4xf32>, tensor<?x1x4xf32>
}

// -----

// Read-only arguments: an update is computed into a new buffer, never into
// the argument's.
// CHECK-LABEL: func.func @no_write_to_argument
// CHECK-SAME:    (%[[P:[^:]*]]: memref<8xf32> {seq.param = "p"}, %[[G:[^:]*]]: memref<8xf32>)
// CHECK:         %[[NEW:.*]] = memref.alloc() {{.*}} : memref<8xf32>
// CHECK:         linalg.generic {{.*}} ins(%[[P]], %[[G]] : memref<8xf32>, memref<8xf32>) outs(%[[NEW]] : memref<8xf32>)
// CHECK:         return %[[NEW]]
func.func @no_write_to_argument(%p: tensor<8xf32> {seq.param = "p"}, %g: tensor<8xf32>) -> tensor<8xf32> {
  %0 = seq.sub %p, %g : tensor<8xf32>, tensor<8xf32> -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

// An update step's new values (`seq.updates = i`) are computed into the
// buffers of the arguments they replace and are no longer returned: the
// parameter and both moments of an Adam update, in one loop, in place.
// PREPARE-LABEL: func.func @adam_in_place
// PREPARE-SAME:    {bufferization.writable = true, seq.param = "p"}
// PREPARE-SAME:    {bufferization.writable = false}
// PREPARE-SAME:    {bufferization.writable = true, seq.state = "adam.m.p"}
// PREPARE-SAME:    {bufferization.writable = true, seq.state = "adam.v.p"}
// CHECK-LABEL: func.func @adam_in_place
// CHECK-SAME:    (%[[P:[^:]*]]: memref<8xf32> {seq.param = "p"}, %[[G:[^:]*]]: memref<8xf32>, %[[M:[^:]*]]: memref<8xf32> {{.*}}, %[[V:[^:]*]]: memref<8xf32> {{.*}}, %{{.*}}: memref<f32>) -> memref<f32>
// CHECK-NOT:     memref.alloc() {{.*}} : memref<8xf32>
// CHECK:         linalg.generic {{.*}} ins(%[[P]], %[[G]], %[[M]], %[[V]], {{.*}}) outs(%[[P]], %[[M]], %[[V]] : memref<8xf32>, memref<8xf32>, memref<8xf32>)
// CHECK-NOT:     memref.copy
// CHECK:         return %{{.*}} : memref<f32>
func.func @adam_in_place(%p: tensor<8xf32> {seq.param = "p"}, %g: tensor<8xf32>,
                         %m: tensor<8xf32> {seq.state = "adam.m.p"}, %v: tensor<8xf32> {seq.state = "adam.v.p"},
                         %lr: tensor<f32>)
    -> (tensor<f32>, tensor<8xf32> {seq.updates = 0 : i64}, tensor<8xf32> {seq.updates = 2 : i64},
        tensor<8xf32> {seq.updates = 3 : i64}) {
  %one = arith.constant dense<1.0> : tensor<f32>
  %p1, %m1, %v1 = seq.adam_update %p, %g, %m, %v lr %lr bias(%one, %one) scale %one {beta1 = 0.9 : f64, beta2 = 0.999 : f64, epsilon = 1.0e-8 : f64} : tensor<8xf32>, tensor<f32>
  %loss = seq.reduce_sum %g [0] : tensor<8xf32> -> tensor<f32>
  return %loss, %p1, %m1, %v1 : tensor<f32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}

// -----

// A new value that cannot be computed in place (the old value is read after
// the update, by a reduction) is computed in a new buffer and copied into
// the argument at the end.
// CHECK-LABEL: func.func @update_copied_in
// CHECK-SAME:    (%[[P:[^:]*]]: memref<8xf32> {{.*}}, %{{.*}}: memref<8xf32>) -> memref<f32>
// CHECK:         %[[NEW:.*]] = memref.alloc() {{.*}} : memref<8xf32>
// CHECK:         linalg.generic {{.*}} outs(%[[NEW]] : memref<8xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[P]] : memref<8xf32>)
// CHECK:         linalg.copy ins(%[[NEW]] : memref<8xf32>) outs(%[[P]] : memref<8xf32>)
// CHECK:         memref.dealloc %[[NEW]]
// CHECK:         return %{{.*}} : memref<f32>
func.func @update_copied_in(%p: tensor<8xf32> {seq.param = "p"}, %g: tensor<8xf32>)
    -> (tensor<8xf32> {seq.updates = 0 : i64}, tensor<f32>) {
  %0 = seq.sub %p, %g : tensor<8xf32>, tensor<8xf32> -> tensor<8xf32>
  %1 = seq.reduce_sum %p [0] : tensor<8xf32> -> tensor<f32>
  return %0, %1 : tensor<8xf32>, tensor<f32>
}

