#!/usr/bin/env bash
# The conformance suite: lmsynth's outputs loaded and trained on by the real clients (datasets, TRL,
# transformers, tokenizers, huggingface_hub). Run by `npm test` after the TypeScript tests. Creates its
# virtualenv on first use (and again when requirements.txt changes), from the machine's package index.
# Outside CI, a machine without Python skips it; with CI=true anything missing fails the run.
set -euo pipefail
cd "$(dirname "$0")"
venv=../.venv-conformance
stamp="$venv/requirements.sha256"
want=$(sha256sum requirements.txt | cut -d' ' -f1)
missing() {
  if [ "${CI:-}" = "true" ]; then echo "conformance: $1 (required when CI=true)" >&2; exit 1; fi
  echo "conformance: skipped: $1" >&2
  exit 0
}
command -v python3 >/dev/null || missing "python3 is not installed"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv" || missing "python3 cannot create a virtualenv"
  echo "conformance: installing the clients into $venv (once)…" >&2
  # --retries 0: an index this machine cannot reach fails at once, and pip goes on with the ones it can.
  "$venv/bin/pip" install --quiet --retries 0 -r requirements.txt 2>&1 | grep -v "^WARNING: Location" >&2 || true
  "$venv/bin/python" -c "import datasets, trl, transformers, tokenizers, huggingface_hub, torch, pytest" || missing "the clients could not be installed"
  echo "$want" > "$stamp"
fi
# Offline: everything is built from the repository's fixtures; nothing comes from the Hub.
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false HF_HOME="$venv/hf-home"
status=0
"$venv/bin/python" -m pytest -q || status=$?
# pytest exits 5 when it collected nothing: a suite that ran no test has failed.
[ "$status" -eq 5 ] && echo "conformance: no test ran" >&2
exit "$status"
