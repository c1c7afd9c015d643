#!/usr/bin/env bash
# Training in bf16 against fp32, and against PyTorch's own CPU autocast bf16, side by side in one
# run (issue 30, the training rows of docs/BENCHMARKS.md "Precision (bf16)"):
#  speed:    images/s of nnlab's Trainer (bench_train_throughput --precision) and of the same loop
#            in PyTorch Python (bench/train_throughput.py --precision: autocast + channels-last),
#            lenet5 and cnn, fp32 and bf16, the four programs rotating per repetition so that a
#            shared machine's load falls on all alike; medians.
#  accuracy: the same recipe in fp32 and bf16 over SEEDS seeds (`nnlab --precision P --seed S
#            train`, full Fashion-MNIST, test accuracy at the end), mean per arch and precision.
#
#   bash bench/run_precision_training.sh [BUILD_DIR]
#
# Environment (defaults in brackets): PARTS ["speed accuracy"], ARCHS ["lenet5 cnn"], REPS [3],
# THREADS [2], IMAGES [6400] images per timed epoch, EPOCHS [2] timed epochs after one warm-up,
# BATCH [64], SEEDS ["1 2 3"], LENET5_EPOCHS [5] and CNN_EPOCHS [3] (the accuracy recipe: the
# train defaults otherwise, Adam lr 1e-3), ACC_THREADS [1: two trainings at once on 2 cores],
# WORK [/tmp/nnlab-precision-training], OMP_WAIT_POLICY [PASSIVE].
# About 35 minutes on 2 idle cores with the defaults (accuracy: 12 trainings).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
bench="$build/bench/bench_train_throughput"
nnlab="$build/nnlab"
for f in "$bench" "$nnlab"; do
  [[ -x $f ]] || { echo "run_precision_training.sh: $f not built" >&2; exit 1; }
done
source "$here/torch_python.sh"
PARTS=${PARTS:-"speed accuracy"}
ARCHS=${ARCHS:-"lenet5 cnn"}
REPS=${REPS:-3}
THREADS=${THREADS:-2}
IMAGES=${IMAGES:-6400}
EPOCHS=${EPOCHS:-2}
BATCH=${BATCH:-64}
SEEDS=${SEEDS:-"1 2 3"}
LENET5_EPOCHS=${LENET5_EPOCHS:-5}
CNN_EPOCHS=${CNN_EPOCHS:-3}
ACC_THREADS=${ACC_THREADS:-1}
WORK=${WORK:-/tmp/nnlab-precision-training}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
mkdir -p "$WORK"
load() { cut -d' ' -f1-3 /proc/loadavg; }
rate() { sed -n 's/.*"images_per_second": *\([0-9.]*\).*/\1/p' <<<"$1"; }

if [[ " $PARTS " == *" speed "* ]]; then
  raw=$WORK/speed.jsonl
  : >"$raw"
  echo "speed: load before $(load); $THREADS threads, batch $BATCH, SGD, $IMAGES images x $EPOCHS timed epochs" >&2
  for arch in $ARCHS; do
    variants=("nnlab fp32" "nnlab bf16" "pytorch fp32" "pytorch bf16")
    for ((rep = 0; rep < REPS; rep++)); do
      for ((k = 0; k < 4; k++)); do
        read -r impl precision <<<"${variants[$(((k + rep) % 4))]}"
        args=(--arch "$arch" --precision "$precision" --batch-size "$BATCH" --optimizer sgd --lr 0.01
              --threads "$THREADS" --images "$IMAGES" --epochs "$EPOCHS")
        if [[ $impl == nnlab ]]; then json=$("$bench" "${args[@]}"); else json=$("$TORCH_PYTHON" "$here/train_throughput.py" "${args[@]}"); fi
        echo "$json" >>"$raw"
        echo "  $arch $impl $precision: $(rate "$json") img/s" >&2
      done
    done
  done
  echo "speed: load after $(load)" >&2
  "$TORCH_PYTHON" - "$raw" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
med = {}
for r in rows:
    med.setdefault((r["arch"], r["impl"], r["precision"]), []).append(r["images_per_second"])
print("| arch | nnlab fp32 | nnlab bf16 | PyTorch fp32 | PyTorch bf16 (autocast, channels-last) | nnlab bf16 / nnlab fp32 | nnlab bf16 / PyTorch bf16 |")
print("|---|---:|---:|---:|---:|---:|---:|")
for arch in dict.fromkeys(r["arch"] for r in rows):
    m = {k[1:]: statistics.median(v) for k, v in med.items() if k[0] == arch}
    nf, nb, pf, pb = (m.get(k, float("nan")) for k in [("nnlab", "fp32"), ("nnlab", "bf16"), ("pytorch", "fp32"), ("pytorch", "bf16")])
    print(f"| {arch} | {nf:,.0f} | {nb:,.0f} | {pf:,.0f} | {pb:,.0f} | {nb / nf:.2f}x | {nb / pb:.2f}x |")
PY
fi

if [[ " $PARTS " == *" accuracy "* ]]; then
  raw=$WORK/accuracy.jsonl
  : >"$raw"
  echo "accuracy: load before $(load); seeds $SEEDS; $ACC_THREADS thread(s) per training, two at once" >&2
  jobs_list=()
  for arch in $ARCHS; do
    epochs=$LENET5_EPOCHS
    [[ $arch == cnn ]] && epochs=$CNN_EPOCHS
    for seed in $SEEDS; do
      for precision in fp32 bf16; do jobs_list+=("$arch $epochs $seed $precision"); done
    done
  done
  train_one() {  # ARCH EPOCHS SEED PRECISION
    local out=$WORK/$1-s$3-$4
    "$nnlab" --threads "$ACC_THREADS" --seed "$3" --precision "$4" -q --json train --arch "$1" \
      --epochs "$2" -o "$out.ckpt" >"$out.json"
    echo "  $1 seed $3 $4: $(sed -n 's/.*"test_accuracy": *\([0-9.]*\).*/\1/p' "$out.json")" >&2
  }
  for ((i = 0; i < ${#jobs_list[@]}; i += 2)); do
    train_one ${jobs_list[$i]} &
    if ((i + 1 < ${#jobs_list[@]})); then train_one ${jobs_list[$((i + 1))]} & fi
    wait
  done
  echo "accuracy: load after $(load)" >&2
  "$TORCH_PYTHON" - "$WORK" $ARCHS <<'PY'
import glob, json, os, statistics, sys
work, archs = sys.argv[1], sys.argv[2:]
print("| arch | epochs | fp32 test accuracy (per seed) | bf16 test accuracy (per seed) | mean fp32 | mean bf16 | bf16 - fp32 |")
print("|---|---:|---|---|---:|---:|---:|")
for arch in archs:
    acc, epochs = {}, 0
    for p in ("fp32", "bf16"):
        runs = sorted(glob.glob(os.path.join(work, f"{arch}-s*-{p}.json")))
        js = [json.load(open(f)) for f in runs]
        acc[p] = [100 * j["test_accuracy"] for j in js]
        epochs = js[0]["epochs"] if js else 0
    f, b = statistics.mean(acc["fp32"]), statistics.mean(acc["bf16"])
    fmt = lambda v: ", ".join(f"{x:.2f}" for x in v)
    print(f"| {arch} | {epochs} | {fmt(acc['fp32'])} | {fmt(acc['bf16'])} | {f:.2f}% | {b:.2f}% | {b - f:+.2f} |")
PY
fi
