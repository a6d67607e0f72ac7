# -*- Python -*-
# The GoogleTest suite (bin/seqc-unittests) as a lit suite, so that one lit
# command reports every test: `lit build/test build/test/unit`
# (scripts/test.sh, ninja check-seqc, ctest).
import os

import lit.formats

config.name = "seqc-unit"
config.test_format = lit.formats.GoogleTest(".", "unittests")
config.test_source_root = config.seqc_tools_dir
config.test_exec_root = config.seqc_tools_dir
# Compiled code is cached per test run, not in the user's ~/.cache/seqc.
config.environment["XDG_CACHE_HOME"] = os.path.join(
    config.seqc_obj_root, "test", "unit", "cache")
for name in ["SEQC_THREADS", "HOME", "TMPDIR"]:
    if name in os.environ:
        config.environment[name] = os.environ[name]
