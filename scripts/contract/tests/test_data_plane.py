"""data_plane.py allows each role what its deployment's nodes and steps do, denies the neighbour's, and
fails on planted defects: a missing action, a `*` resource, a missing condition."""

import copy
import unittest

import data_plane

D = "web"
BUCKET = f"clusterup-{D}-123456789012-us-east-1"
DB = "arn:aws:rds:us-east-1:123456789012:db:web-db"
FS = "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-0a0a0a0a"
AP = "arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-0a0a0a0a0a0a"
ZONE = "Z0A0A0A0A0A0A0A0A0A0A"

# As src/compose/policies.rs writes them for deployment `web`.
AGENT = {"Sid": "SystemsManagerAgent", "Effect": "Allow", "Resource": "*", "Action": [
    "ec2messages:AcknowledgeMessage", "ec2messages:DeleteMessage", "ec2messages:FailMessage", "ec2messages:GetEndpoint",
    "ec2messages:GetMessages", "ec2messages:SendReply", "ssm:DescribeAssociation", "ssm:DescribeDocument",
    "ssm:GetDeployablePatchSnapshotForInstance", "ssm:GetDocument", "ssm:GetManifest", "ssm:ListAssociations",
    "ssm:ListInstanceAssociations", "ssm:PutComplianceItems", "ssm:PutConfigurePackageResult", "ssm:PutInventory",
    "ssm:UpdateAssociationStatus", "ssm:UpdateInstanceAssociationStatus", "ssm:UpdateInstanceInformation",
    "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel"]}
