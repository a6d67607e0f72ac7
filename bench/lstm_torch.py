#!/usr/bin/python3
"""PyTorch side of scripts/bench.sh: times the training step of a character model.

  /usr/bin/python3 bench/lstm_torch.py --cell lstm|gru|peephole --embed E --hidden H \\
      --batch N --window T --steps S --threads K

The model of bench/models/{lstm,gru,peephole}.seq: Embedding(V, E) -> cell(E, H) ->
Linear(H, V) -> log_softmax per step; loss nll summed over the window's T steps
and averaged over the N windows of a batch; Adam lr 3e-3 (betas 0.9, 0.999, eps
1e-8), gradient clipped to global norm 5. Data, vocabulary and initialization as
bench/seqdata.py (text(data/moby-dick.txt, unit = "char", window = T, split =
0.9)); the batches are drawn like bench/charlm_torch.py (a seeded permutation of
the training windows per epoch).

  lstm      torch.nn.LSTM (one fused kernel over time)
  gru       torch.nn.GRU
  peephole  PeepholeLSTM below: the cell of bench/models/peephole.seq written as
            a module, stepped by a Python loop over time (what a user writes for
            a cell PyTorch does not have)

With --generate U (the LSTM model, batch 1, inference): the prompt "Call me"
goes through the model, then U characters are drawn one at a time, each
sampled from the last step's distribution and fed back with the LSTM's state
(what `seqc generate` does); each unit is timed, and the last line is

  TORCH generate units=U median_unit_ms=.. first_unit_ms=.. threads=K

S training steps are run (forward, backward, clipping, Adam: everything seqc's
@train_step does; fewer with --max-seconds), each timed alone; the batch's
tensors are gathered (time-major, [T, N]) before the clock starts, as seqc's
runtime assembles a batch outside @train_step. The first 2 steps are warm-up
and left out. --threads K sets OPENBLAS_NUM_THREADS, OMP_NUM_THREADS and
MKL_NUM_THREADS to K before torch is imported, and torch.set_num_threads(K).
Last line:

  TORCH steps=S timed=S-2 median_step_ms=.. mean_step_ms=.. min_step_ms=..
        peak_rss_mb=.. threads=K vocab=V last_loss=.. blas=.. torch=..
"""
import argparse
import os
import resource
import statistics
import sys
import time

WARMUP = 2


def arguments():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cell", choices=["lstm", "gru", "peephole"], default="lstm")
    p.add_argument("--embed", type=int, default=64)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--window", type=int, default=64)
    p.add_argument("--steps", type=int, default=20, help="training steps, 2 of them warm-up")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--max-seconds", type=float, default=0.0,
                   help="stop early once the timed steps took this long, after at least "
                        "3 timed steps (0: run all --steps)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--clip-norm", type=float, default=5.0)
    p.add_argument("--file", default="data/moby-dick.txt")
    p.add_argument("--split", type=float, default=0.9)
    p.add_argument("--generate", type=int, default=0, metavar="U",
                   help="time drawing U characters at batch 1 instead of training")
    p.add_argument("--info", action="store_true",
                   help="only print 'INFO torch=.. blas=.. threads=..' and exit")
    args = p.parse_args()
    if args.steps <= WARMUP:
        p.error(f"--steps must be more than the {WARMUP} warm-up steps")
    return args


ARGS = arguments()
# Before torch (and its BLAS and OpenMP runtimes) is loaded.
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seqdata  # noqa: E402


class PeepholeLSTM(torch.nn.Module):
    """bench/models/peephole.seq's cell: gates i, f, g (output), candidate Ct;
    the input and forget gates see C[t-1], the output gate C[t], through
    vectors ci, cf, cg (zero at the start). Time-major x [T, N, P] -> [T, N, H]."""

    def __init__(self, inputs, hidden):
        super().__init__()
        self.hidden_size = hidden
        # The four gates' matrices stacked: rows i, f, g, Ct (H rows each).
        self.weight_ih = torch.nn.Parameter(torch.empty(4 * hidden, inputs))
        self.weight_hh = torch.nn.Parameter(torch.empty(4 * hidden, hidden))
        self.bias = torch.nn.Parameter(torch.zeros(4 * hidden))
        self.ci = torch.nn.Parameter(torch.zeros(hidden))
        self.cf = torch.nn.Parameter(torch.zeros(hidden))
        self.cg = torch.nn.Parameter(torch.zeros(hidden))
        for w in (self.weight_ih, self.weight_hh):
            for g in range(4):
                seqdata.glorot_(w.data[g * hidden:(g + 1) * hidden])
        with torch.no_grad():
            self.bias[hidden:2 * hidden] = 1.0  # forget gate

    def forward(self, x):
        n = x.shape[1]
        h = x.new_zeros(n, self.hidden_size)
        c = x.new_zeros(n, self.hidden_size)
        outs = []
        for t in range(x.shape[0]):
            a = F.linear(x[t], self.weight_ih, self.bias) + F.linear(h, self.weight_hh)
            ai, af, ag, ac = a.chunk(4, dim=1)
            i = torch.sigmoid(ai + self.ci * c)
            f = torch.sigmoid(af + self.cf * c)
            c = f * c + i * torch.tanh(ac)
            g = torch.sigmoid(ag + self.cg * c)
            h = g * torch.tanh(c)
            outs.append(h)
        return torch.stack(outs)


