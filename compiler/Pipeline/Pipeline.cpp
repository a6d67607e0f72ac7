//===- Pipeline.cpp - seqc pass pipelines and host code generation --------===//
#include "seqc/Pipeline/Pipeline.h"

#include "seqc/Conversion/Passes.h"
#include "seqc/Dialect/Seq/SeqDialect.h"
#include "seqc/Transforms/Passes.h"

#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/BufferizationToMemRef/BufferizationToMemRef.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVM.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Affine/Transforms/Transforms.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/IR/ValueBoundsOpInterfaceImpl.h"
#include "mlir/Dialect/Arith/Transforms/BufferDeallocationOpInterfaceImpl.h"
#include "mlir/Dialect/Arith/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/FuncBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/ControlFlow/Transforms/BufferDeallocationOpInterfaceImpl.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Index/IR/IndexDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Linalg/Transforms/AllInterfaces.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/AllocationOpInterfaceImpl.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/IR/ValueBoundsOpInterfaceImpl.h"
#include "mlir/Dialect/SCF/Transforms/BufferDeallocationOpInterfaceImpl.h"
#include "mlir/Dialect/SCF/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/IR/TensorTilingInterfaceImpl.h"
#include "mlir/Dialect/Tensor/IR/ValueBoundsOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/Transforms/SubsetInsertionOpInterfaceImpl.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Vector/Transforms/Passes.h"
#include "mlir/Dialect/Vector/Transforms/SubsetOpInterfaceImpl.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

using namespace mlir;

namespace seqc {

//===----------------------------------------------------------------------===//
// Dialects and passes
//===----------------------------------------------------------------------===//

void registerAllDialects(DialectRegistry &registry) {
  registry.insert<seq::SeqDialect, func::FuncDialect, arith::ArithDialect,
                  math::MathDialect, linalg::LinalgDialect,
                  tensor::TensorDialect, bufferization::BufferizationDialect,
                  scf::SCFDialect, vector::VectorDialect, memref::MemRefDialect,
                  LLVM::LLVMDialect, affine::AffineDialect,
                  cf::ControlFlowDialect, index::IndexDialect, ub::UBDialect>();

  // One-shot bufferization and ownership-based deallocation.
  arith::registerBufferizableOpInterfaceExternalModels(registry);
  bufferization::func_ext::registerBufferizableOpInterfaceExternalModels(
      registry);
  scf::registerBufferizableOpInterfaceExternalModels(registry);
  tensor::registerBufferizableOpInterfaceExternalModels(registry);
  vector::registerBufferizableOpInterfaceExternalModels(registry);
  arith::registerBufferDeallocationOpInterfaceExternalModels(registry);
  cf::registerBufferDeallocationOpInterfaceExternalModels(registry);
  scf::registerBufferDeallocationOpInterfaceExternalModels(registry);
  memref::registerAllocationOpInterfaceExternalModels(registry);
  // Linalg: bufferization, tiling, value bounds and subset insertion models.
  linalg::registerAllDialectInterfaceImplementations(registry);
  // Tiling and vectorization reason about tile sizes with value bounds.
  tensor::registerTilingInterfaceExternalModels(registry);
  arith::registerValueBoundsOpInterfaceExternalModels(registry);
  scf::registerValueBoundsOpInterfaceExternalModels(registry);
  tensor::registerValueBoundsOpInterfaceExternalModels(registry);
  // Hoisting of loop-invariant subsets (the matmul accumulator).
  tensor::registerSubsetOpInterfaceExternalModels(registry);
  vector::registerSubsetOpInterfaceExternalModels(registry);
  // LLVM dialect -> LLVM IR.
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
}

namespace {
/// The command-line face of `PipelineOptions` for the named pipelines.
struct PipelineCLOptions : PassPipelineOptions<PipelineCLOptions> {
  Option<int64_t> vectorWidth{*this, "vector-width",
                              llvm::cl::desc("Lanes of the vectorized axis"),
                              llvm::cl::init(16)};
  Option<bool> vectorize{*this, "vectorize",
                         llvm::cl::desc("Tile and vectorize linalg ops"),
                         llvm::cl::init(true)};
  Option<bool> hoistScanMatmuls{
      *this, "hoist-scan-matmuls",
      llvm::cl::desc("Run seqc-hoist-scan-matmuls before lowering"),
      llvm::cl::init(true)};

