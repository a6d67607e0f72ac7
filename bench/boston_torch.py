#!/usr/bin/python3
"""PyTorch baseline of examples/boston.seq: house prices, MLP regression.

  /usr/bin/python3 bench/boston_torch.py [--seed 42] [--epochs N] [--quiet]

13 standardized features -> Linear(13, H) -> tanh -> Linear(H, 1): the median
value medv in $1000s. Loss mse + 1e-3 * l2(params), Adam with global-norm
clipping, shuffled mini-batches. Last line:
  RESULT valid_rmse=... train_rmse=... valid_loss=... seconds=... ...
"""
import torch

import common

FEATURES = ["crim", "zn", "indus", "chas", "nox", "rm", "age", "dis", "rad",
            "tax", "ptratio", "b", "lstat"]


class Housing(torch.nn.Module):
    def __init__(self, inputs, hidden):
        super().__init__()
        self.hidden = torch.nn.Linear(inputs, hidden)
        self.head = torch.nn.Linear(hidden, 1)

    def forward(self, x):            # x: [N, In] -> [N]
        return self.head(torch.tanh(self.hidden(x))).squeeze(-1)


def mse(model, x, y):
    return ((model(x) - y) ** 2).mean()


def rmse(model, x, y):
    return mse(model, x, y).sqrt().item()


def main():
    args = common.arguments(__doc__.splitlines()[0], seed=42, epochs=100, batch=32,
                            lr=1e-2, hidden=32, l2=1e-3, clip_norm=5.0)
    xt, yt, xv, yv, _ = common.load("boston", FEATURES, "medv", standardize=True)
    torch.manual_seed(args.seed)
    model = Housing(len(FEATURES), args.hidden)
    common.init_glorot(model)
    common.train(args, model, mse, rmse, "rmse", xt, yt, xv, yv)


if __name__ == "__main__":
    main()
