#!/usr/bin/python3
"""Golden losses and gradients of two encoder-decoders with attention.

test/unit/AttentionGoldenTest.cpp compiles two models of std.attention
through the frontend, with the loss of their train block (teacher forcing
over pairs), in f32 and f64:

  dot       src = Embedding(S, E), tgt = Embedding(V, E), enc = LSTM(E, H),
            dec = DotAttentionLSTM(E, H), head = Linear(2 * H, V);
            forward(x, y_in) = log_softmax(head(dec(tgt(y_in), hs = hs,
            h = last(hs)))) with hs = enc(src(x))
  additive  src, tgt as above, enc = bidir(GRU(E, H)),
            dec = AdditiveAttentionGRU(E, H, 2 * H, A = 5),
            head = Linear(3 * H, V); the decoder starts from h = 0

  loss = nll(forward(x, y_in), y): -log p(y[t]) summed over the target's
  real steps, averaged over the N instances.

and compares the loss, the outputs at the target's real steps and the
gradient of every parameter with the ones written here. The models are
written out step by step below, with std.cells' and std.attention's
formulas (lib/std/cells.seq, lib/std/attention.seq):

  LSTM    i, f, g = sigmoid(W h[t-1] + U x[t] + b) (input, forget, output),
          Ct = tanh(Wc h[t-1] + Uc x[t] + bc), C = f C[t-1] + i Ct,
          h = g tanh(C)
  GRU     z, r = sigmoid(W h[t-1] + U x[t] (+ C c) + b),
          n = tanh(Un x[t] (+ Cn c) + bn + r (Wn h[t-1])),
          h = (1 - z) h[t-1] + z n
  bidir   the forward cell over t = 0 .. T-1 and the backward cell over
          t = T-1 .. 0, outputs concatenated [fwd; bwd]
  padding a padded step (mask 0) keeps the states: h = h[t-1] + m (h' -
          h[t-1]); its outputs are the step's (they are weighted 0 by
          attention and by the loss, and not compared)
  last    the states after the last step (those of the last real step)
  dot attention   s_j = h . hs_j over the decoder's new state h
  additive        s_j = va . tanh(Wa h[t-1] + Ua hs_j) over the previous
  attention       state; the context c enters the GRU's update
  attend          w = softmax_j(s_j) over the source's real positions
                  (masked_fill(-inf) here), c = sum_j w_j hs_j
  out     concat(c, h); then log_softmax(head.W out + head.b)

The encoders are checked against PyTorch's modules: nn.LSTM and
nn.GRU(bidirectional=True) over packed sequences (pack_padded_sequence,
so that the backward direction starts at each instance's last real step),
with seqc's parameters mapped onto theirs as in make_rnn_goldens.py (for
the GRU, PyTorch's update gate is 1 - z); their outputs at the real steps
and their final states must agree with the loop to 1e-12.

Cases "<model>_T<T>" for T = 1, 2, 17 target steps, and "<model>_T5_S31"
(a long source), N = 3, S = 7, V = 6, E = 3, H = 4, A = 5. Every instance
has its own source length (x_mask zeros at the end) and target length
(y_in_mask), given in CASES; the padded positions hold random token ids
(which must not matter). Each case draws from its own generator, seeded by
the CRC-32 of its name: the embedding tables standard normal, the other
parameters uniform in [-0.5, 0.5] (the forget bias too), all rounded to
float32, so that the f32 and the f64 tests see exactly the values PyTorch
used; PyTorch computes in float64. Written to attention_goldens.safetensors
next to this script:

  "<case>/<param>"        F32, a parameter by its seqc name ("dec.Wa")
  "<case>/x", "<case>/y_in", "<case>/y"
                          I64, the source [Ts, N], the decoder's input and
                          the target [T, N]
  "<case>/x_mask", "<case>/y_in_mask"
                          F32, 1 for a real step [Ts, N], [T, N]
  "<case>/out"            F64, forward's log-probabilities [T, N, V] times
                          y_in_mask (0 at padded steps)
  "<case>/loss"           F64
  "<case>/grad/<param>"   F64, d loss / d parameter

Regenerate (Debian's python3-torch; the output is deterministic, byte for
byte, for a given PyTorch version):

  /usr/bin/python3 test/unit/Inputs/make_attention_goldens.py

The file is written by golden_io.py, next to this script.
"""
import os

