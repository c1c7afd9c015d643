#!/usr/bin/env bash
# The full-size attack task, timed once per command on 224x224 images in the task layout:
#  (a) FGSM eps 8 on VGG-16:          nnlab attack --method fgsm --weights vgg16.pth --arch vgg16 ...
#  (b) PGD-10 eps 8 on DenseNet-121:  the default (rounding-aware: stops per image once the saved
#      8-bit image succeeds) and --no-round (every image runs all 10 steps).
# For each: nnlab's "seconds" (after loading the model and the images, to after scoring), the
# whole-process wall time and peak memory (/usr/bin/time), and the load average before and after.
# The models are torchvision's with torch.manual_seed(0) initialisation (random weights: timing
# does not depend on them); the images smooth random 224x224 RGB PNGs labelled with the model's
# own predictions, so that all are attacked (bench/attack_peer.py make-imagenet).
#
#   bash bench/run_fullsize_attack.sh [NNLAB]   # NNLAB: the nnlab binary [/tmp/nnlab-bench/nnlab]
#
# Environment (defaults in brackets): WORK [/tmp/nnlab-fullsize] for ARCH.pth, the image folders,
# the outputs and the raw JSON lines; IMAGES [200]; THREADS [2]; OMP_WAIT_POLICY [PASSIVE];
# RUNS ["fgsm-vgg16 pgd-densenet121 pgd-densenet121-noround"]; EXTRA_ARGS [none: appended to
# every nnlab command, e.g. "--batch-size 16"]; KEEP_WEIGHTS [0: delete the .pth files (vgg16.pth
# ~528 MB) at the end]; OUT [$WORK/fullsize.md: the generated tables].
# The floor: model FLOPs (VGG-16 15.47, DenseNet-121 2.87 GMACs per 224x224 forward; an
# input-only backward ~ one forward, the weight gradients are not computed) over the sgemm rate,
# both the one in docs/BENCHMARKS.md (97.0 GFLOP/s) and torch.mm of 2048^2 float32 measured here
# at the start (same LibTorch/OpenBLAS, THREADS threads).
# About 15 minutes on 2 idle cores, 25 on busy ones (making the inputs ~2 min, vgg16 FGSM 2-5 min,
# densenet121 PGD-10 --no-round 8-12 min). Smoke test: IMAGES=4 WORK=/tmp/fullsize-smoke bash bench/run_fullsize_attack.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
NNLAB=${1:-${NNLAB:-/tmp/nnlab-bench/nnlab}}
[[ -x $NNLAB ]] || { echo "run_fullsize_attack.sh: no nnlab binary at $NNLAB" >&2; exit 1; }
WORK=${WORK:-/tmp/nnlab-fullsize}
IMAGES=${IMAGES:-200}
THREADS=${THREADS:-2}
RUNS=${RUNS:-"fgsm-vgg16 pgd-densenet121 pgd-densenet121-noround"}
read -r -a EXTRA <<<"${EXTRA_ARGS:-}"
KEEP_WEIGHTS=${KEEP_WEIGHTS:-0}
OUT=${OUT:-$WORK/fullsize.md}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
PY=$(bash "$here/setup_attack_peer.sh")
mkdir -p "$WORK"
RAW=${RAW:-$WORK/fullsize-raw.jsonl}
: >"$RAW"
started=$(date +%s)
say() { echo "[$(($(date +%s) - started))s] $*" >&2; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

inputs() {  # ARCH: $WORK/ARCH.pth and $WORK/ARCH-images with $IMAGES images
  local arch=$1 dir=$WORK/$1-images
  if [[ ! -f $WORK/$arch.pth || ! -f $dir/labels.csv ]] || (($(tail -n +2 "$dir/labels.csv" | wc -l) != IMAGES)); then
    rm -rf "$dir"
    say "making $arch.pth (torch.manual_seed(0)) and $IMAGES images in $dir"
    local t0=$(date +%s)
    "$PY" "$here/attack_peer.py" make-imagenet --arch "$arch" --images "$IMAGES" --out "$dir" \
      --weights "$WORK/$arch.pth" --threads "$THREADS" >/dev/null
    say "  made in $(($(date +%s) - t0)) s"
  fi
}

run_one() {  # NAME ARCH ARGS...
  local name=$1 arch=$2
  shift 2
  local out=$WORK/out-$name before after t0 t1 json
  rm -rf "$out"
  local cmd=("$NNLAB" --threads "$THREADS" attack --weights "$WORK/$arch.pth" --arch "$arch"
             --input "$WORK/$arch-images" --output "$out" "$@" "${EXTRA[@]}" --json -q)
  say "$name: ${cmd[*]}"
  before=$(load)
  t0=$(date +%s.%N)
  json=$(/usr/bin/time -f '%e %M %U %S' -o "$WORK/time-$name.txt" "${cmd[@]}")
  t1=$(date +%s.%N)
  after=$(load)
  "$PY" - "$name" "$json" "$t0" "$t1" "$before" "$after" "$WORK/time-$name.txt" "${cmd[*]}" >>"$RAW" <<'EOF'
import json, sys
name, text, t0, t1, before, after, timefile, cmd = sys.argv[1:]
d = json.loads(text)
d.pop("runs", None)
wall, rss_kb, user, system = open(timefile).read().split()[-4:]
d.update(name=name, command=cmd, process_seconds=float(t1) - float(t0), time_wall=float(wall),
         max_rss_mb=int(rss_kb) / 1024, cpu_seconds=float(user) + float(system),
         user_seconds=float(user), sys_seconds=float(system),
         load_before=before, load_after=after)
print(json.dumps(d))
EOF
  say "  $(tail -n 1 "$RAW" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print("seconds %.1f, process %.1f s, %.0f MB, adv acc %.4f, load %s -> %s" % (d["seconds"], d["process_seconds"], d["max_rss_mb"], d["adversarial_accuracy"], d["load_before"], d["load_after"]))')"
}

say "sgemm rate now (torch.mm 2048^2, $THREADS threads), load $(load)"
"$PY" - "$THREADS" >"$WORK/sgemm.json" <<'EOF'
import json, sys, time, torch
torch.set_num_threads(int(sys.argv[1]))
a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
for _ in range(3):
    a @ b
rates = []
for _ in range(5):
    t = time.perf_counter()
    for _ in range(10):
        a @ b
    rates.append(2 * 2048 ** 3 * 10 / (time.perf_counter() - t) / 1e9)
print(json.dumps({"sgemm_gflops": max(rates), "all": rates}))
EOF
say "  $(cat "$WORK/sgemm.json")"

for run in $RUNS; do
  case $run in
    fgsm-vgg16) inputs vgg16; run_one "$run" vgg16 --method fgsm --epsilon 8 ;;
    pgd-densenet121) inputs densenet121; run_one "$run" densenet121 --method pgd --steps 10 --epsilon 8 ;;
    pgd-densenet121-noround) inputs densenet121; run_one "$run" densenet121 --method pgd --steps 10 --epsilon 8 --no-round ;;
    *) echo "run_fullsize_attack.sh: unknown run '$run'" >&2; exit 1 ;;
  esac
