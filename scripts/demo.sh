#!/usr/bin/env bash
# The demo: start a local AWS emulator, then validate, plan, apply, show outputs and status, and destroy
# an example topology with clusterup, exactly as an operator would against AWS. Needs nothing installed
# beyond Rust and Python 3 (the emulator is installed into .venv on first use).
#
# The demo's emulator is its own: a free port and a state directory of its own, stopped at the end. An
# emulator you started yourself (docs/localstack.md), and the deployments in it, are left alone.
#
#   scripts/demo.sh [TOPOLOGY]        default: examples/smarten-spark.yaml (app tier, database, shared folder, Spark)
#
# CLUSTERUP_BIN=PATH uses that binary instead of building one; CLUSTERUP_VENV, as for scripts/emulator.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
topology="${1:-examples/smarten-spark.yaml}"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*" >&2; }

if [ -n "${CLUSTERUP_BIN:-}" ]; then
  # A binary already built (tests/demo.rs passes the one cargo built for the tests).
  clusterup="$CLUSTERUP_BIN"
else
  step "building clusterup"
  clusterup="$(scripts/build.sh)"
fi

step "starting the demo's own local AWS emulator"
scripts/emulator.sh install
work="$(mktemp -d)"
# Its own state directory: `start` cannot adopt, nor `stop` end, an emulator started from .emulator/.
export CLUSTERUP_EMULATOR_STATE="$work/emulator"
trap 'scripts/emulator.sh stop; rm -rf "$work"' EXIT
endpoint_line="$(scripts/emulator.sh start)"
eval "$endpoint_line"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1

name="$(sed -n 's/^name: *//p' "$topology" | head -n1)"

step "clusterup validate $topology   (offline: no AWS call)"
"$clusterup" validate "$topology"

# The plan is shown once, one line per resource (`plan` without --compact lists every property), and
# saved; apply then runs exactly that plan, so it does not show it again or ask.
step "clusterup plan --compact --out demo.plan $topology"
"$clusterup" plan --compact --out "$work/demo.plan" "$topology"

step "clusterup apply demo.plan   (exactly the plan above)"
"$clusterup" apply "$work/demo.plan"

step "clusterup plan --detailed-exitcode $topology   (a second run has nothing to do: exit 0)"
"$clusterup" plan --detailed-exitcode "$topology"

step "clusterup output --json $name   (read back from AWS, not from a local file; here just the URL)"
"$clusterup" output --json "$name" | "${PYTHON:-python3}" -c 'import json, sys; print(json.load(sys.stdin)["url"])'

step "clusterup status $name   (every tier's health, read live; exit 0 healthy, 3 degraded or down)"
"$clusterup" status "$name" || [ "$?" -eq 3 ]

# The plan was shown once, above: destroy's own list of what it deletes goes to stdout, left out here.
step "clusterup destroy --yes --delete-data $name   (the database gets a final snapshot; --delete-data agrees to lose the shared folder)"
"$clusterup" destroy --yes --delete-data "$name" >/dev/null

step "demo complete"
