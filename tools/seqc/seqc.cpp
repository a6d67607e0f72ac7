//===- seqc.cpp - The seqc driver -----------------------------------------===//
//
//   seqc compile FILE --emit=ast|tir|seq|linalg|llvm-dialect|llvm|asm
//   seqc run FILE [--input X.csv | --random N] [--params W.safetensors]
//   seqc train FILE [--epochs N] [--lr X] ... [--out DIR] [--from DIR]
//              [--window T] [--max-steps N] [--bench]
//   seqc eval FILE --from DIR
//   seqc generate FILE --from DIR --prompt TEXT [--temperature T]
//   seqc generate FILE --from DIR --input TEXT | --input-file F [--beam K]
//
// A thin main: each stage lives in its library; this file parses options,
// chains the stages and turns failures into exit status 1.
//
//===----------------------------------------------------------------------===//
#include <cmath>
#include <malloc.h>

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "seqc/Driver/Decode.h"
#include "seqc/Driver/Generate.h"
#include "seqc/Driver/Run.h"
#include "seqc/Driver/TrainCommand.h"
#include "seqc/Frontend/DiagnosticLimits.h"
#include "seqc/Frontend/Frontend.h"
#include "seqc/Frontend/MLIRGen.h"
#include "seqc/Pipeline/Pipeline.h"
#include "seqc/Runtime/Data.h"
#include "seqc/Runtime/ThreadPool.h"
#include "seqc/Runtime/TrainingModule.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

using namespace llvm;

namespace {

cl::OptionCategory seqcCategory("seqc options");

cl::SubCommand compileCmd("compile",
                          "Compile a model and print one stage of it");
cl::SubCommand runCmd("run", "Compile a model and run its forward pass (or "
                             "train and evaluate it, given a train block and "
                             "no inputs)");
cl::SubCommand trainCmd("train", "Train a model as its train block says");
cl::SubCommand evalCmd("eval",
                       "Evaluate a trained model on the validation data");
cl::SubCommand generateCmd(
    "generate", "Sample text from a model trained on text data (--prompt), "
                "or decode inputs with an encoder-decoder trained on pairs "
                "(--input, --input-file; greedy or --beam K)");

// Options shared by every subcommand.
cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.seq>"),
                               cl::Required, cl::sub(compileCmd),
                               cl::sub(runCmd), cl::sub(trainCmd),
                               cl::sub(evalCmd), cl::sub(generateCmd),
                               cl::cat(seqcCategory));
cl::list<std::string> dims("dim", cl::desc("Set a model dimension: --dim H=32"),
                           cl::value_desc("NAME=SIZE"), cl::sub(compileCmd),
                           cl::sub(runCmd), cl::sub(trainCmd), cl::sub(evalCmd),
                           cl::sub(generateCmd), cl::cat(seqcCategory));
cl::list<std::string> dataDims(
    "data-dim",
    cl::desc("Set a size that comes from the data: --data-dim features=4 "
             "(features, classes, targets, vocab)"),
    cl::value_desc("KIND=SIZE"), cl::sub(compileCmd), cl::sub(runCmd),
    cl::cat(seqcCategory));
cl::opt<bool> withLoss("with-loss",
                       cl::desc("Also compile the loss of the train block, as "
                                "the function @loss"),
                       cl::sub(compileCmd), cl::cat(seqcCategory));
cl::opt<bool> withTrainStep(
    "train-step",
    cl::desc("Also compile the training step the train block describes (the "
             "loss, its gradient through time and the optimizer's update), as "
             "the function @train_step"),
    cl::sub(compileCmd), cl::cat(seqcCategory));
cl::opt<std::string> modelName("model",
                               cl::desc("Model to compile (default: the "
                                        "last one in the file)"),
                               cl::sub(compileCmd), cl::sub(runCmd),
                               cl::sub(trainCmd), cl::sub(evalCmd),
                               cl::sub(generateCmd), cl::cat(seqcCategory));
cl::opt<bool> useF64("f64", cl::desc("Compute in double precision"),
                     cl::sub(compileCmd), cl::sub(runCmd), cl::sub(trainCmd),
                     cl::sub(evalCmd), cl::sub(generateCmd),
                     cl::cat(seqcCategory));
cl::opt<bool> noVectorize("no-vectorize",
                          cl::desc("Leave loops to LLVM's vectorizers"),
                          cl::sub(compileCmd), cl::sub(runCmd),
                          cl::sub(trainCmd), cl::sub(evalCmd),
                          cl::sub(generateCmd), cl::cat(seqcCategory));
cl::opt<bool> noHoist("no-hoist",
                      cl::desc("Keep the matrix products of a recurrence "
                               "inside its time loop"),
                      cl::sub(compileCmd), cl::sub(runCmd), cl::sub(trainCmd),
                      cl::sub(evalCmd), cl::sub(generateCmd),
                      cl::cat(seqcCategory));
