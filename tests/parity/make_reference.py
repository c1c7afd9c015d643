#!/usr/bin/env python3
"""Writes the PyTorch side of the parity test: torchvision models and the logits they give.

For each architecture: a torchvision model with random weights (seeded) whose BatchNorm
weights, biases and running statistics are randomized too (so that a buffer loaded into the
wrong place changes the logits), saved with torch.save in the zip format as <arch>.pth; a fixed
batch of two 3x224x224 images in [0, 1] and the model's logits on it (after ImageNet
normalization, as nnlab's Classifier does it) as <arch>_io.pth; and for resnet50 and
densenet121 a copy in the legacy (pre-1.6) format as <arch>_legacy.pth. The DenseNet legacy copy
also uses the key names of torchvision's 2017 DenseNet files ("denselayer1.norm.1.weight"),
which nnlab::models::remap_legacy_densenet_keys undoes.

Usage: make_reference.py OUT_DIR. Does nothing when OUT_DIR already holds the files of this
version of the script (OUT_DIR/stamp).
"""
import hashlib
import os
import re
import sys

import torch
import torchvision

ARCHS = ["vgg16", "vgg19", "resnet50", "resnet101", "densenet121", "densenet169"]
LEGACY = ["resnet50", "densenet121"]
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def outputs():
    names = [f"{arch}.pth" for arch in ARCHS] + [f"{arch}_io.pth" for arch in ARCHS]
    return names + [f"{arch}_legacy.pth" for arch in LEGACY]


def fingerprint():
    with open(__file__, "rb") as script:
        digest = hashlib.sha256(script.read())
    digest.update(torch.__version__.encode())
    digest.update(torchvision.__version__.encode())
    return digest.hexdigest()


def randomize_batch_norms(model, calibration, generator):
    """Random BatchNorm weights and biases; running statistics from one training-mode pass
    over `calibration`, then perturbed. Randomized so that a buffer loaded into the wrong place
    shows in the logits, calibrated so that the logits of a deep random ResNet stay moderate."""
    batch_norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    with torch.no_grad():
        for bn in batch_norms:
            n = bn.num_features
            bn.weight.copy_(0.5 + torch.rand(n, generator=generator))
            bn.bias.copy_(0.2 * torch.rand(n, generator=generator) - 0.1)
            bn.momentum = 1.0  # running statistics := this batch's
        model.train()
        model(calibration)
        for bn in batch_norms:
            n = bn.num_features
            bn.momentum = 0.1
            bn.running_mean.add_(0.1 * bn.running_var.sqrt() * torch.randn(n, generator=generator))
            bn.running_var.mul_(0.8 + 0.4 * torch.rand(n, generator=generator))
            bn.num_batches_tracked.fill_(0)


def legacy_densenet_keys(state_dict):
    """The inverse of torchvision's renaming: "denselayer1.norm1.weight" -> "...norm.1.weight"."""
    pattern = re.compile(
        r"^(.*denselayer\d+\.(?:norm|relu|conv))([12])\.(weight|bias|running_mean|running_var)$")
    return type(state_dict)((pattern.sub(r"\1.\2.\3", key), value)
                            for key, value in state_dict.items())


def save(obj, path, **kwargs):
    # Atomic, so that an interrupted run never leaves a truncated file behind.
    torch.save(obj, path + ".tmp", **kwargs)
    os.replace(path + ".tmp", path)
    print(f"wrote {path} ({os.path.getsize(path) / 2**20:.1f} MiB)")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_reference.py OUT_DIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    stamp = os.path.join(out, "stamp")
    expected = fingerprint()
    if (os.path.exists(stamp) and open(stamp).read().strip() == expected
            and all(os.path.exists(os.path.join(out, name)) for name in outputs())):
        print(f"{out}: reference files are up to date")
        return
    if os.path.exists(stamp):
        os.remove(stamp)

    torch.set_num_threads(2)
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    for arch in ARCHS:
        torch.manual_seed(0)
        generator = torch.Generator().manual_seed(1)
        model = getattr(torchvision.models, arch)(weights=None)
        pixels = torch.rand(2, 3, 224, 224, generator=generator)
        calibration = torch.rand(2, 3, 224, 224, generator=generator)
        randomize_batch_norms(model, (calibration - mean) / std, generator)
        model.eval()
        with torch.no_grad():
            logits = model((pixels - mean) / std)
        print(f"{arch}: logits {tuple(logits.shape)}, max |logit| {logits.abs().max().item():.4g}")
        state_dict = model.state_dict()
        save(state_dict, os.path.join(out, f"{arch}.pth"))
        if arch in LEGACY:
            legacy = legacy_densenet_keys(state_dict) if arch.startswith("densenet") else state_dict
            save(legacy, os.path.join(out, f"{arch}_legacy.pth"),
                 _use_new_zipfile_serialization=False)
        save({"input": pixels, "logits": logits}, os.path.join(out, f"{arch}_io.pth"))

    with open(stamp, "w") as file:
        file.write(expected + "\n")


if __name__ == "__main__":
    main()
