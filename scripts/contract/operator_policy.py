#!/usr/bin/env python3
"""Which IAM actions the identity running clusterup needs, from the calls it was recorded making, and
whether an operator policy (what `clusterup iam-policy` prints) allows each of them.

    operator_policy.py check POLICY.json RECORDING.jsonl

Each recorded request becomes the IAM actions AWS authorises it with: the operation's own action
(named differently in S3 and the tagging API: ListBuckets is s3:ListAllMyBuckets, GetResources is
tag:GetResources), plus the actions AWS checks for what the request asks on the side (tags in a create
call need the tagging action; passing a role needs iam:PassRole; a launch template launches with
ec2:RunInstances; a mount target makes a network interface). Some permissions are used by AWS on the
caller's behalf and never appear as a call (RDS creating the managed password secret, service-linked
roles made on first use): they are listed in EXTRA with the reason.

The lifecycle does not make every call the source can make (an update path, an answer that only
sometimes comes), so the operations the source labels its calls with (`.call("Operation", ...)` in src/,
each on a client whose service is known) are added too.

`check` fails when a recorded call or a source-declared operation needs an action the policy does not
allow (by action name: which resources and conditions is authorize.py's business), or when the policy
does not pass the IAM linter; it warns on policy actions no recorded call needed (saying whether src/
declares them, or why they are in EXTRA). A new call in src/ fails here with its action named: add the
action to its service's statement in src/compose/operator/ (docs/real-aws.md, "Adding a call").
"""

import argparse
import collections
import fnmatch
import json
import os
import re
import sys

import models
import recording
import wire

# botocore model name -> IAM service prefix
PREFIX = {
    "ec2": "ec2",
    "elbv2": "elasticloadbalancing",
    "autoscaling": "autoscaling",
    "iam": "iam",
    "rds": "rds",
    "efs": "elasticfilesystem",
    "emr": "elasticmapreduce",
    "s3": "s3",
    "sts": "sts",
    "ssm": "ssm",
    "resourcegroupstaggingapi": "tag",
    "cloudwatch": "cloudwatch",
    "pricing": "pricing",
    "sns": "sns",
    "logs": "logs",
    "backup": "backup",
    "route53": "route53",
    "secretsmanager": "secretsmanager",
}

# Operations whose IAM action has another name (Service Authorization Reference, Amazon S3: "Actions").
RENAMED = {
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("s3", "ListObjects"): "s3:ListBucket",
    ("s3", "ListObjectsV2"): "s3:ListBucket",
    ("s3", "HeadBucket"): "s3:ListBucket",
    ("s3", "ListObjectVersions"): "s3:ListBucketVersions",
    ("s3", "HeadObject"): "s3:GetObject",
    ("s3", "DeleteObjects"): "s3:DeleteObject",
    ("s3", "PutPublicAccessBlock"): "s3:PutBucketPublicAccessBlock",
    ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    ("s3", "DeletePublicAccessBlock"): "s3:PutBucketPublicAccessBlock",
}

# Needed, but never a call of clusterup's own: (action, reason).
EXTRA = [
    ("iam:CreateServiceLinkedRole",
     "first use in an account: Auto Scaling, Elastic Load Balancing, RDS, EFS and EMR create their "
     "service-linked role on the caller's behalf"),
    ("secretsmanager:CreateSecret", "CreateDBInstance with ManageMasterUserPassword: RDS creates the secret as the caller"),
    ("secretsmanager:TagResource", "CreateDBInstance with ManageMasterUserPassword: RDS tags the secret it creates"),
    ("secretsmanager:RotateSecret", "CreateDBInstance with ManageMasterUserPassword: RDS sets up the rotation"),
    ("kms:DescribeKey", "CreateDBInstance with ManageMasterUserPassword: the key that encrypts the secret"),
]


# Side actions of operations the source declares, where the source always asks for them.
DECLARED_SIDE = {
    # bucket.rs deletes every object version and delete marker by VersionId.
    ("s3", "DeleteObjects"): ["s3:DeleteObjectVersion"],
}


def action(service, operation):
    return RENAMED.get((service, operation), f"{PREFIX[service]}:{operation}")


def _has(params, name):
    value = params.get(name)
    return bool(value) or value is False or value == 0


