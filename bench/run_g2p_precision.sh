#!/usr/bin/env bash
# bf16 against fp32 for the G2P model of docs/BENCHMARKS.md ("Precision (bf16): sequence
# models"): the reported model's configuration (the defaults of `nnlab g2p train` and the recipe of
# bench/run_g2p.sh) trained briefly on a slice of g014b2b.train in each precision -- training
# words/s and the dev split's WER and PER, from the training JSON -- then the fp32-trained model
# decoding the 12,000 test words in each precision, greedy and beam 5, alternating, ROUNDS times
# (words/s only: g014b2b.ref is never used to choose anything).
#
#   bash bench/run_g2p_precision.sh [BUILD_DIR] [OUT_DIR]   (defaults: build, /tmp/nnlab-g2p-precision)
#   LIMIT=20000 EPOCHS=2 ROUNDS=2 NNLAB_THREADS=2 bash bench/run_g2p_precision.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
out=${2:-/tmp/nnlab-g2p-precision}
nnlab=${NNLAB:-"$(cd "$build" && pwd)/nnlab"}
data=${G2P_DATA:-$(cd "$here/../.." && pwd)/shared/data/g2p}
limit=${LIMIT:-20000}
epochs=${EPOCHS:-2}
rounds=${ROUNDS:-2}
export OMP_WAIT_POLICY=PASSIVE NNLAB_THREADS=${NNLAB_THREADS:-2}
mkdir -p "$out"
cd "$out"
echo "date: $(date -u +%FT%TZ)  threads: $NNLAB_THREADS  load: $(cut -d' ' -f1-3 /proc/loadavg)"

for p in fp32 bf16; do
  [[ -e "train_$p.json" ]] || "$nnlab" --precision "$p" g2p train --train "$data/g014b2b.train" \
    --limit "$limit" --epochs "$epochs" --batch-size 256 --lr 2e-3 --lr-schedule cosine \
    --patience 0 --attention-lambda 0.1 -o "$p.pt" --json -q >"train_$p.json"
  python3 - "train_$p.json" "$p" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
e = j["epochs"]
print(f"train {sys.argv[2]}: words/s per epoch {[round(x['examples_per_second']) for x in e]}, "
      f"dev WER {j['dev_wer']:.2f}% PER {j['dev_per']:.2f}% (precision ran: {j['provenance']['precision']})")
EOF
done

for round in $(seq "$rounds"); do
  for beam in 5 1; do
    for p in fp32 bf16; do
      "$nnlab" --precision "$p" g2p eval --model fp32.pt --test "$data/g014b2b.ref" --beam "$beam" \
        --output "decode_${p}_beam$beam.tsv" --json -q >"decode_${p}_beam${beam}_$round.json"
      python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print(f'round $round beam $beam $p: {j[\"words_per_second\"]:.0f} words/s')" \
        "decode_${p}_beam${beam}_$round.json"
    done
  done
done
# How often the two precisions' outputs differ (the same fp32-trained weights).
for beam in 5 1; do
  echo "beam $beam: $(paste "decode_fp32_beam$beam.tsv" "decode_bf16_beam$beam.tsv" | awk -F'\t' '$2 != $4' | wc -l) of $(wc -l <"decode_fp32_beam$beam.tsv") words decoded differently"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
