"""Tests of the emulator launcher's patches (scripts/emulator/moto_server.py), through boto3 as a client.

    .venv/bin/python scripts/emulator/test_moto_server.py

starts the launcher on a free port and checks each restored AWS behaviour; the process exits non-zero
when one fails. EMULATOR_TEST_ENDPOINT=http://127.0.0.1:PORT runs the same checks against a server
that is already running instead, e.g. plain `moto_server`, on which the patched tests fail.
"""

import base64
import math
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request
import uuid

import boto3
import botocore.config
import botocore.exceptions

HERE = os.path.dirname(os.path.abspath(__file__))
LAUNCHER = os.path.join(HERE, "moto_server.py")
REGION = "us-east-1"

_server = None
_log = None
endpoint = os.environ.get("EMULATOR_TEST_ENDPOINT", "")


def setUpModule():
    global _server, _log, endpoint
    if endpoint:
        return
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _log = tempfile.TemporaryFile()
    _server = subprocess.Popen(
        [sys.executable, LAUNCHER, "-H", "127.0.0.1", "-p", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=_log,
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        if _server.poll() is not None:
            _log.seek(0)
            raise RuntimeError(f"the launcher exited with {_server.returncode}:\n{_log.read().decode()}")
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the launcher did not answer on {endpoint} within 30 s")
            time.sleep(0.2)


def tearDownModule():
    if _server is not None:
        _server.terminate()
        _server.wait(timeout=10)


def client(service, config=None):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=config,
    )


def b64(text):
    return base64.b64encode(text.encode()).decode()


class SsmSendCommandToItsInstances(unittest.TestCase):
    """SendCommand with InstanceIds runs on those instances, not on every instance of the region."""

    def test_a_command_sent_to_one_instance_has_that_instance_only(self):
        ec2 = client("ec2")
        ssm = client("ssm")
        image = ec2.describe_images()["Images"][0]["ImageId"]
        ids = [i["InstanceId"] for i in ec2.run_instances(ImageId=image, MinCount=2, MaxCount=2)["Instances"]]
        command = ssm.send_command(
            InstanceIds=ids[:1], DocumentName="AWS-RunShellScript", Parameters={"commands": ["uptime"]}
        )["Command"]
        self.assertEqual(command["InstanceIds"], ids[:1])
        listed = ssm.list_commands(CommandId=command["CommandId"])["Commands"]
        self.assertEqual(listed[0]["InstanceIds"], ids[:1])
        self.assertEqual(ssm.get_command_invocation(CommandId=command["CommandId"], InstanceId=ids[0])["Status"], "Success")
        with self.assertRaises(botocore.exceptions.ClientError) as other:
            ssm.get_command_invocation(CommandId=command["CommandId"], InstanceId=ids[1])
        self.assertEqual(other.exception.response["Error"]["Code"], "InvocationDoesNotExist")
        ec2.terminate_instances(InstanceIds=ids)


class LaunchTemplateVersionUserData(unittest.TestCase):
    """restore_launch_template_version_user_data"""

    def setUp(self):
        self.ec2 = client("ec2")
        self.image = self.ec2.describe_images()["Images"][0]["ImageId"]
        created = self.ec2.create_launch_template(
            LaunchTemplateName=f"patch-test-{uuid.uuid4().hex[:8]}",
            LaunchTemplateData={"ImageId": self.image, "InstanceType": "t3.micro", "UserData": b64("echo v1\n")},
        )
        self.template = created["LaunchTemplate"]["LaunchTemplateId"]

    def test_auto_scaling_launches_from_a_new_version_with_its_user_data(self):
        user_data = "#!/bin/bash\necho 'version 2' > /etc/motd\n"
        version = self.ec2.create_launch_template_version(
            LaunchTemplateId=self.template,
            LaunchTemplateData={"ImageId": self.image, "InstanceType": "t3.small", "UserData": b64(user_data)},
        )["LaunchTemplateVersion"]["VersionNumber"]
        self.assertEqual(version, 2)

        described = self.ec2.describe_launch_template_versions(LaunchTemplateId=self.template, Versions=["2"])
        data = described["LaunchTemplateVersions"][0]["LaunchTemplateData"]
        self.assertEqual(base64.b64decode(data["UserData"]).decode(), user_data)

        # Auto Scaling launches from the version (clusterup's app nodes do). Unpatched, this answers an
        # empty 500: an AssertionError inside the emulator.
        autoscaling = client("autoscaling")
        group = f"patch-test-{uuid.uuid4().hex[:8]}"
        autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=group,
            LaunchTemplate={"LaunchTemplateId": self.template, "Version": "2"},
            MinSize=1,
            MaxSize=1,
            DesiredCapacity=1,
            AvailabilityZones=[f"{REGION}a"],
        )
        groups = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[group])["AutoScalingGroups"]
        instances = [i["InstanceId"] for i in groups[0]["Instances"]]
        self.assertEqual(len(instances), 1)
        described = self.ec2.describe_instances(InstanceIds=instances)["Reservations"][0]["Instances"][0]
        self.assertEqual(described["InstanceType"], "t3.small")
        attribute = self.ec2.describe_instance_attribute(InstanceId=instances[0], Attribute="userData")
        self.assertEqual(base64.b64decode(attribute["UserData"]["Value"]).decode(), user_data)

    def test_a_version_with_user_data_that_is_not_base64_is_refused_as_for_a_new_template(self):
        with self.assertRaises(botocore.exceptions.ClientError) as refused:
            self.ec2.create_launch_template(
                LaunchTemplateName=f"patch-test-{uuid.uuid4().hex[:8]}",
                LaunchTemplateData={"ImageId": self.image, "UserData": "not base64!"},
            )
        code = refused.exception.response["Error"]["Code"]
        with self.assertRaises(botocore.exceptions.ClientError) as also_refused:
            self.ec2.create_launch_template_version(
                LaunchTemplateId=self.template, LaunchTemplateData={"ImageId": self.image, "UserData": "not base64!"}
            )
        self.assertEqual(also_refused.exception.response["Error"]["Code"], code)


