#!/usr/bin/env python3
"""The torchattacks side of bench/run_attack_bench.sh: the same weights, images and attack settings
as `nnlab attack`, one JSON object on stdout per command (keys as in nnlab's `--json` output).

Run it with the venv that bench/setup_attack_peer.sh makes (torchattacks==3.5.1 on Debian's
python3-torch 1.13, the LibTorch that nnlab links).

  attack_peer.py attack (--model CKPT | --weights PTH --arch resnet50) (--data fashion-mnist | --input DIR)
                 [--output DIR] --method fgsm|pgd --epsilon E [--steps N] [--step-size S] ...
  attack_peer.py eval --model CKPT --data fashion-mnist        clean accuracy (cf. `nnlab eval`)
  attack_peer.py make-resnet50 --out DIR [--images 16]         resnet50.pth + a task-layout folder
  attack_peer.py compare A B [--clean DIR]                     per-pixel difference of two PNG folders

What "seconds" of `attack` covers (cf. app/commands/attack.cpp: the clock starts after the model
and the images are loaded and stops after scoring) -- the work an idiomatic torchattacks user does
to get the same outputs as nnlab:
  1. clean forward of every image (batches of --batch-size, no_grad): clean accuracy, and the
     misclassified images are left out of the attack, as nnlab's attack_set does;
  2. torchattacks on the correctly classified images, in batches of --batch-size;
  3. quantization to 8 bits (round(x*255)/255), as nnlab does before scoring and writing;
  4. with --output: every image written as an 8-bit PNG and read back (nnlab scores the files);
  5. adversarial forward of every image: adversarial accuracy, success rate, L-inf.
nnlab does two more forwards per image than this: its scoring runs the clean forward again
(score_attack), and its attacks run one forward on their result to report success (Fgsm /
EarlyStop::finish). The JSON's seconds_clean / seconds_attack / seconds_score split the time so
that the cost of those forwards can be read off.
"""
import argparse
import gzip
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


# ---------------------------------------------------------------------------------------------
# Models: the same layers and parameter names as nnlab's (src/models/lenet.cpp, torchvision).

class LeNet5(nn.Module):
    """nnlab's LeNet-5 (src/models/lenet.cpp): padded 5x5 conv, 2x2 max-pools, 400-120-84-K."""

    def __init__(self, num_classes=10, in_channels=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(x.flatten(1)))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class Normalized(nn.Module):
    """(x - mean) / std inside the model, as nnlab's Classifier::forward: attacks see [0,1] pixels."""

    def __init__(self, net, mean, std):
        super().__init__()
        self.net = net
        self.use = bool(mean)
        if self.use:
            self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
            self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x):
        if self.use:
            x = (x - self.mean) / self.std
        return self.net(x)


def load_model(args):
    if args.model:
        archive = torch.load(args.model)
        meta = json.loads(bytes(archive["nnlab.meta"].tolist()).decode("utf-8"))["model"]
        if meta["arch"] != "lenet5":
            sys.exit(f"attack_peer.py: only lenet5 checkpoints are defined here, not {meta['arch']}")
        net = LeNet5(meta["num_classes"], meta["in_channels"])
        state = {k[len("model."):]: v for k, v in archive.items() if k.startswith("model.")}
        net.load_state_dict(state)
        model = Normalized(net, meta.get("mean", []), meta.get("std", []))
        info = {"arch": "lenet5", "channels": meta["in_channels"]}
    else:
        import torchvision
        if args.arch != "resnet50":
            sys.exit("attack_peer.py: --weights is defined for --arch resnet50 only")
        net = torchvision.models.resnet50()
        net.load_state_dict(torch.load(args.weights))
        model = Normalized(net, IMAGENET_MEAN, IMAGENET_STD)
        info = {"arch": "resnet50", "channels": 3}
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)  # gradients w.r.t. the input only, as nnlab's loss_gradient
    return model, info


# ---------------------------------------------------------------------------------------------
# Data: the IDX test split (as nnlab's --data fashion-mnist) or a task-layout folder.

def read_idx(path):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load_fashion_mnist_test(limit=0):
    def find(stem):
        for name in (stem, stem + ".gz"):
            if os.path.exists(os.path.join(FASHION_MNIST_DIR, name)):
                return os.path.join(FASHION_MNIST_DIR, name)
        sys.exit(f"attack_peer.py: {stem} not in {FASHION_MNIST_DIR}")
    images = read_idx(find("t10k-images-idx3-ubyte"))
    labels = read_idx(find("t10k-labels-idx1-ubyte"))
    if limit > 0:
        images, labels = images[:limit], labels[:limit]
    x = torch.from_numpy(images.copy()).float().div(255).unsqueeze(1)
    return x, torch.from_numpy(labels.astype(np.int64)), [f"{i}" for i in range(len(labels))]


