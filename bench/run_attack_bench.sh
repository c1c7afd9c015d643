#!/usr/bin/env bash
# nnlab's attacks against torchattacks (PyPI) on the same weights, images and settings, in one run:
#  (a) FGSM adversarial 8-bit images of both, pixel by pixel (nnlab --no-round and default);
#  (b) PGD-20 robust accuracy on the 10,000 Fashion-MNIST test images (LeNet-5);
#  (c) images/s of FGSM and PGD-10 on LeNet-5 / Fashion-MNIST (10,000 images, eps 25.5) and on
#      resnet50 at 224x224 (16 images, eps 8; randomly initialised weights: timing does not
#      depend on them), nnlab (default and --no-round) and torchattacks alternating
#      (REPS repetitions each, the order reversed in even ones), medians.
# What is timed: nnlab's "seconds" (after loading, to after scoring). FGSM: one forward+backward of
# every image, whose logits are the clean logits (misclassified images put back unchanged), one
# forward of the adversarial images (+ PNG write/read-back for folders); PGD: one clean forward,
# the steps, one adversarial forward. torchattacks (attack_peer.py), the idiomatic way: a clean
# forward, the attack on the correctly classified images, an adversarial forward (+ PNGs).
# Prints a markdown table and writes bench/RESULTS-attack.md (OUT=... to write elsewhere).
#
#   bash bench/run_attack_bench.sh [NNLAB]     # NNLAB: the nnlab binary [/tmp/nnlab-bench/nnlab]
#
# Environment (defaults in brackets): WORK [/tmp/nnlab-bench] for the checkpoint, resnet50.pth,
# image folders, outputs and raw JSON lines; REPS [3]; THREADS [2] (nnlab --threads,
# torch.set_num_threads); OMP_WAIT_POLICY [PASSIVE, what the nnlab CLI sets for itself; exported
# to Python too]; FOLDER_IMAGES [1000] Fashion-MNIST test images exported for the pixel check;
# ACC_EPS ["25.5 8"] budgets of the PGD-20 accuracy check; R50_IMAGES [16]; PGD_STEPS [10] of
# the throughput runs; ACC_STEPS [20] of the accuracy check; FM_LIMIT [0: all 10,000] Fashion-MNIST
# test images (smoke tests: FM_LIMIT=500 PGD_STEPS=2 ACC_STEPS=2 R50_IMAGES=2 REPS=1 WORK=...); OUT
# [bench/RESULTS-attack.md]. Missing inputs are made first: the LeNet-5 checkpoint (nnlab train,
# 5 epochs, ~1-5 min), resnet50.pth and its image folder (attack_peer.py make-resnet50).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
NNLAB=${1:-${NNLAB:-/tmp/nnlab-bench/nnlab}}
[[ -x $NNLAB ]] || { echo "run_attack_bench.sh: no nnlab binary at $NNLAB" >&2; exit 1; }
WORK=${WORK:-/tmp/nnlab-bench}
REPS=${REPS:-3}
THREADS=${THREADS:-2}
FOLDER_IMAGES=${FOLDER_IMAGES:-1000}
ACC_EPS=${ACC_EPS:-"25.5 8"}
R50_IMAGES=${R50_IMAGES:-16}
PGD_STEPS=${PGD_STEPS:-10}
ACC_STEPS=${ACC_STEPS:-20}
FM_LIMIT=${FM_LIMIT:-0}
OUT=${OUT:-$here/RESULTS-attack.md}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
PY=$(bash "$here/setup_attack_peer.sh")
PEER=("$PY" "$here/attack_peer.py")
mkdir -p "$WORK"
RAW=${RAW:-$WORK/attack-raw.jsonl}
: >"$RAW"
started=$(date +%s)

nn() { "$NNLAB" --threads "$THREADS" --seed 0 --json -q "$@"; }
peer() { "${PEER[@]}" "$@" --threads "$THREADS" --seed 0; }
record() {  # KIND GROUP LABEL JSON
  printf '{"kind": "%s", "group": "%s", "label": "%s", "result": %s}\n' "$1" "$2" "$3" "$4" >>"$RAW"
}
say() { echo "[$(($(date +%s) - started))s] $*" >&2; }

