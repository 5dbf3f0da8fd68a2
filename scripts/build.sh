#!/usr/bin/env bash
# Build clusterup (debug profile, as the tests use) and print the path of the binary cargo made.
#
#   clusterup="$(scripts/build.sh)"
#
# The path comes from cargo's own build messages (the `executable` field of the binary's artifact), so
# it is right wherever cargo puts its output: CARGO_TARGET_DIR, `build.target-dir` in a cargo config, a
# workspace. Compiler diagnostics still go to stderr. Extra arguments go to `cargo build`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

path="$(
  cargo build --quiet --locked --bin clusterup --message-format=json-render-diagnostics "$@" |
    "${PYTHON:-python3}" -c '
import json, sys
for line in sys.stdin:
    try:
        message = json.loads(line)
    except ValueError:
        continue
    if message.get("reason") == "compiler-artifact" and message.get("executable") and message["target"]["name"] == "clusterup":
        print(message["executable"])
'
)"
if [ -z "$path" ] || [ ! -x "$path" ]; then
  echo "build.sh: cargo built no clusterup executable" >&2
  exit 1
fi
echo "$path"
