#!/usr/bin/env python3
"""IAM on the data plane: what the nodes, the Spark cluster and its steps do with their roles is allowed
by the role policies clusterup wrote (and the resource policies it put on the file system, the bucket
or the secret, when it puts any), and the same access to a neighbour deployment's resources is denied.

    data_plane.py --deployment NAME [--deployment NAME ...] RECORDING.jsonl

Everything comes from the recording: each role's inline policy (PutRolePolicy, the last one sent),
resource policies (PutFileSystemPolicy, PutBucketPolicy, PutResourcePolicy), and the resources the
accesses are about (the database's identifier, the bucket and the keys clusterup put there, the file
system and its access point). The accesses, as the services authorise them:

- the database secret: secretsmanager:GetSecretValue on RDS's secret (`rds!db-...`), which carries the
  tag `aws:rds:primaryDBInstanceArn` of its database: the app nodes when there is a database, the Spark
  nodes when the Hive metastore is on it;
- a submitted job and the bootstrap script: s3:GetObject by the Spark nodes (spark-submit reads the
  job through EMRFS with the instance role); their logs: s3:PutObject under logs/;
- the shared data folder: elasticfilesystem:ClientMount and ClientWrite on the file system, through
  its access point (`elasticfilesystem:AccessPointArn`, over TLS), by the app and Spark nodes;
- EMR's service role passing the nodes' role to EC2, and terminating the cluster's instances;
- with `spark.disk_encryption_key` (read from CreateSecurityConfiguration): the Spark nodes making and
  opening data keys with it (kms:GenerateDataKey, kms:Decrypt), and EMR's service role granting it to
  EBS (kms:CreateGrant, only with `kms:GrantIsForAWSResource`); the neighbour's key is another key;
- with `spark.in_transit_certificates`: the Spark nodes reading that zip (s3:GetObject), the
  neighbour's zip (another object) denied;
- the discovery keeper on the app nodes: route53:ChangeResourceRecordSets on the deployment's private
  zone (its id read from ChangeTagsForResource), an UPSERT of the A record of a group's name
  (`<group>.<name>.internal`, the groups read from their log groups); the neighbour's zone and names
  denied, and in its own zone another deployment's name, a DELETE and another record type denied;
- the SSM agent on the app nodes (and the Spark nodes) registering with Systems Manager and opening
  the channels Run Command (`clusterup exec`) and Session Manager (`clusterup shell`) use: the actions
  of AWS's AmazonSSMManagedInstanceCore, on `*` as that policy grants them (the agent calls before it
  knows any resource), so these are checked allowed on the node itself and have no neighbour to deny.

The neighbour is the same deployment named `<name>-b`: its database, bucket, file system and access
point, and its EMR-launched instances. Its resource policies are this deployment's with the names
swapped, as clusterup would write them for it.

Not evaluated here: a permissions boundary (its document is the account's own policy, not in the
recording). Without a file-system policy EFS lets any client that reaches a mount target mount it (its
default policy); the check then evaluates the role policies alone and says so.
"""

import argparse
import json
import re
import sys
import urllib.parse

import models
import policy_eval
import recording
import wire

TRANSPORT = {"aws:SecureTransport": "true"}


class Deployment:
    """What the recording says about one deployment's data plane."""

    def __init__(self, name, partition, region, account):
        self.name, self.partition, self.region, self.account = name, partition, region, account
        self.role_policies = {}
        self.file_system_policies = {}
        self.bucket_policies = {}
        self.secret_policies = {}
        self.database = None
        self.bucket = None
        self.keys = []
        self.file_system = None
        self.access_point = None
        self.metastore = False
        self.disk_key = None
        self.certificates = None
        self.log_groups = []
        self.zone = None
        # The password clusterup keeps for a database with read replicas (CreateSecret), if any.
        self.kept_secret = None

    def arn(self, service, resource):
        return f"arn:{self.partition}:{service}:{self.region}:{self.account}:{resource}"

    def role(self, suffix):
        return f"arn:{self.partition}:iam::{self.account}:role/{self.name}-{self.region}-{suffix}"

    def role_policy(self, suffix):
        policy = self.role_policies.get(f"{self.name}-{self.region}-{suffix}")
        return [policy] if policy else []


