#!/usr/bin/env bash
# The compression-I results of docs/BENCHMARKS.md, on Fashion-MNIST: every model trained, pruned,
# factorized, distilled and converted by the nnlab commands below, each result kept as JSON in
# OUT_DIR (a step whose output exists is skipped, so an interrupted run continues). About an hour
# on 2 cores; latency is measured at the end, so run it on an otherwise idle machine.
#
#   bash bench/run_compression.sh [BUILD_DIR] [OUT_DIR]     (defaults: build, /tmp/nnlab-compression)
#   STEPS="teacher filters" bash bench/run_compression.sh    (only these steps)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
out=${2:-/tmp/nnlab-compression}
nnlab="$(cd "$build" && pwd)/nnlab"
mkdir -p "$out"
cd "$out"
export OMP_WAIT_POLICY=PASSIVE
steps=${STEPS:-teacher lenet300 filters factorize student distil convert convert_small mobilenet sparse nnz cnn_kmeans latency peer}
source "$here/steps.sh"

# The dense models: the teacher / pruning baseline, and LeNet-300-100.
want teacher && run teacher cnn.json \
  "$nnlab" train --arch cnn --epochs 12 --lr 2e-3 --schedule cosine -o cnn.ckpt --json -q
want lenet300 && run lenet300 lenet300.json \
  "$nnlab" train --arch lenet300 --epochs 10 --lr 1e-3 --schedule cosine -o lenet300.ckpt --json -q
# Filter pruning of the cnn to at most 45% of its MACs, in three steps with fine-tuning.
want filters && run filters filters.json \
  "$nnlab" prune --structured --target-macs 0.45 --steps 3 --schedule equal --importance l1 \
  --finetune-epochs 2 --lr 5e-4 --model cnn.ckpt -o cnn_thin.ckpt --json -q
# Low-rank factorization of lenet300's first layer to rank 32.
want factorize && run factorize factorize.json \
  "$nnlab" factorize --model lenet300.ckpt --layers fc1 --rank 32 --finetune-epochs 6 --lr 1e-3 \
  --schedule-lr cosine \
  -o lenet300_rank32.ckpt --json -q
# Distillation: lenet5 (61,706 parameters, 7% of the cnn) alone and from the cnn, same seed and
# epochs (20: at 10 the two are level, docs/BENCHMARKS.md).
want student && run student student.json \
  "$nnlab" train --arch lenet5 --epochs 20 --lr 3e-3 --schedule cosine -o lenet5_alone.ckpt --json -q
want distil && run distil distil.json \
  "$nnlab" train --arch lenet5 --epochs 20 --lr 3e-3 --schedule cosine --teacher cnn.ckpt \
  --temperature 4 --alpha 0.9 -o lenet5_kd.ckpt --json -q
# Depthwise-separable conversion of the cnn's 3x3 convolutions (all but the first), distilled
# from it; then its 3136 x 256 Linear (92% of the parameters) factorized to rank 32: a
# depthwise-separable cnn under a fifth of the parameters. And the MobileNet-style design.
want convert && run convert convert.json \
  "$nnlab" convert --depthwise --model cnn.ckpt --finetune-epochs 5 --lr 1e-3 --schedule-lr cosine \
  -o cnn_dw.ckpt --json -q
want convert_small && run convert_small convert_small.json \
  "$nnlab" factorize --model cnn_dw.ckpt --layers classifier.2 --rank 32 --finetune-epochs 3 \
  --lr 5e-4 --schedule-lr cosine -o cnn_dw_small.ckpt --json -q
want mobilenet && run mobilenet mobilenet.json \
  "$nnlab" train --arch mobilenet --epochs 8 --lr 2e-3 --schedule cosine -o mobilenet.ckpt --json -q
# Unstructured pruning of lenet300 to 8% of its weights.
want sparse && run sparse sparse.json \
  "$nnlab" prune --model lenet300.ckpt --sparsity 0.92 --steps 4 --schedule agp --finetune-epochs 3 \
  --lr 5e-4 -o lenet300_sparse.ckpt --json -q
# The pruned lenet300 shared by 4-bit k-means and written as .nnz; its accuracy read back.
want nnz && run nnz nnz.json \
  "$nnlab" quantize --model lenet300_sparse.ckpt --bits 4 --gap-bits 5 --finetune-epochs 1 --lr 1e-4 \
  -o lenet300.nnz --json -q
want nnz && run "nnz eval" nnz_eval.json "$nnlab" eval --model lenet300.nnz --json -q
# k-means at 4 bits on the dense cnn.
want cnn_kmeans && run cnn_kmeans cnn_kmeans.json \
  "$nnlab" quantize --model cnn.ckpt --bits 4 --finetune-epochs 1 --lr 1e-4 -o cnn4.nnz --json -q
# Parameters, MACs and latency (batch 1 and 64, median of 20 runs) of the dense and compressed
# models.
if want latency; then
  for model in cnn cnn_thin cnn_dw cnn_dw_small mobilenet lenet300 lenet300_rank32 lenet5_alone \
    lenet5_kd; do
    [[ -e "$model.ckpt" ]] || continue
    run "summary $model" "summary_$model.json" \
      "$nnlab" summary --model "$model.ckpt" --latency --json -q
  done
fi
# Torch-Pruning on the same cnn weights at the same ratios (bench/.venv, setup_attack_peer.sh).
if want peer; then
  py=$(bash "$here/setup_attack_peer.sh")
  for ratio in 0.25 0.5; do
    run "nnlab ratio $ratio" "peer_nnlab_$ratio.json" \
      "$nnlab" prune --structured --ratio "$ratio" --steps 1 --finetune-epochs 0 --model cnn.ckpt \
      -o "cnn_r$ratio.ckpt" --json -q
    run "torch-pruning ratio $ratio" "peer_$ratio.json" \
      "$py" "$here/channel_prune_peer.py" cnn.ckpt "cnn_r$ratio.ckpt" "$ratio"
  done
fi
echo "results in $out" >&2
