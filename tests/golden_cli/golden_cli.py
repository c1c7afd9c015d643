#!/usr/bin/python3
"""Golden outputs of the command line: behaviour kept across a refactor (issue 29).

Runs a fixed list of nnlab commands -- every command of the tour (scripts/demo.sh), shortened to
one epoch and small limits on a 2,000/500-image slice of Fashion-MNIST, plus a representative set
of the CLI tests' invocations and bad inputs -- in a scratch folder, with one thread and fixed
seeds, and records per command: its argv, exit code, the `--json` object on stdout (or stdout's
text), stderr's one line when it failed, and a digest of every file it wrote. The record is
compared with the committed manifest, tests/data/golden_cli/manifest.json; any difference (which
command, which key, which file or tensor) is printed and the run fails. ctest runs it as
`golden.cli_outputs`; it never skips.

What is compared, and what is left out:
  * JSON (stdout, *.json, *.jsonl, the JSON inside checkpoints and .nnz files): every value,
    floats to the last digit, except timings (keys such as `seconds`, `*_ms`, `*_per_second`,
    `latency*`; see TIMING_KEYS) and any object named `provenance` (version, commit, LibTorch,
    CPU ISA, threads: where and how a result was made, not what it is).
  * Checkpoints and other PyTorch zip archives (*.ckpt, g2p/seq2seq/lm/caption .pt files): the
    sha256 of every tensor's bytes, with its dtype, shape and strides, and the normalized
    `nnlab.meta` JSON; an archive inside a uint8 tensor (`blob.optimizer`) the same way. Not the
    file's bytes: the metadata holds per-epoch times.
  * .nnz files: each section; META as normalized JSON, every TENS payload by sha256.
  * HTML reports and SVG plots: sha256 of the text with every table cell under a timing header
    (the attack report's `seconds` column) and every duration (TIMING_TEXT: a number followed by
    ' s', ' ms', '/s' ...) blanked. Human-readable stdout: its lines, blanked the same way.
  * CSVs: sha256 of the bytes, or of the CSV without its timing columns (attack's curve.csv).
  * Everything else (PNGs, labels, text): sha256 of the bytes.

Floating-point results depend on the CPU's vector ISA (ATen's, OpenBLAS's and oneDNN's kernels)
and on the LibTorch and OpenBLAS builds. The commands run with the ISA pinned to AVX2
(ISA_PIN_ENV), and the manifest records the capture machine (`captured_on`). On another machine
the test still runs and, where outputs differ, says first that the goldens were captured
elsewhere and how to re-capture them.

Usage:
  golden_cli.py --nnlab build/nnlab              compare with the committed manifest (exit 1 on
                                                 any difference)
  golden_cli.py --nnlab build/nnlab --update     re-capture: rewrite the manifest
  golden_cli.py --nnlab B --out captured.json    also write what was captured (e.g. to compare
                                                 two runs, or two binaries, with diff)
  golden_cli.py --nnlab B --keep DIR             run in DIR and keep the outputs there
  golden_cli.py --list                           the commands, without running them

Re-capture (--update) only when a change of numbers is intended, in a commit of its own whose
message says which command's numbers changed and why (a refactor must not need one). See
tests/golden_cli/README.md.

Python 3 standard library only.
"""
import argparse
import csv
import hashlib
import io
import json
import os
import pickle
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
import gzip

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.dirname(os.path.dirname(HERE))
DEFAULT_MANIFEST = os.path.join(SOURCE_DIR, "tests", "data", "golden_cli", "manifest.json")
FASHION_MNIST = "/usr/share/datasets/fashion-mnist"
CMUDICT = "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict"
TANG300 = "/usr/share/games/fortunes/tang300"
MANIFEST_FORMAT = "nnlab-golden-cli"
MANIFEST_VERSION = 1
COMMAND_TIMEOUT_S = 120  # each command takes a second or two; a hang must not hang ctest

# JSON keys whose values are measurements of time (they differ between two identical runs).
# peak_memory_mb (attack): the process's peak resident set, which varies run to run like a time.
TIMING_KEYS = {"seconds", "ms", "time", "elapsed", "latency", "throughput", "provenance",
               "peak_memory_mb"}
TIMING_SUFFIXES = ("_seconds", "_ms", "_per_second", "_per_sec", "_time")
TIMING_PREFIXES = ("latency", "seconds_")


def is_timing_key(key):
    k = key.lower()
    return k in TIMING_KEYS or k.endswith(TIMING_SUFFIXES) or k.startswith(TIMING_PREFIXES)


# Durations and rates printed in text (HTML reports, SVG plots, human output).
TIMING_TEXT = re.compile(
    r"(?<![\w.])\d+(?:\.\d+)?(?:e[-+]?\d+)?\s*(?:s|ms|µs|us|min|seconds?|images/s|img/s|"
    r"tokens/s|/s)\b|(?<=peak memory )\d+ MB")