def _decode(text):
    try:
        return json.loads(urllib.parse.unquote(text)) if text.startswith("%") else json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return None


def read(requests, deployment):
    """Fill `deployment` from its requests (phase `<name>:...`)."""
    for request in requests:
        if not request.phase.startswith(f"{deployment.name}:"):
            continue
        model, op, protocol = models.identify(request)
        params, _ = wire.parse(request, op, protocol)
        service, name = model.service_name, op.name
        text = json.dumps(params, default=str)
        if deployment.access_point is None:
            found = re.search(r"fsap-[0-9a-f]+", text)
            deployment.access_point = found.group(0) if found else None
        if service == "iam" and name == "PutRolePolicy":
            deployment.role_policies[params["RoleName"]] = _decode(params["PolicyDocument"])
        elif service == "efs" and name == "PutFileSystemPolicy":
            deployment.file_system_policies[params["FileSystemId"]] = _decode(params["Policy"])
        elif service == "efs" and name == "CreateAccessPoint":
            deployment.file_system = params["FileSystemId"]
        elif service == "s3" and name == "PutBucketPolicy":
            deployment.bucket_policies[params["Bucket"]] = _decode(params["Policy"])
        elif service == "secretsmanager" and name == "PutResourcePolicy":
            deployment.secret_policies[params["SecretId"]] = _decode(params["ResourcePolicy"])
        elif service == "secretsmanager" and name == "CreateSecret":
            deployment.kept_secret = params["Name"]
        elif service == "rds" and name == "CreateDBInstance":
            deployment.database = params["DBInstanceIdentifier"]
        elif service == "s3" and name == "CreateBucket":
            deployment.bucket = params["Bucket"]
        elif service == "s3" and name == "PutObject":
            deployment.keys.append(params["Key"])
        elif service == "logs" and name == "CreateLogGroup":
            deployment.log_groups.append(params["logGroupName"])
        elif service == "route53" and name == "ChangeTagsForResource" and params.get("ResourceType") == "hostedzone":
            deployment.zone = str(params["ResourceId"]).rsplit("/", 1)[-1]
        elif service == "emr" and name == "ModifyInstanceGroups" and "hive-site" in text:
            deployment.metastore = True
        elif service == "emr" and name == "CreateSecurityConfiguration":
            document = _decode(params["SecurityConfiguration"]) or {}
            disks = document.get("EncryptionConfiguration", {}).get("AtRestEncryptionConfiguration", {}) \
                .get("LocalDiskEncryptionConfiguration", {})
            deployment.disk_key = disks.get("AwsKmsKey")
            tls = document.get("EncryptionConfiguration", {}).get("InTransitEncryptionConfiguration", {}) \
                .get("TLSCertificateConfiguration", {})
            deployment.certificates = tls.get("S3Object")
    return deployment


class Access:
    """One access, expected allowed (own) or denied (the neighbour's)."""

    def __init__(self, what, principal, identity, request, resource_policies=(), expect=True):
        self.what, self.principal, self.identity = what, principal, identity
        self.request, self.resource_policies, self.expect = request, list(resource_policies), expect


