#!/usr/bin/env python3
"""Markdown tables of bench/run_deep_compression.sh's JSON results (docs/BENCHMARKS.md).

    python3 bench/deep_compression_tables.py [OUT_DIR]      (default /tmp/nnlab-compression)
"""
import json
import os
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/nnlab-compression"


def load(name):
    path = os.path.join(out, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def pct(x):
    return "—" if x is None else f"{100 * x:.2f}%"


def bits_table(model):
    dense = load(f"q/{model}_kmeans_8.json")
    print(f"\n{model}: test accuracy against bits per weight "
          f"(dense {pct(dense and dense['accuracy_before'])})\n")
    print("| bits | uniform (affine min/max) | k-means | k-means + 1 epoch centroid tuning | .nnz ratio (k-means) |")
    print("|---|---|---|---|---|")
    for bits in range(1, 9):
        u = load(f"q/{model}_uniform_{bits}.json")
        k = load(f"q/{model}_kmeans_{bits}.json")
        t = load(f"q/{model}_kmeans_tuned_{bits}.json")
        ratio = f"{k['float32_bytes'] / k['file_bytes']:.1f}×" if k else "—"
        print(f"| {bits} | {pct(u and u['accuracy_quantized']) if bits > 1 else 'n/a'} | "
              f"{pct(k and k['accuracy_quantized'])} | {pct(t and t['accuracy_finetuned'])} | {ratio} |")


def baselines():
    print("\nBaselines: every tensor float16; 8-bit min/max (uniform affine per tensor)\n")
    print("| model | dense | float16 | ratio | 8-bit min/max | ratio |")
    print("|---|---|---|---|---|---|")
    for model in ("lenet300", "lenet5_alone", "cnn"):
        h = load(f"q/{model}_float16.json")
        m = load(f"q/{model}_minmax8.json")
        if not h or not m:
            continue
        print(f"| {model} | {pct(h['accuracy_before'])} | {pct(h['accuracy_quantized'])} | "
              f"{h['float32_bytes'] / h['file_bytes']:.2f}× | {pct(m['accuracy_quantized'])} | "
              f"{m['float32_bytes'] / m['file_bytes']:.2f}× |")


def deep(name):
    r = load(name)
    if not r:
        return
    print(f"\n{r['model']} → {r['nnz']}\n")
    print("| layer | weights | kept | bits Q (weight / index) | bits after Huffman | bytes | ratio |")
    print("|---|---|---|---|---|---|---|")
    for l in r["layers"]:
        index = f"{l['index_bits']}" if l["index_bits"] else "—"
        hindex = f"{l['index_bits_huffman']:.2f}" if l["index_bits"] else "—"
        print(f"| {l['name']} | {l['weights']:,} | {100 * l['kept_fraction']:.1f}% | "
              f"{l['weight_bits']} / {index} | {l['weight_bits_huffman']:.2f} / {hindex} | "
              f"{int(l['bytes']):,} | {l['ratio']:.1f}× |")
    print(f"| **file** | | | | | **{int(r['file_bytes']):,}** | **{r['ratio']:.1f}×** |")
    print("\n| stage | test accuracy | bytes | ratio |")
    print("|---|---|---|---|")
    for s in r["stages"]:
        print(f"| {s['stage']} | {pct(s['test_accuracy'])} | {int(round(s['bytes'])):,} | "
              f"{s['ratio']:.1f}× |")


for model in ("lenet300", "cnn"):
    bits_table(model)
baselines()
deep("deep_lenet300.json")
deep("deep_lenet5_caffe.json")
deep("deep_lenet5.json")
