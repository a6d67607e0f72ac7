#!/usr/bin/env bash
# Fuzzes the frontend (lexer, parser, sema), the checkpoint reader and the
# data loaders (csv, tsv, series; text, sequences) with libFuzzer, under
# AddressSanitizer and UndefinedBehaviorSanitizer: builds the targets of
# fuzz/ with clang-19 in build-fuzz/, then runs each for $FUZZ_SECONDS
# (default 60) from a seed corpus of the project's own files (examples/,
# lib/, test/ and bench/ models; the committed checkpoints; the data files
# of test/ and fuzz/seeds/).
# A crash, a sanitizer report, a timeout or an out-of-memory fails the run
# and leaves the input in build-fuzz/artifacts/; `build-fuzz/bin/<target>
# FILE` replays it. Called by .ci/run; a longer run:
#   FUZZ_SECONDS=3600 scripts/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-60}"

flags="-O1 -g1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined"
if [[ ! -f build-fuzz/build.ninja ]]; then
  cmake -G Ninja -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
    -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_C_FLAGS="$flags" \
    -DCMAKE_CXX_FLAGS_DEBUG="" -DCMAKE_C_FLAGS_DEBUG="" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
    -DSEQC_FUZZ=ON
fi
targets=(frontend safetensors table-data sequence-data)
ninja -C build-fuzz "${targets[@]/#/seqc-fuzz-}"

# Seeds, copied into a scratch corpus that the run may extend.
mkdir -p build-fuzz/artifacts
rm -rf build-fuzz/corpus
for target in "${targets[@]}"; do mkdir -p build-fuzz/corpus/$target; done
find examples lib test bench/models -name '*.seq' -size -64k \
  -exec cp --backup=numbered -t build-fuzz/corpus/frontend {} +
find test -name '*.safetensors' -size -256k \
  -exec cp --backup=numbered -t build-fuzz/corpus/safetensors {} +
find test fuzz/seeds/tables -name '*.csv' -size -64k \
  -exec cp --backup=numbered -t build-fuzz/corpus/table-data {} +
find test -path '*Inputs/*.txt' -size -64k \
  -exec cp --backup=numbered -t build-fuzz/corpus/sequence-data {} +
find fuzz/seeds/sequences -type f -size -64k \
  -exec cp --backup=numbered -t build-fuzz/corpus/sequence-data {} +

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp:print_suppressions=0"
status=0
for target in "${targets[@]}"; do
  echo "fuzz: $target for ${seconds} s"
  if ! build-fuzz/bin/seqc-fuzz-$target build-fuzz/corpus/$target \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -max_len=65536 -print_final_stats=1 \
      -artifact_prefix=build-fuzz/artifacts/$target- 2>build-fuzz/$target.log; then
    status=1
    tail -60 build-fuzz/$target.log
    echo "fuzz: $target failed; the input is in build-fuzz/artifacts/" >&2
  else
    grep -E "stat::number_of_executed_units|stat::new_units_added" build-fuzz/$target.log || true
  fi
done
exit $status