class EmrTerminationTerminatesInstances(unittest.TestCase):
    """restore_emr_instance_termination"""

    def setUp(self):
        self.emr = client("emr")
        self.ec2 = client("ec2")

    def start_cluster(self):
        groups = [
            {"InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1, "Market": "ON_DEMAND"},
            {"InstanceRole": "CORE", "InstanceType": "m5.xlarge", "InstanceCount": 2, "Market": "ON_DEMAND"},
        ]
        cluster = self.emr.run_job_flow(
            Name=f"patch-test-{uuid.uuid4().hex[:8]}",
            ReleaseLabel="emr-7.5.0",
            Applications=[{"Name": "Spark"}],
            Instances={"InstanceGroups": groups, "KeepJobFlowAliveWhenNoSteps": True},
            JobFlowRole="EMR_EC2_DefaultRole",
            ServiceRole="EMR_DefaultRole",
        )["JobFlowId"]
        instances = [i["Ec2InstanceId"] for i in self.emr.list_instances(ClusterId=cluster)["Instances"]]
        self.assertEqual(len(instances), 3)
        return cluster, instances

    def states(self, instances):
        described = self.ec2.describe_instances(InstanceIds=instances)
        return {i["InstanceId"]: i["State"]["Name"] for r in described["Reservations"] for i in r["Instances"]}

    def test_terminate_job_flows_terminates_the_clusters_instances_and_only_those(self):
        cluster, instances = self.start_cluster()
        _, others = self.start_cluster()
        self.assertEqual(set(self.states(instances).values()), {"running"})

        self.emr.terminate_job_flows(JobFlowIds=[cluster])

        state = self.emr.describe_cluster(ClusterId=cluster)["Cluster"]["Status"]["State"]
        self.assertEqual(state, "TERMINATED")
        # Unpatched, they keep running.
        self.assertEqual(self.states(instances), {i: "terminated" for i in instances})
        self.assertEqual(self.states(others), {i: "running" for i in others})

    def test_a_termination_protected_cluster_keeps_its_instances(self):
        cluster, instances = self.start_cluster()
        self.emr.set_termination_protection(JobFlowIds=[cluster], TerminationProtected=True)
        with self.assertRaises(botocore.exceptions.ClientError):
            self.emr.terminate_job_flows(JobFlowIds=[cluster])
        self.assertEqual(self.states(instances), {i: "running" for i in instances})


def error_of(call, *args, **kwargs):
    """The (HTTP status, error code, message) a call is refused with; fails the test if it is not refused."""
    try:
        call(*args, **kwargs)
    except botocore.exceptions.ClientError as refused:
        error = refused.response["Error"]
        return refused.response["ResponseMetadata"]["HTTPStatusCode"], error["Code"], error.get("Message", "")
    raise AssertionError(f"{call.__name__} was not refused")

class EfsDeleteFileSystemPolicy(unittest.TestCase):
    """restore_efs_delete_file_system_policy"""

    def setUp(self):
        self.efs = client("efs")
        self.fs = self.efs.create_file_system(CreationToken=f"patch-test-{uuid.uuid4().hex[:8]}")["FileSystemId"]

    def test_the_policy_goes_and_describe_then_finds_none(self):
        policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"*"}]}'
        self.efs.put_file_system_policy(FileSystemId=self.fs, Policy=policy)
        # Unpatched, a 500.
        self.efs.delete_file_system_policy(FileSystemId=self.fs)
        status, code, _ = error_of(self.efs.describe_file_system_policy, FileSystemId=self.fs)
        self.assertEqual((status, code), (404, "PolicyNotFound"))
        # Without a policy it succeeds again, as on AWS.
        self.efs.delete_file_system_policy(FileSystemId=self.fs)

    def test_a_file_system_that_does_not_exist_is_not_found(self):
        status, code, _ = error_of(self.efs.delete_file_system_policy, FileSystemId="fs-0123456789abcdef0")
        self.assertEqual((status, code), (404, "FileSystemNotFound"))


class LoadBalancerDeletionProtection(unittest.TestCase):
    """restore_load_balancer_deletion_protection"""

    def setUp(self):
        self.ec2 = client("ec2")
        self.elb = client("elbv2")
        vpc = self.ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            self.ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"{REGION}{zone}")[
                "Subnet"
            ]["SubnetId"]
            for i, zone in enumerate("ab")
        ]
        name = f"protected-{uuid.uuid4().hex[:8]}"
        self.arn = self.elb.create_load_balancer(Name=name, Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]

    def protect(self, on):
        self.elb.modify_load_balancer_attributes(
            LoadBalancerArn=self.arn,
            Attributes=[{"Key": "deletion_protection.enabled", "Value": "true" if on else "false"}],
        )

    def exists(self):
        return any(lb["LoadBalancerArn"] == self.arn for lb in self.elb.describe_load_balancers()["LoadBalancers"])

    def test_a_protected_load_balancer_is_not_deleted_until_the_protection_is_off(self):
        self.protect(True)
        status, code, message = error_of(self.elb.delete_load_balancer, LoadBalancerArn=self.arn)
        # Unpatched, the load balancer is deleted.
        self.assertEqual((status, code), (400, "OperationNotPermitted"), message)
        self.assertTrue(self.exists())
        self.protect(False)
        self.elb.delete_load_balancer(LoadBalancerArn=self.arn)
        self.assertFalse(self.exists())

    def test_an_unprotected_or_missing_load_balancer_deletes_as_before(self):
        self.elb.delete_load_balancer(LoadBalancerArn=self.arn)
        self.assertFalse(self.exists())
        self.elb.delete_load_balancer(LoadBalancerArn=self.arn)



