#!/usr/bin/python3
"""PyTorch baseline of examples/spam.seq: spam or ham with an LSTM over the first 200 words.

  /usr/bin/python3 bench/spam_torch.py [--seed 1] [--epochs 3] [--budget SECONDS] [--quiet]

data/spam-assassin/{train,valid}.tsv (classes ham = 0, spam = 1), the whole
message, headers included, unit = "word" (runs of non-whitespace bytes), cut
to the first 200 words; words seen fewer than 2 times in the (cut) training
texts are <unk>. Embedding(V, 32) -> LSTM(32, 64) -> the output at the last
real step -> Linear(64, 2) -> log_softmax; loss nll, mean over the batch.
Adam lr 3e-3, clip_norm 5, batch 32 (bucketed by length), 3 epochs
(bench/seqdata.py has every rule). Last line:
  RESULT valid_accuracy=... valid_loss=... train_loss=... seconds=... ...
"""
import torch
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence

import seqdata


class Spam(torch.nn.Module):
    def __init__(self, vocab, embed, hidden, classes):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, embed)
        self.rnn = torch.nn.LSTM(embed, hidden)
        self.head = torch.nn.Linear(hidden, classes)
        seqdata.init_embedding(self.embed)
        seqdata.init_rnn(self.rnn, forget_bias=1.0)
        seqdata.init_linear(self.head)

    def forward(self, x, lengths):   # x: [T, N] ids, padded -> log-probabilities [N, C]
        packed = pack_padded_sequence(self.embed(x), lengths, enforce_sorted=False)
        _, (h, _) = self.rnn(packed)  # h: [1, N, H], the output at the last real step
        return F.log_softmax(self.head(h[0]), dim=-1)


def main():
    args = seqdata.arguments(__doc__.splitlines()[0], seed=1, epochs=3, batch=32, lr=3e-3,
                             clip_norm=5.0, hidden=64, embed=32,
                             extra={"--train": "data/spam-assassin/train.tsv",
                                    "--valid": "data/spam-assassin/valid.tsv",
                                    "--max-len": 200, "--min-count": 2})
    max_len, min_count = int(args.max_len), int(args.min_count)
    train, valid, vocab, classes = seqdata.load_sequences(args.train, args.valid, unit="word",
                                                          max_len=max_len, min_count=min_count)
    model = Spam(len(vocab), args.embed, args.hidden, len(classes))
    out = seqdata.classify(args, model, train, valid)
    seqdata.report(args, out, ["accuracy"], vocab=len(vocab), classes=",".join(classes),
                   max_len=max_len, min_count=min_count, train_n=len(train[0]), valid_n=len(valid[0]))


if __name__ == "__main__":
    main()
