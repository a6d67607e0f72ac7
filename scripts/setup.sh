#!/usr/bin/env bash
# Installs what seqc needs from Debian's packages; a no-op when all is there.
set -euo pipefail

packages=(
  cmake ninja-build ccache g++ git
  llvm-19-dev libmlir-19-dev mlir-19-tools llvm-19-tools
  libfmt-dev libgtest-dev
  libdnnl-dev  # the runtime's GEMM kernel (oneDNN's sgemm)
  clang-19 libclang-rt-19-dev  # the libFuzzer targets (scripts/fuzz.sh)
  python3 python3-torch python3-numpy
  libopenblas0-pthread  # the PyTorch baselines' BLAS (the reference BLAS is several times slower)
  npm
)

missing=()
for pkg in "${packages[@]}"; do
  # npm may come from Node.js's own packages instead of Debian's.
  if [[ $pkg == npm ]] && command -v npm >/dev/null; then continue; fi
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo=()
if [[ $(id -u) != 0 ]]; then sudo=(sudo); fi
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
