// RUN: seqc-opt %s --seqc-autodiff --canonicalize --cse -split-input-file | FileCheck %s

// Checkpoints every 4 steps over a dynamic number of steps T = 4 S + r. The
// scan becomes an outer scan over the S segments (the sequence reshaped to
// [S, 4, ...]) whose step is the scan over one segment, then a scan over
// the r remaining steps. BPTT of the outer scan saves the S states that
// enter the segments ([S, 2, 4], not [T, 2, 4]); its backward step
// recomputes the segment's 4 states from its checkpoint (the inner scan,
// augmented) and runs the segment's reverse steps over them. The remaining
// steps' backward comes first and hands its state cotangent to the outer
// one; the captures' gradients are the sum of both.
// CHECK-LABEL: func.func @elman_grad
// CHECK-SAME: (%[[W:.*]]: tensor<4x4xf64> {seq.param = "W"}, %[[H0:.*]]: tensor<2x4xf64> {seq.param = "h0"}, %[[XS:.*]]: tensor<?x2x4xf64> {seq.input = "xs"}, %[[WT:.*]]: tensor<?x2x4xf64> {seq.input = "w"})
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : index
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[T:.*]] = tensor.dim %[[XS]], %[[C0]]
// CHECK-NEXT: %[[S:.*]] = arith.divui %[[T]], %[[C4]]
// CHECK-NEXT: %[[SK:.*]] = arith.muli %[[S]], %[[C4]]
// CHECK-NEXT: %[[R:.*]] = arith.subi %[[T]], %[[SK]]
// CHECK-NEXT: %[[MAIN:.*]] = tensor.extract_slice %[[XS]][0, 0, 0] [%[[SK]], 2, 4] [1, 1, 1]
// CHECK-NEXT: %[[SEGS:.*]] = tensor.expand_shape %[[MAIN]] {{\[\[}}0, 1], [2], [3]] output_shape [%[[S]], 4, 2, 4] : tensor<?x2x4xf64> into tensor<?x4x2x4xf64>
// CHECK-NEXT: %[[REST:.*]] = tensor.extract_slice %[[XS]][%[[SK]], 0, 0] [%[[R]], 2, 4] [1, 1, 1]
//   the outer forward: saves the checkpoints, [S, 2, 4]
// CHECK-NEXT: %[[OUTER:.*]]:3 = seq.scan inits(%[[H0]] : tensor<2x4xf64>) over(%[[SEGS]] : tensor<?x4x2x4xf64>) captures(%[[W]] : tensor<4x4xf64>) -> (tensor<2x4xf64>, tensor<?x4x2x4xf64>, tensor<?x2x4xf64>) {
// CHECK-NEXT: ^bb0(%[[OH:.*]]: tensor<2x4xf64>, %[[OX:.*]]: tensor<4x2x4xf64>, %[[OW:.*]]: tensor<4x4xf64>):
// CHECK-NEXT: %[[IN:.*]]:2 = seq.scan inits(%[[OH]] : tensor<2x4xf64>) over(%[[OX]] : tensor<4x2x4xf64>) captures(%[[OW]] : tensor<4x4xf64>) -> (tensor<2x4xf64>, tensor<4x2x4xf64>) {
// CHECK: seq.yield %[[IN]]#0 : tensor<2x4xf64> outs(%[[IN]]#1, %[[OH]] : tensor<4x2x4xf64>, tensor<2x4xf64>)
//   the remaining steps, from the last segment's final state
// CHECK: %[[TAIL:.*]]:3 = seq.scan inits(%[[OUTER]]#0 : tensor<2x4xf64>) over(%[[REST]] : tensor<?x2x4xf64>) captures(%[[W]] : tensor<4x4xf64>) -> (tensor<2x4xf64>, tensor<?x2x4xf64>, tensor<?x2x4xf64>)
//   the stacked outputs, joined
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[OUTER]]#1 {{\[\[}}0, 1], [2], [3]] : tensor<?x4x2x4xf64> into tensor<?x2x4xf64>
// CHECK: %[[EMPTY:.*]] = tensor.empty(%[[T]]) : tensor<?x2x4xf64>
// CHECK: %[[J1:.*]] = tensor.insert_slice %[[FLAT]] into %[[EMPTY]][0, 0, 0]
// CHECK: %[[HS:.*]] = tensor.insert_slice %[[TAIL]]#1 into %[[J1]][%[[SK]], 0, 0]
// CHECK: seq.mul %[[HS]], %[[WT]]
//   the remaining steps' backward
// CHECK: %[[DTAIL:.*]] = tensor.extract_slice %[[DHS:.*]][%[[SK]], 0, 0] [%[[R]], 2, 4] [1, 1, 1]
// CHECK: %[[B1:.*]]:2 = seq.scan reverse inits({{.*}}) over(%[[TAIL]]#2, %[[REST]], %[[DTAIL]] : {{.*}}) captures(%[[W]] : tensor<4x4xf64>) -> (tensor<2x4xf64>, tensor<4x4xf64>)
//   the outer backward: per segment, recompute 4 states, then 4 reverse steps
// CHECK: %[[DMAIN:.*]] = tensor.extract_slice %[[DHS]][0, 0, 0] [%[[SK]], 2, 4] [1, 1, 1]
// CHECK-NEXT: %[[DSEGS:.*]] = tensor.expand_shape %[[DMAIN]] {{\[\[}}0, 1], [2], [3]] output_shape [%[[S]], 4, 2, 4]
// CHECK-NEXT: %[[B2:.*]]:2 = seq.scan reverse inits(%[[B1]]#0, %{{.*}} : tensor<2x4xf64>, tensor<4x4xf64>) over(%[[OUTER]]#2, %[[SEGS]], %[[DSEGS]] : tensor<?x2x4xf64>, tensor<?x4x2x4xf64>, tensor<?x4x2x4xf64>) captures(%[[W]] : tensor<4x4xf64>) -> (tensor<2x4xf64>, tensor<4x4xf64>) {
// CHECK-NEXT: ^bb0(%[[DH:.*]]: tensor<2x4xf64>, %[[SW:.*]]: tensor<4x4xf64>, %[[CKPT:.*]]: tensor<2x4xf64>, %[[SX:.*]]: tensor<4x2x4xf64>, %[[SDY:.*]]: tensor<4x2x4xf64>, %[[BW:.*]]: tensor<4x4xf64>):
// CHECK: %[[RE:.*]]:2 = seq.scan inits(%[[CKPT]] : tensor<2x4xf64>) over(%[[SX]] : tensor<4x2x4xf64>) captures(%[[BW]] : tensor<4x4xf64>) -> (tensor<2x4xf64>, tensor<4x2x4xf64>) {
// CHECK: seq.yield %{{.*}} : tensor<2x4xf64> outs(%{{.*}} : tensor<2x4xf64>)
// CHECK: %[[SEG:.*]]:2 = seq.scan reverse inits(%[[DH]], %{{.*}} : tensor<2x4xf64>, tensor<4x4xf64>) over(%[[RE]]#1, %[[SX]], %[[SDY]] : tensor<4x2x4xf64>, tensor<4x2x4xf64>, tensor<4x2x4xf64>) captures(%[[BW]] : tensor<4x4xf64>)
// CHECK: %[[SW2:.*]] = seq.add %[[SW]], %[[SEG]]#1
// CHECK: seq.yield %[[SEG]]#0, %[[SW2]] : tensor<2x4xf64>, tensor<4x4xf64>
// CHECK: %[[DW:.*]] = seq.add %[[B2]]#1, %[[B1]]#1
// CHECK: return %{{.*}}, %[[DW]], %[[B2]]#0
func.func @elman(%W: tensor<4x4xf64> {seq.param = "W"},
                 %h0: tensor<2x4xf64> {seq.param = "h0"},
                 %xs: tensor<?x2x4xf64> {seq.input = "xs"},
                 %w: tensor<?x2x4xf64> {seq.input = "w"}) -> tensor<f64> {
  %r:2 = seq.scan inits(%h0 : tensor<2x4xf64>) over(%xs : tensor<?x2x4xf64>)
                  captures(%W : tensor<4x4xf64>) attributes {checkpoint = 4 : i64}
      -> (tensor<2x4xf64>, tensor<?x2x4xf64>) {
  ^bb0(%h: tensor<2x4xf64>, %x: tensor<2x4xf64>, %Wc: tensor<4x4xf64>):
    %a = seq.matmul %h, %Wc {transpose_rhs} : tensor<2x4xf64>, tensor<4x4xf64> -> tensor<2x4xf64>
    %s = seq.add %a, %x : tensor<2x4xf64>, tensor<2x4xf64> -> tensor<2x4xf64>
    %hn = seq.tanh %s : tensor<2x4xf64>
    seq.yield %hn : tensor<2x4xf64> outs(%hn : tensor<2x4xf64>)
  }
  %p = seq.mul %r#1, %w : tensor<?x2x4xf64>, tensor<?x2x4xf64> -> tensor<?x2x4xf64>
  %l = seq.reduce_sum %p [0, 1, 2] : tensor<?x2x4xf64> -> tensor<f64>
  return %l : tensor<f64>
}

