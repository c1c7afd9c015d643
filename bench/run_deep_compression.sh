#!/usr/bin/env bash
# The compression-II results of docs/BENCHMARKS.md, on Fashion-MNIST: accuracy against bits for
# uniform and k-means quantization, the float16 and 8-bit min/max baselines, and the Deep
# Compression pipeline (nnlab compress --pipeline deep) on LeNet-300-100 and LeNet-5. Starts from
# the dense checkpoints of bench/run_compression.sh (same OUT_DIR: cnn.ckpt, lenet300.ckpt,
# lenet5_alone.ckpt) and trains lenet5-caffe; each result is kept as JSON, a step whose output
# exists is skipped. About 70 minutes on 2 cores. bench/deep_compression_tables.py prints the tables.
#
#   bash bench/run_deep_compression.sh [BUILD_DIR] [OUT_DIR]   (defaults: build, /tmp/nnlab-compression)
#   STEPS="bits deep300" bash bench/run_deep_compression.sh     (only these steps)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
out=${2:-/tmp/nnlab-compression}
nnlab="$(cd "$build" && pwd)/nnlab"
cd "$out"
export OMP_WAIT_POLICY=PASSIVE
steps=${STEPS:-deep300 caffe deep5 baselines bits}
source "$here/steps.sh"
for dense in cnn.ckpt lenet300.ckpt lenet5_alone.ckpt; do
  [[ -e $dense ]] || { echo "$out/$dense missing: run bench/run_compression.sh first" >&2; exit 1; }
done
mkdir -p q

# Deep Compression, the paper's recipe: prune in steps with fine-tuning, cluster the kept
# weights, tune the centroids, Huffman-code. LeNet-300-100 with the paper's per-layer kept
# fractions (8%, 9%, 26%) and 5-bit fc weights (the paper: 6).
want deep300 && run "deep lenet300" deep_lenet300.json \
  "$nnlab" compress --pipeline deep --model lenet300.ckpt --keep fc1=0.08,fc2=0.09,fc3=0.26 \
  --steps 8 --finetune-epochs 2 --lr 5e-4 --schedule-lr cosine --fc-bits 5 --cluster-epochs 2 \
  --cluster-lr 1e-4 -o lenet300_deep.nnz --json -q

# The paper's LeNet-5 (Caffe's, 431,080 parameters) with the paper's per-layer kept fractions
# (66%, 12%, 8%, 19%); 5-bit conv and fc weights (the paper: 8 and 5).
want caffe && run "train lenet5-caffe" lenet5_caffe.json \
  "$nnlab" train --arch lenet5-caffe --epochs 10 --lr 1e-3 --schedule cosine -o lenet5_caffe.ckpt \
  --json -q
want caffe && run "deep lenet5-caffe" deep_lenet5_caffe.json \
  "$nnlab" compress --pipeline deep --model lenet5_caffe.ckpt \
  --keep conv1=0.66,conv2=0.12,fc1=0.08,fc2=0.19 --steps 8 --finetune-epochs 2 --lr 5e-4 \
  --schedule-lr cosine --conv-bits 5 --fc-bits 5 --cluster-epochs 3 -o lenet5_caffe_deep.nnz \
  --json -q

# The zoo's LeNet-5 (61,706 parameters, 7x fewer than the paper's): fine-tuned by distillation
# from the cnn (T 4, alpha 0.9), 14 pruning steps of 5 epochs, 5-bit conv, 4-bit fc1 and fc2, 6-bit
# fc3 weights (docs/BENCHMARKS.md: 40.0x).
want deep5 && run "deep lenet5" deep_lenet5.json \
  "$nnlab" compress --pipeline deep --model lenet5_alone.ckpt \
  --keep conv1=0.6,conv2=0.2,fc1=0.048,fc2=0.09,fc3=0.3 --steps 14 --finetune-epochs 5 --lr 7e-4 \
  --schedule-lr cosine --teacher cnn.ckpt --temperature 4 --alpha 0.9 --conv-bits 5 --fc-bits 4 \
  --layer-bits fc3=6 --cluster-epochs 8 --cluster-lr 5e-4 -o lenet5_deep.nnz --json -q

# Accuracy against bits, every Linear and Conv weight quantized, nothing pruned: uniform
# (affine, min/max per tensor), k-means (linear initialization), and k-means after one epoch of
# centroid fine-tuning.
if want bits; then
  for model in lenet300 cnn; do
    for bits in 1 2 3 4 5 6 7 8; do
      if ((bits >= 2)); then
        run "uniform $model $bits" "q/${model}_uniform_$bits.json" "$nnlab" quantize \
          --model $model.ckpt --method uniform --bits $bits -o q/${model}_u$bits.nnz --json -q
      fi
      run "kmeans $model $bits" "q/${model}_kmeans_$bits.json" "$nnlab" quantize \
        --model $model.ckpt --method kmeans --bits $bits --finetune-epochs 0 \
        -o q/${model}_k$bits.nnz --json -q
      run "kmeans+tuning $model $bits" "q/${model}_kmeans_tuned_$bits.json" "$nnlab" quantize \
        --model $model.ckpt --method kmeans --bits $bits --finetune-epochs 1 --lr 1e-4 \
        -o q/${model}_kt$bits.nnz --json -q
    done
  done
fi

# The simple baselines: float16 storage, and 8-bit min/max (uniform affine per tensor).
if want baselines; then
  for model in lenet300 lenet5_alone cnn; do
    run "float16 $model" "q/${model}_float16.json" "$nnlab" quantize --model $model.ckpt \
      --method float16 -o q/${model}_f16.nnz --json -q
    run "minmax8 $model" "q/${model}_minmax8.json" "$nnlab" quantize --model $model.ckpt \
      --method uniform --bits 8 -o q/${model}_mm8.nnz --json -q
  done
fi

echo "results in $out" >&2