def dependents(service, operation, params, launch_template):
    """Actions AWS authorises besides the operation's own, for this request's parameters."""
    out = []
    if service == "ec2" and (_has(params, "TagSpecifications") or _has(params, "TagSpecification")):
        out.append("ec2:CreateTags")
    if service == "elbv2" and operation.startswith("Create") and _has(params, "Tags"):
        out.append("elasticloadbalancing:AddTags")
    if service == "autoscaling" and operation in ("CreateAutoScalingGroup", "UpdateAutoScalingGroup"):
        if operation == "CreateAutoScalingGroup" and _has(params, "Tags"):
            out.append("autoscaling:CreateOrUpdateTags")
        if _has(params, "LaunchTemplate") or _has(params, "MixedInstancesPolicy"):
            # Amazon EC2 Auto Scaling User Guide, "API permissions": a launch template launches with the
            # caller's ec2:RunInstances, its instance profile needs iam:PassRole, its tags ec2:CreateTags.
            out.append("ec2:RunInstances")
            if launch_template.get("profile"):
                out.append("iam:PassRole")
            if launch_template.get("tags"):
                out.append("ec2:CreateTags")
    if service == "rds" and operation.startswith("Create") and _has(params, "Tags"):
        out.append("rds:AddTagsToResource")
    if service == "sns" and operation == "CreateTopic" and _has(params, "Tags"):
        out.append("sns:TagResource")
    if service == "cloudwatch" and operation == "PutMetricAlarm" and _has(params, "Tags"):
        out.append("cloudwatch:TagResource")
    if service == "rds" and operation == "DeleteDBInstance" and _has(params, "FinalDBSnapshotIdentifier"):
        out.append("rds:CreateDBSnapshot")
    if service == "efs" and operation in ("CreateFileSystem", "CreateAccessPoint") and _has(params, "Tags"):
        out.append("elasticfilesystem:TagResource")
    if service == "efs" and operation == "CreateMountTarget":
        # EFS User Guide, "Required permissions": the mount target is a network interface in the subnet.
        out += ["ec2:DescribeSubnets", "ec2:DescribeNetworkInterfaces", "ec2:CreateNetworkInterface"]
    if service == "efs" and operation == "DeleteMountTarget":
        out.append("ec2:DeleteNetworkInterface")
    if service == "emr" and operation == "RunJobFlow":
        out.append("iam:PassRole")
        if _has(params, "Tags"):
            out.append("elasticmapreduce:AddTags")
    if service == "iam":
        if operation == "CreateRole" and _has(params, "Tags"):
            out.append("iam:TagRole")
        if operation == "CreateInstanceProfile" and _has(params, "Tags"):
            out.append("iam:TagInstanceProfile")
        if operation == "AddRoleToInstanceProfile":
            out.append("iam:PassRole")
    if service == "s3":
        versions = [o for o in (params.get("Delete") or {}).get("Objects", []) if o.get("VersionId")]
        if operation in ("GetObject", "DeleteObject") and params.get("VersionId"):
            out.append(f"s3:{operation}Version")
        if versions:
            out.append("s3:DeleteObjectVersion")
    return out


def required(requests):
    """{action: set of 'service Operation'} for every recorded request."""
    calls = []
    for request in requests:
        try:
            model, op, protocol = models.identify(request)
        except models.Unidentified as e:
            raise SystemExit(f"{request.where()}: {e}")
        params, _ = wire.parse(request, op, protocol)
        calls.append((model.service_name, op.name, params))
    # What the launch templates carry decides what launching from them needs.
    launch_template = {"profile": False, "tags": False}
    for service, operation, params in calls:
        if service == "ec2" and operation in ("CreateLaunchTemplate", "CreateLaunchTemplateVersion"):
            data = params.get("LaunchTemplateData") or {}
            launch_template["profile"] |= bool(data.get("IamInstanceProfile"))
            launch_template["tags"] |= bool(data.get("TagSpecifications"))
    needed = collections.defaultdict(set)
    for service, operation, params in calls:
        for name in [action(service, operation)] + dependents(service, operation, params, launch_template):
            needed[name].add(f"{service} {operation}")
    return needed


def allowed_patterns(policy):
    patterns = []
    statements = policy["Statement"]
    for statement in statements if isinstance(statements, list) else [statements]:
        if statement.get("Effect") != "Allow":
            continue
        actions = statement.get("Action", [])
        patterns += [actions] if isinstance(actions, str) else actions
    return [p.lower() for p in patterns]


def allows(patterns, name):
    return any(fnmatch.fnmatchcase(name.lower(), p) for p in patterns)


# clusterup's client fields (src/aws/clients.rs) -> botocore model name
CLIENTS = {
    "ec2": "ec2", "elb": "elbv2", "autoscaling": "autoscaling", "ssm": "ssm", "iam": "iam", "rds": "rds",
    "efs": "efs", "emr": "emr", "s3": "s3", "sts": "sts", "tagging": "resourcegroupstaggingapi",
    "cloudwatch": "cloudwatch", "pricing": "pricing", "sns": "sns", "logs": "logs", "backup": "backup",
    "route53": "route53", "secrets": "secretsmanager",
    # a client passed by type (`ec2: &aws_sdk_ec2::Client`)
    "elasticloadbalancingv2": "elbv2", "resourcegroupstagging": "resourcegroupstaggingapi",
    "cloudwatchlogs": "logs",
}


