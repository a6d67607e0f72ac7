#!/usr/bin/python3
"""Golden outputs and gradients of std.cells' cells, from PyTorch.

test/unit/RnnGoldenTest.cpp compiles each cell of lib/std/cells.seq through
the frontend, as in

  use std.cells
  model M(P = 4, H = 5) {
    rnn = LSTM(P, H)
    forward(x: seq<[P]>) -> seq<[H]> = rnn(x)
  }

and compares its outputs and the gradients of the loss sum(forward(x) * R)
with the ones written here: Elman, LSTM and GRU by PyTorch's nn.RNN (tanh),
nn.LSTM and nn.GRU (one layer, batch_first=False, zero initial state),
Jordan (which PyTorch lacks) by an explicit loop.

The weights are drawn as seqc's parameters and mapped onto PyTorch's; the
gradients PyTorch computes for its weights are mapped back. With G the rows
of gate G in weight_ih_l0 ([k H, P]) and weight_hh_l0 ([k H, H]), and
bias_ih_l0 = seqc's bias, bias_hh_l0 = 0:

  Elman  W = weight_hh, U = weight_ih, b = bias_ih
  LSTM   PyTorch's gates i, f, g, o (rows 0:H, H:2H, 2H:3H, 3H:4H) are
         seqc's input gate i, forget gate f, candidate Ct and output gate g:
           Wi, Ui, bi <- rows of i      Wf, Uf, bf <- rows of f
           Wc, Uc, bc <- rows of g      Wg, Ug, bg <- rows of o
  GRU    PyTorch's gates r, z, n (rows 0:H, H:2H, 2H:3H):
           Wr, Ur, br <- rows of r      Wn, Un, bn <- rows of n
           Wz, Uz, bz <- MINUS the rows of z
         PyTorch computes h' = (1 - z') n + z' h with
         z' = sigmoid(W_iz x + b_iz + W_hz h); std.cells' GRU computes
         h' = (1 - z) h + z n, so z = 1 - z' = sigmoid(-(W_iz x + b_iz +
         W_hz h)). The reset gate acts as in PyTorch and cuDNN:
         n = tanh(Un x + bn + r * (Wn h)); PyTorch's b_hn, which would sit
         inside r * (...), is 0.

The script also runs every cell as an explicit loop of std.cells'
formulas, and asserts that it agrees with PyTorch's module (outputs and
gradients to 1e-12), which checks the mapping.

Cases: elman, jordan, lstm and gru at T = 1, 2 and 17, with N = 3, P = 4,
H = 5 (and O = 3 outputs for Jordan). Each case draws from its own
generator, seeded by the CRC-32 of its name ("lstm_T17"): parameters
uniform in [-0.5, 0.5], the input x [T, N, P] and the loss weights R
[T, N, H] (or [T, N, O]) standard normal, all rounded to float32, so that
the f32 and the f64 tests see exactly the values PyTorch used. PyTorch
computes in float64. Written to rnn_goldens.safetensors next to this
script:

  "<case>/rnn.<param>"       F32, a parameter by its seqc name ("rnn.Wi")
  "<case>/x", "<case>/R"     F32, the input and the loss weights
  "<case>/out"               F64, the outputs of every step [T, N, H]
  "<case>/loss"              F64, sum(out * R)
  "<case>/grad/rnn.<param>"  F64, d loss / d parameter
  "<case>/grad/x"            F64, d loss / d x

Regenerate (Debian's python3-torch; the output is deterministic, byte for
byte, for a given PyTorch version):

  /usr/bin/python3 test/unit/Inputs/make_rnn_goldens.py

The file is written by golden_io.py, next to this script.
"""
import os

import torch

from golden_io import Gen, case_tensors, max_error, write_goldens

HERE = os.path.dirname(os.path.abspath(__file__))
OUTPUT = os.path.join(HERE, "rnn_goldens.safetensors")
N, P, H, O = 3, 4, 5, 3
STEPS = (1, 2, 17)
SCALE = 0.5  # parameters are uniform in [-SCALE, SCALE]
MAPPING_TOLERANCE = 1e-12

#===------------------------------------------------------------------------===#
# The cells: seqc's parameters (name -> shape, in declaration order)
#===------------------------------------------------------------------------===#

GATES = {
    "elman": [("W", (H, H)), ("U", (H, P)), ("b", (H,))],
    "jordan": [("W", (H, O)), ("U", (H, P)), ("b", (H,)), ("V", (O, H)),
               ("c", (O,))],
    "lstm": [(name + g, shape) for g in "ifgc"
             for name, shape in (("W", (H, H)), ("U", (H, P)), ("b", (H,)))],
    "gru": [(name + g, shape) for g in "zrn"
            for name, shape in (("W", (H, H)), ("U", (H, P)), ("b", (H,)))],
}
OUT_SIZE = {"elman": H, "jordan": O, "lstm": H, "gru": H}

#===------------------------------------------------------------------------===#
# std.cells' formulas, step by step (lib/std/cells.seq)
#===------------------------------------------------------------------------===#


def lin(W, v):
    """W @ v for a batch v [N, K] and W [M, K]: [N, M]."""
    return v @ W.t()


