#!/usr/bin/env bash
# HopSkipJump against its peer, in one run on one machine: nnlab's hsj and ART's HopSkipJump
# (attack_peer.py: a BlackBoxClassifier that returns top-1 labels and counts queries), L2, on the
# first FM_LIMIT Fashion-MNIST test images, LeNet-5, at query budgets QUERIES. Robust accuracy at
# each epsilon of EPS (0-255 units: 255 is an L2 radius of 1.0) and seconds; ART's median L2
# distance and queries spent. ART has no query budget: it runs the most iterations whose expected
# queries fit (attack_peer.py art_hsj_iterations), and what it spent is reported. ART's images are
# rounded to 8 bits before scoring; nnlab's are rounding-aware and stop once within epsilon. The
# LeNet-5 checkpoint is bench/run_attack_bench.sh's (made if missing).
#
#   bash bench/run_hsj_bench.sh [NNLAB]      # prints a markdown table
#
# Environment: WORK [/tmp/nnlab-bench], THREADS [2], FM_LIMIT [100], QUERIES ["1000 5000"],
# EPS ["127.5 255"].
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/attack_bench_env.sh" "$@"
FM_LIMIT=${FM_LIMIT:-100}
QUERIES=${QUERIES:-"1000 5000"}
EPS=${EPS:-"127.5 255"}
data=(--model "$ckpt" --data fashion-mnist --limit "$FM_LIMIT")
echo "| tool | queries | eps (L2) | clean | robust | median L2 | queries spent (mean / max) | seconds |"
echo "|---|---:|---:|---:|---:|---:|---|---:|"
for queries in $QUERIES; do
  for eps in $EPS; do
    "$NNLAB" --threads "$THREADS" --seed 0 --json -q attack "${data[@]}" --method hsj --norm l2 \
      --max-queries "$queries" --epsilon "$eps" |
      "$PY" -c 'import json,sys; d=json.load(sys.stdin); e=float(sys.argv[2]); print("| nnlab | %s | %.2f | %.2f%% | %.2f%% | - | <= %s | %.1f |" % (sys.argv[1], e/255, 100*d["clean_accuracy"], 100*d["adversarial_accuracy"], sys.argv[1], d["seconds"]))' "$queries" "$eps"
  done
  "$PY" "$here/attack_peer.py" attack "${data[@]}" --method hsj --norm l2 --max-queries "$queries" \
    --epsilons "$(echo $EPS | tr ' ' ,)" --threads "$THREADS" --seed 0 |
    "$PY" -c 'import json,sys; d=json.load(sys.stdin)
for eps, robust in d["robust_accuracy"].items():
    print("| ART %s (max_iter %d) | %s | %.2f | %.2f%% | %.2f%% | %.3f | %.0f / %d | %.1f |" % (d["art"], d["art_max_iter"], sys.argv[1], float(eps)/255, 100*d["clean_accuracy"], 100*robust, d["median_distance"], d["mean_queries"], d["max_queries_spent"], d["seconds"]))' "$queries"
done
