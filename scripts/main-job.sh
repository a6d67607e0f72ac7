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
echo
echo "== examples/charlm.seq: a character-level LSTM language model of Moby Dick"
build/bin/seqc train examples/charlm.seq --out ckpt/charlm --overwrite
echo "-- a sample (seqc generate, temperature 0.8):"
build/bin/seqc generate examples/charlm.seq --from ckpt/charlm --prompt "Call me" \
  --temperature 0.8 --length 300 --seed 1
echo
echo "== examples/names.seq: first name -> sex (bidirectional GRU over characters)"
build/bin/seqc run examples/names.seq
echo
echo "== examples/spam.seq: spam or ham (LSTM over the first 200 words)"
build/bin/seqc run examples/spam.seq
echo
echo "== examples/births.seq: next day's US births (GRU forecaster, MSE)"
build/bin/seqc run examples/births.seq
echo
echo "== examples/spam-bow.seq: spam or ham (bag of words: mean of embeddings over time)"
build/bin/seqc run examples/spam-bow.seq
echo
echo "== examples/dates.seq: dates in many formats -> ISO 8601 (encoder-decoder, dot attention)"
build/bin/seqc train examples/dates.seq --out ckpt/dates --overwrite
echo "-- greedy decoding of the held-out test file (seqc generate --input-file):"
build/bin/seqc generate examples/dates.seq --from ckpt/dates \
  --input-file data/dates/test.tsv | tail -1
build/bin/seqc generate examples/dates.seq --from ckpt/dates --beam 4 \
  --input "Saturday, April 16, 2006" --attention ckpt/dates/attention.svg
echo "-- its attention: ckpt/dates/attention.svg"
echo
echo "PyTorch baselines, same data, model and budget (bench/README.md):"
echo "  wages accuracy 0.579, boston RMSE 4.44 (median of 9 seeds)"
echo "  the sequence examples: see the table in README.md (bench/*_torch.py)"
