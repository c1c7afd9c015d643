#!/usr/bin/env python3
"""Markdown tables from the JSON lines the bench/run_*.sh scripts collect (standard library only).

Each input line: {"group": "...", "label": "...", "result": {... images_per_second,
images_per_cpu_second ...}}. Every (group, label) was run several times, interleaved with the
others; a cell is the median over those runs, and a ratio is the ratio of two medians.

  summarize.py pairs FILE     one row per group: nnlab vs pytorch (labels "nnlab", "pytorch")
  summarize.py variants FILE  one row per label, each compared with the first label of its group
"""
import json
import statistics
import sys
from collections import OrderedDict


def load(path):
    cells = OrderedDict()  # group -> label -> list of results
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            row = json.loads(line)
            cells.setdefault(row["group"], OrderedDict()).setdefault(row["label"], []).append(row["result"])
    return cells


def med(results, key):
    return statistics.median(r[key] for r in results)


def spread(results, key):
    values = [r[key] for r in results]
    return f"{min(values):.0f}-{max(values):.0f}"


def pairs(cells):
    print("| configuration | runs | nnlab img/s | PyTorch img/s | nnlab / PyTorch (wall) "
          "| nnlab img/CPU-s | PyTorch img/CPU-s | nnlab / PyTorch (CPU) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for group, labels in cells.items():
        ours, theirs = labels.get("nnlab", []), labels.get("pytorch", [])
        if not ours or not theirs:
            continue
        w_ours, w_theirs = med(ours, "images_per_second"), med(theirs, "images_per_second")
        c_ours, c_theirs = med(ours, "images_per_cpu_second"), med(theirs, "images_per_cpu_second")
        print(f"| {group} | {len(ours)}+{len(theirs)} | {w_ours:.0f} ({spread(ours, 'images_per_second')}) "
              f"| {w_theirs:.0f} ({spread(theirs, 'images_per_second')}) | **{w_ours / w_theirs:.2f}x** "
              f"| {c_ours:.0f} | {c_theirs:.0f} | **{c_ours / c_theirs:.2f}x** |")
    usage_table(cells, ["nnlab", "pytorch"])


def usage_table(cells, labels):
    """Where the CPU time went: system-time share, page faults and context switches per step."""
    keys = ("system_time_fraction", "minor_faults_per_step", "context_switches_per_step")
    rows = []
    for group, by_label in cells.items():
        for label in labels or by_label.keys():
            results = [r for r in by_label.get(label, []) if all(k in r for k in keys)]
            if results:
                rows.append(f"| {group} | {label} | {100 * med(results, keys[0]):.0f}% "
                            f"| {med(results, keys[1]):.0f} | {med(results, keys[2]):.0f} |")
    if rows:
        print()
        print("| configuration | run | system time / CPU time | minor page faults / step "
              "| context switches / step |")
        print("|---|---|---:|---:|---:|")
        print("\n".join(rows))


def variants(cells):
    print("| configuration | setting | runs | img/s (min-max) | vs first (wall) | img/CPU-s | vs first (CPU) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for group, labels in cells.items():
        base = None
        for label, results in labels.items():
            wall, cpu = med(results, "images_per_second"), med(results, "images_per_cpu_second")
            if base is None:
                base = (wall, cpu)
            print(f"| {group} | {label} | {len(results)} | {wall:.0f} ({spread(results, 'images_per_second')}) "
                  f"| {wall / base[0]:.2f}x | {cpu:.0f} | {cpu / base[1]:.2f}x |")
    usage_table(cells, None)


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("pairs", "variants"):
        sys.exit(__doc__)
    cells = load(sys.argv[2])
    pairs(cells) if sys.argv[1] == "pairs" else variants(cells)


if __name__ == "__main__":
    main()
