#!/usr/bin/env bash
# The main job: run the default example and show its results.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== examples/mlp.seq: the forward pass on 8 random inputs"
build/bin/seqc run examples/mlp.seq --random 8 --seed 1
echo
echo "== the forward kernel's AVX-512 instructions (first 10)"
build/bin/seqc compile examples/mlp.seq --emit=asm | grep -m 10 zmm
