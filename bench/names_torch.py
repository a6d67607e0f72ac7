#!/usr/bin/python3
"""PyTorch baseline of examples/names.seq: first name -> sex with a bidirectional GRU.

  /usr/bin/python3 bench/names_torch.py [--seed 1] [--epochs 10] [--budget SECONDS] [--quiet]

data/names/{train,valid}.tsv (label<TAB>name; classes female = 0, male = 1),
unit = "char" (bytes; names as written, case kept). Embedding(V, 16) ->
bidir(GRU(16, 32)) -> concat(forward final state at the last real step,
backward final state at step 0) -> Linear(64, 2) -> log_softmax; loss nll,
mean over the batch. Adam lr 1e-2, clip_norm 5, batch 32 (bucketed by
length), 10 epochs (bench/seqdata.py has every rule). Last line:
  RESULT valid_accuracy=... valid_loss=... train_loss=... seconds=... ...
"""
import torch
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence

import seqdata


class Names(torch.nn.Module):
    def __init__(self, vocab, embed, hidden, classes):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, embed)
        self.rnn = torch.nn.GRU(embed, hidden, bidirectional=True)
        self.head = torch.nn.Linear(2 * hidden, classes)
        seqdata.init_embedding(self.embed)
        seqdata.init_rnn(self.rnn)
        seqdata.init_linear(self.head)

    def forward(self, x, lengths):   # x: [T, N] ids, padded -> log-probabilities [N, C]
        packed = pack_padded_sequence(self.embed(x), lengths, enforce_sorted=False)
        _, h = self.rnn(packed)      # h: [2, N, H]: forward at the last real step, backward at step 0
        return F.log_softmax(self.head(torch.cat([h[0], h[1]], dim=-1)), dim=-1)


def main():
    args = seqdata.arguments(__doc__.splitlines()[0], seed=1, epochs=10, batch=32, lr=1e-2,
                             clip_norm=5.0, hidden=32, embed=16,
                             extra={"--train": "data/names/train.tsv", "--valid": "data/names/valid.tsv"})
    train, valid, vocab, classes = seqdata.load_sequences(args.train, args.valid, unit="char")
    model = Names(len(vocab), args.embed, args.hidden, len(classes))
    out = seqdata.classify(args, model, train, valid)
    seqdata.report(args, out, ["accuracy"], vocab=len(vocab), classes=",".join(classes),
                   train_n=len(train[0]), valid_n=len(valid[0]))


if __name__ == "__main__":
    main()
