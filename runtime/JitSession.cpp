//===- JitSession.cpp - A compiled model and its parameters ---------------===//
#include "seqc/Runtime/JitSession.h"
#include "seqc/Runtime/Error.h"
#include "seqc/Runtime/NativeCode.h"
#include "seqc/Runtime/ObjectCache.h"

#include "seqc/Dialect/Seq/SeqOps.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallBitVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ExecutionEngine/Orc/Core.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/SmallVectorMemoryBuffer.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>

#include <unistd.h>

using namespace seqc::rt;
namespace seq = seqc::seq;

static constexpr llvm::StringLiteral kStateListKey = "seqc.state";
static constexpr llvm::StringLiteral kModelKey = "seqc.model";

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

static std::string describe(const Tensor &tensor) {
  return shapeToString(tensor.shape()) + " " + dtypeName(tensor.dtype()).str();
}

static std::optional<DType> convertElementType(mlir::Type type) {
  if (type.isF32())
    return DType::F32;
  if (type.isF64())
    return DType::F64;
  if (type.isSignlessInteger(32))
    return DType::I32;
  if (type.isSignlessInteger(64))
    return DType::I64;
  return std::nullopt;
}

static std::string typeToString(mlir::Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  type.print(os);
  return os.str();
}

/// The runtime's view of an entry point's argument or result type.
static llvm::Expected<TensorType> convertType(mlir::Type type,
                                              llvm::StringRef what) {
  auto tensorType = llvm::dyn_cast<mlir::RankedTensorType>(type);
  std::optional<DType> dtype =
      tensorType ? convertElementType(tensorType.getElementType())
                 : std::nullopt;
  if (!dtype)
    return makeError("{} has type {}; entry points take and return ranked "
                     "tensors of f32, f64, i32 or i64",
                     what.str(), typeToString(type));
  TensorType result;
  result.dtype = *dtype;
  for (int64_t size : tensorType.getShape())
    result.shape.push_back(mlir::ShapedType::isDynamic(size) ? kDynamicSize
                                                             : size);
  return result;
}

static llvm::Expected<InitSpec> parseInit(mlir::DictionaryAttr attr,
                                          llvm::StringRef what) {
  if (!attr)
    return makeError("{} has no {} initializer attribute", what.str(),
                     seq::kInitAttr.str());
  auto kindAttr = attr.getAs<mlir::StringAttr>("kind");
  if (!kindAttr)
    return makeError("{}: {} has no string 'kind'", what.str(),
                     seq::kInitAttr.str());
  auto kind = InitSpec::parseKind(kindAttr.getValue());
  if (!kind)
    return makeError("{}: {}", what.str(), llvm::toString(kind.takeError()));
  InitSpec spec;
  spec.kind = *kind;
  // a and b default to 0; integers are accepted where a float is meant.
  for (auto [key, slot] : {std::pair{"a", &spec.a}, std::pair{"b", &spec.b}}) {
    mlir::Attribute value = attr.get(key);
    if (!value)
      continue;
    if (auto floatAttr = llvm::dyn_cast<mlir::FloatAttr>(value))
      *slot = floatAttr.getValueAsDouble();
    else if (auto intAttr = llvm::dyn_cast<mlir::IntegerAttr>(value))
      *slot = static_cast<double>(intAttr.getInt());
    else
      return makeError("{}: {} entry '{}' is not a number", what.str(),
                       seq::kInitAttr.str(), key);
  }
  return spec;
}

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

JitSession::~JitSession() = default;

