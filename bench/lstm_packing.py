"""Packed against unpacked recurrence for the G2P encoder (2-layer bidirectional LSTM, 128 -> 256
per direction, batch 256 of 8 letters), forward and backward, on the ATen kernels nnlab calls.

A batch without padding needs no packing; the packed path runs the input projection one step at a
time while the unpacked one does it for the whole sequence in one matrix product. nnlab's encoder
takes the unpacked path whenever a batch has no padding (src/seq2seq/layers/encoder.cpp).

  (source bench/torch_python.sh && OMP_WAIT_POLICY=PASSIVE "$TORCH_PYTHON" bench/lstm_packing.py)
"""
import argparse
import os
import statistics
import time

import torch

parser = argparse.ArgumentParser()
parser.add_argument("--threads", type=int, default=os.cpu_count())  # Debian's default is 1
parser.add_argument("--repeats", type=int, default=20)
args = parser.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)
lstm = torch.nn.LSTM(128, 256, num_layers=2, bidirectional=True, batch_first=True, dropout=0.2)
batch, steps = 256, 8
x = torch.randn(batch, steps, 128, requires_grad=True)
lengths = torch.full((batch,), steps)


def packed():
    p = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out, _ = lstm(p)
    out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True)
    out.sum().backward()


def unpacked():
    out, _ = lstm(x)
    out.sum().backward()


times = {packed: [], unpacked: []}
for f in (packed, unpacked):
    for _ in range(3):
        f()
for _ in range(args.repeats):  # interleaved, so both see the same machine
    for f in (packed, unpacked):
        start = time.perf_counter()
        f()
        times[f].append(time.perf_counter() - start)
p, u = statistics.median(times[packed]), statistics.median(times[unpacked])
print(f"threads {args.threads}: packed {p * 1e3:.1f} ms, unpacked {u * 1e3:.1f} ms, "
      f"ratio {p / u:.2f}x (median of {args.repeats})")
