//===- scan_bench.cpp - The time of compiled recurrences ------------------===//
//
// Times the code seqc compiles for seq.scan, on the scans the unit tests
// check for correctness (test/unit/ScanModules.h), and prints what it
// measures; nothing here asserts a time. Three measurements:
//
//   hoist       an f32 LSTM(P = 32, H = 128) at T = 64, N = 32 compiled
//               with and without seqc-hoist-scan-matmuls: the medians of
//               the forward (@loss), the gradient (@loss_grad: forward and
//               BPTT) and the Adam training step (@train_step) over
//               SEQC_BENCH_RUNS runs (default 21) after 2 warm-up runs;
//               then the compile time and lowered size for a static T of
//               64 and 512, which do not grow with T. SEQC_BENCH_T, _N,
//               _P, _H override the sizes (bench/hoist_scan_matmuls.sh).
//   steps       an f32 Elman cell (N = 32, P = 64, H = 128): the forward
//               and the gradient per step for T = 16, 64, 256, 1024.
//   checkpoint  the same cell's f32 gradient over T = 500 steps with
//               checkpoints every k steps, next to the number of states its
//               derivative keeps (T without checkpoints, T / k saved plus
//               one segment of k recomputed with them).
//
//   seqc-scan-bench [hoist] [steps] [checkpoint]     (default: all three)
//
//===----------------------------------------------------------------------===//
#include "ScanModules.h"

#include "seqc/Pipeline/Pipeline.h"
#include "seqc/Runtime/JitSession.h"
#include "seqc/Runtime/Random.h"
#include "seqc/Runtime/TrainingModule.h"
#include "seqc/Transforms/Passes.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

using namespace seqc;
using namespace seqc::rt;
using namespace seqc::test;