class AutoScalingGroupFixture(unittest.TestCase):
    """A VPC subnet, a target group, and a launch template with versions 1 (t3.micro) and 2 (t3.small)."""

    def setUp(self):
        self.ec2 = client("ec2")
        self.elbv2 = client("elbv2")
        # Plain moto answers the refresh calls with a 500; do not retry those for a minute.
        self.autoscaling = client("autoscaling", botocore.config.Config(retries={"max_attempts": 1}))
        self.image = self.ec2.describe_images()["Images"][0]["ImageId"]
        vpc = self.ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        self.subnet = self.ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24", AvailabilityZone=f"{REGION}a")[
            "Subnet"
        ]["SubnetId"]
        self.target_group = self.elbv2.create_target_group(
            Name=f"pt-{uuid.uuid4().hex[:8]}", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="instance"
        )["TargetGroups"][0]["TargetGroupArn"]
        self.template = self.ec2.create_launch_template(
            LaunchTemplateName=f"patch-test-{uuid.uuid4().hex[:8]}",
            LaunchTemplateData={"ImageId": self.image, "InstanceType": "t3.micro"},
        )["LaunchTemplate"]["LaunchTemplateId"]
        self.ec2.create_launch_template_version(
            LaunchTemplateId=self.template, LaunchTemplateData={"ImageId": self.image, "InstanceType": "t3.small"}
        )
        self.group = f"patch-test-{uuid.uuid4().hex[:8]}"

    def create_group(self, version, capacity=4):
        template = {"LaunchTemplateId": self.template}
        if version is not None:
            template["Version"] = version
        self.autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=self.group,
            LaunchTemplate=template,
            MinSize=1,
            MaxSize=capacity * 2,
            DesiredCapacity=capacity,
            VPCZoneIdentifier=self.subnet,
            TargetGroupARNs=[self.target_group],
        )

    def described_group(self):
        return self.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[self.group])["AutoScalingGroups"][0]

    def instance_versions(self):
        """{instance id: launch template version} as DescribeAutoScalingGroups reports them."""
        return {i["InstanceId"]: i["LaunchTemplate"]["Version"] for i in self.described_group()["Instances"]}

    def healthy_targets(self):
        health = self.elbv2.describe_target_health(TargetGroupArn=self.target_group)["TargetHealthDescriptions"]
        return {t["Target"]["Id"] for t in health if t["TargetHealth"]["State"] == "healthy"}

    def ec2_states(self, instance_ids):
        described = self.ec2.describe_instances(InstanceIds=list(instance_ids))["Reservations"]
        return {i["InstanceId"]: i["State"]["Name"] for r in described for i in r["Instances"]}


class InstanceLaunchTemplateVersions(AutoScalingGroupFixture):
    """restore_auto_scaling_instance_refresh: the version each instance was launched from"""

    def test_instances_keep_reporting_their_version_after_a_new_one_is_made_default(self):
        self.create_group("$Default", capacity=2)
        first = self.instance_versions()
        self.assertEqual(set(first.values()), {"1"})

        self.ec2.modify_launch_template(LaunchTemplateId=self.template, DefaultVersion="2")
        self.autoscaling.set_desired_capacity(AutoScalingGroupName=self.group, DesiredCapacity=3)

        # Unpatched, all three read "2", the template's default version now.
        versions = self.instance_versions()
        self.assertEqual({i: versions[i] for i in first}, first)
        (added,) = set(versions) - set(first)
        self.assertEqual(versions[added], "2")
        described = self.autoscaling.describe_auto_scaling_instances(InstanceIds=list(versions))
        self.assertEqual(
            {i["InstanceId"]: i["LaunchTemplate"]["Version"] for i in described["AutoScalingInstances"]}, versions
        )
        self.assertEqual(self.described_group()["LaunchTemplate"]["Version"], "$Default")

    def test_a_group_on_a_numbered_version_launches_from_that_version(self):
        tagged = self.ec2.create_launch_template_version(
            LaunchTemplateId=self.template,
            LaunchTemplateData={
                "ImageId": self.image,
                "InstanceType": "t3.large",
                "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "role", "Value": "v3"}]}],
            },
        )["LaunchTemplateVersion"]["VersionNumber"]
        self.assertEqual(tagged, 3)
        self.create_group("3", capacity=2)

        group = self.described_group()
        self.assertEqual(group["LaunchTemplate"]["Version"], "3")
        self.assertEqual(set(self.instance_versions().values()), {"3"})
        described = self.ec2.describe_instances(InstanceIds=list(self.instance_versions()))["Reservations"]
        for instance in (i for r in described for i in r["Instances"]):
            tags = {t["Key"]: t["Value"] for t in instance["Tags"]}
            self.assertEqual(instance["InstanceType"], "t3.large")
            # Unpatched: version 1's tags (the default), and "1".
            self.assertEqual(tags["aws:ec2launchtemplate:version"], "3")
            self.assertEqual(tags.get("role"), "v3")


