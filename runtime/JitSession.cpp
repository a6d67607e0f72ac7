//===- JitSession.cpp - A compiled model and its parameters ---------------===//
#include "seqc/Runtime/JitSession.h"
#include "seqc/Runtime/Error.h"

#include "seqc/Dialect/Seq/SeqDialect.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include <unistd.h>

using namespace seqc::rt;
namespace seq = seqc::seq;

JitSession::~JitSession() = default;

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

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
  if (bytes >= 1e9)
    return fmt::format("{:.1f} GB", bytes / 1e9);
  return fmt::format("{:.1f} MB", bytes / 1e6);
}

/// Refuses a model whose parameters and optimizer state cannot fit in the
/// machine's memory, naming the tensor at which their sum passes it, or
/// whose largest activation (at one instance and one step, so a lower
/// bound) cannot fit next to them.
static llvm::Error checkFitsInMemory(const ModelSignature &signature) {
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
  for (const ParamInfo &info : signature.params)
    if (llvm::Error error = reserve("parameter", info.name, info.type))
      return error;
  for (const StateInfo &info : signature.states)
    if (llvm::Error error = reserve("optimizer state", info.name, info.type))
      return error;
  const LargestActivation &activation = signature.largestActivation;
  if (heldBytes + activation.bytes <= memory)
    return llvm::Error::success();
  return makeError("the model needs at least {}: {} of parameters and "
                   "optimizer state and {} for the largest value of @{} ({}, "
                   "at batch size 1 and one step), more than this machine's "
                   "{} of memory",
                   gigabytes(heldBytes + activation.bytes),
                   gigabytes(heldBytes), gigabytes(activation.bytes),
                   activation.entry, activation.type, gigabytes(memory));
}

//===----------------------------------------------------------------------===//
// Creation and calls
//===----------------------------------------------------------------------===//

llvm::Expected<std::unique_ptr<JitSession>>
JitSession::create(mlir::ModuleOp seqModule, const JitOptions &options) {
  auto signature = readModelSignature(seqModule);
  if (!signature)
    return signature.takeError();
  if (llvm::Error error = checkFitsInMemory(*signature))
    return std::move(error);
  std::string model = signature->model;
  std::vector<ParamInfo> params = signature->params;
  std::vector<StateInfo> states = signature->states;
  auto compiled =
      CompiledModel::create(seqModule, std::move(*signature), options);
  if (!compiled)
    return compiled.takeError();
  return std::unique_ptr<JitSession>(new JitSession(
      std::move(*compiled),
      std::make_unique<ParameterStore>(std::move(model), std::move(params),
                                       std::move(states))));
}

llvm::Expected<double> JitSession::trainStep(llvm::ArrayRef<Tensor> inputs,
                                             double lr, int64_t step,
                                             llvm::StringRef entryName) {
  const EntryPoint *found = compiled->entryPoint(entryName);
  if (!found)
    return makeError("model '{}' has no training step '{}'", modelName().str(),
                     entryName.str());
  const EntryPoint &entry = *found;
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
  auto outputs = compiled->call(entryName, store->tensors(), inputs, hypers);
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
      store->replaceParam(argument.paramIndex, std::move((*outputs)[next++]));
  for (const EntryArgument &argument : entry.arguments)
    if (argument.kind == EntryArgument::Kind::State)
      store->replaceState(argument.stateIndex, std::move((*outputs)[next++]));
  return loss;
}

llvm::Expected<double> JitSession::evalLoss(llvm::ArrayRef<Tensor> inputs,
                                            llvm::StringRef entryName) {
  const EntryPoint *entry = entryPoint(entryName);
  if (!entry)
    return makeError("model '{}' has no entry point '{}'", modelName().str(),
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
