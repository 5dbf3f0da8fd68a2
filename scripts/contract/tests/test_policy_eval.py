"""policy_eval decides as IAM does on the cases the contract checks rely on."""

import unittest

from policy_eval import Request, arn_matches, evaluate

ROLE = "arn:aws:iam::123456789012:role/web-us-east-1-app"


def policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource, condition=None, **extra):
    statement = {"Effect": "Allow", "Action": action, "Resource": resource, **extra}
    if condition:
        statement["Condition"] = condition
    return statement


class Matching(unittest.TestCase):
    def test_actions_are_case_insensitive_with_wildcards(self):
        p = policy(allow("ec2:Describe*", "*"))
        self.assertTrue(evaluate([p], Request("EC2:DescribeVpcs", "*")))
        self.assertTrue(evaluate([p], Request("ec2:describevpcs", "*")))
        self.assertFalse(evaluate([p], Request("ec2:DeleteVpc", "*")))
        self.assertTrue(evaluate([policy(allow("s3:Get?bject", "*"))], Request("s3:GetObject", "x")))

    def test_resources_match_part_by_part_and_case_sensitively(self):
        self.assertTrue(arn_matches("arn:aws:s3:::b/jobs/*", "arn:aws:s3:::b/jobs/x/y.py"))
        self.assertFalse(arn_matches("arn:aws:s3:::b/jobs/*", "arn:aws:s3:::b/bootstrap/x"))
        self.assertFalse(arn_matches("arn:aws:s3:::B/*", "arn:aws:s3:::b/x"))
        # A wildcard in one part does not reach into the next.
        self.assertFalse(arn_matches("arn:aws:ec2:*:vpc/*", "arn:aws:ec2:us-east-1:1:vpc/v"))
        self.assertTrue(arn_matches("arn:aws:ec2:*:*:vpc/*", "arn:aws:ec2:us-east-1:1:vpc/v"))
        self.assertTrue(arn_matches("*", "arn:aws:ec2:us-east-1:1:vpc/v"))
        # A call that names no resource is authorised on `*`, which only `*` matches.
        self.assertFalse(arn_matches("arn:aws:ec2:*:*:*", "*"))
        self.assertFalse(arn_matches("arn:aws:iam::1:role/web-*-app", "arn:aws:iam::1:role/web-b-us-east-1-spark"))

    def test_not_action_and_not_resource(self):
        p = policy({"Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:aws:s3:::secret/*"})
        self.assertTrue(evaluate([p], Request("s3:GetObject", "arn:aws:s3:::open/x")))
        self.assertFalse(evaluate([p], Request("s3:GetObject", "arn:aws:s3:::secret/x")))
        self.assertFalse(evaluate([p], Request("iam:CreateRole", "arn:aws:s3:::open/x")))


