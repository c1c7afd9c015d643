#!/usr/bin/env bash
# The Square Attack (score-based black box) against its peer, in one run on one machine: robust
# accuracy, mean / median queries of the broken images and seconds of nnlab's square and of
# torchattacks' Square (a port of fra31/auto-attack's: margin loss, p_init 0.8, the rescaled p
# schedule, 1 restart), both with QUERIES queries, on the first FM_LIMIT Fashion-MNIST test images,
# LeNet-5, eps 25.5 and 8, Linf. torchattacks' images are rounded to 8 bits before scoring
# (attack_peer.py), nnlab's are rounding-aware (every query evaluates the 8-bit image); the LeNet-5
# checkpoint is bench/run_attack_bench.sh's (made if missing).
#
#   bash bench/run_square_bench.sh [NNLAB]      # prints a markdown table
#
# Environment: WORK [/tmp/nnlab-bench], THREADS [2], FM_LIMIT [1000], QUERIES [5000],
# EPS ["25.5 8"], BATCH [64].
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/attack_bench_env.sh" "$@"
FM_LIMIT=${FM_LIMIT:-1000}
QUERIES=${QUERIES:-5000}
EPS=${EPS:-"25.5 8"}
BATCH=${BATCH:-64}
data=(--model "$ckpt" --data fashion-mnist --limit "$FM_LIMIT" --batch-size "$BATCH")
# CPU seconds (user + sys of the whole process, start-up and data loading included) beside the
# wall-clock seconds of the attack: on a shared machine the first is the steadier of the two.
cpu=$WORK/square_cpu_seconds
row() {  # TOOL EPS JSON
  "$PY" -c 'import json,sys; d=json.loads(sys.argv[3]); u,s=open(sys.argv[4]).read().split(); print("| %s | %s | %.2f%% | %.2f%% | %.1f | %.1f | %.1f | %.1f |" % (sys.argv[1], sys.argv[2], 100*d["clean_accuracy"], 100*d["adversarial_accuracy"], d["mean_queries"], d["median_queries"], d["seconds"], float(u)+float(s)))' "$@" "$cpu"
}
echo "| tool | eps | clean | robust | mean queries | median queries | seconds | CPU seconds |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
for eps in $EPS; do
  row nnlab "$eps" "$(/usr/bin/time -f '%U %S' -o "$cpu" "$NNLAB" --threads "$THREADS" --seed 0 --json -q attack "${data[@]}" --method square --queries "$QUERIES" --epsilon "$eps")"
  row torchattacks "$eps" "$(/usr/bin/time -f '%U %S' -o "$cpu" "$PY" "$here/attack_peer.py" attack "${data[@]}" --method square --queries "$QUERIES" --epsilon "$eps" --threads "$THREADS" --seed 0)"
done
