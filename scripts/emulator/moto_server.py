"""clusterup's local AWS emulator: moto's server with three documented AWS behaviours restored.

Takes the same options as `moto_server` (`-H HOST -p PORT`, ...). scripts/emulator.sh and the Rust test
support (tests/support/mod.rs) start it with the project virtualenv's python.

moto 5.2.5 differs from AWS in three places that clusterup's tests cannot work around without testing
something other than what runs on AWS. Each function below restores one documented AWS behaviour, and
nothing else: no patch makes the emulator accept a request that AWS would reject. They are tested by
scripts/emulator/test_moto_server.py (run by scripts/test.sh); docs/localstack.md explains why they exist.
"""

import sys

import moto
from moto.server import main as serve

# The patches replace functions of moto 5.2.5 that were read for them. Another version may have fixed
# the bug or moved the code: refuse to start rather than patch something that was never looked at.
PATCHED_FOR = "5.2.5"


def restore_launch_template_version_user_data() -> None:
    """CreateLaunchTemplateVersion keeps UserData in the form every later launch reads, as AWS does.

    AWS takes UserData base64-encoded in CreateLaunchTemplate and CreateLaunchTemplateVersion alike, and
    instances launch from any version of a template:
    https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RequestLaunchTemplateData.html
    https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateLaunchTemplateVersion.html

    moto's CreateLaunchTemplate wraps UserData with `parse_user_data` (a `Base64EncodedString`), but its
    CreateLaunchTemplateVersion stores the request's plain string. `LaunchTemplateVersion.user_data`
    asserts the wrapped type, so every RunInstances or Auto Scaling launch from such a version fails
    with an AssertionError and an empty 500. `LaunchTemplate.create_version` is where both calls (and
    CloudFormation's) store a version: wrap a plain string there with the same `parse_user_data`.
    Invalid base64 is then refused with moto's own InvalidUserData error, as CreateLaunchTemplate
    already refuses it.
    """
    from moto.ec2.models.launch_templates import LaunchTemplate
    from moto.ec2.utils import parse_user_data

    original = LaunchTemplate.create_version

    def create_version(self, data, description):
        if isinstance(data.get("UserData"), str):
            data = {**data, "UserData": parse_user_data(data["UserData"])}
        return original(self, data, description)

    LaunchTemplate.create_version = create_version


def restore_emr_instance_termination() -> None:
    """Terminating an EMR cluster (TerminateJobFlows) terminates its EC2 instances, as AWS does.

    AWS: "When a cluster is shut down, any step not yet completed is canceled and the Amazon EC2
    instances in the cluster are terminated."
    https://docs.aws.amazon.com/cli/latest/reference/emr/terminate-clusters.html
    https://docs.aws.amazon.com/emr/latest/APIReference/API_TerminateJobFlows.html

    moto's `Cluster.terminate` (called by TerminateJobFlows for each cluster it shuts down) only sets the
    cluster's state to TERMINATED; the instances it launched keep running and keep their network
    interfaces in the cluster's subnet and security groups. Terminate them through the EC2 backend's own
    TerminateInstances path after the state change.
    """
    from moto.emr.models import Cluster

    original = Cluster.terminate

    def terminate(self):
        original(self)
        running = [i.ec2_instance.id for i in self.ec2_instances if i.ec2_instance.state != "terminated"]
        if running:
            self.emr_backend.ec2_backend.terminate_instances(running)

    Cluster.terminate = terminate


def restore_emr_instance_group_reconfiguration() -> None:
    """ModifyInstanceGroups reconfigures a running cluster's instance group, as AWS does from emr-5.21.0.

    AWS: an InstanceGroupModifyConfig may carry Configurations (with or without an InstanceCount); EMR
    numbers each request and ListInstanceGroups reports the group's Configurations, ConfigurationsVersion,
    and the last applied ones (LastSuccessfullyAppliedConfigurations, ...Version). Only for release
    emr-5.21.0 and later, and only while the cluster is running or waiting; the call succeeds or fails
    atomically.
    https://docs.aws.amazon.com/emr/latest/ReleaseGuide/emr-configure-apps-running-cluster.html
    https://docs.aws.amazon.com/emr/latest/APIReference/API_ModifyInstanceGroups.html
    https://docs.aws.amazon.com/emr/latest/APIReference/API_InstanceGroup.html

    moto's `modify_instance_groups` reads every request's InstanceCount (a request with configurations
    only is a KeyError and an empty 500) and its instance groups have no configurations. Validate every
    request first, then apply it: the count as before, the configurations stored with the next version
    number. Nothing takes time in the emulator, so a reconfiguration is applied at once (the group stays
    RUNNING; clusterup's SDK-mock tests cover RECONFIGURING and a rollback).
    """
    from moto.emr.exceptions import ValidationException
    from moto.emr.models import ElasticMapReduceBackend, InstanceGroup
    from moto.emr.utils import ReleaseLabel

    # Read by moto's response serialiser for ListInstanceGroups; a group never reconfigured has none.
    InstanceGroup.configurations = []
    InstanceGroup.configurations_version = 0
    InstanceGroup.last_successfully_applied_configurations = []
    InstanceGroup.last_successfully_applied_configurations_version = 0

    def modify_instance_groups(self, instance_groups):
        for request in instance_groups:
            group = self.instance_groups[request["instance_group_id"]]
            if request.get("configurations") is None:
                continue
            cluster = self.clusters[group.cluster_id]
            if cluster.state not in ("RUNNING", "WAITING"):
                raise ValidationException(
                    "An instance group may only be modified when the cluster is running or waiting."
                )
            if cluster.release_label and ReleaseLabel(cluster.release_label) < ReleaseLabel("emr-5.21.0"):
                raise ValidationException(
                    f"Instance group reconfiguration is not supported for release {cluster.release_label}."
                )
        for request in instance_groups:
            group = self.instance_groups[request["instance_group_id"]]
            if request.get("instance_count") is not None:
                group.set_instance_count(int(request["instance_count"]))
            configurations = request.get("configurations")
            if configurations is not None:
                group.configurations = list(configurations)
                group.configurations_version += 1
                group.last_successfully_applied_configurations = list(configurations)
                group.last_successfully_applied_configurations_version = group.configurations_version

    ElasticMapReduceBackend.modify_instance_groups = modify_instance_groups


def main() -> None:
    if moto.__version__ != PATCHED_FOR:
        sys.exit(
            f"scripts/emulator/moto_server.py: written for moto {PATCHED_FOR}, found {moto.__version__}; "
            "check each patch against the new version before changing PATCHED_FOR"
        )
    restore_launch_template_version_user_data()
    restore_emr_instance_termination()
    restore_emr_instance_group_reconfiguration()
    serve(sys.argv[1:])


if __name__ == "__main__":
    main()
