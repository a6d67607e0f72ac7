# -*- Python -*-
import os

import lit.formats
from lit.llvm import llvm_config

config.name = "seqc"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".seq", ".mlir", ".test"]
config.excludes = ["lit.cfg.py", "lit.site.cfg.py", "Inputs", "unit", "CMakeLists.txt"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.seqc_obj_root, "test")

config.environment["FILECHECK_OPTS"] = "--enable-var-scope --dump-input=fail"
# Compiled code is cached per test run, not in the user's ~/.cache/seqc.
config.environment["XDG_CACHE_HOME"] = os.path.join(config.test_exec_root, "cache")
config.substitutions.append(("%seqc_src", config.seqc_src_root))
config.substitutions.append(("%python", "/usr/bin/python3"))

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.seqc_tools_dir, append_path=True)
tools = ["seqc", "seqc-opt", "FileCheck", "not", "count", "split-file"]
llvm_config.add_tool_substitutions(tools, [config.seqc_tools_dir, config.llvm_tools_dir])