class RefreshCalls:
    """Start, describe and follow an instance refresh of the fixture's group."""

    def start(self, version="2", **preferences):
        return self.autoscaling.start_instance_refresh(
            AutoScalingGroupName=self.group,
            Strategy="Rolling",
            DesiredConfiguration={"LaunchTemplate": {"LaunchTemplateId": self.template, "Version": version}},
            Preferences=preferences,
        )["InstanceRefreshId"]

    def describe(self, refresh_id):
        refreshes = self.autoscaling.describe_instance_refreshes(AutoScalingGroupName=self.group)["InstanceRefreshes"]
        self.assertEqual(refreshes[0]["InstanceRefreshId"], refresh_id)
        return refreshes[0]

    def poll(self, refresh_id, minimum_healthy, until):
        """Describe until the status is in `until`; check the target group after every describe. Returns
        the answers in order."""
        seen = []
        for _ in range(20):
            refresh = self.describe(refresh_id)
            seen.append(refresh)
            in_service = {i["InstanceId"] for i in self.described_group()["Instances"]}
            healthy = self.healthy_targets() & in_service
            self.assertGreaterEqual(len(healthy), minimum_healthy, f"after describe {len(seen)}: {refresh}")
            if refresh["Status"] in until:
                return seen
        self.fail(f"still {seen[-1]['Status']} after 20 describes")


