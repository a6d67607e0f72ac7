"""Shared pieces of the PyTorch baselines: data, initialization, training loop.

What a seqc train block means, written out in PyTorch so that both can be
compared on the same rows:

- data: data/<name>/train.csv and valid.csv (header row, numeric cells),
  written once by scripts/fetch-data.sh. `standardize = true` centers and
  scales every feature column with the mean and the population standard
  deviation (ddof = 0) of the TRAINING split; a column with std 0 is only
  centered. Targets are not standardized. Class labels map to 0..C-1 in
  ascending order of their distinct values in the training split.
- init: matrices Glorot uniform, U(-a, a) with a = sqrt(6 / (fan_in +
  fan_out)); biases zero.
- l2(params): the sum of the squares of every parameter, biases included,
  without a factor 1/2.
- one epoch: the training rows in a fresh random order (seeded), mini-batches
  of `batch` rows, the last one smaller; per batch one optimizer step on the
  mean loss of the batch (plus the penalty) after clipping the global
  gradient norm. The reported train loss is the mean of the batch losses
  weighted by batch size; the valid loss is the same loss expression on the
  whole validation split after the epoch.
"""

import argparse
import csv
import math
import os
import time

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read_csv(path):
    """Returns (header, float64 array [rows, columns])."""
    if not os.path.exists(path):
        raise SystemExit(f"{path}: not found; run scripts/fetch-data.sh first")
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], np.array([[float(c) for c in r] for r in rows[1:]], dtype=np.float64)


def load(name, features, target, standardize=True, classes=False):
    """Loads data/<name>/{train,valid}.csv: (x_train, y_train, x_valid, y_valid, info)."""
    data = os.path.join(ROOT, "data", name)
    header, train = read_csv(os.path.join(data, "train.csv"))
    header_v, valid = read_csv(os.path.join(data, "valid.csv"))
    assert header == header_v, "train.csv and valid.csv have different columns"
    fi = [header.index(f) for f in features]
    ti = header.index(target)
    xt, xv = train[:, fi], valid[:, fi]
    info = {}
    if standardize:
        mean = xt.mean(axis=0)
        std = xt.std(axis=0)  # ddof = 0
        std[std == 0] = 1.0
        xt, xv = (xt - mean) / std, (xv - mean) / std
        info["mean"], info["std"] = mean, std
    yt, yv = train[:, ti], valid[:, ti]
    if classes:
        values = sorted(set(yt.tolist()))
        index = {v: i for i, v in enumerate(values)}
        unseen = set(yv.tolist()) - set(values)
        assert not unseen, f"validation labels not in the training split: {unseen}"
        yt = np.array([index[v] for v in yt.tolist()])
        yv = np.array([index[v] for v in yv.tolist()])
        info["classes"] = values
        to_y = lambda a: torch.tensor(a, dtype=torch.long)
    else:
        to_y = lambda a: torch.tensor(a, dtype=torch.float32)
    to_x = lambda a: torch.tensor(a, dtype=torch.float32)
    return to_x(xt), to_y(yt), to_x(xv), to_y(yv), info


def init_glorot(module):
    """Glorot-uniform matrices, zero biases (seqc's `xavier` and `zeros`)."""
    for m in module.modules():
        if isinstance(m, torch.nn.Linear):
            fan_out, fan_in = m.weight.shape
            a = math.sqrt(6.0 / (fan_in + fan_out))
            torch.nn.init.uniform_(m.weight, -a, a)
            torch.nn.init.zeros_(m.bias)


def l2(module):
    return sum((p * p).sum() for p in module.parameters())


def arguments(description, **defaults):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--seed", type=int, default=defaults["seed"])
    p.add_argument("--epochs", type=int, default=defaults["epochs"])
    p.add_argument("--batch", type=int, default=defaults["batch"])
    p.add_argument("--lr", type=float, default=defaults["lr"])
    p.add_argument("--hidden", type=int, default=defaults["hidden"])
    p.add_argument("--l2", type=float, default=defaults["l2"], help="weight of l2(params) in the loss")
    p.add_argument("--clip-norm", type=float, default=defaults["clip_norm"])
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: PyTorch's default)")
    p.add_argument("--quiet", action="store_true", help="print only the RESULT line")
    return p.parse_args()


def train(args, model, loss_fn, metric_fn, metric_name, xt, yt, xv, yv):
    """Adam with global-norm clipping; prints per-epoch losses and the RESULT line.

    loss_fn(model, x, y) -> the mean data loss of a batch (without the penalty);
    metric_fn(model, x, y) -> the validation metric.
    """
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    # Same seed: same initialization and the same batch order, run after run.
    gen = torch.Generator().manual_seed(args.seed)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    n = xt.shape[0]
    objective = lambda x, y: loss_fn(model, x, y) + args.l2 * l2(model)

    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        model.train()
        order = torch.randperm(n, generator=gen)
        total = 0.0
        for s in range(0, n, args.batch):
            idx = order[s:s + args.batch]
            loss = objective(xt[idx], yt[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if args.clip_norm > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip_norm)
            opt.step()
            total += loss.item() * idx.numel()
        model.eval()
        with torch.no_grad():
            valid_loss = objective(xv, yv).item()
        if not args.quiet:
            print(f"epoch {epoch:4d}  train_loss {total / n:.6f}  valid_loss {valid_loss:.6f}")
    seconds = time.perf_counter() - start

    with torch.no_grad():
        train_metric = metric_fn(model, xt, yt)
        valid_metric = metric_fn(model, xv, yv)
    print(f"RESULT valid_{metric_name}={valid_metric:.4f} train_{metric_name}={train_metric:.4f} "
          f"valid_loss={valid_loss:.6f} seconds={seconds:.2f} seed={args.seed} epochs={args.epochs} "
          f"lr={args.lr:g} hidden={args.hidden} batch={args.batch} threads={torch.get_num_threads()}")
