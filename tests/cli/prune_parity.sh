#!/usr/bin/env bash
# nnlab's one-shot global magnitude pruning gives the same masks as PyTorch's
# torch.nn.utils.prune.global_unstructured(L1Unstructured) on the same weights
# (bench/prune_parity.py does the comparison).
set -euo pipefail
: "${NNLAB:?set NNLAB to the nnlab binary}"
: "${NNLAB_SOURCE_DIR:?set NNLAB_SOURCE_DIR}"
: "${NNLAB_TORCH_PYTHON:?set NNLAB_TORCH_PYTHON to a Python that imports torch}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A briefly trained LeNet-300-100 (the weights only need to be realistic, not good).
"$NNLAB" train --arch lenet300 --data fashion-mnist --epochs 1 --limit 2000 -o "$tmp/dense.ckpt" -q
for sparsity in 0.5 0.92; do
  "$NNLAB" prune --model "$tmp/dense.ckpt" --sparsity "$sparsity" --steps 1 --finetune-epochs 0 \
    --latency-batch 1 -o "$tmp/pruned.ckpt" -q > /dev/null
  "$NNLAB_TORCH_PYTHON" "$NNLAB_SOURCE_DIR/bench/prune_parity.py" "$tmp/dense.ckpt" \
    "$tmp/pruned.ckpt" "$sparsity" > "$tmp/parity.json"
  "$NNLAB_TORCH_PYTHON" -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["weights"] == 266200, r
assert r["masks_differ"] == 0, r
' "$tmp/parity.json"
done
echo "prune parity: masks equal torch.nn.utils.prune at 50% and 92%"
