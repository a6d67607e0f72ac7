// RUN: seqc-opt %s -split-input-file --seqc-fuse-elementwise | FileCheck %s

// A producer with two elementwise users is computed once: its first user
// absorbs it and yields its result as well, the second user then absorbs
// that, and one loop nest is left (the new cell state c_t feeds both h_t and
// the masked carry).

#id = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @cell_state_feeds_two
// CHECK-NOT:     linalg.generic
// CHECK:         %[[F:.*]]:2 = linalg.generic
// CHECK-SAME:      ins(%arg2, %arg0, %arg1 :
// CHECK:           %[[SUM:.*]] = arith.addf
// CHECK:           %[[C:.*]] = math.tanh %[[SUM]]
// CHECK:           %[[T:.*]] = math.tanh %[[C]]
// CHECK:           %[[H:.*]] = arith.mulf %[[T]]
// CHECK:           %[[CARRY:.*]] = arith.select %{{.*}}, %[[C]]
// CHECK:           linalg.yield %[[H]], %[[CARRY]]
// CHECK-NOT:     linalg.generic
// CHECK:         return %[[F]]#0, %[[F]]#1
func.func @cell_state_feeds_two(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>,
                                %keep: tensor<4x8xi1>)
    -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %e = tensor.empty() : tensor<4x8xf32>
  %c = linalg.generic {indexing_maps = [#id, #id, #id],
                       iterator_types = ["parallel", "parallel"]}
      ins(%a, %b : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    %t = math.tanh %s : f32
    linalg.yield %t : f32
  } -> tensor<4x8xf32>
  %h = linalg.generic {indexing_maps = [#id, #id, #id],
                       iterator_types = ["parallel", "parallel"]}
      ins(%c, %a : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %t = math.tanh %x : f32
    %m = arith.mulf %t, %y : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  %carry = linalg.generic {indexing_maps = [#id, #id, #id, #id],
                           iterator_types = ["parallel", "parallel"]}
      ins(%keep, %c, %b : tensor<4x8xi1>, tensor<4x8xf32>, tensor<4x8xf32>)
      outs(%e : tensor<4x8xf32>) {
  ^bb0(%k: i1, %x: f32, %y: f32, %o: f32):
    %r = arith.select %k, %x, %y : f32
    linalg.yield %r : f32
  } -> tensor<4x8xf32>
  return %h, %carry : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// A user of the producer that comes before the consumer would read the
// fused op's result before it exists: the producer stays on its own.

#id = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @earlier_user
// CHECK:         %[[C:.*]] = linalg.generic
// CHECK:         call @use(%[[C]])
// CHECK:         %[[H:.*]] = linalg.generic
// CHECK-SAME:      ins(%[[C]]
func.func private @use(tensor<4x8xf32>)
func.func @earlier_user(%a: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %c = linalg.generic {indexing_maps = [#id, #id],
                       iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%x: f32, %o: f32):
    %t = math.tanh %x : f32
    linalg.yield %t : f32
  } -> tensor<4x8xf32>
  call @use(%c) : (tensor<4x8xf32>) -> ()
  %h = linalg.generic {indexing_maps = [#id, #id],
                       iterator_types = ["parallel", "parallel"]}
      ins(%c : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%x: f32, %o: f32):
    %m = arith.mulf %x, %x : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  return %h : tensor<4x8xf32>
}

// -----

// The producer is also the consumer's init: fusing would make the fused op
// read its own result.

#id = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @producer_is_init
// CHECK:         %[[C:.*]] = linalg.generic
// CHECK:         linalg.generic
// CHECK-SAME:      ins(%[[C]] : tensor<4x8xf32>) outs(%[[C]] : tensor<4x8xf32>)
func.func @producer_is_init(%a: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %c = linalg.generic {indexing_maps = [#id, #id],
                       iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%x: f32, %o: f32):
    %t = math.tanh %x : f32
    linalg.yield %t : f32
  } -> tensor<4x8xf32>
  %h = linalg.generic {indexing_maps = [#id, #id],
                       iterator_types = ["parallel", "parallel"]}
      ins(%c : tensor<4x8xf32>) outs(%c : tensor<4x8xf32>) {
  ^bb0(%x: f32, %o: f32):
    %m = arith.addf %x, %o : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  return %h : tensor<4x8xf32>
}
