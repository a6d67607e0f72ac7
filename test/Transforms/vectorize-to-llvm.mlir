// seqc-vectorize's 16-lane vectors survive bufferization and the LLVM
// lowering: the matmul kernel is FMAs on <16 x float> (one zmm each on
// AVX-512), the 8 x 32 register tile is 16 such accumulators.
// RUN: seqc-opt %s --seqc-lower-to-linalg --seqc-vectorize | FileCheck %s --check-prefix=VEC
// With library GEMMs, the product is left for seqc-gemm-to-call, which makes
// it a call of the runtime's kernel.
// RUN: seqc-opt %s --seqc-lower-to-llvm="target-cpu=znver4 library-gemms" | FileCheck %s --check-prefix=LIB
// RUN: seqc-opt %s --seqc-lower-to-llvm="target-cpu=znver4" | mlir-translate --mlir-to-llvmir | FileCheck %s
// RUN: seqc-opt %s --seqc-lower-to-llvm="target-cpu=znver4 vector-width=8" | mlir-translate --mlir-to-llvmir | FileCheck %s --check-prefix=WIDTH8
// The width follows the CPU: one ymm register on an AVX2 CPU.
// RUN: seqc-opt %s --seqc-lower-to-llvm="target-cpu=znver2" | mlir-translate --mlir-to-llvmir | FileCheck %s --check-prefix=WIDTH8

// VEC-LABEL: func.func @dense
// VEC:         vector.contract {{.*}} : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// VEC:         vector.transfer_read {{.*}} vector<1x16xf32>
// VEC:         math.tanh %{{.*}} : vector<1x16xf32>

// CHECK-LABEL: define {{.*}} @dense(
// CHECK-DAG:     call <16 x float> @llvm.fma.v16f32(<16 x float>
// CHECK-DAG:     load <16 x float>
// CHECK-DAG:     store <16 x float>
// CHECK-NOT:     call float @tanhf
// CHECK-LABEL: define void @_mlir_ciface_dense(

// LIB-LABEL: llvm.func @dense(
// LIB:         llvm.call @seqc_sgemm(
// LIB-LABEL: llvm.func @_mlir_ciface_dense(

// WIDTH8-LABEL: define {{.*}} @dense(
// WIDTH8:         call <8 x float> @llvm.fma.v8f32(<8 x float>
func.func @dense(%w: tensor<64x48xf32> {seq.param = "W"}, %b: tensor<64xf32> {seq.param = "b"},
                 %x: tensor<?x48xf32> {seq.input = "x"}) -> tensor<?x64xf32> {
  %0 = seq.matmul %x, %w {transpose_rhs} : tensor<?x48xf32>, tensor<64x48xf32> -> tensor<?x64xf32>
  %1 = seq.add %0, %b : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  %2 = seq.tanh %1 : tensor<?x64xf32>
  return %2 : tensor<?x64xf32>
}
