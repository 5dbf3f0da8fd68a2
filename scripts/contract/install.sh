#!/usr/bin/env bash
# Install what the contract checks need (idempotent; scripts/test.sh runs it):
#  - a virtualenv with the pinned requirements.txt (botocore's AWS models, parliament, regex), in
#    CLUSTERUP_CONTRACT_VENV or .venv-contract; kept apart from the emulator's .venv so moto's unpinned
#    botocore never decides which models the requests are checked against;
#  - shellcheck from the distribution's packages when it is missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="${CLUSTERUP_CONTRACT_VENV:-$root/.venv-contract}"
requirements="$root/scripts/contract/requirements.txt"
stamp="$venv/.requirements.sha256"
python="${PYTHON:-python3}"

log() { printf 'contract: %s\n' "$*" >&2; }

want="$(sha256sum < "$requirements")"
if [ ! -x "$venv/bin/python" ] || [ "$want" != "$(cat "$stamp" 2>/dev/null)" ]; then
  log "installing the pinned contract tools into $venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  echo "$want" > "$stamp"
fi

if ! command -v shellcheck >/dev/null 2>&1; then
  log "installing shellcheck"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq shellcheck >/dev/null
fi
log "tools ready: $("$venv/bin/python" -c 'import botocore; print("botocore", botocore.__version__)'), $(shellcheck --version | sed -n 's/^version: /shellcheck /p')"