/// An update step returns the loss (a 0-d float), then one value per
/// parameter argument and one per state argument, each of the argument's
/// type.
static llvm::Error checkUpdateResults(const EntryPoint &entry) {
  std::vector<const EntryArgument *> updated;
  for (const EntryArgument &argument : entry.arguments)
    if (argument.kind == EntryArgument::Kind::Param)
      updated.push_back(&argument);
  for (const EntryArgument &argument : entry.arguments)
    if (argument.kind == EntryArgument::Kind::State)
      updated.push_back(&argument);
  if (entry.results.size() != updated.size() + 1)
    return makeError("update step @{} returns {} values; expected the loss "
                     "and one per parameter and state argument ({})",
                     entry.name, entry.results.size(), updated.size() + 1);
  const TensorType &loss = entry.results.front();
  if (!loss.shape.empty() || !isFloat(loss.dtype))
    return makeError("update step @{} returns {} first; expected the loss, a "
                     "0-d float tensor",
                     entry.name, loss.str());
  for (auto [index, argument] : llvm::enumerate(updated)) {
    const TensorType &result = entry.results[index + 1];
    if (result.dtype != argument->type.dtype ||
        result.shape != argument->type.shape)
      return makeError("result #{} of update step @{} is {}, but it updates "
                       "'{}' of type {}",
                       index + 1, entry.name, result.str(), argument->name,
                       argument->type.str());
  }
  // Either every new value is written into its argument (`seq.updates`,
  // naming the argument it replaces) or none is.
  if (entry.updatesArgument.front() >= 0)
    return makeError("update step @{}: the loss cannot update an argument",
                     entry.name);
  bool inPlace = entry.updatesArgument[1] >= 0;
  for (auto [index, argument] : llvm::enumerate(updated)) {
    int64_t target = entry.updatesArgument[index + 1];
    if ((target >= 0) != inPlace)
      return makeError("update step @{}: either every new value or none "
                       "carries {}",
                       entry.name, seq::kUpdatesAttr.str());
    if (inPlace && &entry.arguments[target] != argument)
      return makeError("result #{} of update step @{} updates argument #{}, "
                       "not '{}'",
                       index + 1, entry.name, target, argument->name);
  }
  return llvm::Error::success();
}

/// The machine's memory in bytes (no limit when it cannot be read).
static double physicalMemoryBytes() {
  long pages = ::sysconf(_SC_PHYS_PAGES), pageSize = ::sysconf(_SC_PAGE_SIZE);
  return pages > 0 && pageSize > 0
             ? static_cast<double>(pages) * static_cast<double>(pageSize)
             : std::numeric_limits<double>::infinity();
}

static double bytesOf(const TensorType &type) {
  double bytes = static_cast<double>(dtypeSize(type.dtype));
  for (int64_t size : type.shape)
    bytes *= static_cast<double>(size);
  return bytes;
}

static std::string gigabytes(double bytes) {
  if (bytes >= 1e12)
    return fmt::format("{:.1f} TB", bytes / 1e12);
  return fmt::format("{:.1f} GB", bytes / 1e9);
}

