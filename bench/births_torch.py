#!/usr/bin/python3
"""PyTorch baseline of examples/births.seq: next-day US births (CDC 1969-1988) with a GRU.

  /usr/bin/python3 bench/births_torch.py [--seed 1] [--epochs 100] [--budget SECONDS] [--quiet]

data/births/cdc-1969-1988.csv in row order (one row a day), features births
and day_of_week, target births of the next day, all standardized with the
mean and population std of the first 80% of the rows (the training part);
windows of 56 days (bench/seqdata.py has every rule). GRU(2, 32) ->
Linear(32, 1) at every step; loss mse per step summed over the window,
averaged over the windows of a batch. Adam lr 3e-3, clip_norm 5, batch 16,
100 epochs. Metric: rmse over every validation step, in standardized units
(valid_rmse_births multiplies it by the training std of births). Last line:
  RESULT valid_rmse=... valid_loss=... train_loss=... seconds=... ...
"""
import math

import torch

import seqdata

FEATURES = ["births", "day_of_week"]
TARGET = ["births"]


class Births(torch.nn.Module):
    def __init__(self, features, hidden, targets):
        super().__init__()
        self.rnn = torch.nn.GRU(features, hidden, batch_first=True)
        self.head = torch.nn.Linear(hidden, targets)
        seqdata.init_rnn(self.rnn)
        seqdata.init_linear(self.head)

    def forward(self, x):            # x: [N, T, F] -> [N, T, K]
        h, _ = self.rnn(x)
        return self.head(h)


def sq_error(model, x, y):           # [N, T, K] squared errors
    return (model(x) - y) ** 2


def main():
    args = seqdata.arguments(__doc__.splitlines()[0], seed=1, epochs=100, batch=16, lr=3e-3,
                             clip_norm=5.0, hidden=32,
                             extra={"--file": "data/births/cdc-1969-1988.csv", "--window": 56,
                                    "--split": 0.8})
    window, split = int(args.window), float(args.split)
    xt, yt, xv, yv, info = seqdata.load_series(args.file, FEATURES, TARGET, window, split)
    model = Births(len(FEATURES), args.hidden, len(TARGET))

    def batches(gen):
        order = torch.randperm(xt.shape[0], generator=gen)
        return [order[s:s + args.batch] for s in range(0, xt.shape[0], args.batch)]

    def step_loss(idx):               # mse per step (mean over K), summed over steps, mean over windows
        return sq_error(model, xt[idx], yt[idx]).mean(dim=-1).sum(dim=-1).mean()

    def evaluate():
        se = sq_error(model, xv, yv)
        rmse = math.sqrt(se.mean().item())
        return {"loss": se.mean(dim=-1).sum(dim=-1).mean().item(), "rmse": rmse,
                "rmse_births": rmse * info["std"][4]}

    out = seqdata.fit(args, model, batches, step_loss, evaluate)
    seqdata.report(args, out, ["rmse", "rmse_births"], window=window, train_windows=xt.shape[0],
                   valid_windows=xv.shape[0], train_rows=info["train_rows"], rows=info["rows"])


if __name__ == "__main__":
    main()
