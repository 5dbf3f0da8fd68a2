#!/bin/bash
# clusterup default app-node bootstrap, rendered per deployment by clusterup.
#
# It writes the node's configuration where the app reads it (/etc/clusterup/app.env) and, until your own
# image or user-data installs the real application, serves a small placeholder on the app port so the
# load balancer's health check passes. Replace it with `app.user_data: your-script.sh` in the topology;
# the same placeholders (double-brace names) are available there (see docs/topology.md).
set -euo pipefail

install -d -m 0755 /etc/clusterup
cat > /etc/clusterup/app.env <<'ENV'
CLUSTERUP_DEPLOYMENT={{ deployment }}
CLUSTERUP_REGION={{ region }}
APP_PORT={{ app_port }}
HEALTH_CHECK_PATH={{ health_check_path }}
DB_IDENTIFIER={{ db_identifier }}
EFS_ID={{ efs_id }}
EFS_ACCESS_POINT_ID={{ efs_access_point_id }}
DATA_DIR={{ mount_path }}
ENV
chmod 0644 /etc/clusterup/app.env

# The shared database. The nodes start beside it (a Multi-AZ database takes 15-20 minutes; the nodes
# serve through the load balancer long before), so its endpoint is not known yet: they look it up by its
# name once it is available. clusterup-database.service waits for it with the node's instance role
# (rds:DescribeDBInstances on this one instance) and writes /etc/clusterup/database.env with DB_HOST,
# DB_PORT and DB_SECRET_ARN. No password here, ever: the app reads it at run time from Secrets Manager by
# DB_SECRET_ARN (e.g. `aws secretsmanager get-secret-value --secret-id "$DB_SECRET_ARN"`). An app that
# needs the database orders its unit `After=clusterup-database.service` and `Wants=` it, and reads
# /etc/clusterup/database.env; its health check should not need the database, or the load balancer
# marks the nodes unhealthy until the database is there.
DB_IDENTIFIER="{{ db_identifier }}"
if [ -n "$DB_IDENTIFIER" ]; then
  install -d -m 0755 /usr/local/lib/clusterup
  cat > /usr/local/lib/clusterup/database-env <<'SCRIPT'
#!/bin/bash
# Installed by clusterup's user data: waits until the deployment's database is available, then writes its
# endpoint and secret ARN (never the password) to /etc/clusterup/database.env.
set -euo pipefail
# shellcheck disable=SC1091
. /etc/clusterup/app.env
query='DBInstances[0].[DBInstanceStatus,Endpoint.Address,Endpoint.Port,MasterUserSecret.SecretArn]'
while :; do
  if found=$(aws rds describe-db-instances --region "$CLUSTERUP_REGION" --db-instance-identifier "$DB_IDENTIFIER" \
      --query "$query" --output text 2>/dev/null); then
    read -r status host port secret <<<"$found"
    if [ "$status" = available ] && [ -n "$host" ] && [ "$host" != None ]; then
      break
    fi
  fi
  sleep 15
done
printf 'DB_HOST=%s\nDB_PORT=%s\nDB_SECRET_ARN=%s\n' "$host" "$port" "$secret" >/etc/clusterup/database.env.new
chmod 0644 /etc/clusterup/database.env.new
mv -f /etc/clusterup/database.env.new /etc/clusterup/database.env
echo "clusterup: database $DB_IDENTIFIER is available at $host:$port"
SCRIPT
  chmod 0755 /usr/local/lib/clusterup/database-env
  cat > /etc/systemd/system/clusterup-database.service <<'UNIT'
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

# Shared data folder: the EFS access point, over TLS, authorised by the instance role, in fstab so it
# comes back after a reboot. Mount targets can take a minute or two after creation: retry, then fail
# loudly (the node then fails its health check and Auto Scaling replaces it).
EFS_ID="{{ efs_id }}"
if [ -n "$EFS_ID" ]; then
  dnf install -y amazon-efs-utils || yum install -y amazon-efs-utils
  install -d -m 0755 "{{ mount_path }}"
  if ! grep -q "^$EFS_ID:/ " /etc/fstab; then
    echo "$EFS_ID:/ {{ mount_path }} efs _netdev,noresvport,tls,iam,accesspoint={{ efs_access_point_id }} 0 0" >> /etc/fstab
  fi
  for attempt in $(seq 1 30); do
    if mountpoint -q "{{ mount_path }}" || mount "{{ mount_path }}"; then break; fi
    echo "clusterup: EFS not mountable yet (attempt $attempt), retrying in 20 s" >&2
    sleep 20
  done
  mountpoint -q "{{ mount_path }}"
fi

# Placeholder app: answers 200 on every path (the health check included) with the node's identity.
install -d -m 0755 /opt/clusterup-placeholder
cat > /opt/clusterup-placeholder/server.py <<'PY'
import http.server, os, socket

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("clusterup placeholder on %s\n" % socket.gethostname()).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

http.server.ThreadingHTTPServer(("", int(os.environ["APP_PORT"])), Handler).serve_forever()
PY

cat > /etc/systemd/system/clusterup-placeholder.service <<'UNIT'
[Unit]
Description=clusterup placeholder app (replace with your application)
After=network-online.target

[Service]
EnvironmentFile=/etc/clusterup/app.env
ExecStart=/usr/bin/python3 /opt/clusterup-placeholder/server.py
Restart=always

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable --now clusterup-placeholder.service
