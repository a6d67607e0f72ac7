//===- NativeCode.cpp - A compiled model's machine code, linked in --------===//
#include "seqc/Runtime/NativeCode.h"
#include "seqc/Runtime/Error.h"
#include "seqc/Runtime/Kernels.h"

#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/Object/ELFObjectFile.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <unistd.h>

using namespace seqc::rt;
namespace orc = llvm::orc;

NativeCode::~NativeCode() = default;

/// Appends "address size name" for each function of `object` to the perf map
/// of this process.
static void writePerfMap(orc::LLJIT &jit, llvm::MemoryBufferRef object) {
  auto file = llvm::object::ObjectFile::createObjectFile(object);
  if (!file) {
    llvm::consumeError(file.takeError());
    return;
  }
  std::error_code ec;
  llvm::raw_fd_ostream map(fmt::format("/tmp/perf-{}.map", ::getpid()), ec,
                           llvm::sys::fs::OF_Append);
  if (ec)
    return;
  for (const llvm::object::SymbolRef &symbol : (*file)->symbols()) {
    auto type = symbol.getType();
    auto name = symbol.getName();
    if (!type || !name || *type != llvm::object::SymbolRef::ST_Function) {
      if (!type)
        llvm::consumeError(type.takeError());
      if (!name)
        llvm::consumeError(name.takeError());
      continue;
    }
    uint64_t size = llvm::object::ELFSymbolRef(symbol).getSize();
    auto address = jit.lookup(*name);
    if (!address) {
      llvm::consumeError(address.takeError());
      continue;
    }
    map << fmt::format("{:x} {:x} seqc:{}\n", address->getValue(), size,
                       name->str());
  }
}

llvm::Expected<std::unique_ptr<NativeCode>>
NativeCode::link(std::unique_ptr<llvm::MemoryBuffer> object,
                 const CodegenTarget &target, bool perfMap) {
  orc::JITTargetMachineBuilder machine{llvm::Triple(target.triple)};
  machine.setCPU(target.cpu);
  llvm::SmallVector<llvm::StringRef> features;
  llvm::StringRef(target.features).split(features, ',', -1, false);
  machine.addFeatures(
      std::vector<std::string>(features.begin(), features.end()));
  machine.setRelocationModel(llvm::Reloc::PIC_);

  auto jit = orc::LLJITBuilder()
                 .setJITTargetMachineBuilder(std::move(machine))
                 .setNumCompileThreads(0)
                 .create();
  if (!jit)
    return makeError("cannot start the JIT linker: {}",
                     llvm::toString(jit.takeError()));
  orc::JITDylib &library = (*jit)->getMainJITDylib();

  // malloc, free and libm from the process; the runtime's kernels by
  // address (the executable does not export them).
  auto processSymbols =
      orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
          (*jit)->getDataLayout().getGlobalPrefix());
  if (!processSymbols)
    return makeError("cannot resolve the process's symbols: {}",
                     llvm::toString(processSymbols.takeError()));
  library.addGenerator(std::move(*processSymbols));
  orc::SymbolMap kernels;
  orc::MangleAndInterner mangle(library.getExecutionSession(),
                                (*jit)->getDataLayout());
  for (auto [name, address] : kernelSymbols())
    kernels[mangle(name)] = {orc::ExecutorAddr::fromPtr(address),
                             llvm::JITSymbolFlags::Exported};
  if (llvm::Error error = library.define(orc::absoluteSymbols(kernels)))
    return makeError("cannot define the runtime's kernels: {}",
                     llvm::toString(std::move(error)));

  // The linker takes the object; the perf map reads its symbol table after.
  std::unique_ptr<llvm::MemoryBuffer> objectCopy =
      perfMap ? llvm::MemoryBuffer::getMemBufferCopy(object->getBuffer())
              : nullptr;
  if (llvm::Error error = (*jit)->addObjectFile(std::move(object)))
    return makeError("cannot link the compiled code: {}",
                     llvm::toString(std::move(error)));

  std::unique_ptr<NativeCode> code(new NativeCode());
  code->jit = std::move(*jit);
  if (perfMap)
    writePerfMap(*code->jit, objectCopy->getMemBufferRef());
  return code;
}

llvm::Expected<NativeCode::PackedFunction>
NativeCode::lookupPacked(llvm::StringRef name) {
  auto address = jit->lookup(("_mlir_" + name).str());
  if (!address)
    return address.takeError();
  return address->toPtr<PackedFunction>();
}
