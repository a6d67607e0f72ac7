//===- gemm_bench.cpp - The GEMMs of the LSTM cases, two ways -------------===//
//
// Times the matrix products of one LSTM training step of the side-by-side
// bench's M2 and L cases (after seqc-hoist-scan-matmuls: the merged input
// projection over T*N rows, the per-step recurrent product, the merged dh
// product and the weight gradient with K = T*N), each compiled by seqc as a
// one-op model two ways and called through JitSession like a model's code:
//
//   library    f32 GEMMs call the runtime's kernel (oneDNN's sgemm, column
//              panels on the thread pool): the default
//   generated  seqc-vectorize's register-tiled loop nest (--gemm=generated)
//
// Prints one line per product and way with the median GFLOP/s over
// repeats; bench/gemm.sh adds the FMA peak of the host.
//
//   seqc-gemm-bench [--threads K] [--seconds S]
//
//===----------------------------------------------------------------------===//
#include "seqc/Pipeline/Pipeline.h"
#include "seqc/Runtime/JitSession.h"
#include "seqc/Runtime/ThreadPool.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <malloc.h>
#include <random>
#include <vector>

using namespace seqc;
using namespace seqc::rt;

namespace {

struct Product {
  const char *name;
  int64_t m, n, k;
  bool transposeA, transposeB;
};

// (E, H, N, T): M2 (512, 512, 64, 50), L (1024, 1024, 64, 25).
constexpr Product kProducts[] = {
    {"M2 input projection x [U]^T", 3200, 2048, 512, false, true},
    {"M2 step h [W]^T", 64, 2048, 512, false, true},
    {"M2 step dG [W]", 64, 512, 2048, false, false},
    {"M2 weight gradient dG^T h", 2048, 512, 3200, true, false},
    {"L input projection x [U]^T", 1600, 4096, 1024, false, true},
    {"L step h [W]^T", 64, 4096, 1024, false, true},
    {"L step dG [W]", 64, 1024, 4096, false, false},
    {"L weight gradient dG^T h", 4096, 1024, 1600, true, false},
};

std::string moduleFor(const Product &p) {
  int64_t aRows = p.transposeA ? p.k : p.m, aCols = p.transposeA ? p.m : p.k;
  int64_t bRows = p.transposeB ? p.n : p.k, bCols = p.transposeB ? p.k : p.n;
  std::string attrs;
  if (p.transposeA)
    attrs = " {transpose_lhs}";
  if (p.transposeB)
    attrs = " {transpose_rhs}";
  return fmt::format(
      "func.func @product(%a: tensor<{0}x{1}xf32> {{seq.input = \"a\"}}, "
      "%b: tensor<{2}x{3}xf32> {{seq.input = \"b\"}}) -> tensor<{4}x{5}xf32> "
      "{{\n"
      "  %c = seq.matmul %a, %b{6} : tensor<{0}x{1}xf32>, tensor<{2}x{3}xf32> "
      "-> tensor<{4}x{5}xf32>\n"
      "  return %c : tensor<{4}x{5}xf32>\n}}\n",
      aRows, aCols, bRows, bCols, p.m, p.n, attrs);
}

Tensor randomTensor(int64_t rows, int64_t cols, unsigned seed) {
  Tensor tensor(DType::F32, {rows, cols});
  std::mt19937 generator(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (float &value : tensor.values<float>())
    value = uniform(generator);
  return tensor;
}

} // namespace

int main(int argc, char **argv) {
  unsigned threads = 1;
  double seconds = 0.5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--threads"))
      threads = static_cast<unsigned>(std::atoi(argv[i + 1]));
    else if (!std::strcmp(argv[i], "--seconds"))
      seconds = std::atof(argv[i + 1]);
  }
  setThreadCount(threads);
  // As seqc does: freed buffers stay in the heap for the next call instead
  // of being unmapped and faulted in again.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);

  mlir::DialectRegistry registry;
  registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  auto target = resolveTarget();
  if (!target) {
    fmt::print(stderr, "{}\n", llvm::toString(target.takeError()));
    return 1;
  }
  fmt::print("GEMM target {}, {} thread(s)\n", target->describe(), threads);

  for (const Product &p : kProducts) {
    auto module =
        mlir::parseSourceString<mlir::ModuleOp>(moduleFor(p), &context);
    if (!module)
      return 1;
    Tensor a =
        p.transposeA ? randomTensor(p.k, p.m, 1) : randomTensor(p.m, p.k, 1);
    Tensor b =
        p.transposeB ? randomTensor(p.n, p.k, 2) : randomTensor(p.k, p.n, 2);
    double flops = 2.0 * double(p.m) * double(p.n) * double(p.k);
    for (bool library : {true, false}) {
      JitOptions options;
      options.pipeline.libraryGemms = library;
      options.useCache = false;
      auto session = JitSession::create(*module, options);
      if (!session) {
        fmt::print(stderr, "{}\n", llvm::toString(session.takeError()));
        return 1;
      }
      // Repeats of about `seconds / 5` each; the median rate.
      std::vector<double> rates;
      for (int repeat = 0; repeat < 5; ++repeat) {
        int64_t calls = 0;
        auto start = std::chrono::steady_clock::now();
        double elapsed = 0;
        do {
          auto out = (*session)->run("product", {a, b});
          if (!out) {
            fmt::print(stderr, "{}\n", llvm::toString(out.takeError()));
            return 1;
          }
          ++calls;
          elapsed = std::chrono::duration<double>(
                        std::chrono::steady_clock::now() - start)
                        .count();
        } while (elapsed < seconds / 5);
        rates.push_back(flops * double(calls) / elapsed / 1e9);
      }
      std::sort(rates.begin(), rates.end());
      fmt::print("GEMM {:<30} {:>5} x {:>5} x {:>5}  {:<9} {:7.1f} GFLOP/s\n",
                 p.name, p.m, p.n, p.k, library ? "library" : "generated",
                 rates[rates.size() / 2]);
    }
  }
  return 0;
}
