//===- fma_peak.cpp - FMA throughput probe for scripts/bench.sh -----------===//
//
// Measures the host's single-precision FMA peak: each thread runs 12
// independent chains of vector FMAs (acc = acc * m + c), enough to cover the
// FMA latency times the FMA ports of current x86 cores, so the loop is bound
// by FMA throughput alone. 16-lane AVX-512 vectors when compiled with
// -mavx512f, else 8-lane AVX2 (-mavx2 -mfma). scripts/bench.sh picks the
// flags from /proc/cpuinfo and compiles it with g++ -O2:
//
//   g++ -O2 -mavx512f -mfma -pthread bench/fma_peak.cpp -o fma_peak
//   ./fma_peak [--threads K] [--repeats R]
//
// Prints the best of R repeats (each about 0.2 s) as
//
//   PEAK isa=avx512 lanes=16 threads=K gflops=..
//
// counting 2 floating-point operations per lane per FMA.
//
//===----------------------------------------------------------------------===//
#include <immintrin.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

namespace {

constexpr int kChains = 12;

#if defined(__AVX512F__)
using Vec = __m512;
constexpr int kLanes = 16;
constexpr const char *kIsa = "avx512";
inline Vec splat(float x) { return _mm512_set1_ps(x); }
inline Vec fma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
inline float total(Vec v) { return _mm512_reduce_add_ps(v); }
#elif defined(__AVX2__) && defined(__FMA__)
using Vec = __m256;
constexpr int kLanes = 8;
constexpr const char *kIsa = "avx2";
inline Vec splat(float x) { return _mm256_set1_ps(x); }
inline Vec fma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
inline float total(Vec v) {
  float lanes[8];
  _mm256_storeu_ps(lanes, v);
  float sum = 0;
  for (float x : lanes)
    sum += x;
  return sum;
}
#else
#error "compile with -mavx512f -mfma or -mavx2 -mfma"
#endif

/// Runs `iterations` rounds of kChains independent FMAs; returns a value
/// that depends on every chain, so that none of them is optimized away.
float kernel(long iterations, float seed) {
  Vec acc[kChains];
  for (int k = 0; k < kChains; ++k)
    acc[k] = splat(seed + 0.01f * k);
  // acc * m + c converges to c / (1 - m) = 1: no overflow, no denormals.
  const Vec m = splat(0.999999f), c = splat(1e-6f);
  for (long i = 0; i < iterations; ++i) {
    // Twelve statements, not a loop over k: the chains stay in registers.
    acc[0] = fma(acc[0], m, c);
    acc[1] = fma(acc[1], m, c);
    acc[2] = fma(acc[2], m, c);
    acc[3] = fma(acc[3], m, c);
    acc[4] = fma(acc[4], m, c);
    acc[5] = fma(acc[5], m, c);
    acc[6] = fma(acc[6], m, c);
    acc[7] = fma(acc[7], m, c);
    acc[8] = fma(acc[8], m, c);
    acc[9] = fma(acc[9], m, c);
    acc[10] = fma(acc[10], m, c);
    acc[11] = fma(acc[11], m, c);
  }
  float sum = 0;
  for (int k = 0; k < kChains; ++k)
    sum += total(acc[k]);
  return sum;
}

double secondsOf(int threads, long iterations, float &sink) {
  std::vector<std::thread> pool;
  std::vector<float> results(threads);
  auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; ++t)
    pool.emplace_back(
        [&, t] { results[t] = kernel(iterations, 0.5f + 0.001f * t); });
  for (std::thread &thread : pool)
    thread.join();
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  for (float r : results)
    sink += r;
  return seconds;
}

} // namespace

int main(int argc, char **argv) {
  int threads = 1, repeats = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--threads"))
      threads = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--repeats"))
      repeats = std::atoi(argv[i + 1]);
  }
  if (threads < 1 || repeats < 1) {
    std::fprintf(stderr, "usage: fma_peak [--threads K] [--repeats R]\n");
    return 1;
  }
  float sink = 0;
  // Calibrate to about 0.2 s a repeat.
  long iterations = 1 << 20;
  while (secondsOf(1, iterations, sink) < 0.05)
    iterations *= 2;
  iterations *= 4;
  double best = 0;
  for (int r = 0; r < repeats; ++r) {
    double seconds = secondsOf(threads, iterations, sink);
    double flops =
        2.0 * kLanes * kChains * static_cast<double>(iterations) * threads;
    if (flops / seconds > best)
      best = flops / seconds;
  }
  std::printf("PEAK isa=%s lanes=%d threads=%d gflops=%.2f check=%g\n", kIsa,
              kLanes, threads, best * 1e-9, static_cast<double>(sink));
  return 0;
}
