#!/usr/bin/python3
"""PyTorch baseline of examples/wages.seq: occupation from the 1985 CPS, MLP classifier.

  /usr/bin/python3 bench/wages_torch.py [--seed 42] [--epochs N] [--quiet]

14 standardized features -> Linear(14, H) -> tanh -> Linear(H, C) -> softmax
over the C = 6 occupations (data/wages/occupation.txt). Loss cross-entropy
+ 1e-2 * l2(params), Adam with global-norm clipping, shuffled
mini-batches. Last line:
  RESULT valid_accuracy=... train_accuracy=... valid_loss=... seconds=... ...
"""
import torch

import common

FEATURES = ["education", "south", "female", "experience", "union", "wage", "age",
            "race_hispanic", "race_other", "race_white", "sector_construction",
            "sector_manufacturing", "sector_other", "married"]


class Occupation(torch.nn.Module):
    def __init__(self, inputs, hidden, classes):
        super().__init__()
        self.hidden = torch.nn.Linear(inputs, hidden)
        self.head = torch.nn.Linear(hidden, classes)

    def forward(self, x):            # x: [N, In] -> probabilities [N, C]
        return torch.softmax(self.head(torch.tanh(self.hidden(x))), dim=-1)

    def log_probs(self, x):          # the same, as log-probabilities (stable)
        return torch.log_softmax(self.head(torch.tanh(self.hidden(x))), dim=-1)


def cross_entropy(model, x, y):
    return torch.nn.functional.nll_loss(model.log_probs(x), y)


def accuracy(model, x, y):
    return (model(x).argmax(dim=-1) == y).float().mean().item()


def main():
    args = common.arguments(__doc__.splitlines()[0], seed=42, epochs=100, batch=32,
                            lr=3e-3, hidden=32, l2=1e-2, clip_norm=5.0)
    xt, yt, xv, yv, info = common.load("wages", FEATURES, "occupation",
                                       standardize=True, classes=True)
    torch.manual_seed(args.seed)
    model = Occupation(len(FEATURES), args.hidden, len(info["classes"]))
    common.init_glorot(model)
    common.train(args, model, cross_entropy, accuracy, "accuracy", xt, yt, xv, yv)


if __name__ == "__main__":
    main()
