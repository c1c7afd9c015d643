#!/usr/bin/env bash
# Installs the Debian 12 packages nnlab needs (only those missing), idempotently.
# Run as root, or as a user with sudo.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config clang-format
  clang libclang-rt-dev
  libtorch-dev libopenblas0-pthread libopenblas-dev
  libopencv-dev libpng-dev libcli11-dev nlohmann-json3-dev zlib1g-dev
  libgtest-dev libbenchmark-dev libgloo-dev libjemalloc-dev
  python3-torch python3-torchvision python3-venv python3-jsonschema
  dataset-fashion-mnist pocketsphinx-en-us fortunes-zh
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all Debian packages present"
fi

# LibTorch must find OpenBLAS (libopenblas0-pthread), not the reference BLAS that is ~10x slower.
blas=$(readlink -f "$(/sbin/ldconfig -p | awk '/libblas.so.3 .*x86-64|libblas.so.3 \(libc6,AArch64/ {print $NF; exit}')" 2>/dev/null || true)
case "$blas" in
  *openblas*) echo "setup: BLAS is OpenBLAS ($blas)" ;;
  *)
    alt=$(update-alternatives --list "libblas.so.3-$(dpkg-architecture -qDEB_HOST_MULTIARCH)" 2>/dev/null | grep openblas-pthread | head -1 || true)
    if [ -n "$alt" ]; then
      $SUDO update-alternatives --set "libblas.so.3-$(dpkg-architecture -qDEB_HOST_MULTIARCH)" "$alt"
      echo "setup: BLAS switched to OpenBLAS ($alt)"
    else
      echo "setup: warning: BLAS is '$blas', not OpenBLAS" >&2
    fi
    ;;
esac
