#!/usr/bin/python3
"""Golden losses and gradients of test/unit/GradCheckTest.cpp, from PyTorch.

Every case of GradCheckTest.cpp (a seq-dialect function @loss) has a twin
here, written with PyTorch's own functions (F.cross_entropy, F.kl_div, ...),
not with the seq ops' formulas. For each case this script draws the
arguments, computes the loss and its gradient with respect to every float
argument in float64 with torch.autograd, and writes them all to

  grad_goldens.safetensors   next to this script:
    "<case>/<arg>"       an argument as @loss takes it: F32 (the values the
                         f32 and the f64 tests both use; f32 is exact in
                         f64), or I64 for class and row indices
    "<case>/loss"        F64, the loss
    "<case>/grad/<arg>"  F64, d loss / d arg for every float argument,
                         parameters and inputs alike

Regenerate (Debian's python3-torch; the output is deterministic, byte for
byte, for a given PyTorch version):

  /usr/bin/python3 test/unit/Inputs/make_grad_goldens.py

then commit the safetensors file with the script. A case added to one side
must be added to the other, with the same name, argument names, order and
shapes; GradCheckTest fails on any mismatch.

The inputs keep every kink of the losses at a distance: the arguments of
relu, abs, leaky_relu and elu (also inside the losses) are at least MARGIN
away from 0, and the maxima of maxout and reduce_max lead the runner-up by at
least MARGIN, so that central finite differences with steps of 1e-6 never
straddle a kink and the derivative is unique. The script checks this on the
float64 forward values, and draws a case's arguments again, from the next
seed, until it holds.

Each case draws from its own generator, seeded by the CRC-32 of its name (then
of "name#1", "name#2", ... when it draws again), so adding a case changes no
other case's numbers. The file is written by golden_io.py, next to this
script.
"""
import os

import torch
import torch.nn.functional as F

from golden_io import seeded_generator, write_goldens

HERE = os.path.dirname(os.path.abspath(__file__))
OUTPUT = os.path.join(HERE, "grad_goldens.safetensors")
MARGIN = 1e-3
BATCH = 5  # the size of the dynamic batch axis wherever there is one

#===------------------------------------------------------------------------===#
# Arguments
#===------------------------------------------------------------------------===#


class Arg:
    def __init__(self, kind, value):
        assert kind in ("param", "input")
        self.kind, self.value = kind, value


def P(value):
    return Arg("param", value)


def I(value):
    return Arg("input", value)


class Gen:
    """Draws float32 (or int64) tensors from a generator seeded by `name`."""

    def __init__(self, name, attempt=0):
        key = name if attempt == 0 else "%s#%d" % (name, attempt)
        self.g = seeded_generator(key)

    def normal(self, *shape, scale=1.0):
        return (torch.randn(tuple(shape), generator=self.g, dtype=torch.float64)
                * scale).float()

    def uniform(self, lo, hi, *shape):
        u = torch.rand(tuple(shape), generator=self.g, dtype=torch.float64)
        return (lo + (hi - lo) * u).float()

    def away(self, *shape, margin=0.2):
        """Values of either sign with magnitude in [margin, margin + 1.5]."""
        sign = torch.randint(0, 2, tuple(shape), generator=self.g) * 2 - 1
        return (sign * self.uniform(margin, margin + 1.5, *shape)).float()

    def positive(self, *shape):
        return self.uniform(0.5, 2.0, *shape)

    def classes(self, depth, *shape):
        return torch.randint(0, depth, tuple(shape), generator=self.g,
                             dtype=torch.int64)

    def bits(self, *shape):
        return torch.randint(0, 2, tuple(shape), generator=self.g).float()

    def distribution(self, *shape):
        """Rows (along the last axis) that are probability distributions."""
        return torch.softmax(self.normal(*shape).double(), dim=-1).float()


#===------------------------------------------------------------------------===#
# Kink checks (on float64 forward values)
#===------------------------------------------------------------------------===#


class Kink(Exception):
    pass


def apart(t):
    """t feeds relu, abs, leaky_relu, elu or step: it must avoid 0."""
    smallest = t.detach().abs().min().item()
    if smallest < MARGIN:
        raise Kink("a kink argument is %g from 0" % smallest)
    return t


