//===- CompiledModel.cpp - Machine code any thread may call ---------------===//
#include "seqc/Runtime/CompiledModel.h"
#include "seqc/Runtime/Error.h"
#include "seqc/Runtime/NativeCode.h"
#include "seqc/Runtime/ObjectCache.h"

#include "seqc/Dialect/Seq/SeqOps.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "llvm/ADT/SmallBitVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/SmallVectorMemoryBuffer.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"

#include <fmt/format.h>

#include <chrono>
#include <map>
#include <optional>

using namespace seqc::rt;
namespace seq = seqc::seq;

//===----------------------------------------------------------------------===//
// Compilation
//===----------------------------------------------------------------------===//

//===----------------------------------------------------------------------===//
// Creation
//===----------------------------------------------------------------------===//

/// "file:line:col: error: message" when the location leads to a source
/// position (as the driver prints diagnostics), else the MLIR location.
static void printDiagnostic(llvm::raw_ostream &os,
                            const mlir::Diagnostic &diag) {
  mlir::Location location = diag.getLocation();
  if (auto fileLocation = location->findInstanceOf<mlir::FileLineColLoc>())
    os << fileLocation.getFilename().getValue() << ":" << fileLocation.getLine()
       << ":" << fileLocation.getColumn() << ": ";
  else
    os << location << ": ";
  switch (diag.getSeverity()) {
  case mlir::DiagnosticSeverity::Error:
    os << "error: ";
    break;
  case mlir::DiagnosticSeverity::Warning:
    os << "warning: ";
    break;
  case mlir::DiagnosticSeverity::Note:
    os << "note: ";
    break;
  case mlir::DiagnosticSeverity::Remark:
    os << "remark: ";
    break;
  }
  os << diag;
}
CompiledModel::CompiledModel(ModelSignature signature)
    : sig(std::move(signature)) {}

CompiledModel::~CompiledModel() = default;

/// Everything that decides the compiled code, for the object cache's key.
static std::string cacheMaterial(mlir::ModuleOp module,
                                 const JitOptions &options,
                                 const seqc::CodegenTarget &target) {
  std::string material;
  llvm::raw_string_ostream os(material);
  const seqc::PipelineOptions &pipeline = options.pipeline;
  os << "target " << target.triple << " " << target.cpu << " "
     << target.features << "\npipeline vector-width=" << pipeline.vectorWidth
     << " vectorize=" << pipeline.vectorize
     << " library-gemms=" << pipeline.libraryGemms
     << " pack-gemm-operands=" << pipeline.packGemmOperands
     << " hoist=" << pipeline.hoistScanMatmuls
     << " read-only=" << options.readOnlyArguments
     << " opt=" << options.optLevel << "\n";
  // Without locations: the same model from another file is the same code.
  module.print(os);
  return material;
}

/// The entry points' C interfaces, which get packed wrappers.
static std::vector<std::string>
interfaceNames(llvm::ArrayRef<EntryPoint> entries) {
  std::vector<std::string> names;
  for (const EntryPoint &entry : entries)
    names.push_back("_mlir_ciface_" + entry.name);
  return names;
}

llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
CompiledModel::buildObject(mlir::ModuleOp module, const JitOptions &options,
                           mlir::TimingScope &timing) const {
  const CodegenTarget &target = codegenTarget;
  llvm::StringRef model = sig.model;
  mlir::MLIRContext *context = module.getContext();
  mlir::OwningOpRef<mlir::ModuleOp> lowered(
      llvm::cast<mlir::ModuleOp>(module->clone()));

  if (options.readOnlyArguments) {
    auto readOnly = mlir::BoolAttr::get(context, false);
    for (auto func : lowered->getOps<mlir::func::FuncOp>()) {
      if (!sig.entryIndex.count(func.getSymName()))
        continue;
      // The arguments an update step replaces in place stay writable.
      llvm::SmallBitVector updated(func.getNumArguments());
      for (unsigned index = 0; index < func.getNumResults(); ++index)
        if (auto target = func.getResultAttrOfType<mlir::IntegerAttr>(
                index, seq::kUpdatesAttr))
          updated.set(target.getInt());
      for (unsigned index = 0; index < func.getNumArguments(); ++index)
        if (!updated.test(index))
          func.setArgAttr(
              index,
              mlir::bufferization::BufferizationDialect::kWritableAttrName,
              readOnly);
    }
  }

  // Diagnostics become the error's text instead of reaching the caller's
  // handlers, so that the caller decides how to report a failed compilation.
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler captureDiagnostics(
      context, [&](mlir::Diagnostic &diag) {
        llvm::raw_string_ostream os(diagnostics);
        if (!diagnostics.empty())
          os << "\n";
        printDiagnostic(os, diag);
        for (const mlir::Diagnostic &note : diag.getNotes()) {
          os << "\n  ";
          printDiagnostic(os, note);
        }
        return mlir::success();
      });

  {
    mlir::TimingScope passTiming = timing.nest("MLIR passes");
    mlir::PassManager pm(context, mlir::ModuleOp::getOperationName());
    pm.enableTiming(passTiming);
    buildSeqToLinalgPipeline(pm, options.pipeline);
    buildLinalgToLLVMPipeline(pm, options.pipeline);
    if (mlir::failed(pm.run(*lowered)))
      return makeError("lowering model '{}' failed:\n{}", model.str(),
                       diagnostics);
  }
  if (options.dumpLoweredModule)
    lowered->print(*options.dumpLoweredModule);

  llvm::LLVMContext llvmContext;
  mlir::TimingScope translateTiming = timing.nest("LLVM IR translation");
  std::unique_ptr<llvm::Module> llvmModule =
      translateToLLVMIR(*lowered, llvmContext, /*optimize=*/false, target);
  if (!llvmModule)
    return makeError("translating model '{}' to LLVM IR failed:\n{}",
                     model.str(), diagnostics);
  if (llvm::Error error =
          addPackedInterfaces(*llvmModule, interfaceNames(sig.entries)))
    return error;
  translateTiming.stop();

  mlir::TimingScope optimizeTiming = timing.nest("LLVM IR optimization");
  std::unique_ptr<llvm::TargetMachine> tuningMachine =
      createTargetMachine(target);
  if (!tuningMachine)
    return makeError("no target machine for {}", target.describe());
  optimizeLLVMModule(*llvmModule, tuningMachine.get(), options.optLevel);
  optimizeTiming.stop();

  mlir::TimingScope codegenTiming = timing.nest("LLVM code generation");
  auto object = emitObject(*llvmModule, target);
  if (!object)
    return object.takeError();
  return std::make_unique<llvm::SmallVectorMemoryBuffer>(
      std::move(*object), "seqc-" + model.str(),
      /*RequiresNullTerminator=*/false);
}

llvm::Error CompiledModel::compile(mlir::ModuleOp module,
                                   const JitOptions &options) {
  auto start = std::chrono::steady_clock::now();
  // The pipeline's hook chooses the CPU; the same choice keys the cache and
  // sizes seqc-vectorize's tiles.
  auto target = chooseTarget(options.pipeline);
  if (!target)
    return makeError("{}", llvm::toString(target.takeError()));
  codegenTarget = *target;

  mlir::DefaultTimingManager timingManager;
  timingManager.setEnabled(options.timing);
  mlir::TimingScope timing = timingManager.getRootScope();

  // A module compiled before, for the same CPU and options, is read back
  // from the cache instead of compiled again.
  std::string cacheDirectory = options.cacheDirectory.empty()
                                   ? ObjectCache::defaultDirectory()
                                   : options.cacheDirectory;
  bool useCache =
      options.useCache && !cacheDirectory.empty() && !options.dumpLoweredModule;
  ObjectCache cache(cacheDirectory);
  std::string key;
  std::unique_ptr<llvm::MemoryBuffer> object;
  if (useCache) {
    mlir::TimingScope lookupTiming = timing.nest("object cache lookup");
    key = ObjectCache::key(cacheMaterial(module, options, codegenTarget));
    object = cache.lookup(key);
  }
  compileStats.cacheHit = object != nullptr;
  if (!object) {
    auto built = buildObject(module, options, timing);
    if (!built)
      return built.takeError();
    object = std::move(*built);
    // A cache that cannot be written only costs the next run a compile.
    if (useCache)
      llvm::consumeError(
          cache.store(key, llvm::ArrayRef<char>(object->getBufferStart(),
                                                object->getBufferSize())));
  }

  mlir::TimingScope linkTiming = timing.nest("linking");
  auto code =
      NativeCode::link(std::move(object), codegenTarget, options.perfMap);
  if (!code)
    return code.takeError();
  native = std::move(*code);
  for (const EntryPoint &entry : sig.entries) {
    auto function = native->lookupPacked("_mlir_ciface_" + entry.name);
    if (!function)
      return makeError("entry point @{} has no C interface in the compiled "
                       "code: {}",
                       entry.name, llvm::toString(function.takeError()));
    entryFunctions.push_back(*function);
  }
  linkTiming.stop();
  compileStats.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return llvm::Error::success();
}

llvm::Expected<std::unique_ptr<CompiledModel>>
CompiledModel::create(mlir::ModuleOp seqModule, ModelSignature signature,
                      const JitOptions &options) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::InitializeNativeTargetAsmParser();

  std::unique_ptr<CompiledModel> model(new CompiledModel(std::move(signature)));
  if (llvm::Error error = model->compile(seqModule, options))
    return std::move(error);
  return model;
}

