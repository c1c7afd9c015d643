#!/usr/bin/env bash
# bf16 against fp32 side by side in one run (issue 30; docs/BENCHMARKS.md "Precision (bf16)").
# In parts, chosen by PARTS (training rows: bench/run_precision_training.sh):
#  peak: the machine's matrix-unit peak, torch::mm 2048^2 in bfloat16 and float32, and VGG-16
#        forward+backward (batch 8, 224x224) GFLOP/s as a share of the peak of its precision
#        (bench_vgg16_gflops --precision fp32|bf16).
#  lab:  the lab job, FGSM eps 8 on VGG-16, IMAGES PNGs of 224x224 written and read back:
#        nnlab --precision bf16, nnlab fp32, and a plain PyTorch eager script
#        (bench/attack_peer.py lab-fgsm) in fp32 and in bf16 (CPU autocast + channels-last), the
#        PyTorch runs with the default allocator and with jemalloc preloaded
#        (LD_PRELOAD=libjemalloc.so.2, MALLOC_CONF=dirty_decay_ms:-1,muzzy_decay_ms:-1) where
#        Debian's libjemalloc2 is installed. Then the bf16 images re-scored in float32
#        (nnlab --precision fp32 attack-eval) against the fp32 run's success, and the largest
#        L-inf distance of every saved PNG from its clean image (must be <= 8 gray levels).
#        The images: bench/attack_peer.py make-imagenet (torchvision vgg16 with
#        torch.manual_seed(0) weights; smooth random pictures labelled with the model's own
#        predictions, so every image is attacked), as bench/run_fullsize_attack.sh makes them.
#  pgd:  PGD-10 eps 8 on DenseNet-121 --no-round, PGD_IMAGES images, nnlab bf16 (and fp32 with
#        PGD_FP32=1: ~10 minutes on 2 cores).
# Every timed run records its wall time, user/system CPU, peak RSS and the load average before
# and after (the machine may be shared: read the load with the times).
#
#   bash bench/run_precision.sh [BUILD_DIR]        # BUILD_DIR [build]: nnlab, bench/bench_vgg16_gflops
#
# Environment (defaults in brackets): PARTS ["peak lab pgd"], IMAGES [200], PGD_IMAGES [IMAGES],
# THREADS [2], BATCH [8: the PyTorch script's batch], NNLAB_ARGS [none: appended to every nnlab
# attack, e.g. "--batch-size 8"], PGD_FP32 [0], WORK [/tmp/nnlab-precision], KEEP_WEIGHTS
# [1: reuse ARCH.pth and the image folders across runs], OMP_WAIT_POLICY [PASSIVE].
# Smoke test: IMAGES=8 PARTS="lab" WORK=/tmp/precision-smoke bash bench/run_precision.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
NNLAB=$build/nnlab
GFLOPS=$build/bench/bench_vgg16_gflops
source "$here/torch_python.sh"
PY=$TORCH_PYTHON
PARTS=${PARTS:-"peak lab pgd"}
IMAGES=${IMAGES:-200}
PGD_IMAGES=${PGD_IMAGES:-$IMAGES}
THREADS=${THREADS:-2}
BATCH=${BATCH:-8}
read -r -a NNLAB_EXTRA <<<"${NNLAB_ARGS:-}"
PGD_FP32=${PGD_FP32:-0}
WORK=${WORK:-/tmp/nnlab-precision}
KEEP_WEIGHTS=${KEEP_WEIGHTS:-1}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
JEMALLOC=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
mkdir -p "$WORK"
RAW=$WORK/precision-raw.jsonl
: >"$RAW"
started=$(date +%s)
say() { echo "[$(($(date +%s) - started))s] $*" >&2; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
say "parts: $PARTS; $IMAGES images; $THREADS threads; load $(load); $(grep -o -m1 -w -e amx_bf16 -e avx512_bf16 /proc/cpuinfo | sort -u | tr '\n' ' ')"

inputs() {  # ARCH N: $WORK/ARCH.pth and $WORK/ARCH-N with N images
  local arch=$1 n=$2 dir=$WORK/$1-$2
  if [[ ! -f $WORK/$arch.pth || ! -f $dir/labels.csv ]]; then
    rm -rf "$dir"
    say "making $arch.pth (torch.manual_seed(0)) and $n images in $dir"
    "$PY" "$here/attack_peer.py" make-imagenet --arch "$arch" --images "$n" --out "$dir" \
      --weights "$WORK/$arch.pth" --threads "$THREADS" >/dev/null
  fi
}

# timed NAME CMD...: runs CMD under /usr/bin/time; its stdout's last line is a JSON object, to
# which the times and loads are added; one line to $RAW.
timed() {
  local name=$1 before after json
  shift
  say "$name: $*"
  before=$(load)
  json=$(/usr/bin/time -f '%e %M %U %S' -o "$WORK/time-$name.txt" "$@" | tail -n 1)
  after=$(load)
  "$PY" - "$name" "$json" "$before" "$after" "$WORK/time-$name.txt" "$*" >>"$RAW" <<'EOF'
import json, sys
name, text, before, after, timefile, cmd = sys.argv[1:]
d = json.loads(text)
d.pop("runs", None)
wall, rss_kb, user, system = open(timefile).read().split()[-4:]
d.update(name=name, command=cmd, wall=float(wall), max_rss_mb=int(rss_kb) / 1024,
         user_seconds=float(user), sys_seconds=float(system), load_before=before, load_after=after)
print(json.dumps(d))
EOF
  say "  $(tail -n 1 "$RAW" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print("wall %.1f s, seconds %s, %.0f MB, load %s -> %s" % (d["wall"], d.get("seconds", "-"), d["max_rss_mb"], d["load_before"], d["load_after"]))')"
}

for part in $PARTS; do
  case $part in
    peak)
      [[ -x $GFLOPS ]] || { echo "run_precision.sh: $GFLOPS not built (ninja bench_vgg16_gflops)" >&2; exit 1; }
      for precision in fp32 bf16; do
        timed "peak-$precision" "$GFLOPS" --threads "$THREADS" --precision "$precision" --json
      done
      ;;
    lab)
      [[ -x $NNLAB ]] || { echo "run_precision.sh: $NNLAB not built" >&2; exit 1; }
      inputs vgg16 "$IMAGES"
      in=$WORK/vgg16-$IMAGES
      for precision in bf16 fp32; do
        rm -rf "$WORK/out-nnlab-$precision"
        timed "lab-nnlab-$precision" "$NNLAB" --threads "$THREADS" --precision "$precision" attack \
          --weights "$WORK/vgg16.pth" --arch vgg16 --input "$in" --output "$WORK/out-nnlab-$precision" \
          --method fgsm --epsilon 8 "${NNLAB_EXTRA[@]}" --json -q
      done
      allocators=(default)
      [[ -f $JEMALLOC ]] && allocators+=(jemalloc)
      for allocator in "${allocators[@]}"; do
        for precision in fp32 bf16; do
          out=$WORK/out-torch-$precision-$allocator
          rm -rf "$out"
          env=()
          [[ $allocator == jemalloc ]] &&
            env=(env LD_PRELOAD="$JEMALLOC" MALLOC_CONF=dirty_decay_ms:-1,muzzy_decay_ms:-1)
          timed "lab-torch-$precision-$allocator" "${env[@]}" "$PY" "$here/attack_peer.py" lab-fgsm \
            --weights "$WORK/vgg16.pth" --arch vgg16 --input "$in" --output "$out" --epsilon 8 \
            --batch-size "$BATCH" --precision "$precision" --threads "$THREADS"
        done
      done
      # The same saved images judged in float32: nnlab's bf16 and fp32 folders.
      timed "lab-rescore-fp32" "$NNLAB" --threads "$THREADS" --precision fp32 attack-eval \
        --input "$WORK/out-nnlab-bf16,$WORK/out-nnlab-fp32" --labels "$in" \
        --weights "$WORK/vgg16.pth" --arch vgg16 --json -q
      # Every saved PNG's largest distance from its clean image, in gray levels.
      "$PY" - "$in" "$WORK"/out-* >"$WORK/linf.json" <<'EOF'
