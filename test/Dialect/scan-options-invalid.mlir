// RUN: seqc-opt %s -split-input-file -verify-diagnostics

func.func @negative_tbptt(%s0: tensor<4xf64>, %xs: tensor<?x4xf64>) {
  // expected-error @below {{expects tbptt >= 0 (0: off), got -2}}
  %a = seq.scan inits(%s0 : tensor<4xf64>) over(%xs : tensor<?x4xf64>)
      attributes {tbptt = -2 : i64} -> (tensor<4xf64>) {
  ^bb0(%s: tensor<4xf64>, %x: tensor<4xf64>):
    seq.yield %x : tensor<4xf64>
  }
  return
}

// -----

func.func @negative_checkpoint(%s0: tensor<4xf64>, %xs: tensor<?x4xf64>) {
  // expected-error @below {{expects checkpoint >= 0 (0: save every state), got -1}}
  %a = seq.scan inits(%s0 : tensor<4xf64>) over(%xs : tensor<?x4xf64>)
      attributes {checkpoint = -1 : i64} -> (tensor<4xf64>) {
  ^bb0(%s: tensor<4xf64>, %x: tensor<4xf64>):
    seq.yield %x : tensor<4xf64>
  }
  return
}

// -----

func.func @not_an_integer(%s0: tensor<4xf64>, %xs: tensor<?x4xf64>) {
  // expected-error @+2 {{attribute 'checkpoint' failed to satisfy constraint: 64-bit signless integer attribute}}
  %a = seq.scan inits(%s0 : tensor<4xf64>) over(%xs : tensor<?x4xf64>)
      attributes {checkpoint = 2.0 : f64} -> (tensor<4xf64>) {
  ^bb0(%s: tensor<4xf64>, %x: tensor<4xf64>):
    seq.yield %x : tensor<4xf64>
  }
  return
}
