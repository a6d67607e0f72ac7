#!/usr/bin/env bash
# Runs every test suite: the lit/FileCheck suite and the GoogleTest suite.
set -euo pipefail
cd "$(dirname "$0")/.."

ninja -C build seqc seqc-opt seqc-unittests
status=0
python3 /usr/lib/llvm-19/build/utils/lit/lit.py -sv build/test || status=1
build/bin/seqc-unittests --gtest_brief=1 || status=1
exit $status
