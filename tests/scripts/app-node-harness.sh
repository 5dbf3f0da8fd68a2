#!/bin/bash
# Runs the app nodes' user data (templates/app-user-data.sh, rendered) the way a node runs it, inside a
# scratch directory, for tests/app_user_data.rs:
#
#   app-node-harness.sh setup DIR           scratch node: DIR/root (the node's /, with /proc/uptime),
#                                           DIR/bin (stand-ins, see node-stand-ins.sh), DIR/state
#   app-node-harness.sh run DIR SCRIPT      run SCRIPT as cloud-init does (as root, or as the caller),
#                                           with CLUSTERUP_TEST_ROOT=DIR/root; exits with its status
#   app-node-harness.sh exec DIR PROGRAM    run PROGRAM (a path on the node, e.g. a unit's ExecStart) as
#                                           systemd does, with the same environment
#
# The test writes what the stand-ins answer into DIR/state (node-stand-ins.sh lists the files) and the
# node's uptime into DIR/root/proc/uptime, which `sleep` advances instead of waiting.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

usage() {
  echo "usage: $0 setup DIR | run DIR SCRIPT | exec DIR PROGRAM" >&2
  exit 2
}

setup() {
  local dir="$1" command
  mkdir -p "$dir/bin" "$dir/state/active"
  install -m 0755 "$here/node-stand-ins.sh" "$dir/bin/stand-in"
  for command in aws dnf yum mount mountpoint systemctl curl sleep amazon-cloudwatch-agent-ctl; do
    ln -s stand-in "$dir/bin/$command"
  done
  id -u >"$dir/state/harness-uid"
  install -m 0666 /dev/null "$dir/state/calls.log"
  install -m 0666 /dev/null "$dir/state/sleeps"
  # The node's file system as its user data finds it at first boot.
  mkdir -p "$dir/root/etc/systemd/system" "$dir/root/usr/local/lib" "$dir/root/var/lib" "$dir/root/opt" "$dir/root/proc" \
    "$dir/root/srv"
  install -m 0644 /dev/null "$dir/root/etc/fstab"
  # 20 s after boot: cloud-init has just started the user data.
  echo "20.00 35.00" >"$dir/root/proc/uptime"
}

# Runs a script or program on the scratch node: only the stand-ins and the system's own tools on PATH.
on_node() {
  local dir="$1"
  shift
  timeout 120 env -i "PATH=$dir/bin:/usr/local/bin:/usr/bin:/bin" "HOME=/" "LANG=C.UTF-8" \
    "CLUSTERUP_TEST_ROOT=$dir/root" "$@" </dev/null
}

[ "$#" -ge 2 ] || usage
command="$1"
dir="$(cd "$2" && pwd)"
case "$command" in
  setup) [ "$#" -eq 2 ] || usage; setup "$dir" ;;
  run) [ "$#" -eq 3 ] || usage; on_node "$dir" bash "$3" ;;
  exec) [ "$#" -eq 3 ] || usage; on_node "$dir" "$dir/root${3}" ;;
  *) usage ;;
esac
