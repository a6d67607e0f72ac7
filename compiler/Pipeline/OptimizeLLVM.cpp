//===- OptimizeLLVM.cpp - LLVM's pipeline for seqc's generated code -------===//
//
// LLVM's -O pipeline, tuned for code that seqc-vectorize has vectorized
// already. The loop unroller, the SLP vectorizer and interleaving would
// mostly copy loops that are vector loops already: measured on the LSTM
// char model (Zen 5), they made the cold compile 3.3 s instead of 2.3 s and
// the train step no faster. The loop vectorizer stays: it vectorizes the
// loops seqc-vectorize leaves scalar (gathers, scatters, transposes), worth
// about 10 % of that step.
//
//===----------------------------------------------------------------------===//
#include "seqc/Pipeline/Pipeline.h"

#include "llvm/Analysis/CGSCCPassManager.h"
#include "llvm/Analysis/LoopAnalysisManager.h"
#include "llvm/IR/PassManager.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Target/TargetMachine.h"

void seqc::optimizeLLVMModule(llvm::Module &module,
                              llvm::TargetMachine *targetMachine,
                              unsigned optLevel) {
  llvm::PipelineTuningOptions tuning;
  tuning.LoopUnrolling = false;
  tuning.LoopInterleaving = false;
  tuning.SLPVectorization = false;
  tuning.LoopVectorization = true;

  llvm::LoopAnalysisManager loopAnalyses;
  llvm::FunctionAnalysisManager functionAnalyses;
  llvm::CGSCCAnalysisManager cgsccAnalyses;
  llvm::ModuleAnalysisManager moduleAnalyses;
  llvm::PassBuilder builder(targetMachine, tuning);
  builder.registerModuleAnalyses(moduleAnalyses);
  builder.registerCGSCCAnalyses(cgsccAnalyses);
  builder.registerFunctionAnalyses(functionAnalyses);
  builder.registerLoopAnalyses(loopAnalyses);
  builder.crossRegisterProxies(loopAnalyses, functionAnalyses, cgsccAnalyses,
                               moduleAnalyses);
  llvm::OptimizationLevel level = optLevel >= 3   ? llvm::OptimizationLevel::O3
                                  : optLevel == 2 ? llvm::OptimizationLevel::O2
                                  : optLevel == 1 ? llvm::OptimizationLevel::O1
                                                  : llvm::OptimizationLevel::O0;
  llvm::ModulePassManager passes = builder.buildPerModuleDefaultPipeline(level);
  passes.run(module, moduleAnalyses);
}
