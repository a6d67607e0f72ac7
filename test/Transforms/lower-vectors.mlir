// RUN: seqc-opt %s --seqc-lower-vectors --canonicalize -split-input-file | FileCheck %s

// A register-tile step on buffers: the accumulator's loads and stores leave
// the K loop, and the contraction becomes one broadcast and FMA per row.
// CHECK-LABEL: func.func @matmul_kernel
// CHECK-SAME:    (%[[A:.*]]: memref<8x64xf32>, %[[B:.*]]: memref<64x32xf32>, %[[C:.*]]: memref<8x32xf32>)
// CHECK-COUNT-8: vector.load %[[C]]
// CHECK:         %[[R:.*]] = scf.for {{.*}} iter_args(%[[ACC:.*]] = %{{.*}}) -> (vector<8x32xf32>)
// CHECK-NOT:       vector.load %[[C]]
// CHECK-COUNT-8:   memref.load %[[A]]
// CHECK:           %[[ROW:.*]] = vector.load %[[B]][%{{.*}}, %{{.*}}] : memref<64x32xf32>, vector<32xf32>
// CHECK:           %[[A0:.*]] = vector.splat %{{.*}} : vector<32xf32>
// CHECK:           %[[C0:.*]] = vector.extract %[[ACC]][0] : vector<32xf32> from vector<8x32xf32>
// CHECK:           vector.fma %[[A0]], %[[ROW]], %[[C0]] : vector<32xf32>
// CHECK-COUNT-7:   vector.fma
// CHECK-NOT:       vector.store
// CHECK:           scf.yield
// CHECK-COUNT-8: vector.store %{{.*}}, %[[C]]
#a = affine_map<(m, n, k) -> (m, k)>
#b = affine_map<(m, n, k) -> (k, n)>
#c = affine_map<(m, n, k) -> (m, n)>
func.func @matmul_kernel(%A: memref<8x64xf32>, %B: memref<64x32xf32>, %C: memref<8x32xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %pad = arith.constant 0.0 : f32
  scf.for %k = %c0 to %c64 step %c1 {
    %acc = vector.transfer_read %C[%c0, %c0], %pad {in_bounds = [true, true]} : memref<8x32xf32>, vector<8x32xf32>
    %a = vector.transfer_read %A[%c0, %k], %pad {in_bounds = [true, true]} : memref<8x64xf32>, vector<8x1xf32>
    %b = vector.transfer_read %B[%k, %c0], %pad {in_bounds = [true, true]} : memref<64x32xf32>, vector<1x32xf32>
    %r = vector.contract {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %a, %b, %acc : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
    vector.transfer_write %r, %C[%c0, %c0] {in_bounds = [true, true]} : vector<8x32xf32>, memref<8x32xf32>
  }
  return
}

// -----

// Row reductions: one horizontal reduction per 16-lane row.
// CHECK-LABEL: func.func @row_max
// CHECK-COUNT-4: vector.load %{{.*}} : memref<4x16xf32>, vector<16xf32>
// CHECK-COUNT-4: vector.reduction <maximumf>, %{{.*}}, %{{.*}} : vector<16xf32> into f32
// CHECK-NOT:     vector.multi_reduction
func.func @row_max(%x: memref<4x16xf32>, %out: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %pad = arith.constant 0.0 : f32
  %v = vector.transfer_read %x[%c0, %c0], %pad {in_bounds = [true, true]} : memref<4x16xf32>, vector<4x16xf32>
  %init = vector.transfer_read %out[%c0], %pad {in_bounds = [true]} : memref<4xf32>, vector<4xf32>
  %m = vector.multi_reduction <maximumf>, %v, %init [1] : vector<4x16xf32> to vector<4xf32>
  vector.transfer_write %m, %out[%c0] {in_bounds = [true]} : vector<4xf32>, memref<4xf32>
  return
}

// -----

// A 16 x 16 transposing read: 16 row loads, an in-register transpose by
// shuffles, 16 row stores; no element-by-element copy.
// CHECK-LABEL: func.func @transpose_tile
// CHECK-COUNT-16: vector.load %{{.*}} : memref<16x16xf32>, vector<16xf32>
// CHECK:          vector.shuffle
// CHECK-COUNT-16: vector.store %{{.*}} : memref<16x16xf32>, vector<16xf32>
// CHECK-NOT:      memref.load
func.func @transpose_tile(%x: memref<16x16xf32>, %y: memref<16x16xf32>) {
  %c0 = arith.constant 0 : index
  %pad = arith.constant 0.0 : f32
  %v = vector.transfer_read %x[%c0, %c0], %pad {in_bounds = [true, true], permutation_map = affine_map<(d0, d1) -> (d1, d0)>} : memref<16x16xf32>, vector<16x16xf32>
  vector.transfer_write %v, %y[%c0, %c0] {in_bounds = [true, true]} : vector<16x16xf32>, memref<16x16xf32>
  return
}
