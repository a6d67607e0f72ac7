// RUN: seqc-opt %s --seqc-vectorize -split-input-file | FileCheck %s
// RUN: seqc-opt %s --seqc-vectorize=vector-width=8 -split-input-file | FileCheck %s --check-prefix=WIDTH8

// A matmul becomes an 8 x 32 register tile (two 16-lane vectors per row)
// whose accumulator lives in registers across the K loop: one rank-1 update
// (vector.contract of 8x1 by 1x32) per step, written back once. The batch
// rows are peeled: full tiles of 8 first, then the rest row by row.
// CHECK-LABEL: func.func @matmul
// CHECK-SAME:    (%[[A:.*]]: tensor<?x64xf32>, %[[B:.*]]: tensor<64x48xf32>)
// CHECK-DAG:     %[[ZEROS:.*]] = arith.constant dense<0.000000e+00> : vector<8x32xf32>
// CHECK-DAG:     %[[C8:.*]] = arith.constant 8 : index
// CHECK-DAG:     %[[C64:.*]] = arith.constant 64 : index
// CHECK:         %[[FULL:.*]] = affine.apply #{{.*}}()[%{{.*}}]
// CHECK:         scf.for %{{.*}} = %{{.*}} to %[[FULL]] step %[[C8]]
// CHECK:           tensor.extract_slice %[[A]][%{{.*}}, 0] [8, 64] [1, 1] : tensor<?x64xf32> to tensor<8x64xf32>
// CHECK:           %[[INIT:.*]] = vector.transfer_write %[[ZEROS]]
// CHECK:           %[[RES:.*]]:2 = scf.for %{{.*}} = %{{.*}} to %[[C64]] step %{{.*}} iter_args(%{{.*}} = %[[INIT]], %[[ACC:.*]] = %{{.*}}) -> (tensor<8x32xf32>, vector<8x32xf32>)
// CHECK:             %[[LHS:.*]] = vector.transfer_read {{.*}} : tensor<8x1xf32>, vector<8x1xf32>
// CHECK:             %[[RHS:.*]] = vector.transfer_read {{.*}} : tensor<1x32xf32>, vector<1x32xf32>
// CHECK:             %[[NEW:.*]] = vector.contract {{.*}} %[[LHS]], %[[RHS]], %[[ACC]] : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// CHECK:             scf.yield %{{.*}}, %[[NEW]]
// CHECK:           vector.transfer_write %[[RES]]#1
// The 16 columns left over get an 8 x 16 tile.
// CHECK:           vector.contract {{.*}} : vector<8x1xf32>, vector<1x16xf32> into vector<8x16xf32>
// Remainder rows: one row at a time, its accumulators still in registers
// across the K loop.
// CHECK:         scf.for %{{.*}} = %[[FULL]] to %{{.*}} step %[[C8]]
// CHECK:           scf.for {{.*}} -> (tensor<?x32xf32>)
// CHECK:             scf.for {{.*}} -> ({{.*}}vector<1x32xf32>)
// CHECK:               vector.contract {{.*}} : vector<1x1xf32>, vector<1x32xf32> into vector<1x32xf32>
// CHECK:           vector.contract {{.*}} : vector<1x1xf32>, vector<1x16xf32> into vector<1x16xf32>
// CHECK-NOT:     linalg.matmul
// CHECK-NOT:     vector.mask

// WIDTH8-LABEL: func.func @matmul
// WIDTH8:         vector.contract {{.*}} : vector<8x1xf32>, vector<1x16xf32> into vector<8x16xf32>
func.func @matmul(%a: tensor<?x64xf32>, %b: tensor<64x48xf32>) -> tensor<?x48xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %m = tensor.dim %a, %c0 : tensor<?x64xf32>
  %e = tensor.empty(%m) : tensor<?x48xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<?x48xf32>) -> tensor<?x48xf32>
  %r = linalg.matmul ins(%a, %b : tensor<?x64xf32>, tensor<64x48xf32>) outs(%acc : tensor<?x48xf32>) -> tensor<?x48xf32>
  return %r : tensor<?x48xf32>
}

