//===- SafetensorsFuzzer.cpp - libFuzzer target: the checkpoint reader ----===//
//
// Feeds arbitrary bytes to the safetensors parser that `--from DIR` uses: a
// truncated, corrupt or hostile checkpoint must be refused with an error,
// never read out of bounds or allocate without limit.
//
//===----------------------------------------------------------------------===//
#include "seqc/Runtime/SafeTensors.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  auto file = seqc::rt::parseSafetensors(bytes, "fuzz.safetensors");
  if (!file)
    llvm::consumeError(file.takeError());
  return 0;
}
