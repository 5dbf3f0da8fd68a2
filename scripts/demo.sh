#!/usr/bin/env bash
# The demo: start a local AWS emulator, then validate, plan, apply, show outputs and destroy an example
# topology with clusterup, exactly as an operator would against AWS. Needs nothing installed beyond
# Rust and Python 3 (the emulator is installed into .venv on first use).
#
#   scripts/demo.sh [TOPOLOGY]        default: examples/smarten-spark.yaml (app tier, database, shared folder, Spark)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
topology="${1:-examples/smarten-spark.yaml}"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*" >&2; }

step "building clusterup"
clusterup="$(scripts/build.sh)"

step "starting the local AWS emulator"
scripts/emulator.sh install
endpoint_line="$(scripts/emulator.sh start)"
work="$(mktemp -d)"
trap 'scripts/emulator.sh stop; rm -rf "$work"' EXIT
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

step "clusterup destroy --compact --yes --delete-data $topology   (the database gets a final snapshot; --delete-data agrees to lose the shared folder)"
"$clusterup" destroy --compact --yes --delete-data "$topology"

step "demo complete"