cl::opt<std::string> targetCpu(
    "target-cpu",
    cl::desc("CPU to generate code for, as LLVM names it (znver4, haswell, "
             "skylake-avx512, ...; default: the host)"),
    cl::value_desc("NAME"), cl::sub(compileCmd), cl::sub(runCmd),
    cl::sub(trainCmd), cl::sub(evalCmd), cl::sub(generateCmd),
    cl::cat(seqcCategory));
cl::opt<std::string>
    targetFeatures("target-features",
                   cl::desc("CPU features to add or remove: +avx2,-avx512f"),
                   cl::value_desc("LIST"), cl::sub(compileCmd), cl::sub(runCmd),
                   cl::sub(trainCmd), cl::sub(evalCmd), cl::sub(generateCmd),
                   cl::cat(seqcCategory));
enum class GemmKernel { Library, Unpacked, Generated };
cl::opt<GemmKernel> gemmKernel(
    "gemm", cl::desc("How f32 matrix products are computed"),
    cl::init(GemmKernel::Library),
    cl::values(clEnumValN(GemmKernel::Library, "library",
                          "the runtime's packed, multithreaded kernel; a "
                          "time loop's weights packed once per loop"),
               clEnumValN(GemmKernel::Unpacked, "unpacked",
                          "the runtime's kernel, packing every call"),
               clEnumValN(GemmKernel::Generated, "generated",
                          "register-tiled loops in the generated code")),
    cl::sub(compileCmd), cl::sub(runCmd), cl::sub(trainCmd), cl::sub(evalCmd),
    cl::sub(generateCmd), cl::cat(seqcCategory));
cl::opt<unsigned> threads(
    "threads",
    cl::desc("Threads of the compiled code (default: $SEQC_THREADS, else all "
             "cores)"),
    cl::value_desc("N"), cl::init(0), cl::sub(runCmd), cl::sub(trainCmd),
    cl::sub(evalCmd), cl::sub(generateCmd), cl::cat(seqcCategory));
cl::opt<bool> noCache(
    "no-cache",
    cl::desc("Compile even when the object cache ($XDG_CACHE_HOME/seqc or "
             "~/.cache/seqc) holds the code, and do not store it"),
    cl::sub(runCmd), cl::sub(trainCmd), cl::sub(evalCmd), cl::sub(generateCmd),
    cl::cat(seqcCategory));
cl::opt<bool> timing("timing",
                     cl::desc("Print the time of each compilation stage "
                              "(MLIR passes, LLVM) to stderr"),
                     cl::sub(compileCmd), cl::sub(runCmd), cl::sub(trainCmd),
                     cl::sub(evalCmd), cl::sub(generateCmd),
                     cl::cat(seqcCategory));
cl::opt<bool> perfMap(
    "perf-map",
    cl::desc("Name the compiled functions for perf (/tmp/perf-<pid>.map)"),
    cl::sub(runCmd), cl::sub(trainCmd), cl::sub(evalCmd), cl::sub(generateCmd),
    cl::cat(seqcCategory));

enum class Stage { AST, TIR, Seq, Linalg, LLVMDialect, LLVMIR, Asm };
cl::opt<Stage> emit(
    "emit", cl::desc("Stage to print"), cl::init(Stage::Seq),
    cl::values(
        clEnumValN(Stage::AST, "ast", "the syntax tree"),
        clEnumValN(Stage::TIR, "tir", "the elaborated, shape-checked model"),
        clEnumValN(Stage::Seq, "seq", "the seq dialect (default)"),
        clEnumValN(Stage::Linalg, "linalg", "linalg on tensors"),
        clEnumValN(Stage::LLVMDialect, "llvm-dialect",
                   "the LLVM dialect after bufferization and vectorization"),
        clEnumValN(Stage::LLVMIR, "llvm", "LLVM IR, optimized for the host"),
        clEnumValN(Stage::Asm, "asm", "host assembly")),
    cl::sub(compileCmd), cl::cat(seqcCategory));
cl::opt<std::string> outputFile("o", cl::desc("Output file (default: stdout)"),
                                cl::value_desc("file"), cl::init("-"),
                                cl::sub(compileCmd), cl::cat(seqcCategory));

cl::opt<std::string> runInput("input",
                              cl::desc("CSV file of inputs, one row per "
                                       "instance"),
                              cl::value_desc("file.csv"), cl::sub(runCmd),
                              cl::cat(seqcCategory));
cl::opt<int64_t> runRandom("random",
                           cl::desc("Run on N random inputs (a smoke run)"),
                           cl::value_desc("N"), cl::init(0), cl::sub(runCmd),
                           cl::cat(seqcCategory));
cl::opt<std::string> runParams("params",
                               cl::desc("Load parameters from a safetensors "
                                        "file instead of initializing them"),
                               cl::value_desc("file.safetensors"),
                               cl::sub(runCmd), cl::cat(seqcCategory));