llvm::Error JitSession::readSignatures(mlir::ModuleOp module) {
  // Parameters and optimizer state are allocated as they are read: a model
  // whose tensors cannot fit in the machine's memory is refused first.
  double heldBytes = 0, memory = physicalMemoryBytes();
  auto reserve = [&](llvm::StringRef what, llvm::StringRef name,
                     const TensorType &type) -> llvm::Error {
    double bytes = bytesOf(type);
    heldBytes += bytes;
    if (heldBytes <= memory)
      return llvm::Error::success();
    return makeError("the model's parameters and optimizer state need at "
                     "least {} ({} '{}', {}, alone {}), more than this "
                     "machine's {} of memory",
                     gigabytes(heldBytes), what.str(), name.str(), type.str(),
                     gigabytes(bytes), gigabytes(memory));
  };
  if (auto name = module->getAttrOfType<mlir::StringAttr>(seq::kModelAttr))
    model = name.str();

  for (auto func : module.getOps<mlir::func::FuncOp>()) {
    if (!func.isPublic() || func.isExternal())
      continue;
    EntryPoint entry;
    entry.name = func.getSymName().str();
    mlir::FunctionType type = func.getFunctionType();

    for (unsigned index = 0; index < func.getNumArguments(); ++index) {
      std::string what = fmt::format("argument #{} of @{}", index, entry.name);
      auto argType = convertType(type.getInput(index), what);
      if (!argType)
        return argType.takeError();
      auto paramName =
          func.getArgAttrOfType<mlir::StringAttr>(index, seq::kParamAttr);
      auto inputName =
          func.getArgAttrOfType<mlir::StringAttr>(index, seq::kInputAttr);
      auto stateName =
          func.getArgAttrOfType<mlir::StringAttr>(index, seq::kStateAttr);
      auto hyperName =
          func.getArgAttrOfType<mlir::StringAttr>(index, seq::kHyperAttr);
      if (int(bool(paramName)) + int(bool(inputName)) + int(bool(stateName)) +
              int(bool(hyperName)) !=
          1)
        return makeError("{} must carry exactly one of {}, {}, {} and {}", what,
                         seq::kParamAttr.str(), seq::kStateAttr.str(),
                         seq::kHyperAttr.str(), seq::kInputAttr.str());

      EntryArgument argument;
      argument.type = *argType;
      if (inputName) {
        argument.kind = EntryArgument::Kind::Input;
        argument.name = inputName.str();
        entry.arguments.push_back(argument);
        entry.inputs.push_back(argument);
        continue;
      }
      if (hyperName) {
        argument.kind = EntryArgument::Kind::Hyper;
        argument.name = hyperName.str();
        if (!argument.type.shape.empty() || !isFloat(argument.type.dtype))
          return makeError("hyperparameter '{}' of @{} is {}; hyperparameters "
                           "are 0-d float tensors",
                           argument.name, entry.name, argument.type.str());
        if (llvm::any_of(entry.hypers, [&](const EntryArgument &other) {
              return other.name == argument.name;
            }))
          return makeError("@{} declares hyperparameter '{}' twice", entry.name,
                           argument.name);
        entry.isUpdateStep = true;
        entry.arguments.push_back(argument);
        entry.hypers.push_back(argument);
        continue;
      }
      if (stateName) {
        argument.kind = EntryArgument::Kind::State;
        argument.name = stateName.str();
        entry.isUpdateStep = true;
        if (llvm::is_contained(argument.type.shape, kDynamicSize))
          return makeError("state '{}' of @{} has dynamic type {}; state "
                           "needs a static shape",
                           argument.name, entry.name, argument.type.str());
        auto [it, inserted] =
            stateIndex.try_emplace(argument.name, stateInfos.size());
        if (inserted) {
          if (llvm::Error error =
                  reserve("optimizer state", argument.name, argument.type))
            return error;
          stateInfos.push_back({argument.name, argument.type});
          stateValues.emplace_back(argument.type.dtype, argument.type.shape);
        } else if (stateInfos[it->second].type.dtype != argument.type.dtype ||
                   stateInfos[it->second].type.shape != argument.type.shape) {
          return makeError("state '{}' of @{} is {}, but an earlier entry "
                           "point declares it {}",
                           argument.name, entry.name, argument.type.str(),
                           stateInfos[it->second].type.str());
        }
        argument.stateIndex = it->second;
        entry.arguments.push_back(argument);
        continue;
      }

      argument.kind = EntryArgument::Kind::Param;
      argument.name = paramName.str();
      what = fmt::format("parameter '{}' of @{}", argument.name, entry.name);
      if (llvm::is_contained(argument.type.shape, kDynamicSize))
        return makeError("{} has dynamic type {}; parameters need static "
                         "shapes",
                         what, argument.type.str());
      auto init = parseInit(
          func.getArgAttrOfType<mlir::DictionaryAttr>(index, seq::kInitAttr),
          what);
      if (!init)
        return init.takeError();

      auto [it, inserted] =
          paramIndex.try_emplace(argument.name, paramInfos.size());
      if (inserted) {
        if (llvm::Error error =
                reserve("parameter", argument.name, argument.type))
          return error;
        paramInfos.push_back({argument.name, argument.type, *init});
        paramValues.emplace_back(argument.type.dtype, argument.type.shape);
      } else {
        const ParamInfo &known = paramInfos[it->second];
        if (known.type.dtype != argument.type.dtype ||
            known.type.shape != argument.type.shape)
          return makeError("{} is {}, but an earlier entry point declares it "
                           "{}",
                           what, argument.type.str(), known.type.str());
      }
      argument.paramIndex = it->second;
      entry.arguments.push_back(argument);
    }

    for (unsigned index = 0; index < func.getNumResults(); ++index) {
      auto resultType =
          convertType(type.getResult(index),
                      fmt::format("result #{} of @{}", index, entry.name));
      if (!resultType)
        return resultType.takeError();
      entry.results.push_back(*resultType);
      auto target =
          func.getResultAttrOfType<mlir::IntegerAttr>(index, seq::kUpdatesAttr);
      entry.updatesArgument.push_back(target ? target.getInt() : -1);
      auto name =
          func.getResultAttrOfType<mlir::StringAttr>(index, seq::kOutputAttr);
      entry.resultNames.push_back(name ? name.str()
                                  : func.getNumResults() == 1
                                      ? std::string("out")
                                      : fmt::format("out{}", index));
    }

    if (entry.isUpdateStep)
      if (llvm::Error error = checkUpdateResults(entry))
        return error;
    // Results written into their arguments are not returned by the
    // compiled function.
    for (size_t index = entry.results.size(); index-- > 0;)
      if (entry.updatesArgument[index] >= 0) {
        entry.results.erase(entry.results.begin() + index);
        entry.resultNames.erase(entry.resultNames.begin() + index);
        entry.updatesInPlace = true;
      }

    entryIndex[entry.name] = entries.size();
    entries.push_back(std::move(entry));
  }
  if (entries.empty())
    return makeError("the module has no public function to run");
  return llvm::Error::success();
}

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
JitSession::buildObject(mlir::ModuleOp module, const JitOptions &options,
                        const seqc::CodegenTarget &target,
                        mlir::TimingScope &timing) {
  mlir::MLIRContext *context = module.getContext();
  mlir::OwningOpRef<mlir::ModuleOp> lowered(
      llvm::cast<mlir::ModuleOp>(module->clone()));

  if (options.readOnlyArguments) {
    auto readOnly = mlir::BoolAttr::get(context, false);
    for (auto func : lowered->getOps<mlir::func::FuncOp>()) {
      if (!entryIndex.count(func.getSymName()))
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
      return makeError("lowering model '{}' failed:\n{}", model, diagnostics);
  }
  if (options.dumpLoweredModule)
    lowered->print(*options.dumpLoweredModule);

  llvm::LLVMContext llvmContext;
  mlir::TimingScope translateTiming = timing.nest("LLVM IR translation");
  std::unique_ptr<llvm::Module> llvmModule =
      translateToLLVMIR(*lowered, llvmContext, /*optimize=*/false, target);
  if (!llvmModule)
    return makeError("translating model '{}' to LLVM IR failed:\n{}", model,
                     diagnostics);
  if (llvm::Error error =
          addPackedInterfaces(*llvmModule, interfaceNames(entries)))
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
      std::move(*object), "seqc-" + model, /*RequiresNullTerminator=*/false);
}