def seqc_loop(cell, p, x):
    """The outputs [T, N, out] of std.cells' `cell` with parameters p."""
    T = x.shape[0]
    outs = []
    if cell == "elman":
        h = x.new_zeros(N, H)
        for t in range(T):
            h = torch.tanh(lin(p["W"], h) + lin(p["U"], x[t]) + p["b"])
            outs.append(h)
    elif cell == "jordan":
        o = x.new_zeros(N, O)
        for t in range(T):
            h = torch.tanh(lin(p["W"], o) + lin(p["U"], x[t]) + p["b"])
            o = torch.sigmoid(lin(p["V"], h) + p["c"])
            outs.append(o)
    elif cell == "lstm":
        h, C = x.new_zeros(N, H), x.new_zeros(N, H)
        for t in range(T):
            def pre(g):
                return lin(p["W" + g], h) + lin(p["U" + g], x[t]) + p["b" + g]
            i = torch.sigmoid(pre("i"))
            f = torch.sigmoid(pre("f"))
            g = torch.sigmoid(pre("g"))
            Ct = torch.tanh(pre("c"))
            C = f * C + i * Ct
            h = g * torch.tanh(C)
            outs.append(h)
    elif cell == "gru":
        h = x.new_zeros(N, H)
        for t in range(T):
            z = torch.sigmoid(lin(p["Wz"], h) + lin(p["Uz"], x[t]) + p["bz"])
            r = torch.sigmoid(lin(p["Wr"], h) + lin(p["Ur"], x[t]) + p["br"])
            n = torch.tanh(lin(p["Un"], x[t]) + p["bn"] + r * lin(p["Wn"], h))
            h = (1 - z) * h + z * n
            outs.append(h)
    return torch.stack(outs)


#===------------------------------------------------------------------------===#
# PyTorch's modules, with seqc's parameters mapped onto theirs
#===------------------------------------------------------------------------===#

# The seqc gate of each block of rows of PyTorch's weights, in PyTorch's
# order, and the sign of the mapping.
TORCH_GATES = {
    "elman": [("", 1.0)],
    "lstm": [("i", 1.0), ("f", 1.0), ("c", 1.0), ("g", 1.0)],
    "gru": [("r", 1.0), ("z", -1.0), ("n", 1.0)],
}


def torch_module(cell):
    if cell == "elman":
        return torch.nn.RNN(P, H, nonlinearity="tanh")
    if cell == "lstm":
        return torch.nn.LSTM(P, H)
    return torch.nn.GRU(P, H)


def torch_forward(cell, p, x):
    """PyTorch's outputs for seqc's parameters p (float64 leaves), and the
    gradients of seqc's parameters as a function of the loss's gradients of
    PyTorch's weights: (out, module, to_seqc)."""
    module = torch_module(cell).double()
    gates = TORCH_GATES[cell]
    with torch.no_grad():
        module.weight_ih_l0.copy_(
            torch.cat([sign * p["U" + g] for g, sign in gates]))
        module.weight_hh_l0.copy_(
            torch.cat([sign * p["W" + g] for g, sign in gates]))
        module.bias_ih_l0.copy_(
            torch.cat([sign * p["b" + g] for g, sign in gates]))
        module.bias_hh_l0.zero_()
    out, _ = module(x)

    def to_seqc():
        """The gradients of seqc's parameters, from the module's."""
        grads = {}
        for k, (g, sign) in enumerate(gates):
            rows = slice(k * H, (k + 1) * H)
            grads["U" + g] = sign * module.weight_ih_l0.grad[rows]
            grads["W" + g] = sign * module.weight_hh_l0.grad[rows]
            grads["b" + g] = sign * module.bias_ih_l0.grad[rows]
        return grads

    return out, module, to_seqc


#===------------------------------------------------------------------------===#
# The cases
#===------------------------------------------------------------------------===#


def make_case(cell, T):
    name = "%s_T%d" % (cell, T)
    gen = Gen(name)
    params = {pname: gen.uniform(shape, SCALE) for pname, shape in GATES[cell]}
    x = gen.normal((T, N, P))
    R = gen.normal((T, N, OUT_SIZE[cell]))

    # std.cells' formulas with autograd.
    p = {k: v.double().requires_grad_(True) for k, v in params.items()}
    x64 = x.double().requires_grad_(True)
    out = seqc_loop(cell, p, x64)
    loss = (out * R.double()).sum()
    loop_grads = torch.autograd.grad(loss, [p[k] for k in p] + [x64])
    loop_grads = dict(zip(list(p) + ["x"], loop_grads))

    if cell == "jordan":
        golden_out, golden_loss, golden_grads = out, loss, loop_grads
    else:
        # PyTorch's module; the formulas above must agree with it.
        xt = x.double().requires_grad_(True)
        golden_out, module, to_seqc = torch_forward(
            cell, {k: v.double() for k, v in params.items()}, xt)
        golden_loss = (golden_out * R.double()).sum()
        golden_loss.backward()
        golden_grads = to_seqc()
        golden_grads["x"] = xt.grad
        checks = [("out", golden_out, out), ("loss", golden_loss, loss)]
        checks += [("grad " + k, golden_grads[k], loop_grads[k])
                   for k in loop_grads]
        for what, a, b in checks:
            err = max_error(a.detach(), b.detach())
            assert err <= MAPPING_TOLERANCE, \
                "%s: %s: PyTorch and std.cells' formulas differ by %g" % (
                    name, what, err)

    tensors = {"rnn." + k: v for k, v in params.items()}
    tensors.update(x=x, R=R, out=golden_out.detach(),
                   loss=golden_loss.detach())
    for k, g in golden_grads.items():
        tensors["grad/" + ("x" if k == "x" else "rnn." + k)] = g.detach()
    return name, case_tensors(name, tensors)


def main():
    tensors, names = {}, []
    for cell in GATES:
        for T in STEPS:
            name, case = make_case(cell, T)
            names.append(name)
            tensors.update(case)
    write_goldens(OUTPUT, tensors, names, "make_rnn_goldens.py")


if __name__ == "__main__":
    main()
