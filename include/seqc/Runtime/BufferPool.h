//===- BufferPool.h - Reused buffers for tensors and compiled code -*- C++
//-*-===//
//
// Every buffer of a tensor, and every temporary that compiled code allocates
// (memref.alloc lowers to _mlir_memref_to_llvm_alloc, bound to the pool by
// the JIT), comes from one process-wide pool. A freed buffer is kept on a
// free list of its size class and handed out again, so a training step whose
// shapes repeat allocates nothing from the system after the first step: no
// malloc in the steady state, no page faults, no contention between threads
// in the allocator. Buffers are 64-byte aligned (a cache line, an AVX-512
// vector).
//
// Size classes are 64-byte multiples up to 4 KiB, then eight per power of
// two, so at most 1/8 of a buffer is slack. The free lists keep at most
// $SEQC_POOL_MAX_MB (default 4096) MiB; beyond that a freed buffer goes back
// to the system.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_RUNTIME_BUFFERPOOL_H
#define SEQC_RUNTIME_BUFFERPOOL_H

#include <cstddef>
#include <cstdint>

namespace seqc::rt {

/// The alignment of every pool buffer.
inline constexpr size_t kBufferAlignment = 64;

/// A buffer of at least `bytes` bytes (uninitialized), 64-byte aligned;
/// reports a fatal error when the system has no memory left.
void *poolAllocate(size_t bytes);

/// Returns a buffer from poolAllocate to the pool; null is ignored.
void poolRelease(void *buffer);

/// What the pool has done since the process started.
struct PoolStats {
  uint64_t allocations = 0;       // poolAllocate calls
  uint64_t systemAllocations = 0; // of those, the ones that missed the pool
  uint64_t bytesInUse = 0;        // handed out and not yet released
  uint64_t bytesCached = 0;       // on the free lists
  uint64_t peakBytes = 0;         // the most of in use + cached at any time
};
PoolStats poolStats();

/// Gives every cached buffer back to the system.
void poolTrim();

} // namespace seqc::rt

#endif // SEQC_RUNTIME_BUFFERPOOL_H
