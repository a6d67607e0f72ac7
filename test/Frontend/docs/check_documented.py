#!/usr/bin/python3
"""Checks that the language reference lists every elementwise builtin.

Reads the builtin table include/seqc/Frontend/Builtins.def and the section
"Builtin functions" of docs/language.md, and prints each builtin that the
section does not show as `name(...)`, then a summary line.
"""
import re
import sys


def main(table_path, docs_path):
    with open(table_path) as table:
        names = re.findall(r'^SEQC_UNARY(?:_ALPHA)?_BUILTIN\(\w+, "(\w+)"',
                           table.read(), re.MULTILINE)
    with open(docs_path) as docs:
        text = docs.read()
    section = text.split("## Builtin functions", 1)[1].split("\n## ", 1)[0]
    missing = [name for name in names if "`%s(" % name not in section]
    for name in missing:
        print("not in the reference: %s" % name)
    print("%d builtins, %d missing" % (len(names), len(missing)))
    return 1 if missing or not names else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
