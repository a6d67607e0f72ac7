#!/usr/bin/env bash
# seqc against PyTorch 1.13, side by side, on character models of Moby Dick
# and an encoder-decoder with attention on the dates pairs (bench/README.md,
# "Training-step speed, side by side"):
#
#   scripts/bench.sh                                  # every case, 5 rounds, 1 and 2 threads
#   scripts/bench.sh --cases S,GRU --rounds 3 --threads 1 --json bench.json
#
# Options (bench/side_by_side.py): --rounds N (5), --cases
# S,M1,M2,L,GRU,PEEPHOLE,ATTN,GEN (all), --steps N (training steps per run; default per case), --threads 1,2,
# --json FILE (every run and the summary), --torch-max-seconds S, --timeout S.
# SEQC=path/to/seqc picks another compiler than build/bin/seqc.
#
# Compiles the FMA probe bench/fma_peak.cpp with g++ -O2 (AVX-512 if the CPU
# has avx512f, else AVX2 with FMA), fetches data/moby-dick.txt if it is
# missing (data/dates/train.tsv, for ATTN, comes from scripts/fetch-data.sh
# too), and runs bench/side_by_side.py with /usr/bin/python3 (Debian's
# python3-torch). The report goes to stdout, progress to stderr.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

seqc="${SEQC:-$root/build/bin/seqc}"
if [[ ! -x "$seqc" ]]; then
  echo "bench.sh: $seqc not found; build it first (scripts/build.sh seqc)" >&2
  exit 1
fi
if [[ ! -f data/moby-dick.txt ]]; then
  scripts/fetch-data.sh
fi

flags="$(grep -m1 '^flags' /proc/cpuinfo || true)"
has() { [[ " $flags " == *" $1 "* ]]; }
isa=()
if has avx512f; then
  isa=(-mavx512f -mfma)
elif has avx2 && has fma; then
  isa=(-mavx2 -mfma)
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
probe=()
if ((${#isa[@]})); then
  g++ -O2 "${isa[@]}" -pthread bench/fma_peak.cpp -o "$work/fma_peak"
  probe=(--probe "$work/fma_peak")
else
  echo "bench.sh: the CPU has neither avx512f nor avx2 and fma: no FMA peak" >&2
fi

/usr/bin/python3 bench/side_by_side.py --seqc "$seqc" "${probe[@]}" "$@"
