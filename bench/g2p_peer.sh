#!/usr/bin/env bash
# The peer G2P of docs/BENCHMARKS.md: Phonetisaurus (joint-sequence WFST, Novak et al.) from PyPI
# (the `phonetisaurus` wheel, 0.3.0, which bundles phonetisaurus-align / -arpa2wfst / -g2pfst,
# OpenFst 1.6 and mitlm's estimate-ngram), trained on g014b2b.train only with the recipe of the
# Phonetisaurus README ("Align, estimate, and convert a joint n-gram model step-by-step"):
#
#   phonetisaurus-align --input=g014b2b.train --ofile=model.corpus --seq1_del=false
#   estimate-ngram -o 8 -t model.corpus -wl model.o8.arpa            (modified Kneser-Ney)
#   phonetisaurus-arpa2wfst --lm=model.o8.arpa --ofile=model.o8.fst
#
# then decodes the 12,000 words of g014b2b.words with phonetisaurus-g2pfst --nbest=1 (its default
# beam, 10000: an exact shortest path through the word's lattice, no beam-search approximation)
# and scores against g014b2b.ref with bench/g2p_score.py (WER: equal to any reference; PER: edit
# distance to the closest, over the lengths of those). All of it is single-threaded and runs at
# nice 19. Prints one JSON line on stdout (the log goes to stderr); the files go under WORK_DIR.
#
#   bash bench/g2p_peer.sh [WORK_DIR]      (default /tmp/g2p-peer; G2P_DATA: the data folder)
#   REPS=3 (decoding repetitions; the median is reported)   ORDER=8 (n-gram order)
#
# The model is kept in WORK_DIR and reused when present (train_seconds then comes from the
# training run's record, train.json); delete WORK_DIR to retrain.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${1:-/tmp/g2p-peer}
data=${G2P_DATA:-$(cd "$here/../.." && pwd)/shared/data/g2p}
reps=${REPS:-3}
order=${ORDER:-8}
PHONETISAURUS_VERSION=0.3.0
renice -n 19 -p $$ >/dev/null  # every step below inherits it
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

for f in g014b2b.train g014b2b.words g014b2b.ref; do
  [[ -r $data/$f ]] || { echo "g2p_peer.sh: $data/$f missing (set G2P_DATA)" >&2; exit 1; }
done

# bench/.venv (git-ignored), made as bench/setup_attack_peer.sh makes it: Debian's python3 with
# --system-site-packages. Only the phonetisaurus wheel is added here (no dependencies).
venv="$here/.venv"
py="$venv/bin/python"
if [[ ! -x $py ]]; then
  /usr/bin/python3 -m venv --system-site-packages "$venv" >&2
fi
installed=$("$py" -c 'from importlib.metadata import version; print(version("phonetisaurus"))' \
  2>/dev/null || true)
if [[ $installed != "$PHONETISAURUS_VERSION" ]]; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps \
    "phonetisaurus==$PHONETISAURUS_VERSION" >&2
fi
pkg=$("$py" -c 'import phonetisaurus, os; print(os.path.dirname(phonetisaurus.__file__))')
machine=$(uname -m)
export PATH="$pkg/bin/$machine:$PATH" LD_LIBRARY_PATH="$pkg/lib/$machine${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

mkdir -p "$work"
cd "$work"
TIMEFORMAT='%R %U %S'  # bash's `time`: wall, user, system seconds
timed() {  # timed LOG COMMAND... : runs COMMAND (stdout and stderr into LOG), prints "wall user sys"
  local log=$1
  shift
  { time "$@" >"$log" 2>&1; } 2>&1
}

model="model.o$order.fst"
if [[ ! -s $model || ! -s train.json ]]; then
  echo "== phonetisaurus: align $data/g014b2b.train" >&2
  align=$(timed align.log phonetisaurus-align --input="$data/g014b2b.train" \
    --ofile=model.corpus --seq1_del=false)
  echo "   wall/user/sys: $align" >&2
  echo "== phonetisaurus: estimate-ngram -o $order" >&2
  ngram=$(timed ngram.log estimate-ngram -o "$order" -t model.corpus -wl "model.o$order.arpa")
  echo "   wall/user/sys: $ngram" >&2
  echo "== phonetisaurus: arpa2wfst" >&2
  convert=$(timed convert.log phonetisaurus-arpa2wfst --lm="model.o$order.arpa" --ofile="$model")
  echo "   wall/user/sys: $convert" >&2
  "$py" - "$align" "$ngram" "$convert" >train.json <<'EOF'
import json, sys
steps = dict(zip(("align", "ngram", "convert"), (list(map(float, a.split())) for a in sys.argv[1:])))
print(json.dumps({"train_seconds": round(sum(s[0] for s in steps.values()), 2),
                  "train_cpu_seconds": round(sum(s[1] + s[2] for s in steps.values()), 2),
                  "steps_wall_user_sys": steps}))
EOF
fi

# Decoding: the whole g2pfst process on the 12,000 words (model load included), REPS times; and
# the same process on one word, REPS times, for the load alone.
head -n 1 "$data/g014b2b.words" >one.words
decode=()
load=()
for ((r = 1; r <= reps; r++)); do
  echo "== phonetisaurus: decode g014b2b.words, repetition $r" >&2
  load+=("$(timed load.log phonetisaurus-g2pfst --model="$model" --nbest=1 --print_scores=false \
    --wordlist=one.words)")
  decode+=("$(timed decode.log phonetisaurus-g2pfst --model="$model" --nbest=1 \
    --print_scores=false --wordlist="$data/g014b2b.words")")
done
grep -v '^GitRevision' decode.log >hyp.tsv
revision=$(grep -m1 '^GitRevision' decode.log | cut -d' ' -f2 || true)  # "package" in 0.3.0

"$py" "$here/g2p_score.py" "$data/g014b2b.ref" hyp.tsv >score.json
"$py" - "$PHONETISAURUS_VERSION" "$revision" "$order" "${decode[*]}" "${load[*]}" <<'EOF'
import json, statistics, sys
version, revision, order, decode, load = sys.argv[1:]
def runs(text):
    values = list(map(float, text.split()))
    return [values[i:i + 3] for i in range(0, len(values), 3)]
decode, load = runs(decode), runs(load)
train = json.load(open("train.json"))
score = json.load(open("score.json"))
wall = statistics.median(r[0] for r in decode)
cpu = statistics.median(r[1] + r[2] for r in decode)
load_wall = statistics.median(r[0] for r in load)
words = score["words"]
print(json.dumps({
    "peer": "phonetisaurus",
    "version": version + (f" (GitRevision {revision})" if revision not in ("", "package") else ""),
    "recipe": f"phonetisaurus-align --seq1_del=false; estimate-ngram -o {order} (ModKN); "
              "phonetisaurus-arpa2wfst; phonetisaurus-g2pfst --nbest=1 --beam=10000",
    "train_seconds": train["train_seconds"], "train_cpu_seconds": train["train_cpu_seconds"],
    "decode_seconds": round(wall, 3), "decode_cpu_seconds": round(cpu, 3),
    "words_per_second": round(words / wall, 1),
    "load_seconds": round(load_wall, 3),
    "words_per_second_without_load": round(words / max(wall - load_wall, 1e-9), 1),
    "decode_runs_wall": [r[0] for r in decode], "threads": 1,
    "wer": score["wer"], "per": score["per"], "words": words, "missing": score["missing"]}))
EOF