def leads(t, dims):
    """The maximum over `dims` leads the runner-up by MARGIN (no ties)."""
    t = t.detach()
    kept = [d for d in range(t.dim()) if d not in dims]
    flat = t.permute(kept + list(dims)).reshape(
        [t.shape[d] for d in kept] + [-1])
    top = flat.topk(2, dim=-1).values
    gap = (top[..., 0] - top[..., 1]).min().item()
    if gap < MARGIN:
        raise Kink("a maximum leads by only %g" % gap)


def pieces(x, k):
    """Maxout's k pieces of the last axis, stacked on a new last axis."""
    width = x.shape[-1] // k
    return torch.stack([x[..., j * width:(j + 1) * width] for j in range(k)],
                       dim=-1)


def maxout(x, k):
    p = pieces(x, k)
    leads(p, [p.dim() - 1])
    return p.max(dim=-1).values


def wsum(y, w):
    """sum(y * w): every element of y matters, each with its own weight."""
    return (y * w).sum()


#===------------------------------------------------------------------------===#
# The cases (the same names, arguments and order as GradCheckTest.cpp)
#===------------------------------------------------------------------------===#

CASES = []


def float64(args):
    return {arg: a.value.double() if a.value.is_floating_point() else a.value
            for arg, a in args.items()}


def case(name, make):
    """Registers fn under `name` with the arguments make(Gen) draws; draws
    again (from the next seed) while a kink is too close."""
    def register(fn):
        for attempt in range(100):
            args = make(Gen(name, attempt))
            try:
                fn(**float64(args))
            except Kink:
                continue
            CASES.append((name, args, fn))
            return fn
        raise Exception("%s: no draw keeps away from the kinks" % name)
    return register


# Elementwise unary ops: sum(op(x) * w).
UNARY = {
    "neg": (lambda g: g.normal(4, 3), lambda x: -x),
    "sigmoid": (lambda g: g.normal(4, 3, scale=2), torch.sigmoid),
    "tanh": (lambda g: g.normal(4, 3, scale=1.5), torch.tanh),
    "relu": (lambda g: g.away(4, 3), lambda x: torch.relu(apart(x))),
    "exp": (lambda g: g.normal(4, 3), torch.exp),
    "log": (lambda g: g.positive(4, 3), torch.log),
    "sqrt": (lambda g: g.positive(4, 3), torch.sqrt),
    "abs": (lambda g: g.away(4, 3), lambda x: torch.abs(apart(x))),
    "leaky_relu": (lambda g: g.away(4, 3),
                   lambda x: F.leaky_relu(apart(x), 0.1)),
    "elu": (lambda g: g.away(4, 3), lambda x: F.elu(apart(x), 0.7)),
    # No gradient: their derivative rules give none (zero).
    "step": (lambda g: g.away(4, 3), lambda x: (apart(x) > 0).to(x.dtype)),
    "sign": (lambda g: g.away(4, 3), lambda x: torch.sign(apart(x))),
}
for op, (draw, fn) in UNARY.items():
    case(op, lambda g, draw=draw: dict(x=P(draw(g)), w=I(g.normal(4, 3))))(
        lambda x, w, fn=fn: wsum(fn(x), w))

# Elementwise binary ops with broadcasting: sum(op(a, b) * w). Divisors stay
# away from 0.
BINARY = {
    "add": torch.add,
    "sub": torch.sub,
    "mul": torch.mul,
    "div": torch.div,
}
# form: (shape of a, shape of b, shape of the result)
FORMS = {
    "same": ([4, 3], [4, 3], [4, 3]),
    "row": ([4, 3], [3], [4, 3]),  # a [3] bias over rows
    "row_lhs": ([3], [4, 3], [4, 3]),
    "col": ([4, 1], [4, 3], [4, 3]),  # a [N, 1] column over [N, 3]
    "col_rhs": ([4, 3], [4, 1], [4, 3]),
    "scalar": ([4, 3], [], [4, 3]),  # a 0-d scalar
    "scalar_lhs": ([], [4, 3], [4, 3]),
    "both": ([2, 1, 3], [4, 1], [2, 4, 3]),  # both operands stretched
}
for op, fn in BINARY.items():
    for form, (sa, sb, so) in FORMS.items():
        def make(g, sa=sa, sb=sb, so=so, op=op):
            b = g.away(*sb, margin=0.5) if op == "div" else g.normal(*sb)
            return dict(a=P(g.normal(*sa)), b=P(b), w=I(g.normal(*so)))
        case("%s_%s" % (op, form), make)(
            lambda a, b, w, fn=fn: wsum(fn(a, b), w))

    # The same over a dynamic batch axis: a [3] parameter against a batch
    # [?, 3] of inputs, and a batch [?, 1] of inputs against [?, 3].
    def make_row(g, op=op):
        b = g.away(3, margin=0.5) if op == "div" else g.normal(3)
        return dict(x=I(g.normal(BATCH, 3)), b=P(b), w=I(g.normal(BATCH, 3)))
    case("%s_row_batch" % op, make_row)(
        lambda x, b, w, fn=fn: wsum(fn(x, b), w))

    def make_col(g, op=op):
        if op == "div":
            return dict(c=I(g.normal(BATCH, 1)), x=I(g.away(BATCH, 3)),
                        p=P(g.away(3, margin=0.5)), w=I(g.normal(BATCH, 3)))
        return dict(c=I(g.normal(BATCH, 1)), x=I(g.normal(BATCH, 3)),
                    p=P(g.normal(3)), w=I(g.normal(BATCH, 3)))
    case("%s_col_batch" % op, make_col)(
        lambda c, x, p, w, fn=fn: wsum(fn(c, x * p), w))

