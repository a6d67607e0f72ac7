// RUN: seqc-opt %s | seqc-opt | FileCheck %s
// RUN: seqc-opt %s --mlir-print-op-generic | seqc-opt | FileCheck %s

// CHECK-LABEL: func.func @unary
func.func @unary(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // CHECK: %[[A:.*]] = seq.neg %{{.*}} : tensor<?x4xf32>
  %0 = seq.neg %x : tensor<?x4xf32>
  // CHECK: %[[B:.*]] = seq.sigmoid %[[A]] : tensor<?x4xf32>
  %1 = seq.sigmoid %0 : tensor<?x4xf32>
  // CHECK: %[[C:.*]] = seq.tanh %[[B]] : tensor<?x4xf32>
  %2 = seq.tanh %1 : tensor<?x4xf32>
  // CHECK: %[[D:.*]] = seq.relu %[[C]] : tensor<?x4xf32>
  %3 = seq.relu %2 : tensor<?x4xf32>
  // CHECK: %[[E:.*]] = seq.exp %[[D]] : tensor<?x4xf32>
  %4 = seq.exp %3 : tensor<?x4xf32>
  // CHECK: %[[F:.*]] = seq.log %[[E]] : tensor<?x4xf32>
  %5 = seq.log %4 : tensor<?x4xf32>
  // CHECK: %[[G:.*]] = seq.sqrt %[[F]] : tensor<?x4xf32>
  %6 = seq.sqrt %5 : tensor<?x4xf32>
  // CHECK: %[[H:.*]] = seq.abs %[[G]] : tensor<?x4xf32>
  %7 = seq.abs %6 : tensor<?x4xf32>
  // CHECK: %[[I:.*]] = seq.leaky_relu %[[H]] alpha = 1.000000e-02 : tensor<?x4xf32>
  %8 = seq.leaky_relu %7 alpha = 0.01 : tensor<?x4xf32>
  // CHECK: %[[J:.*]] = seq.elu %[[I]] alpha = 1.000000e+00 : tensor<?x4xf32>
  %9 = seq.elu %8 alpha = 1.0 : tensor<?x4xf32>
  // CHECK: return %[[J]]
  return %9 : tensor<?x4xf32>
}

// CHECK-LABEL: func.func @unary_f64
func.func @unary_f64(%x: tensor<3xf64>) -> tensor<3xf64> {
  // CHECK: seq.tanh %{{.*}} : tensor<3xf64>
  %0 = seq.tanh %x : tensor<3xf64>
  return %0 : tensor<3xf64>
}

// CHECK-LABEL: func.func @binary
func.func @binary(%x: tensor<?x4xf32>, %b: tensor<4xf32>, %c: tensor<?x1xf32>)
    -> tensor<?x4xf32> {
  // CHECK: seq.add %{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  %0 = seq.add %x, %b : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  // CHECK: seq.sub %{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<?x1xf32> -> tensor<?x4xf32>
  %1 = seq.sub %0, %c : tensor<?x4xf32>, tensor<?x1xf32> -> tensor<?x4xf32>
  // CHECK: seq.mul %{{.*}}, %{{.*}} : tensor<4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  %2 = seq.mul %b, %1 : tensor<4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  // CHECK: seq.div %{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  %3 = seq.div %2, %x : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  return %3 : tensor<?x4xf32>
}

