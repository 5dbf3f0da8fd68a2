#!/bin/bash
# Runs the Spark bootstrap action (templates/spark-bootstrap.sh, rendered) the way EMR does, inside a
# scratch directory, for tests/spark_bootstrap.rs:
#
#   spark-bootstrap-harness.sh setup DIR master|core   scratch node: DIR/root (the node's /), DIR/bin
#                                                      (stand-ins, see node-stand-ins.sh), DIR/state
#   spark-bootstrap-harness.sh bootstrap DIR SCRIPT    run SCRIPT as an unprivileged user (nobody when
#                                                      the tests run as root, else as the caller), with
#                                                      CLUSTERUP_TEST_ROOT=DIR/root; exits with its status
#   spark-bootstrap-harness.sh install DIR             what EMR does after bootstrap actions: install the
#                                                      applications (hadoop, the hive user, /etc/hive/conf)
#   spark-bootstrap-harness.sh unit DIR UNIT           run a unit's ExecStart as systemd does (as root, or
#                                                      the caller), from DIR/root/etc/systemd/system/UNIT
#   spark-bootstrap-harness.sh activate DIR UNIT       mark a unit active (systemctl is-active answers 0)
#   spark-bootstrap-harness.sh trigger DIR UNIT FILE    what systemd does when FILE changes and path unit
#                                                      UNIT watches it (PathChanged=): run the unit it
#                                                      names (Unit=) as `unit` does
#
# The test writes DIR/state/secret-arn and DIR/state/secret-string (what `aws secretsmanager
# get-secret-value --query SecretString` prints), DIR/state/rds-ca-url and DIR/state/rds-ca-bundle.pem
# (what curl serves) before `bootstrap`.
#
# As root, files the script makes through sudo are made by root: a root-run broker executes sudo's
# commands, handed over through a FIFO by the sudo stand-in. Redirections the unprivileged script makes
# itself into root-only places fail, as on a node. Without root everything runs as the caller, and the
# tests expect the caller as the owner where a node would have root.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
unprivileged=65534

usage() {
  echo "usage: $0 setup DIR master|core | bootstrap DIR SCRIPT | install DIR | unit DIR UNIT | activate DIR UNIT | trigger DIR UNIT FILE" >&2
  exit 2
}

setup() {
  local dir="$1" role="$2" master
  case "$role" in master) master=true ;; core) master=false ;; *) usage ;; esac
  # The unprivileged user must reach the stand-ins and the script; nothing in here is secret until the
  # test writes the secret, which it does with mode 0600.
  chmod 0755 "$dir"
  mkdir -p "$dir/bin" "$dir/state/active" "$dir/state/sudo"
  install -m 0755 "$here/node-stand-ins.sh" "$dir/bin/stand-in"
  local command
  for command in sudo aws yum dnf mount mountpoint systemctl id hadoop curl sleep; do
    ln -s stand-in "$dir/bin/$command"
  done
  id -u >"$dir/state/harness-uid"
  # The hive user's uid once "installed": any other than root's when root (chown to it works), the
  # caller's own otherwise (the only uid a non-root chown accepts).
  if [ "$(id -u)" = 0 ]; then echo 4242 >"$dir/state/hive-uid"; else id -u >"$dir/state/hive-uid"; fi
  install -m 0666 /dev/null "$dir/state/calls.log"
  install -m 0666 /dev/null "$dir/state/sleeps"
  chmod 1777 "$dir/state/sudo"
  # The node's file system as a bootstrap action finds it: root's, 0755, nothing of Hive yet.
  mkdir -p "$dir/root/etc/systemd/system" "$dir/root/usr/local/lib" "$dir/root/var/log" \
    "$dir/root/mnt/var/lib/info" "$dir/root/srv"
  chmod -R 0755 "$dir/root"
  install -m 0644 /dev/null "$dir/root/etc/fstab"
  printf '{"isMaster": %s, "isRunningNameNode": %s}\n' "$master" "$master" \
    | install -m 0644 /dev/stdin "$dir/root/mnt/var/lib/info/instance.json"
}

# Runs sudo requests from the unprivileged script as root until killed.
broker() {
  local dir="$1" request status
  local -a argv
  while true; do
    while IFS= read -r request; do
      mapfile -d '' argv <"$request/argv"
      status=0
      (cd / && "${argv[@]}") <"$request/stdin" >"$request/stdout" 2>"$request/stderr" || status=$?
      echo "$status" >"$request/done"
    done <"$dir/state/sudo/requests"
  done
}

bootstrap() {
  local dir="$1" script="$2" status=0 broker_pid=""
  local path="$dir/bin:/usr/local/bin:/usr/bin:/bin"
  local -a env=(env -i "PATH=$path" "HOME=/" "LANG=C.UTF-8" "CLUSTERUP_TEST_ROOT=$dir/root")
  if [ "$(id -u)" = 0 ]; then
    mkfifo -m 0622 "$dir/state/sudo/requests"
    PATH="$dir/bin:$PATH" broker "$dir" &
    broker_pid=$!
    # EMR runs bootstrap actions as hadoop, not root.
    timeout 120 setpriv --reuid="$unprivileged" --regid="$unprivileged" --clear-groups \
      "${env[@]}" bash "$script" </dev/null || status=$?
    kill "$broker_pid"
    wait "$broker_pid" 2>/dev/null || true
  else
    timeout 120 "${env[@]}" bash "$script" </dev/null || status=$?
  fi
  return "$status"
}

install_applications() {
  local dir="$1"
  mkdir -p "$dir/root/etc/hive/conf"
  chmod 0755 "$dir/root/etc/hive" "$dir/root/etc/hive/conf"
  touch "$dir/state/applications-installed"
}

unit() {
  local dir="$1" unit="$2" file exec
  file="$dir/root/etc/systemd/system/$unit"
  [ -f "$file" ] || { echo "no unit $file" >&2; exit 1; }
  exec="$(sed -n 's/^ExecStart=//p' "$file")"
  [ -n "$exec" ] || { echo "$file has no ExecStart=" >&2; exit 1; }
  # systemd starts it as root (no User=), with a PATH holding the node's commands, here the stand-ins.
  # ExecStart is a single path here; the test checks that.
  timeout 120 env -i "PATH=$dir/bin:$PATH" "HOME=/" "LANG=C.UTF-8" "$exec" </dev/null
}

trigger() {
  local dir="$1" unit="$2" changed="$3" file watched target
  file="$dir/root/etc/systemd/system/$unit"
  [ -f "$file" ] || { echo "no unit $file" >&2; exit 1; }
  watched="$(sed -n 's/^PathChanged=//p' "$file")"
  [ "$watched" = "$changed" ] || { echo "$unit watches ${watched:-nothing}, not $changed" >&2; exit 1; }
  target="$(sed -n 's/^Unit=//p' "$file")"
  [ -n "$target" ] || { echo "$file has no Unit=" >&2; exit 1; }
  unit "$dir" "$target"
}

[ "$#" -ge 2 ] || usage
command="$1"
dir="$(cd "$2" && pwd)"
case "$command" in
  setup) [ "$#" -eq 3 ] || usage; setup "$dir" "$3" ;;
  bootstrap) [ "$#" -eq 3 ] || usage; bootstrap "$dir" "$3" ;;
  install) install_applications "$dir" ;;
  unit) [ "$#" -eq 3 ] || usage; unit "$dir" "$3" ;;
  activate) [ "$#" -eq 3 ] || usage; touch "$dir/state/active/$3" ;;
  trigger) [ "$#" -eq 4 ] || usage; trigger "$dir" "$3" "$4" ;;
  *) usage ;;
esac
