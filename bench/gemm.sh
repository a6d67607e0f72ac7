#!/usr/bin/env bash
# The GEMMs of the LSTM cases M2 and L, with the runtime's kernel (oneDNN's
# sgemm) and with seqc's generated loop nest, as GFLOP/s and as a fraction
# of the host's FMA peak measured in the same run by bench/fma_peak.cpp.
#
#   bench/gemm.sh [--threads K]
set -euo pipefail
cd "$(dirname "$0")/.."
threads=1
if [[ ${1:-} == --threads ]]; then threads=$2; fi

ninja -C build seqc-gemm-bench >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
isa=(-mavx2 -mfma)
if grep -qw avx512f /proc/cpuinfo; then isa=(-mavx512f -mfma); fi
g++ -O2 "${isa[@]}" -pthread bench/fma_peak.cpp -o "$work/fma_peak"

echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
peak=$("$work/fma_peak" --threads "$threads" | sed -n 's/.*gflops=\([0-9.]*\).*/\1/p')
echo "FMA peak, $threads thread(s): $peak GFLOP/s"
build/bin/seqc-gemm-bench --threads "$threads" | while read -r line; do
  if [[ $line == GEMM*GFLOP/s ]]; then
    rate=$(awk '{print $(NF-1)}' <<<"$line")
    printf '%s  %5.1f %% of peak\n' "$line" "$(awk -v r="$rate" -v p="$peak" 'BEGIN {print 100 * r / p}')"
  else
    echo "$line"
  fi
done
