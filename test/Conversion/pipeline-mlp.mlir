// A small MLP (two dense layers, tanh, softmax over a dynamic batch) taken
// all the way to the LLVM dialect, with and without vectorization.
// RUN: seqc-opt %s --seqc-lower-to-llvm | FileCheck %s
// RUN: seqc-opt %s --seqc-lower-to-llvm="vectorize=false" | FileCheck %s --check-prefixes=CHECK,SCALAR
// RUN: seqc-opt %s --seqc-lower-to-llvm="target-cpu=znver4" | FileCheck %s --check-prefix=VECTOR

// Only the LLVM dialect is left.
// CHECK-NOT: seq.
// CHECK-NOT: linalg.
// CHECK-NOT: tensor.
// CHECK-NOT: memref.
// CHECK-NOT: vector.
// CHECK-NOT: scf.

// Buffers come from the runtime's buffer pool, which also takes back the
// returned buffer: memref's generic allocation functions, bound to the pool
// by the JIT.
// CHECK-DAG: llvm.func @_mlir_memref_to_llvm_free(!llvm.ptr)
// CHECK-DAG: llvm.func @_mlir_memref_to_llvm_alloc(i64) -> !llvm.ptr

// The entry takes memref descriptors (5 ranked args) and returns one.
// CHECK-LABEL: llvm.func @forward(
// CHECK-SAME:    -> !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>
// CHECK-SAME:    attributes {llvm.emit_c_interface}
// CHECK:         llvm.call @_mlir_memref_to_llvm_alloc
// CHECK:         llvm.call @_mlir_memref_to_llvm_free
// CHECK:         llvm.return

// The C interface wrapper the runtime calls: result descriptor by pointer,
// then one pointer per argument.
// CHECK-LABEL: llvm.func @_mlir_ciface_forward(
// CHECK-SAME:    %{{[^:]*}}: !llvm.ptr{{[^,]*}}, %{{[^:]*}}: !llvm.ptr{{[^,]*}}, %{{[^:]*}}: !llvm.ptr{{[^,]*}}, %{{[^:]*}}: !llvm.ptr{{[^,]*}}, %{{[^:]*}}: !llvm.ptr{{[^,]*}}, %{{[^:]*}}: !llvm.ptr{{[^,]*}})
// CHECK:         llvm.call @forward(
// CHECK:         llvm.store %{{.*}}, %{{.*}} : !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>, !llvm.ptr

// SCALAR-NOT: vector<16xf32>

// The matmul kernel's FMAs on 16-lane vectors, and the vectorized tanh.
// VECTOR-LABEL: llvm.func @forward(
// VECTOR:         llvm.intr.fma(%{{.*}}, %{{.*}}, %{{.*}}) : (vector<16xf32>, vector<16xf32>, vector<16xf32>) -> vector<16xf32>
// VECTOR-NOT:     llvm.call @tanhf
func.func @forward(%W1: tensor<16x4xf32> {seq.param = "W1"}, %b1: tensor<16xf32> {seq.param = "b1"},
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
