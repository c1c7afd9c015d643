#!/usr/bin/env python3
"""The peers' AutoAttack on the same weights and images as `nnlab robustness` / `nnlab attack
--method autoattack` (bench/run_autoattack_bench.sh): one JSON object on stdout, keys as nnlab's.

  autoattack_peer.py --tool torchattacks|art --model CKPT --data fashion-mnist --limit N
                     --epsilon E [--norm linf|l2] [--steps 100] [--threads T] [--batch-size B]

torchattacks 3.5.1's AutoAttack builds the reference's standard sequence (APGD-CE, APGD-T with 9
targets, FAB-T with 9 targets, Square with 5,000 queries) but leaves APGD, APGD-T and FAB at their
10-step defaults (its issue #196): --steps sets them to the reference's 100 here. ART's AutoAttack
(adversarial-robustness-toolbox, when the bench venv has it) runs its own default list; what it
ran is in the JSON ("attacks"). Both run on the correctly classified images only, in batches, and
their images are rounded to 8 bits before scoring, as nnlab scores what it saves. "seconds" covers
the clean forward, the attack and the scoring, as nnlab's does.
"""
import argparse
import json
import sys
import time

import numpy as np
import torch

from attack_peer import forward_all, load_fashion_mnist_test, load_model, quantize_8bit


def torchattacks_autoattack(model, eps, norm, steps, n_classes):
    import torchattacks
    attack = torchattacks.AutoAttack(model, norm={"linf": "Linf", "l2": "L2"}[norm], eps=eps,
                                     version="standard", n_classes=n_classes, seed=0)
    names = []
    for stage in attack._autoattack.attacks:
        if hasattr(stage, "steps"):
            stage.steps = steps  # the reference's n_iter (torchattacks defaults to 10)
        names.append(type(stage).__name__ + (f"-{stage.steps}" if hasattr(stage, "steps") else ""))
    return (lambda x, y: attack(x, y)), names, "torchattacks " + torchattacks.__version__


def art_autoattack(model, eps, norm, batch_size, n_classes, channels):
    import art
    from art.attacks.evasion import AutoAttack
    from art.estimators.classification import PyTorchClassifier
    classifier = PyTorchClassifier(model=model, loss=torch.nn.CrossEntropyLoss(),
                                   input_shape=(channels, 28, 28), nb_classes=n_classes,
                                   clip_values=(0.0, 1.0), device_type="cpu")
    ord_ = np.inf if norm == "linf" else 2
    attack = AutoAttack(estimator=classifier, norm=ord_, eps=eps, eps_step=eps / 4,
                        batch_size=batch_size)
    names = [type(a).__name__ for a in attack.attacks]

    def run(x, y):
        out = attack.generate(x=x.numpy(), y=y.numpy())
        return torch.from_numpy(np.asarray(out, dtype=np.float32))
    return run, names, "adversarial-robustness-toolbox " + art.__version__


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tool", choices=["torchattacks", "art"], required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--data", default="fashion-mnist")
    p.add_argument("--limit", type=int, default=1000)
    p.add_argument("--epsilon", type=float, default=8, help="0-255 pixel units")
    p.add_argument("--norm", choices=["linf", "l2"], default="linf")
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=64)
    args = p.parse_args()
    if args.data != "fashion-mnist":
        sys.exit("autoattack_peer.py: --data fashion-mnist only")
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model, info = load_model(argparse.Namespace(model=args.model, weights=None, arch=None))
    images, labels, _ = load_fashion_mnist_test(args.limit)
    eps = args.epsilon / 255
    if args.tool == "torchattacks":
        run, names, version = torchattacks_autoattack(model, eps, args.norm, args.steps, 10)
    else:
        run, names, version = art_autoattack(model, eps, args.norm, args.batch_size, 10,
                                             info["channels"])
    bs = args.batch_size
    started = time.perf_counter()
    clean_logits = forward_all(model, images, bs)
    todo = clean_logits.argmax(1).eq(labels).nonzero().view(-1)
    adversarial = images.clone()
    for start in range(0, len(todo), bs):
        index = todo[start:start + bs]
        adversarial[index] = run(images[index], labels[index])
    adversarial = quantize_8bit(adversarial)
    adv_logits = forward_all(model, adversarial, bs)
    seconds = time.perf_counter() - started
    delta = (adversarial.double() - images.double()).flatten(1) * 255
    budget = (delta.abs().amax(1) if args.norm == "linf" else delta.norm(dim=1)).max().item()
    print(json.dumps({
        "tool": args.tool, "version": version, "attacks": names, "epsilon": args.epsilon,
        "norm": args.norm, "images": len(labels),
        "clean_accuracy": clean_logits.argmax(1).eq(labels).double().mean().item(),
        "robust_accuracy": adv_logits.argmax(1).eq(labels).double().mean().item(),
        "max_perturbation": budget, "seconds": seconds, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
