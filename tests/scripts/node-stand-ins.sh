#!/bin/bash
# Stand-ins for the commands a node gives the scripts clusterup renders: the Spark bootstrap action on an
# EMR node and the app's user data on an app node (aws, sudo, systemctl, yum, dnf, mount, curl, sleep,
# hadoop, id, ...). spark-bootstrap-harness.sh and app-node-harness.sh install this file as
# <dir>/bin/stand-in and link each command name to it; it acts on the name it was called by. What the
# tests control, in <dir>/state: secret-arn, secret-string (Secrets Manager); db-answers (RDS: one answer
# per call, `ERROR message` for a failure); in-service (Auto Scaling: the group's instance ids in service,
# one line as `--output text` prints them), deployment-groups (Auto Scaling, asked with --filters: the
# clusterup:resource tags of the deployment's groups, one line), instances (EC2: `id address` lines), route53-fails (Route 53:
# the error code of every ChangeResourceRecordSets); rds-ca-url and rds-ca-bundle.pem (what curl serves);
# mount-fails (how many mounts fail first, or `always`); uptime in <dir>/root/proc/uptime, which sleep
# advances instead of waiting; sleep-limit (how many sleeps before the stand-in gives up: a script that
# would retry forever ends).
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

# Whether a `dnf install` (or yum) the script made named this package.
packaged() {
  grep -Eq "^(dnf|yum) install -y( [^ ]+)* $1( |\$)" "$state/calls.log"
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
    if [ "${1:-} ${2:-}" = "rds describe-db-instances" ]; then
      # `aws rds describe-db-instances ... --query ... --output text`: the next answer of db-answers.
      answer=""
      if [ -s "$state/db-answers" ]; then
        answer="$(head -n 1 "$state/db-answers")"
        tail -n +2 "$state/db-answers" >"$state/db-answers.rest"
        # The last answer repeats.
        if [ -s "$state/db-answers.rest" ]; then mv "$state/db-answers.rest" "$state/db-answers"; else rm -f "$state/db-answers.rest"; fi
      fi
      case "$answer" in
        "" | "ERROR "*)
          echo "" >&2
          echo "An error occurred (${answer#ERROR }) when calling the DescribeDBInstances operation" >&2
          exit 254
          ;;
        *) echo "$answer" ;;
      esac
      exit 0
    fi
    if [ "${1:-} ${2:-}" = "autoscaling describe-auto-scaling-groups" ]; then
      case " $* " in
        # The deployment's groups by tag: their clusterup:resource tags.
        *" --filters "*) answer="$state/deployment-groups" ;;
        # One group by name: `--query 'AutoScalingGroups[0].Instances[?LifecycleState==`InService`].InstanceId'`.
        *) answer="$state/in-service" ;;
      esac
      if [ -s "$answer" ]; then cat "$answer"; else echo ""; fi
      exit 0
    fi
    if [ "${1:-} ${2:-}" = "ec2 describe-instances" ]; then
      # `--instance-ids ID... --query 'Reservations[].Instances[].PrivateIpAddress' --output text`: the
      # addresses of the ids asked for, tab-separated, in the order instances has them.
      shift 2
      ids=()
      while [ "$#" -gt 0 ]; do
        case "$1" in
          --instance-ids)
            shift
            while [ "$#" -gt 0 ] && [ "${1#--}" = "$1" ]; do ids+=("$1"); shift; done
            ;;
          *) shift ;;
        esac
      done
      out=()
      while read -r id address; do
        for wanted in "${ids[@]}"; do
          if [ "$id" = "$wanted" ]; then out+=("$address"); fi
        done
      done <"$state/instances"
      (IFS=$'\t'; echo "${out[*]}")
      exit 0
    fi
    if [ "${1:-} ${2:-}" = "route53 change-resource-record-sets" ]; then
      if [ -s "$state/route53-fails" ]; then
        echo "" >&2
        echo "An error occurred ($(cat "$state/route53-fails")) when calling the ChangeResourceRecordSets operation" >&2
        exit 254
      fi
      echo "CHANGEINFO	/change/C0123	PENDING	2026-12-07T00:00:00Z"
      exit 0
    fi
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
  amazon-cloudwatch-agent-ctl)
    # `amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:PATH`: the agent reads its
    # configuration from PATH, which must be in the scratch root and exist.
    record "$@"
    need_root
    packaged amazon-cloudwatch-agent || { echo "bash: $name: command not found" >&2; exit 127; }
    [ "$*" = "-a fetch-config -m ec2 -s -c ${*: -1}" ] || fail "unsupported: $name $*"
    config="${*: -1}"
    inside_root "${config#file:}"
    [ -f "${config#file:}" ] || fail "no configuration at ${config#file:}"
    ;;
  mount)
    record "$@"
    need_root
    fails="$(cat "$state/mount-fails" 2>/dev/null || echo 0)"
    if [ "$fails" = always ] || [ "$fails" -gt 0 ]; then
      [ "$fails" = always ] || echo $((fails - 1)) >"$state/mount-fails"
      echo "mount.nfs4: Failed to resolve server fs-0123456789abcdef0.efs.us-east-1.amazonaws.com: Name or service not known" >&2
      exit 32
    fi
    echo "$1" >>"$state/mounts"
    ;;
  curl)
    record "$@"
    # `curl ... --output FILE URL`: the test's bundle for the test's URL, HTTPS only.
    output="" url=""
    while [ "$#" -gt 0 ]; do
      case "$1" in
        --output) output="$2"; shift 2 ;;
        --proto | --max-time) shift 2 ;;
        -*) shift ;;
        *) url="$1"; shift ;;
      esac
    done
    case "$url" in https://*) ;; *) fail "not https: $url" ;; esac
    if [ "$url" != "$(cat "$state/rds-ca-url" 2>/dev/null)" ] || [ ! -f "$state/rds-ca-bundle.pem" ]; then
      echo "curl: (22) The requested URL returned error: 404" >&2
      exit 22
    fi
    cp "$state/rds-ca-bundle.pem" "$output"
    ;;
  sleep)
    record "$@"
    count="$(cat "$state/sleeps" 2>/dev/null || true)"
    count=$(( ${count:-0} + 1 ))
    echo "$count" >"$state/sleeps"
    if [ -f "$state/sleep-limit" ] && [ "$count" -gt "$(cat "$state/sleep-limit")" ]; then
      fail "sleep limit reached: the script would go on retrying"
    fi
    # The node's clock moves on by the time slept, without waiting.
    if [ -f "$root/proc/uptime" ]; then
      read -r up idle <"$root/proc/uptime"
      echo "$(( ${up%%.*} + ${1%%[!0-9]*} )).00 $idle" >"$root/proc/uptime"
    fi
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
        if [ "${2:-}" = --now ]; then
          # A unit of a package the script installed (rsyslog), or one it wrote.
          [ -f "$root/etc/systemd/system/$3" ] || packaged "${3%.service}" || fail "Unit file $3 does not exist."
          touch "$state/active/$3"
        else
          [ -f "$root/etc/systemd/system/$2" ] || fail "Unit file $2 does not exist."
        fi
        ;;
      start)
        need_root
        [ "${2:-}" = --no-block ] || fail "unsupported: systemctl $*"
        [ -f "$root/etc/systemd/system/$3" ] || fail "Unit $3 not found."
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
