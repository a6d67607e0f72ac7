// RUN: seqc-opt %s -split-input-file -verify-diagnostics

func.func @binary_no_broadcast(%a: tensor<?x4xf32>, %b: tensor<3xf32>) {
  // expected-error @below {{operand shapes [?, 4] and [3] do not broadcast}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.add %a, %b : tensor<?x4xf32>, tensor<3xf32> -> tensor<?x4xf32>
  return
}

// -----

func.func @binary_wrong_result(%a: tensor<?x4xf32>, %b: tensor<4xf32>) {
  // expected-error @below {{inferred type(s) 'tensor<?x4xf32>' are incompatible with return type(s) of operation 'tensor<?x5xf32>'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.mul %a, %b : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x5xf32>
  return
}

// -----

func.func @binary_mixed_types(%a: tensor<4xf32>, %b: tensor<4xf64>) {
  // expected-error @below {{mixes element types 'f32' and 'f64'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.sub %a, %b : tensor<4xf32>, tensor<4xf64> -> tensor<4xf32>
  return
}

// -----

func.func @unary_type_mismatch(%a: tensor<4xf32>) {
  // expected-error @below {{requires the same type for all operands and results}}
  %0 = "seq.tanh"(%a) : (tensor<4xf32>) -> tensor<5xf32>
  return
}

// -----

func.func @unary_integer(%a: tensor<4xi32>) {
  // expected-error @below {{must be ranked tensor of floating-point values}}
  %0 = seq.exp %a : tensor<4xi32>
  return
}

// -----

func.func @matmul_rank(%a: tensor<4xf32>, %b: tensor<4x4xf32>) {
  // expected-error @below {{expects operands of rank 2 or 3, got [4] and [4, 4]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.matmul %a, %b : tensor<4xf32>, tensor<4x4xf32> -> tensor<4xf32>
  return
}

// -----

func.func @matmul_batch(%a: tensor<2x3x4xf32>, %b: tensor<5x4x6xf32>) {
  // expected-error @below {{batch sizes differ: 2 and 5}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.matmul %a, %b : tensor<2x3x4xf32>, tensor<5x4x6xf32> -> tensor<2x3x6xf32>
  return
}

// -----

func.func @matmul_contraction(%a: tensor<?x4xf32>, %b: tensor<16x5xf32>) {
  // expected-error @below {{contraction sizes differ: [?, 4] and [16, 5]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.matmul %a, %b {transpose_rhs} : tensor<?x4xf32>, tensor<16x5xf32> -> tensor<?x16xf32>
  return
}

// -----

func.func @matmul_result(%a: tensor<?x4xf32>, %b: tensor<4x16xf32>) {
  // expected-error @below {{inferred type(s) 'tensor<?x16xf32>' are incompatible with return type(s) of operation 'tensor<?x15xf32>'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.matmul %a, %b : tensor<?x4xf32>, tensor<4x16xf32> -> tensor<?x15xf32>
  return
}

// -----

func.func @transpose_rank(%a: tensor<3x4xf32>) {
  // expected-error @below {{permutation has 3 entries for a tensor of rank 2}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.transpose %a [1, 0, 2] : tensor<3x4xf32> -> tensor<4x3xf32>
  return
}

// -----

func.func @transpose_not_permutation(%a: tensor<3x4xf32>) {
  // expected-error @below {{permutation is not a permutation of [0, 2)}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.transpose %a [1, 1] : tensor<3x4xf32> -> tensor<4x4xf32>
  return
}

// -----

func.func @transpose_result(%a: tensor<3x4xf32>) {
  // expected-error @below {{inferred type(s) 'tensor<4x3xf32>' are incompatible with return type(s) of operation 'tensor<3x4xf32>'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.transpose %a [1, 0] : tensor<3x4xf32> -> tensor<3x4xf32>
  return
}

// -----

func.func @softmax_axis(%a: tensor<?x4xf32>) {
  // expected-error @below {{axis 2 is out of range for rank 2}}
  %0 = seq.softmax %a axis = 2 : tensor<?x4xf32>
  return
}

// -----

func.func @log_softmax_axis(%a: tensor<?x4xf32>) {
  // expected-error @below {{axis -1 is out of range for rank 2}}
  %0 = seq.log_softmax %a axis = -1 : tensor<?x4xf32>
  return
}

// -----

func.func @maxout_scalar(%a: tensor<f32>) {
  // expected-error @below {{expects a tensor of rank at least 1}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.maxout %a k = 2 : tensor<f32> -> tensor<f32>
  return
}

