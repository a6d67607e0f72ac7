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

// The bias and tanh loop (its rows run on the thread pool, so it is an
// outlined body): tanh's polynomial is FMAs on <16 x float>, no libm call.
// CHECK-LABEL: define void @dense_parallel1(ptr %0, i64 %1, i64 %2)
// CHECK-DAG:     call <16 x float> @llvm.fma.v16f32(<16 x float>
// CHECK-DAG:     load <16 x float>
// CHECK-DAG:     store <16 x float>
// CHECK-NOT:     call float @tanhf
// The register tile: rows of 32 lanes (two zmm each) updated by fmuladd.
// CHECK-LABEL: define {{.*}} @dense(
// CHECK:         call <32 x float> @llvm.fmuladd.v32f32(<32 x float>
// CHECK:         call void @seqc_parallel_for(ptr @dense_parallel1, ptr %{{.*}}, i64 %{{.*}}, i64 {{[0-9]+}})
// CHECK-LABEL: define void @_mlir_ciface_dense(

// LIB-LABEL: llvm.func @dense(
// LIB:         llvm.call @seqc_sgemm(
// LIB-LABEL: llvm.func @_mlir_ciface_dense(

// WIDTH8-LABEL: define void @dense_parallel1(
// WIDTH8:         call <8 x float> @llvm.fma.v8f32(<8 x float>
// WIDTH8-LABEL: define {{.*}} @dense(
// WIDTH8:         call <16 x float> @llvm.fmuladd.v16f32(<16 x float>
func.func @dense(%w: tensor<64x48xf32> {seq.param = "W"}, %b: tensor<64xf32> {seq.param = "b"},
                 %x: tensor<?x48xf32> {seq.input = "x"}) -> tensor<?x64xf32> {
  %0 = seq.matmul %x, %w {transpose_rhs} : tensor<?x48xf32>, tensor<64x48xf32> -> tensor<?x64xf32>
  %1 = seq.add %0, %b : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  %2 = seq.tanh %1 : tensor<?x64xf32>
  return %2 : tensor<?x64xf32>
}
