#!/usr/bin/python3
"""Checks that the language reference lists every name of a table.

Usage: check_documented.py TABLE MACRO DOCS SECTION [--bare]

Reads the names of the rows `MACRO(Kind, "name", ...)` of the table TABLE
(a .def file: Builtins.def, Losses.def, Optimizers.def, Metrics.def) and
the section SECTION (a heading such as "## Builtin functions") of DOCS,
and prints each name that the section does not show as `name(...)` (with
--bare: as `name`), then a summary line.
"""
import re
import sys


def main(table_path, macro, docs_path, heading, bare):
    with open(table_path) as table:
        names = re.findall(r'^%s\(\w+, "(\w+)"' % macro, table.read(),
                           re.MULTILINE)
    with open(docs_path) as docs:
        text = docs.read()
    # The section ends at the next heading of its level or above; "# " lines
    # are comments of code blocks (the title is the file's only "# " heading).
    level = heading.split(" ", 1)[0]
    section = text.split(heading + "\n", 1)[1]
    section = re.split(r"\n#{2,%d} " % len(level), section, 1)[0]
    pattern = r"`%s\b" if bare else r"`%s\("
    missing = [name for name in names
               if not re.search(pattern % re.escape(name), section)]
    for name in missing:
        print("not in the reference: %s" % name)
    print("%d names, %d missing" % (len(names), len(missing)))
    return 1 if missing or not names else 0


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--bare"]
    sys.exit(main(*args, bare="--bare" in sys.argv))
