#!/usr/bin/env bash
# APGD against the stages it improves on and against its peer, in one run on one machine:
# robust accuracy and seconds of nnlab's pgd (PGD-20), apgd (CE, 100 steps) and apgd-t (targeted
# DLR, 9 targets x 100 steps), and of torchattacks' APGD and APGDT (ports of fra31/auto-attack,
# same settings), on the first FM_LIMIT Fashion-MNIST test images, LeNet-5, eps 25.5 and 8.
# torchattacks' images are rounded to 8 bits before scoring (attack_peer.py), nnlab's are
# rounding-aware; the LeNet-5 checkpoint is bench/run_attack_bench.sh's (made if missing).
#
#   bash bench/run_apgd_bench.sh [NNLAB]      # prints a markdown table
#
# Environment: WORK [/tmp/nnlab-bench], THREADS [2], FM_LIMIT [1000], STEPS [100], EPS ["25.5 8"].
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/attack_bench_env.sh" "$@"
FM_LIMIT=${FM_LIMIT:-1000}
STEPS=${STEPS:-100}
EPS=${EPS:-"25.5 8"}
data=(--model "$ckpt" --data fashion-mnist --limit "$FM_LIMIT")
row() {  # TOOL METHOD EPS JSON
  "$PY" -c 'import json,sys; d=json.loads(sys.argv[4]); print("| %s | %s | %s | %.2f%% | %.2f%% | %.1f |" % (sys.argv[1], sys.argv[2], sys.argv[3], 100*d["clean_accuracy"], 100*d["adversarial_accuracy"], d["seconds"]))' "$@"
}
echo "| tool | attack | eps | clean | robust | seconds |"
echo "|---|---|---|---:|---:|---:|"
for eps in $EPS; do
  pgd_step=$("$PY" -c "print(2.5 * $eps / 20)")
  row nnlab "PGD-20" "$eps" "$("$NNLAB" --threads "$THREADS" --seed 0 --json -q attack "${data[@]}" --method pgd --steps 20 --step-size "$pgd_step" --epsilon "$eps")"
  for method in apgd apgd-t; do
    row nnlab "$method-$STEPS" "$eps" "$("$NNLAB" --threads "$THREADS" --seed 0 --json -q attack "${data[@]}" --method "$method" --steps "$STEPS" --epsilon "$eps")"
    row torchattacks "$method-$STEPS" "$eps" "$("$PY" "$here/attack_peer.py" attack "${data[@]}" --method "$method" --steps "$STEPS" --epsilon "$eps" --threads "$THREADS" --seed 0)"
  done
done
