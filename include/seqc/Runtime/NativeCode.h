//===- NativeCode.h - A compiled model's machine code, linked in -*- C++
//-*-===//
//
// Links the object file of a compiled model into this process (LLJIT with
// JITLink) and resolves its entry points. The code may call the C library,
// the math library and the runtime's kernels (seqc/Runtime/Kernels.h);
// nothing else is visible to it.
//
//===----------------------------------------------------------------------===//
#ifndef SEQC_RUNTIME_NATIVECODE_H
#define SEQC_RUNTIME_NATIVECODE_H

#include "seqc/Pipeline/Pipeline.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>

namespace llvm::orc {
class LLJIT;
} // namespace llvm::orc

namespace seqc::rt {

class NativeCode {
public:
  using PackedFunction = void (*)(void **);

  /// Links `object` (built for `target`). With `perfMap`, appends the
  /// address, size and name of each of its functions to
  /// /tmp/perf-<pid>.map, where `perf report` finds the names of JIT code.
  static llvm::Expected<std::unique_ptr<NativeCode>>
  link(std::unique_ptr<llvm::MemoryBuffer> object, const CodegenTarget &target,
       bool perfMap = false);
  ~NativeCode();

  /// The packed interface `_mlir_<name>` (see addPackedInterfaces).
  llvm::Expected<PackedFunction> lookupPacked(llvm::StringRef name);

private:
  NativeCode() = default;
  std::unique_ptr<llvm::orc::LLJIT> jit;
};

} // namespace seqc::rt

#endif // SEQC_RUNTIME_NATIVECODE_H
