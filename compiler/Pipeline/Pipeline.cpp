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
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/MCSubtargetInfo.h"
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
  Option<std::string> targetCpu{
      *this, "target-cpu",
      llvm::cl::desc("CPU to generate code for (LLVM's name; default: the "
                     "host)")};
  Option<std::string> targetFeatures{
      *this, "target-features",
      llvm::cl::desc("Features added to the CPU's: +avx2,-avx512f")};
  Option<int64_t> vectorWidth{
      *this, "vector-width",
      llvm::cl::desc("Lanes of the vectorized axis (0: one register of the "
                     "target)"),
      llvm::cl::init(0)};
  Option<bool> vectorize{*this, "vectorize",
                         llvm::cl::desc("Tile and vectorize linalg ops"),
                         llvm::cl::init(true)};
  Option<bool> libraryGemms{
      *this, "library-gemms",
      llvm::cl::desc("f32 GEMMs call the runtime's kernel"),
      llvm::cl::init(false)};
  Option<bool> packGemmOperands{
      *this, "pack-gemm-operands",
      llvm::cl::desc("Pack loop-invariant GEMM operands once per loop "
                     "(with library-gemms)"),
      llvm::cl::init(true)};
  Option<bool> hoistScanMatmuls{
      *this, "hoist-scan-matmuls",
      llvm::cl::desc("Run seqc-hoist-scan-matmuls before lowering"),
      llvm::cl::init(true)};

  PipelineOptions get() const {
    PipelineOptions options;
    options.targetCpu = targetCpu;
    options.targetFeatures = targetFeatures;
    options.vectorWidth = vectorWidth;
    options.vectorize = vectorize;
    options.libraryGemms = libraryGemms;
    options.packGemmOperands = packGemmOperands;
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

/// The host (or the named CPU) as the pipeline sees it; a CPU that LLVM
/// does not know falls back to 128-bit vectors (the caller reports it when
/// it builds the target machine).
static CodegenTarget targetFor(const PipelineOptions &options) {
  auto target = chooseTarget(options);
  if (!target) {
    llvm::consumeError(target.takeError());
    return CodegenTarget();
  }
  return *target;
}

/// seqc-vectorize's vector width and register tile for the target: the tile
/// leaves room in the register file for a row of B and a broadcast of A.
static SeqcVectorizeOptions
vectorizeOptionsFor(const PipelineOptions &options) {
  CodegenTarget target = targetFor(options);
  SeqcVectorizeOptions vectorizeOptions;
  vectorizeOptions.vectorWidth =
      options.vectorWidth > 0 ? options.vectorWidth : target.f32Lanes();
  vectorizeOptions.tileVectors = 2;
  vectorizeOptions.tileRows = target.vectorRegisters >= 32 ? 8 : 6;
  vectorizeOptions.libraryGemms = options.libraryGemms;
  return vectorizeOptions;
}

void buildLinalgToLLVMPipeline(OpPassManager &pm,
                               const PipelineOptions &options) {
  if (options.vectorize) {
    pm.addNestedPass<func::FuncOp>(
        createSeqcVectorize(vectorizeOptionsFor(options)));
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
  }

  // Tensors -> buffers. Entry functions get identity-layout memref
  // arguments, which the runtime's descriptors describe; the arguments are
  // read-only, so results never live in the caller's buffers, except the
  // parameters and state an update step replaces in place (`seq.updates`).
  // No empty-tensor elimination: it would let a step's result be computed
  // in place in the [T, N, H] sequence instead of copied there, but it took
  // 15 % of the cold compile of the LSTM char model (0.3 s, quadratic in the
  // number of insertions) and measured no faster at run time (S and M2).
  pm.addPass(createSeqcPrepareBufferization());
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
  pm.addPass(createSeqcWriteUpdatesInPlace());

  // Free every temporary; returned buffers are owned by the caller (cloned
  // when they would alias an argument).
  bufferization::BufferDeallocationPipelineOptions deallocOptions;
  bufferization::buildBufferDeallocationPipeline(pm, deallocOptions);
  pm.addPass(createBufferizationToMemRefPass());
  pm.addPass(createSeqcDistinctResults());

  if (options.libraryGemms) {
    pm.addPass(createSeqcGemmToCall());
    if (options.packGemmOperands)
      pm.addPass(createSeqcPackGemmOperands());
  }
  // Whatever was not vectorized becomes scalar loops.
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  if (options.vectorize)
    pm.addNestedPass<func::FuncOp>(createSeqcLowerVectors());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addNestedPass<func::FuncOp>(createSeqcExpandMath());
  // Independent tile loops (elementwise nests, optimizer updates) -> calls
  // of the runtime's parallel-for.
  pm.addPass(createSeqcOutlineParallelLoops());

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
  // memref.alloc/dealloc call _mlir_memref_to_llvm_alloc/free, which the
  // runtime binds to its buffer pool.
  FinalizeMemRefToLLVMConversionPassOptions memrefToLLVMOptions;
  memrefToLLVMOptions.useGenericFunctions = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefToLLVMOptions));
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