def accesses(own, other):
    """Every access of `own`'s roles: to its own resources (allowed) and to `other`'s (denied)."""
    out = []

    def both(what, suffix, action, resource_of, context_of, policies_of=lambda d: []):
        principal = own.role(suffix)
        identity = own.role_policy(suffix)
        if not identity:
            out.append(Access(f"{what}: no inline policy was written on {principal}", principal, [], None))
            return
        for target, expect in ((own, True), (other, False)):
            context = {"aws:PrincipalArn": principal, **TRANSPORT, **context_of(target)}
            request = policy_eval.Request(action, resource_of(target), context, principal)
            label = f"{what} ({'own' if expect else 'neighbour ' + other.name})"
            out.append(Access(label, principal, identity, request, policies_of(target), expect))

    def own_only(what, suffix, action, resource):
        """An access with no neighbour's resource to deny: the role's own node calling its service."""
        principal = own.role(suffix)
        identity = own.role_policy(suffix)
        if not identity:
            out.append(Access(f"{what}: no inline policy was written on {principal}", principal, [], None))
            return
        request = policy_eval.Request(action, resource, {"aws:PrincipalArn": principal, **TRANSPORT}, principal)
        out.append(Access(f"{what} (own)", principal, identity, request))

    node = own.arn("ec2", "instance/i-0a1b2c3d")
    agent = [("ssm:UpdateInstanceInformation", node), ("ssm:ListInstanceAssociations", node),
             ("ssmmessages:CreateControlChannel", "*"), ("ssmmessages:OpenDataChannel", "*"),
             ("ec2messages:GetMessages", "*"), ("ec2messages:SendReply", "*")]
    # Only for a deployment that was applied (one whose plan alone was recorded wrote no role policy).
    for suffix, who in (("app", "app nodes"), ("spark-node", "Spark nodes")):
        if (suffix == "app" and own.role_policies) or own.role_policy(suffix):
            for action, resource in agent:
                own_only(f"{who} register with Systems Manager and take its commands and sessions", suffix, action, resource)

    # The CloudWatch agent on a node: a stream per node in its group's log group, and its events. The
    # neighbour's log group is the same group of the other deployment (`/clusterup/<name>/<group>`).
    for group in own.log_groups[:1]:
        leaf = group.rsplit("/", 1)[-1]
        log_group = lambda d: d.arn("logs", f"log-group:/clusterup/{d.name}/{leaf}")
        stream = lambda d: d.arn("logs", f"log-group:/clusterup/{d.name}/{leaf}:log-stream:i-0a1b2c3d")
        both("app nodes create their log stream", "app", "logs:CreateLogStream", stream, lambda d: {})
        both("app nodes ship their log events", "app", "logs:PutLogEvents", stream, lambda d: {})
        # Only what the agent needs: the group itself is clusterup's to make, keep and delete.
        principal = own.role("app")
        for action in ("logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy"):
            request = policy_eval.Request(action, log_group(own), {"aws:PrincipalArn": principal, **TRANSPORT}, principal)
            out.append(Access(f"app nodes {action.split(':')[1]} their own log group", principal, own.role_policy("app"), request, [], False))
    if own.role_policies and not own.log_groups:
        out.append(Access("app nodes ship their logs: no log group was created in the recording", None, [], None))

    # The discovery keeper: an UPSERT of its group's A record in the deployment's private zone, nothing else.
    for group in own.log_groups[:1]:
        leaf = group.rsplit("/", 1)[-1]
        zone = lambda d: f"arn:{d.partition}:route53:::hostedzone/{d.zone}"

        def change(d, name=None, kind="A", verb="UPSERT"):
            return {"route53:ChangeResourceRecordSetsNormalizedRecordNames": [name or f"{leaf}.{d.name}.internal"],
                    "route53:ChangeResourceRecordSetsRecordTypes": [kind],
                    "route53:ChangeResourceRecordSetsActions": [verb]}
        if not own.zone:
            out.append(Access("app nodes keep their group's name: no hosted zone was tagged in the recording", None, [], None))
            break
        both("app nodes point their group's name at its nodes", "app", "route53:ChangeResourceRecordSets", zone, change)
        principal = own.role("app")
        for what, context in (
            (f"a name of deployment {other.name}", change(own, name=f"{leaf}.{other.name}.internal")),
            ("a DELETE of their own record", change(own, verb="DELETE")),
            ("a TXT record", change(own, kind="TXT")),
            ("their own record and the neighbour's at once",
             {**change(own), "route53:ChangeResourceRecordSetsNormalizedRecordNames":
              [f"{leaf}.{own.name}.internal", f"{leaf}.{other.name}.internal"]}),
        ):
            request = policy_eval.Request("route53:ChangeResourceRecordSets", zone(own),
                                          {"aws:PrincipalArn": principal, **TRANSPORT, **context}, principal)
            out.append(Access(f"app nodes change {what} in their zone", principal, own.role_policy("app"), request, [], False))

    secret = lambda d: d.arn("secretsmanager", "secret:rds!db-0a1b2c3d-aaaa-bbbb-cccc-0123456789ab-AbCdEf")
    secret_tag = lambda d: {"aws:ResourceTag/aws:rds:primaryDBInstanceArn": d.arn("rds", f"db:{d.database}")}
    if own.kept_secret:
        # A database with read replicas: the password clusterup keeps, `clusterup/<deployment>/database`
        # and the six characters Secrets Manager appends, tagged with the deployment.
        secret = lambda d: d.arn("secretsmanager", f"secret:clusterup/{d.name}/database-AbCdEf")
        secret_tag = lambda d: {"aws:ResourceTag/clusterup:deployment": d.name}
    if own.database:
        both("app nodes read the database secret", "app", "secretsmanager:GetSecretValue", secret, secret_tag,
             lambda d: [p for p in d.secret_policies.values() if p])
        if own.metastore:
            both("Hive (Spark nodes) reads the database secret", "spark-node", "secretsmanager:GetSecretValue",
                 secret, secret_tag, lambda d: [p for p in d.secret_policies.values() if p])
    if own.bucket:
        in_bucket = lambda key: (lambda d: f"arn:{d.partition}:s3:::{d.bucket}/{key}")
        bucket_policy = lambda d: [d.bucket_policies[d.bucket]] if d.bucket in d.bucket_policies else []
        jobs = [k for k in own.keys if k.startswith("jobs/")]
        bootstrap = [k for k in own.keys if k.startswith("bootstrap/")]
        for key in jobs[:1]:
            both(f"a Spark step reads its job {key}", "spark-node", "s3:GetObject", in_bucket(key), lambda d: {}, bucket_policy)
        for key in bootstrap[:1]:
            both(f"Spark nodes read the bootstrap script {key}", "spark-node", "s3:GetObject", in_bucket(key), lambda d: {}, bucket_policy)
        both("Spark nodes write their logs", "spark-node", "s3:PutObject", in_bucket("logs/j-1ABC/steps/s-1/stderr.gz"), lambda d: {}, bucket_policy)
        both("EMR passes the nodes' role to their instances", "spark-service", "iam:PassRole",
             lambda d: d.role("spark-node"), lambda d: {"iam:PassedToService": "ec2.amazonaws.com"})
        both("EMR terminates the cluster's instances", "spark-service", "ec2:TerminateInstances",
             lambda d: d.arn("ec2", "instance/i-0a1b2c3d"), lambda d: {"aws:ResourceTag/clusterup:deployment": d.name})
        if own.certificates:
            # The operator's PEM zip of in-transit encryption, fetched by each node as it starts.
            zip_of = lambda d: f"arn:{d.partition}:s3:::{d.certificates.removeprefix('s3://')}"
            both("Spark nodes read the in-transit certificates", "spark-node", "s3:GetObject", zip_of, lambda d: {})
        if own.disk_key:
            # The operator's key of the nodes' disks: the nodes make and open data keys with it (LUKS), and
            # EMR has EBS use it through a grant for an AWS resource. The neighbour's key is another key.
            key = lambda d: d.disk_key
            for action in ("kms:GenerateDataKey", "kms:Decrypt"):
                both(f"Spark nodes {action.split(':')[1]} with the disk encryption key", "spark-node", action, key, lambda d: {})
            both("EMR grants EBS the disk encryption key", "spark-service", "kms:CreateGrant", key,
                 lambda d: {"kms:GrantIsForAWSResource": "true"})
            principal = own.role("spark-service")
            request = policy_eval.Request("kms:CreateGrant", own.disk_key, {"aws:PrincipalArn": principal, **TRANSPORT}, principal)
            out.append(Access("EMR grants the disk encryption key to anything but an AWS resource", principal,
                              own.role_policy("spark-service"), request, [], False))
        jobs_missing = not jobs
        if jobs_missing:
            out.append(Access("a Spark step reads its job: no job was put under jobs/ in the recording (spark submit)", None, [], None))
    if own.file_system:
        fs = lambda d: d.arn("elasticfilesystem", f"file-system/{d.file_system}")
        # What EFS puts in a mount's context: the access point mounted through, and that it came through a
        # mount target (EFS User Guide, "Using IAM to control file system data access").
        through_ap = lambda d: {"elasticfilesystem:AccessPointArn": d.arn("elasticfilesystem", f"access-point/{d.access_point}"),
                                "elasticfilesystem:AccessedViaMountTarget": "true"}
        fs_policy = lambda d: [d.file_system_policies[d.file_system]] if d.file_system in d.file_system_policies else []
        for suffix, who in (("app", "app nodes"), ("spark-node", "Spark nodes")):
            if not own.role_policy(suffix) and suffix == "spark-node":
                continue
            for action in ("elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"):
                both(f"{who} {action.split(':')[1]} the data folder through its access point", suffix, action, fs, through_ap, fs_policy)
            # Not around the access point: the role's mount permission names it.
            principal = own.role(suffix)
            context = {"aws:PrincipalArn": principal, "elasticfilesystem:AccessedViaMountTarget": "true", **TRANSPORT}
            request = policy_eval.Request("elasticfilesystem:ClientMount", fs(own), context, principal)
            out.append(Access(f"{who} mount the file system without its access point", principal, own.role_policy(suffix), request, fs_policy(own), False))
    return out