# matmul in every transpose combination, with rank-3 (batched) operands
# against shared rank-2 ones: sum(matmul(a, b) * w).
M, K, N, B = 2, 3, 4, 2
for lhs_rank, rhs_rank in ((2, 2), (3, 2), (2, 3), (3, 3)):
    for ta in (False, True):
        for tb in (False, True):
            name = {(2, 2): "matmul", (3, 2): "matmul_batched_lhs",
                    (2, 3): "matmul_batched_rhs",
                    (3, 3): "matmul_batched_both"}[(lhs_rank, rhs_rank)]
            name += "_" + ("t" if ta else "n") + ("t" if tb else "n")
            sa = [K, M] if ta else [M, K]
            sb = [N, K] if tb else [K, N]
            if lhs_rank == 3:
                sa = [B] + sa
            if rhs_rank == 3:
                sb = [B] + sb
            so = ([B] if 3 in (lhs_rank, rhs_rank) else []) + [M, N]

            def make(g, sa=sa, sb=sb, so=so):
                return dict(a=P(g.normal(*sa)), b=P(g.normal(*sb)),
                            w=I(g.normal(*so)))

            def fn(a, b, w, ta=ta, tb=tb):
                a = a.transpose(-1, -2) if ta else a
                b = b.transpose(-1, -2) if tb else b
                return wsum(torch.matmul(a, b), w)
            case(name, make)(fn)


# A batch of matrices [?, 2, 3] (inputs) times a shared weight [3, 4].
@case("matmul_batch_shared", lambda g: dict(
    a=I(g.normal(BATCH, 2, 3)), b=P(g.normal(3, 4)),
    w=I(g.normal(BATCH, 2, 4))))
def _(a, b, w):
    return wsum(torch.matmul(a, b), w)


# The linear layer as MLIRGen emits it: x @ W^T + b over a dynamic batch.
@case("linear", lambda g: dict(
    W=P(g.normal(3, 4)), b=P(g.normal(3)), x=I(g.normal(BATCH, 4)),
    w=I(g.normal(BATCH, 3))))
def _(W, b, x, w):
    return wsum(F.linear(x, W, b), w)


@case("transpose_2d", lambda g: dict(x=P(g.normal(3, 4)),
                                     w=I(g.normal(4, 3))))
def _(x, w):
    return wsum(x.permute(1, 0), w)


@case("transpose_3d", lambda g: dict(x=P(g.normal(2, 3, 4)),
                                     w=I(g.normal(4, 2, 3))))
def _(x, w):
    return wsum(x.permute(2, 0, 1), w)


for axis in (0, 1):
    case("softmax_axis%d" % axis,
         lambda g: dict(x=P(g.normal(4, 3, scale=2)), w=I(g.normal(4, 3))))(
        lambda x, w, axis=axis: wsum(torch.softmax(x, dim=axis), w))
    case("log_softmax_axis%d" % axis,
         lambda g: dict(x=P(g.normal(4, 3, scale=2)), w=I(g.normal(4, 3))))(
        lambda x, w, axis=axis: wsum(torch.log_softmax(x, dim=axis), w))


@case("softmax_3d", lambda g: dict(x=P(g.normal(2, 3, 4)),
                                   w=I(g.normal(2, 3, 4))))
def _(x, w):
    return wsum(torch.softmax(x, dim=1), w)


@case("maxout_k2", lambda g: dict(x=P(g.normal(4, 6)), w=I(g.normal(4, 3))))
def _(x, w):
    return wsum(maxout(x, 2), w)