def load_png(path, channels):
    from PIL import Image
    image = Image.open(path).convert("L" if channels == 1 else "RGB")
    a = np.asarray(image, dtype=np.uint8)
    a = a[None] if a.ndim == 2 else a.transpose(2, 0, 1)
    return torch.from_numpy(a.copy()).float().div(255)


def save_png(path, x):
    from PIL import Image
    a = x.mul(255).round().clamp(0, 255).to(torch.uint8).numpy()
    Image.fromarray(a[0] if a.shape[0] == 1 else a.transpose(1, 2, 0)).save(path)


def load_folder(root, channels):
    import csv
    with open(os.path.join(root, "labels.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    files, images, labels = [], [], []
    for row in rows:
        image_id = row.get("ImgId", "")
        name = image_id if image_id.lower().endswith(".png") else image_id + ".png"
        files.append(name)
        images.append(load_png(os.path.join(root, "images", name), channels))
        labels.append(int(row["TrueLabel"]))
    return torch.stack(images), torch.tensor(labels, dtype=torch.int64), files


def load_data(args, channels):
    if args.data:
        if args.data != "fashion-mnist":
            sys.exit("attack_peer.py: --data fashion-mnist only")
        return load_fashion_mnist_test(args.limit)
    return load_folder(args.input, channels)


# ---------------------------------------------------------------------------------------------

def quantize_8bit(x):
    """nnlab's data::quantize_to_8bit: (clamp(x, 0, 1) * 255).round() / 255 (round half to even)."""
    return (x.clamp(0, 1) * 255).round() / 255


def forward_all(model, x, batch_size):
    with torch.no_grad():
        return torch.cat([model(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])


def make_attack(args, model):
    import torchattacks
    eps = args.epsilon / 255
    if args.method == "fgsm":
        return torchattacks.FGSM(model, eps=eps)
    if args.method == "pgd":
        step = (args.step_size if args.step_size else 2.5 * args.epsilon / args.steps) / 255
        return torchattacks.PGD(model, eps=eps, alpha=step, steps=args.steps, random_start=True)
    sys.exit(f"attack_peer.py: unknown --method {args.method}")


def cmd_attack(args):
    import torchattacks
    model, info = load_model(args)
    images, labels, files = load_data(args, info["channels"])
    attack = make_attack(args, model)
    bs = args.batch_size

    started = time.perf_counter()
    clean_logits = forward_all(model, images, bs)
    todo = clean_logits.argmax(1).eq(labels).nonzero().view(-1)
    t_clean = time.perf_counter()
    adversarial = images.clone()
    for start in range(0, len(todo), bs):
        index = todo[start:start + bs]
        adversarial[index] = attack(images[index], labels[index])
    adversarial = quantize_8bit(adversarial)
    t_attack = time.perf_counter()
    if args.output:
        os.makedirs(args.output, exist_ok=True)
        read_back = []
        for i, name in enumerate(files):
            path = os.path.join(args.output, os.path.splitext(name)[0] + ".png")
            save_png(path, adversarial[i])
            read_back.append(load_png(path, info["channels"]))
        adversarial = torch.stack(read_back)
    adv_logits = forward_all(model, adversarial, bs)
    clean_correct = clean_logits.argmax(1).eq(labels)
    adv_correct = adv_logits.argmax(1).eq(labels)
    linf = (adversarial.double() * 255 - images.double() * 255).round().abs().flatten(1).amax(1)
    finished = time.perf_counter()

    n = len(labels)
    result = {
        "tool": "torchattacks", "torchattacks": torchattacks.__version__, "torch": torch.__version__,
        "method": args.method, "arch": info["arch"], "epsilon": args.epsilon,
        "steps": args.steps if args.method == "pgd" else 1,
        "images": n, "attacked": int(len(todo)),
        "clean_accuracy": clean_correct.double().mean().item(),
        "adversarial_accuracy": adv_correct.double().mean().item(),
        "success_rate": 1 - adv_correct.double().mean().item(),
        "mean_linf": linf.mean().item(), "max_linf": linf.max().item(),
        "seconds": finished - started,
        "seconds_clean": t_clean - started, "seconds_attack": t_attack - t_clean,
        "seconds_score": finished - t_attack, "threads": torch.get_num_threads(),
    }
    print(json.dumps(result))


def cmd_eval(args):
    model, info = load_model(args)
    images, labels, _ = load_data(args, info["channels"])
    logits = forward_all(model, images, args.batch_size)
    print(json.dumps({"arch": info["arch"], "images": len(labels),
                      "accuracy": logits.argmax(1).eq(labels).double().mean().item()}))


def cmd_make_resnet50(args):
    """resnet50 with torch.manual_seed(0) initialisation (random weights: timing does not depend on
    them) and --images smooth random 224x224 RGB PNGs labelled with the model's own predictions on
    the 8-bit images, so that every image is correctly classified and attacked."""
    import torchvision
    torch.manual_seed(args.seed)
    net = torchvision.models.resnet50()
    os.makedirs(args.out, exist_ok=True)
    weights = os.path.join(args.out, "resnet50.pth")
    torch.save(net.state_dict(), weights)
    folder = os.path.join(args.out, "resnet50-images")
    os.makedirs(os.path.join(folder, "images"), exist_ok=True)
    g = torch.Generator().manual_seed(args.seed + 1)
    pictures = []
    for i in range(args.images):
        side = [4, 7, 14, 28][i % 4]  # smooth: bilinear upsampling of coarse noise
        coarse = torch.rand(1, 3, side, side, generator=g)
        picture = F.interpolate(coarse, size=(224, 224), mode="bilinear", align_corners=False)[0]
        path = os.path.join(folder, "images", f"{i:03d}.png")
        save_png(path, picture)
        pictures.append(load_png(path, 3))
    model = Normalized(net, IMAGENET_MEAN, IMAGENET_STD).eval()
    predictions = forward_all(model, torch.stack(pictures), 16).argmax(1).tolist()
    with open(os.path.join(folder, "labels.csv"), "w") as f:
        f.write("ImgId,TrueLabel\n")
        for i, p in enumerate(predictions):
            f.write(f"{i:03d},{p}\n")
    print(json.dumps({"weights": weights, "folder": folder, "labels": predictions}))


def cmd_compare(args):
    """Per-pixel difference of the PNGs two attacks wrote (same names), in 1/255 units; with
    --clean, also how many pixels each attack moved away from the clean image."""
    names = sorted(n for n in os.listdir(args.a) if n.endswith(".png"))
    missing = [n for n in names if not os.path.exists(os.path.join(args.b, n))]
    if missing or not names:
        sys.exit(f"compare: {len(missing)} of {len(names)} PNGs of {args.a} are not in {args.b}")
    from PIL import Image

    def levels(path):
        return np.asarray(Image.open(path), dtype=np.int16)

    max_diff, differing, pixels, images_differing, moved = 0, 0, 0, 0, 0
    histogram = {}
    for n in names:
        a, b = levels(os.path.join(args.a, n)), levels(os.path.join(args.b, n))
        d = np.abs(a - b)
        max_diff = max(max_diff, int(d.max()))
        differing += int((d > 0).sum())
        pixels += d.size
        images_differing += int(d.max() > 0)
        for value, count in zip(*np.unique(d, return_counts=True)):
            histogram[int(value)] = histogram.get(int(value), 0) + int(count)
        if args.clean:
            c = levels(os.path.join(args.clean, "images", n))
            moved += int((a != c).sum())
    out = {"images": len(names), "pixels": pixels, "max_diff_levels": max_diff,
           "differing_pixels": differing, "differing_share": differing / pixels,
           "images_differing": images_differing, "histogram": histogram}
    if args.clean:
        out["moved_share_a"] = moved / pixels
    print(json.dumps(out))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def model_and_data(p):
        p.add_argument("--model", help="nnlab checkpoint (lenet5)")
        p.add_argument("--weights", help="torchvision state_dict (.pth) for --arch")
        p.add_argument("--arch", default="resnet50")
        p.add_argument("--data", help="fashion-mnist (the IDX test split)")
        p.add_argument("--input", help="image folder in the task layout")
        p.add_argument("--limit", type=int, default=0)
        p.add_argument("--batch-size", type=int, default=64)
        p.add_argument("--threads", type=int, default=2)
        p.add_argument("--seed", type=int, default=0)

    a = sub.add_parser("attack")
    model_and_data(a)
    a.add_argument("--output", help="write the adversarial 8-bit PNGs here (and score them)")
    a.add_argument("--method", default="fgsm", choices=["fgsm", "pgd"])
    a.add_argument("--epsilon", type=float, default=8, help="0-255 pixel units")
    a.add_argument("--steps", type=int, default=10)
    a.add_argument("--step-size", type=float, default=0, help="0-255 units (default 2.5*eps/steps)")
    e = sub.add_parser("eval")
    model_and_data(e)
    m = sub.add_parser("make-resnet50")
    m.add_argument("--out", required=True)
    m.add_argument("--images", type=int, default=16)
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--threads", type=int, default=2)
    c = sub.add_parser("compare")
    c.add_argument("a")
    c.add_argument("b")
    c.add_argument("--clean", help="the input folder (task layout) both attacked")
    c.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    if getattr(args, "seed", None) is not None and args.command != "make-resnet50":
        torch.manual_seed(args.seed)
    if args.command in ("attack", "eval"):
        if bool(args.model) == bool(args.weights):
            sys.exit("attack_peer.py: give --model CKPT or --weights PTH")
        if bool(args.data) == bool(args.input):
            sys.exit("attack_peer.py: give --data fashion-mnist or --input DIR")
    {"attack": cmd_attack, "eval": cmd_eval, "make-resnet50": cmd_make_resnet50,
     "compare": cmd_compare}[args.command](args)


if __name__ == "__main__":
    main()