// -----

// x @ W^T: W is transposed once into [K, N] so that the K loop reads rows;
// the transpose goes by 16 x 16 tiles, transposed in registers.
// CHECK-LABEL: func.func @matmul_transpose_b
// CHECK-SAME:    (%[[X:.*]]: tensor<?x32xf32>, %[[W:.*]]: tensor<16x32xf32>)
// CHECK:         %[[PACKED:.*]] = scf.for {{.*}} -> (tensor<32x16xf32>)
// CHECK:           tensor.extract_slice %[[W]][0, %{{.*}}] [16, 16] [1, 1]
// CHECK:           vector.transfer_read {{.*}} permutation_map = #{{.*}}} : tensor<16x16xf32>, vector<16x16xf32>
// CHECK:         scf.for
// CHECK:           tensor.extract_slice %[[PACKED]][%{{.*}}, 0] [1, 16] [1, 1] : tensor<32x16xf32> to tensor<1x16xf32>
// CHECK:           vector.contract {{.*}} : vector<8x1xf32>, vector<1x16xf32> into vector<8x16xf32>
// CHECK-NOT:     linalg.matmul_transpose_b
func.func @matmul_transpose_b(%x: tensor<?x32xf32>, %w: tensor<16x32xf32>) -> tensor<?x16xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %m = tensor.dim %x, %c0 : tensor<?x32xf32>
  %e = tensor.empty(%m) : tensor<?x16xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<?x16xf32>) -> tensor<?x16xf32>
  %r = linalg.matmul_transpose_b ins(%x, %w : tensor<?x32xf32>, tensor<16x32xf32>) outs(%acc : tensor<?x16xf32>) -> tensor<?x16xf32>
  return %r : tensor<?x16xf32>
}

// -----

// Elementwise: one 16-lane vector per step along the last axis; the 37 % 16
// columns left over are one static 5-lane vector.
// CHECK-LABEL: func.func @elementwise
// CHECK:         scf.for
// CHECK:           scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}}
// CHECK:             %[[X:.*]] = vector.transfer_read {{.*}} : tensor<1x16xf32>, vector<1x16xf32>
// CHECK:             %[[B:.*]] = vector.transfer_read {{.*}} : tensor<16xf32>, vector<1x16xf32>
// CHECK:             %[[S:.*]] = arith.addf %[[X]], %[[B]] : vector<1x16xf32>
// CHECK:             math.tanh %[[S]] : vector<1x16xf32>
// CHECK:           math.tanh %{{.*}} : vector<1x5xf32>
// CHECK-NOT:     linalg.generic
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
func.func @elementwise(%x: tensor<?x37xf32>, %b: tensor<37xf32>) -> tensor<?x37xf32> {
  %c0 = arith.constant 0 : index
  %m = tensor.dim %x, %c0 : tensor<?x37xf32>
  %e = tensor.empty(%m) : tensor<?x37xf32>
  %r = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %b : tensor<?x37xf32>, tensor<37xf32>) outs(%e : tensor<?x37xf32>) {
  ^bb0(%in: f32, %bias: f32, %out: f32):
    %s = arith.addf %in, %bias : f32
    %t = math.tanh %s : f32
    linalg.yield %t : f32
  } -> tensor<?x37xf32>
  return %r : tensor<?x37xf32>
}

// -----

