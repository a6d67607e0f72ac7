#!/usr/bin/python3
"""PyTorch baseline of examples/charlm.seq: character-level LSTM language model of Moby Dick.

  /usr/bin/python3 bench/charlm_torch.py [--seed 1] [--epochs 1] [--budget SECONDS] [--quiet]

data/moby-dick.txt as bytes (unit = "char"), the first 90% train, the rest
validate, windows of 64 steps (bench/seqdata.py has every rule). Per step:
Embedding(V, 32) -> LSTM(32, 128) -> Linear(128, V) -> log_softmax; loss nll
summed over the window's steps, averaged over the windows of a batch. Adam
lr 3e-3, clip_norm 5, batch 32, 1 epoch. Last line:
  RESULT valid_nats_per_step=... valid_perplexity=... valid_loss=... train_loss=... seconds=... ...
"""
import math

import torch
import torch.nn.functional as F

import seqdata


class CharLM(torch.nn.Module):
    def __init__(self, vocab, embed, hidden):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, embed)
        self.rnn = torch.nn.LSTM(embed, hidden, batch_first=True)
        self.head = torch.nn.Linear(hidden, vocab)
        seqdata.init_embedding(self.embed)
        seqdata.init_rnn(self.rnn, forget_bias=1.0)
        seqdata.init_linear(self.head)

    def forward(self, x):            # x: [N, T] ids -> log-probabilities [N, T, V]
        h, _ = self.rnn(self.embed(x))
        return F.log_softmax(self.head(h), dim=-1)


def nll_sum(model, x, y):           # the summed nll of all steps
    logp = model(x)
    return F.nll_loss(logp.reshape(-1, logp.shape[-1]), y.reshape(-1), reduction="sum")


def main():
    args = seqdata.arguments(__doc__.splitlines()[0], seed=1, epochs=1, batch=32, lr=3e-3,
                             clip_norm=5.0, hidden=128, embed=32,
                             extra={"--file": "data/moby-dick.txt", "--window": 64, "--split": 0.9})
    window, split = int(args.window), float(args.split)
    xt, yt, xv, yv, vocab = seqdata.load_text(args.file, "char", window, split)
    model = CharLM(len(vocab), args.embed, args.hidden)

    def batches(gen):
        order = torch.randperm(xt.shape[0], generator=gen)
        return [order[s:s + args.batch] for s in range(0, xt.shape[0], args.batch)]

    def step_loss(idx):
        return nll_sum(model, xt[idx], yt[idx]) / len(idx)

    def evaluate():
        total = 0.0
        for s in range(0, xv.shape[0], 256):
            total += nll_sum(model, xv[s:s + 256], yv[s:s + 256]).item()
        nats = total / yv.numel()
        return {"loss": total / xv.shape[0], "nats_per_step": nats, "perplexity": math.exp(nats)}

    out = seqdata.fit(args, model, batches, step_loss, evaluate)
    seqdata.report(args, out, ["nats_per_step", "perplexity"], vocab=len(vocab), window=window,
                   train_windows=xt.shape[0], valid_windows=xv.shape[0])


if __name__ == "__main__":
    main()
