// A result marked seq.updates must name an argument of the result's type.
// RUN: seqc-opt %s --seqc-prepare-bufferization -split-input-file -verify-diagnostics

// expected-error @below {{result #0 updates argument #0, which is not an argument of the result's type}}
func.func @other_type(%p: tensor<8xf32>) -> (tensor<4xf32> {seq.updates = 0 : i64}) {
  %0 = arith.constant dense<0.0> : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// expected-error @below {{result #1 updates argument #3, which is not an argument of the result's type}}
func.func @no_such_argument(%p: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32> {seq.updates = 3 : i64}) {
  return %p, %p : tensor<8xf32>, tensor<8xf32>
}