@case("maxout_k3", lambda g: dict(x=P(g.normal(3, 6)), w=I(g.normal(3, 2))))
def _(x, w):
    return wsum(maxout(x, 3), w)


@case("concat_axis1", lambda g: dict(
    a=P(g.normal(2, 3)), b=P(g.normal(2, 2)), w=I(g.normal(2, 5))))
def _(a, b, w):
    return wsum(torch.cat([a, b], dim=1), w)


@case("concat_axis0_three", lambda g: dict(
    a=P(g.normal(1, 3)), b=P(g.normal(2, 3)), c=P(g.normal(3, 3)),
    w=I(g.normal(6, 3))))
def _(a, b, c, w):
    return wsum(torch.cat([a, b, c], dim=0), w)


@case("slice_axis1", lambda g: dict(x=P(g.normal(4, 5)),
                                    w=I(g.normal(4, 2))))
def _(x, w):
    return wsum(x[:, 1:3], w)


@case("slice_axis0", lambda g: dict(x=P(g.normal(4, 5)),
                                    w=I(g.normal(2, 5))))
def _(x, w):
    return wsum(x[2:4, :], w)


# expand_dims, then a broadcast along the new axis.
@case("expand_dims", lambda g: dict(x=P(g.normal(4, 3)),
                                    w=I(g.normal(4, 2, 3))))
def _(x, w):
    return wsum(x.unsqueeze(1), w)


@case("squeeze", lambda g: dict(x=P(g.normal(4, 1, 3)), w=I(g.normal(4, 3))))
def _(x, w):
    return wsum(x.squeeze(1), w)


# Embedding lookups with repeated rows: the table's gradient accumulates.
@case("gather", lambda g: dict(
    E=P(g.normal(5, 3)),
    ids=I(torch.tensor([4, 0, 2, 2, 1, 4, 4], dtype=torch.int64)),
    w=I(g.normal(7, 3))))
def _(E, ids, w):
    return wsum(F.embedding(ids, E), w)


@case("gather_2d", lambda g: dict(
    E=P(g.normal(5, 3)),
    ids=I(torch.tensor([[3, 0, 3], [1, 1, 3]], dtype=torch.int64)),
    w=I(g.normal(2, 3, 3))))
def _(E, ids, w):
    return wsum(F.embedding(ids, E), w)


@case("gather_batch", lambda g: dict(
    E=P(g.normal(5, 3)),
    ids=I(torch.tensor([2, 0, 2, 4, 2], dtype=torch.int64)),
    w=I(g.normal(BATCH, 3))))
def _(E, ids, w):
    return wsum(F.embedding(ids, E), w)


# Reductions of x [3, 4, 5] over several axis sets (in the order listed).
REDUCTIONS = {
    "sum": lambda x, axes: x.sum(dim=axes),
    "mean": lambda x, axes: x.mean(dim=axes),
    "max": lambda x, axes: (leads(x, axes), x.amax(dim=axes))[1],
}
AXIS_SETS = {"0": [0], "1": [1], "2": [2], "0_2": [0, 2], "2_0": [2, 0],
             "1_2": [1, 2], "all": [0, 1, 2]}
for op, fn in REDUCTIONS.items():
    for label, axes in AXIS_SETS.items():
        kept = [s for d, s in enumerate([3, 4, 5]) if d not in axes]

        def make(g, kept=kept):
            return dict(x=P(g.normal(3, 4, 5)), w=I(g.normal(*kept)))
        case("reduce_%s_%s" % (op, label), make)(
            lambda x, w, fn=fn, axes=axes: wsum(fn(x, axes), w))

    # Over the dynamic batch axis, alone and with the feature axis.
    case("reduce_%s_batch" % op, lambda g: dict(
        x=I(g.normal(BATCH, 4)), p=P(g.normal(4)), w=I(g.normal(4))))(
        lambda x, p, w, fn=fn: wsum(fn(x * p, [0]), w))
    case("reduce_%s_batch_all" % op, lambda g: dict(
        x=I(g.normal(BATCH, 4)), p=P(g.normal(4)), w=I(g.normal())))(
        lambda x, p, w, fn=fn: wsum(fn(x * p, [0, 1]), w))


# broadcast_like to the shape of w (whose values it does not read).
for label, shape in (("row", [3]), ("col", [4, 1]), ("scalar", [])):
    case("broadcast_like_" + label, lambda g, shape=shape: dict(
        x=P(g.normal(*shape)), w=I(g.normal(4, 3))))(
        lambda x, w: wsum(x.expand(4, 3), w))


