#!/usr/bin/python3
"""Runs a baseline over several seeds and prints the median of each RESULT field.

  /usr/bin/python3 bench/seeds.py bench/boston_torch.py [--seeds 42,1,2,3,4,5,6,7,8] [-- extra args]

Each run is a separate process, one after the other. Prints every run's
RESULT line, then `MEDIAN field=value ...` over the runs.
"""
import argparse
import statistics
import subprocess
import sys


def main():
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("script")
    p.add_argument("--seeds", default="42,1,2,3,4,5,6,7,8")
    args = p.parse_args(argv)

    runs = []
    for seed in args.seeds.split(","):
        cmd = [sys.executable, args.script, "--quiet", "--seed", seed] + extra
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        line = [l for l in out.splitlines() if l.startswith("RESULT ")][-1]
        print(line, flush=True)
        runs.append(dict(kv.split("=", 1) for kv in line.split()[1:]))

    fields = [k for k, v in runs[0].items() if k != "seed" and _number(v)]
    med = {k: statistics.median(float(r[k]) for r in runs) for k in fields}
    print("MEDIAN runs=%d " % len(runs) + " ".join(f"{k}={med[k]:g}" for k in fields))


def _number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


if __name__ == "__main__":
    main()
