#!/bin/bash
# clusterup bootstrap action for every EMR node of deployment {{ deployment }}, rendered by clusterup.
#
# EMR runs it as the hadoop user (with passwordless sudo) on every node (master, core, task; nodes added
# by scaling too), BEFORE the applications (Hadoop, Hive, ...) are installed:
# https://docs.aws.amazon.com/emr/latest/ManagementGuide/emr-plan-bootstrap.html
# It
#  1. mounts the shared EFS data folder at the same path as on the app nodes, and
#  2. on the master, with the Hive metastore on the shared database, prepares how Hive gets the database
#     password.
#
# The cluster starts beside the database, not after it: when this runs, the database (and its secret)
# may not exist yet, and Hive starts on EMR's default local metastore. Once both exist, clusterup's
# spark/metastore step reconfigures the master group (EMR ModifyInstanceGroups): hive-site then names the
# database, the credential store below and the secret's ARN ({{ metastore_secret_property }}), and EMR
# restarts the metastore. How the password reaches Hive (docs/spark.md explains the choice):
#  - before every start of the metastore (hive-hcatalog-server.service, installed later by EMR): a
#    oneshot unit, required by and ordered before the metastore through a drop-in, reads the secret named
#    in hive-site with the node's instance role into a root-only file, and turns that file into the
#    Hadoop credential store hive-site names (hadoop.security.credential.provider.path), readable by hive
#    only. Without the property (the local metastore, before the attachment) it does nothing. When the
#    secret cannot be read, the unit fails, the metastore does not start, and EMR rolls the
#    reconfiguration back: spark/metastore reports it. `hadoop credential` exists only once the
#    applications are installed, hence the unit;
#  - whenever hive-site changes (a reconfiguration naming another database or secret): a systemd path
#    unit runs the same oneshot unit, so the store always matches the hive-site on disk, whatever starts
#    the metastore next and whatever else reads the store through hive-site;
#  - every 10 minutes (RDS rotates managed passwords): a systemd timer re-reads the secret and restarts a
#    running metastore when the password changed (cron is not installed on Amazon Linux 2023, EMR 7's OS).
# Hive connects to the database with TLS, verifying its certificate and name against the RDS certificate
# authorities, which this script downloads on the master (RDS_CA_BUNDLE below, the file hive-site's JDBC
# URL names): the database accepts TLS connections only.
# The password is never in the cluster's configuration, in this script, in the bucket, on a command line
# or in a log.
set -euo pipefail

# Every absolute path below is under ROOT. On EMR it is empty, so the paths are exactly the ones written;
# the tests (tests/spark_bootstrap.rs) set CLUSTERUP_TEST_ROOT to a scratch directory to run this script,
# and the scripts and units it installs, without touching the machine they run on.
ROOT="${CLUSTERUP_TEST_ROOT:-}"

REGION="{{ region }}"
EFS_ID="{{ efs_id }}"
ACCESS_POINT="{{ efs_access_point_id }}"
MOUNT_PATH="{{ mount_path }}"
METASTORE_SHARED="{{ metastore_shared }}"
SECRET_PROPERTY="{{ metastore_secret_property }}"
CREDENTIALS="{{ metastore_credentials }}"
RDS_CA_BUNDLE="{{ rds_ca_bundle }}"
RDS_CA_BUNDLE_URL="{{ rds_ca_bundle_url }}"

# Writes stdin to a root-owned file with the given mode. Only scripts and units pass through here, never
# the password.
install_root_file() {
  sudo install -m "$1" /dev/stdin "$2"
}

if [ -n "$EFS_ID" ]; then
  sudo yum install -y amazon-efs-utils
  sudo install -d -m 0755 "$ROOT$MOUNT_PATH"
  if ! grep -q "^$EFS_ID:/ " "$ROOT/etc/fstab"; then
    echo "$EFS_ID:/ $ROOT$MOUNT_PATH efs _netdev,noresvport,tls,iam,accesspoint=$ACCESS_POINT 0 0" \
      | sudo tee -a "$ROOT/etc/fstab" >/dev/null
  fi
  # Mount targets can take a minute or two after creation: retry, then fail the node loudly.
  for attempt in $(seq 1 30); do
    if mountpoint -q "$ROOT$MOUNT_PATH" || sudo mount "$ROOT$MOUNT_PATH"; then break; fi
    echo "clusterup: EFS not mountable yet (attempt $attempt), retrying in 20 s" >&2
    sleep 20
  done
  mountpoint -q "$ROOT$MOUNT_PATH"
fi

is_master() {
  grep -q '"isMaster": *true' "$ROOT/mnt/var/lib/info/instance.json" 2>/dev/null
}

if [ -z "$METASTORE_SHARED" ] || ! is_master; then
  exit 0
fi

case "$CREDENTIALS" in
  jceks://file/*) ;;
  *) echo "clusterup: the metastore credential store must be a local jceks://file/ path, not $CREDENTIALS" >&2; exit 1 ;;
