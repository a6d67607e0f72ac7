// RUN: seqc-opt %s | seqc-opt | FileCheck %s
// RUN: seqc-opt %s --mlir-print-op-generic | seqc-opt | FileCheck %s

// The derivative's options of seq.scan survive printing and parsing; at
// their defaults (0) they are not printed.
// CHECK-LABEL: func.func @options
// CHECK: seq.scan inits(%arg0 : tensor<4xf64>) over(%arg1 : tensor<?x4xf64>) attributes {checkpoint = 8 : i64, tbptt = 3 : i64} -> (tensor<4xf64>)
// CHECK: seq.scan reverse inits(%arg0 : tensor<4xf64>) over(%arg1 : tensor<?x4xf64>) attributes {checkpoint = 5 : i64, unroll = 2 : i64} -> (tensor<4xf64>)
// CHECK: seq.scan inits(%arg0 : tensor<4xf64>) over(%arg1 : tensor<?x4xf64>) -> (tensor<4xf64>)
func.func @options(%s0: tensor<4xf64>, %xs: tensor<?x4xf64>)
    -> (tensor<4xf64>, tensor<4xf64>, tensor<4xf64>) {
  %a = seq.scan inits(%s0 : tensor<4xf64>) over(%xs : tensor<?x4xf64>)
      attributes {tbptt = 3 : i64, checkpoint = 8 : i64} -> (tensor<4xf64>) {
  ^bb0(%s: tensor<4xf64>, %x: tensor<4xf64>):
    %n = seq.add %s, %x : tensor<4xf64>, tensor<4xf64> -> tensor<4xf64>
    seq.yield %n : tensor<4xf64>
  }
  %b = seq.scan reverse inits(%s0 : tensor<4xf64>) over(%xs : tensor<?x4xf64>)
      attributes {checkpoint = 5 : i64, unroll = 2 : i64} -> (tensor<4xf64>) {
  ^bb0(%s: tensor<4xf64>, %x: tensor<4xf64>):
    %n = seq.add %s, %x : tensor<4xf64>, tensor<4xf64> -> tensor<4xf64>
    seq.yield %n : tensor<4xf64>
  }
  %c = seq.scan inits(%s0 : tensor<4xf64>) over(%xs : tensor<?x4xf64>)
      attributes {tbptt = 0 : i64, checkpoint = 0 : i64} -> (tensor<4xf64>) {
  ^bb0(%s: tensor<4xf64>, %x: tensor<4xf64>):
    %n = seq.add %s, %x : tensor<4xf64>, tensor<4xf64> -> tensor<4xf64>
    seq.yield %n : tensor<4xf64>
  }
  return %a, %b, %c : tensor<4xf64>, tensor<4xf64>, tensor<4xf64>
}
