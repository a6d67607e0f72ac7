//===- ThreadPool.h - Fork-join parallelism for compiled kernels -*- C++
//-*-===//
//
// The runtime's one pool of worker threads. Compiled code calls back into the
// runtime for its large kernels (GEMMs), which split their work into a few
// independent pieces and run them here. The calling thread takes part, so a
// pool of size 1 runs everything inline. Idle workers spin briefly and then
// sleep, so that a pool on an oversubscribed machine degrades to the speed
// of one thread instead of fighting for the busy core.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_RUNTIME_THREADPOOL_H
#define SEQC_RUNTIME_THREADPOOL_H

#include "llvm/ADT/STLFunctionalExtras.h"

#include <cstdint>
#include <memory>

namespace seqc::rt {

class ThreadPool {
public:
  /// A pool of `threads` threads in all, the caller included (at least 1).
  explicit ThreadPool(unsigned threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  unsigned size() const;

  /// Calls `task(i)` for every i in [0, count), spread over the pool's
  /// threads, and returns when all calls have returned. Which thread runs
  /// which i is not fixed: each task must give the same result wherever it
  /// runs. Calls from inside a task run inline.
  void parallelFor(int64_t count, llvm::function_ref<void(int64_t)> task);

private:
  struct Impl;
  std::unique_ptr<Impl> impl;
};

/// The process's pool, used by compiled code. Its size is
/// defaultThreadCount() until `setThreadCount` changes it.
ThreadPool &globalThreadPool();

/// Resizes the global pool (0: defaultThreadCount()). Not to be called
/// while compiled code runs.
void setThreadCount(unsigned threads);

/// $SEQC_THREADS when it is a positive number, else hardwareThreads().
unsigned defaultThreadCount();

/// The number of cores the process may run on.
unsigned hardwareThreads();

} // namespace seqc::rt

#endif // SEQC_RUNTIME_THREADPOOL_H