cl::opt<uint64_t> runSeed("seed", cl::desc("Seed of parameter initialization"),
                          cl::init(0), cl::sub(runCmd), cl::cat(seqcCategory));
cl::opt<std::string> runFormat("format",
                               cl::desc("Output format: table or csv"),
                               cl::init("table"), cl::sub(runCmd),
                               cl::cat(seqcCategory));
cl::opt<int> runPrecision("precision", cl::desc("Digits after the point"),
                          cl::init(6), cl::sub(runCmd), cl::cat(seqcCategory));

// `seqc train` and `seqc eval`: every train block setting can be overridden.
cl::opt<int64_t> trainEpochs("epochs",
                             cl::desc("Epochs to train (more epochs, with "
                                      "--from)"),
                             cl::value_desc("N"), cl::sub(trainCmd),
                             cl::cat(seqcCategory));
cl::opt<double> trainLr("lr", cl::desc("Learning rate"), cl::value_desc("X"),
                        cl::sub(trainCmd), cl::cat(seqcCategory));
cl::opt<int64_t> trainBatch("batch", cl::desc("Mini-batch size"),
                            cl::value_desc("N"), cl::sub(trainCmd),
                            cl::sub(evalCmd), cl::cat(seqcCategory));
cl::opt<uint64_t> trainSeed("seed",
                            cl::desc("Seed of initialization, split and "
                                     "shuffling"),
                            cl::value_desc("S"), cl::sub(trainCmd),
                            cl::cat(seqcCategory));
cl::opt<std::string> trainOptimizer("optimizer", cl::desc("adam or sgd"),
                                    cl::value_desc("name"), cl::sub(trainCmd),
                                    cl::cat(seqcCategory));
cl::opt<double> trainMomentum("momentum", cl::desc("SGD momentum"),
                              cl::value_desc("X"), cl::sub(trainCmd),
                              cl::cat(seqcCategory));
cl::opt<double> trainBeta1("beta1", cl::desc("Adam's beta1"),
                           cl::value_desc("X"), cl::sub(trainCmd),
                           cl::cat(seqcCategory));
cl::opt<double> trainBeta2("beta2", cl::desc("Adam's beta2"),
                           cl::value_desc("X"), cl::sub(trainCmd),
                           cl::cat(seqcCategory));
cl::opt<double> trainEpsilon("epsilon", cl::desc("Adam's epsilon"),
                             cl::value_desc("X"), cl::sub(trainCmd),
                             cl::cat(seqcCategory));
cl::opt<bool> trainShuffle("shuffle",
                           cl::desc("Shuffle the training rows every epoch "
                                    "(--shuffle=false: in file order)"),
                           cl::sub(trainCmd), cl::cat(seqcCategory));
cl::opt<double> trainSplit("split",
                           cl::desc("Training fraction of a single data file"),
                           cl::value_desc("X"), cl::sub(trainCmd),
                           cl::cat(seqcCategory));
cl::opt<double> trainClipNorm("clip-norm",
                              cl::desc("Clip the global gradient norm (0: "
                                       "off)"),
                              cl::value_desc("X"), cl::sub(trainCmd),
                              cl::cat(seqcCategory));
cl::opt<int64_t> trainWindow("window",
                             cl::desc("Steps per window of text(...) or "
                                      "series(...) data (overrides the train "
                                      "block's window)"),
                             cl::value_desc("T"), cl::sub(trainCmd),
                             cl::sub(evalCmd), cl::cat(seqcCategory));
cl::opt<int64_t> trainMaxSteps("max-steps",
                               cl::desc("Stop after N training steps, even "
                                        "within an epoch, and skip "
                                        "validation"),
                               cl::value_desc("N"), cl::init(0),
                               cl::sub(trainCmd), cl::cat(seqcCategory));
cl::opt<bool> trainBench(
    "bench",
    cl::desc("train: time every training step and print 'BENCH steps=.. "
             "median_step_ms=.. compile_s=..' (the first 2 steps left out); "
             "generate: time every unit and print 'BENCH generate units=.. "
             "median_unit_ms=.. compile_s=..'"),
    cl::sub(trainCmd), cl::sub(generateCmd), cl::cat(seqcCategory));
cl::opt<std::string> trainOut("out",
                              cl::desc("Write a checkpoint to DIR after every "
                                       "epoch"),
                              cl::value_desc("DIR"), cl::sub(trainCmd),
                              cl::cat(seqcCategory));
cl::opt<bool> trainOverwrite(
    "overwrite",
    cl::desc("Replace a checkpoint in the --out folder that this run does "
             "not continue"),
    cl::sub(trainCmd), cl::cat(seqcCategory));
