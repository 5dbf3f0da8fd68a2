"""authorize.py allows a deployment's own requests under its operator policy, denies the same requests
in a neighbour's name, and fails on planted defects: a missing action, a `*` resource, a missing
condition, a role passed to any service.

The policy is docs/iam-policy.json: what `clusterup iam-policy` prints for examples/smarten-spark.yaml
(deployment smarten-spark, account 123456789012; a Rust test keeps it current).
"""

import json
import os
import unittest

import authorize
from tests.test_check_requests import request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
D = "smarten-spark"
TAGS = [{"Key": "clusterup:deployment", "Value": D}, {"Key": "Name", "Value": f"{D}-x"}]
ENV = authorize.Env("aws", "us-east-1", "123456789012", D)
LISTENER = f"arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/{D}-alb/50dc6c495c0c9188/f2f7dc8efc522ab2"
ZONE = "Z0A0A0A0A0A0A0A0A0A0A"
RULE = LISTENER.replace(":listener/", ":listener-rule/") + "/9683b2d02a6cabee"


def policy():
    with open(os.path.join(ROOT, "docs", "iam-policy.json"), encoding="utf-8") as f:
        return json.load(f)


def lifecycle():
    """A few requests of each kind of scope: a tagged create, a change by tag, names, a role passed."""
    return [
        request("ec2", "CreateVpc", {"CidrBlock": "10.0.0.0/16", "TagSpecifications": [{"ResourceType": "vpc", "Tags": TAGS}]}),
        request("ec2", "CreateSubnet", {"VpcId": "vpc-0a1", "CidrBlock": "10.0.1.0/24",
                                        "TagSpecifications": [{"ResourceType": "subnet", "Tags": TAGS}]}),
        request("ec2", "DeleteVpc", {"VpcId": "vpc-0a1"}),
        request("ec2", "DescribeVpcs", {"Filters": [{"Name": "tag:clusterup:deployment", "Values": [D]}]}),
        request("elbv2", "ModifyListener", {"ListenerArn": LISTENER}),
        request("elbv2", "CreateRule", {"ListenerArn": LISTENER, "Priority": 1, "Tags": TAGS,
                                        "Conditions": [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/*"]}}],
                                        "Actions": [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "503"}}]}),
        request("elbv2", "SetRulePriorities", {"RulePriorities": [{"RuleArn": RULE, "Priority": 2}]}),
        request("elbv2", "DeleteRule", {"RuleArn": RULE}),
        request("iam", "CreateRole", {"RoleName": f"{D}-us-east-1-app", "AssumeRolePolicyDocument": "{}", "Tags": TAGS}),
        request("iam", "PutRolePolicy", {"RoleName": f"{D}-us-east-1-app", "PolicyName": "clusterup-app", "PolicyDocument": "{}"}),
        request("iam", "AddRoleToInstanceProfile", {"InstanceProfileName": f"{D}-us-east-1-app", "RoleName": f"{D}-us-east-1-app"}),
        request("s3", "PutObject", {"Bucket": f"clusterup-{D}-123456789012-us-east-1", "Key": "jobs/1/job.py", "Body": b"x"}),
        request("emr", "TerminateJobFlows", {"JobFlowIds": ["j-1ABC"]}),
        request("route53", "CreateHostedZone", {"Name": f"{D}.internal", "CallerReference": f"clusterup/{D}/us-east-1/vpc-0a1/0",
                                                "VPC": {"VPCId": "vpc-0a1", "VPCRegion": "us-east-1"},
                                                "HostedZoneConfig": {"PrivateZone": True}}),
        request("route53", "ChangeTagsForResource", {"ResourceType": "hostedzone", "ResourceId": ZONE,
                                                     "AddTags": TAGS}),
        request("route53", "ChangeResourceRecordSets", {"HostedZoneId": ZONE, "ChangeBatch": {"Changes": [
            {"Action": "DELETE", "ResourceRecordSet": {"Name": f"web.{D}.internal.", "Type": "A", "TTL": 10,
                                                       "ResourceRecords": [{"Value": "10.0.1.5"}]}}]}}),
        request("route53", "DeleteHostedZone", {"Id": ZONE}),
    ]


def run(p, requests=None):
    own, theirs, failures = authorize.all_checks(requests or lifecycle(), ENV)
    findings, counts = authorize.evaluate(p, own, theirs)
    return failures + authorize.lint(p, D) + findings, counts


def statement(p, sid):
    return next(s for s in p["Statement"] if s["Sid"] == sid)


class Lifecycle(unittest.TestCase):
    def test_the_generated_policy_allows_its_deployment_and_denies_the_neighbour(self):
        findings, counts = run(policy())
        self.assertEqual(findings, [])
        self.assertGreater(counts["allowed"], 10)
        self.assertEqual(counts["denied"], 0)
        # Every request but the Describe, the hosted zone's creation (no resource type) and the calls on the
        # zone itself (shared: Route 53 has no tag keys) names the deployment, and is denied to
        # smarten-spark-b: its record changes too, by their names.
        self.assertEqual(counts["neighbour denied"], len(lifecycle()) - 4)
        self.assertEqual(counts["neighbour account-wide"], 3)
        self.assertEqual(counts["neighbour unscopable"], 1)

    def test_checks_carry_the_arn_and_the_condition_keys_of_the_request(self):
        own, _, _ = authorize.all_checks(lifecycle()[:2], ENV)
        subnet = [c for c in own if c.action == "ec2:CreateSubnet"]
        by_resource = {c.resource: c.context for c in subnet}
        vpc = "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-0a1"
        self.assertEqual(by_resource[vpc]["aws:ResourceTag/clusterup:deployment"], D)
        new = next(r for r in by_resource if ":subnet/" in r)
        self.assertNotIn("aws:ResourceTag/clusterup:deployment", by_resource[new])
        self.assertEqual(by_resource[new]["aws:RequestTag/clusterup:deployment"], D)
        rule_tags = [c for c in authorize.all_checks(lifecycle()[5:6], ENV)[0] if c.action == "elasticloadbalancing:AddTags"]
        self.assertEqual([(c.resource, c.context["elasticloadbalancing:CreateAction"]) for c in rule_tags],
                         [(RULE.rsplit("/", 1)[0] + "/new-or-unnamed", "CreateRule")])
        tags = [c for c in own if c.action == "ec2:CreateTags"]
        self.assertTrue(tags and all(c.context["ec2:CreateAction"] in ("CreateVpc", "CreateSubnet") for c in tags))

    def test_an_unscopable_request_is_counted_apart_not_allowed_as_a_neighbours(self):
        config = request("emr", "DeleteSecurityConfiguration", {"Name": f"clusterup-{D}-spark"})
        findings, counts = run(policy(), [config])
        self.assertEqual(findings, [])
        self.assertEqual(counts["denied"], 0)
        self.assertEqual(counts["neighbour denied"], 0)
        self.assertEqual(counts["neighbour unscopable"], 1)

    def test_an_operation_whose_resource_cannot_be_named_fails_loudly(self):
        req = request("ec2", "DeleteNetworkAcl", {"NetworkAclId": "acl-1"})
        _, _, failures = authorize.all_checks([req], ENV)
        self.assertTrue(any("ec2:DeleteNetworkAcl" in f for f in failures), failures)


class PlantedDefects(unittest.TestCase):
    def test_a_missing_action_fails_naming_it(self):
        p = policy()
        s = statement(p, "Ec2ChangeOwn")
        s["Action"] = [a for a in s["Action"] if a != "ec2:DeleteVpc"]
        findings, _ = run(p)
        self.assertTrue(any(f.startswith("DENIED ec2:DeleteVpc on arn:aws:ec2:us-east-1:123456789012:vpc/vpc-0a1") for f in findings), findings)

    def test_a_star_resource_fails(self):
        p = policy()
        s = statement(p, "LoadBalancerChangeOwn")
        s["Resource"] = "*"
        del s["Condition"]
        findings, _ = run(p)
        self.assertTrue(any("NEIGHBOUR ALLOWED" in f and "ModifyListener" in f for f in findings), findings)
        self.assertTrue(any(f.startswith("LoadBalancerChangeOwn") and 'Resource "*"' in f for f in findings), findings)

    def test_a_star_resource_on_an_iam_write_fails(self):
        p = policy()
        statement(p, "IamRolePermissions")["Resource"] = "*"
        findings, _ = run(p)
        self.assertTrue(any("iam:PutRolePolicy on Resource \"*\"" in f for f in findings), findings)

    def test_a_missing_tag_condition_fails(self):
        p = policy()
        del statement(p, "Ec2ChangeOwn")["Condition"]
        findings, _ = run(p)
        self.assertTrue(any("NEIGHBOUR ALLOWED" in f and "ec2:DeleteVpc" in f for f in findings), findings)
        self.assertTrue(any(f.startswith("Ec2ChangeOwn") and "scoped neither" in f for f in findings), findings)

    def test_a_missing_request_tag_condition_fails(self):
        p = policy()
        del statement(p, "Ec2CreateVpcTagged")["Condition"]
        findings, _ = run(p)
        self.assertTrue(any(f.startswith("Ec2CreateVpcTagged") for f in findings), findings)

    def test_a_role_passed_to_any_service_fails(self):
        p = policy()
        del statement(p, "PassRoleApp")["Condition"]
        findings, _ = run(p)
        self.assertTrue(any("PassRoleApp: iam:PassRole without iam:PassedToService" in f for f in findings), findings)

    def test_a_scopable_action_in_the_unscopable_statement_fails(self):
        p = policy()
        statement(p, "SparkSecurityConfigurations")["Action"].append("elasticmapreduce:TerminateJobFlows")
        findings, _ = run(p)
        self.assertTrue(any(f.startswith("SparkSecurityConfigurations: an unscopable statement") and
                            "TerminateJobFlows (cluster)" in f for f in findings), findings)

    def test_record_changes_without_their_names_condition_fail(self):
        # The zone calls are shared (Route 53 has no tag keys); the record changes are scoped by name.
        _, counts = run(policy())
        p = policy()
        del statement(p, "HostedZoneRecordsOwn")["Condition"]
        findings, _ = run(p)
        self.assertTrue(any("NEIGHBOUR ALLOWED" in f and "ChangeResourceRecordSets" in f for f in findings), findings)
        self.assertTrue(any(f.startswith("HostedZoneRecordsOwn") and "scoped neither" in f for f in findings), findings)
        # A pattern that also covers the neighbour's names (`*.smarten-spark-b.internal` ends with it too).
        p = policy()
        statement(p, "HostedZoneRecordsOwn")["Condition"] = {
            "ForAllValues:StringLike": {"route53:ChangeResourceRecordSetsNormalizedRecordNames": ["*internal"]}}
        findings, _ = run(p)
        self.assertTrue(any("NEIGHBOUR ALLOWED" in f and "ChangeResourceRecordSets" in f for f in findings), findings)

    def test_a_create_without_the_deployment_tag_is_denied(self):
        untagged = [request("ec2", "CreateVpc", {"CidrBlock": "10.0.0.0/16"})]
        findings, _ = run(policy(), untagged)
        self.assertTrue(any(f.startswith("DENIED ec2:CreateVpc") for f in findings), findings)


if __name__ == "__main__":
    unittest.main()
