// The MLP 4 -> 16 tanh -> 3 softmax in the seq dialect, as MLIRGen emits
// examples/mlp.seq: parameters first (Linear's [out, in] weights), then the
// input with its batch axis. Weights: mlp.safetensors (make_mlp_golden.py).
module attributes {seq.model = "MLP"} {
  func.func @forward(
      %fc1_W: tensor<16x4xf32> {seq.param = "fc1.W",
                                seq.init = {kind = "xavier", a = 0.0, b = 0.0}},
      %fc1_b: tensor<16xf32> {seq.param = "fc1.b",
                              seq.init = {kind = "zeros", a = 0.0, b = 0.0}},
      %fc2_W: tensor<3x16xf32> {seq.param = "fc2.W",
                                seq.init = {kind = "xavier", a = 0.0, b = 0.0}},
      %fc2_b: tensor<3xf32> {seq.param = "fc2.b",
                             seq.init = {kind = "zeros", a = 0.0, b = 0.0}},
      %x: tensor<?x4xf32> {seq.input = "x"}) -> tensor<?x3xf32> {
    // h = tanh(fc1.W @ x + fc1.b): [N, 16]
    %0 = seq.matmul %x, %fc1_W {transpose_rhs}
        : tensor<?x4xf32>, tensor<16x4xf32> -> tensor<?x16xf32>
    %1 = seq.add %0, %fc1_b : tensor<?x16xf32>, tensor<16xf32> -> tensor<?x16xf32>
    %h = seq.tanh %1 : tensor<?x16xf32>
    // softmax(fc2.W @ h + fc2.b): [N, 3]
    %2 = seq.matmul %h, %fc2_W {transpose_rhs}
        : tensor<?x16xf32>, tensor<3x16xf32> -> tensor<?x3xf32>
    %3 = seq.add %2, %fc2_b : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
    %y = seq.softmax %3 axis = 1 : tensor<?x3xf32>
    return %y : tensor<?x3xf32>
  }
}