cl::opt<std::string> trainFrom("from",
                               cl::desc("Resume from (train) or evaluate "
                                        "(eval) the checkpoint in DIR"),
                               cl::value_desc("DIR"), cl::sub(trainCmd),
                               cl::sub(evalCmd), cl::sub(generateCmd),
                               cl::cat(seqcCategory));
cl::opt<std::string> generatePrompt("prompt", cl::desc("The text to continue"),
                                    cl::value_desc("TEXT"),
                                    cl::sub(generateCmd),
                                    cl::cat(seqcCategory));
cl::opt<double> generateTemperature(
    "temperature",
    cl::desc("Sharper below 1, flatter above 1, 0: always the most likely "
             "unit (default 1)"),
    cl::value_desc("T"), cl::init(1.0), cl::sub(generateCmd),
    cl::cat(seqcCategory));
cl::opt<int64_t> generateLength("length",
                                cl::desc("Units to generate (default 200)"),
                                cl::value_desc("N"), cl::init(200),
                                cl::sub(generateCmd), cl::cat(seqcCategory));
cl::list<std::string> decodeInputs(
    "input",
    cl::desc("A source text to decode (a model trained on pairs); repeatable"),
    cl::value_desc("TEXT"), cl::sub(generateCmd), cl::cat(seqcCategory));
cl::opt<std::string> decodeInputFile(
    "input-file",
    cl::desc("Decode every line (a source, or source<TAB>reference: then "
             "the scores follow)"),
    cl::value_desc("FILE"), cl::sub(generateCmd), cl::cat(seqcCategory));
cl::opt<int64_t> decodeBeam("beam", cl::desc("Beam width (default 1: greedy)"),
                            cl::value_desc("K"), cl::init(1),
                            cl::sub(generateCmd), cl::cat(seqcCategory));
cl::opt<int64_t> decodeNBest("n-best",
                             cl::desc("Outputs per input, with rank and "
                                      "score (default 1)"),
                             cl::value_desc("N"), cl::init(1),
                             cl::sub(generateCmd), cl::cat(seqcCategory));
cl::opt<int64_t> decodeMaxLength(
    "max-length",
    cl::desc("Tokens per output (default: twice the source's length + 10)"),
    cl::value_desc("N"), cl::init(0), cl::sub(generateCmd),
    cl::cat(seqcCategory));
cl::opt<double> decodeLengthPenalty(
    "length-penalty",
    cl::desc("Beam ranking: log-probability / length^P (default 1)"),
    cl::value_desc("P"), cl::init(1.0), cl::sub(generateCmd),
    cl::cat(seqcCategory));
cl::opt<std::string> decodeAttention(
    "attention",
    cl::desc("Draw the first input's attention weights as an SVG heatmap"),
    cl::value_desc("FILE.svg"), cl::sub(generateCmd), cl::cat(seqcCategory));
cl::opt<uint64_t> generateSeed("seed", cl::desc("Seed of the sampling"),
                               cl::value_desc("S"), cl::init(0),
                               cl::sub(generateCmd), cl::cat(seqcCategory));
cl::opt<std::string> trainLog("log",
                              cl::desc("Write one JSON line per epoch to "
                                       "FILE"),
                              cl::value_desc("FILE"), cl::sub(trainCmd),
                              cl::cat(seqcCategory));
cl::opt<seqc::rt::ProgressMode> trainProgress(
    "progress", cl::desc("How to show progress"),
    cl::init(seqc::rt::ProgressMode::Auto),
    cl::values(clEnumValN(seqc::rt::ProgressMode::Auto, "auto",
                          "a bar on a terminal, else lines (default)"),
               clEnumValN(seqc::rt::ProgressMode::Bar, "bar",
                          "a progress bar with rate and ETA"),
               clEnumValN(seqc::rt::ProgressMode::Lines, "lines",
                          "a line per epoch"),
               clEnumValN(seqc::rt::ProgressMode::Quiet, "none", "nothing")),
    cl::sub(trainCmd), cl::sub(runCmd), cl::cat(seqcCategory));

void reportError(const Twine &message) {
  WithColor::error(errs(), "seqc") << message << "\n";
}

/// Parses `--dim NAME=SIZE` flags.
std::optional<seqc::FrontendOptions> frontendOptions() {
  seqc::FrontendOptions options;
  options.modelName = modelName;
  for (StringRef dim : dims) {
    auto [name, size] = dim.split('=');
    int64_t value = 0;
    if (name.empty() || size.getAsInteger(10, value) || value <= 0) {
      reportError("--dim expects NAME=SIZE with a positive size, got '" + dim +
                  "'");
      return std::nullopt;
    }
    options.dimOverrides.emplace_back(name.str(), value);
  }
  for (StringRef dim : dataDims) {
    auto [kind, size] = dim.split('=');
    int64_t value = 0;
    if (kind.empty() || size.getAsInteger(10, value) || value <= 0) {
      reportError("--data-dim expects KIND=SIZE with a positive size, got '" +
                  dim + "'");
      return std::nullopt;
    }
    options.dataDims.emplace_back(kind.str(), value);
  }
  options.withLoss = withLoss || withTrainStep;
  return options;
}