llvm::Error JitSession::compile(mlir::ModuleOp module,
                                const JitOptions &options) {
  auto start = std::chrono::steady_clock::now();
  auto target = resolveTarget(options.pipeline.targetCpu,
                              options.pipeline.targetFeatures);
  if (!target)
    return makeError("{}", llvm::toString(target.takeError()));

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
    key = ObjectCache::key(cacheMaterial(module, options, *target));
    object = cache.lookup(key);
  }
  compileStats.cacheHit = object != nullptr;
  if (!object) {
    auto built = buildObject(module, options, *target, timing);
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
  auto code = NativeCode::link(std::move(object), *target, options.perfMap);
  if (!code)
    return code.takeError();
  native = std::move(*code);
  for (const EntryPoint &entry : entries) {
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

llvm::Expected<std::unique_ptr<JitSession>>
JitSession::create(mlir::ModuleOp seqModule, const JitOptions &options) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::InitializeNativeTargetAsmParser();

  std::unique_ptr<JitSession> session(new JitSession());
  if (llvm::Error error = session->readSignatures(seqModule))
    return std::move(error);
  if (llvm::Error error = session->compile(seqModule, options))
    return std::move(error);
  return session;
}

//===----------------------------------------------------------------------===//
// Parameters
//===----------------------------------------------------------------------===//

const EntryPoint *JitSession::entryPoint(llvm::StringRef name) const {
  auto it = entryIndex.find(name);
  return it == entryIndex.end() ? nullptr : &entries[it->second];
}

const Tensor *JitSession::param(llvm::StringRef name) const {
  auto it = paramIndex.find(name);
  return it == paramIndex.end() ? nullptr : &paramValues[it->second];
}

llvm::Error JitSession::setParam(llvm::StringRef name, const Tensor &value) {
  auto it = paramIndex.find(name);
  if (it == paramIndex.end())
    return makeError("model '{}' has no parameter '{}'", model, name.str());
  const ParamInfo &info = paramInfos[it->second];
  if (!info.type.accepts(value))
    return makeError("parameter '{}' is {}, got {}", name.str(),
                     info.type.str(), describe(value));
  paramValues[it->second] = value;
  return llvm::Error::success();
}

void JitSession::initParams(uint64_t seed) {
  for (auto [info, value] : llvm::zip(paramInfos, paramValues)) {
    Rng rng = Rng::forStream(seed, info.name);
    initializeTensor(value, info.init, rng);
  }
}

/// The names of the state tensors a checkpoint lists in its metadata.
static llvm::Expected<llvm::StringSet<>>
checkpointStateNames(const SafetensorsFile &file, llvm::StringRef path) {
  llvm::StringSet<> names;
  auto it = file.metadata.find(kStateListKey);
  if (it == file.metadata.end())
    return names;
  auto parsed = llvm::json::parse(it->second);
  const llvm::json::Array *array = parsed ? parsed->getAsArray() : nullptr;
  if (!parsed)
    llvm::consumeError(parsed.takeError());
  if (!array)
    return makeError("{}: corrupt checkpoint: metadata '{}' is not a JSON "
                     "list of names",
                     path.str(), kStateListKey.str());
  for (const llvm::json::Value &value : *array) {
    std::optional<llvm::StringRef> name = value.getAsString();
    if (!name)
      return makeError("{}: corrupt checkpoint: metadata '{}' is not a JSON "
                       "list of names",
                       path.str(), kStateListKey.str());
    names.insert(*name);
  }
  return names;
}

llvm::Error JitSession::loadParams(llvm::StringRef path, bool allowUnknown) {
  auto file = loadSafetensors(path);
  if (!file)
    return file.takeError();

  std::vector<std::string> problems;
  for (const ParamInfo &info : paramInfos) {
    auto it = file->tensors.find(info.name);
    if (it == file->tensors.end())
      problems.push_back(fmt::format("missing parameter '{}' ({})", info.name,
                                     info.type.str()));
    else if (!info.type.accepts(it->second))
      problems.push_back(fmt::format("parameter '{}' is {} in the file, but "
                                     "the model expects {}",
                                     info.name, describe(it->second),
                                     info.type.str()));
  }
  // Optimizer state in a training checkpoint is not a parameter but belongs.
  auto stateNames = checkpointStateNames(*file, path);
  if (!stateNames)
    return stateNames.takeError();
  if (!allowUnknown)
    for (const auto &[name, tensor] : file->tensors)
      if (!paramIndex.count(name) && !stateNames->count(name))
        problems.push_back(fmt::format(
            "tensor '{}' is not a parameter of model '{}'", name, model));
  if (!problems.empty())
    return makeError("{}: does not fit model '{}':\n  {}", path.str(), model,
                     llvm::join(problems, "\n  "));

  for (auto [info, value] : llvm::zip(paramInfos, paramValues))
    value = std::move(file->tensors.find(info.name)->second);
  return llvm::Error::success();
}

llvm::Error JitSession::saveParams(llvm::StringRef path,
                                   const MetadataMap &metadata) const {
  std::vector<NamedTensorRef> tensors;
  for (auto [info, value] : llvm::zip(paramInfos, paramValues))
    tensors.push_back({info.name, &value});
  MetadataMap allMetadata = metadata;
  if (!model.empty())
    allMetadata.try_emplace(kModelKey.str(), model);
  return saveSafetensors(path, tensors, allMetadata);
}

//===----------------------------------------------------------------------===//
// Optimizer state and checkpoints
//===----------------------------------------------------------------------===//

const Tensor *JitSession::state(llvm::StringRef name) const {
  auto it = stateIndex.find(name);
  return it == stateIndex.end() ? nullptr : &stateValues[it->second];
}

llvm::Error JitSession::setState(llvm::StringRef name, const Tensor &value) {
  auto it = stateIndex.find(name);
  if (it == stateIndex.end())
    return makeError("model '{}' has no optimizer state '{}'", model,
                     name.str());
  const StateInfo &info = stateInfos[it->second];
  if (!info.type.accepts(value))
    return makeError("optimizer state '{}' is {}, got {}", name.str(),
                     info.type.str(), describe(value));
  stateValues[it->second] = value;
  return llvm::Error::success();
}

void JitSession::resetState() {
  for (auto [info, value] : llvm::zip(stateInfos, stateValues))
    value = Tensor(info.type.dtype, info.type.shape);
}

llvm::Error JitSession::saveCheckpoint(llvm::StringRef path,
                                       const MetadataMap &metadata) const {
  std::vector<NamedTensorRef> tensors;
  for (auto [info, value] : llvm::zip(paramInfos, paramValues))
    tensors.push_back({info.name, &value});
  std::string stateList;
  llvm::raw_string_ostream stateStream(stateList);
  llvm::json::OStream json(stateStream);
  json.array([&] {
    for (auto [info, value] : llvm::zip(stateInfos, stateValues)) {
      tensors.push_back({info.name, &value});
      json.value(info.name);
    }
  });
  stateStream.flush();
  MetadataMap allMetadata = metadata;
  if (!model.empty())
    allMetadata[kModelKey.str()] = model;
  allMetadata[kStateListKey.str()] = stateList;
  return saveSafetensors(path, tensors, allMetadata);
}

llvm::Error JitSession::loadCheckpoint(const SafetensorsFile &file,
                                       llvm::StringRef path, bool withState) {
  auto modelIt = file.metadata.find(kModelKey);
  if (modelIt != file.metadata.end() && !model.empty() &&
      modelIt->second != model)
    return makeError("{}: the checkpoint is of model '{}', not '{}'",
                     path.str(), modelIt->second, model);
  auto stateNames = checkpointStateNames(file, path);
  if (!stateNames)
    return stateNames.takeError();

  std::vector<std::string> problems;
  auto check = [&](llvm::StringRef what, llvm::StringRef name,
                   const TensorType &type) {
    auto it = file.tensors.find(name);
    if (it == file.tensors.end())
      problems.push_back(fmt::format("missing {} '{}' ({})", what.str(),
                                     name.str(), type.str()));
    else if (!type.accepts(it->second))
      problems.push_back(fmt::format("{} '{}' is {} in the file, but the "
                                     "model expects {}",
                                     what.str(), name.str(),
                                     describe(it->second), type.str()));
    else if (!it->second.allFinite())
      problems.push_back(fmt::format("{} '{}' holds NaN or infinite values "
                                     "(a diverged run?)",
                                     what.str(), name.str()));
  };
  for (const ParamInfo &info : paramInfos)
    check("parameter", info.name, info.type);
  if (withState)
    for (const StateInfo &info : stateInfos)
      check("optimizer state", info.name, info.type);
  for (const auto &[name, tensor] : file.tensors) {
    if (paramIndex.count(name))
      continue;
    if (!stateNames->count(name))
      problems.push_back(fmt::format(
          "tensor '{}' is not a parameter of model '{}'", name, model));
    else if (withState && !stateIndex.count(name))
      problems.push_back(fmt::format("optimizer state '{}' does not belong "
                                     "to this training (another optimizer?)",
                                     name));
  }
  if (!problems.empty())
    return makeError("{}: does not fit model '{}':\n  {}", path.str(), model,
                     llvm::join(problems, "\n  "));

  for (auto [info, value] : llvm::zip(paramInfos, paramValues))
    value = file.tensors.find(info.name)->second;
  if (withState)
    for (auto [info, value] : llvm::zip(stateInfos, stateValues))
      value = file.tensors.find(info.name)->second;
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Calls
//===----------------------------------------------------------------------===//

namespace {
/// A ranked memref descriptor as the C interface lays it out: allocated and
/// aligned pointers, offset, sizes[rank], strides[rank], all 8 bytes.
class MemRefDescriptor {
public:
  /// Describes a contiguous row-major tensor owned by the caller.
  static void append(llvm::SmallVectorImpl<int64_t> &words, const void *data,
                     llvm::ArrayRef<int64_t> shape) {
    auto pointer = static_cast<int64_t>(reinterpret_cast<intptr_t>(data));
    words.push_back(pointer); // allocated
    words.push_back(pointer); // aligned
    words.push_back(0);       // offset
    words.append(shape.begin(), shape.end());
    llvm::SmallVector<int64_t, 4> strides(shape.size(), 1);
    for (int64_t axis = static_cast<int64_t>(shape.size()) - 2; axis >= 0;
         --axis)
      strides[axis] = strides[axis + 1] * shape[axis + 1];
    words.append(strides.begin(), strides.end());
  }
  static size_t words(size_t rank) { return 3 + 2 * rank; }
};
} // namespace

/// The pointer a statically allocated (global) memref carries as its
/// allocated pointer; it must not be freed.
static void *const kGlobalMemRefMarker = reinterpret_cast<void *>(0xdeadbeef);

/// Whether the memref described at `words` is laid out row-major without
/// gaps (unit axes may have any stride).
static bool isContiguous(const int64_t *words, size_t rank) {
  llvm::ArrayRef<int64_t> sizes(words + 3, rank);
  llvm::ArrayRef<int64_t> strides(words + 3 + rank, rank);
  int64_t expectedStride = 1;
  for (int64_t axis = static_cast<int64_t>(rank) - 1; axis >= 0; --axis) {
    if (sizes[axis] != 1 && strides[axis] != expectedStride)
      return false;
    expectedStride *= sizes[axis];
  }
  return true;
}

/// Copies the memref described at `words` into a new contiguous tensor,
/// following its offset and strides.
static Tensor copyOut(const int64_t *words, const TensorType &type) {
  size_t rank = type.shape.size();
  auto *aligned =
      reinterpret_cast<const std::byte *>(static_cast<intptr_t>(words[1]));
  int64_t offset = words[2];
  llvm::ArrayRef<int64_t> sizes(words + 3, rank);
  llvm::ArrayRef<int64_t> strides(words + 3 + rank, rank);
  Tensor tensor(type.dtype, sizes);
  size_t elementSize = dtypeSize(type.dtype);
  if (tensor.numElements() == 0)
    return tensor;

  const std::byte *base = aligned + offset * elementSize;
  if (isContiguous(words, rank)) {
    std::memcpy(tensor.rawData(), base, tensor.sizeInBytes());
    return tensor;
  }
  llvm::SmallVector<int64_t, 4> index(rank, 0);
  for (int64_t flat = 0; flat < tensor.numElements(); ++flat) {
    int64_t source = 0;
    for (size_t axis = 0; axis < rank; ++axis)
      source += index[axis] * strides[axis];
    std::memcpy(tensor.rawData() + flat * elementSize,
                base + source * elementSize, elementSize);
    for (int64_t axis = static_cast<int64_t>(rank) - 1; axis >= 0; --axis) {
      if (++index[axis] < sizes[axis])
        break;
      index[axis] = 0;
    }
  }
  return tensor;
}

llvm::Expected<std::vector<Tensor>>
JitSession::run(llvm::StringRef entryName, llvm::ArrayRef<Tensor> inputs,
                llvm::ArrayRef<HyperValue> hypers) {
  auto it = entryIndex.find(entryName);
  if (it == entryIndex.end())
    return makeError("model '{}' has no entry point '{}'", model,
                     entryName.str());
  return call(it->second, inputs, hypers);
}

llvm::Expected<std::vector<Tensor>>
JitSession::call(size_t index, llvm::ArrayRef<Tensor> inputs,
                 llvm::ArrayRef<HyperValue> hypers) {
  const EntryPoint &entry = entries[index];
  PackedFunction function = entryFunctions[index];

  if (inputs.size() != entry.inputs.size()) {
    std::vector<std::string> expected;
    for (const EntryArgument &input : entry.inputs)
      expected.push_back(input.name + ": " + input.type.str());
    return makeError("@{} takes {} input{} ({}), got {}", entry.name,
                     entry.inputs.size(), entry.inputs.size() == 1 ? "" : "s",
                     llvm::join(expected, ", "), inputs.size());
  }
  std::optional<int64_t> batchSize, steps;
  std::string batchInput, stepsInput;
  for (auto [input, tensor] : llvm::zip(entry.inputs, inputs)) {
    if (!input.type.accepts(tensor))
      return makeError("input '{}' of @{} must be {}, got {}", input.name,
                       entry.name, input.type.str(), describe(tensor));
    if (input.type.shape.empty() || input.type.shape[0] != kDynamicSize)
      continue;
    // Two dynamic leading axes: a time-major sequence [T, N, ...], whose
    // batch axis is the second; the sequences must agree on T too.
    bool timeMajor =
        input.type.shape.size() >= 2 && input.type.shape[1] == kDynamicSize;
    if (timeMajor) {
      if (steps && *steps != tensor.dim(0))
        return makeError("sequences '{}' and '{}' of @{} disagree on the "
                         "number of steps: {} vs {}",
                         stepsInput, input.name, entry.name, *steps,
                         tensor.dim(0));
      steps = tensor.dim(0);
      stepsInput = input.name;
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

  // Descriptors of every argument, then one pointer to each: the C
  // interface takes `(results *, arg0 *, arg1 *, ...)`.
  llvm::SmallVector<llvm::SmallVector<int64_t, 8>, 8> argumentWords;
  llvm::DenseSet<const void *> callerBuffers;
  size_t nextInput = 0, nextHyper = 0;
  for (const EntryArgument &argument : entry.arguments) {
    const Tensor *tensor = nullptr;
    switch (argument.kind) {
    case EntryArgument::Kind::Param:
      tensor = &paramValues[argument.paramIndex];
      break;
    case EntryArgument::Kind::State:
      tensor = &stateValues[argument.stateIndex];
      break;
    case EntryArgument::Kind::Hyper:
      tensor = &hyperTensors[nextHyper++];
      break;
    case EntryArgument::Kind::Input:
      tensor = &inputs[nextInput++];
      break;
    }
    MemRefDescriptor::append(argumentWords.emplace_back(), tensor->rawData(),
                             tensor->shape());
    callerBuffers.insert(tensor->rawData());
  }
  size_t resultWordCount = 0;
  for (const TensorType &result : entry.results)
    resultWordCount += MemRefDescriptor::words(result.shape.size());
  llvm::SmallVector<int64_t, 16> resultWords(resultWordCount, 0);

  llvm::SmallVector<void *, 16> argumentPointers;
  argumentPointers.reserve(entry.arguments.size() + 1);
  void *resultPointer = resultWords.data();
  if (!entry.results.empty())
    argumentPointers.push_back(&resultPointer);
  llvm::SmallVector<void *, 16> descriptorPointers;
  for (auto &words : argumentWords)
    descriptorPointers.push_back(words.data());
  for (void *&pointer : descriptorPointers)
    argumentPointers.push_back(&pointer);

  function(argumentPointers.data());

  // Each fresh buffer is adopted by the first result that can take it as it
  // is (contiguous, aligned); the others are copied out, and buffers nobody
  // adopted are freed once. Buffers the caller owns and globals are never
  // adopted or freed.
  std::vector<Tensor> outputs;
  llvm::SmallVector<void *, 4> adopted, toFree;
  const int64_t *words = resultWords.data();
  for (const TensorType &result : entry.results) {
    size_t rank = result.shape.size();
    auto *allocated = reinterpret_cast<void *>(static_cast<intptr_t>(words[0]));
    auto *data =
        reinterpret_cast<std::byte *>(static_cast<intptr_t>(words[1])) +
        words[2] * dtypeSize(result.dtype);
    bool fresh = allocated && allocated != kGlobalMemRefMarker &&
                 !callerBuffers.count(allocated);
    llvm::ArrayRef<int64_t> sizes(words + 3, rank);
    if (fresh && !llvm::is_contained(adopted, allocated) &&
        numElementsOf(sizes) > 0 && isContiguous(words, rank) &&
        reinterpret_cast<uintptr_t>(data) % 64 == 0) {
      outputs.push_back(Tensor::adopt(result.dtype, sizes, allocated, data));
      adopted.push_back(allocated);
    } else {
      outputs.push_back(copyOut(words, result));
      if (fresh && !llvm::is_contained(toFree, allocated))
        toFree.push_back(allocated);
    }
    words += MemRefDescriptor::words(rank);
  }
  for (void *allocated : toFree)
    if (!llvm::is_contained(adopted, allocated))
      poolRelease(allocated);
  return outputs;
}

llvm::Expected<double> JitSession::trainStep(llvm::ArrayRef<Tensor> inputs,
                                             double lr, int64_t step,
                                             llvm::StringRef entryName) {
  auto it = entryIndex.find(entryName);
  if (it == entryIndex.end())
    return makeError("model '{}' has no training step '{}'", model,
                     entryName.str());
  const EntryPoint &entry = entries[it->second];
  if (!entry.isUpdateStep)
    return makeError("@{} is not an update step: it has no {} or {} "
                     "arguments",
                     entry.name, seq::kStateAttr.str(), seq::kHyperAttr.str());
  llvm::SmallVector<HyperValue, 2> hypers;
  for (const EntryArgument &hyper : entry.hypers) {
    if (hyper.name == "lr")
      hypers.push_back({"lr", lr});
    else if (hyper.name == "step")
      hypers.push_back({"step", static_cast<double>(step)});
  }
  auto outputs = call(it->second, inputs, hypers);
  if (!outputs)
    return outputs.takeError();
  double loss = outputs->front().getDouble(0);
  if (!std::isfinite(loss))
    return loss;

  // The compiled step wrote the new values into the buffers it was given.
  if (entry.updatesInPlace)
    return loss;
  size_t next = 1;
  for (const EntryArgument &argument : entry.arguments)
    if (argument.kind == EntryArgument::Kind::Param)
      paramValues[argument.paramIndex] = std::move((*outputs)[next++]);
  for (const EntryArgument &argument : entry.arguments)
    if (argument.kind == EntryArgument::Kind::State)
      stateValues[argument.stateIndex] = std::move((*outputs)[next++]);
  return loss;
}

llvm::Expected<double> JitSession::evalLoss(llvm::ArrayRef<Tensor> inputs,
                                            llvm::StringRef entryName) {
  const EntryPoint *entry = entryPoint(entryName);
  if (!entry)
    return makeError("model '{}' has no entry point '{}'", model,
                     entryName.str());
  if (entry->results.size() != 1 || !entry->results[0].shape.empty() ||
      !isFloat(entry->results[0].dtype))
    return makeError("@{} does not return a loss (one 0-d float tensor)",
                     entry->name);
  auto outputs = run(entryName, inputs);
  if (!outputs)
    return outputs.takeError();
  return outputs->front().getDouble(0);
}