def blank_timing_columns(text):
    """A text table's timing columns (attack's `seconds`) blanked: a header line, a line of dash
    runs under it that marks the columns, then rows up to the next blank line."""
    lines = text.split("\n")
    for i in range(1, len(lines)):
        if not re.fullmatch(r"[- ]*-[- ]*", lines[i]):
            continue
        spans = [m.span() for m in re.finditer(r"-+", lines[i])]
        timing = [(a, b) for a, b in spans if _is_timing_header(lines[i - 1][a:b])]
        j = i + 1
        while timing and j < len(lines) and lines[j].strip():
            row = lines[j]
            for a, b in timing:
                row = row[:a] + "<time>".ljust(b - a)[: max(b - a, 6)] + row[b:]
            lines[j] = row
            j += 1
    return "\n".join(lines)


DROPPED_KEYS = set()  # printed with --verbose, to see that only timings are left out


def normalize_json(value):
    if isinstance(value, dict):
        DROPPED_KEYS.update(k for k in value if is_timing_key(k))
        return {k: normalize_json(v) for k, v in value.items() if not is_timing_key(k)}
    if isinstance(value, list):
        return [normalize_json(v) for v in value]
    return value


def sha(data):
    return hashlib.sha256(data).hexdigest()


# --- PyTorch zip archives (torch.save / torch::pickle_save), read without torch ---------------

class _Storage:
    def __init__(self, dtype, key, count):
        self.dtype, self.key, self.count = dtype, key, count


class _Tensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride


def _rebuild_tensor(storage, offset, size, stride, *rest):
    return _Tensor(storage, offset, tuple(size), tuple(stride))


class _StorageType:
    def __init__(self, name):
        self.name = name


class _ArchiveUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if module == "torch._utils" and name.startswith("_rebuild_tensor"):
            return _rebuild_tensor
        if module == "torch" and name.endswith("Storage"):
            return _StorageType(name)
        if module == "collections" and name == "OrderedDict":
            return dict
        if module == "torch.jit._pickle" and name == "restore_type_tag":
            return lambda value, tag: value
        if module.startswith("__torch__"):
            return type(name, (_Object,), {"class_name": module + "." + name})
        raise pickle.UnpicklingError("unexpected global %s.%s" % (module, name))

    def persistent_load(self, pid):
        # ('storage', storage type, key, location, element count)
        return _Storage(pid[1].name, pid[2], pid[4])


