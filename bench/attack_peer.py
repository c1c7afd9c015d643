#!/usr/bin/env python3
"""The torchattacks side of bench/run_attack_bench.sh: the same weights, images and attack settings
as `nnlab attack`, one JSON object on stdout per command (keys as in nnlab's `--json` output).

Run it with the venv that bench/setup_attack_peer.sh makes (torchattacks==3.5.1 on Debian's
python3-torch 1.13, the LibTorch that nnlab links).

  attack_peer.py attack (--model CKPT | --weights PTH --arch resnet50) (--data fashion-mnist | --input DIR)
                 [--output DIR] --method fgsm|pgd|apgd|apgd-t|square|fab|fab-t --epsilon E [--steps N] [--step-size S] ...
                 [--queries Q] [--p-init P] [--norm linf|l2] ...
  attack_peer.py attack --model CKPT --data fashion-mnist --method hsj --norm l2 --max-queries Q
                 --epsilons 127.5,255                  ART's HopSkipJump: robust accuracy at each
                                                       epsilon, median distance, queries spent
  attack_peer.py eval --model CKPT --data fashion-mnist        clean accuracy (cf. `nnlab eval`)
  attack_peer.py make-imagenet --arch ARCH --images N --out DIR  ARCH.pth (random weights) + a
                                                               task-layout folder DIR/images, DIR/labels.csv
  attack_peer.py make-resnet50 --out DIR [--images 16]         = make-imagenet --arch resnet50, as
                                                               DIR/resnet50.pth + DIR/resnet50-images
  attack_peer.py lab-fgsm --weights PTH --arch vgg16 --input DIR --output OUT [--precision bf16]
                 the lab job in plain PyTorch eager (bench/run_precision.sh): FGSM, PNGs written
                 and read back, scored; bf16 = CPU autocast + channels-last
  attack_peer.py compare A B [--clean DIR]                     per-pixel difference of two PNG folders
  attack_peer.py report RAW [--out FILE]                       markdown from run_attack_bench.sh's JSON lines

What "seconds" of `attack` covers (cf. app/commands/attack.cpp: the clock starts after the model
and the images are loaded and stops after scoring) -- the work an idiomatic torchattacks user does
to get the same outputs as nnlab:
  1. clean forward of every image (batches of --batch-size, no_grad): clean accuracy, and the
     misclassified images are left out of the attack (nnlab leaves them unchanged too);
  2. torchattacks on the correctly classified images, in batches of --batch-size;
  3. quantization to 8 bits (round(x*255)/255), as nnlab does before scoring and writing;
  4. with --output: every image written as an 8-bit PNG and read back (nnlab scores the files);
  5. adversarial forward of every image: adversarial accuracy, success rate, L-inf.
nnlab's "seconds" covers the same outputs with less model work (src/attack/attack_set.cpp, fgsm.cpp,
metrics.cpp): FGSM takes the clean logits from its own forward+backward of every image (the
misclassified ones are put back unchanged afterwards), so no separate clean forward; scoring
reuses those logits; no attack runs a forward pass only to report success. FGSM: nnlab 1
forward+backward + 1 forward per image, this peer 1 forward+backward + 2 forwards. PGD: both a
clean forward, the steps, an adversarial forward (nnlab's default adds a forward of the rounded
images still active after each step, and stops per image once the saved 8-bit image succeeds).
The JSON's seconds_clean / seconds_attack / seconds_score split this side's time.
"""
import argparse
import gzip
import json
import math
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
# LeNet-5 is the training benchmark's (bench/train_throughput.py, beside this script).
from train_throughput import LeNet5  # noqa: E402

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
    if args.method == "apgd":
        # torchattacks' APGD (a port of fra31/auto-attack's): n_restarts 1, rho 0.75, CE loss.
        return torchattacks.APGD(model, norm="Linf", eps=eps, steps=args.steps, n_restarts=1,
                                 seed=0, loss="ce", eot_iter=1, rho=.75)
    if args.method == "apgd-t":
        # AutoAttack's targeted stage: 9 target classes, targeted DLR.
        return torchattacks.APGDT(model, norm="Linf", eps=eps, steps=args.steps, n_restarts=1,
                                  seed=0, eot_iter=1, rho=.75, n_classes=10)
    if args.method == "square":
        # fra31/auto-attack's Square, ported: margin loss, the p schedule rescaled to n_queries.
        return torchattacks.Square(model, norm="Linf" if args.norm == "linf" else "L2", eps=eps,
                                   n_queries=args.queries, n_restarts=1, p_init=args.p_init,
                                   loss="margin", resc_schedule=True, seed=0)
    if args.method in ("fab", "fab-t"):
        # torchattacks' FAB (a port of fra31/auto-attack's), its steps set like the reference's
        # n_iter (torchattacks defaults to 10); fab-t: multi_targeted, 9 targets (n_classes - 1).
        return torchattacks.FAB(model, norm="Linf", eps=eps, steps=args.steps, n_restarts=1,
                                alpha_max=0.1, eta=1.05, beta=0.9, seed=0,
                                multi_targeted=args.method == "fab-t", n_classes=10)
    sys.exit(f"attack_peer.py: unknown --method {args.method}")


