#!/usr/bin/env bash
# nnlab's training throughput against PyTorch Python, side by side in one run: LeNet-5 on
# Fashion-MNIST, the same batch size, optimizer, thread count and OMP_WAIT_POLICY, the two
# programs alternating (nnlab first in odd repetitions, PyTorch first in even ones) so that the
# load of a shared machine falls on both alike. Prints a markdown table of the medians.
#
#   bash bench/run_train_throughput.sh [BUILD_DIR]
#
# Environment (defaults in brackets): REPS [5] repetitions of each program per configuration,
# BATCHES ["64 256"], OPTIMIZERS ["sgd adam"] (sgd: momentum 0.9, lr 0.01; adam: lr 1e-3),
# THREADS [2], IMAGES [6400] images per epoch, EPOCHS [3] timed epochs after one warm-up,
# OMP_WAIT_POLICY [PASSIVE, what the nnlab CLI sets], RAW [a temporary file] where the JSON lines
# go, TORCH_PYTHON [the first of /usr/bin/python3, python3, python that imports torch].
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
bench="$build/bench/bench_train_throughput"
[[ -x "$bench" ]] || { echo "run_train_throughput.sh: $bench not built (ninja -C $build bench_train_throughput)" >&2; exit 1; }

source "$here/torch_python.sh"
REPS=${REPS:-5}
BATCHES=${BATCHES:-"64 256"}
OPTIMIZERS=${OPTIMIZERS:-"sgd adam"}
THREADS=${THREADS:-2}
IMAGES=${IMAGES:-6400}
EPOCHS=${EPOCHS:-3}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
RAW=${RAW:-$(mktemp /tmp/nnlab-train-throughput.XXXXXX.jsonl)}
: >"$RAW"

lr_of() { [[ $1 == sgd ]] && echo 0.01 || echo 1e-3; }

run_one() {  # IMPL BATCH OPTIMIZER
  local impl=$1 batch=$2 opt=$3 json
  local args=(--batch-size "$batch" --optimizer "$opt" --lr "$(lr_of "$opt")" --threads "$THREADS"
              --images "$IMAGES" --epochs "$EPOCHS")
  if [[ $impl == nnlab ]]; then
    json=$("$bench" "${args[@]}")
  else
    json=$("$TORCH_PYTHON" "$here/train_throughput.py" "${args[@]}")
  fi
  printf '{"group": "lenet5 b%s %s", "label": "%s", "result": %s}\n' "$batch" "$opt" "$impl" "$json" >>"$RAW"
  printf '  %-7s b%-3s %-4s %s img/s\n' "$impl" "$batch" "$opt" \
    "$(sed -n 's/.*"images_per_second": *\([0-9.]*\).*/\1/p' <<<"$json" | cut -d. -f1)" >&2
}

echo "train throughput: $REPS x (nnlab, PyTorch) per configuration, OMP_WAIT_POLICY=$OMP_WAIT_POLICY," \
  "$THREADS threads, $IMAGES images x $EPOCHS epochs; raw results in $RAW" >&2
for batch in $BATCHES; do
  for opt in $OPTIMIZERS; do
    for ((rep = 1; rep <= REPS; rep++)); do
      if ((rep % 2 == 1)); then
        run_one nnlab "$batch" "$opt"; run_one pytorch "$batch" "$opt"
      else
        run_one pytorch "$batch" "$opt"; run_one nnlab "$batch" "$opt"
      fi
    done
  done
done
"$TORCH_PYTHON" "$here/summarize.py" pairs "$RAW"
