// The seq dialect verifies its attributes (seq.param, seq.updates, ...)
// wherever they appear, before any pass reads them.
// RUN: seqc-opt %s -split-input-file -verify-diagnostics

// expected-error @below {{result #0: updates argument #0 of type 'tensor<8xf32>' with a value of type 'tensor<4xf32>'}}
func.func @other_type(%p: tensor<8xf32>) -> (tensor<4xf32> {seq.updates = 0 : i64}) {
  %0 = arith.constant dense<0.0> : tensor<4xf32>
  %1 = seq.neg %0 : tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// expected-error @below {{result #1: updates argument #3, but the function has 1 arguments}}
func.func @no_such_argument(%p: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32> {seq.updates = 3 : i64}) {
  %0 = seq.neg %p : tensor<8xf32>
  return %0, %0 : tensor<8xf32>, tensor<8xf32>
}

// -----

// expected-error @below {{result #1: updates argument #0, which result #0 updates too}}
func.func @updated_twice(%p: tensor<8xf32>) -> (tensor<8xf32> {seq.updates = 0 : i64}, tensor<8xf32> {seq.updates = 0 : i64}) {
  %0 = seq.neg %p : tensor<8xf32>
  return %0, %0 : tensor<8xf32>, tensor<8xf32>
}

// -----

// expected-error @below {{result #0: 'seq.updates' must be an integer argument index, got "p"}}
func.func @not_an_index(%p: tensor<8xf32>) -> (tensor<8xf32> {seq.updates = "p"}) {
  %0 = seq.neg %p : tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

// expected-error @below {{argument #0: 'seq.param' must be a string, got 3 : i64}}
func.func @param_not_a_name(%p: tensor<8xf32> {seq.param = 3 : i64}) -> tensor<8xf32> {
  %0 = seq.neg %p : tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

// expected-error @below {{argument #0: 'seq.init' must be a dictionary, got "zeros"}}
func.func @init_not_a_dictionary(%p: tensor<8xf32> {seq.param = "p", seq.init = "zeros"}) -> tensor<8xf32> {
  %0 = seq.neg %p : tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

// expected-error @below {{argument #0: unknown argument attribute 'seq.parm'}}
func.func @misspelled(%p: tensor<8xf32> {seq.parm = "p"}) -> tensor<8xf32> {
  %0 = seq.neg %p : tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

// expected-error @below {{result #0: 'seq.grad_of' must be a string, got 1 : i64}}
func.func @grad_of_not_a_name(%p: tensor<8xf32>) -> (tensor<8xf32> {seq.grad_of = 1 : i64}) {
  %0 = seq.neg %p : tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

// expected-error @below {{'seq.model' must be a string, got 1 : i64}}
module attributes {seq.model = 1 : i64} {
  func.func @f(%p: tensor<8xf32>) -> tensor<8xf32> {
    %0 = seq.neg %p : tensor<8xf32>
    return %0 : tensor<8xf32>
  }
}

// -----

// expected-error @below {{'seq.model' is only for modules}}
func.func @model_on_a_function(%p: tensor<8xf32>) -> tensor<8xf32> attributes {seq.model = "M"} {
  %0 = seq.neg %p : tensor<8xf32>
  return %0 : tensor<8xf32>
}