import torch

from golden_io import Gen, case_tensors, max_error, write_goldens

HERE = os.path.dirname(os.path.abspath(__file__))
OUTPUT = os.path.join(HERE, "attention_goldens.safetensors")
N, S, V, E, H, A = 3, 7, 6, 3, 4, 5
SCALE = 0.5  # parameters other than the tables are uniform in [-SCALE, SCALE]
MODULE_TOLERANCE = 1e-12

# (suffix, source lengths, target lengths): T and Ts are the largest.
CASES = [
    ("T1", (4, 1, 3), (1, 1, 1)),
    ("T2", (2, 5, 3), (2, 1, 2)),
    ("T17", (5, 2, 4), (17, 9, 4)),
    ("T5_S31", (31, 12, 25), (5, 3, 4)),
]

#===------------------------------------------------------------------------===#
# The parameters (seqc's names and shapes, in declaration order)
#===------------------------------------------------------------------------===#


def lstm_params(prefix):
    return [(prefix + name + g, shape) for g in "ifgc"
            for name, shape in (("W", (H, H)), ("U", (H, E)), ("b", (H,)))]


def gru_params(prefix, K=0):
    names = [("W", (H, H)), ("U", (H, E))]
    if K:
        names.append(("C", (H, K)))
    names.append(("b", (H,)))
    return [(prefix + name + g, shape) for g in "zrn" for name, shape in names]


MODELS = {
    "dot": [("src.table", (S, E)), ("tgt.table", (V, E))] +
    lstm_params("enc.") + lstm_params("dec.") +
    [("head.W", (V, 2 * H)), ("head.b", (V,))],
    "additive": [("src.table", (S, E)), ("tgt.table", (V, E))] +
    gru_params("enc.fwd.") + gru_params("enc.bwd.") +
    [("dec.Wa", (A, H)), ("dec.Ua", (A, 2 * H)), ("dec.va", (A,))] +
    gru_params("dec.", 2 * H) + [("head.W", (V, 3 * H)), ("head.b", (V,))],
}

#===------------------------------------------------------------------------===#
# The models, step by step
#===------------------------------------------------------------------------===#


def lin(W, v):
    """W @ v for a batch v [N, K] and W [M, K]: [N, M]."""
    return v @ W.t()


def keep(old, new, m):
    """A padded step (m = 0) keeps the state."""
    return old + m[:, None] * (new - old)


def lstm_step(p, pre, h, C, x):
    def gate(g):
        return lin(p[pre + "W" + g], h) + lin(p[pre + "U" + g], x) + \
            p[pre + "b" + g]
    i = torch.sigmoid(gate("i"))
    f = torch.sigmoid(gate("f"))
    g = torch.sigmoid(gate("g"))
    Ct = torch.tanh(gate("c"))
    C = f * C + i * Ct
    return g * torch.tanh(C), C


def gru_step(p, pre, h, x, c=None):
    def gate(g):
        a = lin(p[pre + "U" + g], x) + p[pre + "b" + g]
        if c is not None:
            a = a + lin(p[pre + "C" + g], c)
        return a
    z = torch.sigmoid(lin(p[pre + "Wz"], h) + gate("z"))
    r = torch.sigmoid(lin(p[pre + "Wr"], h) + gate("r"))
    n = torch.tanh(gate("n") + r * lin(p[pre + "Wn"], h))
    return (1 - z) * h + z * n