def cmd_attack(args):
    if args.method == "hsj":
        return cmd_hsj(args)
    import torchattacks
    model, info = load_model(args)
    images, labels, files = load_data(args, info["channels"])
    attack = make_attack(args, model)
    bs = args.batch_size
    # Square: the per-image query counts its attack_single_run returns (perturb drops them).
    counts = []
    if args.method == "square":
        single_run = attack.attack_single_run

        def counted(x, y):
            n_queries, adv = single_run(x, y)
            counts.append(n_queries.cpu().long())
            return n_queries, adv
        attack.attack_single_run = counted

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
        "steps": 1 if args.method == "fgsm" else args.steps,
        "images": n, "attacked": int(len(todo)),
        "clean_accuracy": clean_correct.double().mean().item(),
        "adversarial_accuracy": adv_correct.double().mean().item(),
        "success_rate": 1 - adv_correct.double().mean().item(),
        "mean_linf": linf.mean().item(), "max_linf": linf.max().item(),
        "seconds": finished - started,
        "seconds_clean": t_clean - started, "seconds_attack": t_attack - t_clean,
        "seconds_score": finished - t_attack, "threads": torch.get_num_threads(),
    }
    if args.method == "square" and counts:
        # Mean / median over the attacked images it broke (as nnlab's mean_queries), judged on
        # the 8-bit images scored above.
        queries = torch.zeros(n, dtype=torch.long)
        queries[todo] = torch.cat(counts)
        broken = queries.gt(0) & ~adv_correct
        spent = queries[broken].double()
        result["queries"] = args.queries
        result["mean_queries"] = spent.mean().item() if len(spent) else 0.0
        result["median_queries"] = spent.quantile(0.5).item() if len(spent) else 0.0
    print(json.dumps(result))


def art_hsj_iterations(budget, pixels):
    """ART's HopSkipJump takes no query budget: the most iterations whose expected queries fit in
    it. Per image: the clean check, one noise draw, the blend search to 0.001 (10 queries), then
    per iteration i = 0, 1, ... a boundary search to ART's theta = 0.01 / sqrt(d), int(100 sqrt(i+1))
    gradient probes and about 2 step-size queries. What was spent is measured and reported."""
    search = math.ceil(math.log2(math.sqrt(pixels) / 0.01))
    spent, iterations = 1 + 1 + 10, 0
    while True:
        cost = search + min(int(100 * math.sqrt(iterations + 1)), 10000) + 2
        if spent + cost > budget:
            return iterations
        spent += cost
        iterations += 1


