"""nnlab's global magnitude pruning against torch.nn.utils.prune on the same weights.

    /usr/bin/python3 bench/prune_parity.py DENSE.ckpt PRUNED.ckpt SPARSITY

DENSE.ckpt: an nnlab checkpoint; PRUNED.ckpt: `nnlab prune --model DENSE.ckpt --sparsity S
--steps 1 --finetune-epochs 0 -o PRUNED.ckpt` (one step, no fine-tuning: the masks come from the
dense weights alone). Both are torch.save zips (docs/FORMAT.md): `model.<name>` tensors and, in
the pruned one, `mask.<name>`. The script rebuilds every pruned weight as a parameter, runs
torch.nn.utils.prune.global_unstructured(L1Unstructured, amount=S) over them, and compares the
masks element by element. Prints one JSON line.
"""
import json
import sys

import torch
from torch.nn.utils import prune


def main():
    dense_path, pruned_path, sparsity = sys.argv[1], sys.argv[2], float(sys.argv[3])
    dense = torch.load(dense_path)
    pruned = torch.load(pruned_path)
    nnlab_masks = {k[len("mask."):]: v for k, v in pruned.items() if k.startswith("mask.")}
    holders = []
    for name in nnlab_masks:
        holder = torch.nn.Module()
        holder.weight = torch.nn.Parameter(dense["model." + name].clone().float())
        holders.append((name, holder))
    prune.global_unstructured([(h, "weight") for _, h in holders],
                              pruning_method=prune.L1Unstructured, amount=sparsity)
    differing = total = 0
    per_layer = {}
    for name, holder in holders:
        theirs = holder.weight_mask.to(torch.uint8)
        ours = nnlab_masks[name].to(torch.uint8)
        d = int((theirs != ours).sum())
        differing += d
        total += theirs.numel()
        per_layer[name] = {"weights": theirs.numel(), "kept": int(ours.sum()), "differ": d}
    print(json.dumps({"sparsity": sparsity, "weights": total, "masks_differ": differing,
                      "layers": per_layer, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
