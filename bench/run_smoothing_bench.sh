#!/usr/bin/env bash
# Randomized smoothing on Fashion-MNIST (Cohen et al. 2019): LeNet-5 trained with Gaussian data
# augmentation (nnlab train --noise-sigma S) for each SIGMA, then nnlab certify on the first LIMIT
# test images with n0 = 100, n = N, alpha = 0.001: certified accuracy at L2 radii 0, 0.25, 0.5, 1.0
# ([0,1] pixel units), abstention rate and time.
#
#   bash bench/run_smoothing_bench.sh [NNLAB]      # prints a markdown table
#
# Environment: WORK [/tmp/nnlab-smoothing], THREADS [2], SIGMAS ["0.25 0.5"], LIMIT [500],
# N [10000], EPOCHS [5].
set -euo pipefail
NNLAB=${1:-${NNLAB:-nnlab}}
WORK=${WORK:-/tmp/nnlab-smoothing}
THREADS=${THREADS:-2}
SIGMAS=${SIGMAS:-"0.25 0.5"}
LIMIT=${LIMIT:-500}
N=${N:-10000}
EPOCHS=${EPOCHS:-5}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
mkdir -p "$WORK"
echo "| sigma | clean test acc (noisy training) | r = 0 | r = 0.25 | r = 0.5 | r = 1.0 | abstained | certify seconds | train seconds |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for sigma in $SIGMAS; do
  ckpt=$WORK/lenet5_sigma$sigma.ckpt
  train_json=$WORK/train_sigma$sigma.json
  if [[ ! -f $ckpt ]]; then
    "$NNLAB" --threads "$THREADS" --seed 0 --json -q train --arch lenet5 --data fashion-mnist \
      --epochs "$EPOCHS" --lr 3e-3 --schedule cosine --noise-sigma "$sigma" --output "$ckpt" \
      > "$train_json"
  fi
  certify_json=$WORK/certify_sigma$sigma.json
  "$NNLAB" --threads "$THREADS" --seed 0 --json -q certify --model "$ckpt" --data fashion-mnist \
    --sigma "$sigma" --n0 100 --n "$N" --alpha 0.001 --limit "$LIMIT" --batch-size 1000 \
    --radii 0,0.25,0.5,1.0 --output "$WORK/certify_sigma$sigma.csv" > "$certify_json"
  python3 - "$sigma" "$train_json" "$certify_json" <<'PY'
import json, sys
sigma, train, cert = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
acc = [f"{100 * r['accuracy']:.1f}%" for r in cert["certified_accuracy"]]
print(f"| {sigma} | {100 * train['test_accuracy']:.2f}% | " + " | ".join(acc) +
      f" | {100 * cert['abstention_rate']:.1f}% | {cert['seconds']:.0f} | {train['seconds']:.0f} |")
PY
done
