"""Tests of the emulator launcher's patches (scripts/emulator/moto_server.py), through boto3 as a client.

    .venv/bin/python scripts/emulator/test_moto_server.py

starts the launcher on a free port and checks each restored AWS behaviour; the process exits non-zero
when one fails. EMULATOR_TEST_ENDPOINT=http://127.0.0.1:PORT runs the same checks against a server
that is already running instead, e.g. plain `moto_server`, on which the patched tests fail.
"""

import base64
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


def client(service):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def b64(text):
    return base64.b64encode(text.encode()).decode()


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


if __name__ == "__main__":
    unittest.main(verbosity=2)
