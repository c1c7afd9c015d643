#!/bin/bash
# examples.attack_folder: a tiny model and folder made with the nnlab binary (16 Fashion-MNIST
# test images in the task layout, lenet300 trained for one epoch on 500 images), then the example
# run on them: it must exit 0, print both accuracies, and write one PNG per image.
set -euo pipefail
example=$1
nnlab=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$nnlab" -q --threads 1 export-images --data fashion-mnist --count 16 -o "$work/images"
"$nnlab" -q --threads 1 train --arch lenet300 --data fashion-mnist --limit 500 --epochs 1 \
  -o "$work/m.ckpt" >/dev/null
out=$("$example" "$work/m.ckpt" "$work/images" "$work/adv" fgsm 8)
echo "$out"
grep -q '^fgsm on 16 images of ' <<<"$out"
grep -Eq '^clean accuracy: [01]\.[0-9]{4}$' <<<"$out"
grep -Eq '^adversarial accuracy: [01]\.[0-9]{4} \(epsilon 8/255' <<<"$out"
test "$(ls "$work/adv"/*.png | wc -l)" -eq 16
test -f "$work/adv/metrics.json"
# A folder the example cannot use: exit 1 with one line naming it.
if "$example" "$work/m.ckpt" "$work/nowhere" "$work/adv2" 2>"$work/err"; then exit 1; fi
grep -q "nowhere" "$work/err"
echo "examples.attack_folder: ok"