esac
lib="$ROOT/usr/local/lib/clusterup"
units="$ROOT/etc/systemd/system"
password_file="$ROOT/etc/clusterup/metastore/password"
store="$ROOT${CREDENTIALS#jceks://file}"
hive_site="$ROOT/etc/hive/conf/hive-site.xml"
metastore_unit="hive-hcatalog-server.service"

sudo install -d -m 0755 "$lib"

# The RDS certificate authorities Hive verifies the database with: over HTTPS checked against the system's
# trust store, and kept only when every certificate in it is one of Amazon RDS's. The database may not
# exist yet; its authorities do.
bundle="$ROOT$RDS_CA_BUNDLE"
fetch_rds_ca_bundle() {
  local new certs rds status=0
  new=$(mktemp)
  curl --fail --silent --show-error --proto '=https' --tlsv1.2 --max-time 60 --output "$new" "$RDS_CA_BUNDLE_URL" || status=1
  if [ "$status" = 0 ]; then
    certs=$(grep -c -- '-----BEGIN CERTIFICATE-----' "$new" || true)
    rds=$(openssl crl2pkcs7 -nocrl -certfile "$new" | openssl pkcs7 -print_certs -noout | grep -c '^subject=.*Amazon RDS' || true)
    if [ "$certs" -lt 1 ] || [ "$rds" != "$certs" ]; then
      echo "clusterup: $RDS_CA_BUNDLE_URL holds $certs certificates, $rds of them Amazon RDS's: not using it" >&2
      status=1
    else
      sudo install -d -m 0755 "${bundle%/*}"
      install_root_file 0644 "$bundle" <"$new"
    fi
  fi
  rm -f "$new"
  return "$status"
}
for attempt in $(seq 1 10); do
  if fetch_rds_ca_bundle; then break; fi
  echo "clusterup: no RDS CA bundle yet (attempt $attempt), retrying in 15 s" >&2
  sleep 15
done
if [ ! -s "$bundle" ]; then
  echo "clusterup: could not get the RDS CA bundle from $RDS_CA_BUNDLE_URL: Hive could not reach the database over TLS" >&2
  exit 1
fi

# Prints the ARN of the database secret hive-site names (clusterup's property), or nothing: EMR writes
# hive-site.xml from the hive-site classification, clusterup's properties included.
install_root_file 0700 "$lib/metastore-secret-arn" <<SCRIPT
#!/bin/bash
# Installed by clusterup's bootstrap action. Prints the $SECRET_PROPERTY property of $hive_site.
set -euo pipefail
[ -f "$hive_site" ] || exit 0
python3 - "$hive_site" "$SECRET_PROPERTY" <<'PYTHON'
import sys
import xml.etree.ElementTree as tree

path, name = sys.argv[1], sys.argv[2]
for prop in tree.parse(path).getroot().iter("property"):
    if (prop.findtext("name") or "").strip() == name:
        sys.stdout.write((prop.findtext("value") or "").strip())
PYTHON
SCRIPT

# Reads the password from the secret hive-site names into the root-only file; with
# --restart-if-changed (the timer), restarts a running metastore when it changed (its start rebuilds the
# credential store first). Without a secret in hive-site (the local metastore), removes the file.
install_root_file 0700 "$lib/metastore-password" <<SCRIPT
#!/bin/bash
# Installed by clusterup's bootstrap action; run by clusterup-metastore-store.service before every start
# of the metastore, and by clusterup-metastore-refresh.timer. Keeps the metastore password of the
# RDS-managed secret that $hive_site names in $password_file (root only).
set -euo pipefail
umask 077
secret_arn=\$("$lib/metastore-secret-arn")
if [ -z "\$secret_arn" ]; then
  rm -f "$password_file"
  exit 0
fi
install -d -m 0700 "${password_file%/*}"
trap 'rm -f "$password_file.new"' EXIT
secret=\$(aws secretsmanager get-secret-value --region "$REGION" --secret-id "\$secret_arn" --query SecretString --output text)
# The password goes through a pipe and a file, never through a command line.
printf '%s' "\$secret" | python3 -c 'import json, sys; sys.stdout.write(json.load(sys.stdin)["password"])' >"$password_file.new"
if [ ! -s "$password_file.new" ]; then
  echo "clusterup: the secret \$secret_arn holds no password" >&2
  exit 1
fi
# \$(<file) is bash's own read: no command line holds the password.
if [ -f "$password_file" ] && [ "\$(<"$password_file.new")" = "\$(<"$password_file")" ]; then
  exit 0
fi
mv -f "$password_file.new" "$password_file"
echo "clusterup: metastore password updated from \$secret_arn"
if [ "\${1:-}" = --restart-if-changed ] && systemctl is-active --quiet $metastore_unit; then
  systemctl restart $metastore_unit
fi
SCRIPT

install_root_file 0700 "$lib/metastore-refresh" <<SCRIPT
#!/bin/bash
# Installed by clusterup's bootstrap action; run by clusterup-metastore-refresh.timer.
exec "$lib/metastore-password" --restart-if-changed
SCRIPT