def digest_torch_zip(data):
    """{tensor name: {dtype, shape, sha256} or normalized meta}, blind to per-epoch timings."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    pkl = next(n for n in names if n.endswith("/data.pkl") or n == "data.pkl")
    prefix = pkl[: -len("data.pkl")]
    root = _ArchiveUnpickler(io.BytesIO(archive.read(pkl))).load()
    if not isinstance(root, dict) or not all(isinstance(v, _Tensor) for v in root.values()):
        return _structure(root, archive, prefix)
    out = {}
    for name, tensor in root.items():
        raw = archive.read(prefix + "data/" + tensor.storage.key)
        if name == "nnlab.meta":
            out[name] = {"json": normalize_json(json.loads(raw.decode("utf-8")))}
        elif tensor.storage.dtype == "ByteStorage" and raw[:4] == b"PK\x03\x04":
            out[name] = {"archive": digest_torch_zip(raw)}
        else:
            out[name] = _tensor_entry(tensor, raw)
    return out


def _tensor_entry(tensor, raw):
    entry = {"dtype": tensor.storage.dtype, "shape": list(tensor.size), "sha256": sha(raw)}
    if tensor.offset or not _contiguous(tensor.size, tensor.stride):
        entry["offset"], entry["stride"] = tensor.offset, list(tensor.stride)
    return entry


POINTER = re.compile(r"^0x[0-9a-f]+$")


def _pointer_lists(value, found):
    """The parameter addresses of a TorchScript optimizer archive, in the order of its groups' params
    (values, never keys: the state dict is keyed by address in hash order)."""
    if isinstance(value, _Object):
        _pointer_lists(value.state, found)
    elif isinstance(value, (dict, list, tuple)):
        for v in value.values() if isinstance(value, dict) else value:
            if isinstance(v, str) and POINTER.match(v):
                found.setdefault(v, "param%d" % len(found))
            else:
                _pointer_lists(v, found)
    return found


def _structure(value, archive, prefix, names=None):
    """A TorchScript-pickled object (LibTorch's optimizer archive) as plain JSON. Its state is keyed
    by the parameters' addresses (0x55f4...), which change from run to run: each becomes
    param<i>, i its place in the params list of its group."""
    if names is None:
        names = _pointer_lists(value, {})

    def name(v):
        return names.get(v, "<address>") if isinstance(v, str) and POINTER.match(v) else v

    if isinstance(value, _Tensor):
        return _tensor_entry(value, archive.read(prefix + "data/" + value.storage.key))
    if isinstance(value, _Object):
        return {"class": re.sub(r"\.?___torch_mangle_\d+", "", value.class_name),
                "state": _structure(value.state, archive, prefix, names)}
    if isinstance(value, dict):
        return {str(name(k)): _structure(v, archive, prefix, names) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_structure(v, archive, prefix, names) for v in value]
    if isinstance(value, (bool, int, float, str)) or value is None:
        return name(value)
    return repr(value)


class _Object:
    """Any other pickled class (TorchScript's __torch__.Module): its name and state."""
    class_name = ""

    def __init__(self, *args):
        self.state = list(args)

    def __setstate__(self, state):
        self.state = state


def _contiguous(size, stride):
    expected = 1
    for n, s in reversed(list(zip(size, stride))):
        if n != 1 and s != expected:
            return False
        expected *= n
    return True


# --- .nnz (docs/FORMAT.md) ---------------------------------------------------------------------

def digest_nnz(data):
    if data[:8] != b"NNLABNNZ":
        return {"sha256_of_file": sha(data), "error": "no NNLABNNZ magic"}
    (version,) = struct.unpack_from("<I", data, 8)
    pos, sections = 12, []
    while pos < len(data):
        tag = data[pos:pos + 4].decode("ascii", "replace")
        (length,) = struct.unpack_from("<I", data, pos + 4)
        payload = data[pos + 8:pos + 8 + length]
        pos += 8 + length + 4
        if tag == "META":
            text = zlib.decompress(payload[4:]) if version >= 3 else payload
            sections.append({"META": normalize_json(json.loads(text.decode("utf-8")))})
        elif tag == "TENS":
            (name_length,) = struct.unpack_from("<H", payload, 0)
            name = payload[2:2 + name_length].decode("utf-8")
            sections.append({"TENS": name, "bytes": len(payload), "sha256": sha(payload)})
        else:
            sections.append({tag: len(payload)})
    return {"version": version, "sections": sections}


def digest_file(path):
    with open(path, "rb") as f:
        data = f.read()
    lower = path.lower()
    if data[:4] == b"PK\x03\x04":
        try:
            return {"torch_zip": digest_torch_zip(data)}
        except (zipfile.BadZipFile, pickle.UnpicklingError, StopIteration, KeyError) as e:
            return {"sha256": sha(data), "unreadable_archive": str(e)}
    if lower.endswith(".nnz"):
        return {"nnz": digest_nnz(data)}
    if lower.endswith(".jsonl"):
        return {"jsonl": [normalize_json(json.loads(line)) for line in data.decode().splitlines()
                          if line.strip()]}
    if lower.endswith(".json"):
        return {"json": normalize_json(json.loads(data.decode()))}
    if lower.endswith((".html", ".svg")):
        # The report's provenance section (commit, threads, CPU) is left out like the JSON block.
        text = PROVENANCE_SECTION.sub("", data.decode("utf-8"))
        text = TIMING_TEXT.sub("<time>", blank_timing_cells(text))
        return {"sha256_timings_blanked": sha(text.encode("utf-8"))}
    if lower.endswith(".csv"):
        text, dropped = drop_timing_columns(data.decode("utf-8"))
        if dropped:
            return {"sha256_timing_columns_dropped": sha(text.encode("utf-8")), "dropped": dropped}
    return {"sha256": sha(data)}


def _is_timing_header(cell):
    return is_timing_key(re.sub(r"\W+", "_", cell.strip().lower()).strip("_"))


def drop_timing_columns(text):
    """A CSV without its timing columns (`seconds` in attack's curve.csv)."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return text, []
    keep = [i for i, cell in enumerate(rows[0]) if not _is_timing_header(cell)]
    dropped = [cell for i, cell in enumerate(rows[0]) if i not in keep]
    if not dropped:
        return text, []
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in rows:
        writer.writerow([row[i] for i in keep if i < len(row)])
    return out.getvalue(), dropped


TABLE = re.compile(r"<table\b.*?</table>", re.S)
PROVENANCE_SECTION = re.compile(r'<section id="provenance">.*?</section>', re.S)
HEADER_CELL = re.compile(r"<th\b[^>]*>(.*?)</th>", re.S)
ROW = re.compile(r"<tr\b[^>]*>(.*?)</tr>", re.S)
DATA_CELL = re.compile(r"(<td\b[^>]*>)(.*?)(</td>)", re.S)


def blank_timing_cells(html):
    """Every HTML table cell under a timing header (the attack report's `seconds`) blanked."""
    def table(match):
        headers = [re.sub(r"<[^>]+>", "", h) for h in HEADER_CELL.findall(match.group(0))]
        columns = {i for i, h in enumerate(headers) if _is_timing_header(h)}
        if not columns:
            return match.group(0)

        def row(row_match):
            cells = iter(range(10 ** 6))
            return DATA_CELL.sub(lambda c: c.group(1) + ("<time>" if next(cells) in columns
                                                         else c.group(2)) + c.group(3),
                                 row_match.group(0))
        return ROW.sub(row, match.group(0))
    return TABLE.sub(table, html)


# --- the commands ------------------------------------------------------------------------------

GLOBAL = ["--seed", "7", "-q"]  # after --threads N
DATA = "idx:fm"  # the slice of Fashion-MNIST written by make_data_slice


def commands():
    """(name, --threads N, the command's argv, --json or not) in order; later commands read
    earlier outputs."""
    ft = ["--finetune-epochs", "1", "--limit", "500", "--batch-size", "64"]
    c = []

    def add(name, args, json_flag=True, threads=1):
        c.append((name, ["--threads", str(threads)], args, json_flag))

    # The tour (scripts/demo.sh), step by step, shortened.
    add("summary", ["summary", "--arch", "lenet5"])
    add("summary-depthwise", ["summary", "--arch", "lenet5", "--depthwise"])
    add("summary-text", ["summary", "--arch", "lenet5"], json_flag=False)
    add("train", ["train", "--arch", "lenet5", "--data", DATA, "--epochs", "1", "--batch-size",
                  "64", "--lr", "3e-3", "--schedule", "cosine", "--output", "lenet5.ckpt"])
    add("eval", ["eval", "--model", "lenet5.ckpt", "--data", DATA, "--confusion",
                 "confusion.csv"])
    add("eval-fashion-mnist", ["eval", "--model", "lenet5.ckpt", "--data", "fashion-mnist",
                               "--limit", "300"])
    add("export-images", ["export-images", "--data", DATA, "--count", "8", "--output", "images"])
    add("predict", ["predict", "--model", "lenet5.ckpt", "images", "--top-k", "3", "--output",
                    "predictions.csv", "--logits", "logits.csv"])
    add("attack-fgsm-sweep", ["attack", "--method", "fgsm", "--model", "lenet5.ckpt", "--data",
                              DATA, "--epsilon", "0,4,8,16,25.5", "--limit", "200", "--output",
                              "fgsm_curve", "--defense", "median:3,bits:2,jpeg:75", "--report",
                              "fgsm_report.html"])
    add("attack-pgd-data", ["attack", "--method", "pgd", "--steps", "5", "--model", "lenet5.ckpt",
                            "--data", DATA, "--epsilon", "25.5", "--limit", "100"])
    add("attack-pgd-folder", ["attack", "--method", "pgd", "--steps", "10", "--model",
                              "lenet5.ckpt", "--input", "images", "--output", "adversarial",
                              "--epsilon", "16"])
    add("train-adv-fgsm-rs", ["train", "--arch", "lenet5", "--data", DATA, "--epochs", "1",
                              "--limit", "1000", "--lr", "2e-3", "--schedule", "cosine", "--adv",
                              "fgsm-rs", "--epsilon", "25.5", "--holdout", "100",
                              "--adv-eval-steps", "3", "--output", "lenet5_adv.ckpt"])
    add("attack-pgd-adv", ["attack", "--method", "pgd", "--steps", "5", "--model",
                           "lenet5_adv.ckpt", "--data", DATA, "--epsilon", "25.5", "--limit",
                           "100"])
    add("attack-eval", ["attack-eval", "--input", "adversarial", "--labels", "images", "--model",
                        "lenet5.ckpt,lenet5_adv.ckpt", "--csv", "transfer.csv"])
    add("prune-structured", ["prune", "--structured", "--target-macs", "0.5", "--steps", "1",
                             *ft, "--model", "lenet5.ckpt", "--output", "lenet5_thin.ckpt",
                             "--plot", "lenet5_thin.svg"])
    add("eval-thin", ["eval", "--model", "lenet5_thin.ckpt", "--data", DATA, "--limit", "200"])
    add("factorize", ["factorize", "--layers", "fc1", "--rank", "16", *ft, "--model",
                      "lenet5.ckpt", "--output", "lenet5_rank16.ckpt"])
    add("compress-deep", ["compress", "--pipeline", "deep", "--keep",
                          "conv1=0.6,conv2=0.25,fc1=0.08,fc2=0.12,fc3=0.3", "--steps", "2",
                          *ft, "--conv-bits", "4", "--fc-bits", "4", "--cluster-epochs", "1",
                          "--model", "lenet5.ckpt", "--output", "lenet5.nnz"])
    add("eval-nnz", ["eval", "--model", "lenet5.nnz", "--data", DATA])
    # g2p, language model, captions: tiny.
    add("g2p-train", ["g2p", "train", "--limit", "300", "--epochs", "1", "--hidden", "32",
                      "--embedding", "16", "--encoder-layers", "1", "--decoder-hidden", "32",
                      "--batch-size", "32", "--output", "g2p.pt"])
    add("g2p-pronounce", ["g2p", "pronounce", "--model", "g2p.pt", "--nbest", "2", "photograph",
                          "tomato", "nnlab", "--attention-svg", "photograph_attention.svg"])
    add("g2p-eval", ["g2p", "eval", "--model", "g2p.pt", "--test", CMUDICT, "--limit", "30",
                     "--output", "g2p_hypotheses.txt"])
    add("lm-train", ["lm", "train", "--text", TANG300, "--epochs", "1", "--hidden", "32",
                     "--embedding", "16", "--output", "tang.lm"])
    add("lm-generate", ["lm", "generate", "--model", "tang.lm", "--prompt", "床前明月光，",
                        "--temperature", "0.8", "--samples", "3", "--max-tokens", "24",
                        "--verse"])
    add("lm-eval", ["lm", "eval", "--model", "tang.lm", "--text", TANG300, "--baselines"])
    add("caption-train", ["caption", "train", "--data", DATA, "--scenes", "200", "--epochs", "1",
                          "--dev-scenes", "20", "--test-scenes", "20", "--features", "32",
                          "--embedding", "16", "--hidden", "32", "--output", "caption.pt"])
    add("caption-describe", ["caption", "describe", "--model", "caption.pt", "--data", DATA,
                             "--scene", "0", "--html", "caption_attention.html"])
    # The other attacks, briefly.
    for method, extra in (("ifgsm", ["--steps", "3"]), ("mifgsm", ["--steps", "3"]),
                          ("difgsm", ["--steps", "3"]), ("deepfool", ["--steps", "5"]),
                          ("cw", ["--cw-steps", "5"])):
        add("attack-" + method, ["attack", "--method", method, *extra, "--model", "lenet5.ckpt",
                                 "--data", DATA, "--epsilon", "8", "--limit", "20"])
    # The CLI tests' invocations (tests/cli/*.cpp), on the same slice.
    add("train-lenet300", ["train", "--arch", "lenet300", "--data", DATA, "--epochs", "1",
                           "--limit", "500", "-o", "lenet300.ckpt"])
    add("train-distil", ["train", "--arch", "lenet300", "--data", DATA, "--epochs", "1",
                         "--limit", "500", "--teacher", "lenet5.ckpt", "--temperature", "4",
                         "--alpha", "0.7", "-o", "student.ckpt"])
    add("train-resume", ["train", "--resume", "lenet300.ckpt", "--epochs", "2", "--limit", "500"])
    add("prune-unstructured", ["prune", "--model", "lenet300.ckpt", "--sparsity", "0.8",
                               "--steps", "2", *ft, "-o", "sparse.ckpt"])
    add("eval-sparse", ["eval", "--model", "sparse.ckpt", "--data", DATA, "--limit", "200"])
    add("convert-depthwise", ["convert", "--depthwise", "--model", "lenet5.ckpt", *ft, "-o",
                              "lenet5_dw.ckpt"])
    add("summary-converted", ["summary", "--model", "lenet5_dw.ckpt"])
    add("quantize-kmeans", ["quantize", "--model", "sparse.ckpt", "--bits", "4", *ft, "-o",
                            "sparse_q4.nnz"])
    add("quantize-uniform", ["quantize", "--model", "lenet5.ckpt", "--method", "uniform",
                             "--bits", "8", "--per-channel", "--finetune-epochs", "0", "-o",
                             "lenet5_u8.nnz"])
    add("quantize-float16", ["quantize", "--model", "lenet5.ckpt", "--method", "float16", "-o",
                             "lenet5_f16.nnz"])
    add("eval-q4", ["eval", "--model", "sparse_q4.nnz", "--data", DATA, "--limit", "200"])
    add("seq2seq-train", ["seq2seq", "train", "--train", "reverse_train.tsv", "--epochs", "1",
                          "--hidden", "16", "--embedding", "16", "--encoder-layers", "1",
                          "--decoder-hidden", "16", "--batch-size", "32", "-o", "reverse.pt"])
    add("seq2seq-translate", ["seq2seq", "translate", "--model", "reverse.pt", "--input",
                              "reverse_source.txt", "--nbest", "2"])
    add("seq2seq-eval", ["seq2seq", "eval", "--model", "reverse.pt", "--test",
                         "reverse_test.tsv", "--output", "reverse_outputs.txt"])
    add("caption-eval", ["caption", "eval", "--model", "caption.pt", "--data", DATA, "--scenes",
                         "20"])
    # Training states and resume (one epoch, then a second from the state), beam search.
    add("g2p-train-state", ["g2p", "train", "--limit", "200", "--epochs", "1", "--hidden", "16",
                            "--embedding", "16", "--encoder-layers", "1", "--decoder-hidden",
                            "16", "--batch-size", "32", "--checkpoint", "g2p_state.pt",
                            "--output", "g2p_small.pt"])
    add("g2p-resume", ["g2p", "train", "--limit", "200", "--epochs", "2", "--resume",
                       "g2p_state.pt", "--checkpoint", "g2p_state.pt", "--output",
                       "g2p_small.pt"])
    add("lm-train-state", ["lm", "train", "--text", TANG300, "--epochs", "1", "--hidden", "16",
                           "--embedding", "8", "--checkpoint", "lm_state.pt", "--output",
                           "small.lm"])
    # Not `lm train --resume lm_state.pt`: at d3ca1d6 it fails ("key 'data' not found": the state
    # written during training lacks meta.training.data, which --resume reads); a bug to fix, not
    # behaviour to keep.
    add("lm-beam", ["lm", "generate", "--model", "tang.lm", "--prompt", "月", "--temperature", "0",
                    "--beam", "3", "--nbest", "2", "--max-tokens", "8"])
    add("caption-eval-beam", ["caption", "eval", "--model", "caption.pt", "--data", DATA,
                              "--scenes", "10", "--beam", "3"])
    # Attack variants: PGD in L2 with restarts, targeted, no random start; a defended sweep.
    add("attack-pgd-l2-restarts", ["attack", "--method", "pgd", "--norm", "l2", "--restarts", "2",
                                   "--steps", "3", "--model", "lenet5.ckpt", "--data", DATA,
                                   "--epsilon", "128", "--limit", "20"])
    add("attack-pgd-targeted", ["attack", "--method", "pgd", "--target", "least-likely",
                                "--no-random-start", "--steps", "5", "--model", "lenet5.ckpt",
                                "--data", DATA, "--epsilon", "16", "--limit", "20"])
    add("attack-nnz", ["attack", "--method", "fgsm", "--model", "lenet5.nnz", "--data", DATA,
                       "--epsilon", "8", "--limit", "50"])
    # Human-readable output (no --json): the tables and lines people read.
    add("text-eval", ["eval", "--model", "lenet5.ckpt", "--data", DATA, "--limit", "100"],
        json_flag=False)
    add("text-attack", ["attack", "--method", "fgsm", "--model", "lenet5.ckpt", "--data", DATA,
                        "--epsilon", "0,8", "--limit", "50"], json_flag=False)
    add("text-train", ["train", "--arch", "lenet300", "--data", DATA, "--epochs", "1", "--limit",
                       "300", "-o", "text.ckpt"], json_flag=False)
    add("text-g2p-pronounce", ["g2p", "pronounce", "--model", "g2p.pt", "--nbest", "2", "tomato"],
        json_flag=False)
    add("text-lm-generate", ["lm", "generate", "--model", "tang.lm", "--prompt", "床",
                             "--samples", "2", "--max-tokens", "10", "--verse"], json_flag=False)
    # Two intra-op threads (the execution context's thread count reaches ATen).
    add("threads2-train", ["train", "--arch", "lenet5", "--data", DATA, "--epochs", "1",
                           "--limit", "500", "-o", "threads2.ckpt"], threads=2)
    add("threads2-eval", ["eval", "--model", "lenet5.ckpt", "--data", DATA], threads=2)
    # Bad inputs: exit code and the one line on stderr.
    add("bad-arch", ["summary", "--arch", "no_such_net"])
    add("bad-input-size", ["summary", "--arch", "lenet5", "--input-size", "1x32"])
    add("bad-missing-model", ["eval", "--model", "no_such.ckpt", "--data", DATA])
    add("bad-not-a-checkpoint", ["prune", "--model", "fm/t10k-labels-idx1-ubyte", "-o",
                                 "bad.ckpt"])
    add("bad-epochs", ["train", "--arch", "lenet5", "--data", DATA, "--epochs", "-1"])
    add("bad-method", ["attack", "--method", "nosuch", "--model", "lenet5.ckpt", "--data", DATA])
    add("bad-bits", ["quantize", "--model", "sparse.ckpt", "--bits", "0", "-o", "x.nnz"])
    add("bad-compress-output", ["compress", "--model", "lenet5.ckpt", "-o", "x.ckpt"])
    add("bad-g2p-model", ["g2p", "pronounce", "--model", "lenet5.ckpt", "word"])
    add("bad-subcommand", ["no-such-command"])
    return c


def make_data_slice(folder, train=2000, test=500):
    """idx:fm -- the first images of Fashion-MNIST's train and test sets, plain IDX."""
    os.makedirs(folder, exist_ok=True)
    for split, count in (("train", train), ("t10k", test)):
        for kind, item_bytes in (("images-idx3-ubyte", 28 * 28), ("labels-idx1-ubyte", 1)):
            with gzip.open(os.path.join(FASHION_MNIST, "%s-%s.gz" % (split, kind)), "rb") as f:
                header_length = 16 if item_bytes > 1 else 8
                header = bytearray(f.read(header_length))
                body = f.read(count * item_bytes)
            struct.pack_into(">I", header, 4, count)
            with open(os.path.join(folder, "%s-%s" % (split, kind)), "wb") as out:
                out.write(bytes(header) + body)


def make_parallel_text(folder):
    """reverse_*.tsv: words of CMUdict and the same words reversed, for seq2seq (chars)."""
    words = []
    with open(CMUDICT, encoding="utf-8") as f:
        for line in f:
            word = line.split(" ", 1)[0]
            if word.isalpha() and 3 <= len(word) <= 8 and word not in words:
                words.append(word)
            if len(words) == 240:
                break
    pairs = ["%s\t%s\n" % (w, w[::-1]) for w in words]
    with open(os.path.join(folder, "reverse_train.tsv"), "w", encoding="utf-8") as f:
        f.writelines(pairs[:200])
    with open(os.path.join(folder, "reverse_test.tsv"), "w", encoding="utf-8") as f:
        f.writelines(pairs[200:])
    with open(os.path.join(folder, "reverse_source.txt"), "w", encoding="utf-8") as f:
        f.writelines(w + "\n" for w in words[200:205])


def snapshot(folder):
    state = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            st = os.stat(path)
            state[os.path.relpath(path, folder)] = (st.st_mtime_ns, st.st_size, st.st_ino)
    return state


def run_command(nnlab, work, name, threads, args, json_flag):
    argv = threads + GLOBAL + (["--json"] if json_flag else []) + args
    before = snapshot(work)
    start = time.monotonic()
    try:
        proc = subprocess.run([nnlab] + argv, cwd=work, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=command_env(),
                              timeout=COMMAND_TIMEOUT_S)
    except subprocess.TimeoutExpired as e:
        proc = subprocess.CompletedProcess(e.cmd, "timeout after %d s" % COMMAND_TIMEOUT_S,
                                           e.stdout or b"", e.stderr or b"")
    seconds = time.monotonic() - start
    record = {"name": name, "argv": argv, "exit_code": proc.returncode}
    stdout = proc.stdout.decode("utf-8", "replace").replace(work, "$WORK")
    if json_flag and stdout.strip():
        try:
            record["stdout_json"] = normalize_json(json.loads(stdout))
        except json.JSONDecodeError:
            record["stdout_text"] = stdout.splitlines()
    elif stdout:
        record["stdout_text"] = TIMING_TEXT.sub("<time>", blank_timing_columns(stdout)) \
            .splitlines()
    if proc.returncode != 0:
        record["stderr"] = proc.stderr.decode("utf-8", "replace").replace(work, "$WORK") \
            .splitlines()
    after = snapshot(work)
    files = {}
    for path in sorted(after):
        if before.get(path) != after[path]:
            files[path] = digest_file(os.path.join(work, path))
    removed = sorted(set(before) - set(after))
    if files:
        record["files"] = files
    if removed:
        record["removed"] = removed
    return record, seconds


# One thread outside ATen's pool too.
THREAD_ENV = {"OMP_WAIT_POLICY": "PASSIVE", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
              "MKL_NUM_THREADS": "1", "LC_ALL": "C.UTF-8"}
# The vector ISA pinned to AVX2 in each library that picks its kernels by CPU (ATen, OpenBLAS,
# oneDNN): then any x86-64 with AVX2 and FMA (Haswell, Zen and later, AVX-512 machines included)
# should compute the same floats as the machine of the capture. Only where the CPU has AVX2 and
# FMA: ATen and OpenBLAS take the names on trust, and their kernels would fault elsewhere.
ISA_PIN_ENV = {"ATEN_CPU_CAPABILITY": "avx2", "OPENBLAS_CORETYPE": "Haswell",
               "ONEDNN_MAX_CPU_ISA": "AVX2", "DNNL_MAX_CPU_ISA": "AVX2"}


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("flags", "Features")):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def isa_pin_holds():
    return {"avx2", "fma"} <= cpu_flags()


def command_env():
    env = dict(os.environ)
    for key in ISA_PIN_ENV:
        env.pop(key, None)
    env.update(THREAD_ENV)
    if isa_pin_holds():
        env.update(ISA_PIN_ENV)
    return env


def machine():
    """What the floats may depend on: the CPU's vector extensions (pinned to AVX2 where it has
    them) and the LibTorch and OpenBLAS builds."""
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    packages = {}
    for package in ("libtorch-dev", "libopenblas0-pthread"):
        try:
            version = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     check=False).stdout.decode().strip()
        except OSError:
            version = ""
        packages[package] = version or "unknown"
    return {"cpu": model, "cpu_flags": sorted(cpu_flags() & ISA_FLAGS),
            "isa_pinned": ISA_PIN_ENV["ATEN_CPU_CAPABILITY"] if isa_pin_holds() else "none",
            "packages": packages}


ISA_FLAGS = {"sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl",
             "avx512dq", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16", "asimd", "sve"}


def capture(nnlab, work, verbose):
    make_data_slice(os.path.join(work, "fm"))
    make_parallel_text(work)
    records, total = [], 0.0
    for name, threads, args, json_flag in commands():
        record, seconds = run_command(nnlab, work, name, threads, args, json_flag)
        total += seconds
        if verbose:
            print("%-22s exit %s  %5.1f s" % (name, record["exit_code"], seconds), flush=True)
        records.append(record)
    if verbose:
        print("JSON keys left out as timings: %s" % ", ".join(sorted(DROPPED_KEYS)))
    return {"format": MANIFEST_FORMAT, "version": MANIFEST_VERSION,
            "captured_on": machine(), "settings": {"global_flags": GLOBAL, "env": THREAD_ENV},
            "commands": records}, total


def dump(manifest):
    """Indented JSON, one line per key, but a list of numbers or strings, and a short object of
    such values (a tensor's dtype, shape and hash), on one line: a changed value shows as one
    changed line in git diff, and the file stays small."""
    def flat(value):
        return not isinstance(value, (dict, list)) or (
            isinstance(value, list) and not any(isinstance(v, (dict, list)) for v in value))

    def write(value, depth):
        if isinstance(value, dict) and all(flat(v) for v in value.values()) and \
                len(json.dumps(value, ensure_ascii=False)) <= 160:
            return json.dumps(value, ensure_ascii=False, sort_keys=True)  # a tensor's entry
        if isinstance(value, dict) and value:
            pad = " " * (depth + 1)
            items = ",\n".join("%s%s: %s" % (pad, json.dumps(k, ensure_ascii=False),
                                             write(value[k], depth + 1)) for k in sorted(value))
            return "{\n%s\n%s}" % (items, " " * depth)
        if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
            pad = " " * (depth + 1)
            items = ",\n".join(pad + write(v, depth + 1) for v in value)
            return "[\n%s\n%s]" % (items, " " * depth)
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return write(manifest, 0) + "\n"


def differences(expected, actual, path=""):
    """Lines 'path: expected -> actual' for every leaf that differs."""
    out = []
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual)):
            where = "%s.%s" % (path, key) if path else key
            if key not in actual:
                out.append("%s: missing (expected %s)" % (where, _short(expected[key])))
            elif key not in expected:
                out.append("%s: new (%s)" % (where, _short(actual[key])))
            else:
                out.extend(differences(expected[key], actual[key], where))
    elif isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for i, (e, a) in enumerate(zip(expected, actual)):
            out.extend(differences(e, a, "%s[%d]" % (path, i)))
    elif expected != actual:
        out.append("%s: %s -> %s" % (path, _short(expected), _short(actual)))
    return out