APP = {"Version": "2012-10-17", "Statement": [
    AGENT,
    {"Sid": "ReadDatabaseSecret", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
     "Resource": "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-*",
     "Condition": {"StringEquals": {"aws:ResourceTag/aws:rds:primaryDBInstanceArn": DB}}},
    {"Sid": "MountSharedData", "Effect": "Allow", "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
     "Resource": FS, "Condition": {"StringEquals": {"elasticfilesystem:AccessPointArn": AP}}},
    {"Sid": "ShipLogs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
     "Resource": f"arn:aws:logs:us-east-1:123456789012:log-group:/clusterup/{D}/*"},
    {"Sid": "KeepGroupRecords", "Effect": "Allow", "Action": "route53:ChangeResourceRecordSets",
     "Resource": f"arn:aws:route53:::hostedzone/{ZONE}",
     "Condition": {"ForAllValues:StringEquals": {
         "route53:ChangeResourceRecordSetsNormalizedRecordNames": [f"app.{D}.internal", f"api.{D}.internal"],
         "route53:ChangeResourceRecordSetsRecordTypes": ["A"],
         "route53:ChangeResourceRecordSetsActions": ["UPSERT"]}}},
]}
NODE = {"Version": "2012-10-17", "Statement": [
    {"Sid": "ReadBootstrap", "Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/bootstrap/*"},
    {"Sid": "ReadJobs", "Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/jobs/*"},
    {"Sid": "WriteLogs", "Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{BUCKET}/logs/*"},
    APP["Statement"][2],
    AGENT,
]}
SERVICE = {"Version": "2012-10-17", "Statement": [
    {"Sid": "PassNodeRole", "Effect": "Allow", "Action": "iam:PassRole",
     "Resource": f"arn:aws:iam::123456789012:role/{D}-us-east-1-spark-node",
     "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}},
    {"Sid": "ManageOwnNodesAndGroups", "Effect": "Allow", "Action": "ec2:TerminateInstances", "Resource": "*",
     "Condition": {"StringEquals": {"aws:ResourceTag/clusterup:deployment": D}}},
]}


def deployment(app=APP, node=NODE, service=SERVICE, fs_policy=None):
    d = data_plane.Deployment(D, "aws", "us-east-1", "123456789012")
    d.role_policies = {f"{D}-us-east-1-app": copy.deepcopy(app), f"{D}-us-east-1-spark-node": copy.deepcopy(node),
                       f"{D}-us-east-1-spark-service": copy.deepcopy(service)}
    d.database, d.bucket, d.keys = "web-db", BUCKET, ["bootstrap/clusterup-node.sh", "jobs/20261201-0001/job.py"]
    d.file_system, d.access_point = "fs-0a0a0a0a", "fsap-0a0a0a0a0a0a"
    d.log_groups = [f"/clusterup/{D}/app"]
    d.zone = ZONE
    if fs_policy:
        d.file_system_policies = {"fs-0a0a0a0a": fs_policy}
    return d


def failures(d):
    return data_plane.check(d)[0]


def without(policy, sid):
    p = copy.deepcopy(policy)
    p["Statement"] = [s for s in p["Statement"] if s["Sid"] != sid]
    return p


def edit(policy, sid, **changes):
    p = copy.deepcopy(policy)
    for s in p["Statement"]:
        if s["Sid"] == sid:
            for key, value in changes.items():
                if value is None:
                    s.pop(key, None)
                else:
                    s[key] = value
    return p


class DataPlane(unittest.TestCase):
    def test_each_role_has_what_its_nodes_do_and_nothing_of_the_neighbours(self):
        found, lines = data_plane.check(deployment())
        self.assertEqual(found, [])
        self.assertTrue(any("a Spark step reads its job" in l and "(own)" in l and "allowed" in l for l in lines), lines)
        self.assertTrue(any("neighbour web-b" in l and "denied" in l for l in lines), lines)

    def test_nodes_without_the_agents_permissions_fail(self):
        found = failures(deployment(app=without(APP, "SystemsManagerAgent")))
        self.assertTrue(any("app nodes register with Systems Manager" in f and "UpdateInstanceInformation" in f
                            for f in found), found)
        found = failures(deployment(node=without(NODE, "SystemsManagerAgent")))
        self.assertTrue(any("Spark nodes register with Systems Manager" in f for f in found), found)

    def test_the_nodes_ship_logs_to_their_own_log_groups_only(self):
        found, lines = data_plane.check(deployment())
        self.assertTrue(any("ship their log events (own)" in l and "allowed" in l for l in lines), lines)
        self.assertTrue(any("ship their log events (neighbour web-b)" in l and "denied" in l for l in lines), lines)
        # A prefix without its trailing `/` also covers `web-b`'s log groups.
        loose = edit(APP, "ShipLogs", Resource="arn:aws:logs:us-east-1:123456789012:log-group:/clusterup/web*")
        found = failures(deployment(app=loose))
        self.assertTrue(any("ship their log events (neighbour web-b)" in f for f in found), found)
        # More than the agent needs: the node could delete its own record.
        wide = edit(APP, "ShipLogs", Action="logs:*")
        found = failures(deployment(app=wide))
        self.assertTrue(any("DeleteLogGroup their own log group" in f for f in found), found)
        found = failures(deployment(app=without(APP, "ShipLogs")))
        self.assertTrue(any("create their log stream (own)" in f for f in found), found)

    def test_the_nodes_upsert_their_groups_a_record_in_their_zone_only(self):
        found, lines = data_plane.check(deployment())
        self.assertEqual(found, [])
        self.assertTrue(any("point their group's name at its nodes (own)" in l and "allowed" in l for l in lines), lines)
        self.assertTrue(any("point their group's name at its nodes (neighbour web-b)" in l and "denied" in l
                            for l in lines), lines)
        # Any zone of the account: the neighbour's zone and names are reachable.
        found = failures(deployment(app=edit(APP, "KeepGroupRecords", Resource="arn:aws:route53:::hostedzone/*",
                                             Condition=None)))
        self.assertTrue(any("(neighbour web-b)" in f and "ChangeResourceRecordSets" in f for f in found), found)
        # A name pattern instead of the group names: the neighbour's `app.web-b.internal` is not covered by
        # `*.web.internal`, but a DELETE is allowed without the actions key.
        loose = {"ForAllValues:StringLike": {"route53:ChangeResourceRecordSetsNormalizedRecordNames": [f"*.{D}.internal"]}}
        found = failures(deployment(app=edit(APP, "KeepGroupRecords", Condition=loose)))
        self.assertTrue(any("a DELETE of their own record" in f for f in found), found)
        self.assertTrue(any("a TXT record" in f for f in found), found)
        # ForAnyValue lets one allowed name carry a neighbour's name in the same request.
        any_value = copy.deepcopy(APP["Statement"][-1]["Condition"]["ForAllValues:StringEquals"])
        found = failures(deployment(app=edit(APP, "KeepGroupRecords", Condition={"ForAnyValue:StringEquals": any_value})))
        self.assertTrue(any("their own record and the neighbour's at once" in f for f in found), found)
        found = failures(deployment(app=without(APP, "KeepGroupRecords")))
        self.assertTrue(any("point their group's name at its nodes (own)" in f for f in found), found)

    def test_a_missing_action_fails(self):
        found = failures(deployment(node=without(NODE, "ReadJobs")))
        self.assertTrue(any("a Spark step reads its job" in f and "(own)" in f for f in found), found)

    def test_a_star_resource_fails(self):
        found = failures(deployment(node=edit(NODE, "ReadJobs", Resource="*")))
        self.assertTrue(any("neighbour web-b" in f and "jobs" in f for f in found), found)

    def test_a_missing_access_point_condition_fails(self):
        found = failures(deployment(app=edit(APP, "MountSharedData", Condition=None)))
        self.assertTrue(any("without its access point" in f for f in found), found)

    def test_a_missing_secret_tag_condition_fails(self):
        found = failures(deployment(app=edit(APP, "ReadDatabaseSecret", Condition=None)))
        self.assertTrue(any("database secret (neighbour web-b)" in f for f in found), found)

    def test_a_file_system_policy_is_evaluated_with_the_role_policy(self):
        deny_plain = {"Version": "2012-10-17", "Statement": [
            {"Sid": "DenyPlaintext", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "*", "Resource": FS,
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            {"Sid": "MountThroughAccessPoint", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::123456789012:role/{D}-us-east-1-app"},
             "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"], "Resource": FS,
             "Condition": {"StringEquals": {"elasticfilesystem:AccessPointArn": AP}}},
        ]}
        self.assertEqual(failures(deployment(fs_policy=deny_plain)), [])
        # A file-system policy that lets every principal mount without the access point is a defect.
        open_ = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "elasticfilesystem:ClientMount", "Resource": FS}]}
        found = failures(deployment(fs_policy=open_))
        self.assertTrue(any("without its access point" in f for f in found), found)

    def test_the_disk_encryption_key_is_used_by_the_nodes_and_granted_to_ebs_only(self):
        key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        use = {"Sid": "UseDiskKey", "Effect": "Allow", "Resource": key,
               "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]}
        grant = {"Sid": "GrantDiskKeyToEbs", "Effect": "Allow", "Resource": key,
                 "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                 "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}}
        node = {**NODE, "Statement": NODE["Statement"] + [use]}
        service = {**SERVICE, "Statement": SERVICE["Statement"] + [grant, use]}

        def with_key(node=node, service=service):
            d = deployment(node=node, service=service)
            d.disk_key = key
            return d

        found, lines = data_plane.check(with_key())
        self.assertEqual(found, [])
        self.assertTrue(any("disk encryption key (neighbour web-b)" in l and "denied" in l for l in lines), lines)
        found = failures(with_key(node=without(node, "UseDiskKey")))
        self.assertTrue(any("Spark nodes GenerateDataKey" in f and "(own)" in f for f in found), found)
        found = failures(with_key(node=edit(node, "UseDiskKey", Resource="*")))
        self.assertTrue(any("disk encryption key (neighbour web-b)" in f for f in found), found)
        found = failures(with_key(service=edit(service, "GrantDiskKeyToEbs", Condition=None)))
        self.assertTrue(any("anything but an AWS resource" in f for f in found), found)

    def test_the_in_transit_certificates_are_read_by_the_nodes_and_only_that_zip(self):
        zip_arn = "arn:aws:s3:::my-certs/emr/certificates.zip"
        read = {"Sid": "ReadTransitCertificates", "Effect": "Allow", "Action": "s3:GetObject", "Resource": zip_arn}
        node = {**NODE, "Statement": NODE["Statement"] + [read]}

        def with_zip(node=node):
            d = deployment(node=node)
            d.certificates = "s3://my-certs/emr/certificates.zip"
            return d

        self.assertEqual(failures(with_zip()), [])
        found = failures(with_zip(node=without(node, "ReadTransitCertificates")))
        self.assertTrue(any("in-transit certificates (own)" in f for f in found), found)
        found = failures(with_zip(node=edit(node, "ReadTransitCertificates", Resource="arn:aws:s3:::my-certs/*")))
        self.assertTrue(any("in-transit certificates (neighbour web-b)" in f for f in found), found)


if __name__ == "__main__":
    unittest.main()
