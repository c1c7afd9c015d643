# Sourced by the bench scripts: sets TORCH_PYTHON to an interpreter that imports torch (Debian's
# python3-torch imports only under /usr/bin/python3; the first python3 on PATH may be another).
if [[ -z "${TORCH_PYTHON:-}" ]]; then
  for candidate in /usr/bin/python3 python3 python; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import torch' 2>/dev/null; then
      TORCH_PYTHON=$(command -v "$candidate")
      break
    fi
  done
fi
if [[ -z "${TORCH_PYTHON:-}" ]]; then
  echo "bench: no Python interpreter imports torch (apt install python3-torch, or set TORCH_PYTHON)" >&2
  exit 1
fi
export TORCH_PYTHON