@case("broadcast_like_batch", lambda g: dict(
    x=P(g.normal(3)), w=I(g.normal(BATCH, 3))))
def _(x, w):
    return wsum(x.expand(BATCH, 3), w)


@case("pad_axis1", lambda g: dict(x=P(g.normal(3, 4)), w=I(g.normal(3, 7))))
def _(x, w):
    return wsum(F.pad(x, (2, 1)), w)


@case("pad_axis0", lambda g: dict(x=P(g.normal(3, 4)), w=I(g.normal(5, 4))))
def _(x, w):
    return wsum(F.pad(x, (0, 0, 0, 2)), w)


@case("scatter_add", lambda g: dict(
    u=P(g.normal(6, 3)),
    ids=I(torch.tensor([1, 3, 1, 0, 3, 3], dtype=torch.int64)),
    w=I(g.normal(5, 3))))
def _(u, ids, w):
    table = torch.zeros(5, 3, dtype=u.dtype).index_add(0, ids, u)
    return wsum(table, w)


@case("scatter_add_2d", lambda g: dict(
    u=P(g.normal(2, 3, 3)),
    ids=I(torch.tensor([[4, 0, 4], [2, 4, 0]], dtype=torch.int64)),
    w=I(g.normal(5, 3))))
def _(u, ids, w):
    table = torch.zeros(5, 3, dtype=u.dtype).index_add(
        0, ids.reshape(-1), u.reshape(-1, 3))
    return wsum(table, w)


# The data movement ops on a dynamic batch axis: a batch of inputs times a
# parameter p, moved; inputs are differentiated too in the f64 checks.
@case("concat_batch", lambda g: dict(
    a=I(g.normal(BATCH, 2)), b=I(g.normal(BATCH, 3)), p=P(g.normal(5)),
    w=I(g.normal(BATCH, 5))))
def _(a, b, p, w):
    return wsum(torch.cat([a, b], dim=1) * p, w)


@case("slice_batch", lambda g: dict(
    x=I(g.normal(BATCH, 5)), p=P(g.normal(5)), w=I(g.normal(BATCH, 2))))
def _(x, p, w):
    return wsum((x * p)[:, 1:3], w)


@case("pad_batch", lambda g: dict(
    x=I(g.normal(BATCH, 3)), p=P(g.normal(3)), w=I(g.normal(BATCH, 6))))
def _(x, p, w):
    return wsum(F.pad(x * p, (2, 1)), w)


@case("maxout_batch", lambda g: dict(
    x=I(g.normal(BATCH, 6)), p=P(g.normal(6)), w=I(g.normal(BATCH, 3))))
def _(x, p, w):
    return wsum(maxout(x * p, 2), w)


@case("transpose_batch", lambda g: dict(
    x=I(g.normal(BATCH, 3)), p=P(g.normal(3)), w=I(g.normal(3, BATCH))))
def _(x, p, w):
    return wsum((x * p).permute(1, 0), w)


@case("expand_dims_batch", lambda g: dict(
    x=I(g.normal(BATCH, 3)), p=P(g.normal(3)), w=I(g.normal(BATCH, 2, 3))))
def _(x, p, w):
    return wsum((x * p).unsqueeze(1), w)


@case("squeeze_batch", lambda g: dict(
    x=I(g.normal(BATCH, 1, 3)), p=P(g.normal(3)), w=I(g.normal(BATCH, 3))))
def _(x, p, w):
    return wsum((x * p).squeeze(1), w)


for op, fn in (("softmax", torch.softmax), ("log_softmax", torch.log_softmax)):
    for axis in (0, 1):
        case("%s_batch_axis%d" % (op, axis), lambda g: dict(
            x=I(g.normal(BATCH, 3)), p=P(g.normal(3, scale=2)),
            w=I(g.normal(BATCH, 3))))(
            lambda x, p, w, fn=fn, axis=axis: wsum(fn(x * p, dim=axis), w))


@case("scatter_add_batch", lambda g: dict(
    u=I(g.normal(BATCH, 3)),
    ids=I(torch.tensor([3, 0, 3, 4, 3], dtype=torch.int64)),
    p=P(g.normal(3)), w=I(g.normal(5, 3))))
def _(u, ids, p, w):
    return wsum(torch.zeros(5, 3, dtype=u.dtype).index_add(0, ids, u * p), w)


