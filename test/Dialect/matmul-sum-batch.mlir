// RUN: seqc-opt %s -split-input-file | seqc-opt | FileCheck %s

// sum_batch: the products of the batch entries summed, [B, K, M]^T x
// [B, K, N] -> [M, N]; the batch axis is gone from the result.
// CHECK-LABEL: func.func @sum_batch
// CHECK: seq.matmul %{{.*}}, %{{.*}} {sum_batch, transpose_lhs} : tensor<?x?x16xf32>, tensor<?x?x4xf32> -> tensor<16x4xf32>
// CHECK: seq.matmul %{{.*}}, %{{.*}} {sum_batch} : tensor<3x2x5xf32>, tensor<3x5x4xf32> -> tensor<2x4xf32>
func.func @sum_batch(%g: tensor<?x?x16xf32>, %x: tensor<?x?x4xf32>,
                     %a: tensor<3x2x5xf32>, %b: tensor<3x5x4xf32>)
    -> (tensor<16x4xf32>, tensor<2x4xf32>) {
  %0 = seq.matmul %g, %x {sum_batch, transpose_lhs} : tensor<?x?x16xf32>, tensor<?x?x4xf32> -> tensor<16x4xf32>
  %1 = seq.matmul %a, %b {sum_batch} : tensor<3x2x5xf32>, tensor<3x5x4xf32> -> tensor<2x4xf32>
  return %0, %1 : tensor<16x4xf32>, tensor<2x4xf32>
}
