"""Shared pieces of the sequence-model baselines (charlm, names, spam, births).

What the data sources `text`, `sequences` and `series` of a seqc train block
mean, written out in PyTorch so that seqc and PyTorch train on the same
instances (bench/README.md, "Sequence models", lists the same rules):

Units (text, sequences). A file is read as BYTES, never decoded.
- unit = "char": one unit per byte of the UTF-8 file (an em dash, U+2014,
  is three units E2 80 94).
- unit = "word": the maximal runs of bytes that are not ASCII whitespace
  (space, \\t, \\n, \\v, \\f, \\r: C's isspace, Python's bytes.split()).
Vocabulary: from the training split only. Id 0 is <pad>, 1 is <unk>, then
every unit seen at least min_count times in the training split, by
decreasing count, ties by the unit's bytes (memcmp order, shorter prefix
first). Any other unit, in either split, is <unk>. V = 2 + that number.

text(file, unit, window = W, split = s): the file's units u[0..n-1]; the
first floor(s * n + 1e-9) units are the training text, the rest the validation
text (cut by position). Each part on its own is cut into windows
x = u[i .. i+W-1], y = u[i+1 .. i+W] for i = 0, W, 2W, ... while i + W
< the part's length: floor((m - 1) / W) windows for a part of m units; the
tail (fewer than W + 1 units left) is dropped. A window never crosses the
split point.

sequences(train = a.tsv, valid = b.tsv, unit, max_len, min_count): a TSV
file with a header line `label<TAB>text`, one instance a line (lines end in
\\n; the text is everything after the first TAB, unescaped: \\\\ -> \\,
\\t -> TAB, \\n -> LF, \\r -> CR). Classes: the distinct labels of the
training file in byte order (numeric order if every label is a number), ids
0..C-1. Texts longer than max_len units are
cut to their first max_len units (0: no limit); the vocabulary counts the
units after the cut. Batches pad to the longest member; padded steps change
no state (packed sequences).

series(csv, features, target, window = W, split = s, standardize): the
table in row order; the first floor(s * rows + 1e-9) rows train, the rest
validate. Every feature and target column is standardized with the mean and
the population standard deviation (ddof 0) of the training rows (std 0:
only centered). In each part of m rows, x[t] = features of row t and
y[t] = targets of row t + 1 for t = 0 .. m - 2, cut into windows of W steps
with stride W; the tail (fewer than W steps) is dropped: floor((m - 1) / W)
windows.

Training (fit below): Adam (betas 0.9, 0.999, eps 1e-8), the gradient
clipped to global norm clip_norm before each step. Fixed-length instances
(text, series): each epoch a seeded random permutation, batches of `batch`,
the last one smaller. Variable-length instances (sequences): bucketed, see
bucket_batches. The loss of a batch is the mean over its instances of the
per-instance loss (for seq outputs the sum over the steps). Per epoch the
validation split is evaluated (included in `seconds`, as seqc's trainer
does).
"""

import argparse
import math
import os
import time

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAD, UNK = 0, 1


def path(p):
    return p if os.path.isabs(p) else os.path.join(ROOT, p)


def read_bytes(p):
    p = path(p)
    if not os.path.exists(p):
        raise SystemExit(f"{p}: not found; run scripts/fetch-data.sh first")
    with open(p, "rb") as f:
        return f.read()


def train_count(split, count):
    """The units/rows that train when `split` cuts `count` by position."""
    return math.floor(split * count + 1e-9)


# --- units and vocabulary ---------------------------------------------------

def split_units(data, unit):
    """bytes -> list of units (each a bytes object)."""
    if unit == "char":
        return [data[i:i + 1] for i in range(len(data))]
    if unit == "word":
        return data.split()  # ASCII whitespace runs, no empty words
    raise ValueError(f"unknown unit {unit!r}")


class Vocab:
    """<pad> = 0, <unk> = 1, then units by decreasing count, ties by bytes."""

    def __init__(self, counts, min_count=1):
        kept = [(u, c) for u, c in counts.items() if c >= min_count]
        kept.sort(key=lambda uc: (-uc[1], uc[0]))
        self.units = [b"<pad>", b"<unk>"] + [u for u, _ in kept]
        self.index = {u: i + 2 for i, (u, _) in enumerate(kept)}

    def __len__(self):
        return len(self.units)

    def ids(self, units):
        get = self.index.get
        return [get(u, UNK) for u in units]


def count_units(seqs):
    counts = {}
    for s in seqs:
        for u in s:
            counts[u] = counts.get(u, 0) + 1
    return counts


# --- text ---------------------------------------------------------------------

