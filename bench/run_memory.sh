#!/usr/bin/env bash
# Memory, allocator and batch size of the 224x224 attack (issue 30, item 4): FGSM eps 8 on VGG-16
# over IMAGES photos-like PNGs, one process per run, timed by /usr/bin/time: wall, user and system
# CPU seconds, minor page faults and peak RSS, with the load average before and after each run.
# The inputs are bench/run_fullsize_attack.sh's: torchvision's vgg16 with torch.manual_seed(0)
# weights and smooth random 224x224 PNGs labelled with the model's own predictions, so that every
# image is attacked (bench/attack_peer.py make-imagenet).
#
#   bash bench/run_memory.sh [NNLAB]   # NNLAB: the nnlab binary as built [build/nnlab]
#
# Each entry of RUNS is VARIANT:BATCH (--batch-size BATCH; "default": no --batch-size flag):
#   linked        NNLAB as built (the allocator and settings it links and configures itself)
#   system        NNLAB_SYSTEM, a build with the system allocator (cmake -DNNLAB_JEMALLOC=OFF)
#   je-default    NNLAB_SYSTEM with Debian's jemalloc preloaded, jemalloc's own defaults
#   je-decay-off  ... preloaded, MALLOC_CONF=dirty_decay_ms:-1,muzzy_decay_ms:-1 (never purge)
#   je-decay-60s  ... preloaded, MALLOC_CONF=dirty_decay_ms:60000,muzzy_decay_ms:60000
#   je-decay-60s-all  ... and oversize_threshold:0 (no "huge" arena for allocations over 8 MiB,
#                 which jemalloc purges at once under any positive decay)
#   je-background ... preloaded, MALLOC_CONF=background_thread:true (purging off the main thread)
# A variant that needs NNLAB_SYSTEM or libjemalloc.so.2 is skipped (with a note) where it is absent.
#
# Environment (defaults in brackets): WORK [/tmp/nnlab-memory] for vgg16.pth, the images, the
# outputs and the raw lines; IMAGES [40]; THREADS [2]; OMP_WAIT_POLICY [PASSIVE];
# NNLAB_SYSTEM [none]; JEMALLOC [Debian's libjemalloc.so.2];
# RUNS ["system:64 system:8 je-default:8 je-decay-off:8 je-decay-60s:8 je-decay-60s-all:8
#        je-background:8 linked:8 linked:16 linked:32 linked:64 linked:default"]; OUT [$WORK/memory.md].
# About 5 minutes on 2 idle cores (inputs ~1 min, each run 12-20 s); the weights are kept.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
NNLAB=${1:-${NNLAB:-build/nnlab}}
[[ -x $NNLAB ]] || { echo "run_memory.sh: no nnlab binary at $NNLAB" >&2; exit 1; }
NNLAB_SYSTEM=${NNLAB_SYSTEM:-}
JEMALLOC=${JEMALLOC:-$(/sbin/ldconfig -p | awk '/libjemalloc.so.2 / {print $NF}' | head -n 1 || true)}
WORK=${WORK:-/tmp/nnlab-memory}
IMAGES=${IMAGES:-40}
THREADS=${THREADS:-2}
RUNS=${RUNS:-"system:64 system:8 je-default:8 je-decay-off:8 je-decay-60s:8 je-decay-60s-all:8 je-background:8 linked:8 linked:16 linked:32 linked:64 linked:default"}
OUT=${OUT:-$WORK/memory.md}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
source "$here/torch_python.sh"
mkdir -p "$WORK"
RAW=$WORK/memory-raw.tsv
: >"$RAW"
load() { cut -d' ' -f1-3 /proc/loadavg; }

dir=$WORK/vgg16-images
if [[ ! -f $WORK/vgg16.pth || ! -f $dir/labels.csv ]] || (($(tail -n +2 "$dir/labels.csv" | wc -l) != IMAGES)); then
  rm -rf "$dir"
  echo "making vgg16.pth (torch.manual_seed(0)) and $IMAGES images in $dir" >&2
  "$TORCH_PYTHON" "$here/attack_peer.py" make-imagenet --arch vgg16 --images "$IMAGES" --out "$dir" \
    --weights "$WORK/vgg16.pth" --threads "$THREADS" >/dev/null
fi

for run in $RUNS; do
  variant=${run%%:*} batch=${run##*:}
  binary=$NNLAB env_args=()
  case $variant in
    linked) ;;
    system) binary=$NNLAB_SYSTEM ;;
    je-default) binary=$NNLAB_SYSTEM env_args=(LD_PRELOAD="$JEMALLOC") ;;
    je-decay-off) binary=$NNLAB_SYSTEM env_args=(LD_PRELOAD="$JEMALLOC" MALLOC_CONF=dirty_decay_ms:-1,muzzy_decay_ms:-1) ;;
    je-decay-60s) binary=$NNLAB_SYSTEM env_args=(LD_PRELOAD="$JEMALLOC" MALLOC_CONF=dirty_decay_ms:60000,muzzy_decay_ms:60000) ;;
    je-decay-60s-all) binary=$NNLAB_SYSTEM env_args=(LD_PRELOAD="$JEMALLOC" MALLOC_CONF=dirty_decay_ms:60000,muzzy_decay_ms:60000,oversize_threshold:0) ;;
    je-background) binary=$NNLAB_SYSTEM env_args=(LD_PRELOAD="$JEMALLOC" MALLOC_CONF=background_thread:true) ;;
    *) echo "run_memory.sh: unknown variant '$variant'" >&2; exit 1 ;;
  esac
  if [[ -z $binary || ! -x $binary ]] || { [[ ${env_args[*]:-} == *LD_PRELOAD* ]] && [[ ! -f $JEMALLOC ]]; }; then
    echo "$run: skipped (no NNLAB_SYSTEM binary or no libjemalloc.so.2)" >&2
    continue
  fi
  batch_args=()
  [[ $batch != default ]] && batch_args=(--batch-size "$batch")
  out=$WORK/out-$variant-$batch
  rm -rf "$out"
  before=$(load)
  json=$(env "${env_args[@]}" /usr/bin/time -f '%e %M %U %S %R' -o "$WORK/time.txt" \
    "$binary" --threads "$THREADS" attack --weights "$WORK/vgg16.pth" --arch vgg16 --input "$dir" \
    --output "$out" --method fgsm --epsilon 8 "${batch_args[@]}" --json -q)
  after=$(load)
  read -r wall rss_kb user sys faults < <(tail -n 1 "$WORK/time.txt")
  allocator=$(printf '%s' "$json" | "$TORCH_PYTHON" -c 'import json,sys; print(json.load(sys.stdin).get("provenance", {}).get("allocator", "-"))')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$variant" "$batch" "$allocator" "${env_args[*]:--}" \
    "$wall" "$user" "$sys" "$faults" "$((rss_kb / 1024))" "$before" "$after" | tee -a "$RAW" >&2
done

{
  echo "FGSM eps 8, vgg16, $IMAGES images of 224x224, fp32, $THREADS threads, $(date -u +%Y-%m-%d)."
  echo
  echo "| variant | batch | allocator (provenance) | environment | wall s | user s | system s | minor faults | peak RSS MB | load before -> after |"
  echo "|---|---:|---|---|---:|---:|---:|---:|---:|---|"
  while IFS=$'\t' read -r variant batch allocator envs wall user sys faults rss before after; do
    envs=${envs//$JEMALLOC/libjemalloc.so.2}
    echo "| $variant | $batch | $allocator | $envs | $wall | $user | $sys | $faults | $rss | $before -> $after |"
  done <"$RAW"
} | tee "$OUT"
