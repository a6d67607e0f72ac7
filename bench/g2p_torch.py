#!/usr/bin/python3
"""PyTorch baseline of examples/g2p.seq: spelling -> pronunciation, an LSTM encoder-decoder with attention.

  /usr/bin/python3 bench/g2p_torch.py [--seed 1] [--epochs 3] [--limit N] [--threads N] [--quiet]
  /usr/bin/python3 bench/g2p_torch.py --check     # batched model against a naive per-instance loop
  /usr/bin/python3 bench/g2p_torch.py --bench-steps S --train-file data/dates/train.tsv \
      --target-unit char --embed 32 --hidden 128 [--threads K]   # scripts/bench.sh, case ATTN

data/cmudict/{train,valid,test}.tsv (--data DIR), `word<TAB>PH1 PH2 ...`
read as pairs(source_unit = "char", target_unit = "word"): the source is
the word's bytes, the target its phonemes. Each side has its own vocabulary
from the training pairs: <pad> 0, <unk> 1, <s> 2, </s> 3, then the units by
decreasing count, ties by their bytes. Decoder input y_in = <s> u1 .. un,
prediction y = u1 .. un </s>.

Model (std.cells' LSTM as nn.LSTM, gates i, f, Ct, g; forget bias 1;
Glorot per gate matrix; h and C start at 0; padded steps keep the state):
  hs = LSTM_enc(Embedding(S, 64)(x))                    [Ts, H = 128]
  hd = LSTM_dec(Embedding(V, 64)(y_in)), h0 = hs at the last real source
       step, C0 = 0                                     [Ty, H]
  w_ij = softmax_j(hd_i . hs_j) over the real source steps (Luong dot)
  c_i = sum_j w_ij hs_j;  out_i = log_softmax(Linear(2H, V)(concat(c_i, hd_i)))
Loss nll summed over the real target steps, averaged over the instances.
Adam lr 3e-3, clip_norm 5, batch 64 bucketed by source length, 3 epochs
(bench/seqdata.py has the shared rules). After training, greedy decoding of
the test split (from <s>, argmax fed back, at most 2 n + 5 steps for a
source of n units, the output ends before the first </s>), compared in ids
as seqc's DecodeScores does: test_wer = share of words whose phoneme
sequence is not exactly the reference, test_per = total Levenshtein
distance / total reference phonemes.

--threads sets torch.set_num_threads only; set OMP_NUM_THREADS and
OPENBLAS_NUM_THREADS to the same number in the environment (bench/README.md).
Last line:
  RESULT valid_loss=... train_loss=... seconds=... ... test_wer=... test_per=...

--train-file FILE reads the training pairs from FILE instead of DIR/train.tsv;
--target-unit char reads the target byte by byte (pairs(unit = "char"), as
examples/dates.seq) instead of splitting it at whitespace.

--bench-steps S (the PyTorch side of scripts/bench.sh's case ATTN): only the
training pairs are read; S training steps on the bucketed batches above, each
timed alone (forward, loss, backward, clipping, Adam and loss.item(), as
bench/lstm_torch.py; the batch's padded tensors are built before the clock
starts), the first 2 left out; --max-seconds T stops once the timed steps
took T seconds (after at least 3 of them). No validation, no decoding. Last line:
  TORCH steps=S timed=S-2 median_step_ms=.. mean_step_ms=.. min_step_ms=..
        peak_rss_mb=.. threads=K vocab=V source_vocab=S last_loss=.. blas=.. torch=..
"""
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import seqdata

START, END = 2, 3
BENCH_WARMUP = 2  # --bench-steps: the first steps left out, as bench/lstm_torch.py


# --- data ---------------------------------------------------------------------

class PairVocab(seqdata.Vocab):
    """seqdata.Vocab with <s> = 2 and </s> = 3 reserved as well."""

    def __init__(self, counts):
        super().__init__(counts)
        self.units[2:2] = [b"<s>", b"</s>"]
        self.index = {u: i + 2 for u, i in self.index.items()}


def read_pairs(file, target_unit="word"):
    """source<TAB>target lines -> [(bytes units, target units)]: the target
    split at whitespace (word) or byte by byte (char, after trimming spaces
    at both ends, as the source); blank lines skipped."""
    pairs = []
    for line in seqdata.read_bytes(file).replace(b"\r\n", b"\n").split(b"\n"):
        if not line.strip(b" \t"):
            continue
        src, tgt = line.split(b"\t")
        src = src.strip(b" ")
        pairs.append(([src[i:i + 1] for i in range(len(src))],
                      seqdata.split_units(tgt.strip(b" "), target_unit)))
    return pairs


