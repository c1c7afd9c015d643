#!/usr/bin/env python3
"""PyTorch peer of bench_train_throughput: LeNet-5 training throughput (images/s) in Python.

The same model (LeNet-5: conv 6@5x5 pad 2, ReLU, maxpool 2, conv 16@5x5, ReLU, maxpool 2,
fc 400-120-84-10 with ReLU), the same data (the first --images Fashion-MNIST training images read
from the same IDX files, floats in [0,1]), the same optimizer (SGD momentum 0.9 or Adam), batch
size and thread count, and the same work per step as nnlab's Trainer: a randperm per epoch,
index_select batches from tensors in memory, forward, cross-entropy, backward, step, and the
running loss (loss.item()) and accuracy (argmax == label) that the Trainer reports. This is the
idiomatic fast PyTorch loop, not a DataLoader with workers. One warm-up epoch is not counted;
images/s is the median of the timed epochs, each timed from the randperm to the end of its last
step like Trainer::run_epoch, and images per CPU-second (process time, all threads) is the
load-independent companion of that wall-clock rate.

Needs an interpreter that imports torch (Debian: /usr/bin/python3 with python3-torch).
Prints one JSON object on stdout.
"""
import argparse
import gzip
import json
import os
import resource
import statistics
import struct
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class LeNet5(nn.Module):
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


class FmnistCnn(nn.Module):
    """nnlab's cnn (src/models/fmnist_cnn.cpp): 4 conv-BN-ReLU, 2 max-pools, dropout, 2 Linear."""

    def __init__(self, num_classes=10, in_channels=1):
        super().__init__()

        def block(cin, cout):
            return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]

        self.features = nn.Sequential(*block(in_channels, 32), *block(32, 32), nn.MaxPool2d(2),
                                      *block(32, 64), *block(64, 64), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(0.25), nn.Linear(64 * 7 * 7, 256),
                                        nn.ReLU(inplace=True), nn.Dropout(0.5),
                                        nn.Linear(256, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


def read_idx(path):
    """An IDX file (gzip or plain) as a uint8 tensor of its shape."""
    if not os.path.exists(path) and os.path.exists(path + ".gz"):
        path += ".gz"
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not a uint8 IDX file")
    shape = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return torch.frombuffer(bytearray(data[4 + 4 * ndim:]), dtype=torch.uint8).reshape(shape)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd")
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--images", type=int, default=6400, help="per epoch")
    parser.add_argument("--epochs", type=int, default=3, help="timed, after one warm-up epoch")
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--arch", choices=["lenet5", "cnn"], default="lenet5")
    parser.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                        help="bf16: CPU autocast to bfloat16 with channels-last model and input")
    args = parser.parse_args()
    if args.epochs < 1:
        parser.error("--epochs must be >= 1")

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    images = read_idx(os.path.join(args.data, "train-images-idx3-ubyte"))[: args.images]
    labels = read_idx(os.path.join(args.data, "train-labels-idx1-ubyte"))[: args.images]
    images = images.unsqueeze(1).float().div_(255).contiguous()  # (N, 1, 28, 28) in [0, 1]
    labels = labels.long()
    n = images.size(0)

    model = LeNet5() if args.arch == "lenet5" else FmnistCnn()
    bf16 = args.precision == "bf16"
    if bf16:
        model = model.to(memory_format=torch.channels_last)
        images = images.contiguous(memory_format=torch.channels_last)
    model.train()
    if args.optimizer == "sgd":
        optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    else:
        optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)

    rates = []
    cpu = 0.0
    usage = [0.0, 0.0, 0, 0]  # user s, system s, minor faults, context switches (timed epochs)
    loss_avg = 0.0
    for epoch in range(1 + args.epochs):
        start = time.perf_counter()
        cpu_start = time.process_time()
        before = resource.getrusage(resource.RUSAGE_SELF)
        order = torch.randperm(n)
        loss_sum, correct, seen = 0.0, 0, 0
        for begin in range(0, n, args.batch_size):
            index = order[begin:begin + args.batch_size]
            if index.numel() < 2 and n > 1:
                break  # as the Trainer: a lone sample breaks BatchNorm statistics
            x = images.index_select(0, index)
            y = labels.index_select(0, index)
            optimizer.zero_grad(set_to_none=True)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                logits = model(x).float()
            loss = F.cross_entropy(logits, y)
            loss.backward()
            optimizer.step()
            batch = index.numel()
            loss_sum += loss.item() * batch
            correct += (logits.argmax(1) == y).sum().item()
            seen += batch
        seconds = time.perf_counter() - start
        loss_avg = loss_sum / seen
        if epoch > 0:
            rates.append(seen / seconds)
            cpu += time.process_time() - cpu_start
            after = resource.getrusage(resource.RUSAGE_SELF)
            usage[0] += after.ru_utime - before.ru_utime
            usage[1] += after.ru_stime - before.ru_stime
            usage[2] += after.ru_minflt - before.ru_minflt
            usage[3] += (after.ru_nvcsw + after.ru_nivcsw) - (before.ru_nvcsw + before.ru_nivcsw)

    steps = (n + args.batch_size - 1) // args.batch_size * args.epochs
    print(json.dumps({
        "impl": "pytorch",
        "arch": args.arch,
        "precision": args.precision,
        "batch_size": args.batch_size,
        "optimizer": args.optimizer,
        "lr": args.lr,
        "threads": torch.get_num_threads(),
        "images_per_epoch": n,
        "epochs_timed": len(rates),
        "epoch_images_per_second": rates,
        "images_per_second": statistics.median(rates),
        "cpu_seconds": cpu,
        "images_per_cpu_second": n * args.epochs / cpu,
        "system_time_fraction": usage[1] / max(usage[0] + usage[1], 1e-9),
        "minor_faults_per_step": usage[2] / steps,
        "context_switches_per_step": usage[3] / steps,
        "final_train_loss": loss_avg,
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "unset"),
        "torch_version": torch.__version__,
    }))


if __name__ == "__main__":
    main()
