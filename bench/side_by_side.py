#!/usr/bin/python3
"""seqc against PyTorch, side by side: the driver of scripts/bench.sh.

  scripts/bench.sh [--rounds 5] [--cases S,M1,M2,L,GRU,PEEPHOLE,ATTN,GEN] [--steps N]
                   [--threads 1,2] [--json FILE]

(bench.sh compiles the FMA probe bench/fma_peak.cpp and passes it here with
--probe, and the compiler with --seqc.) The cases of CASES are character
models of data/moby-dick.txt: Embedding(V, E) -> cell(E, H) -> Linear(H, V)
-> log_softmax, nll summed over the window's T steps and averaged over the
batch's N windows, Adam 3e-3, clip_norm 5. seqc trains bench/models/<cell>.seq
(`seqc train --max-steps --bench`), PyTorch 1.13 bench/lstm_torch.py, both
for the same number of steps on the same data. Case ATTN is an
encoder-decoder with attention on the pairs of data/dates/train.tsv
(bench/models/attention.seq against bench/g2p_torch.py --bench-steps). A round runs, per case and per
thread count, seqc then PyTorch, each in a fresh process; the report gives the
medians over the rounds of each run's median step time (the steps after 2
warm-up steps; forward, backward, clipping and Adam, without data loading,
compilation or validation). bench/README.md, "Training-step speed, side by
side", explains every column. Uses only the Python standard library (PyTorch
runs in the children).
"""
import argparse
import atexit
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = "data/moby-dick.txt"
SPLIT = 0.9
WARMUP = 2

# name: cell, E, H, N (batch), T (window), default steps per run. The steps
# keep one run's timed steps at a few seconds on a 2-core machine.
CASES = {
    "S": ("lstm", 64, 128, 32, 64, 100),
    "M1": ("lstm", 256, 256, 32, 64, 40),
    "M2": ("lstm", 512, 512, 64, 50, 10),
    "L": ("lstm", 1024, 1024, 64, 25, 6),
    "GRU": ("gru", 64, 128, 32, 64, 150),
    "PEEPHOLE": ("peephole", 64, 128, 32, 64, 100),
}
# Generation latency: bench/models/lstm.seq at S's sizes, batch 1, a
# checkpoint trained for a few steps, the prompt "Call me", then this many
# characters drawn one at a time (`seqc generate --bench`; lstm_torch.py
# --generate).
GENERATION = ("lstm", 64, 128, 500)
# The encoder-decoder (case ATTN): bench/models/attention.seq, the model of
# examples/dates.seq, on the pairs of PAIRS (dates in human formats ->
# ISO 8601, characters on both sides, bucketed batches): Embedding(S, E) ->
# LSTM(E, H) encoder; Embedding(V, E) -> DotAttentionLSTM(E, H) decoder from
# the encoder's last state; Linear(2H, V) -> log_softmax; nll summed over the
# target's steps, mean over the batch. PyTorch: bench/g2p_torch.py
# --bench-steps. cell, E, H, N (batch), default steps per run; no window T:
# a batch's steps are its pairs' source and target lengths.
ATTENTION = ("dotattn", 32, 128, 64, 80)
PAIRS = "data/dates/train.tsv"
ALL_CASES = list(CASES) + ["ATTN", "GEN"]
MODELS = {"lstm": "bench/models/lstm.seq", "gru": "bench/models/gru.seq",
          "peephole": "bench/models/peephole.seq",
          "dotattn": "bench/models/attention.seq"}
# Multiply-adds of one step of the cell per unit of H * (E + H): 4 gates
# (LSTM, peephole LSTM) or 3 (GRU), each an [H, E] and an [H, H] product;
# a training step is 2 flops per multiply-add in the forward pass and
# twice that in the backward pass (the gradients of both operands): 6 x.
GATES = {"lstm": 4, "gru": 3, "peephole": 4}
FORMULAS = [
    "LSTM, peephole LSTM: 24*T*N*H*(E+H) + 6*T*N*H*V",
    "GRU:                 18*T*N*H*(E+H) + 6*T*N*H*V",
]


ATTENTION_FORMULA = (
    "ATTN: per pair 24*H*(E+H)*(Ts+Ty) + 12*H*Ts*Ty + 12*H*V*Ty (Ts source steps, "
    "Ty = target + 1 decoder steps, real steps only), mean over the training pairs, "
    "times N")


