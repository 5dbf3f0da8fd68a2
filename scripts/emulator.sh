#!/usr/bin/env bash
# Local AWS emulator for clusterup's demo and tests: a pinned moto server in a project-local virtualenv,
# run through the project's launcher (scripts/emulator/moto_server.py), which restores documented AWS
# behaviours moto lacks (see docs/localstack.md).
#
#   scripts/emulator.sh install        create .venv and install the pinned moto[server], and .venv-awscli with
#                                      the pinned AWS CLI the node scripts call (tests run them against the
#                                      emulator); idempotent
#   scripts/emulator.sh start [PORT]   start it on 127.0.0.1 (default: a free port), wait until it answers,
#                                      print `export AWS_ENDPOINT_URL=...` lines for eval
#   scripts/emulator.sh stop           stop the server this script started (by its own pid file)
#   scripts/emulator.sh status         say whether it runs, and where
#   scripts/emulator.sh test           test the launcher's patches against a server of their own
#
# State lives in .emulator/ (pid, port, log), or in CLUSTERUP_EMULATOR_STATE: start, stop and status act
# on the server whose pid file is there, so a second emulator with a state directory of its own (the
# demo's) never adopts or stops the first. Only PyPI is needed; Python 3.8+ with venv and pip.
set -euo pipefail

MOTO_VERSION="5.2.5"
# The AWS CLI v1 from PyPI (v2 is not on PyPI); in a virtualenv of its own, as it pins its botocore
# exactly and moto's must stay free.
AWSCLI_VERSION="1.45.11"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${CLUSTERUP_VENV:-$root/.venv}"
awscli_venv="${CLUSTERUP_AWSCLI_VENV:-$root/.venv-awscli}"
launcher="$root/scripts/emulator/moto_server.py"
state="${CLUSTERUP_EMULATOR_STATE:-$root/.emulator}"
python="${PYTHON:-python3}"

log() { printf 'emulator: %s\n' "$*" >&2; }

install() {
  if ! { [ -x "$venv/bin/moto_server" ] && "$venv/bin/python" -c "import moto, sys; sys.exit(moto.__version__ != '$MOTO_VERSION')" 2>/dev/null; }; then
    log "installing moto[server]==$MOTO_VERSION into $venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
  fi
  if ! "$awscli_venv/bin/aws" --version 2>&1 | grep -q "^aws-cli/$AWSCLI_VERSION "; then
    log "installing awscli==$AWSCLI_VERSION into $awscli_venv"
    "$python" -m venv "$awscli_venv"
    "$awscli_venv/bin/python" -m pip install --quiet --disable-pip-version-check "awscli==$AWSCLI_VERSION"
  fi
}

free_port() {
  "$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

running_pid() {
  [ -f "$state/pid" ] || return 1
  local pid
  pid="$(cat "$state/pid")"
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

start() {
  install
  mkdir -p "$state"
  if pid="$(running_pid)"; then
    log "already running (pid $pid) on port $(cat "$state/port")"
  else
    local port="${1:-$(free_port)}"
    # setsid: the server gets its own process group, so stop can end it and anything it spawned.
    setsid "$venv/bin/python" "$launcher" -H 127.0.0.1 -p "$port" >"$state/log" 2>&1 < /dev/null &
    echo $! >"$state/pid"
    echo "$port" >"$state/port"
    local url="http://127.0.0.1:$port"
    for _ in $(seq 1 150); do
      if curl -fsS -o /dev/null "$url/moto-api/" 2>/dev/null; then break; fi
      if ! kill -0 "$(cat "$state/pid")" 2>/dev/null; then
        log "moto server exited during start; its log:"; cat "$state/log" >&2; exit 1
      fi
      sleep 0.2
    done
    curl -fsS -o /dev/null "$url/moto-api/" || { log "moto server did not answer on $url"; exit 1; }
    log "moto $MOTO_VERSION listening on $url (pid $(cat "$state/pid"))"
  fi
  echo "export AWS_ENDPOINT_URL=http://127.0.0.1:$(cat "$state/port")"
}

stop() {
  if pid="$(running_pid)"; then
    kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 -- "-$pid" 2>/dev/null || true
    log "stopped (pid $pid)"
  fi
  rm -f "$state/pid" "$state/port"
}

status() {
  if pid="$(running_pid)"; then
    echo "running: pid $pid, AWS_ENDPOINT_URL=http://127.0.0.1:$(cat "$state/port")"
  else
    echo "not running"; return 1
  fi
}

test_patches() {
  install
  "$venv/bin/python" "$root/scripts/emulator/test_moto_server.py"
}

case "${1:-}" in
  install) install ;;
  start) shift; start "$@" ;;
  stop) stop ;;
  status) status ;;
  test) test_patches ;;
  *) echo "usage: $0 install|start [PORT]|stop|status|test" >&2; exit 2 ;;
esac