def _short(value):
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 160 else text[:157] + "..."


def compare(expected, actual):
    """A readable report of what changed, command by command; empty when nothing did."""
    lines = []
    exp_commands = {c["name"]: c for c in expected.get("commands", [])}
    act_commands = {c["name"]: c for c in actual["commands"]}
    for name in list(exp_commands) + [n for n in act_commands if n not in exp_commands]:
        if name not in act_commands:
            lines.append("command %s: in the manifest, not run" % name)
            continue
        if name not in exp_commands:
            lines.append("command %s: run, not in the manifest (re-capture with --update)" % name)
            continue
        diff = differences(exp_commands[name], act_commands[name])
        if diff:
            lines.append("command %s (nnlab %s):" % (name, " ".join(act_commands[name]["argv"])))
            lines.extend("  " + d for d in diff[:40])
            if len(diff) > 40:
                lines.append("  ... and %d more differences" % (len(diff) - 40))
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nnlab", help="the nnlab binary to run")
    parser.add_argument("--list", action="store_true", help="print the commands, run nothing")
    parser.add_argument("--manifest", default=DEFAULT_MANIFEST, help="the golden manifest")
    parser.add_argument("--update", action="store_true", help="rewrite the manifest")
    parser.add_argument("--out", help="also write the captured manifest to this file")
    parser.add_argument("--keep", help="run in this folder (created) and keep the outputs")
    parser.add_argument("-v", "--verbose", action="store_true", help="one line per command")
    args = parser.parse_args()
    if args.list:
        for name, threads, command, json_flag in commands():
            print("%-24s nnlab %s" % (name, " ".join(threads + GLOBAL + (["--json"] if json_flag
                                                                           else []) + command)))
        return 0
    if not args.nnlab:
        parser.error("--nnlab is required")

    nnlab = os.path.abspath(args.nnlab)
    if not os.access(nnlab, os.X_OK):
        print("golden_cli: %s is not an executable" % nnlab)
        return 1
    for needed in (FASHION_MNIST, CMUDICT, TANG300):
        if not os.path.exists(needed):
            print("golden_cli: %s is missing (scripts/setup.sh installs it)" % needed)
            return 1
    work = os.path.abspath(args.keep) if args.keep else tempfile.mkdtemp(prefix="golden_cli.")
    if args.keep:
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
    start = time.monotonic()
    try:
        actual, _ = capture(nnlab, work, args.verbose)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    wall = time.monotonic() - start
    text = dump(actual)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)
    if args.update:
        os.makedirs(os.path.dirname(os.path.abspath(args.manifest)), exist_ok=True)
        with open(args.manifest, "w", encoding="utf-8") as f:
            f.write(text)
        print("golden_cli: wrote %s (%d commands, %.0f s)" % (args.manifest,
                                                               len(actual["commands"]), wall))
        return 0

    try:
        with open(args.manifest, encoding="utf-8") as f:
            expected = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        print("golden_cli: cannot read the manifest %s: %s" % (args.manifest, e))
        return 1
    report = compare(expected, actual)
    rest = differences({k: v for k, v in expected.items() if k not in ("commands", "captured_on")},
                       {k: v for k, v in actual.items() if k not in ("commands", "captured_on")})
    report += ["manifest " + line for line in rest]
    if not report:
        if expected.get("captured_on") != actual["captured_on"]:
            print("golden_cli: (captured on another machine or LibTorch/OpenBLAS build: %s)" %
                  "; ".join(differences(expected.get("captured_on"), actual["captured_on"])))
        print("golden_cli: %d commands, outputs identical to %s (%.0f s)" % (
            len(actual["commands"]), args.manifest, wall))
        return 0
    captured, here = expected.get("captured_on", {}), actual["captured_on"]
    if captured != here:
        print("golden_cli: NOTE: the goldens were captured on another machine (CPU ISA) or with "
              "another LibTorch/OpenBLAS build than this one:")
        for line in differences(captured, here):
            print("  captured_on." + line)
        print("  Floating-point results depend on them (the ISA is pinned to AVX2 where the CPU "
              "has it; see tests/golden_cli/README.md).\n"
              "  If the differences below are only numbers, re-capture on this machine from the "
              "commit before your change:\n"
              "    /usr/bin/python3 %s --nnlab BUILD/nnlab --update\n"
              "  commit the manifest on its own, then test your change against it." % __file__)
    print("golden_cli: outputs differ from %s:" % args.manifest)
    for line in report:
        print(line)
    print("golden_cli: %d commands, %.0f s. If the change is intended, re-capture with --update "
          "in a commit of its own that says why the numbers changed (tests/golden_cli/README.md)."
          % (len(actual["commands"]), wall))
    return 1


if __name__ == "__main__":
    sys.exit(main())