def source_operations(root):
    """{(service, operation)} the source can call: each `.call("Operation", ...)` label, with the service of
    the nearest client named before it (`aws.ec2`, `aws.elb`, ...), checked against that model."""
    found = set()
    for directory, _, files in os.walk(os.path.join(root, "src")):
        for file in sorted(files):
            if not file.endswith(".rs"):
                continue
            path = os.path.join(directory, file)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            clients = [
                (m.start(), m.group(1) or m.group(2))
                for m in re.finditer(r"\baws\s*\.\s*(\w+)\s*[.;,)]|\baws_sdk_(\w+)::Client\b", text)
            ]
            for match in re.finditer(r'\.call\(\s*"([A-Za-z]+)"', text):
                operation = match.group(1)
                before = [CLIENTS[c] for at, c in clients if at < match.start() and c in CLIENTS]
                candidates = [before[-1]] if before else []
                if not candidates or operation not in models.service_model(candidates[0]).operation_names:
                    candidates = [s for s in PREFIX if operation in models.service_model(s).operation_names]
                if len(candidates) != 1:
                    raise SystemExit(f"{path}: cannot tell the service of {operation} (candidates {candidates})")
                found.add((candidates[0], operation))
    return found


def repo_root():
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def check(policy_path, needed, declared):
    from parliament import analyze_policy_string

    with open(policy_path, encoding="utf-8") as f:
        text = f.read()
    policy = json.loads(text)
    failed = False
    for finding in analyze_policy_string(text).findings:
        # RESOURCE_STAR: the `*` statement holds only actions AWS authorises on `*` (authorize.py's lint).
        # RESOURCE_MISMATCH: parliament wants every resource type an action takes in each statement
        # naming it; the policy splits them by scope on purpose (a create's new resource under
        # aws:RequestTag, the existing ones it uses under aws:ResourceTag), and authorize.py evaluates
        # each resource of each request against the whole policy.
        # MISMATCHED_TYPE_BUT_USABLE: parliament's own words, it works (iam:PermissionsBoundary compared
        # with StringEquals to the boundary's ARN, as the IAM User Guide's examples do).
        if finding.issue not in ("RESOURCE_STAR", "RESOURCE_MISMATCH", "MISMATCHED_TYPE_BUT_USABLE"):
            failed = True
            print(f"FAIL {policy_path}: {finding.issue} {finding.detail}")
    patterns = allowed_patterns(policy)
    for name in sorted(needed):
        if not allows(patterns, name):
            failed = True
            print(f"FAIL {name} is not allowed, and is needed by: {', '.join(sorted(needed[name]))}")
    declared_actions = {action(service, operation): operation for service, operation in declared}
    declared_actions.update({a: o for (s, o) in declared for a in DECLARED_SIDE.get((s, o), [])})
    keeps_boundary = "iam:permissionsboundary" in text.lower()
    for name in sorted(declared_actions):
        if not allows(patterns, name):
            if keeps_boundary and name == "iam:DeleteRolePermissionsBoundary":
                # With iam.permissions_boundary the policy keeps the boundary on: clusterup takes it off only
                # once the setting is gone, under the policy made for that topology.
                print(f"note: {name} is left out on purpose: the policy keeps the permissions boundary")
                continue
            failed = True
            print(f"FAIL {name} is not allowed, and src/ calls {declared_actions[name]}")
    extra = {name.lower(): reason for name, reason in EXTRA}
    declared_lower = {name.lower() for name in declared_actions}
    for pattern in sorted(set(patterns)):
        if not any(fnmatch.fnmatchcase(n.lower(), pattern) for n in needed):
            if pattern in declared_lower:
                reason = "src/ calls it; not exercised by the recorded lifecycle"
            else:
                reason = extra.get(pattern, "neither recorded nor called in src/")
            print(f"warning: {pattern} never recorded ({reason})")
    print(f"{len(needed)} action(s) needed by the recorded calls, {len(patterns)} allowed by {policy_path}")
    if not failed:
        print("ok: every recorded call is allowed")
    return failed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    chk = sub.add_parser("check", help="compare a policy with the recorded calls")
    chk.add_argument("policy")
    chk.add_argument("recording")
    args = parser.parse_args(argv)

    requests = recording.read(args.recording)
    needed = required(requests)
    declared = source_operations(repo_root())
    return 1 if check(args.policy, needed, declared) else 0


if __name__ == "__main__":
    sys.exit(main())