// -----

func.func @maxout_k(%a: tensor<?x4xf32>) {
  // expected-error @below {{expects k >= 1, got 0}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.maxout %a k = 0 : tensor<?x4xf32> -> tensor<?x4xf32>
  return
}

// -----

func.func @maxout_divisible(%a: tensor<?x5xf32>) {
  // expected-error @below {{last axis of size 5 is not divisible by k = 2}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.maxout %a k = 2 : tensor<?x5xf32> -> tensor<?x2xf32>
  return
}

// -----

func.func @maxout_result(%a: tensor<?x6xf32>) {
  // expected-error @below {{inferred type(s) 'tensor<?x2xf32>' are incompatible with return type(s) of operation 'tensor<?x3xf32>'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.maxout %a k = 3 : tensor<?x6xf32> -> tensor<?x3xf32>
  return
}

// -----

func.func @concat_empty() {
  // expected-error @below {{expects at least one operand}}
  // expected-error @below {{failed to infer returned types}}
  %0 = "seq.concat"() {axis = 0 : i64} : () -> tensor<2xf32>
  return
}

// -----

func.func @concat_axis(%a: tensor<?x4xf32>) {
  // expected-error @below {{axis 2 is out of range for rank 2}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.concat %a, %a axis = 2 : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x8xf32>
  return
}

// -----

func.func @concat_ranks(%a: tensor<?x4xf32>, %b: tensor<4xf32>) {
  // expected-error @below {{operands have different ranks}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.concat %a, %b axis = 0 : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  return
}

// -----

func.func @concat_shapes(%a: tensor<?x4xf32>, %b: tensor<?x5xf32>) {
  // expected-error @below {{operand shapes [?, 4] and [?, 5] differ outside the concatenation axis}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.concat %a, %b axis = 0 : tensor<?x4xf32>, tensor<?x5xf32> -> tensor<?x4xf32>
  return
}

// -----

func.func @concat_result(%a: tensor<?x4xf32>, %b: tensor<?x5xf32>) {
  // expected-error @below {{inferred type(s) 'tensor<?x9xf32>' are incompatible with return type(s) of operation 'tensor<?x8xf32>'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.concat %a, %b axis = 1 : tensor<?x4xf32>, tensor<?x5xf32> -> tensor<?x8xf32>
  return
}

// -----

func.func @concat_types(%a: tensor<4xf32>, %b: tensor<4xf64>) {
  // expected-error @below {{mixes element types 'f32' and 'f64'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.concat %a, %b axis = 0 : tensor<4xf32>, tensor<4xf64> -> tensor<8xf32>
  return
}

// -----

func.func @slice_range(%a: tensor<?x4xf32>) {
  // expected-error @below {{slice [3, 5) is out of range for an axis of size 4}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.slice %a axis = 1 start = 3 size = 2 : tensor<?x4xf32> -> tensor<?x2xf32>
  return
}

// -----

func.func @slice_empty(%a: tensor<?x4xf32>) {
  // expected-error @below {{slice [1, 1) is out of range for an axis of size 4}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.slice %a axis = 1 start = 1 size = 0 : tensor<?x4xf32> -> tensor<?x0xf32>
  return
}

// -----

func.func @slice_axis(%a: tensor<?x4xf32>) {
  // expected-error @below {{axis 3 is out of range for rank 2}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.slice %a axis = 3 start = 0 size = 1 : tensor<?x4xf32> -> tensor<?x1xf32>
  return
}

// -----

func.func @slice_result(%a: tensor<?x4xf32>) {
  // expected-error @below {{inferred type(s) 'tensor<?x2xf32>' are incompatible with return type(s) of operation 'tensor<?x3xf32>'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.slice %a axis = 1 start = 0 size = 2 : tensor<?x4xf32> -> tensor<?x3xf32>
  return
}

// -----

func.func @expand_dims_axis(%a: tensor<?x4xf32>) {
  // expected-error @below {{axis 3 is out of range for rank 3}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.expand_dims %a axis = 3 : tensor<?x4xf32> -> tensor<?x4x1xf32>
  return
}

// -----

func.func @expand_dims_result(%a: tensor<?x4xf32>) {
  // expected-error @below {{inferred type(s) 'tensor<?x1x4xf32>' are incompatible with return type(s) of operation 'tensor<?x4x1xf32>'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.expand_dims %a axis = 1 : tensor<?x4xf32> -> tensor<?x4x1xf32>
  return
}

// -----