class CharLM(torch.nn.Module):
    def __init__(self, cell, vocab, embed, hidden):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, embed)
        if cell == "lstm":
            self.rnn = torch.nn.LSTM(embed, hidden)
            seqdata.init_rnn(self.rnn, forget_bias=1.0)
        elif cell == "gru":
            self.rnn = torch.nn.GRU(embed, hidden)
            seqdata.init_rnn(self.rnn)
        else:
            self.rnn = PeepholeLSTM(embed, hidden)
        self.head = torch.nn.Linear(hidden, vocab)
        seqdata.init_embedding(self.embed)
        seqdata.init_linear(self.head)

    def forward(self, x):  # x: [T, N] ids -> log-probabilities [T, N, V]
        h = self.rnn(self.embed(x))
        if isinstance(h, tuple):
            h = h[0]
        return F.log_softmax(self.head(h), dim=-1)


def generate(args):
    """Draws args.generate characters at batch 1, one step of the LSTM each."""
    torch.manual_seed(args.seed)
    _, _, _, _, vocab = seqdata.load_text(args.file, "char", args.window, args.split)
    model = CharLM("lstm", len(vocab), args.embed, args.hidden).eval()
    prompt = torch.tensor([[vocab.index.get(bytes([c]), seqdata.UNK)]
                           for c in b"Call me"])  # [T, 1]
    gen = torch.Generator().manual_seed(args.seed)
    times = []
    with torch.no_grad():
        start = time.perf_counter()
        out, state = model.rnn(model.embed(prompt))
        for _ in range(args.generate):
            logp = F.log_softmax(model.head(out[-1, 0]), dim=-1)
            unit = torch.multinomial(logp.exp(), 1, generator=gen)
            now = time.perf_counter()
            times.append(now - start)
            start = now
            out, state = model.rnn(model.embed(unit.view(1, 1)), state)
    later = [t * 1e3 for t in times[1:]]
    print(f"TORCH generate units={len(times)} "
          f"median_unit_ms={statistics.median(later):.4f} "
          f"first_unit_ms={times[0] * 1e3:.4f} threads={torch.get_num_threads()}",
          flush=True)


def main():
    args = ARGS
    torch.set_num_threads(args.threads)
    if args.info:
        print(f"INFO torch={torch.__version__} blas={seqdata.blas_library()} "
              f"threads={torch.get_num_threads()}", flush=True)
        return
    if args.generate:
        generate(args)
        return
    torch.manual_seed(args.seed)
    xt, yt, _, _, vocab = seqdata.load_text(args.file, "char", args.window, args.split)
    model = CharLM(args.cell, len(vocab), args.embed, args.hidden)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=args.lr, betas=(0.9, 0.999), eps=1e-8)

    gen = torch.Generator().manual_seed(args.seed)

    def batches():  # the epochs' batches, one after the other
        while True:
            order = torch.randperm(xt.shape[0], generator=gen)
            for s in range(0, xt.shape[0], args.batch):
                yield order[s:s + args.batch]

    plan = batches()
    times, loss_value = [], float("nan")
    model.train()
    for _ in range(args.steps):
        idx = next(plan)
        x = xt[idx].t().contiguous()  # time-major [T, N]
        y = yt[idx].t().contiguous()
        start = time.perf_counter()
        logp = model(x)
        loss = F.nll_loss(logp.reshape(-1, logp.shape[-1]), y.reshape(-1),
                          reduction="sum") / x.shape[1]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if args.clip_norm > 0:
            torch.nn.utils.clip_grad_norm_(params, args.clip_norm)
        opt.step()
        loss_value = loss.item()
        times.append(time.perf_counter() - start)
        if (args.max_seconds > 0 and len(times) >= WARMUP + 3
                and sum(times[WARMUP:]) > args.max_seconds):
            break

    timed = [t * 1e3 for t in times[WARMUP:]]
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"TORCH steps={len(times)} timed={len(timed)} "
          f"median_step_ms={statistics.median(timed):.4f} "
          f"mean_step_ms={statistics.fmean(timed):.4f} min_step_ms={min(timed):.4f} "
          f"peak_rss_mb={rss_mb:.1f} threads={torch.get_num_threads()} vocab={len(vocab)} "
          f"last_loss={loss_value:.4f} blas={seqdata.blas_library()} torch={torch.__version__}",
          flush=True)


if __name__ == "__main__":
    main()
