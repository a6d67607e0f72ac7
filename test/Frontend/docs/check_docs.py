#!/usr/bin/env python3
"""Compiles every seqc example of a Markdown file, so that the language
reference and the compiler cannot drift apart.

usage: check_docs.py SEQC DOC.md [--print]

Fenced blocks tagged `seq` are examples. The words after `seq` say how to
check one:
  seq              compiles: `seqc compile example.seq --emit=tir` succeeds
  seq ast          parses: `--emit=ast` succeeds (for fragments without a
                   model, or constructs that sema does not support yet)
  seq error        fails with `--emit=tir`; the `text` block right after it
                   is the exact diagnostic output
  seq file=NAME    is not compiled; it is written as NAME next to the later
                   examples, for `use "NAME"`
  args="..."       extra command-line arguments (with any of the above)
With --print, prints each example's actual output instead of checking it.
"""
import os
import re
import shlex
import subprocess
import sys
import tempfile


def blocks(markdown):
    """Yields (line number, info words, body) for each fenced block."""
    lines = markdown.split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^```(.*)$", lines[i])
        if not m:
            i += 1
            continue
        info, start = m.group(1).strip(), i + 1
        j = start
        while j < len(lines) and lines[j] != "```":
            j += 1
        yield start, info, "\n".join(lines[start:j]) + "\n"
        i = j + 1


def main():
    seqc, doc = sys.argv[1], sys.argv[2]
    show = "--print" in sys.argv[3:]
    all_blocks = list(blocks(open(doc, encoding="utf-8").read()))
    workdir = tempfile.mkdtemp(prefix="seqc-docs-")
    failures, checked = 0, 0
    for index, (line, info, body) in enumerate(all_blocks):
        words = shlex.split(info)
        if not words or words[0] != "seq":
            continue
        options = dict(w.split("=", 1) for w in words[1:] if "=" in w)
        flags = {w for w in words[1:] if "=" not in w}
        if "file" in options:
            with open(os.path.join(workdir, options["file"]), "w") as f:
                f.write(body)
            continue
        with open(os.path.join(workdir, "example.seq"), "w") as f:
            f.write(body)
        emit = "--emit=ast" if "ast" in flags else "--emit=tir"
        command = [seqc, "compile", "example.seq", emit]
        command += shlex.split(options.get("args", ""))
        result = subprocess.run(command, cwd=workdir, capture_output=True,
                                text=True)
        checked += 1
        where = f"{doc}:{line}"
        if show:
            print(f"--- {where} ({info}) exit {result.returncode}")
            print(result.stderr if result.stderr else result.stdout, end="")
            continue
        if "error" in flags:
            following = all_blocks[index + 1] if index + 1 < len(all_blocks) else None
            if not following or following[1] != "text":
                print(f"{where}: error: a 'seq error' example needs a 'text' "
                      "block with its diagnostics right after it")
                failures += 1
            elif result.returncode == 0:
                print(f"{where}: error: the example compiled but should fail")
                failures += 1
            elif result.stderr != following[2]:
                print(f"{where}: error: the diagnostics differ from the "
                      f"documented ones.\n--- documented:\n{following[2]}"
                      f"--- actual:\n{result.stderr}")
                failures += 1
        elif result.returncode != 0:
            print(f"{where}: error: the example does not compile:\n"
                  f"{result.stderr}")
            failures += 1
    if not show:
        print(f"checked {checked} examples of {doc}, {failures} failed")
    return 1 if failures or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