// -----

// A reverse scan, T = 10 = 2 * 4 + 2 static: its segments are the steps it
// processes first, t in [2, 10); the remaining steps are t in [0, 2), last.
// CHECK-LABEL: func.func @reverse_grad
// CHECK: %[[MAIN:.*]] = tensor.extract_slice %[[XS:.*]][2, 0] [8, 4] [1, 1] : tensor<10x4xf64> to tensor<8x4xf64>
// CHECK-NEXT: %[[SEGS:.*]] = tensor.expand_shape %[[MAIN]] {{\[\[}}0, 1], [2]] output_shape [2, 4, 4] : tensor<8x4xf64> into tensor<2x4x4xf64>
// CHECK-NEXT: %[[REST:.*]] = tensor.extract_slice %[[XS]][0, 0] [2, 4] [1, 1] : tensor<10x4xf64> to tensor<2x4xf64>
// CHECK-NEXT: %[[OUTER:.*]]:3 = seq.scan reverse inits(%{{.*}} : tensor<4xf64>) over(%[[SEGS]] : tensor<2x4x4xf64>) -> (tensor<4xf64>, tensor<2x4x4xf64>, tensor<2x4xf64>)
// CHECK: seq.scan reverse inits(%{{.*}} : tensor<4xf64>) over(%{{.*}} : tensor<4x4xf64>) -> (tensor<4xf64>, tensor<4x4xf64>)
// CHECK: %[[TAIL:.*]]:3 = seq.scan reverse inits(%[[OUTER]]#0 : tensor<4xf64>) over(%[[REST]] : tensor<2x4xf64>) -> (tensor<4xf64>, tensor<2x4xf64>, tensor<2x4xf64>)
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[2, 0] [8, 4] [1, 1] : tensor<8x4xf64> into tensor<10x4xf64>
// CHECK: tensor.insert_slice %[[TAIL]]#1 into %{{.*}}[0, 0] [2, 4] [1, 1] : tensor<2x4xf64> into tensor<10x4xf64>
// CHECK: %[[B1:.*]] = seq.scan inits(%{{.*}} : tensor<4xf64>) over(%[[TAIL]]#2, %[[REST]], %{{.*}} : tensor<2x4xf64>, tensor<2x4xf64>, tensor<2x4xf64>) -> (tensor<4xf64>)
// CHECK: %[[B2:.*]] = seq.scan inits(%[[B1]] : tensor<4xf64>) over(%[[OUTER]]#2, %[[SEGS]], %{{.*}} : tensor<2x4xf64>, tensor<2x4x4xf64>, tensor<2x4x4xf64>) -> (tensor<4xf64>)
// CHECK: seq.scan reverse inits(%{{.*}} : tensor<4xf64>) over(%{{.*}} : tensor<4x4xf64>) -> (tensor<4xf64>, tensor<4x4xf64>)
// CHECK: seq.scan inits(%{{.*}} : tensor<4xf64>) over(%{{.*}}, %{{.*}}, %{{.*}} : tensor<4x4xf64>, tensor<4x4xf64>, tensor<4x4xf64>) -> (tensor<4xf64>)
// CHECK: return %{{.*}}, %[[B2]]
func.func @reverse(%h0: tensor<4xf64> {seq.param = "h0"},
                   %xs: tensor<10x4xf64> {seq.input = "xs"}) -> tensor<f64> {
  %r:2 = seq.scan reverse inits(%h0 : tensor<4xf64>) over(%xs : tensor<10x4xf64>)
      attributes {checkpoint = 4 : i64} -> (tensor<4xf64>, tensor<10x4xf64>) {
  ^bb0(%h: tensor<4xf64>, %x: tensor<4xf64>):
    %m = seq.mul %h, %x : tensor<4xf64>, tensor<4xf64> -> tensor<4xf64>
    %y = seq.tanh %m : tensor<4xf64>
    seq.yield %y : tensor<4xf64> outs(%m : tensor<4xf64>)
  }
  %l = seq.reduce_sum %r#1 [0, 1] : tensor<10x4xf64> -> tensor<f64>
  return %l : tensor<f64>
}