// CHECK-LABEL: func.func @matmul
func.func @matmul(%x: tensor<?x4xf32>, %w: tensor<16x4xf32>, %v: tensor<4x16xf32>,
                  %b: tensor<?x3x4xf32>, %bt: tensor<?x4x3xf32>)
    -> (tensor<?x16xf32>, tensor<?x16xf32>, tensor<4x4xf32>, tensor<?x3x16xf32>,
        tensor<?x3x3xf32>) {
  // CHECK: seq.matmul %{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<4x16xf32> -> tensor<?x16xf32>
  %0 = seq.matmul %x, %v : tensor<?x4xf32>, tensor<4x16xf32> -> tensor<?x16xf32>
  // CHECK: seq.matmul %{{.*}}, %{{.*}} {transpose_rhs} : tensor<?x4xf32>, tensor<16x4xf32> -> tensor<?x16xf32>
  %1 = seq.matmul %x, %w {transpose_rhs} : tensor<?x4xf32>, tensor<16x4xf32> -> tensor<?x16xf32>
  // CHECK: seq.matmul %{{.*}}, %{{.*}} {transpose_lhs} : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<4x4xf32>
  %2 = seq.matmul %x, %x {transpose_lhs} : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<4x4xf32>
  // CHECK: seq.matmul %{{.*}}, %{{.*}} : tensor<?x3x4xf32>, tensor<4x16xf32> -> tensor<?x3x16xf32>
  %3 = seq.matmul %b, %v : tensor<?x3x4xf32>, tensor<4x16xf32> -> tensor<?x3x16xf32>
  // CHECK: seq.matmul %{{.*}}, %{{.*}} {transpose_lhs, transpose_rhs} : tensor<?x4x3xf32>, tensor<?x3x4xf32> -> tensor<?x3x3xf32>
  %4 = seq.matmul %bt, %b {transpose_lhs, transpose_rhs} : tensor<?x4x3xf32>, tensor<?x3x4xf32> -> tensor<?x3x3xf32>
  return %0, %1, %2, %3, %4 : tensor<?x16xf32>, tensor<?x16xf32>, tensor<4x4xf32>, tensor<?x3x16xf32>, tensor<?x3x3xf32>
}

// CHECK-LABEL: func.func @shapes
func.func @shapes(%x: tensor<?x4xf32>, %y: tensor<?x6xf32>, %e: tensor<10x8xf32>,
                  %ids: tensor<?x5xi64>)
    -> (tensor<4x?xf32>, tensor<?x10xf32>, tensor<?x2xf32>, tensor<?x2xf32>,
        tensor<?x4xf32>, tensor<?x5x8xf32>) {
  // CHECK: seq.transpose %{{.*}} [1, 0] : tensor<?x4xf32> -> tensor<4x?xf32>
  %0 = seq.transpose %x [1, 0] : tensor<?x4xf32> -> tensor<4x?xf32>
  // CHECK: seq.concat %{{.*}}, %{{.*}} axis = 1 : tensor<?x4xf32>, tensor<?x6xf32> -> tensor<?x10xf32>
  %1 = seq.concat %x, %y axis = 1 : tensor<?x4xf32>, tensor<?x6xf32> -> tensor<?x10xf32>
  // CHECK: seq.slice %{{.*}} axis = 1 start = 1 size = 2 : tensor<?x4xf32> -> tensor<?x2xf32>
  %2 = seq.slice %x axis = 1 start = 1 size = 2 : tensor<?x4xf32> -> tensor<?x2xf32>
  // CHECK: seq.maxout %{{.*}} k = 2 : tensor<?x4xf32> -> tensor<?x2xf32>
  %3 = seq.maxout %x k = 2 : tensor<?x4xf32> -> tensor<?x2xf32>
  // CHECK: %[[E:.*]] = seq.expand_dims %{{.*}} axis = 1 : tensor<?x4xf32> -> tensor<?x1x4xf32>
  %4 = seq.expand_dims %x axis = 1 : tensor<?x4xf32> -> tensor<?x1x4xf32>
  // CHECK: seq.squeeze %[[E]] axis = 1 : tensor<?x1x4xf32> -> tensor<?x4xf32>
  %5 = seq.squeeze %4 axis = 1 : tensor<?x1x4xf32> -> tensor<?x4xf32>
  // CHECK: seq.gather %{{.*}}[%{{.*}}] : tensor<10x8xf32>, tensor<?x5xi64> -> tensor<?x5x8xf32>
  %6 = seq.gather %e[%ids] : tensor<10x8xf32>, tensor<?x5xi64> -> tensor<?x5x8xf32>
  return %0, %1, %2, %3, %5, %6 : tensor<4x?xf32>, tensor<?x10xf32>, tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x4xf32>, tensor<?x5x8xf32>
}