def encode(pairs, sv, tv):
    """-> (sources, y_in, y): lists of 1-D id tensors."""
    x = [torch.tensor(sv.ids(s), dtype=torch.long) for s, _ in pairs]
    t = [tv.ids(u) for _, u in pairs]
    return (x, [torch.tensor([START] + i, dtype=torch.long) for i in t],
            [torch.tensor(i + [END], dtype=torch.long) for i in t])


# --- model --------------------------------------------------------------------

class G2P(torch.nn.Module):
    def __init__(self, S, V, embed, hidden):
        super().__init__()
        self.src_embed = torch.nn.Embedding(S, embed)
        self.tgt_embed = torch.nn.Embedding(V, embed)
        self.encoder = torch.nn.LSTM(embed, hidden)
        self.decoder = torch.nn.LSTM(embed, hidden)
        self.head = torch.nn.Linear(2 * hidden, V)
        for e in (self.src_embed, self.tgt_embed):
            seqdata.init_embedding(e)
        for r in (self.encoder, self.decoder):
            seqdata.init_rnn(r, forget_bias=1.0)
        seqdata.init_linear(self.head)

    def encode(self, x, xl):
        """x [Ts, N] padded, xl lengths -> hs [N, Ts, H] (0 at padding), the
        final (h, C) at each instance's last real step, the padding mask."""
        out, state = self.encoder(pack_padded_sequence(self.src_embed(x), xl, enforce_sorted=False))
        hs, _ = pad_packed_sequence(out, total_length=x.shape[0])
        pad = torch.arange(x.shape[0])[None, :] >= xl[:, None]  # [N, Ts]
        return hs.transpose(0, 1), state, pad

    def attend(self, hd, hs, pad):
        """hd [N, Ty, H] -> log-probabilities [N, Ty, V] and the weights [N, Ty, Ts]."""
        scores = torch.bmm(hd, hs.transpose(1, 2)).masked_fill(pad[:, None, :], float("-inf"))
        w = torch.softmax(scores, dim=-1)
        u = torch.cat([torch.bmm(w, hs), hd], dim=-1)  # context first
        return F.log_softmax(self.head(u), dim=-1), w

    def forward(self, x, xl, y_in, yl):
        hs, (h, _), pad = self.encode(x, xl)
        start = (h, torch.zeros_like(h))  # decoder: the encoder's final h, C = 0
        out, _ = self.decoder(pack_padded_sequence(self.tgt_embed(y_in), yl, enforce_sorted=False), start)
        hd, _ = pad_packed_sequence(out, total_length=y_in.shape[0])
        return self.attend(hd.transpose(0, 1), hs, pad)[0]

    @torch.no_grad()
    def greedy(self, x, xl):
        """Greedy decoding of a batch -> one list of ids per instance."""
        hs, (h, _), pad = self.encode(x, xl)
        state = (h, torch.zeros_like(h))
        N, limit = x.shape[1], 2 * xl + 5
        tok = torch.full((N,), START, dtype=torch.long)
        done = torch.zeros(N, dtype=torch.bool)
        steps = []
        for t in range(int(limit.max())):
            out, state = self.decoder(self.tgt_embed(tok)[None], state)
            tok = self.attend(out.transpose(0, 1), hs, pad)[0][:, 0].argmax(dim=-1)
            steps.append(tok)
            done |= (tok == END) | (t + 1 >= limit)
            if done.all():
                break
        result = []
        for n, ids in enumerate(torch.stack(steps, dim=1).tolist()):
            ids = ids[:int(limit[n])]
            result.append(ids[:ids.index(END)] if END in ids else ids)
        return result


def pad_batch(x, y_in, y):
    """-> (xp, xl, yi, yl, yo): the padded time-major id tensors and lengths."""
    xp, xl = seqdata.pad(x)
    yi, yl = seqdata.pad(y_in)
    yo, _ = seqdata.pad(y)
    return xp, xl, yi, yl, yo


def padded_loss(model, xp, xl, yi, yl, yo):
    """nll summed over each instance's real target steps, mean over the batch."""
    logp = model(xp, xl, yi, yl)                                # [N, Ty, V]
    nll = -logp.gather(2, yo.t()[:, :, None])[:, :, 0]          # padding: y = <pad>
    return nll.masked_fill(yo.t() == seqdata.PAD, 0.0).sum() / xp.shape[1]


def batch_loss(model, x, y_in, y):
    return padded_loss(model, *pad_batch(x, y_in, y))


def levenshtein(a, b):
    row = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        diag, row[0] = row[0], i
        for j in range(1, len(b) + 1):
            diag, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1]))
    return row[len(b)]


