#!/usr/bin/env bash
# Every benchmark of bench/, one after the other, as markdown on stdout (progress on stderr).
# `make bench` runs it on the build directory it has just built.
#
#   bash bench/run_all.sh [BUILD_DIR]
#
# The environment knobs of the scripts it calls pass through (REPS, BATCHES, OPTIMIZERS, THREADS,
# IMAGES, EPOCHS, OPENBLAS_OPENMP_DIR, TORCH_PYTHON); ENV_IMAGES [3200] and ENV_EPOCHS [2] size the
# settings runs (OMP_WAIT_POLICY=ACTIVE or unset can be 5-10x slower on a busy machine);
# VGG_BATCH [8] and VGG_REPEATS [3] size the VGG-16 measurement.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
for target in bench_train_throughput bench_vgg16_gflops; do
  [[ -x "$build/bench/$target" ]] || { echo "run_all.sh: $build/bench/$target not built (ninja -C $build $target)" >&2; exit 1; }
done

echo "# nnlab benchmarks"
echo
echo "$(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores available; $(date -u +%Y-%m-%dT%H:%MZ);" \
  "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "## Training throughput: nnlab vs PyTorch (LeNet-5, Fashion-MNIST)"
echo
bash "$here/run_train_throughput.sh" "$build"
echo
echo "## Process settings: OpenMP wait policy, malloc, OpenBLAS threads (nnlab, LeNet-5 b64 SGD)"
echo
IMAGES=${ENV_IMAGES:-3200} EPOCHS=${ENV_EPOCHS:-2} bash "$here/run_env_variants.sh" "$build"
echo
echo "## VGG-16 forward+backward vs the sgemm peak"
echo
OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE} "$build/bench/bench_vgg16_gflops" \
  --batch "${VGG_BATCH:-8}" --repeats "${VGG_REPEATS:-3}"