func.func @squeeze_not_one(%a: tensor<?x4xf32>) {
  // expected-error @below {{axis 1 has size [4], expected 1}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.squeeze %a axis = 1 : tensor<?x4xf32> -> tensor<?xf32>
  return
}

// -----

func.func @squeeze_axis(%a: tensor<?x1xf32>) {
  // expected-error @below {{axis 2 is out of range for rank 2}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.squeeze %a axis = 2 : tensor<?x1xf32> -> tensor<?xf32>
  return
}

// -----

func.func @gather_table(%t: tensor<10xf32>, %i: tensor<?xi64>) {
  // expected-error @below {{expects a table of rank 2, got [10]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.gather %t[%i] : tensor<10xf32>, tensor<?xi64> -> tensor<?xf32>
  return
}

// -----

func.func @gather_result(%t: tensor<10x8xf32>, %i: tensor<?xi64>) {
  // expected-error @below {{inferred type(s) 'tensor<?x8xf32>' are incompatible with return type(s) of operation 'tensor<?x10xf32>'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.gather %t[%i] : tensor<10x8xf32>, tensor<?xi64> -> tensor<?x10xf32>
  return
}

// -----

func.func @gather_float_indices(%t: tensor<10x8xf32>, %i: tensor<?xf32>) {
  // expected-error @below {{must be ranked tensor of signless integer values}}
  %0 = seq.gather %t[%i] : tensor<10x8xf32>, tensor<?xf32> -> tensor<?x8xf32>
  return
}

// -----

func.func @reduce_axis(%a: tensor<?x4xf32>) {
  // expected-error @below {{axis 2 is out of range for rank 2}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.reduce_sum %a [2] : tensor<?x4xf32> -> tensor<?xf32>
  return
}

// -----

func.func @reduce_twice(%a: tensor<?x4xf32>) {
  // expected-error @below {{axis 1 is listed twice}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.reduce_max %a [1, 1] : tensor<?x4xf32> -> tensor<?xf32>
  return
}

// -----

func.func @reduce_result(%a: tensor<?x4xf32>) {
  // expected-error @below {{inferred type(s) 'tensor<4xf32>' are incompatible with return type(s) of operation 'tensor<5xf32>'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.reduce_mean %a [0] : tensor<?x4xf32> -> tensor<5xf32>
  return
}

// -----

func.func @broadcast_like(%a: tensor<3xf32>, %like: tensor<?x4xf32>) {
  // expected-error @below {{cannot broadcast [3] to [?, 4]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.broadcast_like %a, %like : tensor<3xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  return
}

// -----

func.func @pad_negative(%a: tensor<?x4xf32>) {
  // expected-error @below {{expects non-negative padding}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.pad %a axis = 1 before = -1 after = 2 : tensor<?x4xf32> -> tensor<?x5xf32>
  return
}

// -----

func.func @pad_result(%a: tensor<?x4xf32>) {
  // expected-error @below {{inferred type(s) 'tensor<?x7xf32>' are incompatible with return type(s) of operation 'tensor<?x4xf32>'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.pad %a axis = 1 before = 1 after = 2 : tensor<?x4xf32> -> tensor<?x4xf32>
  return
}

// -----

func.func @scatter_add_shapes(%u: tensor<?x8xf32>, %i: tensor<?x2xi64>) {
  // expected-error @below {{updates [?, 8] must be the indices' shape [?, 2] plus one axis}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.scatter_add %u[%i] rows = 10 : tensor<?x8xf32>, tensor<?x2xi64> -> tensor<10x8xf32>
  return
}

// -----

func.func @scatter_add_result(%u: tensor<?x8xf32>, %i: tensor<?xi64>) {
  // expected-error @below {{inferred type(s) 'tensor<10x8xf32>' are incompatible with return type(s) of operation 'tensor<9x8xf32>'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = seq.scatter_add %u[%i] rows = 10 : tensor<?x8xf32>, tensor<?xi64> -> tensor<9x8xf32>
  return
}

// -----

func.func @one_hot_depth(%i: tensor<?xi64>) {
  // expected-error @below {{expects depth >= 1}}
  %0 = seq.one_hot %i depth = 0 : tensor<?xi64> -> tensor<?x0xf32>
  return
}

// -----

func.func @one_hot_result(%i: tensor<?xi64>) {
  // expected-error @below {{result shape [?, 4] does not match the expected [?, 5]}}
  %0 = seq.one_hot %i depth = 5 : tensor<?xi64> -> tensor<?x4xf32>
  return
}
