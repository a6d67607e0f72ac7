#!/usr/bin/env bash
# Runs every test suite: the lit/FileCheck suite and the GoogleTest suite.
set -euo pipefail
cd "$(dirname "$0")/.."

ninja -C build seqc seqc-opt seqc-unittests
status=0
# One lit run reports both suites: the lit/FileCheck tests and the
# GoogleTest tests (as `ninja -C build check-seqc` and ctest do).
python3 /usr/lib/llvm-19/build/utils/lit/lit.py -sv build/test build/test/unit ||
  status=1
# The gradient checks and goldens once more on one thread: the results must
# not depend on the thread count.
SEQC_THREADS=1 build/bin/seqc-unittests --gtest_brief=1 \
  --gtest_filter='*Grad*:*Golden*:*Kernels*:*Gemm*' || status=1
exit $status
