// RUN: seqc-opt %s --seqc-autodiff -split-input-file | FileCheck %s
// RUN: seqc-opt %s --seqc-autodiff --canonicalize --cse -split-input-file | FileCheck %s --check-prefix=CLEAN

// BPTT of an Elman cell. The forward scan is replaced by an augmented one
// whose extra stacked output saves the state each step starts from (the body
// argument %h, i.e. h[t-1]). The backward is a scan in the other direction:
// its states are the state's cotangent (from the final state's, zero here)
// and running sums of the captures' cotangents (from zeros); it reads the
// saved states, the sequence and the cotangent of the stacked output; each
// step recomputes the forward step from the saved state and runs the
// derivative rules of the body in reverse. Its final states are the
// gradients of h0, W and b, its stacked output the cotangent of xs.
// CHECK-LABEL: func.func @elman_grad
// CHECK-SAME: (%[[W:.*]]: tensor<4x4xf32> {seq.param = "W"}, %[[B:.*]]: tensor<4xf32> {seq.param = "b"}, %[[H0:.*]]: tensor<?x4xf32> {seq.input = "h0"}, %[[XS:.*]]: tensor<?x?x4xf32> {seq.input = "xs"}, %[[WT:.*]]: tensor<?x?x4xf32> {seq.input = "w"})
// CHECK: %[[F:.*]]:3 = seq.scan inits(%[[H0]] : tensor<?x4xf32>) over(%[[XS]] : tensor<?x?x4xf32>) captures(%[[W]], %[[B]] : tensor<4x4xf32>, tensor<4xf32>) -> (tensor<?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>) {
// CHECK-NEXT: ^bb0(%[[H:.*]]: tensor<?x4xf32>, %{{.*}}: tensor<?x4xf32>, %{{.*}}: tensor<4x4xf32>, %{{.*}}: tensor<4xf32>):
// CHECK: %[[HN:.*]] = seq.tanh
// CHECK: seq.yield %[[HN]] : tensor<?x4xf32> outs(%[[HN]], %[[H]] : tensor<?x4xf32>, tensor<?x4xf32>)
// CHECK: %[[P:.*]] = seq.mul %[[F]]#1, %[[WT]]
// CHECK: %[[DHS:.*]] = seq.mul %{{.*}}, %[[WT]]
// CHECK: %[[DHT:.*]] = seq.broadcast_like %{{.*}}, %[[H0]] : tensor<f32>, tensor<?x4xf32> -> tensor<?x4xf32>
// CHECK: %[[DW0:.*]] = seq.broadcast_like %{{.*}}, %[[W]] : tensor<f32>, tensor<4x4xf32> -> tensor<4x4xf32>
// CHECK: %[[DB0:.*]] = seq.broadcast_like %{{.*}}, %[[B]] : tensor<f32>, tensor<4xf32> -> tensor<4xf32>
// CHECK: %[[R:.*]]:4 = seq.scan reverse inits(%[[DHT]], %[[DW0]], %[[DB0]] : tensor<?x4xf32>, tensor<4x4xf32>, tensor<4xf32>) over(%[[F]]#2, %[[XS]], %[[DHS]] : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>) captures(%[[W]], %[[B]] : tensor<4x4xf32>, tensor<4xf32>) -> (tensor<?x4xf32>, tensor<4x4xf32>, tensor<4xf32>, tensor<?x?x4xf32>) {
// CHECK-NEXT: ^bb0(%[[DH:.*]]: tensor<?x4xf32>, %[[SW:.*]]: tensor<4x4xf32>, %[[SB:.*]]: tensor<4xf32>, %[[HP:.*]]: tensor<?x4xf32>, %[[X:.*]]: tensor<?x4xf32>, %[[DY:.*]]: tensor<?x4xf32>, %[[WC:.*]]: tensor<4x4xf32>, %[[BC:.*]]: tensor<4xf32>):
//   (a) the forward step again, from the saved state
// CHECK-NEXT: %[[A:.*]] = seq.matmul %[[HP]], %[[WC]] {transpose_rhs}
// CHECK-NEXT: %[[S:.*]] = seq.add %[[A]], %[[X]]
// CHECK-NEXT: %[[Z:.*]] = seq.add %[[S]], %[[BC]]
// CHECK-NEXT: %[[Y:.*]] = seq.tanh %[[Z]]
//   (b) the reverse sweep: dh[t] = carried + output cotangent, through tanh
// CHECK-NEXT: %[[G:.*]] = seq.add %[[DH]], %[[DY]]
// CHECK-NEXT: %[[YY:.*]] = seq.mul %[[Y]], %[[Y]]
// CHECK: %[[DZ:.*]] = seq.mul %[[G]], %{{.*}}
// CHECK: %[[DBT:.*]] = seq.reduce_sum %[[DZ]] [0] : tensor<?x4xf32> -> tensor<4xf32>
// CHECK: %[[DHP:.*]] = seq.matmul %[[DZ]], %[[WC]] : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
// CHECK: %[[DWT:.*]] = seq.matmul %[[DZ]], %[[HP]] {transpose_lhs} : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<4x4xf32>
// CHECK: %[[SW2:.*]] = seq.add %[[SW]], %[[DWT]]
// CHECK: %[[SB2:.*]] = seq.add %[[SB]], %[[DBT]]
// CHECK: seq.yield %[[DHP]], %[[SW2]], %[[SB2]] : tensor<?x4xf32>, tensor<4x4xf32>, tensor<4xf32> outs(%[[DZ]] : tensor<?x4xf32>)
// CHECK: return %{{.*}}, %[[R]]#1, %[[R]]#2
//
// Cleaned up: the cotangent of xs, which nobody reads, is no longer an
// output of the backward scan.
// CLEAN-LABEL: func.func @elman_grad
// CLEAN: seq.scan inits
// CLEAN: %[[R:.*]]:3 = seq.scan reverse inits({{.*}}) -> (tensor<?x4xf32>, tensor<4x4xf32>, tensor<4xf32>) {
// CLEAN: seq.yield %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<4x4xf32>, tensor<4xf32>{{$}}
// CLEAN: return %{{.*}}, %[[R]]#1, %[[R]]#2
func.func @elman(%W: tensor<4x4xf32> {seq.param = "W"}, %b: tensor<4xf32> {seq.param = "b"},
                 %h0: tensor<?x4xf32> {seq.input = "h0"}, %xs: tensor<?x?x4xf32> {seq.input = "xs"},
                 %w: tensor<?x?x4xf32> {seq.input = "w"}) -> tensor<f32> {
  %r:2 = seq.scan inits(%h0 : tensor<?x4xf32>) over(%xs : tensor<?x?x4xf32>)
                  captures(%W, %b : tensor<4x4xf32>, tensor<4xf32>)
      -> (tensor<?x4xf32>, tensor<?x?x4xf32>) {
  ^bb0(%h: tensor<?x4xf32>, %x: tensor<?x4xf32>, %Wc: tensor<4x4xf32>, %bc: tensor<4xf32>):
    %a = seq.matmul %h, %Wc {transpose_rhs} : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    %s = seq.add %a, %x : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
    %z = seq.add %s, %bc : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
    %hn = seq.tanh %z : tensor<?x4xf32>
    seq.yield %hn : tensor<?x4xf32> outs(%hn : tensor<?x4xf32>)
  }
  %p = seq.mul %r#1, %w : tensor<?x?x4xf32>, tensor<?x?x4xf32> -> tensor<?x?x4xf32>
  %l = seq.reduce_sum %p [0, 1, 2] : tensor<?x?x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A reverse scan whose final state alone reaches the loss: the backward runs
// forward in time (no `reverse`), starts from the final state's cotangent
// and reads no output cotangents.
// CHECK-LABEL: func.func @reverse_final_grad
// CHECK: %[[F:.*]]:2 = seq.scan reverse inits(%arg1 : tensor<4xf32>) over(%arg2 : tensor<?x4xf32>) captures(%arg0 : tensor<4x4xf32>) -> (tensor<4xf32>, tensor<?x4xf32>)
// CHECK: %[[DT:.*]] = seq.broadcast_like %{{.*}} : tensor<1xf32>, tensor<4xf32> -> tensor<4xf32>
// CHECK: %[[R:.*]]:3 = seq.scan inits(%[[DT]], %{{.*}} : tensor<4xf32>, tensor<4x4xf32>) over(%[[F]]#1, %arg2 : tensor<?x4xf32>, tensor<?x4xf32>) captures(%arg0 : tensor<4x4xf32>) -> (tensor<4xf32>, tensor<4x4xf32>, tensor<?x4xf32>)
// CHECK: return %{{.*}}, %[[R]]#1
func.func @reverse_final(%W: tensor<4x4xf32> {seq.param = "W"}, %h0: tensor<4xf32> {seq.input = "h0"},
                         %xs: tensor<?x4xf32> {seq.input = "xs"}) -> tensor<f32> {
  %r = seq.scan reverse inits(%h0 : tensor<4xf32>) over(%xs : tensor<?x4xf32>)
                captures(%W : tensor<4x4xf32>) -> (tensor<4xf32>) {
  ^bb0(%h: tensor<4xf32>, %x: tensor<4xf32>, %Wc: tensor<4x4xf32>):
    %e = seq.expand_dims %h axis = 0 : tensor<4xf32> -> tensor<1x4xf32>
    %a = seq.matmul %e, %Wc {transpose_rhs} : tensor<1x4xf32>, tensor<4x4xf32> -> tensor<1x4xf32>
    %q = seq.squeeze %a axis = 0 : tensor<1x4xf32> -> tensor<4xf32>
    %s = seq.mul %q, %x : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
    seq.yield %s : tensor<4xf32>
  }
  %l = seq.reduce_sum %r [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// A mask blended in the body needs nothing special: it is a sequence like
// xs. Cleaned up, the backward scan keeps only what the gradient of W
// needs: the state's cotangent and the sum for W; the sum for the capture
// %scale (an input, not differentiated) and the cotangents of xs and of the
// mask are gone.
// CLEAN-LABEL: func.func @masked_grad
// CLEAN: %[[F:.*]]:2 = seq.scan inits(%arg2 : tensor<?x4xf32>) over(%arg3, %arg4 : tensor<?x?x4xf32>, tensor<?x?x1xf32>)
// CLEAN: %[[R:.*]]:2 = seq.scan reverse inits(%{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<4x4xf32>) over(%[[F]]#1, %arg3, %arg4 : tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x1xf32>) captures(%arg0, %arg1 : tensor<4x4xf32>, tensor<4xf32>) -> (tensor<?x4xf32>, tensor<4x4xf32>)
// CLEAN: seq.yield %{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<4x4xf32>{{$}}
// CLEAN: return %{{.*}}, %[[R]]#1
func.func @masked(%W: tensor<4x4xf32> {seq.param = "W"}, %scale: tensor<4xf32> {seq.input = "scale"},
                  %h0: tensor<?x4xf32> {seq.input = "h0"}, %xs: tensor<?x?x4xf32> {seq.input = "xs"},
                  %ms: tensor<?x?x1xf32> {seq.input = "mask"}) -> tensor<f32> {
  %r = seq.scan inits(%h0 : tensor<?x4xf32>) over(%xs, %ms : tensor<?x?x4xf32>, tensor<?x?x1xf32>)
                captures(%W, %scale : tensor<4x4xf32>, tensor<4xf32>) -> (tensor<?x4xf32>) {
  ^bb0(%h: tensor<?x4xf32>, %x: tensor<?x4xf32>, %m: tensor<?x1xf32>, %Wc: tensor<4x4xf32>, %sc: tensor<4xf32>):
    %a = seq.matmul %h, %Wc {transpose_rhs} : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    %z = seq.add %a, %x : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
    %zs = seq.mul %z, %sc : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
    %new = seq.tanh %zs : tensor<?x4xf32>
    %one = arith.constant dense<1.0> : tensor<f32>
    %keep = seq.sub %one, %m : tensor<f32>, tensor<?x1xf32> -> tensor<?x1xf32>
    %p = seq.mul %m, %new : tensor<?x1xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
    %o = seq.mul %keep, %h : tensor<?x1xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
    %hn = seq.add %p, %o : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
    seq.yield %hn : tensor<?x4xf32>
  }
  %l = seq.reduce_sum %r [0, 1] : tensor<?x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Integer sequences (token ids, gathered from a captured table in the body)
// get no cotangent; the table gets the sum of the steps' scatter-adds. The
// time axis is static through %ys, so the backward's stacked cotangent of
// %xs is [5, 3] and is cast back to the type of %xs.
// CHECK-LABEL: func.func @ids_grad
// CHECK: %[[F:.*]]:3 = seq.scan inits(%arg1 : tensor<3xf64>) over(%arg2, %arg3, %arg4 : tensor<?x3xf64>, tensor<5x3xf64>, tensor<5x2xi64>) captures(%arg0, %arg5 : tensor<3xf64>, tensor<7x3xf64>) -> (tensor<3xf64>, tensor<5x3xf64>, tensor<5x3xf64>)
// CHECK: %[[R:.*]]:5 = seq.scan reverse inits({{.*}} : tensor<3xf64>, tensor<3xf64>, tensor<7x3xf64>) over(%[[F]]#2, %arg2, %arg3, %arg4, %{{.*}} : tensor<5x3xf64>, tensor<?x3xf64>, tensor<5x3xf64>, tensor<5x2xi64>, tensor<5x3xf64>) captures(%arg0, %arg5 : tensor<3xf64>, tensor<7x3xf64>) -> (tensor<3xf64>, tensor<3xf64>, tensor<7x3xf64>, tensor<5x3xf64>, tensor<5x3xf64>)
// CHECK: seq.scatter_add %{{.*}}[%{{.*}}] rows = 7 : tensor<2x3xf64>, tensor<2xi64> -> tensor<7x3xf64>
// CHECK: tensor.cast %[[R]]#3 : tensor<5x3xf64> to tensor<?x3xf64>
// CHECK: return %{{.*}}, %[[R]]#1, %[[R]]#2
func.func @ids(%W: tensor<3xf64> {seq.param = "W"}, %h0: tensor<3xf64> {seq.input = "h0"},
               %xs: tensor<?x3xf64> {seq.input = "xs"}, %ys: tensor<5x3xf64> {seq.input = "ys"},
               %ids: tensor<5x2xi64> {seq.input = "ids"}, %E: tensor<7x3xf64> {seq.param = "E"}) -> tensor<f64> {
  %r:2 = seq.scan inits(%h0 : tensor<3xf64>) over(%xs, %ys, %ids : tensor<?x3xf64>, tensor<5x3xf64>, tensor<5x2xi64>)
                  captures(%W, %E : tensor<3xf64>, tensor<7x3xf64>) -> (tensor<3xf64>, tensor<5x3xf64>) {
  ^bb0(%h: tensor<3xf64>, %x: tensor<3xf64>, %y: tensor<3xf64>, %i: tensor<2xi64>, %w: tensor<3xf64>, %e: tensor<7x3xf64>):
    %g = seq.gather %e[%i] : tensor<7x3xf64>, tensor<2xi64> -> tensor<2x3xf64>
    %gs = seq.reduce_sum %g [0] : tensor<2x3xf64> -> tensor<3xf64>
    %a = seq.mul %h, %w : tensor<3xf64>, tensor<3xf64> -> tensor<3xf64>
    %b = seq.add %a, %x : tensor<3xf64>, tensor<3xf64> -> tensor<3xf64>
    %c = seq.mul %b, %y : tensor<3xf64>, tensor<3xf64> -> tensor<3xf64>
    %d = seq.add %c, %gs : tensor<3xf64>, tensor<3xf64> -> tensor<3xf64>
    %hn = seq.tanh %d : tensor<3xf64>
    seq.yield %hn : tensor<3xf64> outs(%hn : tensor<3xf64>)
  }
  %l = seq.reduce_sum %r#1 [0, 1] : tensor<5x3xf64> -> tensor<f64>
  return %l : tensor<f64>
}
