//===- BufferPool.cpp - Reused buffers for tensors and compiled code ------===//

#include "seqc/Runtime/BufferPool.h"
#include "seqc/Support/Environment.h"

#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/MathExtras.h"

#include <cstdlib>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

using namespace seqc::rt;

namespace {

/// Sits in the 64 bytes before every buffer: its size class, and a mark that
/// catches a pointer the pool did not hand out.
struct alignas(kBufferAlignment) Header {
  uint64_t mark;
  uint64_t capacity;
};
static_assert(sizeof(Header) == kBufferAlignment);

constexpr uint64_t kLiveMark = 0x53657163506f6f6cULL; // "SeqcPool"
constexpr uint64_t kFreeMark = 0x66726565506f6f6cULL; // "freePool"

/// The size class of a request: 64-byte steps to 4 KiB, then eight classes
/// per power of two.
size_t capacityFor(size_t bytes) {
  bytes = std::max<size_t>(bytes, 1);
  if (bytes <= 4096)
    return llvm::alignTo(bytes, kBufferAlignment);
  size_t step = llvm::PowerOf2Ceil(bytes) / 16;
  return llvm::alignTo(bytes, step);
}

uint64_t cacheLimitBytes() {
  return uint64_t(seqc::environmentInteger("SEQC_POOL_MAX_MB").value_or(4096))
         << 20;
}

class Pool {
public:
  void *allocate(size_t bytes) {
    size_t capacity = capacityFor(bytes);
    Header *header = nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex);
      ++stats.allocations;
      auto found = freeLists.find(capacity);
      if (found != freeLists.end() && !found->second.empty()) {
        header = found->second.back();
        found->second.pop_back();
        stats.bytesCached -= capacity;
      } else {
        ++stats.systemAllocations;
      }
      stats.bytesInUse += capacity;
      stats.peakBytes =
          std::max(stats.peakBytes, stats.bytesInUse + stats.bytesCached);
    }
    if (!header) {
      header = static_cast<Header *>(
          std::aligned_alloc(kBufferAlignment, sizeof(Header) + capacity));
      if (!header)
        llvm::report_bad_alloc_error("seqc: out of memory for a buffer");
      header->capacity = capacity;
    }
    header->mark = kLiveMark;
    return header + 1;
  }

  void release(void *buffer) {
    if (!buffer)
      return;
    Header *header = static_cast<Header *>(buffer) - 1;
    if (header->mark != kLiveMark)
      llvm::report_fatal_error("seqc: a buffer released twice, or not "
                               "allocated by the buffer pool");
    header->mark = kFreeMark;
    size_t capacity = header->capacity;
    {
      std::lock_guard<std::mutex> lock(mutex);
      stats.bytesInUse -= capacity;
      if (stats.bytesCached + capacity <= limit) {
        freeLists[capacity].push_back(header);
        stats.bytesCached += capacity;
        return;
      }
    }
    std::free(header);
  }

  PoolStats snapshot() {
    std::lock_guard<std::mutex> lock(mutex);
    return stats;
  }

  void trim() {
    std::unordered_map<size_t, std::vector<Header *>> released;
    {
      std::lock_guard<std::mutex> lock(mutex);
      released.swap(freeLists);
      stats.bytesCached = 0;
    }
    for (auto &[capacity, headers] : released)
      for (Header *header : headers)
        std::free(header);
  }

private:
  std::mutex mutex;
  std::unordered_map<size_t, std::vector<Header *>> freeLists;
  PoolStats stats;
  uint64_t limit = cacheLimitBytes();
};

/// Never destroyed: compiled code and static tensors may release buffers
/// during exit.
Pool &pool() {
  static Pool *instance = new Pool;
  return *instance;
}

} // namespace

void *seqc::rt::poolAllocate(size_t bytes) { return pool().allocate(bytes); }

void seqc::rt::poolRelease(void *buffer) { pool().release(buffer); }

PoolStats seqc::rt::poolStats() { return pool().snapshot(); }

void seqc::rt::poolTrim() { pool().trim(); }