class InstanceRefresh(RefreshCalls, AutoScalingGroupFixture):
    """restore_auto_scaling_instance_refresh: StartInstanceRefresh and what follows it"""

    def test_a_refresh_replaces_every_instance_over_several_describes_above_the_minimum_healthy(self):
        self.create_group("1")
        original = set(self.instance_versions())
        refresh_id = self.start(MinHealthyPercentage=75, MaxHealthyPercentage=125, InstanceWarmup=0)

        seen = self.poll(refresh_id, minimum_healthy=math.ceil(4 * 0.75), until={"Successful"})

        self.assertGreater(len(seen), 2, "one batch per describe, one instance per batch")
        progress = [(r["Status"], r["PercentageComplete"], r["InstancesToUpdate"]) for r in seen]
        self.assertEqual(
            progress, [("InProgress", 25, 3), ("InProgress", 50, 2), ("InProgress", 75, 1), ("Successful", 100, 0)]
        )
        done = seen[-1]
        self.assertLessEqual(done["StartTime"], done["EndTime"])
        self.assertEqual(done["Strategy"], "Rolling")
        self.assertEqual(done["DesiredConfiguration"]["LaunchTemplate"]["Version"], "2")
        self.assertEqual(done["Preferences"]["MinHealthyPercentage"], 75)
        self.assertEqual(done["Preferences"]["MaxHealthyPercentage"], 125)

        group = self.described_group()
        self.assertEqual(group["LaunchTemplate"]["Version"], "2")
        self.assertEqual(len(group["Instances"]), 4)
        self.assertEqual({i["LaunchTemplate"]["Version"] for i in group["Instances"]}, {"2"})
        self.assertEqual({i["InstanceType"] for i in group["Instances"]}, {"t3.small"})
        self.assertFalse(original & {i["InstanceId"] for i in group["Instances"]})
        self.assertEqual(set(self.ec2_states(original).values()), {"terminated"})
        self.assertEqual(self.healthy_targets(), {i["InstanceId"] for i in group["Instances"]})

    def test_without_max_healthy_percentage_batches_stay_within_the_minimum(self):
        self.create_group("1")
        refresh_id = self.start(MinHealthyPercentage=50)
        seen = self.poll(refresh_id, minimum_healthy=2, until={"Successful"})
        self.assertEqual([r["PercentageComplete"] for r in seen], [50, 100])
        self.assertEqual(set(self.instance_versions().values()), {"2"})

    def test_skip_matching_with_nothing_to_replace_succeeds_on_the_first_describe(self):
        self.create_group("1")
        before = self.instance_versions()
        refresh_id = self.start(version="1", SkipMatching=True)

        refresh = self.describe(refresh_id)
        self.assertEqual(
            (refresh["Status"], refresh["PercentageComplete"], refresh["InstancesToUpdate"]), ("Successful", 100, 0)
        )
        self.assertIn("EndTime", refresh)
        self.assertEqual(self.instance_versions(), before)

    def test_skip_matching_replaces_only_the_instances_on_another_version(self):
        self.create_group("2", capacity=2)
        on_two = set(self.instance_versions())
        self.autoscaling.update_auto_scaling_group(
            AutoScalingGroupName=self.group, LaunchTemplate={"LaunchTemplateId": self.template, "Version": "1"}
        )
        self.autoscaling.set_desired_capacity(AutoScalingGroupName=self.group, DesiredCapacity=4)
        on_one = set(self.instance_versions()) - on_two
        self.assertEqual(len(on_one), 2)
        refresh_id = self.start(version="2", SkipMatching=True, MinHealthyPercentage=75)

        seen = self.poll(refresh_id, minimum_healthy=3, until={"Successful"})
        # Two to replace, one at a time: the instances already on version 2 are not counted.
        self.assertEqual([(r["PercentageComplete"], r["InstancesToUpdate"]) for r in seen], [(50, 1), (100, 0)])
        versions = self.instance_versions()
        self.assertEqual(set(versions.values()), {"2"})
        self.assertLessEqual(on_two, set(versions))
        self.assertEqual(set(self.ec2_states(on_one).values()), {"terminated"})

    def test_a_second_start_while_one_is_active_is_refused(self):
        self.create_group("1")
        self.start(MinHealthyPercentage=75)
        status, code, _ = error_of(self.start)
        self.assertEqual((status, code), (400, "InstanceRefreshInProgress"))

    def test_auto_rollback_needs_a_desired_configuration_with_a_numbered_version(self):
        self.create_group("1")
        status, code, _ = error_of(self.start, version="$Default", AutoRollback=True)
        self.assertEqual((status, code), (400, "ValidationError"))
        status, code, message = error_of(
            self.autoscaling.start_instance_refresh, AutoScalingGroupName=self.group, Preferences={"AutoRollback": True}
        )
        self.assertEqual((status, code), (400, "ValidationError"))
        self.assertIn("DesiredConfiguration parameter is empty", message)
        self.assertEqual(
            self.autoscaling.describe_instance_refreshes(AutoScalingGroupName=self.group)["InstanceRefreshes"], []
        )

    def test_healthy_percentages_outside_the_documented_ranges_are_refused(self):
        self.create_group("1")
        # botocore checks only the lower bounds itself; the Rust SDK checks none: send them as they are.
        self.autoscaling = client(
            "autoscaling", botocore.config.Config(parameter_validation=False, retries={"max_attempts": 1})
        )
        for preferences in (
            {"MinHealthyPercentage": 50, "MaxHealthyPercentage": 90},
            {"MinHealthyPercentage": 50, "MaxHealthyPercentage": 201},
            {"MinHealthyPercentage": 101},
            {"MinHealthyPercentage": 10, "MaxHealthyPercentage": 150},
        ):
            with self.subTest(preferences):
                status, code, _ = error_of(self.start, **preferences)
                self.assertEqual((status, code), (400, "ValidationError"))

    def test_cancel_stops_the_refresh_and_keeps_what_it_replaced(self):
        self.create_group("1")
        refresh_id = self.start(MinHealthyPercentage=75, MaxHealthyPercentage=125)
        self.assertEqual(self.describe(refresh_id)["InstancesToUpdate"], 3)

        cancelled = self.autoscaling.cancel_instance_refresh(AutoScalingGroupName=self.group)
        self.assertEqual(cancelled["InstanceRefreshId"], refresh_id)
        for _ in range(2):
            refresh = self.describe(refresh_id)
            self.assertEqual(refresh["Status"], "Cancelled")
            self.assertIn("EndTime", refresh)
            self.assertEqual(sorted(self.instance_versions().values()), ["1", "1", "1", "2"])
        self.assertEqual(self.described_group()["LaunchTemplate"]["Version"], "1")
        status, code, _ = error_of(self.autoscaling.cancel_instance_refresh, AutoScalingGroupName=self.group)
        self.assertEqual((status, code), (400, "ActiveInstanceRefreshNotFound"))
        # A new refresh may start now.
        self.assertNotEqual(self.start(), refresh_id)

    def test_rollback_replaces_what_was_replaced_with_the_previous_version(self):
        self.create_group("1")
        status, code, _ = error_of(self.autoscaling.rollback_instance_refresh, AutoScalingGroupName=self.group)
        self.assertEqual((status, code), (400, "ActiveInstanceRefreshNotFound"))
        refresh_id = self.start(MinHealthyPercentage=75, MaxHealthyPercentage=125, AutoRollback=True)
        self.describe(refresh_id)
        self.describe(refresh_id)
        self.assertEqual(sorted(self.instance_versions().values()), ["1", "1", "2", "2"])

        rolled_back = self.autoscaling.rollback_instance_refresh(AutoScalingGroupName=self.group)
        self.assertEqual(rolled_back["InstanceRefreshId"], refresh_id)
        seen = self.poll(refresh_id, minimum_healthy=3, until={"RollbackSuccessful"})

        self.assertEqual([r["Status"] for r in seen], ["RollbackInProgress", "RollbackSuccessful"])
        details = seen[-1]["RollbackDetails"]
        self.assertEqual((details["PercentageCompleteOnRollback"], details["InstancesToUpdateOnRollback"]), (50, 2))
        self.assertIn("RollbackStartTime", details)
        self.assertEqual([r["PercentageComplete"] for r in seen], [25, 0])
        self.assertEqual(set(self.instance_versions().values()), {"1"})
        self.assertEqual(self.described_group()["LaunchTemplate"]["Version"], "1")
        self.assertEqual(len(self.instance_versions()), 4)

    def test_a_refresh_whose_launches_fail_rolls_back_automatically(self):
        self.create_group("1")
        other = self.ec2.create_launch_template(
            LaunchTemplateName=f"patch-test-{uuid.uuid4().hex[:8]}",
            LaunchTemplateData={"ImageId": self.image, "InstanceType": "t3.medium"},
        )["LaunchTemplate"]["LaunchTemplateId"]
        refresh_id = self.autoscaling.start_instance_refresh(
            AutoScalingGroupName=self.group,
            DesiredConfiguration={"LaunchTemplate": {"LaunchTemplateId": other, "Version": "1"}},
            Preferences={"MinHealthyPercentage": 75, "MaxHealthyPercentage": 125, "AutoRollback": True},
        )["InstanceRefreshId"]
        self.assertEqual(self.describe(refresh_id)["InstancesToUpdate"], 3)
        # The next launch from the desired template fails: the refresh fails, and rolls back.
        self.ec2.delete_launch_template(LaunchTemplateId=other)

        seen = self.poll(refresh_id, minimum_healthy=3, until={"RollbackSuccessful", "RollbackFailed", "Failed"})
        self.assertEqual([r["Status"] for r in seen], ["RollbackInProgress", "RollbackSuccessful"])
        self.assertIn("StatusReason", seen[0])
        group = self.described_group()
        self.assertEqual(
            (group["LaunchTemplate"]["LaunchTemplateId"], group["LaunchTemplate"]["Version"]), (self.template, "1")
        )
        self.assertEqual(
            {(i["LaunchTemplate"]["LaunchTemplateId"], i["LaunchTemplate"]["Version"]) for i in group["Instances"]},
            {(self.template, "1")},
        )
        self.assertEqual(len(group["Instances"]), 4)

    def test_a_refresh_of_a_group_on_default_cannot_be_rolled_back(self):
        self.create_group(None)
        self.start(MinHealthyPercentage=75)
        status, code, _ = error_of(self.autoscaling.rollback_instance_refresh, AutoScalingGroupName=self.group)
        self.assertEqual((status, code), (400, "IrreversibleInstanceRefresh"))