namespace {

/// Ends the program with the message of a failed step.
[[noreturn]] void die(const std::string &message) {
  fmt::print(stderr, "seqc-scan-bench: {}\n", message);
  std::exit(1);
}

template <typename T> T check(llvm::Expected<T> value) {
  if (!value)
    die(llvm::toString(value.takeError()));
  return std::move(*value);
}

void check(llvm::Error error) {
  if (error)
    die(llvm::toString(std::move(error)));
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

/// The median time of `runs` calls, after `warmUp` more.
template <typename Call> double timeIt(int runs, int warmUp, Call &&call) {
  std::vector<double> times;
  for (int i = 0; i < runs + warmUp; ++i) {
    auto start = std::chrono::steady_clock::now();
    call();
    if (i >= warmUp)
      times.push_back(secondsSince(start));
  }
  return median(times);
}

int64_t envInt(const char *name, int64_t fallback) {
  const char *value = std::getenv(name);
  return value ? std::atoll(value) : fallback;
}

/// An f32 tensor of values uniform in [-scale, scale).
Tensor randomTensor(llvm::ArrayRef<int64_t> shape, Rng &rng, double scale) {
  Tensor tensor(DType::F32, shape);
  for (int64_t i = 0; i < tensor.numElements(); ++i)
    tensor.setDouble(i, rng.uniform(-scale, scale));
  return tensor;
}

/// `text` parsed and differentiated: @loss and @loss_grad.
mlir::OwningOpRef<mlir::ModuleOp> differentiated(mlir::MLIRContext &context,
                                                 const std::string &text) {
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(text, &context);
  if (!module)
    die("the module does not parse");
  mlir::PassManager pm(&context, mlir::ModuleOp::getOperationName());
  pm.addPass(createSeqcAutodiff());
  pm.addPass(mlir::createCanonicalizerPass());
  if (mlir::failed(pm.run(*module)))
    die("seqc-autodiff failed");
  return module;
}

Tensor run(JitSession &session, llvm::StringRef entry,
           const std::vector<Tensor> &inputs) {
  return std::move(check(session.run(entry, inputs)).front());
}

void benchHoisting(mlir::MLIRContext &context) {
  LstmSpec spec{"bench"};
  spec.batch = envInt("SEQC_BENCH_N", 32);
  spec.input = envInt("SEQC_BENCH_P", 32);
  spec.hidden = envInt("SEQC_BENCH_H", 128);
  const int64_t T = envInt("SEQC_BENCH_T", 64), N = spec.batch;
  const int64_t H = spec.hidden, P = spec.input;
  const int runs = envInt("SEQC_BENCH_RUNS", 21);
  std::string text = withFloatType(lstmModule(spec), "f32");

  Rng rng(11);
  std::map<std::string, Tensor> params;
  for (const char *gate : kLstmGates) {
    params[fmt::format("W{}", gate)] = randomTensor({H, H}, rng, 0.1);
    params[fmt::format("U{}", gate)] = randomTensor({H, P}, rng, 0.1);
    params[fmt::format("b{}", gate)] = randomTensor({H}, rng, 0.1);
  }
  std::vector<Tensor> inputs{
      randomTensor({N, H}, rng, 0.5), randomTensor({N, H}, rng, 0.5),
      randomTensor({T, N, P}, rng, 1.0), randomTensor({T, N, H}, rng, 1.0),
      randomTensor({N, H}, rng, 1.0)};

  fmt::print("LSTM(P={}, H={}), T={}, N={}, f32, median of {} runs\n", P, H, T,
             N, runs);
  for (bool hoist : {false, true}) {
    JitOptions options;
    options.pipeline.hoistScanMatmuls = hoist;
    auto gradModule = differentiated(context, text);
    auto compileStart = std::chrono::steady_clock::now();
    auto session = check(JitSession::create(*gradModule, options));
    double compileSeconds = secondsSince(compileStart);
    for (auto &[name, value] : params)
      check(session->setParam(name, value));
    double forward = timeIt(runs, 2, [&] { run(*session, "loss", inputs); });
    double gradient =
        timeIt(runs, 2, [&] { run(*session, "loss_grad", inputs); });

    // @train_step (Adam).
    mlir::OwningOpRef<mlir::ModuleOp> trainModule =
        mlir::parseSourceString<mlir::ModuleOp>(text, &context);
    if (!trainModule)
      die("the module does not parse");
    check(buildTrainingModule(*trainModule, OptimizerSpec{}));
    auto trainer = check(JitSession::create(*trainModule, options));
    for (auto &[name, value] : params)
      check(trainer->setParam(name, value));
    int64_t step = 0;
    double train = timeIt(
        runs, 2, [&] { check(trainer->trainStep(inputs, 1e-4, ++step)); });
    fmt::print("  {:<13} forward {:7.3f} ms  gradient {:7.3f} ms (backward "
               "{:7.3f} ms = {:4.1f}x forward)  train_step {:7.3f} ms  compile "
               "{:5.2f} s\n",
               hoist ? "hoisted:" : "not hoisted:", forward * 1e3,
               gradient * 1e3, (gradient - forward) * 1e3,
               (gradient - forward) / forward, train * 1e3, compileSeconds);
  }

  // Compile time and IR size for a static T.
  for (int64_t staticT : {int64_t(64), int64_t(512)}) {
    LstmSpec fixed = spec;
    fixed.time = staticT;
    mlir::OwningOpRef<mlir::ModuleOp> module =
        mlir::parseSourceString<mlir::ModuleOp>(
            withFloatType(lstmModule(fixed), "f32"), &context);
    if (!module)
      die("the module does not parse");
    auto start = std::chrono::steady_clock::now();
    mlir::PassManager pm(&context, mlir::ModuleOp::getOperationName());
    pm.addPass(createSeqcAutodiff());
    pm.addPass(mlir::createCanonicalizerPass());
    PipelineOptions options;
    buildSeqToLinalgPipeline(pm, options);
    buildLinalgToLLVMPipeline(pm, options);
    if (mlir::failed(pm.run(*module)))
      die("lowering failed");
    size_t ops = 0;
    module->walk([&](mlir::Operation *) { ++ops; });
    fmt::print("  static T = {:<4} lowered to {} LLVM-dialect ops in {:.2f} "
               "s\n",
               staticT, ops, secondsSince(start));
  }
}

/// The Elman cell of the step and checkpoint measurements.
CellSpec benchCell() {
  CellSpec spec{"bench"};
  spec.hidden = 128;
  spec.input = 64;
  spec.batch = 32;
  return spec;
}

void benchTimePerStep(mlir::MLIRContext &context) {
  CellSpec spec = benchCell();
  auto module = differentiated(context, withFloatType(cellModule(spec), "f32"));
  auto session = check(JitSession::create(*module));
  Rng rng(3);
  check(session->setParam("W", randomTensor({128, 128}, rng, 0.1)));
  check(session->setParam("U", randomTensor({128, 64}, rng, 0.1)));
  check(session->setParam("b", randomTensor({128}, rng, 0.1)));
  fmt::print("Elman(P=64, H=128), N=32, f32, median of 5 runs\n");
  for (int64_t steps : {16, 64, 256, 1024}) {
    Tensor h0 = randomTensor({32, 128}, rng, 0.5);
    Tensor xs = randomTensor({steps, 32, 64}, rng, 1.0);
    Tensor w = randomTensor({steps, 32, 128}, rng, 1.0);
    Tensor v = randomTensor({32, 128}, rng, 1.0);
    double forward = timeIt(5, 0, [&] { run(*session, "forward", {h0, xs}); });
    double gradient = timeIt(5, 0, [&] {
      run(*session, "loss_grad", {h0, xs, w, v});
    });
    fmt::print("  T = {:>4}: forward {:8.3f} ms ({:6.1f} us/step), gradient "
               "{:8.3f} ms ({:6.1f} us/step)\n",
               steps, forward * 1e3, forward * 1e6 / steps, gradient * 1e3,
               gradient * 1e6 / steps);
  }
}

void benchCheckpoints(mlir::MLIRContext &context) {
  const int64_t T = 500, batch = 32, hidden = 128, input = 64;
  Rng rng(5);
  Tensor W = randomTensor({hidden, hidden}, rng, 0.1);
  Tensor U = randomTensor({hidden, input}, rng, 0.1);
  Tensor b = randomTensor({hidden}, rng, 0.1);
  Tensor h0 = randomTensor({batch, hidden}, rng, 0.5);
  Tensor xs = randomTensor({T, batch, input}, rng, 1.0);
  Tensor w = randomTensor({T, batch, hidden}, rng, 1.0);
  Tensor v = randomTensor({batch, hidden}, rng, 1);
  fmt::print("Elman(P=64, H=128) gradient, T=500, N=32, f32, median of 5 "
             "runs\n");
  for (int64_t k : {0, 5, 10, 22, 50}) {
    CellSpec spec = benchCell();
    spec.checkpoint = k;
    auto module =
        differentiated(context, withFloatType(cellModule(spec), "f32"));
    auto session = check(JitSession::create(*module));
    check(session->setParam("W", W));
    check(session->setParam("U", U));
    check(session->setParam("b", b));
    double gradient = timeIt(5, 0, [&] {
      run(*session, "loss_grad", {h0, xs, w, v});
    });
    int64_t states = k == 0 ? T : T / k + std::max(k, T % k);
    fmt::print("  checkpoint = {:>2}: gradient {:8.3f} ms, states kept {:>3} "
               "({:6.2f} MB of f32 [N, H])\n",
               k, gradient * 1e3, states, states * batch * hidden * 4 / 1e6);
  }
}

} // namespace

int main(int argc, char **argv) {
  std::vector<std::string> chosen(argv + 1, argv + argc);
  if (chosen.empty())
    chosen = {"hoist", "steps", "checkpoint"};
  mlir::DialectRegistry registry;
  registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  for (const std::string &name : chosen) {
    if (name == "hoist")
      benchHoisting(context);
    else if (name == "steps")
      benchTimePerStep(context);
    else if (name == "checkpoint")
      benchCheckpoints(context);
    else
      die("unknown measurement '" + name +
          "'; choose from hoist, steps, checkpoint");
  }
  return 0;
}
