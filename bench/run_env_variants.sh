#!/usr/bin/env bash
# The process-wide settings that affect nnlab's training throughput: the OpenMP wait policy and
# glibc's malloc thresholds. Runs bench_train_throughput (LeNet-5, batch 64, SGD) under each
# setting, the settings in turn within every repetition (round-robin, so that a shared machine's
# load falls on all alike), and prints a markdown table of medians against the first setting.
#
#   bash bench/run_env_variants.sh [BUILD_DIR]
#
# Environment: REPS [5], BATCH [64], OPTIMIZER [sgd], THREADS [2], IMAGES [6400], EPOCHS [3],
# RAW [a temporary file], VARIANTS [the list below: one setting per line, "NAME=VALUE ..." or
# "unset"; OMP_WAIT_POLICY and the MALLOC_/OPENBLAS_ settings are removed from the environment
# unless a setting names them], OPENBLAS_OPENMP_DIR [none] a directory holding the OpenMP build
# of Debian's OpenBLAS (libblas.so.3, libopenblas.so.0) adds a setting that loads it through
# LD_LIBRARY_PATH instead of the system's pthread build (no update-alternatives needed:
# apt-get download libopenblas0-openmp && dpkg -x libopenblas0-openmp_*.deb DIR).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
bench="$build/bench/bench_train_throughput"
[[ -x "$bench" ]] || { echo "run_env_variants.sh: $bench not built" >&2; exit 1; }

source "$here/torch_python.sh"
REPS=${REPS:-5}
BATCH=${BATCH:-64}
OPTIMIZER=${OPTIMIZER:-sgd}
THREADS=${THREADS:-2}
IMAGES=${IMAGES:-6400}
EPOCHS=${EPOCHS:-3}
RAW=${RAW:-$(mktemp /tmp/nnlab-env-variants.XXXXXX.jsonl)}
VARIANTS=${VARIANTS:-"OMP_WAIT_POLICY=PASSIVE
OMP_WAIT_POLICY=ACTIVE
unset
OMP_WAIT_POLICY=PASSIVE MALLOC_MMAP_THRESHOLD_=67108864 MALLOC_TRIM_THRESHOLD_=134217728
OMP_WAIT_POLICY=PASSIVE MALLOC_ARENA_MAX=1
OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=1"}
if [[ -n "${OPENBLAS_OPENMP_DIR:-}" ]]; then
  VARIANTS+=$'\n'"OMP_WAIT_POLICY=PASSIVE LD_LIBRARY_PATH=$OPENBLAS_OPENMP_DIR"
fi
: >"$RAW"
lr=0.01
[[ $OPTIMIZER == sgd ]] || lr=1e-3

mapfile -t variants <<<"$VARIANTS"
echo "env variants: $REPS rounds of ${#variants[@]} settings, lenet5 b$BATCH $OPTIMIZER, raw results in $RAW" >&2
for ((rep = 1; rep <= REPS; rep++)); do
  for variant in "${variants[@]}"; do
    settings=()
    [[ $variant == unset ]] || read -r -a settings <<<"$variant"
    json=$(env -u OMP_WAIT_POLICY -u MALLOC_MMAP_THRESHOLD_ -u MALLOC_TRIM_THRESHOLD_ -u MALLOC_ARENA_MAX \
      -u OPENBLAS_NUM_THREADS \
      ${settings[@]+"${settings[@]}"} "$bench" --batch-size "$BATCH" --optimizer "$OPTIMIZER" --lr "$lr" \
      --threads "$THREADS" --images "$IMAGES" --epochs "$EPOCHS")
    printf '{"group": "lenet5 b%s %s", "label": "%s", "result": %s}\n' "$BATCH" "$OPTIMIZER" "$variant" "$json" >>"$RAW"
    printf '  %-90s %s img/s\n' "$variant" \
      "$(sed -n 's/.*"images_per_second": *\([0-9.]*\).*/\1/p' <<<"$json" | cut -d. -f1)" >&2
  done
done
"$TORCH_PYTHON" "$here/summarize.py" variants "$RAW"
