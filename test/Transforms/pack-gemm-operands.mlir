// seqc-pack-gemm-operands: the right operand of a GEMM call inside loops
// that neither define nor write it is packed once before the outermost such
// loop, the calls read the packed buffer, and it is freed after the loop.
// RUN: seqc-opt %s --split-input-file --seqc-gemm-to-call --seqc-pack-gemm-operands | FileCheck %s

// The recurrence h = h W^T of a time loop, and a second product with the
// same weights: one packing serves both.
// CHECK:       func.func private @seqc_sgemm_packed(memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?xf32>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64) attributes {llvm.emit_c_interface}
// CHECK:       func.func private @seqc_pack_gemm_operand(memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?xf32>, i64) attributes {llvm.emit_c_interface}
// CHECK:       func.func private @seqc_packed_gemm_size(i64, i64) -> i64
// CHECK-LABEL: func.func @recurrence
// CHECK-SAME:    (%[[H:.*]]: memref<8x16xf32>, %[[W:.*]]: memref<32x16xf32>, %[[C:.*]]: memref<8x32xf32>
// CHECK-DAG:     %[[N:.*]] = memref.dim %[[W]], %c0{{.*}} : memref<32x16xf32>
// CHECK-DAG:     %[[K:.*]] = memref.dim %[[W]], %c1{{.*}} : memref<32x16xf32>
// CHECK-DAG:     %[[K64:.*]] = arith.index_cast %[[K]] : index to i64
// CHECK-DAG:     %[[N64:.*]] = arith.index_cast %[[N]] : index to i64
// CHECK:         %[[SIZE:.*]] = call @seqc_packed_gemm_size(%[[K64]], %[[N64]])
// CHECK:         %[[COUNT:.*]] = arith.index_cast %[[SIZE]] : i64 to index
// CHECK:         %[[PACKED:.*]] = memref.alloc(%[[COUNT]]) : memref<?xf32>
// CHECK:         %[[TRANSPOSED:.*]] = arith.constant 2 : i64
// CHECK:         %[[WCAST:.*]] = memref.cast %[[W]]
// CHECK:         call @seqc_pack_gemm_operand(%[[WCAST]], %[[PACKED]], %[[TRANSPOSED]])
// CHECK:         scf.for
// CHECK-NOT:       call @seqc_sgemm(
// CHECK:           call @seqc_sgemm_packed({{.*}}, %[[PACKED]], {{.*}})
// CHECK:           call @seqc_sgemm_packed({{.*}}, %[[PACKED]], {{.*}})
// CHECK:         }
// CHECK-NEXT:    memref.dealloc %[[PACKED]] : memref<?xf32>
// CHECK-NOT:     call @seqc_pack_gemm_operand
func.func @recurrence(%h: memref<8x16xf32>, %w: memref<32x16xf32>, %c: memref<8x32xf32>, %d: memref<8x32xf32>, %steps: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %t = %c0 to %steps step %c1 {
    linalg.matmul_transpose_b ins(%h, %w : memref<8x16xf32>, memref<32x16xf32>) outs(%c : memref<8x32xf32>)
    linalg.matmul_transpose_b ins(%h, %w : memref<8x16xf32>, memref<32x16xf32>) outs(%d : memref<8x32xf32>)
  }
  return
}

// -----

// Nested loops (a recomputed segment inside the loop over segments): the
// packing leaves both. A product outside any loop, and one whose operand
// is read row by row (not transposed: oneDNN packs it cheaply), are left
// alone.
// CHECK-LABEL: func.func @nested
// CHECK:         call @seqc_pack_gemm_operand
// CHECK-NEXT:    scf.for
// CHECK-NEXT:      scf.for
// CHECK-NEXT:        arith.constant 6 : i64
// CHECK-NEXT:        memref.cast %arg0
// CHECK-NEXT:        memref.cast %arg3
// CHECK-NEXT:        call @seqc_sgemm_packed
// CHECK:         memref.dealloc
// CHECK:         call @seqc_sgemm(
// CHECK:         scf.for
// CHECK-NEXT:      arith.constant 4 : i64
// CHECK:           call @seqc_sgemm(
func.func @nested(%h: memref<8x16xf32>, %w: memref<32x16xf32>, %v: memref<16x32xf32>, %c: memref<8x32xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    scf.for %j = %c0 to %n step %c1 {
      linalg.matmul_transpose_b ins(%h, %w : memref<8x16xf32>, memref<32x16xf32>) outs(%c : memref<8x32xf32>)
    }
  }
  linalg.matmul_transpose_b ins(%h, %w : memref<8x16xf32>, memref<32x16xf32>) outs(%c : memref<8x32xf32>)
  scf.for %i = %c0 to %n step %c1 {
    linalg.matmul ins(%h, %v : memref<8x16xf32>, memref<16x32xf32>) outs(%c : memref<8x32xf32>)
  }
  return
}

// -----

// Operands that change in the loop are not packed: written by a fill, the C
// of another product, a view of a buffer written through another view, a
// buffer allocated inside the loop, or passed to an unknown call.
// CHECK-LABEL: func.func @changing
// CHECK-NOT:     seqc_pack_gemm_operand
// CHECK-NOT:     seqc_sgemm_packed
// CHECK:         return
func.func private @unknown(memref<32x16xf32>)
func.func @changing(%h: memref<8x16xf32>, %w: memref<32x16xf32>, %v: memref<32x16xf32>,
                    %big: memref<64x16xf32>, %u: memref<32x16xf32>, %c: memref<8x32xf32>,
                    %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1.0 : f32
  scf.for %i = %c0 to %n step %c1 {
    linalg.matmul_transpose_b ins(%h, %w : memref<8x16xf32>, memref<32x16xf32>) outs(%c : memref<8x32xf32>)
    linalg.fill ins(%one : f32) outs(%w : memref<32x16xf32>)
  }
  scf.for %i = %c0 to %n step %c1 {
    linalg.matmul_transpose_b ins(%h, %v : memref<8x16xf32>, memref<32x16xf32>) outs(%c : memref<8x32xf32>)
    linalg.matmul_transpose_a ins(%c, %h : memref<8x32xf32>, memref<8x16xf32>) outs(%v : memref<32x16xf32>)
  }
  %top = memref.subview %big[0, 0] [32, 16] [1, 1] : memref<64x16xf32> to memref<32x16xf32, strided<[16, 1]>>
  %bottom = memref.subview %big[32, 0] [32, 16] [1, 1] : memref<64x16xf32> to memref<32x16xf32, strided<[16, 1], offset: 512>>
  scf.for %i = %c0 to %n step %c1 {
    linalg.matmul_transpose_b ins(%h, %top : memref<8x16xf32>, memref<32x16xf32, strided<[16, 1]>>) outs(%c : memref<8x32xf32>)
    linalg.fill ins(%one : f32) outs(%bottom : memref<32x16xf32, strided<[16, 1], offset: 512>>)
  }
  scf.for %i = %c0 to %n step %c1 {
    %fresh = memref.alloc() : memref<32x16xf32>
    linalg.matmul_transpose_b ins(%h, %fresh : memref<8x16xf32>, memref<32x16xf32>) outs(%c : memref<8x32xf32>)
    memref.dealloc %fresh : memref<32x16xf32>
  }
  scf.for %i = %c0 to %n step %c1 {
    linalg.matmul_transpose_b ins(%h, %u : memref<8x16xf32>, memref<32x16xf32>) outs(%c : memref<8x32xf32>)
    func.call @unknown(%u) : (memref<32x16xf32>) -> ()
  }
  return
}
