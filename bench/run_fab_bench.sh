#!/usr/bin/env bash
# FAB-T, AutoAttack's third stage, against its peer in one run on one machine: robust accuracy and
# seconds of nnlab's fab-t (Linf, 9 targets x 100 steps) and of torchattacks' FAB with
# multi_targeted (a port of fra31/auto-attack's, steps set to the reference's 100), on the first
# FM_LIMIT Fashion-MNIST test images, LeNet-5, eps 8. torchattacks' images are rounded to 8 bits
# before scoring (attack_peer.py), nnlab's are rounding-aware; the LeNet-5 checkpoint is
# bench/run_attack_bench.sh's recipe (made if missing). METHODS="fab fab-t" adds untargeted FAB.
#
#   bash bench/run_fab_bench.sh [NNLAB]      # prints a markdown table
#
# Environment: WORK [/tmp/nnlab-bench], THREADS [2], FM_LIMIT [1000], STEPS [100], EPS [8],
# METHODS [fab-t], PY [bench/setup_attack_peer.sh's venv python].
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/attack_bench_env.sh" "$@"
FM_LIMIT=${FM_LIMIT:-1000}
STEPS=${STEPS:-100}
EPS=${EPS:-8}
METHODS=${METHODS:-fab-t}
data=(--model "$ckpt" --data fashion-mnist --limit "$FM_LIMIT")
row() {  # TOOL METHOD EPS JSON
  "$PY" -c 'import json,sys; d=json.loads(sys.argv[4]); print("| %s | %s | %s | %.2f%% | %.2f%% | %.1f |" % (sys.argv[1], sys.argv[2], sys.argv[3], 100*d["clean_accuracy"], 100*d["adversarial_accuracy"], d["seconds"]))' "$@"
}
echo "| tool | attack | eps | clean | robust | seconds |"
echo "|---|---|---|---:|---:|---:|"
for eps in $EPS; do
  for method in $METHODS; do
    row nnlab "$method-$STEPS" "$eps" "$("$NNLAB" --threads "$THREADS" --seed 0 --json -q attack "${data[@]}" --method "$method" --steps "$STEPS" --epsilon "$eps")"
    row torchattacks "$method-$STEPS" "$eps" "$("$PY" "$here/attack_peer.py" attack "${data[@]}" --method "$method" --steps "$STEPS" --epsilon "$eps" --threads "$THREADS" --seed 0)"
  done
done