# Turns the password file into Hive's credential store. `hadoop credential create` takes the value from
# a terminal only (its -value flag is "for testing" and would put the password on a command line, which
# every local user can read in /proc): type-password.py runs it on a pseudo-terminal and answers its
# two prompts from the file.
install_root_file 0700 "$lib/metastore-store" <<SCRIPT
#!/bin/bash
# Installed by clusterup's bootstrap action; run by clusterup-metastore-store.service before every start
# of the Hive metastore. Writes $store (hive only) from the secret hive-site names; with none (the local
# metastore), removes it.
set -euo pipefail
umask 077
rm -f "$store"
"$lib/metastore-password"
[ -f "$password_file" ] || exit 0
if [ ! -s "$bundle" ]; then
  echo "clusterup: $bundle is missing: Hive could not verify the database's certificate" >&2
  exit 1
fi
python3 "$lib/type-password.py" "$password_file" \\
  hadoop credential create javax.jdo.option.ConnectionPassword -provider "jceks://file$store"
chown "\$(id -u hive):\$(id -g hive)" "$store"
chmod 0400 "$store"
SCRIPT

install_root_file 0600 "$lib/type-password.py" <<'PYTHON'
"""Runs a command on a pseudo-terminal and types a password, read from a file, at each of its prompts.

Usage: type-password.py PASSWORD_FILE COMMAND [ARG...]. Made for `hadoop credential create`, which asks
twice ("Enter alias password: ", "Enter alias password again: ") and reads with echo off. Its output is
shown once it has finished, with the password blanked out should it ever appear.
"""
import os
import pty
import select
import sys
import time

PROMPTS = (b"Enter alias password: ", b"Enter alias password again: ")
TIMEOUT = 300


def main():
    path, command = sys.argv[1], sys.argv[2:]
    with open(path, "rb") as f:
        password = f.read()
    # A terminal would act on control characters (erase, end of line, ...) instead of passing them on.
    if not password or any(b < 0x20 or b == 0x7F for b in password):
        sys.exit(path + ": empty, or holds control characters a terminal would not pass on")
    pid, terminal = pty.fork()
    if pid == 0:
        try:
            os.execvp(command[0], command)
        finally:
            os._exit(127)
    output, answered, seen = b"", 0, 0
    deadline = time.monotonic() + TIMEOUT
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            sys.stdout.write(output.replace(password, b"***").decode(errors="replace"))
            sys.exit(command[0] + ": no answer within %d s" % TIMEOUT)
        if not select.select([terminal], [], [], left)[0]:
            continue
        try:
            chunk = os.read(terminal, 4096)
        except OSError:  # EIO: the command closed the terminal
            chunk = b""
        if not chunk:
            break
        output += chunk
        while answered < len(PROMPTS):
            at = output.find(PROMPTS[answered], seen)
            if at < 0:
                break
            os.write(terminal, password + b"\n")
            seen = at + len(PROMPTS[answered])
            answered += 1
    status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    sys.stdout.write(output.replace(password, b"***").decode(errors="replace"))
    if status == 0 and answered < len(PROMPTS):
        sys.exit(command[0] + ": finished without asking for the password")
    sys.exit(status)


main()
PYTHON

install_root_file 0644 "$units/clusterup-metastore-store.service" <<UNIT
[Unit]
Description=clusterup: Hive metastore credential store from the database secret

[Service]
Type=oneshot
ExecStart=$lib/metastore-store
UNIT

# A drop-in takes effect for a unit that is installed later; Requires + After: the metastore starts
# only after the store was written, and not at all when that failed.
sudo install -d -m 0755 "$units/$metastore_unit.d"
install_root_file 0644 "$units/$metastore_unit.d/clusterup-metastore.conf" <<UNIT
[Unit]
Requires=clusterup-metastore-store.service
After=clusterup-metastore-store.service
UNIT

# Whenever EMR writes hive-site (a reconfiguration), the store is rebuilt from what it names now
# (PathChanged=: when a file written to is closed, or one is moved there:
# https://www.freedesktop.org/software/systemd/man/latest/systemd.path.html). hive-site.xml does not exist
# yet: systemd watches its closest existing parent directory until it does.
install_root_file 0644 "$units/clusterup-metastore-site.path" <<UNIT
[Unit]
Description=clusterup: rebuild the Hive metastore credential store whenever hive-site changes

[Path]
PathChanged=$hive_site
Unit=clusterup-metastore-store.service

[Install]
WantedBy=paths.target
UNIT

install_root_file 0644 "$units/clusterup-metastore-refresh.service" <<UNIT
[Unit]
Description=clusterup: refresh the Hive metastore password from the database secret

[Service]
Type=oneshot
ExecStart=$lib/metastore-refresh
UNIT

install_root_file 0644 "$units/clusterup-metastore-refresh.timer" <<UNIT
[Unit]
Description=clusterup: refresh the Hive metastore password every 10 minutes

[Timer]
OnActiveSec=10min
OnUnitActiveSec=10min

[Install]
WantedBy=timers.target
UNIT

# Nothing to read now: the secret is named in hive-site only once spark/metastore has attached the
# database; the store unit reads it when EMR writes that hive-site, and again at the metastore's restart.
sudo systemctl daemon-reload
sudo systemctl enable --now clusterup-metastore-site.path
sudo systemctl enable --now clusterup-metastore-refresh.timer
