#!/usr/bin/env bash
# Smoke test of `nnlab summary`: the table and totals, --json, and an unknown architecture.
set -euo pipefail
: "${NNLAB:?set NNLAB to the nnlab binary}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$NNLAB" summary --arch lenet5 > "$tmp/table.txt"
grep -q "61,706" "$tmp/table.txt" || { echo "no total 61,706 in:"; cat "$tmp/table.txt"; exit 1; }
grep -q "416,520" "$tmp/table.txt" || { echo "no MACs 416,520 in:"; cat "$tmp/table.txt"; exit 1; }
grep -q "conv1 .*Conv2d .*1x6x28x28" "$tmp/table.txt" || { echo "no conv1 row in:"; cat "$tmp/table.txt"; exit 1; }

"$NNLAB" --json summary --arch lenet5 > "$tmp/summary.json"
python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s["arch"] == "lenet5", s["arch"]
assert s["format_version"] == 1, s.get("format_version")  # every --json output carries it
assert s["total_params"] == 61706, s["total_params"]
assert s["total_macs"] == 416520, s["total_macs"]
assert s["param_bytes"] == 4 * 61706, s["param_bytes"]
assert s["layers"][0]["name"] == "conv1" and s["layers"][0]["output_shape"] == [1, 6, 28, 28]
assert sum(layer["params"] for layer in s["layers"]) == 61706
' < "$tmp/summary.json"

# --input-size reaches the model: a ResNet at 3x32x32 ends in a 1x1 feature map.
"$NNLAB" --json summary --arch resnet18 --input-size 3x32x32 --num-classes 10 > "$tmp/resnet.json"
python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s["total_params"] == 11181642, s["total_params"]
assert s["layers"][-1]["output_shape"] == [1, 10], s["layers"][-1]
' < "$tmp/resnet.json"

# Errors: exit code 1 (not a crash), one line on stderr naming the problem.
set +e
"$NNLAB" summary --arch no_such_net > "$tmp/out.txt" 2> "$tmp/err.txt"
rc=$?
set -e
[ "$rc" -eq 1 ] || { echo "unknown arch: exit code $rc, expected 1"; cat "$tmp/err.txt"; exit 1; }
[ "$(wc -l < "$tmp/err.txt")" -eq 1 ] || { echo "expected one line on stderr:"; cat "$tmp/err.txt"; exit 1; }
grep -q "no_such_net" "$tmp/err.txt" || { echo "stderr does not name the arch:"; cat "$tmp/err.txt"; exit 1; }

set +e
"$NNLAB" summary --arch lenet5 --input-size 1x32 > /dev/null 2> "$tmp/err.txt"
rc=$?
set -e
[ "$rc" -eq 1 ] || { echo "bad --input-size: exit code $rc, expected 1"; cat "$tmp/err.txt"; exit 1; }
grep -q -- "--input-size" "$tmp/err.txt" || { echo "stderr does not name --input-size:"; cat "$tmp/err.txt"; exit 1; }

set +e
"$NNLAB" summary --arch lenet5 --input-size 1x32x32 > /dev/null 2> "$tmp/err.txt"
rc=$?
set -e
[ "$rc" -eq 1 ] || { echo "wrong input size: exit code $rc, expected 1"; cat "$tmp/err.txt"; exit 1; }
[ "$(wc -l < "$tmp/err.txt")" -eq 1 ] || { echo "expected one line on stderr:"; cat "$tmp/err.txt"; exit 1; }
echo "summary smoke test passed"

# The depthwise-separable arithmetic of each convolution, and measured latency.
"$NNLAB" --json summary --arch lenet5 --depthwise --latency > "$tmp/dw.json"
python3 -c '
import json, sys
s = json.load(sys.stdin)
dw = {c["name"]: c for c in s["depthwise_separable"]}
assert dw["conv1"]["params"] == 5 * 5 * 1 * 6 and dw["conv1"]["separable_params"] == 25 + 6, dw
assert dw["conv2"]["params"] == 2400 and dw["conv2"]["separable_params"] == 150 + 96, dw
assert abs(dw["conv2"]["ratio"] - (1 / 16 + 1 / 25)) < 1e-12, dw
assert [l["batch_size"] for l in s["latency"]] == [1, 64] and all(l["median_ms"] > 0 for l in s["latency"])
' < "$tmp/dw.json"