class Conditions(unittest.TestCase):
    tag = {"StringEquals": {"aws:ResourceTag/clusterup:deployment": "web"}}

    def test_string_equals_on_a_tag_and_its_absence(self):
        p = policy(allow("ec2:DeleteVpc", "*", self.tag))
        self.assertTrue(evaluate([p], Request("ec2:DeleteVpc", "v", {"aws:ResourceTag/clusterup:deployment": "web"})))
        self.assertFalse(evaluate([p], Request("ec2:DeleteVpc", "v", {"aws:ResourceTag/clusterup:deployment": "web-b"})))
        self.assertFalse(evaluate([p], Request("ec2:DeleteVpc", "v", {})))

    def test_keys_are_case_insensitive_values_ored_conditions_anded(self):
        p = policy(allow("iam:PassRole", ROLE, {
            "StringEquals": {"iam:passedtoservice": ["ec2.amazonaws.com", "emr.amazonaws.com"]},
            "StringLike": {"aws:ResourceTag/Team": "b*"},
        }))
        ok = {"iam:PassedToService": "ec2.amazonaws.com", "aws:ResourceTag/Team": "bi"}
        self.assertTrue(evaluate([p], Request("iam:PassRole", ROLE, ok)))
        self.assertFalse(evaluate([p], Request("iam:PassRole", ROLE, {**ok, "aws:ResourceTag/Team": "ops"})))
        self.assertFalse(evaluate([p], Request("iam:PassRole", ROLE, {**ok, "iam:PassedToService": "lambda.amazonaws.com"})))

    def test_string_like_and_arn_like(self):
        p = policy(allow("iam:PassRole", "*", {"StringLike": {"iam:PassedToService": "application-autoscaling.amazonaws.com*"}}))
        self.assertTrue(evaluate([p], Request("iam:PassRole", ROLE, {"iam:PassedToService": "application-autoscaling.amazonaws.com"})))
        q = policy(allow("elasticfilesystem:ClientMount", "*", {"ArnLike": {"elasticfilesystem:AccessPointArn": "arn:aws:elasticfilesystem:*:1:access-point/fsap-1"}}))
        self.assertTrue(evaluate([q], Request("elasticfilesystem:ClientMount", "fs", {"elasticfilesystem:AccessPointArn": "arn:aws:elasticfilesystem:us-east-1:1:access-point/fsap-1"})))
        self.assertFalse(evaluate([q], Request("elasticfilesystem:ClientMount", "fs", {})))

    def test_negated_operators_null_if_exists_and_bool(self):
        p = policy(allow("s3:GetObject", "*", {"StringNotEquals": {"aws:ResourceTag/owner": "other"}}))
        self.assertTrue(evaluate([p], Request("s3:GetObject", "o", {})), "a missing key satisfies a negated operator")
        self.assertFalse(evaluate([p], Request("s3:GetObject", "o", {"aws:ResourceTag/owner": "other"})))
        n = policy(allow("s3:GetObject", "*", {"Null": {"aws:RequestTag/k": "false"}}))
        self.assertTrue(evaluate([n], Request("s3:GetObject", "o", {"aws:RequestTag/k": "v"})))
        self.assertFalse(evaluate([n], Request("s3:GetObject", "o", {})))
        e = policy(allow("s3:GetObject", "*", {"StringEqualsIfExists": {"aws:ResourceTag/k": "v"}}))
        self.assertTrue(evaluate([e], Request("s3:GetObject", "o", {})))
        self.assertFalse(evaluate([e], Request("s3:GetObject", "o", {"aws:ResourceTag/k": "w"})))
        b = policy(allow("s3:GetObject", "*", {"Bool": {"aws:SecureTransport": "true"}}))
        self.assertTrue(evaluate([b], Request("s3:GetObject", "o", {"aws:SecureTransport": "true"})))
        self.assertFalse(evaluate([b], Request("s3:GetObject", "o", {"aws:SecureTransport": "false"})))

    def test_for_any_and_for_all_values(self):
        any_ = policy(allow("ec2:CreateTags", "*", {"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}}))
        self.assertTrue(evaluate([any_], Request("ec2:CreateTags", "r", {"aws:TagKeys": ["a", "b"]})))
        all_ = policy(allow("ec2:CreateTags", "*", {"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}}))
        self.assertFalse(evaluate([all_], Request("ec2:CreateTags", "r", {"aws:TagKeys": ["a", "b"]})))
        self.assertTrue(evaluate([all_], Request("ec2:CreateTags", "r", {"aws:TagKeys": ["a"]})))


class Decisions(unittest.TestCase):
    def test_an_explicit_deny_wins_over_any_allow(self):
        p = policy(allow("s3:*", "*"), {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"})
        self.assertTrue(evaluate([p], Request("s3:GetObject", "o")))
        self.assertFalse(evaluate([p], Request("s3:DeleteObject", "o")))
        resource = policy({"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*",
                           "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
        self.assertFalse(evaluate([policy(allow("*", "*"))], Request("s3:GetObject", "o", {"aws:SecureTransport": "false"}, ROLE), [resource]))

    def test_nothing_allows_is_the_implicit_deny(self):
        self.assertFalse(evaluate([policy()], Request("s3:GetObject", "o")))

    def test_a_resource_policy_allows_its_principal_only(self):
        resource = policy({"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "elasticfilesystem:ClientMount", "Resource": "*"})
        self.assertTrue(evaluate([], Request("elasticfilesystem:ClientMount", "fs", {}, ROLE), [resource]))
        other = "arn:aws:iam::123456789012:role/web-b-us-east-1-app"
        self.assertFalse(evaluate([], Request("elasticfilesystem:ClientMount", "fs", {}, other), [resource]))

    def test_a_boundary_limits_what_the_identity_policy_allows(self):
        identity = policy(allow("s3:*", "*"))
        boundary = policy(allow("s3:GetObject", "*"))
        self.assertTrue(evaluate([identity], Request("s3:GetObject", "o"), boundaries=[boundary]))
        self.assertFalse(evaluate([identity], Request("s3:PutObject", "o"), boundaries=[boundary]))


if __name__ == "__main__":
    unittest.main()