def decode_scores(model, x, y, batch=256):
    """(wer, per) of greedy decoding against the references y (ids, </s> last)."""
    order = sorted(range(len(x)), key=lambda i: x[i].numel())
    wrong = edits = phonemes = 0
    for s in range(0, len(order), batch):
        idx = order[s:s + batch]
        for i, out in zip(idx, model.greedy(*seqdata.pad([x[i] for i in idx]))):
            ref = y[i][:-1].tolist()
            wrong += out != ref
            edits += levenshtein(out, ref)
            phonemes += len(ref)
    return wrong / len(x), edits / phonemes


# --- self-check -----------------------------------------------------------------

def naive_lstm(rnn, xs, h, C):
    """std.cells' LSTM written out step by step over one instance's real steps."""
    Ui, Uf, Uc, Ug = rnn.weight_ih_l0.chunk(4)  # PyTorch's order i, f, g, o = i, f, Ct, g
    Wi, Wf, Wc, Wg = rnn.weight_hh_l0.chunk(4)
    bi, bf, bc, bg = (rnn.bias_ih_l0 + rnn.bias_hh_l0).chunk(4)
    hs = []
    for x in xs:
        i = torch.sigmoid(Wi @ h + Ui @ x + bi)
        f = torch.sigmoid(Wf @ h + Uf @ x + bf)
        g = torch.sigmoid(Wg @ h + Ug @ x + bg)
        Ct = torch.tanh(Wc @ h + Uc @ x + bc)
        C = f * C + i * Ct
        h = g * torch.tanh(C)
        hs.append(h)
    return hs, h, C


def naive_logp(model, x, y_in):
    """One instance, no padding anywhere: [len(y_in), V] log-probabilities."""
    H = model.encoder.hidden_size
    zero = torch.zeros(H, dtype=torch.float64)
    hs, h, _ = naive_lstm(model.encoder, model.src_embed(x), zero, zero)
    hd, _, _ = naive_lstm(model.decoder, model.tgt_embed(y_in), h, zero)
    rows = []
    for d in hd:
        w = torch.softmax(torch.stack([d @ s for s in hs]), dim=0)
        c = sum(wj * s for wj, s in zip(w, hs))
        rows.append(F.log_softmax(model.head(torch.cat([c, d])), dim=0))
    return torch.stack(rows)


def check():
    """Batched loss, gradients and greedy decoding against naive_logp."""
    torch.manual_seed(0)
    S, V, N = 9, 11, 6
    model = G2P(S, V, 5, 7).double()
    xl, yl = [3, 7, 1, 5, 7, 2], [4, 1, 6, 3, 2, 5]
    x = [torch.randint(4, S, (n,)) for n in xl]
    t = [torch.randint(4, V, (n,)).tolist() for n in yl]
    y_in = [torch.tensor([START] + i) for i in t]
    y = [torch.tensor(i + [END]) for i in t]

    named = [(k, p) for k, p in model.named_parameters() if p.requires_grad]  # bias_hh is fixed at 0
    params = [p for _, p in named]
    batched = batch_loss(model, x, y_in, y)
    g_batched = torch.autograd.grad(batched, params, allow_unused=True)
    naive = sum(-naive_logp(model, x[n], y_in[n]).gather(1, y[n][:, None]).sum() for n in range(N)) / N
    g_naive = torch.autograd.grad(naive, params, allow_unused=True)
    assert torch.allclose(batched, naive, rtol=1e-10), (batched.item(), naive.item())
    for (name, _), a, b in zip(named, g_batched, g_naive):
        if a is not None or b is not None:
            assert torch.allclose(a, b, rtol=1e-8, atol=1e-12), name

    # Greedy: the batch against one instance at a time, feeding back argmax naively.
    with torch.no_grad():
        batched_out = model.greedy(*seqdata.pad(x))
        for n in range(N):
            ids = [START]
            for _ in range(2 * xl[n] + 5):
                ids.append(int(naive_logp(model, x[n], torch.tensor(ids))[-1].argmax()))
                if ids[-1] == END:
                    break
            out = ids[1:-1] if ids[-1] == END else ids[1:]
            assert batched_out[n] == out, (n, batched_out[n], out)
    print(f"check ok: loss {batched.item():.10f} (batched) = {naive.item():.10f} (per instance), "
          f"gradients of {sum(a is not None for a in g_batched)} parameters and greedy decoding agree")


# --- training-step bench (scripts/bench.sh, case ATTN) ---------------------------

