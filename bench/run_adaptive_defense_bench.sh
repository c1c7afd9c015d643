#!/usr/bin/env bash
# The passive defenses of docs/BENCHMARKS.md ("Passive defenses") against the adaptive attacker of
# issue 32 (--adaptive: the attack run against defense + model, BPDA's straight-through gradient,
# EOT for the random noise:S), beside the gray-box column and the undefended model under the same
# attack: the standard LeNet-5 of bench/run_attack_bench.sh (made if missing), Fashion-MNIST test
# images, seed 0. The commands behind the tables there, in order:
#   pgd, fgsm:   the table's PGD-20 eps 8 and FGSM eps 8, 25.5 on FM_LIMIT images [0: all 10,000]
#   s-*:         stronger attacks and eps 25.5 on the first SMALL_LIMIT [300]
#   the median's own gradient against BPDA: bench_median_gradient (MEDIAN_BIN, if built) on 1,000.
# About 30 minutes for the 10,000-image PGD-20 run alone on 2 busy cores.
#
#   bash bench/run_adaptive_defense_bench.sh [NNLAB]      # prints a markdown table
#   TABLE_ONLY=1 bash bench/run_adaptive_defense_bench.sh  # the table of the JSON already there
#
# Environment: WORK [/tmp/nnlab-bench] (the raw JSON: WORK/adaptive-*.json), THREADS [2],
# MEDIAN_BIN [build/bench/bench_median_gradient].
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
NNLAB=${1:-${NNLAB:-/tmp/nnlab-bench/nnlab}}
WORK=${WORK:-/tmp/nnlab-bench}
THREADS=${THREADS:-2}
FM_LIMIT=${FM_LIMIT:-0}
SMALL_LIMIT=${SMALL_LIMIT:-300}
MEDIAN_BIN=${MEDIAN_BIN:-$here/../build/bench/bench_median_gradient}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
mkdir -p "$WORK"
ckpt=$WORK/lenet5.ckpt
if [[ -z ${TABLE_ONLY:-} && ! -f $ckpt ]]; then
  "$NNLAB" --threads "$THREADS" -q train --arch lenet5 --epochs 5 --lr 3e-3 --schedule cosine --output "$ckpt"
fi
nn() {  # NAME ARGS...: one attack, its JSON kept
  local name=$1
  shift
  local started
  started=$(date +%s)
  "$NNLAB" --threads "$THREADS" --seed 0 --json -q attack --model "$ckpt" --data fashion-mnist "$@" >"$WORK/adaptive-$name.json"
  echo "$name: $(($(date +%s) - started)) s wall" >&2
}
if [[ -z ${TABLE_ONLY:-} ]]; then
  nn pgd --limit "$FM_LIMIT" --method pgd --steps 20 --epsilon 8 --defense median:3,bits:2,bits:4,jpeg:75,noise:16 --adaptive
  nn fgsm --limit "$FM_LIMIT" --method fgsm --epsilon 8,25.5 --defense median:3,bits:2,jpeg:75 --adaptive
  small=(--limit "$SMALL_LIMIT" --epsilon 8)
  nn s-pgd20 "${small[@]}" --method pgd --steps 20 --defense median:3,bits:4,jpeg:75,noise:16 --adaptive
  nn s-pgd100 "${small[@]}" --method pgd --steps 100 --defense median:3,bits:4,jpeg:75 --adaptive
  nn s-apgd100 "${small[@]}" --method apgd --steps 100 --defense median:3,bits:4,jpeg:75 --adaptive
  nn s-apgd100-eot20 "${small[@]}" --method apgd --steps 100 --eot-iter 20 --defense noise:16 --adaptive
  nn s-pgd100-noise "${small[@]}" --method pgd --steps 100 --defense noise:16 --adaptive
  nn s-pgd100-noise-noround "${small[@]}" --method pgd --steps 100 --no-round --defense noise:16 --adaptive
  nn s-pgd20-eps25.5 --limit "$SMALL_LIMIT" --epsilon 25.5 --method pgd --steps 20 --defense median:3,bits:2,bits:4,jpeg:75 --adaptive
  if [[ -x $MEDIAN_BIN ]]; then
    for attack in "pgd 20" "apgd 100"; do
      # shellcheck disable=SC2086
      "$MEDIAN_BIN" "$ckpt" $attack 1000 "$THREADS" >&2
    done
  fi
fi
python3 - "$WORK" <<'PY'
import glob, json, os, sys
work = sys.argv[1]
print("| run | eps | images | defense | clean acc (defended) | undefended adv acc | gray-box adv acc | adaptive adv acc | adaptive seconds |")
print("|---|---:|---:|---|---:|---:|---:|---:|---:|")
for path in sorted(glob.glob(f"{work}/adaptive-*.json")):
    if os.path.getsize(path) == 0:
        continue
    result = json.load(open(path))
    name = os.path.basename(path)[len("adaptive-"):-len(".json")]
    for run in result["runs"]:
        for d in run["defenses"]:
            print("| %s | %g | %d | %s | %.2f%% | %.2f%% | %.2f%% | **%.2f%%** | %.1f |" % (
                name, run["epsilon"], run["images"], d["defense"], 100 * d["clean_accuracy"],
                100 * run["adversarial_accuracy"], 100 * d["adversarial_accuracy"],
                100 * d["adaptive_accuracy"], d["adaptive_seconds"]))
PY
