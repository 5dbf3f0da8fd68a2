#!/bin/bash
# clusterup bootstrap action for every EMR node of deployment {{ deployment }}, rendered by clusterup.
#
# EMR runs it as the hadoop user on every node (master, core, task; nodes added by scaling too) before
# the applications are installed. It
#  1. mounts the shared EFS data folder at the same path as on the app nodes, and
#  2. on the master, with the Hive metastore on the shared database, gives Hive the database password:
#     read at boot from the RDS-managed secret with the node's instance role, kept in a Hadoop credential
#     store readable by hive only, refreshed every 10 minutes (RDS rotates managed passwords). The
#     password is never in the cluster's configuration, in this script, or in the bucket.
set -euo pipefail

REGION="{{ region }}"
EFS_ID="{{ efs_id }}"
ACCESS_POINT="{{ efs_access_point_id }}"
MOUNT_PATH="{{ mount_path }}"
SECRET_ARN="{{ metastore_secret_arn }}"
CREDENTIALS="{{ metastore_credentials }}"

if [ -n "$EFS_ID" ]; then
  sudo yum install -y amazon-efs-utils
  sudo install -d -m 0755 "$MOUNT_PATH"
  if ! grep -q "^$EFS_ID:/ " /etc/fstab; then
    echo "$EFS_ID:/ $MOUNT_PATH efs _netdev,noresvport,tls,iam,accesspoint=$ACCESS_POINT 0 0" | sudo tee -a /etc/fstab >/dev/null
  fi
  # Mount targets can take a minute or two after creation: retry, then fail the node loudly.
  for attempt in $(seq 1 30); do
    if mountpoint -q "$MOUNT_PATH" || sudo mount "$MOUNT_PATH"; then break; fi
    echo "clusterup: EFS not mountable yet (attempt $attempt), retrying in 20 s" >&2
    sleep 20
  done
  mountpoint -q "$MOUNT_PATH"
fi

is_master() {
  grep -q '"isMaster": *true' /mnt/var/lib/info/instance.json 2>/dev/null
}

if [ -n "$SECRET_ARN" ] && is_master; then
  sudo install -d -m 0755 /usr/local/lib/clusterup
  sudo tee /usr/local/lib/clusterup/metastore-credential.sh >/dev/null <<SCRIPT
#!/bin/bash
# Writes the metastore password from the managed secret into Hive's credential store, and restarts the
# metastore when it changed. Installed by clusterup's bootstrap action; run at boot and every 10 minutes.
set -euo pipefail
secret=\$(aws secretsmanager get-secret-value --region "$REGION" --secret-id "$SECRET_ARN" --query SecretString --output text)
password=\$(printf '%s' "\$secret" | python3 -c 'import json, sys; print(json.load(sys.stdin)["password"])')
digest=\$(printf '%s' "\$password" | sha256sum | cut -d' ' -f1)
if [ -f /var/lib/clusterup-metastore.sha256 ] && [ "\$(cat /var/lib/clusterup-metastore.sha256)" = "\$digest" ]; then
  exit 0
fi
store="${CREDENTIALS#jceks://file}"
rm -f "\$store"
# -value is Hadoop's only non-interactive way in: the password is on this root-run command line for
# the second it runs, on the master node only. Nothing is logged.
hadoop credential create javax.jdo.option.ConnectionPassword -provider "$CREDENTIALS" -value "\$password" >/dev/null
chown hive:hive "\$store"
chmod 0400 "\$store"
echo "\$digest" > /var/lib/clusterup-metastore.sha256
systemctl restart hive-hcatalog-server || true
SCRIPT
  sudo chmod 0700 /usr/local/lib/clusterup/metastore-credential.sh
  # Hive is installed after bootstrap actions: wait for it in the background, then write the store.
  sudo nohup bash -c '
    until [ -d /etc/hive/conf ] && command -v hadoop >/dev/null && id hive >/dev/null 2>&1; do sleep 10; done
    /usr/local/lib/clusterup/metastore-credential.sh
    echo "*/10 * * * * root /usr/local/lib/clusterup/metastore-credential.sh" > /etc/cron.d/clusterup-metastore
  ' >/var/log/clusterup-metastore.log 2>&1 &
fi