/// Parses, elaborates and emits the seq dialect; nullptr after errors.
/// `stopAfterParse` / `stopAfterSema` serve --emit=ast and --emit=tir.
mlir::OwningOpRef<mlir::ModuleOp>
compileToSeq(SourceMgr &srcMgr, mlir::MLIRContext &context, raw_ostream *astOut,
             raw_ostream *tirOut, bool &failed) {
  failed = true;
  auto options = frontendOptions();
  if (!options)
    return nullptr;
  auto module = seqc::parseFile(srcMgr, inputFile);
  if (!module)
    return nullptr;
  if (astOut) {
    seqc::printAST(*module, *astOut);
    failed = false;
    return nullptr;
  }
  auto program = seqc::elaborate(*module, srcMgr, *options);
  if (!program)
    return nullptr;
  if (tirOut) {
    seqc::printTypedIR(*program, *tirOut);
    failed = false;
    return nullptr;
  }
  seqc::MLIRGenOptions genOptions;
  genOptions.floatWidth = useF64 ? 64 : 32;
  auto seqModule = seqc::mlirGen(context, *program, genOptions);
  if (seqModule && withTrainStep) {
    if (!program->train) {
      reportError("--train-step needs a train block for the model");
      return nullptr;
    }
    if (auto error = seqc::rt::buildTrainingModule(*seqModule,
                                                   program->train->optimizer)) {
      reportError(toString(std::move(error)));
      return nullptr;
    }
  }
  failed = !seqModule;
  return seqModule;
}

seqc::PipelineOptions pipelineOptions() {
  seqc::PipelineOptions options;
  options.targetCpu = targetCpu;
  options.targetFeatures = targetFeatures;
  options.vectorize = !noVectorize;
  options.libraryGemms = gemmKernel != GemmKernel::Generated;
  options.packGemmOperands = gemmKernel == GemmKernel::Library;
  options.hoistScanMatmuls = !noHoist;
  return options;
}

seqc::rt::JitOptions jitOptions() {
  seqc::rt::JitOptions options;
  options.pipeline = pipelineOptions();
  options.useCache = !noCache;
  options.timing = timing;
  options.perfMap = perfMap;
  return options;
}

int compileMain(SourceMgr &srcMgr, mlir::MLIRContext &context) {
  std::error_code ec;
  // ToolOutputFile deletes the file unless keep() is called: a failed
  // compilation leaves no partial output behind.
  ToolOutputFile output(outputFile, ec, sys::fs::OF_Text);
  if (ec) {
    reportError("cannot open '" + outputFile + "': " + ec.message());
    return 1;
  }
  raw_ostream &os = output.os();
  bool failed = false;
  auto module =
      compileToSeq(srcMgr, context, emit == Stage::AST ? &os : nullptr,
                   emit == Stage::TIR ? &os : nullptr, failed);
  if (failed)
    return 1;
  if (!module) { // --emit=ast or --emit=tir, printed
    output.keep();
    return 0;
  }

  auto target = seqc::chooseTarget(pipelineOptions());
  if (!target) {
    reportError(toString(target.takeError()));
    return 1;
  }
  mlir::DefaultTimingManager timingManager;
  timingManager.setEnabled(timing);
  mlir::TimingScope timingRoot = timingManager.getRootScope();
  if (emit != Stage::Seq) {
    mlir::PassManager pm(&context);
    mlir::TimingScope passTiming = timingRoot.nest("MLIR passes");
    pm.enableTiming(passTiming);
    seqc::buildSeqToLinalgPipeline(pm, pipelineOptions());
    if (emit != Stage::Linalg)
      seqc::buildLinalgToLLVMPipeline(pm, pipelineOptions());
    if (mlir::failed(pm.run(*module)))
      return 1;
  }
  if (emit.getValue() <= Stage::LLVMDialect) {
    module->print(os);
    output.keep();
    return 0;
  }

  LLVMContext llvmContext;
  mlir::TimingScope llvmTiming =
      timingRoot.nest("LLVM IR translation and optimization");
  auto llvmModule =
      seqc::translateToLLVMIR(*module, llvmContext, /*optimize=*/true, *target);
  llvmTiming.stop();
  if (!llvmModule) {
    reportError("translation to LLVM IR failed");
    return 1;
  }
  if (emit == Stage::LLVMIR)
    llvmModule->print(os, nullptr);
  else {
    mlir::TimingScope codegenTiming = timingRoot.nest("LLVM code generation");
    if (mlir::failed(seqc::emitAssembly(*llvmModule, os, *target)))
      return 1;
  }
  output.keep();
  return 0;
}

