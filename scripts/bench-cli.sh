#!/usr/bin/env bash
# Benchmark the CLI itself on the local emulator: wall time and AWS calls of plan, apply and destroy of
# the full example, for clusterup's engine (default parallelism) and for a one-resource-at-a-time
# baseline (--parallelism 1) in the same run. Prints a Markdown table (docs/performance.md has the last
# one). On the emulator, resources are ready almost at once, so this measures clusterup's own overhead
# and the calls it makes; `cargo bench --profile dev --bench simulate` measures waiting on real AWS times.
#
#   scripts/bench-cli.sh [ROUNDS]     default 3 rounds per engine; debug build (as the tests use)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
rounds="${1:-3}"
example=examples/smarten-spark.yaml

cargo build --quiet --locked
clusterup="${CARGO_TARGET_DIR:-$root/target}/debug/clusterup"
scripts/emulator.sh install
endpoint_line="$(scripts/emulator.sh start)"
work="$(mktemp -d)"
trap 'scripts/emulator.sh stop; rm -rf "$work"' EXIT
eval "$endpoint_line"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1

# One command: prints "<seconds> <calls>".
measure() {
  local started ended calls
  started="$(date +%s.%N)"
  "$clusterup" --no-progress "$@" >"$work/out" 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
  ended="$(date +%s.%N)"
  calls="$(sed -n 's/.*AWS calls: \([0-9]*\).*/\1/p' "$work/err" | tail -n1)"
  echo "$(awk "BEGIN { printf \"%.2f\", $ended - $started }") ${calls:-?}"
}

# Warm-up (untimed): the emulator's first calls of each service load code.
sed "s/^name: .*/name: bench-warm-up/" "$example" >"$work/warm-up.yaml"
measure apply --yes "$work/warm-up.yaml" >/dev/null
measure destroy --yes --delete-data "$work/warm-up.yaml" >/dev/null

declare -A total
for round in $(seq 1 "$rounds"); do
  for engine in parallel sequential; do
    parallelism=16
    [ "$engine" = sequential ] && parallelism=1
    topology="$work/bench-$engine-$round.yaml"
    sed "s/^name: .*/name: bench-$engine-$round/" "$example" >"$topology"
    for step in plan apply destroy; do
      case "$step" in
        plan) args=(plan "$topology") ;;
        apply) args=(apply --yes "$topology") ;;
        destroy) args=(destroy --yes --delete-data "$topology") ;;
      esac
      read -r secs calls < <(measure --parallelism "$parallelism" "${args[@]}")
      echo "round $round $engine $step: ${secs}s, $calls calls" >&2
      total[$engine.$step.secs]="$(awk "BEGIN { print ${total[$engine.$step.secs]:-0} + $secs }")"
      total[$engine.$step.calls]="$calls"
    done
  done
done

echo
echo "| step | clusterup (parallelism 16) | one at a time (parallelism 1) | AWS calls (16 / 1) |"
echo "|---|---|---|---|"
for step in plan apply destroy; do
  p="$(awk "BEGIN { printf \"%.1f\", ${total[parallel.$step.secs]} / $rounds }")"
  s="$(awk "BEGIN { printf \"%.1f\", ${total[sequential.$step.secs]} / $rounds }")"
  echo "| $step | ${p} s | ${s} s | ${total[parallel.$step.calls]} / ${total[sequential.$step.calls]} |"
done
echo
echo "mean of $rounds rounds; $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1); emulator: $(.venv/bin/moto_server --version 2>/dev/null || echo moto)"