def cmd_hsj(args):
    """ART's HopSkipJump (L2 or Linf) on the correctly classified images, one at a time (ART loops
    over images anyway), through a BlackBoxClassifier that returns one-hot top-1 labels and counts
    the images it is asked about. Scored as nnlab scores its rounding-aware run: the 8-bit image,
    robust if it is still classified correctly or is farther than epsilon."""
    from art.attacks.evasion import HopSkipJump
    from art.estimators.classification import BlackBoxClassifier
    import art
    model, info = load_model(args)
    images, labels, _ = load_data(args, info["channels"])
    shape = tuple(images.shape[1:])
    asked = [0]

    def predict(x):
        asked[0] += len(x)
        with torch.no_grad():
            top = model(torch.from_numpy(x).float()).argmax(1)
        return F.one_hot(top, 10).numpy().astype(np.float32)

    classifier = BlackBoxClassifier(predict, input_shape=shape, nb_classes=10, clip_values=(0, 1))
    iterations = art_hsj_iterations(args.max_queries, int(np.prod(shape)))
    norm = 2 if args.norm == "l2" else np.inf
    attack = HopSkipJump(classifier, targeted=False, norm=norm, max_iter=iterations,
                         max_eval=10000, init_eval=100, init_size=100, verbose=False)
    np.random.seed(args.seed)

    started = time.perf_counter()
    clean_logits = forward_all(model, images, args.batch_size)
    todo = clean_logits.argmax(1).eq(labels).nonzero().view(-1)
    adversarial = images.clone()
    queries = []
    for i in todo.tolist():
        before = asked[0]
        x = images[i:i + 1].numpy()
        adversarial[i] = torch.from_numpy(attack.generate(x, y=np.eye(10)[labels[i:i + 1]]))[0]
        # generate() asks once for the clean prediction (nnlab's clean check) and once more at the
        # end for its success log, which is not part of the attack.
        queries.append(asked[0] - before - 1)
    adversarial = quantize_8bit(adversarial)
    adv_correct = forward_all(model, adversarial, args.batch_size).argmax(1).eq(labels)
    finished = time.perf_counter()
    diff = (adversarial.double() - images.double()).flatten(1)
    dist = diff.norm(dim=1) if args.norm == "l2" else diff.abs().amax(1)
    clean_correct = clean_logits.argmax(1).eq(labels)
    # A failed or misclassified image counts as infinitely far (median over attacked images).
    reached = torch.where(adv_correct, torch.full_like(dist, float("inf")), dist)[todo]
    result = {"tool": "art", "art": art.__version__, "torch": torch.__version__, "method": "hsj",
              "arch": info["arch"], "norm": args.norm, "max_queries": args.max_queries,
              "art_max_iter": iterations, "images": len(labels), "attacked": int(len(todo)),
              "clean_accuracy": clean_correct.double().mean().item(),
              "median_distance": reached.median().item() if len(todo) else 0.0,
              "mean_queries": float(np.mean(queries)) if queries else 0.0,
              "max_queries_spent": int(max(queries)) if queries else 0,
              "seconds": finished - started, "threads": torch.get_num_threads(),
              "robust_accuracy": {}}
    for eps in args.epsilons.split(","):
        e = float(eps) / 255
        robust = clean_correct & (adv_correct | (dist > e + 1e-9))
        result["robust_accuracy"][eps] = robust.double().mean().item()
    print(json.dumps(result))


def cmd_eval(args):
    model, info = load_model(args)
    images, labels, _ = load_data(args, info["channels"])
    logits = forward_all(model, images, args.batch_size)
    print(json.dumps({"arch": info["arch"], "images": len(labels),
                      "accuracy": logits.argmax(1).eq(labels).double().mean().item()}))


def make_imagenet(arch, images, weights, folder, seed=0, batch_size=16):
    """torchvision.models.<arch>() with torch.manual_seed(seed) initialisation (random weights:
    timing does not depend on them) saved as a state_dict at `weights`, and `images` smooth random
    224x224 RGB PNGs in the task layout (folder/images/NNN.png, folder/labels.csv) labelled with
    the model's own predictions on the 8-bit images, so that every image is correctly classified
    and attacked."""
    import torchvision
    torch.manual_seed(seed)
    net = getattr(torchvision.models, arch)()
    os.makedirs(os.path.dirname(os.path.abspath(weights)), exist_ok=True)
    torch.save(net.state_dict(), weights)
    os.makedirs(os.path.join(folder, "images"), exist_ok=True)
    g = torch.Generator().manual_seed(seed + 1)
    pictures = []
    for i in range(images):
        side = [4, 7, 14, 28][i % 4]  # smooth: bilinear upsampling of coarse noise
        coarse = torch.rand(1, 3, side, side, generator=g)
        picture = F.interpolate(coarse, size=(224, 224), mode="bilinear", align_corners=False)[0]
        path = os.path.join(folder, "images", f"{i:03d}.png")
        save_png(path, picture)
        pictures.append(load_png(path, 3))
    model = Normalized(net, IMAGENET_MEAN, IMAGENET_STD).eval()
    predictions = forward_all(model, torch.stack(pictures), batch_size).argmax(1).tolist()
    with open(os.path.join(folder, "labels.csv"), "w") as f:
        f.write("ImgId,TrueLabel\n")
        for i, p in enumerate(predictions):
            f.write(f"{i:03d},{p}\n")
    return {"arch": arch, "weights": weights, "folder": folder, "labels": predictions}