bool hasTrainBlock(const seqc::ast::Module &module);
int trainOrEvalMain(SourceMgr &srcMgr, mlir::MLIRContext &context,
                    bool evaluate);

int runMain(SourceMgr &srcMgr, mlir::MLIRContext &context) {
  // A model with a train block and no inputs is trained and evaluated.
  if (runInput.empty() && !runRandom.getNumOccurrences() && runParams.empty()) {
    SourceMgr probeMgr;
    probeMgr.setDiagHandler([](const SMDiagnostic &, void *) {});
    auto module = seqc::parseFile(probeMgr, inputFile);
    if (module && hasTrainBlock(*module))
      return trainOrEvalMain(srcMgr, context, /*evaluate=*/false);
  }
  bool failed = false;
  auto module = compileToSeq(srcMgr, context, nullptr, nullptr, failed);
  if (failed)
    return 1;
  seqc::driver::RunOptions options;
  options.inputCsv = runInput;
  options.randomRows = runRandom;
  options.paramsPath = runParams;
  options.seed = runSeed;
  options.format = runFormat;
  options.precision = runPrecision;
  options.jit = jitOptions();
  if (Error err = seqc::driver::runForward(*module, options, outs())) {
    reportError(toString(std::move(err)));
    return 1;
  }
  return 0;
}

/// Whether the selected model (--model, or the last model of the main file)
/// has a train block.
bool hasTrainBlock(const seqc::ast::Module &module) {
  std::string name = modelName;
  if (name.empty())
    for (const auto &decl : module.mainFile().decls)
      if (decl->getKind() == seqc::ast::Decl::Kind::Model)
        name = decl->name;
  for (const auto &file : module.files)
    for (const auto &decl : file->decls)
      if (llvm::isa<seqc::ast::TrainDecl>(decl.get()) && decl->name == name)
        return true;
  return false;
}

/// Prints a runtime error: file:line:col: error: ... for data and settings
/// (with the source line when it is in a loaded file), nothing more for
/// errors already reported, else `seqc: error: ...`.
void reportRuntimeError(Error error, SourceMgr &srcMgr) {
  handleAllErrors(
      std::move(error), [](const seqc::driver::ReportedError &) {},
      [&](const seqc::rt::LocatedError &located) {
        for (unsigned id = 1; id <= srcMgr.getNumBuffers(); ++id) {
          if (srcMgr.getMemoryBuffer(id)->getBufferIdentifier() != located.file)
            continue;
          SMLoc loc =
              srcMgr.FindLocForLineAndColumn(id, located.line, located.column);
          if (loc.isValid()) {
            srcMgr.PrintMessage(loc, SourceMgr::DK_Error, located.message);
            return;
          }
        }
        errs() << located.file << ":" << located.line << ":" << located.column
               << ": ";
        WithColor::error(errs()) << located.message << "\n";
      },
      [](const ErrorInfoBase &other) { reportError(other.message()); });
}

/// Flushes what a command printed; its error, if any, is reported: the
/// exit status.
int finishCommand(Error error, SourceMgr &srcMgr) {
  outs().flush();
  if (error) {
    reportRuntimeError(std::move(error), srcMgr);
    return 1;
  }
  return 0;
}