// -----

// T = 500 steps, checkpoints every 20: the derivative keeps 25 saved states
// and one segment of 20 recomputed ones instead of 500. T is a multiple of
// k: no remaining steps.
// CHECK-LABEL: func.func @long_grad
// CHECK-NOT: tensor<500x2x4xf64>, tensor<500x2x4xf64>
// CHECK: %[[OUTER:.*]]:2 = seq.scan inits(%{{.*}} : tensor<2x4xf64>) over(%{{.*}} : tensor<25x20x2x4xf64>) captures(%{{.*}} : tensor<4x4xf64>) -> (tensor<2x4xf64>, tensor<25x2x4xf64>)
// CHECK: seq.scan reverse inits({{.*}}) over(%[[OUTER]]#1, %{{.*}} : tensor<25x2x4xf64>, tensor<25x20x2x4xf64>)
// CHECK: %[[RE:.*]]:2 = seq.scan inits(%{{.*}} : tensor<2x4xf64>) over(%{{.*}} : tensor<20x2x4xf64>) captures(%{{.*}} : tensor<4x4xf64>) -> (tensor<2x4xf64>, tensor<20x2x4xf64>)
// CHECK: seq.scan reverse inits({{.*}}) over(%[[RE]]#1, %{{.*}} : tensor<20x2x4xf64>, tensor<20x2x4xf64>)
// CHECK-NOT: tensor<500x2x4xf64>, tensor<500x2x4xf64>
func.func @long(%W: tensor<4x4xf64> {seq.param = "W"},
                %h0: tensor<2x4xf64> {seq.input = "h0"},
                %xs: tensor<500x2x4xf64> {seq.input = "xs"}) -> tensor<f64> {
  %r = seq.scan inits(%h0 : tensor<2x4xf64>) over(%xs : tensor<500x2x4xf64>)
                captures(%W : tensor<4x4xf64>) attributes {checkpoint = 20 : i64}
      -> (tensor<2x4xf64>) {
  ^bb0(%h: tensor<2x4xf64>, %x: tensor<2x4xf64>, %Wc: tensor<4x4xf64>):
    %a = seq.matmul %h, %Wc {transpose_rhs} : tensor<2x4xf64>, tensor<4x4xf64> -> tensor<2x4xf64>
    %s = seq.add %a, %x : tensor<2x4xf64>, tensor<2x4xf64> -> tensor<2x4xf64>
    %hn = seq.tanh %s : tensor<2x4xf64>
    seq.yield %hn : tensor<2x4xf64>
  }
  %l = seq.reduce_sum %r [0, 1] : tensor<2x4xf64> -> tensor<f64>
  return %l : tensor<f64>
}