std::string CodegenTarget::describe() const {
  std::string isa = vectorBits >= 512   ? "AVX-512"
                    : vectorBits >= 256 ? "AVX2"
                                        : "128-bit vectors";
  return cpu + " (" + isa + ", " + std::to_string(vectorRegisters) + " x " +
         std::to_string(vectorBits) + "-bit registers)";
}

static void initializeNativeTarget() {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::InitializeNativeTargetAsmParser();
}

llvm::Expected<CodegenTarget> resolveTarget(llvm::StringRef cpu,
                                            llvm::StringRef features) {
  initializeNativeTarget();
  CodegenTarget target;
  target.triple = llvm::sys::getProcessTriple();
  std::string error;
  const llvm::Target *backend =
      llvm::TargetRegistry::lookupTarget(target.triple, error);
  if (!backend)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "no code generator for %s: %s",
                                   target.triple.c_str(), error.c_str());

  llvm::SubtargetFeatures featureList;
  if (cpu.empty()) {
    target.cpu = llvm::sys::getHostCPUName().str();
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      featureList.AddFeature(feature.getKey(), feature.getValue());
  } else {
    target.cpu = cpu.str();
  }
  llvm::SmallVector<llvm::StringRef> extra;
  features.split(extra, ',', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef feature : extra) {
    feature = feature.trim();
    if (feature.size() < 2 || (feature[0] != '+' && feature[0] != '-'))
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "target feature '%s' must be +name or -name", feature.str().c_str());
    featureList.AddFeature(feature);
  }
  target.features = featureList.getString();

  std::unique_ptr<llvm::MCSubtargetInfo> subtarget(
      backend->createMCSubtargetInfo(target.triple, target.cpu,
                                     target.features));
  if (!subtarget || !subtarget->isCPUStringValid(target.cpu))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "unknown CPU '%s' for %s",
                                   target.cpu.c_str(), target.triple.c_str());
  for (llvm::StringRef feature : extra) {
    llvm::StringRef name = feature.trim().drop_front();
    if (!llvm::any_of(subtarget->getAllProcessorFeatures(),
                      [&](const llvm::SubtargetFeatureKV &known) {
                        return name == known.Key;
                      }))
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "unknown target feature '%s'",
                                     name.str().c_str());
  }
  if (subtarget->checkFeatures("+avx512f")) {
    target.vectorBits = 512;
    target.vectorRegisters = 32;
  } else if (subtarget->checkFeatures("+avx")) {
    target.vectorBits = 256;
  }
  return target;
}

llvm::Expected<CodegenTarget> chooseTarget(const PipelineOptions &options) {
  if (options.targetHook)
    return options.targetHook(options);
  return resolveTarget(options.targetCpu, options.targetFeatures);
}

std::unique_ptr<llvm::TargetMachine>
createTargetMachine(const CodegenTarget &target,
                    std::optional<llvm::Reloc::Model> relocation) {
  initializeNativeTarget();
  std::string error;
  const llvm::Target *backend =
      llvm::TargetRegistry::lookupTarget(target.triple, error);
  if (!backend)
    return nullptr;
  llvm::TargetOptions targetOptions;
  // Fuse multiply-adds the vectorizer left separate into FMAs.
  targetOptions.AllowFPOpFusion = llvm::FPOpFusion::Fast;
  return std::unique_ptr<llvm::TargetMachine>(backend->createTargetMachine(
      target.triple, target.cpu, target.features, targetOptions, relocation,
      /*CM=*/std::nullopt, llvm::CodeGenOptLevel::Aggressive));
}