// A row reduction: each step folds 16 lanes into the row's accumulator.
// CHECK-LABEL: func.func @row_max
// CHECK:         vector.multi_reduction <maximumf>, %{{.*}}, %{{.*}} [1] : vector<1x16xf32> to vector<1xf32>
// CHECK:         vector.multi_reduction <maximumf>, %{{.*}}, %{{.*}} [1] : vector<1x4xf32> to vector<1xf32>
// CHECK-NOT:     linalg.generic
#in = affine_map<(d0, d1) -> (d0, d1)>
#out = affine_map<(d0, d1) -> (d0)>
func.func @row_max(%x: tensor<?x20xf32>, %init: tensor<?xf32>) -> tensor<?xf32> {
  %r = linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<?x20xf32>) outs(%init : tensor<?xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %m = arith.maximumf %v, %acc : f32
    linalg.yield %m : f32
  } -> tensor<?xf32>
  return %r : tensor<?xf32>
}

// -----

// A sum over the batch: the batch loop is innermost and carries 16
// accumulator lanes in a register.
// CHECK-LABEL: func.func @column_sum
// CHECK:         scf.for {{.*}} -> (tensor<35xf32>)
// CHECK:           %[[ACC:.*]] = vector.transfer_read {{.*}} : tensor<16xf32>, vector<16xf32>
// CHECK:           %[[R:.*]]:3 = scf.for {{.*}} iter_args({{.*}}, %[[V:.*]] = %[[ACC]]) -> (tensor<35xf32>, tensor<16xf32>, vector<16xf32>)
// CHECK:             vector.transfer_read {{.*}} : tensor<1x16xf32>, vector<1x16xf32>
// CHECK:             %[[S:.*]] = arith.addf %[[V]], %{{.*}} : vector<16xf32>
// CHECK:             scf.yield %{{.*}}, %{{.*}}, %[[S]]
// CHECK:           vector.transfer_write %[[R]]#2
#in = affine_map<(d0, d1) -> (d0, d1)>
#out = affine_map<(d0, d1) -> (d1)>
func.func @column_sum(%x: tensor<?x35xf32>, %init: tensor<35xf32>) -> tensor<35xf32> {
  %r = linalg.generic {indexing_maps = [#in, #out], iterator_types = ["reduction", "parallel"]}
      ins(%x : tensor<?x35xf32>) outs(%init : tensor<35xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %v, %acc : f32
    linalg.yield %s : f32
  } -> tensor<35xf32>
  return %r : tensor<35xf32>
}

// -----

// What linalg cannot vectorize (here a call in the body) stays a linalg op,
// tiled, and the pass still succeeds.
// CHECK-LABEL: func.func @not_vectorizable
// CHECK:         scf.for
// CHECK:           linalg.generic
// CHECK:             func.call @opaque
func.func private @opaque(f32) -> f32
#id = affine_map<(d0) -> (d0)>
func.func @not_vectorizable(%x: tensor<40xf32>) -> tensor<40xf32> {
  %e = tensor.empty() : tensor<40xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<40xf32>) outs(%e : tensor<40xf32>) {
  ^bb0(%in: f32, %out: f32):
    %c = func.call @opaque(%in) : (f32) -> f32
    linalg.yield %c : f32
  } -> tensor<40xf32>
  return %r : tensor<40xf32>
}

// -----

// The vector width counts f32 lanes: f64 gets 8 lanes, the same 512 bits.
// CHECK-LABEL: func.func @elementwise_f64
// CHECK:         math.exp %{{.*}} : vector<1x8xf64>
// WIDTH8-LABEL: func.func @elementwise_f64
// WIDTH8:         math.exp %{{.*}} : vector<1x4xf64>
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @elementwise_f64(%x: tensor<?x32xf64>) -> tensor<?x32xf64> {
  %c0 = arith.constant 0 : index
  %m = tensor.dim %x, %c0 : tensor<?x32xf64>
  %e = tensor.empty(%m) : tensor<?x32xf64>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<?x32xf64>) outs(%e : tensor<?x32xf64>) {
  ^bb0(%in: f64, %out: f64):
    %t = math.exp %in : f64
    linalg.yield %t : f64
  } -> tensor<?x32xf64>
  return %r : tensor<?x32xf64>
}
