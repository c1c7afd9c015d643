#!/usr/bin/env bash
# AutoAttack in one run on one machine: nnlab robustness (clean, PGD-20, AutoAttack standard with
# its stages) against torchattacks' AutoAttack set to the reference's 100 steps and ART's
# AutoAttack (bench/autoattack_peer.py), on the same LeNet-5 weights and Fashion-MNIST test images,
# same eps, same thread count, fp32 on both sides. Prints a markdown table.
#
#   bash bench/run_autoattack_bench.sh [NNLAB]
#
# Environment: WORK [/tmp/nnlab-bench], THREADS [2], FM_LIMIT [1000], EPS ["8 25.5"],
# MODELS [lenet5.ckpt in WORK: the 5-epoch LeNet-5 of bench/run_attack_bench.sh, made if
# missing; add more checkpoints, e.g. "lenet5.ckpt lenet5_fgsm_rs.ckpt lenet5_trades.ckpt"],
# PEERS ["torchattacks art"].
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/attack_bench_env.sh" "$@"
FM_LIMIT=${FM_LIMIT:-1000}
EPS=${EPS:-"8 25.5"}
MODELS=${MODELS:-lenet5.ckpt}
PEERS=${PEERS:-"torchattacks art"}
echo "| model | tool | eps | clean | PGD-20 | AutoAttack | AutoAttack seconds | stages (robust after each) |"
echo "|---|---|---|---:|---:|---:|---:|---|"
for model in $MODELS; do
  ckpt=$WORK/$model
  for eps in $EPS; do
    json=$("$NNLAB" --threads "$THREADS" --seed 0 --json -q robustness --model "$ckpt" \
      --data fashion-mnist --limit "$FM_LIMIT" --epsilon "$eps")
    "$PY" -c 'import json,sys; d=json.loads(sys.argv[3]); a=d["autoattack"]; print("| %s | nnlab | %s | %.2f%% | %.2f%% | %.2f%% | %.1f | %s |" % (sys.argv[1], sys.argv[2], 100*d["clean_accuracy"], 100*d["pgd"]["robust_accuracy"], 100*d["robust_accuracy"], a["seconds"], ", ".join("%s %.2f%%" % (s["attack"], 100*s["robust_accuracy"]) for s in a["stages"])))' "$model" "$eps" "$json"
    for peer in $PEERS; do
      if [[ $peer == art ]] && ! "$PY" -c 'import art' 2>/dev/null; then continue; fi
      json=$("$PY" "$here/autoattack_peer.py" --tool "$peer" --model "$ckpt" --limit "$FM_LIMIT" \
        --epsilon "$eps" --threads "$THREADS")
      "$PY" -c 'import json,sys; d=json.loads(sys.argv[3]); print("| %s | %s | %s | %.2f%% | | %.2f%% | %.1f | %s |" % (sys.argv[1], d["version"], sys.argv[2], 100*d["clean_accuracy"], 100*d["robust_accuracy"], d["seconds"], ", ".join(d["attacks"])))' "$model" "$eps" "$json"
    done
  done
done