/// The train block with the command line's overrides.
std::optional<seqc::TrainSpec> trainSpec(const seqc::ast::Module &module,
                                         SourceMgr &srcMgr,
                                         const seqc::FrontendOptions &options) {
  auto spec = seqc::analyzeTrain(module, srcMgr, options);
  if (!spec)
    return std::nullopt;
  if (trainEpochs.getNumOccurrences()) {
    if (trainEpochs < 0) {
      reportError("--epochs must not be negative");
      return std::nullopt;
    }
    spec->epochs = trainEpochs;
  }
  if (trainBatch.getNumOccurrences()) {
    if (trainBatch < 1) {
      reportError("--batch must be at least 1");
      return std::nullopt;
    }
    spec->batch = trainBatch;
  }
  if (trainSeed.getNumOccurrences())
    spec->seed = trainSeed;
  else if (runSeed.getNumOccurrences())
    spec->seed = runSeed;
  if (trainOptimizer.getNumOccurrences()) {
    std::optional<seqc::OptimizerKind> optimizer =
        seqc::optimizerNamed(trainOptimizer);
    if (!optimizer) {
      reportError("--optimizer must be adam or sgd, got '" + trainOptimizer +
                  "'");
      return std::nullopt;
    }
    spec->optimizer.kind = *optimizer;
  }
  if (trainLr.getNumOccurrences()) {
    if (!(trainLr > 0)) {
      reportError("--lr must be a positive number");
      return std::nullopt;
    }
    spec->optimizer.lr = trainLr;
  }
  if (trainMomentum.getNumOccurrences()) {
    if (!(trainMomentum >= 0 && trainMomentum < 1)) {
      reportError("--momentum must be in [0, 1)");
      return std::nullopt;
    }
    spec->optimizer.momentum = trainMomentum;
  }
  for (auto [flag, slot] : {std::pair{&trainBeta1, &spec->optimizer.beta1},
                            std::pair{&trainBeta2, &spec->optimizer.beta2}}) {
    if (!flag->getNumOccurrences())
      continue;
    if (!(*flag >= 0 && *flag < 1)) {
      reportError("--" + flag->ArgStr + " must be in [0, 1)");
      return std::nullopt;
    }
    *slot = *flag;
  }
  if (trainEpsilon.getNumOccurrences()) {
    if (!(trainEpsilon > 0)) {
      reportError("--epsilon must be a positive number");
      return std::nullopt;
    }
    spec->optimizer.epsilon = trainEpsilon;
  }
  if (trainShuffle.getNumOccurrences())
    spec->shuffle = trainShuffle;
  if (trainSplit.getNumOccurrences()) {
    if (!(trainSplit > 0 && trainSplit <= 1)) {
      reportError("--split must be in (0, 1]");
      return std::nullopt;
    }
    if (!spec->data.trainPath.empty()) {
      reportError("--split divides a single data file, but the train block "
                  "names a training and a validation file");
      return std::nullopt;
    }
    spec->data.split = trainSplit;
  }
  if (trainWindow.getNumOccurrences()) {
    if (trainWindow < 1) {
      reportError("--window must be at least 1");
      return std::nullopt;
    }
    if (spec->data.kind != seqc::DataSourceKind::Text &&
        spec->data.kind != seqc::DataSourceKind::Series) {
      reportError("--window sets the window of text(...) or series(...) "
                  "data, but the train block reads " +
                  std::string(dataSourceName(spec->data.kind)) + "(...)");
      return std::nullopt;
    }
    spec->data.window = trainWindow;
  }
  if (trainClipNorm.getNumOccurrences()) {
    if (!(trainClipNorm >= 0)) {
      reportError("--clip-norm must not be negative");
      return std::nullopt;
    }
    spec->optimizer.clipNorm = trainClipNorm;
  }
  return spec;
}

/// Compiles the model for the data's sizes: with its loss for training and
/// evaluation, with the generation functions for `seqc generate`.
seqc::driver::ModelCompiler modelCompiler(const seqc::ast::Module &module,
                                          SourceMgr &srcMgr,
                                          mlir::MLIRContext &context,
                                          const seqc::FrontendOptions &options,
                                          bool generation) {
  return [&module, &srcMgr, &context, options,
          generation](ArrayRef<std::pair<std::string, int64_t>> sizes)
             -> Expected<mlir::OwningOpRef<mlir::ModuleOp>> {
    seqc::FrontendOptions withData = options;
    withData.dataDims.assign(sizes.begin(), sizes.end());
    withData.withLoss = !generation;
    auto program = seqc::elaborate(module, srcMgr, withData);
    if (!program)
      return make_error<seqc::driver::ReportedError>();
    seqc::MLIRGenOptions genOptions;
    genOptions.floatWidth = useF64 ? 64 : 32;
    genOptions.generation = generation;
    auto seqModule = seqc::mlirGen(context, *program, genOptions);
    if (!seqModule)
      return make_error<seqc::driver::ReportedError>();
    return seqModule;
  };
}

/// `seqc train`, `seqc eval`, and `seqc run` on a model with a train block:
/// the runtime drives, the frontend compiles for the data's sizes.
int trainOrEvalMain(SourceMgr &srcMgr, mlir::MLIRContext &context,
                    bool evaluate) {
  auto options = frontendOptions();
  if (!options)
    return 1;
  auto module = seqc::parseFile(srcMgr, inputFile);
  if (!module)
    return 1;
  auto spec = trainSpec(*module, srcMgr, *options);
  if (!spec)
    return 1;

  seqc::driver::ModelCompiler compile =
      modelCompiler(*module, srcMgr, context, *options, /*generation=*/false);

  seqc::driver::CommandOptions commandOptions;
  commandOptions.fromDir = trainFrom;
  commandOptions.outDir = trainOut;
  commandOptions.overwrite = trainOverwrite;
  commandOptions.logPath = trainLog;
  commandOptions.progress = trainProgress;
  commandOptions.jit = jitOptions();
  commandOptions.baseDir = sys::path::parent_path(inputFile).str();
  commandOptions.float32Data = !useF64;
  if (trainMaxSteps < 0) {
    reportError("--max-steps must not be negative");
    return 1;
  }
  if (trainMaxSteps > 0 && !trainOut.empty()) {
    reportError("--max-steps can stop in the middle of an epoch, which a "
                "checkpoint cannot resume from; leave out --out");
    return 1;
  }
  commandOptions.maxSteps = trainMaxSteps;
  commandOptions.bench = trainBench;
  return finishCommand(
      evaluate
          ? seqc::driver::evalCommand(*spec, compile, commandOptions, outs())
          : seqc::driver::trainCommand(*spec, compile, commandOptions, outs()),
      srcMgr);
}

