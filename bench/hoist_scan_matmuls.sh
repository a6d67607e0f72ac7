#!/bin/sh
# Times an f32 LSTM(32, 128) at T = 64, N = 32 compiled with and without
# seqc-hoist-scan-matmuls: forward, gradient (forward + BPTT) and Adam train
# step, medians of SEQC_BENCH_RUNS runs (default 21) after 2 warm-up runs;
# then the compile time for a static T of 64 and 512 (seqc-scan-bench hoist).
#
#   bench/hoist_scan_matmuls.sh
#   SEQC_BENCH_T=256 SEQC_BENCH_RUNS=9 bench/hoist_scan_matmuls.sh
#
# The sizes: SEQC_BENCH_T, SEQC_BENCH_N, SEQC_BENCH_P, SEQC_BENCH_H.
set -e
build=${BUILD:-$(dirname "$0")/../build}
ninja -C "$build" seqc-scan-bench >/dev/null
exec "$build/bin/seqc-scan-bench" hoist