def lstm_encoder(p, pre, xs, mask):
    """The outputs [T, N, H] and the final (h, C)."""
    h = xs.new_zeros(N, H)
    C = xs.new_zeros(N, H)
    outs = []
    for t in range(xs.shape[0]):
        hn, Cn = lstm_step(p, pre, h, C, xs[t])
        outs.append(hn)
        h, C = keep(h, hn, mask[t]), keep(C, Cn, mask[t])
    return torch.stack(outs), (h, C)


def gru_encoder(p, pre, xs, mask, reverse=False):
    """The outputs [T, N, H] (in the order of the steps) and the final h."""
    T = xs.shape[0]
    h = xs.new_zeros(N, H)
    outs = [None] * T
    for t in (reversed(range(T)) if reverse else range(T)):
        hn = gru_step(p, pre, h, xs[t])
        outs[t] = hn
        h = keep(h, hn, mask[t])
    return torch.stack(outs), h


def attend(scores, hs, mask):
    """softmax over the real source positions of scores [Ts, N]; the
    weighted sum of hs [Ts, N, K]: [N, K]."""
    w = scores.masked_fill(mask == 0, float("-inf")).softmax(0)
    return (w[:, :, None] * hs).sum(0)


def dot_forward(p, x, y_in, x_mask, y_mask):
    hs, (h, _) = lstm_encoder(p, "enc.", p["src.table"][x], x_mask)
    C = h.new_zeros(N, H)
    ys = p["tgt.table"][y_in]
    outs = []
    for t in range(ys.shape[0]):
        hn, Cn = lstm_step(p, "dec.", h, C, ys[t])
        c = attend((hs * hn[None]).sum(2), hs, x_mask)
        outs.append(torch.cat([c, hn], 1))
        h, C = keep(h, hn, y_mask[t]), keep(C, Cn, y_mask[t])
    return torch.stack(outs), hs


def additive_forward(p, x, y_in, x_mask, y_mask):
    xs = p["src.table"][x]
    fwd, _ = gru_encoder(p, "enc.fwd.", xs, x_mask)
    bwd, _ = gru_encoder(p, "enc.bwd.", xs, x_mask, reverse=True)
    hs = torch.cat([fwd, bwd], 2)
    ys = p["tgt.table"][y_in]
    h = ys.new_zeros(N, H)
    outs = []
    for t in range(ys.shape[0]):
        a = torch.tanh(lin(p["dec.Wa"], h)[None] + hs @ p["dec.Ua"].t())
        c = attend(a @ p["dec.va"], hs, x_mask)
        hn = gru_step(p, "dec.", h, ys[t], c)
        outs.append(torch.cat([c, hn], 1))
        h = keep(h, hn, y_mask[t])
    return torch.stack(outs), hs


FORWARDS = {"dot": dot_forward, "additive": additive_forward}


def model_loss(model, p, x, y_in, y, x_mask, y_mask):
    """forward's log-probabilities [T, N, V] and the loss."""
    u, _ = FORWARDS[model](p, x, y_in, x_mask, y_mask)
    logp = torch.log_softmax(u @ p["head.W"].t() + p["head.b"], 2)
    picked = logp.gather(2, y[:, :, None])[:, :, 0]
    return logp, -(picked * y_mask).sum() / N


#===------------------------------------------------------------------------===#
# The encoders against PyTorch's modules
#===------------------------------------------------------------------------===#

# seqc's gate of each block of rows of PyTorch's weights, and the sign.
TORCH_GATES = {
    "lstm": [("i", 1.0), ("f", 1.0), ("c", 1.0), ("g", 1.0)],
    "gru": [("r", 1.0), ("z", -1.0), ("n", 1.0)],
}


def load_direction(module, suffix, p, pre, gates):
    with torch.no_grad():
        getattr(module, "weight_ih_l0" + suffix).copy_(
            torch.cat([sign * p[pre + "U" + g] for g, sign in gates]))
        getattr(module, "weight_hh_l0" + suffix).copy_(
            torch.cat([sign * p[pre + "W" + g] for g, sign in gates]))
        getattr(module, "bias_ih_l0" + suffix).copy_(
            torch.cat([sign * p[pre + "b" + g] for g, sign in gates]))
        getattr(module, "bias_hh_l0" + suffix).zero_()