def step_flops(cell, e, h, n, t, v):
    return 6 * GATES[cell] * t * n * h * (e + h) + 6 * t * n * h * v


def case_steps(case):
    """The default training steps per run of a case."""
    return ATTENTION[4] if case == "ATTN" else CASES[case][5]


def pairs_info(path):
    """Source and target vocabulary sizes and each training pair's (Ts, Ty)
    of pairs(train = path, unit = "char"), as seqc's runtime reads them
    (runtime/PairsData.cpp): source<TAB>target lines, blank lines skipped,
    spaces trimmed at both ends of each side, one unit per byte; each side's
    vocabulary is its distinct bytes plus <pad>, <unk>, <s>, </s>; the decoder
    runs over <s> and the target (Ty = target length + 1)."""
    with open(path, "rb") as f:
        data = f.read().replace(b"\r\n", b"\n")
    sources, targets, lengths = set(), set(), []
    for line in data.split(b"\n"):
        if not line.strip(b" \t"):
            continue
        src, _, tgt = line.partition(b"\t")
        src, tgt = src.strip(b" "), tgt.strip(b" ")
        sources.update(src)
        targets.update(tgt)
        lengths.append((len(src), len(tgt) + 1))
    return len(sources) + 4, len(targets) + 4, lengths


def attention_flops(e, h, n, v, lengths):
    """FLOPs of one training step of ATTN: the matrix products of forward and
    backward (2 per multiply-add, the backward twice the forward) over the real
    steps of a full batch of n pairs, the pairs' mean times n. Per pair: the
    encoder's and the decoder's LSTM 24*H*(E+H) per step; the attention's
    scores and context, H multiply-adds each per decoder step and source step:
    12*H*Ts*Ty; Linear(2H, V) per decoder step: 12*H*V*Ty."""
    total = sum(24 * h * (e + h) * (ts + ty) + 12 * h * ts * ty + 12 * h * v * ty
                for ts, ty in lengths)
    return n * total / len(lengths)


def log(message):
    print(message, file=sys.stderr, flush=True)


def arguments():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5, help="rounds (default 5)")
    p.add_argument("--cases", default=",".join(ALL_CASES),
                   help="comma-separated, of " + ", ".join(ALL_CASES) + " (default: all)")
    p.add_argument("--steps", type=int, default=0,
                   help="training steps per run, 2 of them warm-up (default: per case)")
    p.add_argument("--threads", default="1,2", help="thread counts (default 1,2)")
    p.add_argument("--seqc", default=os.path.join(ROOT, "build/bin/seqc"))
    p.add_argument("--python", default="/usr/bin/python3", help="the Python with torch")
    p.add_argument("--probe", default="", help="the compiled bench/fma_peak.cpp")
    p.add_argument("--torch-max-seconds", type=float, default=15.0,
                   help="cut a PyTorch run's timed steps at this many seconds (an "
                        "oversubscribed machine); 0: never")
    p.add_argument("--timeout", type=float, default=900.0,
                   help="seconds before a run is killed (default 900)")
    p.add_argument("--json", default="", help="also write every run and the summary here")
    args = p.parse_args()
    args.cases = [c.strip().upper() for c in args.cases.split(",") if c.strip()]
    unknown = [c for c in args.cases if c not in ALL_CASES]
    if unknown:
        p.error(f"unknown case(s) {', '.join(unknown)}; the cases are {', '.join(ALL_CASES)}")
    args.generation = "GEN" in args.cases
    args.cases = [c for c in args.cases if c != "GEN"]
    try:
        args.threads = sorted({int(k) for k in args.threads.split(",")})
    except ValueError:
        p.error("--threads takes a list of numbers: --threads 1,2")
    if not args.threads or min(args.threads) < 1:
        p.error("--threads takes positive numbers")
    if args.rounds < 1:
        p.error("--rounds must be at least 1")
    if args.steps and args.steps < WARMUP + 2:
        p.error(f"--steps must be at least {WARMUP + 2} ({WARMUP} are warm-up)")
    return args


# --- the host -------------------------------------------------------------------