class InstanceMaintenancePolicy(RefreshCalls, AutoScalingGroupFixture):
    """restore_instance_maintenance_policy: the group keeps its policy and warm-up; refreshes use them"""

    POLICY = {"MinHealthyPercentage": 90, "MaxHealthyPercentage": 190}

    def test_create_and_update_keep_the_policy_and_warm_up_and_describe_returns_them(self):
        self.autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=self.group,
            LaunchTemplate={"LaunchTemplateId": self.template, "Version": "1"},
            MinSize=1,
            MaxSize=4,
            VPCZoneIdentifier=self.subnet,
            InstanceMaintenancePolicy=self.POLICY,
            DefaultInstanceWarmup=150,
        )
        group = self.described_group()
        self.assertEqual((group.get("InstanceMaintenancePolicy"), group.get("DefaultInstanceWarmup")), (self.POLICY, 150))
        self.autoscaling.update_auto_scaling_group(
            AutoScalingGroupName=self.group,
            InstanceMaintenancePolicy={"MinHealthyPercentage": 50, "MaxHealthyPercentage": 150},
        )
        group = self.described_group()
        self.assertEqual(group["InstanceMaintenancePolicy"], {"MinHealthyPercentage": 50, "MaxHealthyPercentage": 150})
        self.assertEqual(group["DefaultInstanceWarmup"], 150, "an update without it leaves it")
        # -1 for both clears the policy, -1 clears the warm-up.
        self.autoscaling.update_auto_scaling_group(
            AutoScalingGroupName=self.group,
            InstanceMaintenancePolicy={"MinHealthyPercentage": -1, "MaxHealthyPercentage": -1},
            DefaultInstanceWarmup=-1,
        )
        group = self.described_group()
        self.assertNotIn("InstanceMaintenancePolicy", group)
        self.assertNotIn("DefaultInstanceWarmup", group)

    def test_a_policy_outside_the_documented_rules_is_refused_and_changes_nothing(self):
        self.create_group("1", capacity=1)
        for policy in (
            {"MinHealthyPercentage": 90},
            {"MinHealthyPercentage": 50, "MaxHealthyPercentage": 201},
            {"MinHealthyPercentage": 101, "MaxHealthyPercentage": 150},
            {"MinHealthyPercentage": 40, "MaxHealthyPercentage": 150},
        ):
            status, code, _ = error_of(
                self.autoscaling.update_auto_scaling_group,
                AutoScalingGroupName=self.group,
                InstanceMaintenancePolicy=policy,
                MaxSize=9,
            )
            self.assertEqual((status, code), (400, "ValidationError"), policy)
        self.assertNotIn("InstanceMaintenancePolicy", self.described_group())
        self.assertEqual(self.described_group()["MaxSize"], 2, "the refused update changed nothing")

    def test_a_refresh_without_its_own_percentages_uses_the_groups_policy(self):
        self.create_group("1")
        self.autoscaling.update_auto_scaling_group(
            AutoScalingGroupName=self.group,
            InstanceMaintenancePolicy={"MinHealthyPercentage": 100, "MaxHealthyPercentage": 150},
            DefaultInstanceWarmup=30,
        )
        refresh_id = self.start(SkipMatching=True)
        preferences = self.describe(refresh_id)["Preferences"]
        self.assertEqual(
            (preferences["MinHealthyPercentage"], preferences["MaxHealthyPercentage"], preferences["InstanceWarmup"]),
            (100, 150, 30),
        )
        self.poll(refresh_id, minimum_healthy=4, until={"Successful"})