def windows(ids, window):
    """ids: 1-D int64 tensor -> (x, y) [n_windows, window]; the tail is dropped."""
    n = (ids.numel() - 1) // window
    x = ids[:n * window].view(n, window)
    y = ids[1:n * window + 1].view(n, window)
    return x, y


def load_text(file, unit="char", window=64, split=0.9, min_count=1):
    """text(...): (x_train, y_train, x_valid, y_valid, vocab)."""
    data = read_bytes(file)
    if unit == "char":
        arr = np.frombuffer(data, dtype=np.uint8)
        cut = train_count(split, arr.size)
        train_counts = np.bincount(arr[:cut], minlength=256)
        vocab = Vocab({bytes([b]): int(c) for b, c in enumerate(train_counts) if c > 0}, min_count)
        table = np.full(256, UNK, dtype=np.int64)
        for u, i in vocab.index.items():
            table[u[0]] = i
        ids = torch.from_numpy(table[arr])
        train_ids, valid_ids = ids[:cut], ids[cut:]
    else:
        units = split_units(data, unit)
        cut = train_count(split, len(units))
        vocab = Vocab(count_units([units[:cut]]), min_count)
        train_ids = torch.tensor(vocab.ids(units[:cut]), dtype=torch.long)
        valid_ids = torch.tensor(vocab.ids(units[cut:]), dtype=torch.long)
    xt, yt = windows(train_ids, window)
    xv, yv = windows(valid_ids, window)
    return xt, yt, xv, yv, vocab


# --- sequences ----------------------------------------------------------------

_ESCAPES = {ord("\\"): b"\\", ord("t"): b"\t", ord("n"): b"\n", ord("r"): b"\r"}


def unescape(text):
    if b"\\" not in text:
        return text
    out, i = bytearray(), 0
    while True:
        j = text.find(b"\\", i)
        if j < 0:
            out += text[i:]
            return bytes(out)
        out += text[i:j]
        if j + 1 >= len(text) or text[j + 1] not in _ESCAPES:
            raise ValueError(f"bad escape at byte {j}: {text[j:j + 2]!r}")
        out += _ESCAPES[text[j + 1]]
        i = j + 2


def read_tsv(file):
    """label<TAB>text lines after the header -> (labels, texts) as bytes."""
    lines = read_bytes(file).split(b"\n")
    if lines[0] != b"label\ttext":
        raise SystemExit(f"{file}: expected the header 'label<TAB>text', got {lines[0][:40]!r}")
    if lines[-1] == b"":
        lines.pop()
    labels, texts = [], []
    for k, line in enumerate(lines[1:], start=2):
        tab = line.find(b"\t")
        if tab < 0:
            raise SystemExit(f"{file}:{k}: no TAB")
        labels.append(line[:tab])
        texts.append(unescape(line[tab + 1:]))
    return labels, texts


def _number(label):
    try:
        float(label)
        return True
    except ValueError:
        return False


def load_sequences(train, valid, unit="char", max_len=0, min_count=1):
    """sequences(...): (train, valid, vocab, classes); train/valid = (list of
    1-D id tensors, label tensor)."""
    lt, tt = read_tsv(train)
    lv, tv = read_tsv(valid)
    classes = sorted(set(lt))
    if all(_number(c) for c in classes):  # numeric labels in numeric order
        classes.sort(key=float)
    unseen = set(lv) - set(classes)
    if unseen:
        raise SystemExit(f"{valid}: labels not in the training split: {sorted(unseen)}")
    cls = {c: i for i, c in enumerate(classes)}

    def cut(texts):
        seqs = [split_units(t, unit) for t in texts]
        return [s[:max_len] for s in seqs] if max_len > 0 else seqs

    st, sv = cut(tt), cut(tv)
    for name, seqs in (("train", st), ("valid", sv)):
        empty = sum(1 for s in seqs if not s)
        if empty:
            raise SystemExit(f"{name}: {empty} texts without a unit")
    vocab = Vocab(count_units(st), min_count)

    def encode(seqs, labels):
        return ([torch.tensor(vocab.ids(s), dtype=torch.long) for s in seqs],
                torch.tensor([cls[l] for l in labels], dtype=torch.long))

    return encode(st, lt), encode(sv, lv), vocab, [c.decode() for c in classes]


def bucket_batches(lengths, batch, gen, chunk=50):
    """One epoch's batches of variable-length instances, as seqc's runtime
    forms them: a seeded random permutation of the instances; each run of
    chunk * batch consecutive instances of it (the last run shorter) is
    sorted by length (ascending, stable) and cut into batches of `batch`
    (a run's last batch may be smaller); then the order of all batches is
    shuffled."""
    order = torch.randperm(len(lengths), generator=gen).tolist()
    span = chunk * batch
    out = []
    for s in range(0, len(order), span):
        part = sorted(order[s:s + span], key=lambda i: lengths[i])
        out += [part[k:k + batch] for k in range(0, len(part), batch)]
    perm = torch.randperm(len(out), generator=gen).tolist()
    return [out[p] for p in perm]