def cpu_info():
    model, flags, cpus = "unknown", set(), 0
    with open("/proc/cpuinfo") as f:
        for line in f:
            key, _, value = line.partition(":")
            key = key.strip()
            if key == "processor":
                cpus += 1
            elif key == "model name" and model == "unknown":
                model = value.strip()
            elif key == "flags" and not flags:
                flags = set(value.split())
    isa = [f for f in ("avx512f", "avx2", "fma") if f in flags]
    return model, cpus, isa


def load_average():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def probe_peak(probe, threads):
    """{threads: (isa, GFLOP/s)} from bench/fma_peak.cpp, best of 5 repeats."""
    peaks = {}
    if not probe:
        return peaks
    for k in threads:
        out = subprocess.run([probe, "--threads", str(k), "--repeats", "5"],
                             capture_output=True, text=True, check=True).stdout
        fields = parse_fields(out, "PEAK")
        peaks[k] = (fields["isa"], float(fields["gflops"]))
    return peaks


def vocab_size(path):
    """V of text(file, unit = "char", split = 0.9): the distinct bytes of the
    training part plus <pad> and <unk> (bench/seqdata.py)."""
    with open(path, "rb") as f:
        data = f.read()
    cut = int(SPLIT * len(data) + 1e-9)
    return len(set(data[:cut])) + 2


def seqc_flags(seqc):
    """The flags that `seqc --help` and `seqc train --help` list."""
    text = ""
    for cmd in ([seqc, "--help"], [seqc, "train", "--help"]):
        text += subprocess.run(cmd, capture_output=True, text=True).stdout
    return set(re.findall(r"^\s*(--[\w-]+)", text, re.M))