import json, os, sys
import numpy as np
from PIL import Image
clean, outs = sys.argv[1], sys.argv[2:]
names = sorted(os.listdir(os.path.join(clean, "images")))
result = {}
for out in outs:
    worst = 0
    for name in names:
        saved = os.path.join(out, name)  # nnlab writes the PNGs at the top, the script in images/
        if not os.path.exists(saved):
            saved = os.path.join(out, "images", name)
        a = np.asarray(Image.open(saved).convert("RGB"), dtype=np.int16)
        b = np.asarray(Image.open(os.path.join(clean, "images", name)).convert("RGB"), dtype=np.int16)
        worst = max(worst, int(np.abs(a - b).max()))
    result[os.path.basename(out)] = worst
print(json.dumps(result))
EOF
      say "  largest L-inf of the saved PNGs (gray levels): $(cat "$WORK/linf.json")"
      ;;
    pgd)
      [[ -x $NNLAB ]] || { echo "run_precision.sh: $NNLAB not built" >&2; exit 1; }
      inputs densenet121 "$PGD_IMAGES"
      precisions=(bf16)
      [[ $PGD_FP32 == 1 ]] && precisions+=(fp32)
      for precision in "${precisions[@]}"; do
        rm -rf "$WORK/out-pgd-$precision"
        timed "pgd-densenet121-noround-$precision" "$NNLAB" --threads "$THREADS" --precision "$precision" \
          attack --weights "$WORK/densenet121.pth" --arch densenet121 --input "$WORK/densenet121-$PGD_IMAGES" \
          --output "$WORK/out-pgd-$precision" --method pgd --steps 10 --epsilon 8 --no-round \
          "${NNLAB_EXTRA[@]}" --json -q
      done
      ;;
    *) echo "run_precision.sh: unknown part '$part' (peak, lab, pgd)" >&2; exit 1 ;;
  esac