done

# Model work per image in forward-pass equivalents (an input-only backward ~ one forward: the
# weight gradients are not computed), and the floor at this machine's sgemm peak.
"$PY" - "$RAW" "$OUT" "$WORK/sgemm.json" <<'EOF'
import json, sys
raw, out, sgemm = sys.argv[1:]
GMACS = {"vgg16": 15.47, "densenet121": 2.87}  # per 224x224 forward
DOCS_PEAK = 97.0  # GFLOP/s, docs/BENCHMARKS.md (sgemm, 2 threads)
PEAK = json.load(open(sgemm))["sgemm_gflops"]
lines = [f"sgemm rate at the start of this run: {PEAK:.1f} GFLOP/s (torch.mm 2048^2).\n",
         "| run | images | nnlab \"seconds\" | process wall s | CPU s (user + sys) | peak RSS MB | adv. accuracy | "
         f"forwards/image | model TFLOP | achieved GFLOP/s | floor at {DOCS_PEAK} / {PEAK:.0f} GFLOP/s | load before -> after |",
         "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
for line in open(raw):
    d = json.loads(line)
    arch, n = d["arch"], d["images"]
    if d["method"] == "fgsm":
        forwards, note = 3, "3"          # forward+input-backward, scoring forward
    elif "--no-round" in d["command"]:
        forwards, note = 22, "22"        # clean, 10 x (forward+input-backward), scoring
    else:
        forwards, note = None, "early stop"
    row = [d["name"], str(n), f"{d['seconds']:.1f}", f"{d['process_seconds']:.1f}",
           f"{d['cpu_seconds']:.0f} ({d['user_seconds']:.0f} + {d['sys_seconds']:.0f})",
           f"{d['max_rss_mb']:.0f}", f"{d['adversarial_accuracy']:.4f}", note]
    if forwards:
        tflop = forwards * 2 * GMACS[arch] * n / 1000
        row += [f"{tflop:.1f}", f"{tflop * 1000 / d['seconds']:.1f}",
                f"{tflop * 1000 / DOCS_PEAK:.0f} / {tflop * 1000 / PEAK:.0f} s"]
    else:
        row += ["-", "-", "-"]
    row.append(f"{d['load_before']} -> {d['load_after']}")
    lines.append("| " + " | ".join(row) + " |")
text = "\n".join(lines) + "\n"
print(text)
open(out, "w").write(text)
EOF
if [[ $KEEP_WEIGHTS != 1 ]]; then
  rm -f "$WORK"/*.pth
  say "deleted $WORK/*.pth (KEEP_WEIGHTS=1 keeps them)"
fi
say "done; raw results in $RAW, tables in $OUT"