// -----

// No more steps than one segment: plain BPTT, which saves at most k states.
// CHECK-LABEL: func.func @short_grad
// CHECK: %[[F:.*]]:2 = seq.scan inits(%{{.*}} : tensor<4xf64>) over(%{{.*}} : tensor<3x4xf64>) -> (tensor<4xf64>, tensor<3x4xf64>)
// CHECK: seq.scan reverse inits(%{{.*}} : tensor<4xf64>) over(%[[F]]#1, %{{.*}} : tensor<3x4xf64>, tensor<3x4xf64>) -> (tensor<4xf64>)
// CHECK-NOT: seq.scan
// CHECK: return
func.func @short(%h0: tensor<4xf64> {seq.param = "h0"},
                 %xs: tensor<3x4xf64> {seq.input = "xs"}) -> tensor<f64> {
  %r = seq.scan inits(%h0 : tensor<4xf64>) over(%xs : tensor<3x4xf64>)
      attributes {checkpoint = 4 : i64} -> (tensor<4xf64>) {
  ^bb0(%h: tensor<4xf64>, %x: tensor<4xf64>):
    %m = seq.mul %h, %x : tensor<4xf64>, tensor<4xf64> -> tensor<4xf64>
    seq.yield %m : tensor<4xf64>
  }
  %l = seq.reduce_sum %r [0] : tensor<4xf64> -> tensor<f64>
  return %l : tensor<f64>
}