#===------------------------------------------------------------------------===#
# Losses, as the frontend builds them (frontend/SemaLosses.cpp: per-instance losses,
# then their mean over the batch), against PyTorch's own losses
#===------------------------------------------------------------------------===#

def linear_make(outputs, **targets):
    def make(g):
        args = dict(W=P(g.normal(outputs, 4)), b=P(g.normal(outputs, scale=0.5)),
                    x=I(g.normal(BATCH, 4)))
        for name, draw in targets.items():
            args[name] = I(draw(g))
        return args
    return make


@case("cross_entropy_indices",
      linear_make(3, y=lambda g: g.classes(3, BATCH)))
def _(W, b, x, y):
    return F.cross_entropy(F.linear(x, W, b), y)


@case("cross_entropy_onehot", linear_make(
    3, t=lambda g: F.one_hot(g.classes(3, BATCH), 3).float()))
def _(W, b, x, t):
    # Class probabilities as the target: differentiable in t as well.
    return F.cross_entropy(F.linear(x, W, b), t)


@case("bce_logits", linear_make(1, t=lambda g: g.bits(BATCH, 1)))
def _(W, b, x, t):
    z = apart(F.linear(x, W, b))
    return F.binary_cross_entropy_with_logits(z, t)


@case("bce_probabilities", linear_make(1, t=lambda g: g.bits(BATCH, 1)))
def _(W, b, x, t):
    return F.binary_cross_entropy(torch.sigmoid(F.linear(x, W, b)), t)


# Multilabel: the mean of the labels' binary losses, averaged over the batch.
@case("multilabel_bce", linear_make(5, t=lambda g: g.bits(BATCH, 5)))
def _(W, b, x, t):
    z = apart(F.linear(x, W, b))
    return F.binary_cross_entropy_with_logits(z, t)


@case("mse", linear_make(2, y=lambda g: g.normal(BATCH, 2)))
def _(W, b, x, y):
    return F.mse_loss(F.linear(x, W, b), y)


# KL(t || softmax(z)), averaged over the batch.
@case("kl_divergence", linear_make(3, t=lambda g: g.distribution(BATCH, 3)))
def _(W, b, x, t):
    return F.kl_div(torch.log_softmax(F.linear(x, W, b), dim=1), t,
                    reduction="batchmean")


# Ridge regression: MSE plus 0.01 times the squared L2 norm of the weight.
@case("mse_l2", linear_make(2, y=lambda g: g.normal(BATCH, 2)))
def _(W, b, x, y):
    return F.mse_loss(F.linear(x, W, b), y) + 0.01 * (W * W).sum()


# The L2 penalty alone, of two parameters: |A|^2 + |c|^2.
@case("l2", lambda g: dict(A=P(g.normal(3, 4)), c=P(g.normal(3))))
def _(A, c):
    return (A * A).sum() + (c * c).sum()


# A two-layer perceptron under softmax cross-entropy with class indices.
@case("mlp_cross_entropy", lambda g: dict(
    W1=P(g.normal(6, 4, scale=0.7)), b1=P(g.normal(6, scale=0.3)),
    W2=P(g.normal(3, 6, scale=0.7)), b2=P(g.normal(3, scale=0.3)),
    x=I(g.normal(BATCH, 4)), y=I(g.classes(3, BATCH))))
def _(W1, b1, W2, b2, x, y):
    h = torch.tanh(F.linear(x, W1, b1))
    return F.cross_entropy(F.linear(h, W2, b2), y)


def main():
    tensors = {}
    names = [name for name, _, _ in CASES]
    assert len(set(names)) == len(names), "duplicate case names"
    for name, args, fn in CASES:
        values = {}
        for arg, a in args.items():
            tensors["%s/%s" % (name, arg)] = a.value
            if a.value.is_floating_point():
                values[arg] = a.value.double().requires_grad_(True)
            else:
                values[arg] = a.value
        loss = fn(**values)
        assert loss.dim() == 0
        floats = [arg for arg, v in values.items() if v.is_floating_point()]
        grads = torch.autograd.grad(loss, [values[a] for a in floats],
                                    allow_unused=True)
        tensors["%s/loss" % name] = loss.detach()
        for arg, grad in zip(floats, grads):
            if grad is None:
                grad = torch.zeros_like(values[arg])
            tensors["%s/grad/%s" % (name, arg)] = grad
    write_goldens(OUTPUT, tensors, names, "make_grad_goldens.py")


if __name__ == "__main__":
    main()
