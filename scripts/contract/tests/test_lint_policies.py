"""lint_policies fails on planted bad policies and passes what clusterup's roles look like."""

import json
import unittest
import urllib.parse

import lint_policies
import recording

GOOD = {
    "Version": "2012-10-17",
    "Statement": [{
        "Sid": "ReadBootstrap", "Effect": "Allow", "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::clusterup-x-123456789012-us-east-1/bootstrap/*",
    }],
}
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def issues(document, trust=False):
    failures, _notes = lint_policies.lint(json.dumps(document), trust)
    return {issue for issue, _ in failures}


def with_statement(**fields):
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **fields}]}


class Lint(unittest.TestCase):
    def test_good_permission_and_trust_policies_pass(self):
        self.assertEqual(issues(GOOD), set())
        self.assertEqual(issues(TRUST, trust=True), set())

    def test_unknown_action(self):
        self.assertIn("UNKNOWN_ACTION", issues(with_statement(Action="s3:GetObjekt", Resource="*")))

    def test_unknown_service_prefix(self):
        self.assertIn("UNKNOWN_PREFIX", issues(with_statement(Action="s4:GetObject", Resource="*")))

    def test_resource_of_the_wrong_type(self):
        bad = with_statement(Action="ec2:TerminateInstances", Resource="arn:aws:s3:::bucket")
        self.assertIn("RESOURCE_MISMATCH", issues(bad))

    def test_condition_key_that_does_not_apply_to_the_action(self):
        bad = with_statement(Action="s3:GetObject", Resource="arn:aws:s3:::b/*",
                             Condition={"StringEquals": {"ec2:InstanceType": "t3.micro"}})
        self.assertIn("UNKNOWN_CONDITION_FOR_ACTION", issues(bad))

    def test_malformed_condition_value(self):
        bad = with_statement(Action="s3:GetObject", Resource="arn:aws:s3:::b/*",
                             Condition={"DateGreaterThan": {"aws:CurrentTime": "yesterday"}})
        self.assertIn("MISMATCHED_TYPE", issues(bad))

    def test_permission_policy_without_resource_is_malformed(self):
        self.assertIn("MALFORMED", issues(with_statement(Action="s3:GetObject")))

    def test_trust_policy_without_principal_is_malformed(self):
        self.assertIn("MALFORMED", issues(with_statement(Action="sts:AssumeRole"), trust=True))

    def test_documents_are_found_in_the_recorded_iam_calls(self):
        body = urllib.parse.urlencode({
            "Action": "PutRolePolicy", "Version": "2010-05-08", "RoleName": "r", "PolicyName": "p",
            "PolicyDocument": json.dumps(GOOD),
        })
        request = recording.Request({"service": "iam", "method": "POST", "path": "/", "body": body}, 1)
        [(_, operation, label, text, trust)] = lint_policies.extract([request])
        self.assertEqual((operation, label, json.loads(text), trust), ("PutRolePolicy", "p", GOOD, False))


if __name__ == "__main__":
    unittest.main()