def cmd_make_imagenet(args):
    """--out DIR: DIR/images/NNN.png and DIR/labels.csv; the state_dict goes to --weights
    [default: ARCH.pth beside DIR, i.e. DIR/../ARCH.pth]."""
    weights = args.weights or os.path.join(os.path.dirname(os.path.abspath(args.out)), args.arch + ".pth")
    print(json.dumps(make_imagenet(args.arch, args.images, weights, args.out, args.seed)))


def cmd_make_resnet50(args):
    """run_attack_bench.sh's inputs: DIR/resnet50.pth and DIR/resnet50-images."""
    print(json.dumps(make_imagenet("resnet50", args.images, os.path.join(args.out, "resnet50.pth"),
                                   os.path.join(args.out, "resnet50-images"), args.seed)))


def cmd_lab_fgsm(args):
    """The lab job as a straightforward PyTorch eager script, the peer of `nnlab attack --method
    fgsm` on a task folder (bench/run_precision.sh): in batches of --batch-size, a forward and a
    backward to the input (the loss gradient; the clean logits come from the same forward), the
    sign step x + eps*sign(g) clipped to [0,1] and rounded to 8 bits, every image written as a PNG;
    then the PNGs read back and a forward on them. --precision bf16 runs the two forwards and the
    backward under torch.autocast("cpu", torch.bfloat16) with channels-last weights and input, as
    PyTorch's CPU performance guide advises; the image arithmetic stays float32. "seconds" covers
    everything after the model and the clean images are loaded."""
    import torchvision
    net = getattr(torchvision.models, args.arch)()
    net.load_state_dict(torch.load(args.weights))
    model = Normalized(net, IMAGENET_MEAN, IMAGENET_STD).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    bf16 = args.precision == "bf16"
    if bf16:
        model = model.to(memory_format=torch.channels_last)
    images, labels, files = load_folder(args.input, 3)
    os.makedirs(os.path.join(args.output, "images"), exist_ok=True)
    eps = args.epsilon / 255.0
    bs = args.batch_size

    def run(x):
        if bf16:
            with torch.autocast("cpu", dtype=torch.bfloat16):
                return model(x.contiguous(memory_format=torch.channels_last)).float()
        return model(x)

    start = time.perf_counter()
    clean_correct = 0
    for i in range(0, len(images), bs):
        x = images[i:i + bs].clone().requires_grad_(True)
        y = labels[i:i + bs]
        logits = run(x)
        clean_correct += int((logits.argmax(1) == y).sum())
        grad, = torch.autograd.grad(F.cross_entropy(logits, y), x)
        adv = quantize_8bit(x.detach() + eps * grad.sign())
        for j in range(len(adv)):
            save_png(os.path.join(args.output, "images", files[i + j]), adv[j])
    attacked = time.perf_counter()
    adv_correct, linf = 0, 0.0
    with torch.no_grad():
        for i in range(0, len(images), bs):
            x = torch.stack([load_png(os.path.join(args.output, "images", f), 3) for f in files[i:i + bs]])
            adv_correct += int((run(x).argmax(1) == labels[i:i + bs]).sum())
            linf = max(linf, float((x - images[i:i + bs]).abs().max()) * 255)
    end = time.perf_counter()
    n = len(images)
    print(json.dumps({"tool": "pytorch-eager", "method": "fgsm", "arch": args.arch,
                      "precision": args.precision, "images": n, "epsilon": args.epsilon,
                      "batch_size": bs, "clean_accuracy": clean_correct / n,
                      "adversarial_accuracy": adv_correct / n,
                      "success_rate": 1 - adv_correct / max(clean_correct, 1),
                      "linf_max": round(linf, 4), "seconds": end - start,
                      "seconds_attack": attacked - start, "seconds_score": end - attacked}))


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


