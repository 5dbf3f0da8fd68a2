#!/bin/bash
# clusterup default app-node bootstrap, rendered per deployment by clusterup.
#
# It writes the node's configuration where the app reads it (/etc/clusterup/app.env) and, until your own
# image or user-data installs the real application, serves a small placeholder on the app port so the
# load balancer's health check passes. Replace it with `app.user_data: your-script.sh` in the topology;
# the same placeholders (double-brace names) are available there (see docs/topology.md).
#
# A node is healthy only when it works. With a shared data folder, the placeholder's unit requires the
# mount (RequiresMountsFor=) and its health check fails while the folder is not mounted, and a first
# mount that has not succeeded by the deadline fails this script: Auto Scaling then replaces the node,
# rather than it answering 200 over an empty local folder. Do the same in your own app.
set -euo pipefail

# Every absolute path written below is under ROOT. On a node it is empty, so the paths are exactly the
# ones written; the tests (tests/app_user_data.rs) set CLUSTERUP_TEST_ROOT to a scratch directory to run
# this script, and what it installs, without touching the machine they run on.
ROOT="${CLUSTERUP_TEST_ROOT:-}"

install -d -m 0755 "$ROOT/etc/clusterup"
cat > "$ROOT/etc/clusterup/app.env" <<'ENV'
CLUSTERUP_DEPLOYMENT={{ deployment }}
CLUSTERUP_REGION={{ region }}
APP_PORT={{ app_port }}
HEALTH_CHECK_PATH={{ health_check_path }}
DB_IDENTIFIER={{ db_identifier }}
EFS_ID={{ efs_id }}
EFS_ACCESS_POINT_ID={{ efs_access_point_id }}
DATA_DIR={{ mount_path }}
LOG_GROUP={{ log_group }}
APP_LOG=/var/log/clusterup/app.log
CLUSTERUP_GROUP={{ node_group }}
CLUSTERUP_ZONE={{ dns_zone }}
ENV
chmod 0644 "$ROOT/etc/clusterup/app.env"

# Logs: the CloudWatch agent ships the app's log (/var/log/clusterup/app.log: write yours there) and the
# system journal (through rsyslog's /var/log/messages, which logrotate keeps small) to this group's log
# group in CloudWatch Logs, one log stream per node named by its instance id (the journal's with
# `/journal` after it); `clusterup logs` reads them. The node's role may only add streams and events to
# its own deployment's log groups, which clusterup made before the nodes (encrypted at rest by CloudWatch
# Logs, kept for `logs.retention`).
LOG_GROUP="{{ log_group }}"
install -d -m 0755 "$ROOT/var/log/clusterup"
if [ -n "$LOG_GROUP" ]; then
  dnf install -y amazon-cloudwatch-agent rsyslog || yum install -y amazon-cloudwatch-agent rsyslog
  systemctl enable --now rsyslog.service
  install -d -m 0755 "$ROOT/opt/aws/amazon-cloudwatch-agent/etc"
  cat > "$ROOT/opt/aws/amazon-cloudwatch-agent/etc/clusterup.json" <<JSON
{
  "logs": {
    "logs_collected": {
      "files": {
        "collect_list": [
          {"file_path": "/var/log/clusterup/app.log", "log_group_name": "$LOG_GROUP", "log_stream_name": "{instance_id}", "timezone": "UTC"},
          {"file_path": "/var/log/messages", "log_group_name": "$LOG_GROUP", "log_stream_name": "{instance_id}/journal", "timezone": "UTC"}
        ]
      }
    }
  }
}
JSON
  chmod 0644 "$ROOT/opt/aws/amazon-cloudwatch-agent/etc/clusterup.json"
  # The package puts its control script under /opt/aws; `-s` (re)starts the agent with this file.
  ctl=amazon-cloudwatch-agent-ctl
  command -v "$ctl" >/dev/null || ctl=/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl
  "$ctl" -a fetch-config -m ec2 -s -c "file:$ROOT/opt/aws/amazon-cloudwatch-agent/etc/clusterup.json"
fi

# Discovery: the keeper keeps <group>.<deployment>.internal and app.env's GROUP_HOST_ lines, read from
# AWS so that adding a group changes no node's user data (docs/topology.md#discovery).
install -d -m 0755 "$ROOT/usr/local/lib/clusterup" "$ROOT/var/lib/clusterup"
cat > "$ROOT/usr/local/lib/clusterup/dns-keeper" <<'SCRIPT'
#!/bin/bash
set -euo pipefail
ROOT="${CLUSTERUP_TEST_ROOT:-}"
env="$ROOT/etc/clusterup/app.env"
# shellcheck disable=SC1090
. "$env"
export AWS_DEFAULT_REGION="$CLUSTERUP_REGION"
name="{{ dns_name }}"
group="{{ auto_scaling_group }}"
last="$ROOT/var/lib/clusterup/dns-written"