def bench(args, model, x, y_in, y, vocab, source_vocab):
    """Times int(args.bench_steps) training steps as bench/lstm_torch.py does."""
    steps, max_seconds = int(args.bench_steps), float(args.max_seconds)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
    gen = torch.Generator().manual_seed(args.seed)
    lengths = [s.numel() for s in x]

    def batches():  # the epochs' bucketed batches, one after the other
        while True:
            yield from seqdata.bucket_batches(lengths, args.batch, gen)

    plan = batches()
    times, loss_value = [], float("nan")
    model.train()
    for _ in range(steps):
        idx = next(plan)
        padded = pad_batch([x[i] for i in idx], [y_in[i] for i in idx], [y[i] for i in idx])
        start = time.perf_counter()
        loss = padded_loss(model, *padded)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if args.clip_norm > 0:
            torch.nn.utils.clip_grad_norm_(params, args.clip_norm)
        opt.step()
        loss_value = loss.item()
        times.append(time.perf_counter() - start)
        if (max_seconds > 0 and len(times) >= BENCH_WARMUP + 3
                and sum(times[BENCH_WARMUP:]) > max_seconds):
            break
    timed = [t * 1e3 for t in times[BENCH_WARMUP:]]
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"TORCH steps={len(times)} timed={len(timed)} "
          f"median_step_ms={statistics.median(timed):.4f} "
          f"mean_step_ms={statistics.fmean(timed):.4f} min_step_ms={min(timed):.4f} "
          f"peak_rss_mb={rss_mb:.1f} threads={torch.get_num_threads()} vocab={vocab} "
          f"source_vocab={source_vocab} last_loss={loss_value:.4f} "
          f"blas={seqdata.blas_library()} torch={torch.__version__}", flush=True)


# --- main -----------------------------------------------------------------------

def main():
    if "--check" in sys.argv[1:]:
        return check()
    args = seqdata.arguments(__doc__.splitlines()[0], seed=1, epochs=3, batch=64, lr=3e-3,
                             clip_norm=5.0, hidden=128, embed=64,
                             extra={"--data": "data/cmudict", "--limit": 0,
                                    "--train-file": "", "--target-unit": "word",
                                    "--bench-steps": 0, "--max-seconds": 0})
    if args.target_unit not in ("char", "word"):
        sys.exit(f"--target-unit: char or word, not {args.target_unit!r}")
    if int(args.bench_steps) and int(args.bench_steps) <= BENCH_WARMUP:
        sys.exit(f"--bench-steps must be more than the {BENCH_WARMUP} warm-up steps")
    data = seqdata.path(args.data)
    train = read_pairs(args.train_file or os.path.join(data, "train.tsv"), args.target_unit)
    if int(args.limit) > 0:
        train = train[:int(args.limit)]
    sv = PairVocab(seqdata.count_units(s for s, _ in train))
    tv = PairVocab(seqdata.count_units(t for _, t in train))
    xt, yit, yt = encode(train, sv, tv)
    model = G2P(len(sv), len(tv), args.embed, args.hidden)
    if int(args.bench_steps):
        return bench(args, model, xt, yit, yt, len(tv), len(sv))
    valid = read_pairs(os.path.join(data, "valid.tsv"), args.target_unit)
    test = read_pairs(os.path.join(data, "test.tsv"), args.target_unit)
    xv, yiv, yv = encode(valid, sv, tv)
    xs, _, ys = encode(test, sv, tv)

    lengths = [s.numel() for s in xt]
    order_v = sorted(range(len(xv)), key=lambda i: xv[i].numel())
    eval_batches = [order_v[s:s + 256] for s in range(0, len(order_v), 256)]
    marks = []  # (start, end) of each epoch's training steps

    def batches(gen):
        marks.append([time.perf_counter(), None])
        return seqdata.bucket_batches(lengths, args.batch, gen)

    def step_loss(idx):
        return batch_loss(model, [xt[i] for i in idx], [yit[i] for i in idx], [yt[i] for i in idx])

    def evaluate():
        marks[-1][1] = time.perf_counter()
        total = sum(batch_loss(model, [xv[i] for i in b], [yiv[i] for i in b], [yv[i] for i in b]).item()
                    * len(b) for b in eval_batches)
        return {"loss": total / len(xv)}

    out = seqdata.fit(args, model, batches, step_loss, evaluate)
    model.eval()
    t0 = time.perf_counter()
    wer, per = decode_scores(model, xs, ys)
    decode_seconds = time.perf_counter() - t0
    epoch_seconds = [b - a for a, b in marks]
    if not args.quiet:
        print("train seconds per epoch: " + " ".join(f"{s:.1f}" for s in epoch_seconds))
    unk = lambda seqs: sum(int((s == seqdata.UNK).sum()) for s in seqs)
    seqdata.report(args, out, [], test_wer=f"{wer:.4f}", test_per=f"{per:.4f}",
                   epoch_seconds=f"{sum(epoch_seconds) / len(epoch_seconds):.2f}",
                   decode_seconds=f"{decode_seconds:.2f}", source_vocab=len(sv), target_vocab=len(tv),
                   train_n=len(xt), valid_n=len(xv), test_n=len(xs),
                   max_source=max(lengths), max_target=max(s.numel() for s in yt) - 1,
                   test_unk_source=unk(xs), test_unk_target=unk(ys))


if __name__ == "__main__":
    main()