done

# The tables (markdown) from the raw lines.
"$PY" - "$RAW" "$WORK/linf.json" "$IMAGES" >"$WORK/precision.md" <<'EOF'
import json, os, sys
raw, linf_file, images = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = {json.loads(l)["name"]: json.loads(l) for l in open(raw)}
linf = json.load(open(linf_file)) if os.path.exists(linf_file) else {}
out = []
peaks = {k[5:]: v for k, v in rows.items() if k.startswith("peak-")}
if peaks:
    bf16_peak = peaks.get("bf16", {}).get("sgemm_gflops")
    out += ["| precision | torch::mm 2048^2 GFLOP/s | VGG-16 fwd+bwd batch 8 GFLOP/s | of its own peak | of the bf16 peak | load before -> after |",
            "|---|---:|---:|---:|---:|---|"]
    for p, d in peaks.items():
        share = f"{100 * d['vgg16_gflops'] / bf16_peak:.0f}%" if bf16_peak else "-"
        out.append(f"| {p} | {d['sgemm_gflops']:.0f} | {d['vgg16_gflops']:.0f} | {100 * d['fraction_of_peak']:.0f}% | {share} | {d['load_before']} -> {d['load_after']} |")
    out.append("")
lab = {k: v for k, v in rows.items() if k.startswith("lab-") and k != "lab-rescore-fp32"}
if lab:
    rescore = rows.get("lab-rescore-fp32")
    fp32_rescored = {}
    if rescore:
        for r, acc in zip(rescore["rows"], rescore["accuracy"]):
            fp32_rescored[r] = acc[0]
    out += [f"| FGSM eps 8, vgg16, {images} PNGs | wall s | seconds | user + sys CPU s | peak RSS MB | success (own precision) | success re-scored fp32 | max L-inf | load before -> after |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    order = sorted(lab, key=lambda k: (not k.startswith("lab-nnlab"), k))
    rescored = rescore["accuracy"] if rescore else None
    for k in order:
        d = lab[k]
        folder = "out-" + k[4:]
        success = d.get("success_rate")
        if success is None and "adversarial_accuracy" in d:
            success = 1 - d["adversarial_accuracy"] / max(d.get("clean_accuracy", 1), 1e-9)
        fp32 = "-"
        if rescored and k == "lab-nnlab-bf16":
            fp32 = f"{100 * (1 - rescored[1][0]):.1f}%"
        if rescored and k == "lab-nnlab-fp32":
            fp32 = f"{100 * (1 - rescored[2][0]):.1f}%"
        out.append(f"| {k[4:]} | {d['wall']:.1f} | {d.get('seconds', 0):.1f} | {d['user_seconds']:.0f} + {d['sys_seconds']:.0f} | {d['max_rss_mb']:.0f} | {100 * success:.1f}% | {fp32} | {linf.get(folder, '-')} | {d['load_before']} -> {d['load_after']} |")
    out.append("")
for k, d in rows.items():
    if k.startswith("pgd-"):
        out.append(f"| {k} | {d['images']} images | seconds {d['seconds']:.1f} | wall {d['wall']:.1f} s | {d['user_seconds']:.0f} + {d['sys_seconds']:.0f} CPU s | {d['max_rss_mb']:.0f} MB | adv. accuracy {d['adversarial_accuracy']:.4f} | load {d['load_before']} -> {d['load_after']} |")
print("\n".join(out))
EOF
cat "$WORK/precision.md"
if [[ $KEEP_WEIGHTS != 1 ]]; then rm -f "$WORK"/*.pth; fi
say "done; raw results in $RAW, tables in $WORK/precision.md"
