#!/usr/bin/env python3
"""The Spark nodes' real role policy under moto's own IAM enforcement: with the node role's assumed
credentials, a step reads its job and the nodes read the bootstrap script from the deployment's bucket,
and the same keys in a neighbour deployment's bucket are refused (AccessDenied).

    moto_enforced.py --deployment NAME RECORDING.jsonl        (run with the emulator's Python: moto, boto3)
    moto_enforced.py --deployment NAME --drop-statement ReadJobs RECORDING.jsonl   (a planted defect: must fail)

moto enforces identity policies for signed requests once its first `INITIAL_NO_AUTH_ACTION_COUNT`
requests are served (here: the three that make an administrator for the set-up); S3 checks the object's
ARN against the policy's resources. It evaluates conditions only from the request itself (not a
resource's tags), so the secret read (conditioned on the secret's tag) is proven by data_plane.py's
evaluator instead. The policy is the one clusterup sent in the recording (PutRolePolicy of
`<name>-<region>-spark-node`), the keys those it put in the bucket.
"""

import argparse
import json
import os
import sys
import urllib.parse

import boto3
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core import set_initial_no_auth_action_count

import recording

REGION = "us-east-1"
ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}


def from_recording(path, deployment):
    """(the node role's name and policy, the bucket, the keys put there) of `deployment`."""
    role = policy = bucket = None
    keys = []
    for request in recording.read(path):
        if not request.phase.startswith(f"{deployment}:"):
            continue
        if request.service == "iam":
            form = dict(request.form())
            if form.get("Action") == "PutRolePolicy" and form.get("RoleName", "").endswith("-spark-node"):
                role, policy = form["RoleName"], json.loads(form["PolicyDocument"])
        elif request.service == "s3" and request.method == "PUT":
            parts = urllib.parse.unquote(request.path).lstrip("/").split("/", 1)
            if len(parts) == 2 and parts[1] and "x-id=PutObject" in request.query:
                bucket = parts[0]
                keys.append(parts[1])
    return role, policy, bucket, keys


@mock_aws
@set_initial_no_auth_action_count(3)
def run(role, policy, bucket, keys, deployment):
    iam = boto3.client("iam", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    iam.create_user(UserName="admin")
    iam.put_user_policy(UserName="admin", PolicyName="admin", PolicyDocument=json.dumps(ADMIN))
    key = iam.create_access_key(UserName="admin")["AccessKey"]
    admin = boto3.Session(aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"], region_name=REGION)
    admin_iam = admin.client("iam")
    arn = admin_iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    admin_iam.put_role_policy(RoleName=role, PolicyName="clusterup-spark-node", PolicyDocument=json.dumps(policy))
    neighbour = bucket.replace(f"clusterup-{deployment}-", f"clusterup-{deployment}-b-", 1)
    s3 = admin.client("s3")
    for name in (bucket, neighbour):
        s3.create_bucket(Bucket=name)
        for k in keys:
            s3.put_object(Bucket=name, Key=k, Body=b"x")
    creds = admin.client("sts").assume_role(RoleArn=arn, RoleSessionName="node")["Credentials"]
    node = boto3.client("s3", region_name=REGION, aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
    failures = []
    for name, expect in ((bucket, True), (neighbour, False)):
        for k in keys:
            try:
                node.get_object(Bucket=name, Key=k)
                got = True
            except ClientError as e:
                if e.response["Error"]["Code"] != "AccessDenied":
                    raise
                got = False
            verdict = "allowed" if got else "AccessDenied"
            line = f"s3:GetObject s3://{name}/{k} with the node role: {verdict}"
            print(("ok " if got == expect else "FAIL ") + line)
            if got != expect:
                failures.append(line)
    return failures


def main(argv=None):
    # moto runs in this process: an endpoint in the environment (the test harness's shared emulator,
    # which enforces nothing) would take the calls elsewhere.
    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
        del os.environ[name]
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deployment", required=True)
    parser.add_argument("--drop-statement", metavar="SID", help="plant a defect: remove this statement from the policy")
    parser.add_argument("recording")
    args = parser.parse_args(argv)
    role, policy, bucket, keys = from_recording(args.recording, args.deployment)
    if policy and args.drop_statement:
        policy["Statement"] = [s for s in policy["Statement"] if s.get("Sid") != args.drop_statement]
    wanted = [k for k in keys if k.startswith(("jobs/", "bootstrap/"))]
    if not (role and policy and bucket and any(k.startswith("jobs/") for k in wanted)):
        print(f"FAIL {args.deployment}: the recording has no spark-node role policy, bucket or submitted job")
        return 1
    failures = run(role, policy, bucket, wanted, args.deployment)
    if not failures:
        print("ok: under moto's IAM enforcement the node role reads its deployment's job and script, not the neighbour's")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
