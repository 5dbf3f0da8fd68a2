#!/bin/bash
# Stand-ins for the commands an EMR node gives the Spark bootstrap action (aws, sudo, systemctl, yum,
# mount, hadoop, id, ...). spark-bootstrap-harness.sh installs this file as <dir>/bin/stand-in and links
# each command name to it; it acts on the name it was called by.
#
# Every call is recorded, one line each, in <dir>/state/calls.log (arguments shell-quoted), so a test can
# check what ran and that no command line held the password. What is privileged on a node is refused here
# too when the tests run as root and the caller is not (systemctl, mount): a missing sudo shows.
set -euo pipefail

dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="$dir/state"
root="$dir/root"
name="$(basename "$0")"

record() {
  local line
  printf -v line ' %q' "$@"
  printf '%s%s\n' "$name" "$line" >>"$state/calls.log"
}

fail() {
  echo "$name (stand-in): $*" >&2
  exit 1
}

# What is root-only on a node is refused to others, but only when the harness itself runs as root: as
# an unprivileged user it cannot tell the two apart.
need_root() {
  if [ "$(cat "$state/harness-uid")" = 0 ] && [ "$(id -u)" != 0 ]; then
    fail "permission denied (uid $(id -u)): this needs root"
  fi
}

# Every absolute path a privileged command is given must lie in the scratch root: the script under test
# may not touch the machine the tests run on.
inside_root() {
  local arg
  for arg in "$@"; do
    case "$arg" in
      /dev/stdin | /dev/null | "$root" | "$root"/*) ;;
      /*) fail "path outside the scratch root: $arg" ;;
    esac
  done
}

installed() {
  [ -e "$state/applications-installed" ]
}

case "$name" in
  sudo)
    record "$@"
    case "${1:-}" in -* | "") fail "unsupported: sudo $*" ;; esac
    inside_root "$@"
    if [ "$(cat "$state/harness-uid")" != 0 ] || [ "$(id -u)" = 0 ]; then
      exec "$@"
    fi
    # Unprivileged caller, root harness: the broker (root) runs the command and hands back its output
    # and exit status.
    request="$(mktemp -d "$state/sudo/request.XXXXXX")"
    printf '%s\0' "$@" >"$request/argv"
    cat >"$request/stdin"
    mkfifo "$request/done"
    echo "$request" >"$state/sudo/requests"
    read -r status <"$request/done"
    cat "$request/stdout"
    cat "$request/stderr" >&2
    exit "$status"
    ;;
  aws)
    record "$@"
    [ "${1:-} ${2:-}" = "secretsmanager get-secret-value" ] || fail "unsupported: aws $*"
    arn=""
    while [ "$#" -gt 0 ]; do
      if [ "$1" = --secret-id ]; then arn="$2"; fi
      shift
    done
    [ "$arn" = "$(cat "$state/secret-arn")" ] || fail "no secret $arn"
    cat "$state/secret-string"
    echo
    ;;
  yum | dnf)
    record "$@"
    need_root
    ;;
  mount)
    record "$@"
    need_root
    echo "$1" >>"$state/mounts"
    ;;
  mountpoint)
    record "$@"
    [ "${1:-}" = -q ] || fail "unsupported: mountpoint $*"
    grep -qxF -- "$2" "$state/mounts" 2>/dev/null
    ;;
  systemctl)
    record "$@"
    case "${1:-}" in
      is-active)
        [ "${2:-}" = --quiet ] || fail "unsupported: systemctl $*"
        [ -e "$state/active/$3" ]
        ;;
      daemon-reload)
        need_root
        ;;
      enable)
        need_root
        [ "${2:-}" = --now ] || fail "unsupported: systemctl $*"
        [ -f "$root/etc/systemd/system/$3" ] || fail "Unit file $3 does not exist."
        touch "$state/active/$3"
        ;;
      restart)
        need_root
        [ -e "$state/active/$2" ] || installed || fail "Unit $2 not found."
        touch "$state/active/$2"
        ;;
      *) fail "unsupported: systemctl $*" ;;
    esac
    ;;
  id)
    case "$*" in
      hive | "-u hive" | "-g hive")
        installed || { echo "id: 'hive': no such user" >&2; exit 1; }
        cat "$state/hive-uid"
        ;;
      *) exec /usr/bin/id "$@" ;;
    esac
    ;;
  hadoop)
    record "$@"
    installed || { echo "bash: hadoop: command not found" >&2; exit 127; }
    # `hadoop credential create ALIAS -provider jceks://file/PATH [-value V]`, like Hadoop's
    # CredentialShell: the value from -value, else read twice from the console, which must be a terminal.
    [ "${1:-} ${2:-}" = "credential create" ] || fail "unsupported: hadoop $*"
    alias="$3"
    shift 3
    provider="" value=""
    while [ "$#" -gt 0 ]; do
      case "$1" in
        -provider) provider="$2"; shift 2 ;;
        -value) value="$2"; shift 2 ;;
        *) fail "unsupported option $1" ;;
      esac
    done
    store="${provider#jceks://file}"
    [ "$store" != "$provider" ] || fail "unsupported provider $provider"
    if [ -z "$value" ]; then
      if ! [ -t 0 ] || ! [ -t 1 ]; then
        echo "No console available for prompting user." >&2
        exit 1
      fi
      IFS= read -rs -p "Enter alias password: " value
      echo
      IFS= read -rs -p "Enter alias password again: " again
      echo
      [ "$value" = "$again" ] || fail "Passwords don't match."
    fi
    [ ! -e "$store" ] || fail "Credential $alias already exists in $provider"
    # The fake store holds the value as it is: the test compares it with the secret's password.
    printf '%s' "$value" >"$store"
    echo "$alias has been successfully created."
    ;;
  *) fail "no stand-in for $name" ;;
esac
