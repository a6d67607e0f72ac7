// seqc-gemm-to-call: f32 GEMMs on buffers become calls of the runtime's
// kernel; the flags say which operand is transposed and whether the call
// accumulates (4) or overwrites C after a zero fill that it replaces.
// RUN: seqc-opt %s --split-input-file --seqc-gemm-to-call | FileCheck %s

// CHECK:       func.func private @seqc_sgemm(memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64) attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func @overwrite
// CHECK-NOT:     linalg.fill
// CHECK-DAG:     %[[FLAGS:.*]] = arith.constant 0 : i64
// CHECK-DAG:     %[[A:.*]] = memref.cast %arg0 : memref<?x64xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
// CHECK-DAG:     %[[B:.*]] = memref.cast %arg1 : memref<64x32xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
// CHECK-DAG:     %[[C:.*]] = memref.cast %arg2 : memref<?x32xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
// CHECK:         call @seqc_sgemm(%[[A]], %[[B]], %[[C]], %[[FLAGS]])
// CHECK-NOT:     linalg.matmul
func.func @overwrite(%a: memref<?x64xf32>, %b: memref<64x32xf32>, %c: memref<?x32xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<?x32xf32>)
  linalg.matmul ins(%a, %b : memref<?x64xf32>, memref<64x32xf32>) outs(%c : memref<?x32xf32>)
  return
}

// -----

// Transposed operands, strided views, and an accumulating product (the fill
// is not zero, or not right before the product).
// CHECK-LABEL: func.func @transposed
// CHECK:         %[[TB:.*]] = arith.constant 6 : i64
// CHECK:         call @seqc_sgemm({{.*}}, %[[TB]])
// CHECK:         %[[TA:.*]] = arith.constant 5 : i64
// CHECK:         call @seqc_sgemm({{.*}}, %[[TA]])
// CHECK:         linalg.fill
// CHECK:         %[[ACC:.*]] = arith.constant 4 : i64
// CHECK:         call @seqc_sgemm({{.*}}, %[[ACC]])
func.func @transposed(%a: memref<8x16xf32>, %b: memref<32x16xf32>,
                      %k: memref<16x8xf32, strided<[20, 1], offset: ?>>,
                      %e: memref<16x32xf32>, %c: memref<8x32xf32>) {
  linalg.matmul_transpose_b ins(%a, %b : memref<8x16xf32>, memref<32x16xf32>) outs(%c : memref<8x32xf32>)
  linalg.matmul_transpose_a ins(%k, %e : memref<16x8xf32, strided<[20, 1], offset: ?>>, memref<16x32xf32>) outs(%c : memref<8x32xf32>)
  %one = arith.constant 1.0 : f32
  linalg.fill ins(%one : f32) outs(%c : memref<8x32xf32>)
  linalg.matmul ins(%a, %e : memref<8x16xf32>, memref<16x32xf32>) outs(%c : memref<8x32xf32>)
  return
}

// -----

// f64 products and batched products stay linalg (the generated kernels).
// CHECK-LABEL: func.func @not_f32
// CHECK-NOT:     call @seqc_sgemm
// CHECK:         linalg.matmul
// CHECK:         linalg.batch_matmul
func.func @not_f32(%a: memref<4x4xf64>, %c: memref<4x4xf64>, %x: memref<2x4x4xf32>, %y: memref<2x4x4xf32>) {
  linalg.matmul ins(%a, %a : memref<4x4xf64>, memref<4x4xf64>) outs(%c : memref<4x4xf64>)
  linalg.batch_matmul ins(%x, %x : memref<2x4x4xf32>, memref<2x4x4xf32>) outs(%y : memref<2x4x4xf32>)
  return
}