def neighbour(own):
    """The same deployment named `<name>-b`: its resources, and its resource policies as clusterup writes them."""
    name = f"{own.name}-b"
    swap = lambda value: json.loads(json.dumps(value).replace(own.name, name)) if value is not None else None
    other = Deployment(name, own.partition, own.region, own.account)
    other.database = own.database and own.database.replace(own.name, name)
    other.bucket = own.bucket and own.bucket.replace(own.name, name)
    other.file_system = own.file_system and "fs-0b0b0b0b"
    other.zone = own.zone and "Z0B0B0B0B0B0B0B0B0B0B"
    other.access_point = own.access_point and "fsap-0b0b0b0b0b0b"
    other.certificates = own.certificates and own.certificates.removesuffix(".zip") + "-b.zip"
    other.disk_key = own.disk_key and own.disk_key.rsplit("/", 1)[0] + "/0b0b0b0b-0b0b-0b0b-0b0b-0b0b0b0b0b0b"
    other.file_system_policies = {
        other.file_system: json.loads(json.dumps(swap(p)).replace(own.file_system or "\0", other.file_system or "")
                                      .replace(own.access_point or "\0", other.access_point or ""))
        for p in own.file_system_policies.values()
    }
    other.bucket_policies = {other.bucket: swap(p) for p in own.bucket_policies.values()}
    other.secret_policies = {k: swap(p) for k, p in own.secret_policies.items()}
    return other


