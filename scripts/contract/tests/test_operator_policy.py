"""operator_policy maps calls to the right IAM actions and fails on a policy that misses one."""

import json
import os
import tempfile
import unittest
from contextlib import redirect_stdout
from io import StringIO

import operator_policy
from tests.test_check_requests import request


def needed(*requests):
    return operator_policy.required(list(requests))


def generate(calls):
    """A policy that allows exactly these actions (on `*`: which resources is authorize.py's business)."""
    return {"Version": "2012-10-17", "Statement": [{"Sid": "All", "Effect": "Allow", "Action": sorted(calls), "Resource": "*"}]}


class Actions(unittest.TestCase):
    def test_action_names_that_differ_from_the_operation(self):
        self.assertIn("s3:ListAllMyBuckets", needed(request("s3", "ListBuckets", {})))
        self.assertIn("s3:ListBucketVersions", needed(request("s3", "ListObjectVersions", {"Bucket": "b"})))
        self.assertIn("tag:GetResources", needed(request("resourcegroupstaggingapi", "GetResources", {})))
        self.assertIn("sts:GetCallerIdentity", needed(request("sts", "GetCallerIdentity", {})))
        self.assertIn("elasticloadbalancing:DescribeTargetGroups", needed(request("elbv2", "DescribeTargetGroups", {})))

    def test_actions_authorised_on_the_side(self):
        create = request("elbv2", "CreateTargetGroup", {"Name": "a", "Tags": [{"Key": "k", "Value": "v"}]})
        self.assertIn("elasticloadbalancing:AddTags", needed(create))
        run = request("emr", "RunJobFlow", {"Name": "c", "Instances": {}, "ServiceRole": "r"})
        self.assertIn("iam:PassRole", needed(run))
        delete = request("s3", "DeleteObjects", {"Bucket": "b", "Delete": {"Objects": [{"Key": "k", "VersionId": "1"}]}})
        self.assertTrue({"s3:DeleteObject", "s3:DeleteObjectVersion"} <= set(needed(delete)))


class Source(unittest.TestCase):
    def test_operations_declared_in_src_are_found_with_their_service(self):
        declared = operator_policy.source_operations(operator_policy.repo_root())
        self.assertIn(("elbv2", "ModifyListener"), declared)
        self.assertIn(("emr", "AddTags"), declared)
        self.assertIn(("elbv2", "AddTags"), declared)
        self.assertIn(("s3", "DeleteObjects"), declared)


class Check(unittest.TestCase):
    def run_check(self, policy, calls):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(policy, f)
        try:
            out = StringIO()
            with redirect_stdout(out):
                failed = operator_policy.check(f.name, calls, set())
            return failed, out.getvalue()
        finally:
            os.unlink(f.name)

    def test_generated_policy_covers_the_calls(self):
        calls = needed(request("s3", "ListBuckets", {}), request("ssm", "GetParameter", {"Name": "n"}))
        failed, out = self.run_check(generate(calls), calls)
        self.assertFalse(failed, out)

    def test_a_missing_action_fails(self):
        calls = needed(request("s3", "ListBuckets", {}), request("ssm", "GetParameter", {"Name": "n"}))
        policy = generate(calls)
        for statement in policy["Statement"]:
            statement["Action"] = [a for a in statement["Action"] if a != "ssm:GetParameter"] or ["ssm:PutParameter"]
        failed, out = self.run_check(policy, calls)
        self.assertTrue(failed)
        self.assertIn("ssm:GetParameter is not allowed", out)

    def test_an_action_iam_does_not_know_fails(self):
        calls = needed(request("s3", "ListBuckets", {}))
        policy = generate(calls)
        policy["Statement"][0]["Action"].append("s3:ListBuckets")
        failed, out = self.run_check(policy, calls)
        self.assertTrue(failed)
        self.assertIn("UNKNOWN_ACTION", out)

    def test_a_source_declared_operation_missing_from_the_policy_fails(self):
        calls = needed(request("s3", "ListBuckets", {}))
        policy = generate(calls)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(policy, f)
        try:
            out = StringIO()
            with redirect_stdout(out):
                failed = operator_policy.check(f.name, calls, {("elbv2", "ModifyListener")})
        finally:
            os.unlink(f.name)
        self.assertTrue(failed)
        self.assertIn("elasticloadbalancing:ModifyListener is not allowed, and src/ calls ModifyListener", out.getvalue())


if __name__ == "__main__":
    unittest.main()