def cmd_report(args):
    """Markdown from the JSON lines run_attack_bench.sh collects: {"kind", "group", "label",
    "result"}; a throughput cell is the median (min-max) over the repetitions, a ratio the ratio
    of two medians."""
    import platform
    import statistics
    from collections import OrderedDict
    rows = OrderedDict()
    with open(args.raw) as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                rows.setdefault(r["kind"], OrderedDict()).setdefault(r["group"], OrderedDict()) \
                    .setdefault(r["label"], []).append(r["result"])
    out = []

    def ips(results):
        values = [r["images"] / r["seconds"] for r in results]
        return statistics.median(values), min(values), max(values)

    def fmt(v):
        return f"{v:.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}"

    out.append("## Throughput: images per second (wall clock of nnlab's \"seconds\" and the "
               "peer's equivalent), median (min-max)\n")
    out.append("| model, attack | runs | nnlab | nnlab --no-round | torchattacks | **nnlab / torchattacks** "
               "| nnlab --no-round / torchattacks | adv. accuracy nnlab / --no-round / torchattacks |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---|")
    phases = []
    for group, labels in rows.get("throughput", {}).items():
        m = {k: ips(v) for k, v in labels.items()}
        cell = {k: f"{fmt(v[0])} ({fmt(v[1])}-{fmt(v[2])})" for k, v in m.items()}
        ta = m["torchattacks"][0]
        acc = " / ".join(f"{statistics.median(r['adversarial_accuracy'] for r in labels[k]):.4f}"
                         for k in ("nnlab", "nnlab-noround", "torchattacks"))
        runs = "+".join(str(len(labels[k])) for k in ("nnlab", "nnlab-noround", "torchattacks"))
        out.append(f"| {group} | {runs} | {cell['nnlab']} | {cell['nnlab-noround']} | "
                   f"{cell['torchattacks']} | **{m['nnlab'][0] / ta:.2f}x** | "
                   f"{m['nnlab-noround'][0] / ta:.2f}x | {acc} |")
        med = {k: statistics.median(r[k] for r in labels["torchattacks"])
               for k in ("seconds_clean", "seconds_attack", "seconds_score", "seconds")}
        nn_s = {k: statistics.median(r["seconds"] for r in labels[k]) for k in ("nnlab", "nnlab-noround")}
        proc = {k: statistics.median(r["process_seconds"] for r in v) for k, v in labels.items()}
        phases.append(f"| {group} | {labels['torchattacks'][0]['images']} "
                      f"({labels['torchattacks'][0]['attacked']} attacked) | {nn_s['nnlab']:.2f} | "
                      f"{nn_s['nnlab-noround']:.2f} | {med['seconds']:.2f} = {med['seconds_clean']:.2f} + "
                      f"{med['seconds_attack']:.2f} + {med['seconds_score']:.2f} | "
                      f"{proc['nnlab']:.1f} / {proc['nnlab-noround']:.1f} / {proc['torchattacks']:.1f} |")
    out.append("")
    out.append("Median seconds per run (torchattacks split into clean forward + attack incl. "
               "8-bit rounding + scoring incl. PNG write/read-back), and whole-process wall time "
               "(start-up, loading, timed work):\n")
    out.append("| model, attack | images | nnlab s | nnlab --no-round s | torchattacks s = clean + attack + score "
               "| process s nnlab / --no-round / torchattacks |")
    out.append("|---|---:|---:|---:|---|---|")
    out.extend(phases)

    out.append("\n## nnlab's adversarial PNGs against torchattacks' output rounded to 8 bits\n")
    out.append("| attack, images | nnlab variant | max difference (1/255) | pixels that differ | images that "
               "differ | difference histogram (levels: pixels) | pixels the attack moved (nnlab) |")
    out.append("|---|---|---:|---:|---:|---|---:|")
    for group, labels in rows.get("pixels", {}).items():
        for label, results in labels.items():
            r = results[-1]
            hist = ", ".join(f"{k}: {v}" for k, v in r["histogram"].items())
            out.append(f"| {group} | {label} | {r['max_diff_levels']} | {r['differing_pixels']} of "
                       f"{r['pixels']} ({100 * r['differing_share']:.2f}%) | {r['images_differing']} of "
                       f"{r['images']} | {hist} | {100 * r.get('moved_share_a', 0):.1f}% |")

    out.append("\n## PGD-20 robust accuracy, LeNet-5, the 10,000 Fashion-MNIST test images "
               "(step 2.5·ε/20, random start; one run each, all with seed 0 but the seed-1 column: nnlab and "
               "torchattacks draw the same random start from the same seed)\n")
    out.append("| ε (0-255) | clean | nnlab --no-round | nnlab (default) | torchattacks | --no-round − "
               "torchattacks | default − torchattacks | torchattacks, seed 1 | seconds nnlab / --no-round / torchattacks |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for group, labels in rows.get("accuracy", {}).items():
        a = {k: v[-1] for k, v in labels.items()}
        eps = a["torchattacks"]["epsilon"]
        out.append(
            f"| {eps:g} | {100 * a['torchattacks']['clean_accuracy']:.2f}% | "
            f"{100 * a['nnlab-noround']['adversarial_accuracy']:.2f}% | "
            f"{100 * a['nnlab']['adversarial_accuracy']:.2f}% | "
            f"{100 * a['torchattacks']['adversarial_accuracy']:.2f}% | "
            f"{100 * (a['nnlab-noround']['adversarial_accuracy'] - a['torchattacks']['adversarial_accuracy']):+.2f} pt | "
            f"{100 * (a['nnlab']['adversarial_accuracy'] - a['torchattacks']['adversarial_accuracy']):+.2f} pt | "
            + (f"{100 * a['torchattacks-seed1']['adversarial_accuracy']:.2f}% | " if 'torchattacks-seed1' in a else "- | ") +
            f"{a['nnlab']['seconds']:.1f} / {a['nnlab-noround']['seconds']:.1f} / {a['torchattacks']['seconds']:.1f} |")
    clean = rows.get("clean", {}).get("lenet5", {})
    if clean:
        out.append(f"\nClean accuracy of the LeNet-5 checkpoint on the 10,000 test images: `nnlab eval` "
                   f"{100 * clean['nnlab'][-1]['accuracy']:.2f}%, the Python model "
                   f"{100 * clean['torchattacks'][-1]['accuracy']:.2f}% (difference "
                   f"{100 * (clean['nnlab'][-1]['accuracy'] - clean['torchattacks'][-1]['accuracy']):+.2f} pt).")
    table = "\n".join(out)
    print(table)
    if args.out:
        load = open("/proc/loadavg").read().split()[:3]
        header = f"""# nnlab attacks against torchattacks: measured results

Produced by `bench/run_attack_bench.sh` (what it runs is in its header and in
[README.md](README.md)); regenerate with

```sh
{args.cmdline}
```

Run of {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {args.minutes} minutes; load average at the end
{' '.join(load)} on {os.cpu_count()} cores ({platform.processor() or platform.machine()}). Both sides run Debian's
LibTorch {torch.__version__} (the same shared libraries: oneDNN, OpenBLAS, libgomp), 2 intra-op
threads, OMP_WAIT_POLICY=PASSIVE, fresh processes, alternating (odd repetitions nnlab, nnlab
--no-round, torchattacks; even ones the reverse). torchattacks {_torchattacks_version()} from PyPI.
resnet50: `torch.manual_seed(0); torchvision.models.resnet50()` -- randomly initialised weights
(timing does not depend on the weights); its images are smooth random 224x224 RGB PNGs
labelled with the model's own predictions, so that all are attacked.

**What is timed.** nnlab: its `"seconds"` (app/commands/attack.cpp), from after loading the model
and images to after scoring. FGSM: one forward+backward of every image in batches of 64, whose
logits serve as the clean logits (attack_set puts the misclassified images back unchanged),
rounding to 8 bits, for folders writing the PNGs and reading them back, and scoring
(score_attack: one adversarial forward, per-image statistics; the clean logits are reused).
PGD: a clean forward of every image to leave the misclassified ones out (attack_set), then the
attack in batches of 64 (--no-round: 10 forward+backward steps; default: after each step also a
forward of the 8-bit-rounded images still active, stopping per image once it succeeds), rounding,
PNGs for folders, and scoring (one adversarial forward). No attack runs a forward pass only to
report success. torchattacks side (attack_peer.py): the same outputs the idiomatic way -- one
clean forward (accuracy and the misclassified images), torchattacks on the others in batches of
64, rounding to 8 bits, for folders the PNGs written and read back, one adversarial forward,
L-inf. So for FGSM nnlab does one forward per image less than the peer (2 forwards + 1 backward
against 3 + 1); for PGD both do the same model work (--no-round), and nnlab's default less (it
stops early). The seconds table splits the peer's time so that each part can be read off.
Images per second = all images of the set (including the misclassified ones, left clean by
both) / seconds.

"""
        with open(args.out, "w") as f:
            f.write(header + table + "\n")


def _torchattacks_version():
    try:
        import torchattacks
        return torchattacks.__version__
    except ImportError:
        return "?"


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
    a.add_argument("--method", default="fgsm", choices=["fgsm", "pgd", "apgd", "apgd-t", "hsj", "square", "fab", "fab-t"])
    a.add_argument("--queries", type=int, default=5000, help="square: queries per image")
    a.add_argument("--p-init", type=float, default=0.8, help="square: the first windows' share")
    a.add_argument("--norm", default=None, choices=["linf", "l2"],
                   help="square (default linf), hsj (default l2)")
    a.add_argument("--epsilon", type=float, default=8, help="0-255 pixel units")
    a.add_argument("--steps", type=int, default=10)
    a.add_argument("--step-size", type=float, default=0, help="0-255 units (default 2.5*eps/steps)")
    a.add_argument("--max-queries", type=int, default=1000, help="hsj: model queries per image")
    a.add_argument("--epsilons", default="255", help="hsj: budgets (0-255 units) to score at")
    e = sub.add_parser("eval")
    model_and_data(e)
    mi = sub.add_parser("make-imagenet")
    mi.add_argument("--arch", required=True, help="a torchvision.models constructor: vgg16, densenet121, ...")
    mi.add_argument("--images", type=int, default=200)
    mi.add_argument("--out", required=True, help="the task-layout folder to write (images/, labels.csv)")
    mi.add_argument("--weights", help="where to save the state_dict [beside --out: DIR/../ARCH.pth]")
    mi.add_argument("--seed", type=int, default=0)
    mi.add_argument("--threads", type=int, default=2)
    m = sub.add_parser("make-resnet50")
    m.add_argument("--out", required=True)
    m.add_argument("--images", type=int, default=16)
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--threads", type=int, default=2)
    lab = sub.add_parser("lab-fgsm")
    lab.add_argument("--weights", required=True, help="torchvision state_dict (.pth) for --arch")
    lab.add_argument("--arch", default="vgg16")
    lab.add_argument("--input", required=True, help="image folder in the task layout")
    lab.add_argument("--output", required=True, help="where the adversarial PNGs go (OUT/images)")
    lab.add_argument("--epsilon", type=float, default=8, help="0-255 pixel units")
    lab.add_argument("--batch-size", type=int, default=8)
    lab.add_argument("--precision", default="fp32", choices=["fp32", "bf16"])
    lab.add_argument("--threads", type=int, default=2)
    lab.add_argument("--seed", type=int, default=0)
    c = sub.add_parser("compare")
    c.add_argument("a")
    c.add_argument("b")
    c.add_argument("--clean", help="the input folder (task layout) both attacked")
    c.add_argument("--threads", type=int, default=2)
    r = sub.add_parser("report")
    r.add_argument("raw", help="the JSON lines of run_attack_bench.sh")
    r.add_argument("--out", help="also write this markdown file, with a header")
    r.add_argument("--cmdline", default="bash bench/run_attack_bench.sh")
    r.add_argument("--minutes", default="?")
    r.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if getattr(args, "norm", "") is None:
        args.norm = "l2" if args.method == "hsj" else "linf"

    torch.set_num_threads(args.threads)
    if getattr(args, "seed", None) is not None and args.command not in ("make-resnet50", "make-imagenet"):
        torch.manual_seed(args.seed)
    if args.command in ("attack", "eval"):
        if bool(args.model) == bool(args.weights):
            sys.exit("attack_peer.py: give --model CKPT or --weights PTH")
        if bool(args.data) == bool(args.input):
            sys.exit("attack_peer.py: give --data fashion-mnist or --input DIR")
    {"attack": cmd_attack, "eval": cmd_eval, "make-resnet50": cmd_make_resnet50,
     "make-imagenet": cmd_make_imagenet, "lab-fgsm": cmd_lab_fgsm,
     "compare": cmd_compare, "report": cmd_report}[args.command](args)


if __name__ == "__main__":
    main()
