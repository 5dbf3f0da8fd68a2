"""clusterup's local AWS emulator: moto's server with two documented AWS behaviours restored.

Takes the same options as `moto_server` (`-H HOST -p PORT`, ...). scripts/emulator.sh and the Rust test
support (tests/support/mod.rs) start it with the project virtualenv's python.

moto 5.2.5 differs from AWS in two places that clusterup's tests cannot work around without testing
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


def main() -> None:
    if moto.__version__ != PATCHED_FOR:
        sys.exit(
            f"scripts/emulator/moto_server.py: written for moto {PATCHED_FOR}, found {moto.__version__}; "
            "check each patch against the new version before changing PATCHED_FOR"
        )
    restore_launch_template_version_user_data()
    restore_emr_instance_termination()
    serve(sys.argv[1:])


if __name__ == "__main__":
    main()
