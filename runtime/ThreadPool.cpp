//===- ThreadPool.cpp - Fork-join parallelism for compiled kernels --------===//
#include "seqc/Runtime/ThreadPool.h"
#include "seqc/Support/Environment.h"

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#include <sched.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
static inline void cpuRelax() { _mm_pause(); }
#else
static inline void cpuRelax() {}
#endif

using namespace seqc::rt;

namespace {
/// Spins this many rounds waiting for work (or for the others to finish)
/// before sleeping: a few tens of microseconds, about the gap between two
/// kernels of a time step.
constexpr int kSpinRounds = 20000;

thread_local bool insideTask = false;
} // namespace

struct ThreadPool::Impl {
  unsigned threads;
  std::vector<std::thread> workers;

  // The current job, published under `mutex` while no worker is active;
  // `generation` changes with each job.
  llvm::function_ref<void(int64_t)> task;
  int64_t count = 0;
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> done{0};
  std::atomic<uint64_t> generation{0};
  /// Workers that hold a copy of the current job.
  std::atomic<int> active{0};
  bool stopping = false;

  std::mutex mutex;
  std::condition_variable wake;
  /// Serializes jobs from different caller threads.
  std::mutex submit;

  explicit Impl(unsigned threads) : threads(threads) {
    for (unsigned i = 1; i < threads; ++i)
      workers.emplace_back([this] { workerLoop(); });
  }

  ~Impl() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
      generation.fetch_add(1);
    }
    wake.notify_all();
    for (std::thread &worker : workers)
      worker.join();
  }

  /// Takes tasks of a job until none is left.
  void work(llvm::function_ref<void(int64_t)> jobTask, int64_t jobCount) {
    insideTask = true;
    for (int64_t i = next.fetch_add(1); i < jobCount; i = next.fetch_add(1)) {
      jobTask(i);
      done.fetch_add(1, std::memory_order_release);
    }
    insideTask = false;
  }

  void workerLoop() {
    uint64_t seen = 0;
    while (true) {
      // Spin, then sleep, until a new job (or the end) is published.
      int spins = 0;
      while (generation.load(std::memory_order_acquire) == seen &&
             spins < kSpinRounds) {
        cpuRelax();
        ++spins;
      }
      llvm::function_ref<void(int64_t)> jobTask;
      int64_t jobCount;
      {
        std::unique_lock<std::mutex> lock(mutex);
        wake.wait(lock, [&] { return generation.load() != seen; });
        seen = generation.load();
        if (stopping)
          return;
        jobTask = task;
        jobCount = count;
        active.fetch_add(1);
      }
      work(jobTask, jobCount);
      active.fetch_sub(1, std::memory_order_release);
    }
  }

  void run(int64_t jobCount, llvm::function_ref<void(int64_t)> jobTask) {
    std::lock_guard<std::mutex> serial(submit);
    // A worker still holding the previous job would take tasks of this one
    // with the old function: publish only when none does.
    while (true) {
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (active.load(std::memory_order_acquire) == 0) {
          task = jobTask;
          count = jobCount;
          done.store(0);
          next.store(0);
          generation.fetch_add(1, std::memory_order_release);
          break;
        }
      }
      cpuRelax();
    }
    wake.notify_all();
    work(jobTask, jobCount);
    // Wait for the tasks that other threads took; yield once the wait is
    // long (a worker descheduled on a busy core).
    int spins = 0;
    while (done.load(std::memory_order_acquire) < jobCount) {
      if (++spins < kSpinRounds)
        cpuRelax();
      else
        std::this_thread::yield();
    }
  }
};

ThreadPool::ThreadPool(unsigned threads)
    : impl(std::make_unique<Impl>(threads == 0 ? 1 : threads)) {}

ThreadPool::~ThreadPool() = default;

unsigned ThreadPool::size() const { return impl->threads; }

void ThreadPool::parallelFor(int64_t count,
                             llvm::function_ref<void(int64_t)> task) {
  if (count <= 0)
    return;
  if (count == 1 || impl->threads == 1 || insideTask) {
    for (int64_t i = 0; i < count; ++i)
      task(i);
    return;
  }
  impl->run(count, task);
}

unsigned seqc::rt::hardwareThreads() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int cores = CPU_COUNT(&set);
    if (cores > 0)
      return static_cast<unsigned>(cores);
  }
  unsigned cores = std::thread::hardware_concurrency();
  return cores ? cores : 1;
}

unsigned seqc::rt::defaultThreadCount() {
  std::optional<int64_t> threads = environmentInteger("SEQC_THREADS");
  if (threads && *threads > 0 && *threads <= 1024)
    return static_cast<unsigned>(*threads);
  return hardwareThreads();
}

namespace {
/// The global pool, created on first use. Compiled code of several threads
/// may ask for it at once, so its creation is guarded.
struct GlobalPool {
  std::mutex mutex;
  std::unique_ptr<ThreadPool> pool;
  std::atomic<ThreadPool *> current{nullptr};
};
} // namespace

static GlobalPool &globalPool() {
  static GlobalPool global;
  return global;
}

ThreadPool &seqc::rt::globalThreadPool() {
  GlobalPool &global = globalPool();
  if (ThreadPool *pool = global.current.load(std::memory_order_acquire))
    return *pool;
  std::lock_guard<std::mutex> lock(global.mutex);
  if (!global.pool) {
    global.pool = std::make_unique<ThreadPool>(defaultThreadCount());
    global.current.store(global.pool.get(), std::memory_order_release);
  }
  return *global.pool;
}

void seqc::rt::setThreadCount(unsigned threads) {
  if (threads == 0)
    threads = defaultThreadCount();
  GlobalPool &global = globalPool();
  std::lock_guard<std::mutex> lock(global.mutex);
  if (global.pool && global.pool->size() == threads)
    return;
  global.current.store(nullptr, std::memory_order_release);
  global.pool = std::make_unique<ThreadPool>(threads);
  global.current.store(global.pool.get(), std::memory_order_release);
}
