#!/usr/bin/env bash
# The main job: fetch the data, train the default examples on it and show
# their validation results next to the PyTorch baselines (bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/fetch-data.sh

echo "== examples/wages.seq: occupation from the 1985 CPS wages (MLP, softmax + cross-entropy)"
build/bin/seqc run examples/wages.seq
echo
echo "== examples/boston.seq: Boston house prices (MLP, MSE + ridge)"
build/bin/seqc run examples/boston.seq
echo
echo "PyTorch baselines, same data, model and budget (median of 9 seeds):"
echo "  wages accuracy 0.579, boston RMSE 4.44 (bench/README.md; rerun: /usr/bin/python3 bench/wages_torch.py)"
