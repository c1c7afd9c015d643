"""What LibTorch 1.13's CPU autocast does with the G2P model's pieces (docs/BENCHMARKS.md,
"Precision (bf16): sequence models"): the output dtype under torch.autocast('cpu', bfloat16) and
the time of each piece in fp32 and under autocast, at the shapes of the reported model (encoder: a
2-layer bidirectional LSTM of 256 over 256 words of 9 letters; decoder step: an LSTMCell of 256
with input feeding over 256 words x beam 5). Debian's python3-torch is the same LibTorch nnlab
links.

    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/g2p_lstm_autocast.py [THREADS]
"""
import sys
import time

import torch

torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)


def ms(f, n=20):
    f()
    start = time.perf_counter()
    for _ in range(n):
        f()
    return (time.perf_counter() - start) / n * 1e3


encoder = torch.nn.LSTM(128, 256, num_layers=2, bidirectional=True, batch_first=True)
letters = torch.randn(256, 9, 128)
cell = torch.nn.LSTMCell(128 + 256, 256)
rows = 256 * 5
step_input, h, c = torch.randn(rows, 384), torch.randn(rows, 256), torch.randn(rows, 256)
output = torch.nn.Linear(256, 42)
scores = torch.randn(rows, 42)
with torch.no_grad():
    with torch.autocast("cpu", dtype=torch.bfloat16):
        print("dtypes under autocast: LSTM output", encoder(letters)[0].dtype,
              "| LSTMCell h", cell(step_input, (h, c))[0].dtype,
              "| Linear", output(h).dtype,
              "| log_softmax of a bf16 tensor", torch.log_softmax(output(h), 1).dtype,
              "| softmax", torch.softmax(output(h), 1).dtype)
    for name, f in [("encoder LSTM", lambda: encoder(letters)),
                    ("decoder LSTMCell step", lambda: cell(step_input, (h, c))),
                    ("output Linear", lambda: output(h))]:
        fp32 = ms(f)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            bf16 = ms(f)
        print(f"{name}: fp32 {fp32:.2f} ms, autocast bf16 {bf16:.2f} ms ({fp32 / bf16:.2f}x)")
