#!/usr/bin/env bash
# The distributed results of docs/BENCHMARKS.md, on this machine: training throughput of lenet5
# and the cnn on Fashion-MNIST (2 epochs, global batch 128) as 1 process with all cores, 1
# process with 1 thread, and 2 processes with 1 thread each (nnlab launch); and the all-reduce
# bandwidth between 2 processes on loopback. Results as JSON in OUT_DIR.
#
#   bash bench/run_distributed.sh [BUILD_DIR] [OUT_DIR]     (defaults: build, /tmp/nnlab-distributed)
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
out=${2:-/tmp/nnlab-distributed}
nnlab="$build/nnlab"
mkdir -p "$out"
cd "$out"
export OMP_WAIT_POLICY=PASSIVE
for arch in lenet5 cnn; do
  common=(train --arch "$arch" --data fashion-mnist --epochs 2 --batch-size 128 --seed 1 -q --json)
  "$nnlab" "${common[@]}" -o "${arch}_1p.ckpt" > "${arch}_1process.json"
  "$nnlab" --threads 1 "${common[@]}" -o "${arch}_1t.ckpt" > "${arch}_1thread.json"
  "$nnlab" launch --nproc 2 --threads-per-process 1 -- nnlab "${common[@]}" -o "${arch}_2p.ckpt" \
    > "${arch}_2processes.json"
done
"$nnlab" launch --nproc 2 --threads-per-process 1 -- "$build/bench/bench_allreduce_bandwidth" \
  > allreduce.jsonl
cat allreduce.jsonl