// CHECK-LABEL: func.func @softmax_and_reductions
func.func @softmax_and_reductions(%x: tensor<?x4xf32>)
    -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<4xf32>, tensor<?xf32>, tensor<f32>) {
  // CHECK: seq.softmax %{{.*}} axis = 1 : tensor<?x4xf32>
  %0 = seq.softmax %x axis = 1 : tensor<?x4xf32>
  // CHECK: seq.log_softmax %{{.*}} axis = 1 : tensor<?x4xf32>
  %1 = seq.log_softmax %x axis = 1 : tensor<?x4xf32>
  // CHECK: seq.reduce_sum %{{.*}} [0] : tensor<?x4xf32> -> tensor<4xf32>
  %2 = seq.reduce_sum %x [0] : tensor<?x4xf32> -> tensor<4xf32>
  // CHECK: seq.reduce_max %{{.*}} [1] : tensor<?x4xf32> -> tensor<?xf32>
  %3 = seq.reduce_max %x [1] : tensor<?x4xf32> -> tensor<?xf32>
  // CHECK: seq.reduce_mean %{{.*}} [0, 1] : tensor<?x4xf32> -> tensor<f32>
  %4 = seq.reduce_mean %x [0, 1] : tensor<?x4xf32> -> tensor<f32>
  return %0, %1, %2, %3, %4 : tensor<?x4xf32>, tensor<?x4xf32>, tensor<4xf32>, tensor<?xf32>, tensor<f32>
}

// CHECK-LABEL: func.func @derivative_ops
func.func @derivative_ops(%x: tensor<?x4xf32>, %b: tensor<4xf32>, %ids: tensor<?xi64>)
    -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>,
        tensor<?x7xf32>, tensor<10x4xf32>, tensor<?x5xf32>) {
  // CHECK: seq.step %{{.*}} : tensor<?x4xf32>
  %0 = seq.step %x : tensor<?x4xf32>
  // CHECK: seq.sign %{{.*}} : tensor<?x4xf32>
  %1 = seq.sign %x : tensor<?x4xf32>
  // CHECK: seq.equal %{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  %2 = seq.equal %x, %b : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  // CHECK: seq.broadcast_like %{{.*}}, %{{.*}} : tensor<4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  %3 = seq.broadcast_like %b, %x : tensor<4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  // CHECK: seq.pad %{{.*}} axis = 1 before = 1 after = 2 : tensor<?x4xf32> -> tensor<?x7xf32>
  %4 = seq.pad %x axis = 1 before = 1 after = 2 : tensor<?x4xf32> -> tensor<?x7xf32>
  // CHECK: seq.scatter_add %{{.*}}[%{{.*}}] rows = 10 : tensor<?x4xf32>, tensor<?xi64> -> tensor<10x4xf32>
  %5 = seq.scatter_add %x[%ids] rows = 10 : tensor<?x4xf32>, tensor<?xi64> -> tensor<10x4xf32>
  // CHECK: seq.one_hot %{{.*}} depth = 5 : tensor<?xi64> -> tensor<?x5xf32>
  %6 = seq.one_hot %ids depth = 5 : tensor<?xi64> -> tensor<?x5xf32>
  return %0, %1, %2, %3, %4, %5, %6 : tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x7xf32>, tensor<10x4xf32>, tensor<?x5xf32>
}

// CHECK-LABEL: func.func @adam_update
// CHECK: %{{.*}}, %{{.*}}, %{{.*}} = seq.adam_update %arg0, %arg1, %arg2, %arg3 lr %arg4 bias(%arg4, %arg4) scale %arg4 {beta1 = 9.000000e-01 : f64, beta2 = 5.000000e-01 : f64, epsilon = 1.000000e-08 : f64} : tensor<3x4xf32>, tensor<f32>
func.func @adam_update(%p: tensor<3x4xf32>, %g: tensor<3x4xf32>, %m: tensor<3x4xf32>, %v: tensor<3x4xf32>, %s: tensor<f32>) -> tensor<3x4xf32> {
  %0:3 = seq.adam_update %p, %g, %m, %v lr %s bias(%s, %s) scale %s {beta1 = 0.9 : f64, beta2 = 0.5 : f64, epsilon = 1.0e-8 : f64} : tensor<3x4xf32>, tensor<f32>
  return %0#0 : tensor<3x4xf32>
}