class CloudWatchRpcV2Cbor(unittest.TestCase):
    """restore_cloudwatch_rpc_v2_cbor: requests as the AWS SDK for Rust sends them (botocore's own client
    speaks JSON to CloudWatch, so these are built with botocore's CBOR serializer and signed by hand)."""

    DIMENSIONS = [
        {"Name": "LoadBalancer", "Value": "app/patch-test-alb/50dc6c495c0c9188"},
        {"Name": "TargetGroup", "Value": f"targetgroup/patch-test-{uuid.uuid4().hex[:8]}/73e2d6bc24d8a067"},
    ]

    def cbor(self, operation, params):
        """(status, parsed answer, headers) of `operation` sent in Smithy RPC v2 CBOR."""
        import botocore.auth
        import botocore.awsrequest
        import botocore.credentials
        import botocore.parsers
        import botocore.serialize
        import botocore.session

        model = botocore.session.Session().get_service_model("cloudwatch").operation_model(operation)
        request = botocore.serialize.RpcV2CBORSerializer().serialize_to_request(params, model)
        aws_request = botocore.awsrequest.AWSRequest(
            method="POST", url=endpoint + request["url_path"], data=request["body"], headers=request["headers"]
        )
        credentials = botocore.credentials.Credentials("test", "test")
        botocore.auth.SigV4Auth(credentials, "monitoring", REGION).add_auth(aws_request)
        prepared = aws_request.prepare()
        sent = urllib.request.Request(prepared.url, data=prepared.body, method="POST", headers=dict(prepared.headers))
        try:
            with urllib.request.urlopen(sent, timeout=10) as answer:
                status, body, headers = answer.status, answer.read(), dict(answer.headers)
        except urllib.error.HTTPError as refused:
            status, body, headers = refused.code, refused.read(), dict(refused.headers)
        headers = {k.lower(): v for k, v in headers.items()}
        parsed = botocore.parsers.RpcV2CBORParser().parse(
            {"body": body, "headers": headers, "status_code": status}, model.output_shape
        )
        return status, parsed, headers

    def query(self, query_id, metric):
        return {
            "Id": query_id,
            "MetricStat": {
                "Metric": {"Namespace": "AWS/ApplicationELB", "MetricName": metric, "Dimensions": self.DIMENSIONS},
                "Period": 60,
                "Stat": "Sum",
            },
            "ReturnData": True,
        }

    def test_get_metric_data_in_cbor_answers_what_was_put_in_cbor(self):
        import datetime

        now = datetime.datetime.now(datetime.timezone.utc).replace(second=30, microsecond=0)
        client("cloudwatch").put_metric_data(
            Namespace="AWS/ApplicationELB",
            MetricData=[
                {"MetricName": "RequestCount", "Dimensions": self.DIMENSIONS, "Value": 40.0, "Timestamp": now},
                {"MetricName": "HTTPCode_Target_5XX_Count", "Dimensions": self.DIMENSIONS, "Value": 2.0, "Timestamp": now},
            ],
        )
        params = {
            "MetricDataQueries": [self.query("requests", "RequestCount"), self.query("errors", "HTTPCode_Target_5XX_Count")],
            "StartTime": now - datetime.timedelta(minutes=5),
            "EndTime": now + datetime.timedelta(minutes=1),
        }
        status, answer, headers = self.cbor("GetMetricData", params)
        self.assertEqual((status, headers["content-type"], headers["smithy-protocol"]), (200, "application/cbor", "rpc-v2-cbor"))
        results = {r["Id"]: r for r in answer["MetricDataResults"]}
        self.assertEqual((results["requests"]["Values"], results["errors"]["Values"]), ([40.0], [2.0]))
        # The same answer as botocore's JSON request gets; timestamps travel as CBOR epoch-seconds tags.
        as_json = {r["Id"]: r for r in client("cloudwatch").get_metric_data(**params)["MetricDataResults"]}
        self.assertEqual(
            [t.timestamp() for t in results["requests"]["Timestamps"]],
            [t.timestamp() for t in as_json["requests"]["Timestamps"]],
        )

    def test_no_datapoints_is_an_empty_result_not_an_error(self):
        import datetime

        now = datetime.datetime.now(datetime.timezone.utc)
        other = [{"Name": "TargetGroup", "Value": f"targetgroup/none-{uuid.uuid4().hex[:8]}/1"}]
        query = self.query("requests", "RequestCount")
        query["MetricStat"]["Metric"]["Dimensions"] = other
        status, answer, _ = self.cbor(
            "GetMetricData",
            {"MetricDataQueries": [query], "StartTime": now - datetime.timedelta(minutes=5), "EndTime": now},
        )
        self.assertEqual(status, 200)
        self.assertEqual(answer["MetricDataResults"][0]["Values"], [])

    def test_a_refused_request_is_a_cbor_error_with_its_code(self):
        import datetime

        now = datetime.datetime.now(datetime.timezone.utc)
        status, answer, headers = self.cbor(
            "GetMetricData",
            {
                "MetricDataQueries": [self.query("requests", "RequestCount")],
                "StartTime": now,
                "EndTime": now - datetime.timedelta(minutes=5),
            },
        )
        self.assertEqual((status, headers["content-type"]), (400, "application/cbor"))
        self.assertEqual(answer["Error"]["Code"], "ValidationError")
        self.assertIn("EndTime", answer["Error"]["Message"])


