// RUN: seqc-opt %s -split-input-file -verify-diagnostics

func.func @no_sequence(%h: tensor<4xf32>) {
  // expected-error @below {{expects at least one sequence: the number of steps is the length of its leading axis}}
  %r = "seq.scan"(%h) <{operandSegmentSizes = array<i32: 1, 0, 0>}> ({
  ^bb0(%s: tensor<4xf32>):
    seq.yield %s : tensor<4xf32>
  }) : (tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @scalar_sequence(%h: tensor<4xf32>, %xs: tensor<f32>) {
  // expected-error @below {{sequence #0 has rank 0; sequences are time-major with a leading time axis}}
  %r = seq.scan inits(%h : tensor<4xf32>) over(%xs : tensor<f32>) -> (tensor<4xf32>) {
  ^bb0(%s: tensor<4xf32>, %x: tensor<f32>):
    seq.yield %s : tensor<4xf32>
  }
  return
}

// -----

func.func @steps_disagree(%xs: tensor<5x2xf32>, %ys: tensor<?x2xf32>, %zs: tensor<6x2xf32>) {
  // expected-error @below {{sequences disagree on the number of steps: 5 and 6 (sequence #2)}}
  %r = seq.scan over(%xs, %ys, %zs : tensor<5x2xf32>, tensor<?x2xf32>, tensor<6x2xf32>) -> (tensor<5x2xf32>) {
  ^bb0(%x: tensor<2xf32>, %y: tensor<2xf32>, %z: tensor<2xf32>):
    seq.yield outs(%x : tensor<2xf32>)
  }
  return
}

// -----

func.func @final_type(%h: tensor<?x4xf32>, %xs: tensor<?x?x4xf32>) {
  // expected-error @below {{final state #0 has type 'tensor<?x5xf32>', but its init has type 'tensor<?x4xf32>'}}
  %r = seq.scan inits(%h : tensor<?x4xf32>) over(%xs : tensor<?x?x4xf32>) -> (tensor<?x5xf32>) {
  ^bb0(%s: tensor<?x4xf32>, %x: tensor<?x4xf32>):
    seq.yield %s : tensor<?x4xf32>
  }
  return
}

// -----

func.func @too_few_results(%h: tensor<4xf32>, %c: tensor<4xf32>, %xs: tensor<?x4xf32>) {
  // expected-error @below {{has 1 results, fewer than its 2 states}}
  %r = seq.scan inits(%h, %c : tensor<4xf32>, tensor<4xf32>) over(%xs : tensor<?x4xf32>) -> (tensor<4xf32>) {
  ^bb0(%s: tensor<4xf32>, %t: tensor<4xf32>, %x: tensor<4xf32>):
    seq.yield %s, %t : tensor<4xf32>, tensor<4xf32>
  }
  return
}

// -----

func.func @unroll_zero(%h: tensor<4xf32>, %xs: tensor<?x4xf32>) {
  // expected-error @below {{expects unroll >= 1, got 0}}
  %r = seq.scan inits(%h : tensor<4xf32>) over(%xs : tensor<?x4xf32>) attributes {unroll = 0 : i64} -> (tensor<4xf32>) {
  ^bb0(%s: tensor<4xf32>, %x: tensor<4xf32>):
    seq.yield %s : tensor<4xf32>
  }
  return
}

// -----

func.func @argument_count(%h: tensor<4xf32>, %xs: tensor<?x4xf32>, %W: tensor<4x4xf32>) {
  // expected-error @below {{body has 2 arguments, expected 3 (1 states, 1 slices, 1 captures)}}
  %r = seq.scan inits(%h : tensor<4xf32>) over(%xs : tensor<?x4xf32>) captures(%W : tensor<4x4xf32>) -> (tensor<4xf32>) {
  ^bb0(%s: tensor<4xf32>, %x: tensor<4xf32>):
    seq.yield %s : tensor<4xf32>
  }
  return
}

// -----

func.func @state_argument(%h: tensor<?x4xf32>, %xs: tensor<?x?x4xf32>) {
  // expected-error @below {{body argument #0 (state #0) has type 'tensor<2x4xf32>', expected the init's type 'tensor<?x4xf32>'}}
  %r = seq.scan inits(%h : tensor<?x4xf32>) over(%xs : tensor<?x?x4xf32>) -> (tensor<?x4xf32>) {
  ^bb0(%s: tensor<2x4xf32>, %x: tensor<?x4xf32>):
    seq.yield %x : tensor<?x4xf32>
  }
  return
}

// -----

func.func @slice_argument(%h: tensor<?x4xf32>, %xs: tensor<?x?x4xf32>) {
  // expected-error @below {{body argument #1 (slice of sequence #0) has type 'tensor<?x?x4xf32>', expected 'tensor<?x4xf32>' (the sequence's type without its time axis)}}
  %r = seq.scan inits(%h : tensor<?x4xf32>) over(%xs : tensor<?x?x4xf32>) -> (tensor<?x4xf32>) {
  ^bb0(%s: tensor<?x4xf32>, %x: tensor<?x?x4xf32>):
    seq.yield %s : tensor<?x4xf32>
  }
  return
}

// -----

func.func @capture_argument(%h: tensor<4xf32>, %xs: tensor<?x4xf32>, %W: tensor<4x4xf32>) {
  // expected-error @below {{body argument #2 (capture #0) has type 'tensor<4x3xf32>', expected 'tensor<4x4xf32>'}}
  %r = seq.scan inits(%h : tensor<4xf32>) over(%xs : tensor<?x4xf32>) captures(%W : tensor<4x4xf32>) -> (tensor<4xf32>) {
  ^bb0(%s: tensor<4xf32>, %x: tensor<4xf32>, %w: tensor<4x3xf32>):
    seq.yield %s : tensor<4xf32>
  }
  return
}

// -----

func.func @yield_state_count(%h: tensor<4xf32>, %xs: tensor<?x4xf32>) {
  %r = seq.scan inits(%h : tensor<4xf32>) over(%xs : tensor<?x4xf32>) -> (tensor<4xf32>) {
  ^bb0(%s: tensor<4xf32>, %x: tensor<4xf32>):
    // expected-error @below {{yields 2 states, expected 1}}
    seq.yield %s, %x : tensor<4xf32>, tensor<4xf32>
  }
  return
}

// -----

func.func @yield_state_type(%h: tensor<?x4xf32>, %xs: tensor<?x3x4xf32>) {
  %r = seq.scan inits(%h : tensor<?x4xf32>) over(%xs : tensor<?x3x4xf32>) -> (tensor<?x4xf32>) {
  ^bb0(%s: tensor<?x4xf32>, %x: tensor<3x4xf32>):
    // expected-error @below {{state #0 has type 'tensor<3x4xf32>', expected the init's type 'tensor<?x4xf32>'}}
    seq.yield %x : tensor<3x4xf32>
  }
  return
}

// -----

func.func @yield_output_count(%h: tensor<4xf32>, %xs: tensor<?x4xf32>) {
  %r:2 = seq.scan inits(%h : tensor<4xf32>) over(%xs : tensor<?x4xf32>) -> (tensor<4xf32>, tensor<?x4xf32>) {
  ^bb0(%s: tensor<4xf32>, %x: tensor<4xf32>):
    // expected-error @below {{yields 0 per-step outputs, but the scan has 1 stacked outputs}}
    seq.yield %s : tensor<4xf32>
  }
  return
}

// -----

func.func @stacked_type(%h: tensor<4xf32>, %xs: tensor<7x4xf32>) {
  // expected-error @below {{stacked output #0 has type 'tensor<?x4xf32>', expected 'tensor<7x4xf32>' (the per-step type with a leading time axis of size 7)}}
  %r:2 = seq.scan inits(%h : tensor<4xf32>) over(%xs : tensor<7x4xf32>) -> (tensor<4xf32>, tensor<?x4xf32>) {
  ^bb0(%s: tensor<4xf32>, %x: tensor<4xf32>):
    seq.yield %s : tensor<4xf32> outs(%x : tensor<4xf32>)
  }
  return
}

// -----

func.func @not_isolated(%h: tensor<4xf32>, %xs: tensor<?x4xf32>, %b: tensor<4xf32>) {
  // expected-note @below {{required by region isolation constraints}}
  %r = seq.scan inits(%h : tensor<4xf32>) over(%xs : tensor<?x4xf32>) -> (tensor<4xf32>) {
  ^bb0(%s: tensor<4xf32>, %x: tensor<4xf32>):
    // expected-error @below {{using value defined outside the region}}
    %n = seq.add %s, %b : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
    seq.yield %n : tensor<4xf32>
  }
  return
}

// -----

func.func @yield_outside(%h: tensor<4xf32>) {
  // expected-error @below {{expects parent op 'seq.scan'}}
  seq.yield %h : tensor<4xf32>
}
