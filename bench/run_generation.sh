#!/usr/bin/env bash
# The generation results of docs/BENCHMARKS.md: a character-level LSTM language model on the
# poems of Debian's fortunes-zh (tang300 + song100; 10% of the poems held out by a hash of their
# text, 5% of the rest for dev) with its held-out perplexity beside add-k unigram and bigram
# models on the same split; 100 samples from "床前明月光，" at temperature 0.8 for three seeds
# (the share of lines of 5 or 7 characters closed by ，or 。); and caption generation on scenes of
# three Fashion-MNIST items, trained with and without the attention regularizer (the same
# recipe otherwise), scored on 2,000 test scenes with greedy search and beam 3. Every result is
# kept as JSON; a step whose output exists is skipped.
#
#   bash bench/run_generation.sh [BUILD_DIR] [OUT_DIR]     (defaults: build, /tmp/nnlab-generation)
#   STEPS="lm sample" bash bench/run_generation.sh         (only these steps)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
out=${2:-/tmp/nnlab-generation}
nnlab="$(cd "$build" && pwd)/nnlab"
poems=(/usr/share/games/fortunes/tang300 /usr/share/games/fortunes/song100)
mkdir -p "$out"
cd "$out"
export OMP_WAIT_POLICY=PASSIVE
steps=${STEPS:-lm sample caption ablation}
source "$here/steps.sh"

# The language model: 2-layer LSTM (embeddings 256, hidden 512, dropout 0.4), documents in
# batches of 32 read 100 tokens at a time, Adam 3e-3 times 0.7 after every epoch without a better
# dev perplexity, stopped after 8 such epochs, the best epoch kept (all defaults).
want lm && run "lm train" lm.json "$nnlab" lm train --text "${poems[@]}" -o poems.lm \
  --checkpoint poems.state --json -q
want lm && run "lm eval" lm_eval.json "$nnlab" lm eval -m poems.lm --text "${poems[@]}" \
  --baselines --json -q
for seed in 1 2 3; do
  want sample && run "samples, seed $seed" "samples_$seed.json" "$nnlab" lm generate \
    -m poems.lm --prompt "床前明月光，" --temperature 0.8 --samples 100 --max-tokens 64 --verse \
    --seed "$seed" --json -q
done

# Captions: 20,000 training scenes of 3 items on a 64x64 canvas, 6 epochs (all defaults but
# the scene count and epochs); the ablation adds the regularizer with lambda 1 (tau: the
# caption's attention spread evenly over the 256 regions).
caption() {  # caption NAME EXTRA_FLAGS...
  local name=$1
  shift
  run "caption $name" "$name.json" "$nnlab" caption train --scenes 20000 --epochs 6 "$@" \
    -o "$name.pt" --json -q
  run "caption $name beam 3" "${name}_beam3.json" "$nnlab" caption eval -m "$name.pt" \
    --scenes 2000 --beam 3 --json -q
}
want caption && caption caption_l0
want ablation && caption caption_l1 --attention-lambda 1
want caption && run "describe" describe.json "$nnlab" caption describe -m caption_l0.pt \
  --scene 0 --html caption_attention.html --json -q
true
