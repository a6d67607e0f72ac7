//===- KernelABI.h - Runtime kernels that compiled code calls ---*- C++ -*-===//
//
// The contract between seqc-gemm-to-call, which replaces f32 GEMMs by calls,
// and the runtime, which implements them: the callee's name and the meaning
// of its flags; and the runtime's parallel-for, which
// seqc-outline-parallel-loops calls. The call passes three rank-2 memref descriptors (A, B, C,
// each `memref<?x?xf32, strided<[?, ?], offset: ?>>`) by pointer to
// `_mlir_ciface_<name>`, then the flags as an i64.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_PIPELINE_KERNELABI_H
#define SEQC_PIPELINE_KERNELABI_H

#include <cstdint>

namespace seqc::kernel_abi {

/// C = op(A) op(B), f32.
inline constexpr const char *kGemmF32 = "seqc_sgemm";

/// Bits of the GEMM's flags.
enum GemmFlags : int64_t {
  /// A is given as [K, M]: the product reads its transpose.
  kTransposeA = 1,
  /// B is given as [N, K].
  kTransposeB = 2,
  /// C += op(A) op(B) instead of C = op(A) op(B).
  kAccumulate = 4,
};

/// A right operand packed once for many products (seqc-pack-gemm-operands
/// hoists the packing out of the loops that reuse it):
///   `int64_t seqc_packed_gemm_size(int64_t k, int64_t n)`: the floats that
///   op(B) of [k, n] takes packed, for the host's kernel;
///   `seqc_pack_gemm_operand(B, packed, flags)`: B as a rank-2 and `packed`
///   as a rank-1 (`memref<?xf32>`) descriptor by pointer, flags as an i64
///   (kTransposeB counts);
///   `seqc_sgemm_packed(A, packed, C, flags)`: as kGemmF32 with op(B) read
///   from `packed`.
inline constexpr const char *kPackedGemmSize = "seqc_packed_gemm_size";
inline constexpr const char *kPackGemmOperand = "seqc_pack_gemm_operand";
inline constexpr const char *kPackedGemmF32 = "seqc_sgemm_packed";

/// Runs a loop's iterations on the thread pool:
/// `void seqc_parallel_for(void (*body)(void *context, int64_t begin,
/// int64_t end), void *context, int64_t count, int64_t work)` calls `body`
/// on disjoint ranges that cover [0, count), on any threads, and returns when
/// all have returned. `work` estimates the scalar operations of one
/// iteration: small loops run inline on the calling thread.
inline constexpr const char *kParallelFor = "seqc_parallel_for";

} // namespace seqc::kernel_abi

#endif // SEQC_PIPELINE_KERNELABI_H
