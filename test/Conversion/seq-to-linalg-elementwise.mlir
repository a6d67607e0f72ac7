// RUN: seqc-opt %s --convert-seq-to-linalg -split-input-file | FileCheck %s

// CHECK-DAG: #[[$ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @neg
// CHECK-SAME:    (%[[X:.*]]: tensor<?x4xf32>)
// CHECK:         %[[C0:.*]] = arith.constant 0 : index
// CHECK:         %[[N:.*]] = tensor.dim %[[X]], %[[C0]] : tensor<?x4xf32>
// CHECK:         %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?x4xf32>
// CHECK:         %[[R:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:      ins(%[[X]] : tensor<?x4xf32>) outs(%[[E]] : tensor<?x4xf32>)
// CHECK:         ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[V:.*]] = arith.negf %[[IN]] : f32
// CHECK:           linalg.yield %[[V]] : f32
// CHECK:         return %[[R]]
func.func @neg(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = seq.neg %x : tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// sigmoid(x) = 1 / (1 + exp(-x))
// CHECK-LABEL: func.func @sigmoid
// CHECK:         linalg.generic
// CHECK:         ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK:           %[[NEG:.*]] = arith.negf %[[IN]] : f32
// CHECK:           %[[EXP:.*]] = math.exp %[[NEG]] : f32
// CHECK:           %[[DEN:.*]] = arith.addf %[[ONE]], %[[EXP]] : f32
// CHECK:           %[[R:.*]] = arith.divf %[[ONE]], %[[DEN]] : f32
// CHECK:           linalg.yield %[[R]] : f32
func.func @sigmoid(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = seq.sigmoid %x : tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// CHECK-LABEL: func.func @math_ops
// CHECK:         math.tanh %{{.*}} : f32
// CHECK:         math.exp %{{.*}} : f32
// CHECK:         math.log %{{.*}} : f32
// CHECK:         math.sqrt %{{.*}} : f32
// CHECK:         math.absf %{{.*}} : f32
func.func @math_ops(%x: tensor<8xf32>) -> tensor<8xf32> {
  %0 = seq.tanh %x : tensor<8xf32>
  %1 = seq.exp %0 : tensor<8xf32>
  %2 = seq.log %1 : tensor<8xf32>
  %3 = seq.sqrt %2 : tensor<8xf32>
  %4 = seq.abs %3 : tensor<8xf32>
  return %4 : tensor<8xf32>
}

// -----

// CHECK-LABEL: func.func @relu
// CHECK:         ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:           %[[R:.*]] = arith.maximumf %[[IN]], %[[ZERO]] : f32
// CHECK:           linalg.yield %[[R]]
func.func @relu(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = seq.relu %x : tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// CHECK-LABEL: func.func @leaky_relu
// CHECK:         ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[ALPHA:.*]] = arith.constant 1.000000e-01 : f32
// CHECK:           %[[SCALED:.*]] = arith.mulf %[[ALPHA]], %[[IN]] : f32
// CHECK:           %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:           %[[POS:.*]] = arith.cmpf ogt, %[[IN]], %[[ZERO]] : f32
// CHECK:           %[[R:.*]] = arith.select %[[POS]], %[[IN]], %[[SCALED]] : f32
// CHECK:           linalg.yield %[[R]]
func.func @leaky_relu(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = seq.leaky_relu %x alpha = 0.1 : tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// elu on f64: x > 0 ? x : alpha * expm1(x), in the element type.
// CHECK-LABEL: func.func @elu_f64
// CHECK:         linalg.generic
// CHECK-SAME:      ins(%{{.*}} : tensor<?x4xf64>) outs(%{{.*}} : tensor<?x4xf64>)
// CHECK:         ^bb0(%[[IN:.*]]: f64, %{{.*}}: f64):
// CHECK:           %[[ALPHA:.*]] = arith.constant 5.000000e-01 : f64
// CHECK:           %[[EM1:.*]] = math.expm1 %[[IN]] : f64
// CHECK:           %[[NEG:.*]] = arith.mulf %[[ALPHA]], %[[EM1]] : f64
// CHECK:           %[[POS:.*]] = arith.cmpf ogt, %[[IN]], %{{.*}} : f64
// CHECK:           %[[R:.*]] = arith.select %[[POS]], %[[IN]], %[[NEG]] : f64
func.func @elu_f64(%x: tensor<?x4xf64>) -> tensor<?x4xf64> {
  %0 = seq.elu %x alpha = 0.5 : tensor<?x4xf64>
  return %0 : tensor<?x4xf64>
}

// -----

// A bias broadcast over the batch reads only the trailing axis.
// CHECK-DAG: #[[$ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @add_bias
// CHECK-SAME:    (%[[X:.*]]: tensor<?x4xf32>, %[[B:.*]]: tensor<4xf32>)
// CHECK:         %[[N:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x4xf32>
// CHECK:         %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?x4xf32>
// CHECK:         linalg.generic {indexing_maps = [#[[$ID]], #[[$ROW]], #[[$ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:      ins(%[[X]], %[[B]] : tensor<?x4xf32>, tensor<4xf32>) outs(%[[E]] : tensor<?x4xf32>)
// CHECK:           arith.addf
func.func @add_bias(%x: tensor<?x4xf32>, %b: tensor<4xf32>) -> tensor<?x4xf32> {
  %0 = seq.add %x, %b : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// A static 1 stretches: it is read at index 0.
// CHECK-DAG: #[[$ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$COL:.*]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-LABEL: func.func @sub_column
// CHECK:         linalg.generic {indexing_maps = [#[[$ID]], #[[$COL]], #[[$ID]]]
// CHECK:           arith.subf
func.func @sub_column(%x: tensor<?x4xf32>, %c: tensor<?x1xf32>) -> tensor<?x4xf32> {
  %0 = seq.sub %x, %c : tensor<?x4xf32>, tensor<?x1xf32> -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// The batch size of the result comes from the operand that has it.
// CHECK-DAG: #[[$ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$ROW:.*]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-LABEL: func.func @mul_lhs_broadcast
// CHECK-SAME:    (%[[A:.*]]: tensor<1x4xf32>, %[[X:.*]]: tensor<?x4xf32>)
// CHECK:         %[[N:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x4xf32>
// CHECK:         tensor.empty(%[[N]]) : tensor<?x4xf32>
// CHECK:         linalg.generic {indexing_maps = [#[[$ROW]], #[[$ID]], #[[$ID]]]
// CHECK:           arith.mulf
func.func @mul_lhs_broadcast(%a: tensor<1x4xf32>, %x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = seq.mul %a, %x : tensor<1x4xf32>, tensor<?x4xf32> -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// CHECK-DAG: #[[$SCALAR:.*]] = affine_map<(d0, d1, d2) -> ()>
// CHECK-LABEL: func.func @div_scalar
// CHECK:         linalg.generic {indexing_maps = [#{{.*}}, #[[$SCALAR]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK:           arith.divf
func.func @div_scalar(%x: tensor<?x3x4xf32>, %s: tensor<f32>) -> tensor<?x3x4xf32> {
  %0 = seq.div %x, %s : tensor<?x3x4xf32>, tensor<f32> -> tensor<?x3x4xf32>
  return %0 : tensor<?x3x4xf32>
}

// -----

// step(x) = x > 0 ? 1 : 0
// CHECK-LABEL: func.func @step
// CHECK:         ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:           %[[POS:.*]] = arith.cmpf ogt, %[[IN]], %[[ZERO]] : f32
// CHECK:           %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK:           %[[R:.*]] = arith.select %[[POS]], %[[ONE]], %[[ZERO]] : f32
// CHECK:           linalg.yield %[[R]]
func.func @step(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = seq.step %x : tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// sign(x) = x > 0 ? 1 : (x < 0 ? -1 : 0)
// CHECK-LABEL: func.func @sign
// CHECK:         ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[POS:.*]] = arith.cmpf ogt, %[[IN]], %{{.*}} : f32
// CHECK:           %[[NEG:.*]] = arith.cmpf olt, %[[IN]], %{{.*}} : f32
// CHECK:           %[[MINUS:.*]] = arith.constant -1.000000e+00 : f32
// CHECK:           %[[NZ:.*]] = arith.select %[[NEG]], %[[MINUS]], %{{.*}} : f32
// CHECK:           %[[PLUS:.*]] = arith.constant 1.000000e+00 : f32
// CHECK:           %[[R:.*]] = arith.select %[[POS]], %[[PLUS]], %[[NZ]] : f32
// CHECK:           linalg.yield %[[R]]
func.func @sign(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = seq.sign %x : tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// CHECK-DAG: #[[$ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @equal
// CHECK:         linalg.generic {indexing_maps = [#[[$ID]], #[[$ROW]], #[[$ID]]]
// CHECK:         ^bb0(%[[L:.*]]: f32, %[[R:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[EQ:.*]] = arith.cmpf oeq, %[[L]], %[[R]] : f32
// CHECK:           %[[V:.*]] = arith.select %[[EQ]], %{{.*}}, %{{.*}} : f32
// CHECK:           linalg.yield %[[V]]
func.func @equal(%x: tensor<?x4xf32>, %y: tensor<4xf32>) -> tensor<?x4xf32> {
  %0 = seq.equal %x, %y : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}