class EmrInstanceGroupReconfiguration(unittest.TestCase):
    """restore_emr_instance_group_reconfiguration"""

    HIVE_SITE = [{"Classification": "hive-site", "Properties": {"javax.jdo.option.ConnectionUserName": "admin"}}]

    def setUp(self):
        self.emr = client("emr")

    def start_cluster(self, release="emr-7.14.0"):
        groups = [
            {"InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1, "Market": "ON_DEMAND"},
            {"InstanceRole": "CORE", "InstanceType": "m5.xlarge", "InstanceCount": 2, "Market": "ON_DEMAND"},
        ]
        cluster = self.emr.run_job_flow(
            Name=f"patch-test-{uuid.uuid4().hex[:8]}",
            ReleaseLabel=release,
            Applications=[{"Name": "Hive"}],
            Instances={"InstanceGroups": groups, "KeepJobFlowAliveWhenNoSteps": True},
            JobFlowRole="EMR_EC2_DefaultRole",
            ServiceRole="EMR_DefaultRole",
        )["JobFlowId"]
        return cluster, self.group(cluster, "MASTER")

    def group(self, cluster, kind):
        groups = self.emr.list_instance_groups(ClusterId=cluster)["InstanceGroups"]
        return next(g for g in groups if g["InstanceGroupType"] == kind)

    def test_a_master_group_takes_configurations_and_reports_them_applied(self):
        cluster, master = self.start_cluster()
        self.assertEqual(master.get("ConfigurationsVersion", 0), 0)
        # Unpatched: an empty 500 (moto reads an InstanceCount that is not there).
        self.emr.modify_instance_groups(
            ClusterId=cluster, InstanceGroups=[{"InstanceGroupId": master["Id"], "Configurations": self.HIVE_SITE}]
        )
        master = self.group(cluster, "MASTER")
        self.assertEqual(master["Configurations"], self.HIVE_SITE)
        self.assertEqual(master["ConfigurationsVersion"], 1)
        self.assertEqual(master["LastSuccessfullyAppliedConfigurations"], self.HIVE_SITE)
        self.assertEqual(master["LastSuccessfullyAppliedConfigurationsVersion"], 1)
        self.assertEqual(master["Status"]["State"], "RUNNING")
        # The next request gets the next number; counts still change as before.
        self.emr.modify_instance_groups(
            ClusterId=cluster, InstanceGroups=[{"InstanceGroupId": master["Id"], "Configurations": self.HIVE_SITE}]
        )
        self.assertEqual(self.group(cluster, "MASTER")["ConfigurationsVersion"], 2)
        core = self.group(cluster, "CORE")
        self.emr.modify_instance_groups(ClusterId=cluster, InstanceGroups=[{"InstanceGroupId": core["Id"], "InstanceCount": 3}])
        self.assertEqual(self.group(cluster, "CORE")["RequestedInstanceCount"], 3)

    def test_releases_before_5_21_and_clusters_that_ended_are_refused(self):
        for release, terminate in [("emr-5.20.0", False), ("emr-7.14.0", True)]:
            cluster, master = self.start_cluster(release)
            if terminate:
                self.emr.terminate_job_flows(JobFlowIds=[cluster])
            with self.assertRaises(botocore.exceptions.ClientError) as refused:
                self.emr.modify_instance_groups(
                    ClusterId=cluster,
                    InstanceGroups=[{"InstanceGroupId": master["Id"], "Configurations": self.HIVE_SITE}],
                )
            self.assertEqual(refused.exception.response["Error"]["Code"], "ValidationException", release)
            self.assertEqual(self.group(cluster, "MASTER").get("ConfigurationsVersion", 0), 0)


class EmrManagedScaling(unittest.TestCase):
    """restore_emr_managed_scaling"""

    LIMITS = {"UnitType": "Instances", "MinimumCapacityUnits": 2, "MaximumCapacityUnits": 10}

    def setUp(self):
        self.emr = client("emr")

    def start_cluster(self, **extra):
        groups = [
            {"InstanceRole": "MASTER", "InstanceType": "m5.xlarge", "InstanceCount": 1, "Market": "ON_DEMAND"},
            {"InstanceRole": "CORE", "InstanceType": "m5.xlarge", "InstanceCount": 2, "Market": "ON_DEMAND"},
        ]
        return self.emr.run_job_flow(
            Name=f"patch-test-{uuid.uuid4().hex[:8]}",
            ReleaseLabel="emr-7.14.0",
            Applications=[{"Name": "Spark"}],
            Instances={"InstanceGroups": groups, "KeepJobFlowAliveWhenNoSteps": True},
            JobFlowRole="EMR_EC2_DefaultRole",
            ServiceRole="EMR_DefaultRole",
            **extra,
        )["JobFlowId"]

    def policy_of(self, cluster):
        return self.emr.get_managed_scaling_policy(ClusterId=cluster).get("ManagedScalingPolicy")

    def test_run_job_flow_keeps_the_policy_and_put_get_remove_work_per_cluster(self):
        # Unpatched: every call below is an empty 500, and RunJobFlow drops the policy.
        with_policy = self.start_cluster(ManagedScalingPolicy={"ComputeLimits": self.LIMITS})
        without = self.start_cluster()
        self.assertEqual(self.policy_of(with_policy), {"ComputeLimits": self.LIMITS})
        self.assertIsNone(self.policy_of(without))

        wider = {**self.LIMITS, "MaximumCapacityUnits": 12}
        self.emr.put_managed_scaling_policy(ClusterId=without, ManagedScalingPolicy={"ComputeLimits": wider})
        self.assertEqual(self.policy_of(without), {"ComputeLimits": wider})
        self.assertEqual(self.policy_of(with_policy), {"ComputeLimits": self.LIMITS}, "another cluster's is its own")

        self.emr.remove_managed_scaling_policy(ClusterId=with_policy)
        self.assertIsNone(self.policy_of(with_policy))
        self.assertEqual(self.policy_of(without), {"ComputeLimits": wider})

    def test_an_unknown_cluster_and_a_policy_the_model_refuses_are_refused(self):
        status, code, _ = error_of(self.emr.get_managed_scaling_policy, ClusterId="j-NOSUCHCLUSTER")
        self.assertEqual((status, code), (400, "InvalidRequestException"))
        cluster = self.start_cluster()
        # boto3 checks required members itself; send an enum value the model does not have.
        bad = {"ComputeLimits": {**self.LIMITS, "UnitType": "Nodes"}}
        status, code, _ = error_of(self.emr.put_managed_scaling_policy, ClusterId=cluster, ManagedScalingPolicy=bad)
        self.assertEqual((status, code), (400, "ValidationException"))
        self.assertIsNone(self.policy_of(cluster), "a refused put changes nothing")


class ReadReplicaOfAManagedPassword(unittest.TestCase):
    """CreateDBInstanceReadReplica refuses a MySQL source whose password RDS manages, as AWS does."""

    def setUp(self):
        self.rds = client("rds")

    def source(self, **password):
        name = f"src-{uuid.uuid4().hex[:8]}"
        self.rds.create_db_instance(
            DBInstanceIdentifier=name,
            Engine="mysql",
            DBInstanceClass="db.t3.medium",
            AllocatedStorage=20,
            MasterUsername="admin",
            BackupRetentionPeriod=7,
            **password,
        )
        return name

    def test_a_managed_password_is_refused_and_makes_no_replica(self):
        source = self.source(ManageMasterUserPassword=True)
        replica = f"{source}-replica"
        status, code, message = error_of(
            self.rds.create_db_instance_read_replica,
            DBInstanceIdentifier=replica,
            SourceDBInstanceIdentifier=source,
        )
        self.assertEqual((status, code), (400, "InvalidParameterValue"))
        self.assertIn("ManageMasterUserPassword is enabled is not supported", message)
        status, code, _ = error_of(self.rds.describe_db_instances, DBInstanceIdentifier=replica)
        self.assertEqual(code, "DBInstanceNotFound", "a refused request makes nothing")

    def test_a_password_of_the_callers_replicates(self):
        source = self.source(MasterUserPassword="Abcdefgh12345678")
        replica = f"{source}-replica"
        made = self.rds.create_db_instance_read_replica(DBInstanceIdentifier=replica, SourceDBInstanceIdentifier=source)
        self.assertEqual(made["DBInstance"]["ReadReplicaSourceDBInstanceIdentifier"], source)


if __name__ == "__main__":
    unittest.main(verbosity=2)
