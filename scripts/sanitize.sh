#!/usr/bin/env bash
# The project's checks under AddressSanitizer and UndefinedBehaviorSanitizer,
# with assertions on (the Release build defines NDEBUG, so seqc's own
# asserts and LLVM's inline checks never run there): builds seqc, seqc-opt
# and the unit tests in build-sanitize/, then runs every unit test and the
# lit tests of the frontend, the runtime's error paths and the passes.
# Any report fails the run. Called by .ci/run after scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

# GCC reports maybe-uninitialized false positives in LLVM's headers under
# ASan; -Werror stays on for every other warning.
flags="-O1 -g1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined -Wno-maybe-uninitialized"
if [[ ! -f build-sanitize/build.ninja ]]; then
  cmake -G Ninja -S . -B build-sanitize -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_C_FLAGS="$flags" \
    -DCMAKE_CXX_FLAGS_DEBUG="" -DCMAKE_C_FLAGS_DEBUG="" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
    -DSEQC_WERROR=ON
fi
ninja -C build-sanitize seqc seqc-opt seqc-unittests

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:detect_stack_use_after_return=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# LLVM's and MLIR's own one-time allocations (the pass registry, the
# command-line options) live until exit by design.
export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp:print_suppressions=0"
status=0
SEQC_THREADS=2 build-sanitize/bin/seqc-unittests --gtest_brief=1 || status=1
python3 /usr/lib/llvm-19/build/utils/lit/lit.py -s build-sanitize/test \
  --filter 'Frontend/|Runtime/train-(errors|data-errors|charlm|max-steps)|Runtime/object-cache|Transforms/|Dialect/' \
  || status=1
exit $status