/// `seqc generate`: samples from a model trained on text, or decodes the
/// inputs of an encoder-decoder.
int generateMain(SourceMgr &srcMgr, mlir::MLIRContext &context) {
  auto options = frontendOptions();
  if (!options)
    return 1;
  auto module = seqc::parseFile(srcMgr, inputFile);
  if (!module)
    return 1;
  // 0 is greedy decoding; infinity would sample uniformly, whatever the
  // model says, and NaN is no temperature at all.
  if (!std::isfinite(generateTemperature) || generateTemperature < 0) {
    reportError("--temperature must be a finite number >= 0 (0: always the "
                "most likely unit), got " +
                llvm::formatv("{0}", generateTemperature.getValue()).str());
    return 1;
  }
  if (generateLength < 1) {
    reportError("--length must be at least 1");
    return 1;
  }
  seqc::driver::ModelCompiler compile =
      modelCompiler(*module, srcMgr, context, *options, /*generation=*/true);
  if (!decodeInputs.empty() || !decodeInputFile.empty()) {
    // An encoder-decoder: decode the inputs.
    if (!std::isfinite(decodeLengthPenalty.getValue())) {
      reportError("--length-penalty must be a finite number");
      return 1;
    }
    seqc::driver::DecodeOptions decodeOptions;
    decodeOptions.fromDir = trainFrom;
    decodeOptions.inputs.assign(decodeInputs.begin(), decodeInputs.end());
    decodeOptions.inputFile = decodeInputFile;
    decodeOptions.beamWidth = decodeBeam;
    decodeOptions.nBest = decodeNBest;
    decodeOptions.maxLength = decodeMaxLength;
    decodeOptions.lengthPenalty = decodeLengthPenalty;
    decodeOptions.attentionSvg = decodeAttention;
    decodeOptions.jit = jitOptions();
    return finishCommand(
        seqc::driver::decodeCommand(compile, decodeOptions, outs()), srcMgr);
  }
  seqc::driver::GenerateOptions generateOptions;
  generateOptions.fromDir = trainFrom;
  generateOptions.prompt = generatePrompt;
  generateOptions.temperature = generateTemperature;
  generateOptions.length = generateLength;
  generateOptions.seed = generateSeed;
  generateOptions.bench = trainBench;
  generateOptions.jit = jitOptions();
  return finishCommand(
      seqc::driver::generateCommand(compile, generateOptions, outs()), srcMgr);
}

} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  // Tensors and compiled code reuse buffers through the runtime's pool; the
  // GEMM library allocates its packing buffers in every call. Keep freed
  // memory in the heap for the next call instead of returning it to the
  // system and faulting new pages in.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  InitializeNativeTarget();
  InitializeNativeTargetAsmPrinter();
  InitializeNativeTargetAsmParser();
  cl::HideUnrelatedOptions(seqcCategory);
  cl::ParseCommandLineOptions(
      argc, argv,
      "seqc: compile, run and inspect sequence models\n\n"
      "  seqc compile model.seq --emit=asm   print one compilation stage\n"
      "  seqc run model.seq --random 4       run the forward pass\n"
      "  seqc train model.seq --out ckpt/    train as the train block says\n"
      "  seqc eval model.seq --from ckpt/    evaluate a trained model\n"
      "  seqc generate model.seq --from ckpt/ --prompt \"Call me\"\n"
      "                                      sample from a language model\n");

  SourceMgr srcMgr;
  // At most 20 errors, each with at most 160 columns of its line.
  seqc::DiagnosticLimits diagnosticLimits(srcMgr, errs());
  mlir::DialectRegistry registry;
  seqc::registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  // MLIR diagnostics carry file:line:col of the source; print them with the
  // line and a caret like the frontend's own.
  mlir::SourceMgrDiagnosticHandler diagHandler(srcMgr, &context);

  if (threads.getNumOccurrences() && threads == 0) {
    reportError("--threads must be at least 1");
    return 1;
  }
  seqc::rt::setThreadCount(threads);

  if (compileCmd)
    return compileMain(srcMgr, context);
  if (runCmd)
    return runMain(srcMgr, context);
  if (trainCmd)
    return trainOrEvalMain(srcMgr, context, /*evaluate=*/false);
  if (evalCmd)
    return trainOrEvalMain(srcMgr, context, /*evaluate=*/true);
  if (generateCmd)
    return generateMain(srcMgr, context);
  reportError("expected a command: compile, run, train, eval or generate "
              "(see seqc --help)");
  return 1;
}