def check(deployment):
    """(failures, lines) for one deployment."""
    failures, lines = [], []
    other = neighbour(deployment)
    for access in accesses(deployment, other):
        if access.request is None:
            failures.append(access.what)
            continue
        decision = policy_eval.evaluate(access.identity, access.request, access.resource_policies)
        ok = bool(decision) == access.expect
        verdict = "allowed" if decision else "denied"
        line = f"{'ok' if ok else 'FAIL'} {access.what}: {access.request.action} on {access.request.resource} {verdict} ({decision.reason})"
        (lines if ok else failures).append(line)
    if deployment.file_system and not deployment.file_system_policies:
        lines.append(f"note: {deployment.name}'s file system has no file-system policy: EFS's default lets any client "
                     "that reaches a mount target mount it; the mounts above are judged by the role policies alone")
    return failures, lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deployment", action="append", required=True)
    parser.add_argument("--partition", default="aws")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--account", default="123456789012")
    parser.add_argument("recording")
    args = parser.parse_args(argv)
    requests = recording.read(args.recording)
    failed = False
    for name in args.deployment:
        deployment = read(requests, Deployment(name, args.partition, args.region, args.account))
        failures, lines = check(deployment)
        for line in lines:
            print(line)
        for line in failures:
            failed = True
            print(f"FAIL {name}: {line}")
    if not failed:
        print("ok: every data-plane access is allowed to its own deployment and denied to the neighbour's")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