def git_revision():
    try:
        rev = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        return rev + ("+changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


# --- one run --------------------------------------------------------------------

def parse_fields(text, tag):
    """key=value pairs of the last line that starts with `tag `."""
    lines = [l for l in text.splitlines() if l.startswith(tag + " ")]
    if not lines:
        raise ValueError(f"no '{tag} ...' line in the output")
    return dict(f.split("=", 1) for f in lines[-1].split()[1:] if "=" in f)


def run(cmd, env, timeout):
    """Runs cmd; returns (exit status, stdout, stderr, peak RSS in MB, seconds).
    The peak RSS is the child's own (wait4), not the largest of all children."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=ROOT)
        killed = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - start > timeout:
                proc.kill()
                killed = True
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped: Popen must not wait
        seconds = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        errors = err.read().decode(errors="replace")
        if killed:
            errors += f"\nkilled after {timeout:g} s (--timeout)"
        return (proc.returncode, out.read().decode(errors="replace"), errors,
                usage.ru_maxrss / 1024, seconds)


def thread_env(k):
    env = dict(os.environ)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(k)
    return env


def run_seqc(args, case, steps, threads, cached=False):
    if case == "ATTN":  # pairs: no window
        cell, e, h, n, _ = ATTENTION
        window = []
    else:
        cell, e, h, n, t, _ = CASES[case]
        window = ["--window", str(t)]
    cmd = ([args.seqc, "train", MODELS[cell], "--dim", f"E={e}", "--dim", f"H={h}",
            "--batch", str(n)] + window
           + ["--max-steps", str(steps), "--bench", "--progress=none"])
    if threads is not None:
        cmd += ["--threads", str(threads)]
    env = thread_env(threads or 1)
    if args.no_cache:
        # Every run compiles: the compile column is a compilation, not a
        # cache hit (but for the warm-start runs, which use the cache). The
        # private cache folder keeps the user's untouched.
        if not cached:
            cmd.append("--no-cache")
        env["XDG_CACHE_HOME"] = args.cache_dir
    status, out, err, rss, seconds = run(cmd, env, args.timeout)
    record = {"side": "seqc", "case": case, "threads": threads, "cmd": cmd,
              "status": status, "rss_mb": rss, "wall_s": seconds}
    if status != 0:
        record["error"] = (err or out).strip()[-2000:]
        return record
    fields = parse_fields(out, "BENCH")
    record.update(steps=int(fields["steps"]), timed=int(fields["timed"]),
                  median_ms=float(fields["median_step_ms"]),
                  compile_s=float(fields["compile_s"]),
                  last_loss=float(fields.get("last_loss", "nan")))
    return record


def run_torch(args, case, steps, threads):
    if case == "ATTN":
        _, e, h, n, _ = ATTENTION
        cmd = [args.python, "bench/g2p_torch.py", "--bench-steps", str(steps),
               "--train-file", PAIRS, "--target-unit", "char", "--embed", str(e),
               "--hidden", str(h), "--batch", str(n), "--threads", str(threads),
               "--max-seconds", str(args.torch_max_seconds)]
    else:
        cell, e, h, n, t, _ = CASES[case]
        cmd = [args.python, "bench/lstm_torch.py", "--cell", cell, "--embed", str(e),
               "--hidden", str(h), "--batch", str(n), "--window", str(t),
               "--steps", str(steps), "--threads", str(threads),
               "--max-seconds", str(args.torch_max_seconds), "--file", DATA]
    status, out, err, rss, seconds = run(cmd, thread_env(threads), args.timeout)
    record = {"side": "torch", "case": case, "threads": threads, "cmd": cmd,
              "status": status, "rss_mb": rss, "wall_s": seconds}
    if status != 0:
        record["error"] = (err or out).strip()[-2000:]
        return record
    fields = parse_fields(out, "TORCH")
    record.update(steps=int(fields["steps"]), timed=int(fields["timed"]),
                  median_ms=float(fields["median_step_ms"]), vocab=int(fields["vocab"]),
                  last_loss=float(fields["last_loss"]),
                  blas=fields.get("blas", "?"), torch=fields.get("torch", "?"))
    return record


def generation_checkpoint(args):
    """Trains bench/models/lstm.seq at GENERATION's sizes for one epoch into
    a temporary folder; the generation runs sample from it."""
    cell, e, h, _ = GENERATION
    folder = os.path.join(args.cache_dir, "generation-checkpoint")
    cmd = [args.seqc, "train", MODELS[cell], "--dim", f"E={e}", "--dim", f"H={h}",
           "--epochs", "1", "--progress=none", "--out", folder]
    env = thread_env(1)
    env["XDG_CACHE_HOME"] = args.cache_dir
    status, out, err, _, _ = run(cmd, env, args.timeout)
    if status != 0:
        sys.exit(f"training the generation checkpoint failed:\n{(err or out).strip()}")
    return folder


def run_seqc_generate(args, threads):
    cell, e, h, units = GENERATION
    cmd = [args.seqc, "generate", MODELS[cell], "--dim", f"E={e}", "--dim", f"H={h}",
           "--from", args.generation_checkpoint, "--prompt", "Call me",
           "--length", str(units), "--seed", "1", "--bench"]
    if threads is not None:
        cmd += ["--threads", str(threads)]
    env = thread_env(threads or 1)
    env["XDG_CACHE_HOME"] = args.cache_dir
    status, out, err, rss, seconds = run(cmd, env, args.timeout)
    record = {"side": "seqc", "case": "GEN", "threads": threads, "cmd": cmd,
              "status": status, "rss_mb": rss, "wall_s": seconds}
    if status != 0:
        record["error"] = (err or out).strip()[-2000:]
        return record
    fields = parse_fields(out, "BENCH")
    record.update(units=int(fields["units"]), median_ms=float(fields["median_unit_ms"]))
    return record


def run_torch_generate(args, threads):
    cell, e, h, units = GENERATION
    cmd = [args.python, "bench/lstm_torch.py", "--embed", str(e), "--hidden", str(h),
           "--generate", str(units), "--threads", str(threads), "--file", DATA]
    status, out, err, rss, seconds = run(cmd, thread_env(threads), args.timeout)
    record = {"side": "torch", "case": "GEN", "threads": threads, "cmd": cmd,
              "status": status, "rss_mb": rss, "wall_s": seconds}
    if status != 0:
        record["error"] = (err or out).strip()[-2000:]
        return record
    fields = parse_fields(out, "TORCH")
    record.update(units=int(fields["units"]), median_ms=float(fields["median_unit_ms"]))
    return record


def generation_table(args, records, threaded):
    cell, e, h, units = GENERATION
    lines = [f"generation at batch 1 ({cell} E={e} H={h}, the prompt \"Call me\", then "
             f"{units} characters, each sampled and fed back): ms per character, median "
             "over the rounds of each run's median",
             f"{'thr':>4} |{'seqc ms':>9}{'torch ms':>10}{'seqc/best':>10}"]
    of = lambda side, k: [x for x in records if x["case"] == "GEN" and x["side"] == side
                          and x["threads"] == k]
    torch_ms = {k: median_of(of("torch", k), "median_ms") for k in args.threads}
    best = min((v for v in torch_ms.values() if v is not None), default=None)
    summary = []
    for k in args.threads:
        s_ms = median_of(of("seqc", k if threaded else None), "median_ms")
        rel = s_ms / best if s_ms is not None and best else None
        lines.append(f"{k:>4} |{fmt(s_ms, '.4f', 9)}{fmt(torch_ms[k], '.4f', 10)}"
                     f"{fmt(rel, '.2f', 10)}")
        summary.append({"case": "GEN", "threads": k, "seqc_ms_per_unit": s_ms,
                        "torch_ms_per_unit": torch_ms[k], "seqc_over_torch_best": rel})
    return lines, summary


# --- the report -----------------------------------------------------------------

def median_of(records, key):
    values = [r[key] for r in records if r.get("status") == 0 and key in r]
    return statistics.median(values) if values else None


def spread(records):
    """(max - min) / median of the runs' step times, in percent."""
    values = [r["median_ms"] for r in records if r.get("status") == 0]
    if len(values) < 2:
        return None
    return 100 * (max(values) - min(values)) / statistics.median(values)


def fmt(value, spec, width):
    return f"{'-' if value is None else format(value, spec):>{width}}"


def torch_info(args):
    out = subprocess.run([args.python, "bench/lstm_torch.py", "--info"], cwd=ROOT,
                         capture_output=True, text=True)
    try:
        fields = parse_fields(out.stdout, "INFO")
        return fields["torch"], fields["blas"]
    except (ValueError, KeyError):
        sys.exit(f"{args.python} bench/lstm_torch.py --info failed:\n{out.stderr.strip()}")


def shown(path):
    """A path relative to the repository if it is inside it."""
    path = os.path.abspath(path)
    return os.path.relpath(path, ROOT) if path.startswith(ROOT + os.sep) else path


def header(args, model, cpus, isa, peaks, threaded, torch_version, blas, vocab, pairs):
    lines = [
        f"CPU: {model} ({cpus} logical CPUs)",
        f"vector ISA: {' '.join(isa) or 'none of avx512f, avx2, fma'}",
    ]
    if peaks:
        lines.append(
            f"FMA peak (bench/fma_peak.cpp, g++ -O2, fp32 {peaks[min(peaks)][0]}, 12 "
            "independent accumulators, best of 5): "
            + ", ".join(f"{k} thread{'s' if k > 1 else ''} {g:.1f} GFLOP/s"
                        for k, (_, g) in sorted(peaks.items())))
    else:
        lines.append("FMA peak: not measured (no probe: the CPU has neither avx512f nor "
                     "avx2 and fma, or bench.sh did not compile one)")
    lines += [
        f"seqc vs PyTorch {torch_version}, side by side: {args.rounds} round(s); in each, "
        "per case and thread count, one seqc run, then one PyTorch run",
        f"seqc: {shown(args.seqc)} (git {git_revision()}); "
        + (f"--threads {','.join(map(str, args.threads))}" if threaded else
           "its --help lists no --threads flag: one seqc run per round and case "
           "(single-threaded), shown in every thread row, marked *")
        + ("; --no-cache (every run compiles)" if args.no_cache else ""),
        f"PyTorch: {args.python}, BLAS {blas}; k threads: OPENBLAS_NUM_THREADS=k, "
        "OMP_NUM_THREADS=k, torch.set_num_threads(k)",
    ]
    if any(c != "ATTN" for c in args.cases):
        lines.append(
            "model: Embedding(V, E) -> cell(E, H) -> Linear(H, V) -> log_softmax, nll summed "
            f"over the T steps, mean over the N windows; Adam 3e-3, clip_norm 5; {DATA}, "
            f"V = {vocab}")
    if "ATTN" in args.cases:
        lines.append(
            "ATTN: Embedding(S, E) -> LSTM(E, H) encoder, Embedding(V, E) -> "
            "DotAttentionLSTM(E, H) decoder from the encoder's last state, Linear(2H, V) -> "
            "log_softmax, nll summed over the target's steps, mean over the N pairs; Adam "
            f"3e-3, clip_norm 5; {PAIRS} (char both sides, bucketed batches), S = {pairs[0]}, "
            f"V = {pairs[1]}; no window: T is '-', the steps are each pair's lengths "
            f"(source {min(s for s, _ in pairs[2])}-{max(s for s, _ in pairs[2])}, "
            f"decoder {min(t for _, t in pairs[2])}-{max(t for _, t in pairs[2])})")
    lines.append("FLOPs of one training step (the matrix products of forward and backward):")
    if any(c != "ATTN" for c in args.cases):
        lines += ["  " + f for f in FORMULAS]
    if "ATTN" in args.cases:
        lines.append("  " + ATTENTION_FORMULA)
    lines += [
        f"ms: median over the rounds of each run's median train-step time (after {WARMUP} "
        "warm-up steps; forward, backward, clipping, Adam)",
        "seqc/best: seqc's ms / PyTorch's best ms (the faster of its thread counts); "
        "below 1 seqc is faster",
        "%peak: GFLOP/s / the probe's peak at the run's thread count; spread: (max - min) / "
        "median of the rounds' ms; RSS: peak resident memory of each process",
    ]
    return lines


def table(args, records, peaks, threaded, vocab, pairs):
    lines = []
    head = (f"{'case':<9}{'cell':<9}{'E':>5}{'H':>6}{'N':>4}{'T':>4}{'GFLOP':>8}{'steps':>6}"
            f"{'thr':>4} |{'seqc ms':>9}{'torch ms':>10}{'seqc/best':>10} |"
            f"{'seqc GF/s':>10}{'%peak':>6}{'torch GF/s':>11}{'%peak':>6} |"
            f"{'spread s/t %':>13} |{'RSS MB s/t':>12} |{'compile s':>10}{'warm s':>7}")
    lines += [head, "-" * len(head)]
    summary = []
    peak = lambda k: peaks[k][1] if k in peaks else None
    ratio = lambda a, b: a / b if a is not None and b else None
    for case in args.cases:
        if case == "ATTN":
            cell, e, h, n, _ = ATTENTION
            t = None
            flops = attention_flops(e, h, n, pairs[1], pairs[2])
        else:
            cell, e, h, n, t, _ = CASES[case]
            flops = step_flops(cell, e, h, n, t, vocab)
        steps = args.steps or case_steps(case)

        def of(side, k):
            return [x for x in records
                    if x["case"] == case and x["side"] == side and x["threads"] == k]

        torch_ms = {k: median_of(of("torch", k), "median_ms") for k in args.threads}
        best = min((v for v in torch_ms.values() if v is not None), default=None)
        for i, k in enumerate(args.threads):
            sk = k if threaded else None
            srec, trec = of("seqc", sk), of("torch", k)
            s_ms, t_ms = median_of(srec, "median_ms"), torch_ms[k]
            s_gf = flops / s_ms / 1e6 if s_ms else None
            t_gf = flops / t_ms / 1e6 if t_ms else None
            s_frac = ratio(s_gf, peak(k if threaded else 1))
            t_frac = ratio(t_gf, peak(k))
            rel = ratio(s_ms, best)
            rss_s, rss_t = median_of(srec, "rss_mb"), median_of(trec, "rss_mb")
            compile_s = median_of(srec, "compile_s")
            warm_s = median_of([x for x in records if x["case"] == case
                                and x["side"] == "seqc-warm"], "compile_s")
            pct = lambda f: None if f is None else 100 * f
            lines.append(
                (f"{case:<9}{cell:<9}{e:>5}{h:>6}{n:>4}{'-' if t is None else t:>4}"
                 f"{flops / 1e9:>8.2f}{steps:>6}"
                 if i == 0 else " " * 51)
                + f"{k:>4} |{fmt(s_ms, '.2f', 8)}{' ' if threaded else '*'}"
                + f"{fmt(t_ms, '.2f', 10)}{fmt(rel, '.2f', 10)} |"
                + f"{fmt(s_gf, '.1f', 10)}{fmt(pct(s_frac), '.0f', 6)}"
                + f"{fmt(t_gf, '.1f', 11)}{fmt(pct(t_frac), '.0f', 6)} |"
                + f"{fmt(spread(srec), '.0f', 7)}/{fmt(spread(trec), '.0f', 5)} |"
                + f"{fmt(rss_s, '.0f', 6)}/{fmt(rss_t, '.0f', 5)} |"
                + f"{fmt(compile_s, '.1f', 10)}{fmt(warm_s, '.2f', 7)}")
            summary.append({"case": case, "cell": cell, "E": e, "H": h, "N": n, "T": t,
                            "steps": steps, "threads": k, "seqc_threads": sk,
                            "gflop_per_step": flops / 1e9, "seqc_ms": s_ms, "torch_ms": t_ms,
                            "seqc_over_torch_best": rel, "seqc_gflops": s_gf,
                            "torch_gflops": t_gf, "seqc_peak_fraction": s_frac,
                            "torch_peak_fraction": t_frac, "seqc_rss_mb": rss_s,
                            "torch_rss_mb": rss_t, "seqc_compile_s": compile_s,
                            "seqc_warm_compile_s": warm_s})
    if "ATTN" in args.cases:
        lines.append("ATTN: T '-': no window, a batch's steps are its pairs' source and target "
                     "lengths (bucketed by source length); GFLOP: the mean over the training "
                     "pairs' real steps for a full batch, an estimate of a step's work (the "
                     "batches differ from step to step and between the two sides, padding not "
                     "counted)")
    if not threaded:
        lines.append("* seqc has no --threads flag: its one (single-threaded) run per round; "
                     "%peak against the 1-thread peak")
    return lines, summary


def loss_check(args, records):
    """The training loss after a run's last step, median over runs, per case:
    the same model, data and steps give losses of the same size on both
    sides (not the same numbers: the initializations differ)."""
    parts = []
    for case in args.cases:
        seqc_loss, torch_loss = (
            median_of([x for x in records if x["case"] == case and x["side"] == side
                       and x.get("steps") == (args.steps or case_steps(case))], "last_loss")
            for side in ("seqc", "torch"))
        parts.append(f"{case} {fmt(seqc_loss, '.1f', 0)} / {fmt(torch_loss, '.1f', 0)}")
    return ["loss of the last step's batch (nll per window; ATTN: per pair), seqc / PyTorch, "
            "median: "
            + ", ".join(parts)]


def main():
    args = arguments()
    data = os.path.join(ROOT, DATA)
    if not os.path.exists(data):
        sys.exit(f"{data}: not found; run scripts/fetch-data.sh first")
    pairs = None
    if "ATTN" in args.cases:
        if not os.path.exists(os.path.join(ROOT, PAIRS)):
            sys.exit(f"{os.path.join(ROOT, PAIRS)}: not found; run scripts/fetch-data.sh first")
        pairs = pairs_info(os.path.join(ROOT, PAIRS))
    if not os.access(args.seqc, os.X_OK):
        sys.exit(f"{args.seqc}: not found; build seqc first (scripts/build.sh)")
    started = time.monotonic()
    load_start = load_average()
    model, cpus, isa = cpu_info()
    vocab = vocab_size(data)
    flags = seqc_flags(args.seqc)
    threaded = "--threads" in flags
    args.no_cache = "--no-cache" in flags
    args.cache_dir = tempfile.mkdtemp(prefix="seqc-bench-cache-")
    atexit.register(shutil.rmtree, args.cache_dir, ignore_errors=True)
    if args.generation:
        args.generation_checkpoint = generation_checkpoint(args)
    torch_version, blas = torch_info(args)
    # seqc without --threads runs single-threaded: its %peak needs the 1-thread peak.
    peaks = probe_peak(args.probe, sorted(set(args.threads) | {1}))
    print("\n".join(header(args, model, cpus, isa, peaks, threaded, torch_version, blas,
                           vocab, pairs)), flush=True)

    records = []
    for r in range(1, args.rounds + 1):
        for case in args.cases:
            steps = args.steps or case_steps(case)
            # seqc, PyTorch, seqc, PyTorch, ...; without seqc --threads, seqc
            # once, then PyTorch at every thread count.
            for i, k in enumerate(args.threads):
                if threaded or i == 0:
                    sk = k if threaded else None
                    rec = dict(run_seqc(args, case, steps, sk), round=r)
                    records.append(rec)
                    log(f"round {r}/{args.rounds} {case:<8} seqc  threads={sk or '-'}: "
                        + (f"{rec['median_ms']:.2f} ms/step, compiled in {rec['compile_s']:.1f} s"
                           if rec["status"] == 0 else f"FAILED: {rec['error'][-300:]}"))
                rec = dict(run_torch(args, case, steps, k), round=r)
                records.append(rec)
                log(f"round {r}/{args.rounds} {case:<8} torch threads={k}: "
                    + (f"{rec['median_ms']:.2f} ms/step" if rec["status"] == 0
                       else f"FAILED: {rec['error'][-300:]}"))
        if args.generation:
            for i, k in enumerate(args.threads):
                for side, runner in (("seqc", run_seqc_generate), ("torch", run_torch_generate)):
                    if side == "seqc" and not threaded and i:
                        continue
                    rec = dict(runner(args, k if threaded or side == "torch" else None),
                               round=r)
                    records.append(rec)
                    log(f"round {r}/{args.rounds} GEN      {side:<5} threads={k}: "
                        + (f"{rec['median_ms']:.4f} ms/unit" if rec["status"] == 0
                           else f"FAILED: {rec['error'][-300:]}"))

    # Warm starts: the same model again with the object cache that a first
    # run filled; the second run's compile time is a cache load.
    if args.no_cache:
        for case in args.cases:
            for attempt in range(2):
                rec = dict(run_seqc(args, case, WARMUP + 1,
                                    max(args.threads) if threaded else None, cached=True),
                           round=0)
                if attempt == 1:
                    rec["side"] = "seqc-warm"
                    records.append(rec)
            log(f"warm start {case:<8}: "
                + (f"{rec['compile_s']:.2f} s" if rec["status"] == 0
                   else f"FAILED: {rec['error'][-300:]}"))

    lines, summary = table(args, records, peaks, threaded, vocab, pairs)
    if args.generation:
        gen_lines, gen_summary = generation_table(args, records, threaded)
        lines += [""] + gen_lines + [""]
        summary += gen_summary
    torch_ok = [x for x in records if x["side"] == "torch" and x["status"] == 0
                and x["case"] != "GEN"]
    if any(x["vocab"] != vocab for x in torch_ok if x["case"] != "ATTN"):
        lines.append(f"warning: PyTorch's vocabulary differs from V = {vocab}")
    if any(x["vocab"] != pairs[1] for x in torch_ok if x["case"] == "ATTN"):
        lines.append(f"warning: PyTorch's ATTN target vocabulary differs from V = {pairs[1]}")
    lines += loss_check(args, records)
    for case in args.cases:
        for k in args.threads:
            cut = [x["steps"] for x in torch_ok if x["case"] == case and x["threads"] == k
                   and x["steps"] < (args.steps or case_steps(case))]
            if cut:
                lines.append(f"note: PyTorch {case} at {k} thread(s) hit --torch-max-seconds "
                             f"{args.torch_max_seconds:g} in {len(cut)} of {args.rounds} rounds "
                             f"({min(cut)}{'' if min(cut) == max(cut) else f' to {max(cut)}'}"
                             " steps instead of "
                             f"{args.steps or case_steps(case)})")
    failed = [x for x in records if x["status"] != 0]
    if failed:
        lines.append(f"{len(failed)} run(s) failed:")
        for x in failed:
            last = x["error"].splitlines()[-1] if x["error"] else ""
            lines.append(f"  round {x['round']} {x['case']} {x['side']} threads={x['threads']}: "
                         f"exit status {x['status']}: {last}")
    lines.append(f"load average {load_start:.2f} at the start, {load_average():.2f} at the end; "
                 f"{(time.monotonic() - started) / 60:.1f} min")
    print("\n" + "\n".join(lines), flush=True)

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"cpu": model, "cpus": cpus, "isa": isa, "vocab": vocab,
                       "attn_vocab": pairs and {"S": pairs[0], "V": pairs[1]},
                       "peak_gflops": {str(k): g for k, (_, g) in peaks.items()},
                       "seqc_threads_flag": threaded, "torch": torch_version, "blas": blas,
                       "rounds": args.rounds, "summary": summary, "runs": records}, f, indent=1)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