std::unique_ptr<llvm::Module> translateToLLVMIR(ModuleOp module,
                                                llvm::LLVMContext &ctx,
                                                bool optimize,
                                                const CodegenTarget &target) {
  registerBuiltinDialectTranslation(*module->getContext());
  registerLLVMDialectTranslation(*module->getContext());
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, ctx);
  if (!llvmModule)
    return nullptr;
  std::unique_ptr<llvm::TargetMachine> targetMachine =
      createTargetMachine(target);
  if (!targetMachine) {
    module.emitError("no code generator for ") << target.triple;
    return nullptr;
  }
  llvmModule->setTargetTriple(targetMachine->getTargetTriple().str());
  llvmModule->setDataLayout(targetMachine->createDataLayout());

  // The vectorizer emits vectors of one register of the target; tell LLVM
  // to keep them whole (some CPUs prefer 256-bit vectors by default), and
  // compile for the CPU the way the target machine does.
  std::string vectorWidth = std::to_string(target.vectorBits);
  for (llvm::Function &function : *llvmModule) {
    if (function.isDeclaration())
      continue;
    function.addFnAttr("prefer-vector-width", vectorWidth);
    function.addFnAttr("target-cpu", target.cpu);
    function.addFnAttr("target-features", target.features);
  }

  if (optimize)
    optimizeLLVMModule(*llvmModule, targetMachine.get(), /*optLevel=*/3);
  return llvmModule;
}

llvm::Error addPackedInterfaces(llvm::Module &module,
                                llvm::ArrayRef<std::string> names) {
  llvm::LLVMContext &ctx = module.getContext();
  llvm::IRBuilder<> builder(ctx);
  for (const std::string &name : names) {
    llvm::Function *function = module.getFunction(name);
    if (!function || function->isDeclaration())
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "no function '%s' to call", name.c_str());
    auto *packedType = llvm::FunctionType::get(
        builder.getVoidTy(), builder.getPtrTy(), /*isVarArg=*/false);
    auto *packed =
        llvm::Function::Create(packedType, llvm::GlobalValue::ExternalLinkage,
                               "_mlir_" + name, module);
    builder.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", packed));
    llvm::Value *argList = packed->getArg(0);
    llvm::SmallVector<llvm::Value *> args;
    for (auto [index, arg] : llvm::enumerate(function->args())) {
      llvm::Value *slot =
          builder.CreateConstGEP1_64(builder.getPtrTy(), argList, index);
      llvm::Value *pointer = builder.CreateLoad(builder.getPtrTy(), slot);
      args.push_back(builder.CreateLoad(arg.getType(), pointer));
    }
    llvm::Value *result = builder.CreateCall(function, args);
    if (!result->getType()->isVoidTy()) {
      llvm::Value *slot = builder.CreateConstGEP1_64(
          builder.getPtrTy(), argList, function->arg_size());
      builder.CreateStore(result, builder.CreateLoad(builder.getPtrTy(), slot));
    }
    builder.CreateRetVoid();
  }
  return llvm::Error::success();
}

llvm::Expected<llvm::SmallVector<char, 0>>
emitObject(llvm::Module &module, const CodegenTarget &target) {
  std::unique_ptr<llvm::TargetMachine> targetMachine =
      createTargetMachine(target, llvm::Reloc::PIC_);
  if (!targetMachine)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "no code generator for %s",
                                   target.triple.c_str());
  if (module.getDataLayout().isDefault())
    module.setDataLayout(targetMachine->createDataLayout());
  llvm::SmallVector<char, 0> object;
  llvm::raw_svector_ostream stream(object);
  llvm::legacy::PassManager passes;
  if (targetMachine->addPassesToEmitFile(passes, stream, nullptr,
                                         llvm::CodeGenFileType::ObjectFile))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "%s cannot emit object files",
                                   target.cpu.c_str());
  passes.run(module);
  return object;
}

LogicalResult emitAssembly(llvm::Module &module, llvm::raw_ostream &os,
                           const CodegenTarget &target) {
  std::unique_ptr<llvm::TargetMachine> targetMachine =
      createTargetMachine(target);
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