# ---- inputs
ckpt=$WORK/lenet5.ckpt
if [[ ! -f $ckpt ]]; then
  say "training LeNet-5 (5 epochs) -> $ckpt"
  "$NNLAB" --threads "$THREADS" -q train --arch lenet5 --epochs 5 --lr 3e-3 --schedule cosine --output "$ckpt"
fi
r50=$WORK/resnet50.pth
r50_dir=$WORK/resnet50-images
if [[ ! -f $r50 || ! -f $r50_dir/labels.csv ]] || (($(tail -n +2 "$r50_dir/labels.csv" | wc -l) != R50_IMAGES)); then
  say "making resnet50.pth (torch.manual_seed(0)) and $R50_IMAGES images"
  "$PY" "$here/attack_peer.py" make-resnet50 --out "$WORK" --images "$R50_IMAGES" >/dev/null
fi
fm_dir=$WORK/fmnist-$FOLDER_IMAGES
if [[ ! -f $fm_dir/labels.csv ]]; then
  "$NNLAB" -q export-images --data fashion-mnist --count "$FOLDER_IMAGES" -o "$fm_dir" >/dev/null
fi
LENET=(--model "$ckpt")
RESNET=(--weights "$r50" --arch resnet50)
outs=$WORK/out
rm -rf "$outs"
mkdir -p "$outs"

# ---- clean accuracy: the same weights give the same predictions
say "clean accuracy (nnlab eval, attack_peer.py eval)"
record clean lenet5 nnlab "$(nn eval "${LENET[@]}" --data fashion-mnist --batch-size 64 | "$PY" -c \
  'import json,sys; d=json.load(sys.stdin); print(json.dumps({"accuracy": d["accuracy"], "images": d["count"]}))')"
record clean lenet5 torchattacks "$(peer eval "${LENET[@]}" --data fashion-mnist)"

# ---- (a) FGSM pixels on exported Fashion-MNIST PNGs (nnlab writes PNGs only for --input folders)
say "FGSM and PGD pixel check on $FOLDER_IMAGES Fashion-MNIST PNGs"
nn attack "${LENET[@]}" --input "$fm_dir" -o "$outs/fm-fgsm-nnlab-noround" --method fgsm --epsilon 25.5 --no-round >/dev/null
nn attack "${LENET[@]}" --input "$fm_dir" -o "$outs/fm-fgsm-nnlab" --method fgsm --epsilon 25.5 >/dev/null
peer attack "${LENET[@]}" --input "$fm_dir" --output "$outs/fm-fgsm-torchattacks" --method fgsm --epsilon 25.5 >/dev/null
for label in nnlab-noround nnlab; do
  record pixels "FGSM lenet5 fmnist-$FOLDER_IMAGES eps 25.5" "$label" \
    "$("$PY" "$here/attack_peer.py" compare "$outs/fm-fgsm-$label" "$outs/fm-fgsm-torchattacks" --clean "$fm_dir")"
done
# PGD too: both seed the CPU generator with 0 and draw the random start with uniform_ on tensors of
# the same shape in the same order, so the starts -- and with them the whole runs -- can agree.
pgd=(--method pgd --epsilon 25.5 --steps "$PGD_STEPS" --step-size "$("$PY" -c "print(2.5 * 25.5 / $PGD_STEPS)")")
nn attack "${LENET[@]}" --input "$fm_dir" -o "$outs/fm-pgd-nnlab-noround" "${pgd[@]}" --no-round >/dev/null
peer attack "${LENET[@]}" --input "$fm_dir" --output "$outs/fm-pgd-torchattacks" "${pgd[@]}" >/dev/null
record pixels "PGD-$PGD_STEPS lenet5 fmnist-$FOLDER_IMAGES eps 25.5" nnlab-noround \
  "$("$PY" "$here/attack_peer.py" compare "$outs/fm-pgd-nnlab-noround" "$outs/fm-pgd-torchattacks" --clean "$fm_dir")"