// -----

// With tbptt = 2, checkpoint = 3 becomes segments of 4 so that each segment
// starts a window; the segments' scans (forward, recomputed, remaining)
// carry tbptt themselves and the outer scans do not.
// CHECK-LABEL: func.func @truncated_grad
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0, 1], [2]] output_shape [2, 4, 4] : tensor<8x4xf64> into tensor<2x4x4xf64>
// CHECK: seq.scan inits(%{{.*}} : tensor<4xf64>) over(%{{.*}} : tensor<2x4x4xf64>) -> (tensor<4xf64>, tensor<2x4xf64>)
// CHECK: seq.scan inits(%{{.*}} : tensor<4xf64>) over(%{{.*}} : tensor<4x4xf64>) attributes {tbptt = 2 : i64} -> (tensor<4xf64>)
// CHECK: seq.scan inits(%{{.*}} : tensor<4xf64>) over(%{{.*}} : tensor<1x4xf64>) -> (tensor<4xf64>, tensor<1x4xf64>)
//   the remaining step, t = 8, starts a window
// CHECK: %[[F1:.*]] = tensor.generate
// CHECK: arith.remui %{{.*}}, %c2 : index
// CHECK: } : tensor<1xf64>
// CHECK: seq.scan reverse inits(%{{.*}} : tensor<4xf64>) over(%{{.*}}, %{{.*}}, %[[F1]] : tensor<1x4xf64>, tensor<1x4xf64>, tensor<1xf64>) -> (tensor<4xf64>)
//   each segment: windows start at its steps 0 and 2
// CHECK: seq.scan reverse inits(%{{.*}} : tensor<4xf64>) over(%{{.*}}, %{{.*}} : tensor<2x4xf64>, tensor<2x4x4xf64>) -> (tensor<4xf64>)
// CHECK: seq.scan inits(%{{.*}} : tensor<4xf64>) over(%{{.*}} : tensor<4x4xf64>) -> (tensor<4xf64>, tensor<4x4xf64>)
// CHECK: %[[F4:.*]] = tensor.generate
// CHECK: arith.remui %{{.*}}, %c2{{.*}} : index
// CHECK: } : tensor<4xf64>
// CHECK: seq.scan reverse inits(%{{.*}} : tensor<4xf64>) over(%{{.*}}, %{{.*}}, %[[F4]] : tensor<4x4xf64>, tensor<4x4xf64>, tensor<4xf64>) -> (tensor<4xf64>)
func.func @truncated(%h0: tensor<4xf64> {seq.param = "h0"},
                     %xs: tensor<9x4xf64> {seq.input = "xs"}) -> tensor<f64> {
  %r = seq.scan inits(%h0 : tensor<4xf64>) over(%xs : tensor<9x4xf64>)
      attributes {checkpoint = 3 : i64, tbptt = 2 : i64} -> (tensor<4xf64>) {
  ^bb0(%h: tensor<4xf64>, %x: tensor<4xf64>):
    %m = seq.mul %h, %x : tensor<4xf64>, tensor<4xf64> -> tensor<4xf64>
    seq.yield %m : tensor<4xf64>
  }
  %l = seq.reduce_sum %r [0] : tensor<4xf64> -> tensor<f64>
  return %l : tensor<f64>
}
