#!/usr/bin/env bash
# The Python side of bench/run_attack_bench.sh and bench/run_compression.sh: a virtual environment
# bench/.venv (git-ignored) on top of the interpreter that imports Debian's python3-torch
# (LibTorch 1.13, the one nnlab links), with the peers from PyPI: torchattacks, Torch-Pruning and
# the Adversarial Robustness Toolbox (ART: its HopSkipJump for bench/run_hsj_bench.sh).
# Idempotent: does nothing when the pinned versions import.
#
#   bash bench/setup_attack_peer.sh        # prints the venv's python on stdout
#
# torch and torchvision come from the system (--system-site-packages); they must never be
# installed from PyPI here. torchattacks is installed with --no-deps, then only what it imports at
# `import torchattacks` and the system lacks: scipy (tifgsm.py, jsma.py, onepixel.py import it).
# scipy 1.10.1 is the version Debian bookworm ships, built for numpy 1.24 like the system's numpy;
# it is a binary wheel (the one dependency that is not pure Python). requests and tqdm, which
# torchattacks declares, are not imported by it. torch-pruning (pure Python) needs only torch and
# numpy, both the system's. ART is installed with --no-deps too, with what `import art` needs and
# the system lacks, each at the version Debian bookworm ships: scikit-learn (a binary wheel, with
# joblib and threadpoolctl), tqdm, packaging, six.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/torch_python.sh"
TORCHATTACKS_VERSION=3.5.1
SCIPY_VERSION=1.10.1
TORCH_PRUNING_VERSION=1.3.7
ART_VERSION=1.20.1
ART_DEPENDENCIES=(scikit-learn==1.2.1 joblib==1.2.0 threadpoolctl==3.1.0 tqdm==4.64.1
  packaging==23.0 six==1.16.0)
venv="$here/.venv"
py="$venv/bin/python"

check() {
  "$py" - "$TORCHATTACKS_VERSION" "$SCIPY_VERSION" "$TORCH_PRUNING_VERSION" "$ART_VERSION" \
    2>/dev/null <<'EOF'
import sys
from importlib.metadata import version
import scipy, torch, torchattacks, torch_pruning
import art
from art.attacks.evasion import HopSkipJump
ok = torchattacks.__version__ == sys.argv[1] and scipy.__version__ == sys.argv[2]
ok = ok and version("torch-pruning") == sys.argv[3] and art.__version__ == sys.argv[4]
ok = ok and torch.__file__.startswith("/usr/")  # the system's torch, not a PyPI one
sys.exit(0 if ok else 1)
EOF
}

if [[ -x $py ]] && check; then
  echo "$py"
  exit 0
fi
[[ -x $py ]] || "$TORCH_PYTHON" -m venv --system-site-packages "$venv" >&2
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps \
  "torchattacks==$TORCHATTACKS_VERSION" "scipy==$SCIPY_VERSION" \
  "torch-pruning==$TORCH_PRUNING_VERSION" \
  "adversarial-robustness-toolbox==$ART_VERSION" "${ART_DEPENDENCIES[@]}" >&2
check || { echo "setup_attack_peer.sh: $py does not import torchattacks $TORCHATTACKS_VERSION" \
  ", torch-pruning $TORCH_PRUNING_VERSION and ART $ART_VERSION" \
  "on the system's torch" >&2; exit 1; }
echo "$py"