def pad(seqs):
    """list of 1-D id tensors -> (ids [T, N] time-major padded with 0, lengths)."""
    lengths = torch.tensor([s.numel() for s in seqs], dtype=torch.long)
    return torch.nn.utils.rnn.pad_sequence(seqs, padding_value=PAD), lengths


# --- series -------------------------------------------------------------------

def load_series(file, features, target, window, split=0.8, standardize=True):
    """series(...): (x_train, y_train, x_valid, y_valid, info) with
    x [windows, W, F], y [windows, W, K] float32."""
    lines = read_bytes(file).decode().strip("\n").split("\n")
    header = lines[0].split(",")
    table = np.array([[float(c) for c in l.split(",")] for l in lines[1:]], dtype=np.float64)
    fi = [header.index(f) for f in features]
    ti = [header.index(t) for t in target]
    rows = table.shape[0]
    cut = train_count(split, rows)
    info = {"rows": rows, "train_rows": cut}
    if standardize:
        mean = table[:cut].mean(axis=0)
        std = table[:cut].std(axis=0)  # ddof 0
        std[std == 0] = 1.0
        table = (table - mean) / std
        info["mean"], info["std"] = mean, std

    def part(t):
        n = (t.shape[0] - 1) // window
        x = t[:n * window, fi].reshape(n, window, len(fi))
        y = t[1:n * window + 1, ti].reshape(n, window, len(ti))
        return torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)

    xt, yt = part(table[:cut])
    xv, yv = part(table[cut:])
    return xt, yt, xv, yv, info


# --- initialization -----------------------------------------------------------

def glorot_(w):
    fan_out, fan_in = w.shape
    a = math.sqrt(6.0 / (fan_in + fan_out))
    with torch.no_grad():
        w.uniform_(-a, a)


def init_linear(m):
    glorot_(m.weight)
    torch.nn.init.zeros_(m.bias)


def init_rnn(rnn, forget_bias=None):
    """nn.LSTM / nn.GRU as seqc's std.cells: one Glorot-uniform matrix per
    gate ([H, P] input, [H, H] recurrent, fans of that gate's own matrix),
    one trainable bias per gate (bias_ih; zero except the LSTM forget gate,
    PyTorch's gate 1, at forget_bias), bias_hh fixed at 0 (not trained).

    nn.LSTM gates i, f, g, o are seqc's i, f, Ct (candidate), g (output).
    nn.GRU: n = tanh(W_in x + b_in + r * (W_hn h)) with b_hn = 0, seqc's
    PyTorch-form GRU; its h = (1 - z) n + z h is seqc's with z -> 1 - z,
    which the symmetric initialization leaves in distribution."""
    H = rnn.hidden_size
    for name, p in rnn.named_parameters():
        if name.startswith("weight_"):
            for g in range(p.shape[0] // H):
                glorot_(p.data[g * H:(g + 1) * H])
        elif name.startswith("bias_ih"):
            torch.nn.init.zeros_(p)
            if forget_bias is not None:
                with torch.no_grad():
                    p[H:2 * H] = forget_bias
        elif name.startswith("bias_hh"):
            torch.nn.init.zeros_(p)
            p.requires_grad_(False)


def init_embedding(m):
    torch.nn.init.normal_(m.weight, 0.0, 1.0)


# --- the host -----------------------------------------------------------------

def blas_library():
    """The BLAS library this process mapped (Debian's torch calls whatever
    libblas.so.3 resolves to: OpenBLAS or the reference BLAS)."""
    torch.ones(64, 64) @ torch.ones(64, 64)
    found = []
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            name = os.path.basename(path)
            if ("blas" in name or "mkl" in name) and path not in found:
                found.append(path)
    if not found:
        return "unknown"
    return ",".join(os.path.join(os.path.basename(os.path.dirname(p)), os.path.basename(p))
                    for p in found)


# --- command line and training loop -------------------------------------------

def arguments(description, **defaults):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--seed", type=int, default=defaults["seed"])
    p.add_argument("--epochs", type=int, default=defaults["epochs"])
    p.add_argument("--batch", type=int, default=defaults["batch"])
    p.add_argument("--lr", type=float, default=defaults["lr"])
    p.add_argument("--clip-norm", type=float, default=defaults["clip_norm"])
    p.add_argument("--hidden", type=int, default=defaults["hidden"])
    if "embed" in defaults:
        p.add_argument("--embed", type=int, default=defaults["embed"])
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1, as seqc)")
    p.add_argument("--budget", type=float, default=0.0,
                   help="stop training once the training loop has run this many seconds "
                        "(checked after each step), then evaluate; 0: no limit")
    p.add_argument("--quiet", action="store_true", help="print only the RESULT line")
    for flag, default in defaults.get("extra", {}).items():
        p.add_argument(flag, default=default)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    return args