def check_encoder(model, p, x, x_mask, name):
    lengths = x_mask.sum(0).long()
    xs = p["src.table"][x]
    packed = torch.nn.utils.rnn.pack_padded_sequence(
        xs, lengths, enforce_sorted=False)
    if model == "dot":
        module = torch.nn.LSTM(E, H).double()
        load_direction(module, "", p, "enc.", TORCH_GATES["lstm"])
        ours, (h, C) = lstm_encoder(p, "enc.", xs, x_mask)
        theirs, (th, tC) = module(packed)
        finals = [(h, th[0]), (C, tC[0])]
    else:
        module = torch.nn.GRU(E, H, bidirectional=True).double()
        load_direction(module, "", p, "enc.fwd.", TORCH_GATES["gru"])
        load_direction(module, "_reverse", p, "enc.bwd.", TORCH_GATES["gru"])
        fwd, h = gru_encoder(p, "enc.fwd.", xs, x_mask)
        bwd, hb = gru_encoder(p, "enc.bwd.", xs, x_mask, reverse=True)
        ours = torch.cat([fwd, bwd], 2)
        theirs, th = module(packed)
        # The backward direction's final state is its output at step 0.
        finals = [(h, th[0]), (hb, th[1]), (hb, bwd[0])]
    theirs, _ = torch.nn.utils.rnn.pad_packed_sequence(
        theirs, total_length=x.shape[0])
    checks = [(ours * x_mask[:, :, None], theirs)] + finals
    for k, (a, b) in enumerate(checks):
        err = max_error(a.detach(), b.detach())
        assert err <= MODULE_TOLERANCE, \
            "%s: the encoder and PyTorch's module differ by %g (check %d)" % (
                name, err, k)


#===------------------------------------------------------------------------===#
# The cases
#===------------------------------------------------------------------------===#


def mask_of(lengths):
    T = max(lengths)
    return torch.tensor([[1.0 if t < n else 0.0 for n in lengths]
                         for t in range(T)], dtype=torch.float32)


def make_case(model, suffix, source_lengths, target_lengths):
    name = "%s_%s" % (model, suffix)
    gen = Gen(name)
    params = {}
    for pname, shape in MODELS[model]:
        params[pname] = (gen.normal(shape) if pname.endswith(".table")
                         else gen.uniform(shape, SCALE))
    x_mask, y_mask = mask_of(source_lengths), mask_of(target_lengths)
    x = gen.tokens(x_mask.shape, S)
    y_in = gen.tokens(y_mask.shape, V)
    y = gen.tokens(y_mask.shape, V)

    p = {k: v.double().requires_grad_(True) for k, v in params.items()}
    check_encoder(model, p, x, x_mask.double(), name)
    logp, loss = model_loss(model, p, x, y_in, y, x_mask.double(),
                            y_mask.double())
    grads = torch.autograd.grad(loss, list(p.values()))

    tensors = dict(params)
    tensors.update(x=x, y_in=y_in, y=y, x_mask=x_mask, y_in_mask=y_mask,
                   out=(logp * y_mask.double()[:, :, None]).detach(),
                   loss=loss.detach())
    for k, g in zip(p, grads):
        tensors["grad/" + k] = g.detach()
    return name, case_tensors(name, tensors)


def main():
    tensors, names = {}, []
    for model in MODELS:
        for suffix, source_lengths, target_lengths in CASES:
            name, case = make_case(model, suffix, source_lengths,
                                   target_lengths)
            names.append(name)
            tensors.update(case)
    write_goldens(OUTPUT, tensors, names, "make_attention_goldens.py")


if __name__ == "__main__":
    main()