# Every group's name, from the deployment's Auto Scaling groups' clusterup:resource tags.
hosts=""
for a in $(aws autoscaling describe-auto-scaling-groups --filters "Name=tag:clusterup:deployment,Values=$CLUSTERUP_DEPLOYMENT" \
  --query 'AutoScalingGroups[].Tags[?Key==`clusterup:resource`].Value[]' --output text); do
  case "$a" in
    app/auto-scaling-group) g=app ;;
    groups/*/auto-scaling-group) g=${a#groups/} g=${g%/auto-scaling-group} ;;
    *) continue ;;
  esac
  hosts="$hosts
GROUP_HOST_$(echo "$g" | tr 'a-z-' 'A-Z_')=$g.$CLUSTERUP_ZONE"
done
hosts=$(echo "$hosts" | sort | grep .) || true
if [ -n "$hosts" ] && [ "$hosts" != "$(grep '^GROUP_HOST_' "$env" | sort)" ]; then
  { grep -v '^GROUP_HOST_' "$env"; echo "$hosts"; } >"$env.new"
  mv -f "$env.new" "$env"
fi

ids=$(aws autoscaling describe-auto-scaling-groups --auto-scaling-group-names "$group" \
  --query 'AutoScalingGroups[0].Instances[?LifecycleState==`InService`].InstanceId' --output text)
if [ -z "$ids" ] || [ "$ids" = None ]; then
  echo "clusterup: $group has no node in service; $name keeps its addresses"
  exit 0
fi
# shellcheck disable=SC2086
addresses=$(aws ec2 describe-instances --instance-ids $ids --query 'Reservations[].Instances[].PrivateIpAddress' \
  --output text | tr -s '[:space:]' '\n' | grep -E '^[0-9.]+$' | sort -V | paste -s -d ' ' - || true)
# Written only when the group's nodes changed, or 15 minutes after this node last wrote them: so that a
# record changed by anyone else is put right, at one request per node per 15 minutes (Route 53 takes 5 a
# second per account).
if [ -z "$addresses" ] || { [ "$addresses" = "$(cat "$last" 2>/dev/null)" ] && [ -n "$(find "$last" -mmin -15)" ]; }; then
  exit 0
fi
# shellcheck disable=SC2086
records=$(printf '{"Value":"%s"},' $addresses)
batch="{\"Changes\":[{\"Action\":\"UPSERT\",\"ResourceRecordSet\":{\"Name\":\"$name\",\"Type\":\"A\",\"TTL\":10,\"ResourceRecords\":[${records%,}]}}]}"
aws route53 change-resource-record-sets --hosted-zone-id "{{ dns_zone_id }}" --change-batch "$batch" --output text >/dev/null
echo "$addresses" >"$last"
echo "clusterup: $name -> $addresses"
SCRIPT
chmod 0755 "$ROOT/usr/local/lib/clusterup/dns-keeper"
cat > "$ROOT/etc/systemd/system/clusterup-dns.service" <<'UNIT'
[Unit]
Description=clusterup: this group's DNS name and app.env's GROUP_HOST_ lines
After=network-online.target

[Service]
Type=oneshot
ExecStart=/usr/local/lib/clusterup/dns-keeper
UNIT
cat > "$ROOT/etc/systemd/system/clusterup-dns.timer" <<'UNIT'
[Timer]
OnBootSec=10s
OnUnitActiveSec=20s
RandomizedDelaySec=5s
AccuracySec=1s

[Install]
WantedBy=timers.target
UNIT
systemctl daemon-reload
# Once now, so that app.env names every group before the app starts; then every 20 s.
"$ROOT/usr/local/lib/clusterup/dns-keeper" || echo "clusterup: the DNS keeper failed; its timer retries" >&2
systemctl enable --now clusterup-dns.timer

# The shared database, looked up by name: nodes start before it has an endpoint.
# clusterup-database.service downloads the RDS certificate authorities (TLS only), waits for the database
# and its read replicas (the node role's rds:DescribeDBInstances) and writes /etc/clusterup/database.env:
# DB_HOST, DB_PORT, DB_SECRET_ARN, DB_READ_HOSTS, DB_SSL_MODE, DB_SSL_CA. Never the password: the app
# reads it from Secrets Manager by DB_SECRET_ARN. An app that needs the database orders its unit
# After= and Wants=clusterup-database.service and connects with TLS verifying the server's name
# (mysql: --ssl-mode=VERIFY_IDENTITY --ssl-ca="$DB_SSL_CA"); its health check should not need the
# database, or the load balancer marks the nodes unhealthy.
DB_IDENTIFIER="{{ db_identifier }}"
if [ -n "$DB_IDENTIFIER" ]; then
  # The bundle's check below needs openssl (in Amazon Linux 2023's standard image, not in its minimal one).
  command -v openssl >/dev/null || dnf install -y openssl || yum install -y openssl
  install -d -m 0755 "$ROOT/usr/local/lib/clusterup"
  cat > "$ROOT/usr/local/lib/clusterup/database-env" <<'SCRIPT'
#!/bin/bash
# Installed by clusterup's user data: gets the RDS CA bundle, waits until the deployment's database has an
# endpoint, then writes how to reach it (never the password) to /etc/clusterup/database.env.
set -euo pipefail
ROOT="${CLUSTERUP_TEST_ROOT:-}"
# shellcheck disable=SC1091
. "$ROOT/etc/clusterup/app.env"
bundle="{{ rds_ca_bundle }}"
url="{{ rds_ca_bundle_url }}"
# With read replicas: the password clusterup keeps.
kept="{{ db_kept_secret_arn }}"

# Over HTTPS, checked against the system's trust store, and kept only when every certificate in it is
# one of Amazon RDS's certificate authorities.
fetch_bundle() {
  local new="$ROOT$bundle.new" certs rds
  curl --fail --silent --show-error --proto '=https' --tlsv1.2 --max-time 60 --output "$new" "$url" || return 1
  certs=$(grep -c -- '-----BEGIN CERTIFICATE-----' "$new" || true)
  rds=$(openssl crl2pkcs7 -nocrl -certfile "$new" | openssl pkcs7 -print_certs -noout | grep -c '^subject=.*Amazon RDS' || true)
  if [ "$certs" -lt 1 ] || [ "$rds" != "$certs" ]; then
    echo "clusterup: $url holds $certs certificates, $rds of them Amazon RDS's: not using it" >&2
    rm -f "$new"
    return 1
  fi
  chmod 0644 "$new"
  mv -f "$new" "$ROOT$bundle"
}
until fetch_bundle; do
  echo "clusterup: no RDS CA bundle yet from $url; trying again in 15 s" >&2
  sleep 15
done

# Any status will do once the database has an endpoint: one that is backing up, being modified or
# optimizing its storage (which can last a day) serves connections, and new nodes must not wait for it.
query='DBInstances[0].[DBInstanceStatus,Endpoint.Address,Endpoint.Port,MasterUserSecret.SecretArn]'
while :; do
  if found=$(aws rds describe-db-instances --region "$CLUSTERUP_REGION" --db-instance-identifier "$DB_IDENTIFIER" \
      --query "$query" --output text); then
    read -r status host port secret <<<"$found"
    if [ -n "$host" ] && [ "$host" != None ]; then
      break
    fi
    echo "clusterup: database $DB_IDENTIFIER is ${status:-not reported yet}, with no endpoint yet; looking again in 15 s"
  else
    echo "clusterup: could not look database $DB_IDENTIFIER up (the error is above); looking again in 15 s" >&2
  fi
  sleep 15
done
secret=${kept:-$secret}
# DB_READ_HOSTS: the read replicas' endpoints.
reps="{{ db_replica_identifiers }}"
reads=""
for r in $reps; do
  until h=$(aws rds describe-db-instances --region "$CLUSTERUP_REGION" --db-instance-identifier "$r" \
      --query 'DBInstances[0].Endpoint.Address' --output text) && [ "${h:-None}" != None ]; do
    echo "clusterup: replica $r has no endpoint yet" && sleep 15
  done
  reads+="${reads:+,}$h"
done
printf 'DB_HOST=%s\nDB_PORT=%s\nDB_SECRET_ARN=%s\nDB_READ_HOSTS=%s\nDB_SSL_MODE=VERIFY_IDENTITY\nDB_SSL_CA=%s\n' \
  "$host" "$port" "$secret" "$reads" "$bundle" >"$ROOT/etc/clusterup/database.env.new"
chmod 0644 "$ROOT/etc/clusterup/database.env.new"
mv -f "$ROOT/etc/clusterup/database.env.new" "$ROOT/etc/clusterup/database.env"
echo "clusterup: database $DB_IDENTIFIER ($status) is at $host:$port; connect with TLS, verifying it with $bundle"
SCRIPT
  chmod 0755 "$ROOT/usr/local/lib/clusterup/database-env"
  cat > "$ROOT/etc/systemd/system/clusterup-database.service" <<'UNIT'
[Unit]
Description=clusterup: wait for the deployment's database, write its endpoint to /etc/clusterup/database.env
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/lib/clusterup/database-env
TimeoutStartSec=infinity

[Install]
WantedBy=multi-user.target
UNIT
  systemctl daemon-reload
  systemctl enable clusterup-database.service
  # Not waited for here: the node serves (and passes its health check) before the database is there.
  systemctl start --no-block clusterup-database.service
fi

# Shared data folder: the EFS access point, over TLS and authorised by the instance role (the file
# system's policy refuses any other mount), in fstab so it comes back after a reboot.
EFS_ID="{{ efs_id }}"
MOUNT_PATH="{{ mount_path }}"
if [ -n "$EFS_ID" ]; then
  dnf install -y amazon-efs-utils || yum install -y amazon-efs-utils
  install -d -m 0755 "$ROOT$MOUNT_PATH"
  if ! grep -q "^$EFS_ID:/ " "$ROOT/etc/fstab"; then
    echo "$EFS_ID:/ $MOUNT_PATH efs _netdev,noresvport,tls,iam,accesspoint={{ efs_access_point_id }} 0 0" >> "$ROOT/etc/fstab"
  fi
  # A new mount target's name may not resolve at once: retry until {{ efs_mount_deadline }} s after boot.
  # clusterup works that deadline out from the group's health check grace period (docs/reliability.md),
  # leaving the app the time to start and pass its health checks before the grace period ends; past it,
  # the node fails here and Auto Scaling replaces it.
  deadline="{{ efs_mount_deadline }}"
  since_boot() {
    local up
    read -r up _ <"$ROOT/proc/uptime"
    echo "${up%%.*}"
  }
  attempt=0
  until mountpoint -q "$ROOT$MOUNT_PATH"; do
    left=$((deadline - $(since_boot)))
    if [ "$left" -le 0 ]; then
      echo "clusterup: EFS $EFS_ID is not mounted at $MOUNT_PATH $deadline s after boot ($attempt attempts); this node fails its health check and is replaced" >&2
      exit 1
    fi
    attempt=$((attempt + 1))
    # One attempt at most 30 s: a mount target that does not answer would hold the mount for minutes.
    if timeout "$((left < 30 ? left : 30))" mount "$ROOT$MOUNT_PATH"; then
      continue
    fi
    echo "clusterup: EFS not mountable yet (attempt $attempt, $left s to the deadline), retrying in 10 s" >&2
    sleep 10
  done
fi

# Placeholder app: answers on every path (the health check included) with the node's identity, with 200
# while the node works and 503 while its data folder is not mounted.
install -d -m 0755 "$ROOT/opt/clusterup-placeholder"
cat > "$ROOT/opt/clusterup-placeholder/server.py" <<'PY'
import http.server, os, socket

DATA_DIR = os.environ.get("DATA_DIR", "")

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        status, text = 200, "clusterup placeholder on %s\n" % socket.gethostname()
        # After a reboot whose mount failed, the folder is an empty local directory: not healthy.
        if DATA_DIR and not os.path.ismount(DATA_DIR):
            status, text = 503, "clusterup placeholder on %s: %s is not mounted\n" % (socket.gethostname(), DATA_DIR)
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

http.server.ThreadingHTTPServer(("", int(os.environ["APP_PORT"])), Handler).serve_forever()
PY

# With a data folder, the app starts only once it is mounted, after a reboot too.
requires_mount=""
if [ -n "$EFS_ID" ]; then
  requires_mount="RequiresMountsFor=$MOUNT_PATH"
fi
cat > "$ROOT/etc/systemd/system/clusterup-placeholder.service" <<UNIT
[Unit]
Description=clusterup placeholder app (replace with your application)
Wants=network-online.target
After=network-online.target
$requires_mount

[Service]
EnvironmentFile=/etc/clusterup/app.env
ExecStart=/usr/bin/python3 /opt/clusterup-placeholder/server.py
Restart=always
# The app's log, which the CloudWatch agent ships (see Logs above).
StandardOutput=append:/var/log/clusterup/app.log
StandardError=append:/var/log/clusterup/app.log

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable --now clusterup-placeholder.service