  PipelineOptions get() const {
    PipelineOptions options;
    options.vectorWidth = vectorWidth;
    options.vectorize = vectorize;
    options.hoistScanMatmuls = hoistScanMatmuls;
    return options;
  }
};
} // namespace

void registerAllPasses() {
  registerSeqcConversionPasses();
  registerSeqcTransformsPasses();

  // Upstream passes that seqc's pipelines run, so that each step can be
  // reproduced with seqc-opt.
  registerCanonicalizer();
  registerCSE();
  registerLoopInvariantCodeMotion();
  registerLoopInvariantSubsetHoisting();
  registerSymbolDCE();
  registerLinalgElementwiseOpFusionPass();
  registerConvertLinalgToLoopsPass();
  bufferization::registerEmptyTensorElimination();
  bufferization::registerOneShotBufferize();
  bufferization::registerOwnershipBasedBufferDeallocation();
  bufferization::registerBufferDeallocationSimplification();
  bufferization::registerLowerDeallocations();
  bufferization::registerBufferizationPipelines();
  memref::registerExpandRealloc();
  memref::registerExpandStridedMetadata();
  memref::registerFoldMemRefAliasOps();
  vector::registerLowerVectorMultiReduction();
  registerConvertBufferizationToMemRef();
  registerConvertVectorToSCF();
  registerSCFToControlFlow();
  registerConvertAffineToStandard();
  registerConvertMathToLLVMPass();
  registerConvertMathToLibm();
  registerConvertVectorToLLVMPass();
  registerFinalizeMemRefToLLVMConversionPass();
  registerArithToLLVMConversionPass();
  registerConvertIndexToLLVMPass();
  registerConvertFuncToLLVMPass();
  registerConvertControlFlowToLLVMPass();
  registerReconcileUnrealizedCasts();

  PassPipelineRegistration<PipelineCLOptions>(
      "seqc-lower-to-linalg",
      "Lower the seq dialect to linalg, tensor, arith and math on tensors",
      [](OpPassManager &pm, const PipelineCLOptions &options) {
        buildSeqToLinalgPipeline(pm, options.get());
      });
  PassPipelineRegistration<PipelineCLOptions>(
      "seqc-lower-to-llvm",
      "Lower seq (or linalg on tensors) to the LLVM dialect: vectorize, "
      "bufferize, free temporaries, lower to LLVM",
      [](OpPassManager &pm, const PipelineCLOptions &options) {
        PipelineOptions pipelineOptions = options.get();
        buildSeqToLinalgPipeline(pm, pipelineOptions);
        buildLinalgToLLVMPipeline(pm, pipelineOptions);
      });
}

//===----------------------------------------------------------------------===//
// Pipelines
//===----------------------------------------------------------------------===//

void buildSeqToLinalgPipeline(OpPassManager &pm,
                              const PipelineOptions &options) {
  // seq-level folds first (transposes into matmuls, squeeze(expand_dims)).
  pm.addPass(createCanonicalizerPass());
  if (options.hoistScanMatmuls) {
    // After autodiff and the training step, which build the BPTT scans:
    // per-step matmuls become GEMMs over all steps; CSE then merges the
    // input projections that the forward and the backward scan both hoist.
    pm.addPass(createSeqcHoistScanMatmuls());
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
  }
  pm.addPass(createConvertSeqToLinalg());
  pm.addPass(createCanonicalizerPass());
  // One loop for a chain of elementwise ops (bias add + activation, the
  // gate math of a cell) instead of one pass over memory per op; GEMMs over
  // [T*N] rows stay 2-D for seqc-vectorize's kernel.
  pm.addNestedPass<func::FuncOp>(createSeqcFuseElementwise());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void buildLinalgToLLVMPipeline(OpPassManager &pm,
                               const PipelineOptions &options) {
  if (options.vectorize) {
    SeqcVectorizeOptions vectorizeOptions;
    vectorizeOptions.vectorWidth = options.vectorWidth;
    pm.addNestedPass<func::FuncOp>(createSeqcVectorize(vectorizeOptions));
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
  }

  // Tensors -> buffers. Entry functions get identity-layout memref
  // arguments, which the runtime's descriptors describe; the arguments are
  // read-only, so results never live in the caller's buffers.
  pm.addPass(createSeqcPrepareBufferization());
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  bufferization::OneShotBufferizationOptions bufferizeOptions;
  bufferizeOptions.bufferizeFunctionBoundaries = true;
  bufferizeOptions.setFunctionBoundaryTypeConversion(
      bufferization::LayoutMapOption::IdentityLayoutMap);
  bufferizeOptions.allowReturnAllocsFromLoops = true;
  // Copies as linalg.copy, which lowers to loops: memref.copy of a strided
  // view would call memrefCopy from the MLIR runner library, which the JIT
  // does not load.
  bufferizeOptions.memCpyFn = [](OpBuilder &b, Location loc, Value from,
                                 Value to) {
    b.create<linalg::CopyOp>(loc, from, to);
    return success();
  };
  pm.addPass(bufferization::createOneShotBufferizePass(bufferizeOptions));
  pm.addPass(createCanonicalizerPass());

  // Free every temporary; returned buffers are owned by the caller (cloned
  // when they would alias an argument).
  bufferization::BufferDeallocationPipelineOptions deallocOptions;
  bufferization::buildBufferDeallocationPipeline(pm, deallocOptions);
  pm.addPass(createBufferizationToMemRefPass());
  pm.addPass(createSeqcDistinctResults());

  // Whatever was not vectorized becomes scalar loops.
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  if (options.vectorize)
    pm.addNestedPass<func::FuncOp>(createSeqcLowerVectors());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addNestedPass<func::FuncOp>(createSeqcExpandMath());

  // -> LLVM dialect.
  // Leftover n-D transfers: unrolled, so no stack buffers in loops.
  pm.addPass(createConvertVectorToSCFPass(
      VectorTransferToSCFOptions().enableFullUnroll()));
  pm.addPass(createConvertSCFToCFPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSeqcEmitCInterface());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  ConvertVectorToLLVMPassOptions vectorToLLVMOptions;
  vectorToLLVMOptions.reassociateFPReductions = true;
  pm.addPass(createConvertVectorToLLVMPass(vectorToLLVMOptions));
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

//===----------------------------------------------------------------------===//
// Host code generation
//===----------------------------------------------------------------------===//

std::unique_ptr<llvm::TargetMachine> createHostTargetMachine() {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::InitializeNativeTargetAsmParser();

  std::string triple = llvm::sys::getProcessTriple();
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
  llvm::SubtargetFeatures features;
  for (const auto &feature : llvm::sys::getHostCPUFeatures())
    features.AddFeature(feature.getKey(), feature.getValue());
  llvm::TargetOptions targetOptions;
  // Fuse multiply-adds the vectorizer left separate into FMAs.
  targetOptions.AllowFPOpFusion = llvm::FPOpFusion::Fast;
  return std::unique_ptr<llvm::TargetMachine>(target->createTargetMachine(
      triple, llvm::sys::getHostCPUName(), features.getString(), targetOptions,
      /*RM=*/std::nullopt, /*CM=*/std::nullopt,
      llvm::CodeGenOptLevel::Aggressive));
}

std::unique_ptr<llvm::Module>
translateToLLVMIR(ModuleOp module, llvm::LLVMContext &ctx, bool optimize) {
  registerBuiltinDialectTranslation(*module->getContext());
  registerLLVMDialectTranslation(*module->getContext());
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, ctx);
  if (!llvmModule)
    return nullptr;
  std::unique_ptr<llvm::TargetMachine> targetMachine =
      createHostTargetMachine();
  if (!targetMachine) {
    module.emitError("the host target is not available");
    return nullptr;
  }
  llvmModule->setTargetTriple(targetMachine->getTargetTriple().str());
  llvmModule->setDataLayout(targetMachine->createDataLayout());

  // The vectorizer emits 16-lane f32 vectors for AVX-512; tell LLVM to keep
  // them whole (some CPUs prefer 256-bit vectors by default), and compile
  // for the host the way the target machine does.
  std::string cpu = targetMachine->getTargetCPU().str();
  std::string features = targetMachine->getTargetFeatureString().str();
  for (llvm::Function &function : *llvmModule) {
    if (function.isDeclaration())
      continue;
    function.addFnAttr("prefer-vector-width", "512");
    function.addFnAttr("target-cpu", cpu);
    function.addFnAttr("target-features", features);
  }

  if (optimize) {
    auto transformer =
        makeOptimizingTransformer(/*optLevel=*/3,
                                  /*sizeLevel=*/0, targetMachine.get());
    if (llvm::Error error = transformer(llvmModule.get())) {
      module.emitError("LLVM optimization failed: ")
          << llvm::toString(std::move(error));
      return nullptr;
    }
  }
  return llvmModule;
}

LogicalResult emitAssembly(llvm::Module &module, llvm::raw_ostream &os) {
  std::unique_ptr<llvm::TargetMachine> targetMachine =
      createHostTargetMachine();
  if (!targetMachine)
    return failure();
  if (module.getDataLayout().isDefault())
    module.setDataLayout(targetMachine->createDataLayout());
  llvm::SmallString<0> buffer;
  llvm::raw_svector_ostream bufferStream(buffer);
  llvm::legacy::PassManager passes;
  if (targetMachine->addPassesToEmitFile(passes, bufferStream, nullptr,
                                         llvm::CodeGenFileType::AssemblyFile))
    return failure();
  passes.run(module);
  os << buffer;
  return success();
}

} // namespace seqc