# ---- (c) throughput, interleaved
run_one() {  # GROUP LABEL MODEL(lenet5|resnet50) METHOD EPS STEPS
  local group=$1 label=$2 model=$3 method=$4 eps=$5 steps=$6 json t0 t1
  local args=(--method "$method" --epsilon "$eps")
  if [[ $method == pgd ]]; then
    args+=(--steps "$steps" --step-size "$("$PY" -c "print(2.5 * $eps / $steps)")")
  fi
  local model_args data_args peer_data
  if [[ $model == lenet5 ]]; then
    model_args=("${LENET[@]}"); data_args=(--data fashion-mnist --limit "$FM_LIMIT"); peer_data=("${data_args[@]}")
  else
    local o="$outs/r50-$method-$label"
    model_args=("${RESNET[@]}"); data_args=(--input "$r50_dir" -o "$o"); peer_data=(--input "$r50_dir" --output "$o")
  fi
  t0=$(date +%s.%N)
  case $label in
    nnlab) json=$(nn attack "${model_args[@]}" "${data_args[@]}" "${args[@]}") ;;
    nnlab-noround) json=$(nn attack "${model_args[@]}" "${data_args[@]}" "${args[@]}" --no-round) ;;
    torchattacks) json=$(peer attack "${model_args[@]}" "${peer_data[@]}" "${args[@]}") ;;
  esac
  t1=$(date +%s.%N)
  json=$("$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); d.pop("runs", None); d["process_seconds"]=float(sys.argv[3])-float(sys.argv[2]); print(json.dumps(d))' \
    "$json" "$t0" "$t1")
  record throughput "$group" "$label" "$json"
  say "  $group $label: $("$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); print("%.2f s, %.1f img/s, adv acc %.4f" % (d["seconds"], d["images"]/d["seconds"], d["adversarial_accuracy"]))' "$json")"
}

configs=(
  "lenet5 fmnist FGSM eps 25.5|lenet5|fgsm|25.5|1"
  "lenet5 fmnist PGD-$PGD_STEPS eps 25.5|lenet5|pgd|25.5|$PGD_STEPS"
  "resnet50 224x224 FGSM eps 8|resnet50|fgsm|8|1"
  "resnet50 224x224 PGD-$PGD_STEPS eps 8|resnet50|pgd|8|$PGD_STEPS"
)
for config in "${configs[@]}"; do
  IFS='|' read -r group model method eps steps <<<"$config"
  say "throughput: $group, $REPS x (nnlab, nnlab --no-round, torchattacks)"
  for ((rep = 1; rep <= REPS; rep++)); do
    if ((rep % 2 == 1)); then order=(nnlab nnlab-noround torchattacks); else order=(torchattacks nnlab-noround nnlab); fi
    for label in "${order[@]}"; do run_one "$group" "$label" "$model" "$method" "$eps" "$steps"; done
  done
done
for label in nnlab-noround nnlab; do  # the resnet50 outputs of the last repetitions
  record pixels "FGSM resnet50 $R50_IMAGES images eps 8" "$label" \
    "$("$PY" "$here/attack_peer.py" compare "$outs/r50-fgsm-$label" "$outs/r50-fgsm-torchattacks" --clean "$r50_dir")"
done

# ---- (b) PGD-20 robust accuracy on the 10,000 Fashion-MNIST test images
for eps in $ACC_EPS; do
  step=$("$PY" -c "print(2.5 * $eps / $ACC_STEPS)")
  say "PGD-$ACC_STEPS accuracy, eps $eps (step $step)"
  args=(--data fashion-mnist --limit "$FM_LIMIT" --method pgd --epsilon "$eps" --steps "$ACC_STEPS" --step-size "$step")
  record accuracy "PGD-$ACC_STEPS eps $eps" nnlab-noround "$(nn attack "${LENET[@]}" "${args[@]}" --no-round)"
  record accuracy "PGD-$ACC_STEPS eps $eps" nnlab "$(nn attack "${LENET[@]}" "${args[@]}")"
  record accuracy "PGD-$ACC_STEPS eps $eps" torchattacks "$(peer attack "${LENET[@]}" "${args[@]}")"
  # The same seed gives both the same random starts; another seed shows the spread that remains.
  record accuracy "PGD-$ACC_STEPS eps $eps" torchattacks-seed1 \
    "$("${PEER[@]}" attack "${LENET[@]}" "${args[@]}" --threads "$THREADS" --seed 1)"
done

say "done; raw results in $RAW"
"$PY" "$here/attack_peer.py" report "$RAW" --out "$OUT" \
  --cmdline "bash bench/run_attack_bench.sh $NNLAB  (REPS=$REPS THREADS=$THREADS OMP_WAIT_POLICY=$OMP_WAIT_POLICY)" \
  --minutes "$(( ($(date +%s) - started + 30) / 60 ))"