//===----------------------------------------------------------------------===//
// Calls
//===----------------------------------------------------------------------===//

llvm::Expected<std::vector<Tensor>>
CompiledModel::call(llvm::StringRef entryName, const HeldTensors &held,
                    llvm::ArrayRef<Tensor> inputs,
                    llvm::ArrayRef<HyperValue> hypers) const {
  auto it = sig.entryIndex.find(entryName);
  if (it == sig.entryIndex.end())
    return makeError("model '{}' has no entry point '{}'", sig.model,
                     entryName.str());
  const EntryPoint &entry = sig.entries[it->second];
  PackedFunction function = entryFunctions[it->second];
  if (held.params.size() != sig.params.size() ||
      held.states.size() != sig.states.size())
    return makeError("@{} is given {} parameters and {} state tensors; model "
                     "'{}' has {} and {}",
                     entry.name, held.params.size(), held.states.size(),
                     sig.model, sig.params.size(), sig.states.size());

  if (inputs.size() != entry.inputs.size()) {
    std::vector<std::string> expected;
    for (const EntryArgument &input : entry.inputs)
      expected.push_back(input.name + ": " + input.type.str());
    return makeError("@{} takes {} input{} ({}), got {}", entry.name,
                     entry.inputs.size(), entry.inputs.size() == 1 ? "" : "s",
                     llvm::join(expected, ", "), inputs.size());
  }
  std::optional<int64_t> batchSize;
  std::map<int64_t, std::pair<int64_t, std::string>> stepsOfTime;
  std::string batchInput;
  for (auto [input, tensor] : llvm::zip(entry.inputs, inputs)) {
    if (!input.type.accepts(tensor))
      return makeError("input '{}' of @{} must be {}, got {}", input.name,
                       entry.name, input.type.str(), describeTensor(tensor));
    if (input.type.shape.empty() || input.type.shape[0] != kDynamicSize)
      continue;
    // Two dynamic leading axes: a time-major sequence [T, N, ...], whose
    // batch axis is the second; the sequences must agree on T too.
    bool timeMajor =
        input.type.shape.size() >= 2 && input.type.shape[1] == kDynamicSize;
    if (timeMajor) {
      auto [it, first] = stepsOfTime.try_emplace(
          input.time, std::pair{tensor.dim(0), input.name});
      if (!first && it->second.first != tensor.dim(0))
        return makeError("sequences '{}' and '{}' of @{} disagree on the "
                         "number of steps: {} vs {}",
                         it->second.second, input.name, entry.name,
                         it->second.first, tensor.dim(0));
    }
    int64_t size = tensor.dim(timeMajor ? 1 : 0);
    if (batchSize && *batchSize != size)
      return makeError("inputs '{}' and '{}' of @{} disagree on the batch "
                       "size: {} vs {}",
                       batchInput, input.name, entry.name, *batchSize, size);
    batchSize = size;
    batchInput = input.name;
  }
  for (const HyperValue &hyper : hypers)
    if (llvm::none_of(entry.hypers, [&](const EntryArgument &argument) {
          return argument.name == hyper.name;
        }))
      return makeError("@{} has no hyperparameter '{}'", entry.name,
                       hyper.name.str());
  // 0-d tensors of the hyperparameters, in argument order.
  std::vector<Tensor> hyperTensors;
  hyperTensors.reserve(entry.hypers.size());
  for (const EntryArgument &argument : entry.hypers) {
    const HyperValue *value =
        llvm::find_if(hypers, [&](const HyperValue &hyper) {
          return hyper.name == argument.name;
        });
    if (value == hypers.end())
      return makeError("@{} needs a value for hyperparameter '{}'", entry.name,
                       argument.name);
    Tensor &tensor = hyperTensors.emplace_back(argument.type.dtype,
                                               llvm::ArrayRef<int64_t>());
    tensor.setDouble(0, value->value);
  }

  PackedCall packed(entry.results);
  size_t nextInput = 0, nextHyper = 0;
  for (const EntryArgument &argument : entry.arguments) {
    switch (argument.kind) {
    case EntryArgument::Kind::Param:
      packed.addArgument(held.params[argument.paramIndex]);
      break;
    case EntryArgument::Kind::State:
      packed.addArgument(held.states[argument.stateIndex]);
      break;
    case EntryArgument::Kind::Hyper:
      packed.addArgument(hyperTensors[nextHyper++]);
      break;
    case EntryArgument::Kind::Input:
      packed.addArgument(inputs[nextInput++]);
      break;
    }
  }
  packed.invoke(function);
  return packed.takeResults();
}