def fit(args, model, batches, step_loss, evaluate):
    """The training loop.

    batches(gen) -> the epoch's list of batches (lists of instance indices);
    step_loss(idx) -> the batch loss (mean over the batch's instances);
    evaluate() -> dict with "loss" and the metrics on the validation split.
    Returns a dict for the RESULT line."""
    gen = torch.Generator().manual_seed(args.seed)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
    steps, step_seconds, stopped = 0, 0.0, False
    valid, train_loss, epochs_run = None, float("nan"), 0.0
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        model.train()
        plan = batches(gen)
        total, seen = 0.0, 0
        t0 = time.perf_counter()
        for k, idx in enumerate(plan):
            loss = step_loss(idx)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if args.clip_norm > 0:
                torch.nn.utils.clip_grad_norm_(params, args.clip_norm)
            opt.step()
            total += loss.item() * len(idx)
            seen += len(idx)
            steps += 1
            if args.budget > 0 and time.perf_counter() - start > args.budget:
                stopped = True
                break
        step_seconds += time.perf_counter() - t0
        epochs_run += (k + 1) / len(plan)
        train_loss = total / seen
        model.eval()
        with torch.no_grad():
            valid = evaluate()
        if not args.quiet:
            print(f"epoch {epoch:3d}  step {steps}  train_loss {train_loss:.6f}  "
                  + "  ".join(f"valid_{k} {v:.6f}" for k, v in valid.items())
                  + f"  ({time.perf_counter() - start:.1f} s)", flush=True)
        if stopped:
            break
    seconds = time.perf_counter() - start
    return {"valid": valid, "train_loss": train_loss, "seconds": seconds,
            "step_seconds": step_seconds, "steps": steps, "epochs_run": epochs_run,
            "stopped": stopped}


def report(args, out, metrics, **settings):
    """Prints the RESULT line: metrics, losses, times, settings."""
    v = out["valid"]
    fields = [f"valid_{m}={v[m]:.4f}" for m in metrics]
    fields += [f"valid_loss={v['loss']:.6f}", f"train_loss={out['train_loss']:.6f}",
               f"seconds={out['seconds']:.2f}", f"step_seconds={out['step_seconds']:.2f}",
               f"steps={out['steps']}", f"epochs_run={out['epochs_run']:.3f}",
               f"seed={args.seed}", f"epochs={args.epochs}", f"lr={args.lr:g}",
               f"batch={args.batch}", f"hidden={args.hidden}"]
    if hasattr(args, "embed"):
        fields.append(f"embed={args.embed}")
    fields += [f"{k}={val}" for k, val in settings.items()]
    fields += [f"budget={args.budget:g}", f"threads={torch.get_num_threads()}"]
    print("RESULT " + " ".join(fields), flush=True)


# --- many-to-one classification over sequences (names, spam) ----------------

def classify(args, model, train, valid, chunk=50):
    """Trains model(ids [T, N], lengths) -> log-probabilities [N, C] with nll
    (mean over the batch) on bucketed batches; metric accuracy (argmax)."""
    seqs_t, yt = train
    seqs_v, yv = valid
    lengths = [s.numel() for s in seqs_t]
    # Validation in batches of similar length (the result does not depend on it).
    order_v = sorted(range(len(seqs_v)), key=lambda i: seqs_v[i].numel())
    eval_batches = [order_v[s:s + 256] for s in range(0, len(order_v), 256)]

    def batches(gen):
        return bucket_batches(lengths, args.batch, gen, chunk)

    def step_loss(idx):
        x, n = pad([seqs_t[i] for i in idx])
        return torch.nn.functional.nll_loss(model(x, n), yt[idx])

    def evaluate():
        total, correct = 0.0, 0
        for idx in eval_batches:
            x, n = pad([seqs_v[i] for i in idx])
            logp = model(x, n)
            total += torch.nn.functional.nll_loss(logp, yv[idx], reduction="sum").item()
            correct += (logp.argmax(dim=-1) == yv[idx]).sum().item()
        return {"loss": total / len(seqs_v), "accuracy": correct / len(seqs_v)}

    return fit(args, model, batches, step_loss, evaluate)
