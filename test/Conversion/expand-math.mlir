// RUN: seqc-opt %s --seqc-expand-math | FileCheck %s

// f32 tanh and exp on vectors become polynomials (FMAs, no libm calls).
// CHECK-LABEL: func.func @f32_vectors
// CHECK-NOT:     math.tanh
// CHECK-NOT:     math.exp
// CHECK:         math.fma %{{.*}} : vector<16xf32>
// CHECK:         return
func.func @f32_vectors(%x: vector<16xf32>) -> (vector<16xf32>, vector<16xf32>) {
  %0 = math.tanh %x : vector<16xf32>
  %1 = math.exp %x : vector<16xf32>
  return %0, %1 : vector<16xf32>, vector<16xf32>
}

// Other types are left to math-to-llvm and math-to-libm.
// CHECK-LABEL: func.func @f64
// CHECK:         math.tanh %{{.*}} : vector<8xf64>
// CHECK:         math.exp %{{.*}} : f64
func.func @f64(%x: vector<8xf64>, %y: f64) -> (vector<8xf64>, f64) {
  %0 = math.tanh %x : vector<8xf64>
  %1 = math.exp %y : f64
  return %0, %1 : vector<8xf64>, f64
}
