"""clusterup's local AWS emulator: moto's server with ten documented AWS behaviours restored.

Takes the same options as `moto_server` (`-H HOST -p PORT`, ...). scripts/emulator.sh and the Rust test
support (tests/support/mod.rs) start it with the project virtualenv's python.

moto 5.2.5 differs from AWS in ten places that clusterup's tests cannot work around without testing
something other than what runs on AWS: launch template versions' user data, EMR terminating its instances,
a load balancer's deletion protection, deleting an EFS file system's policy, Auto Scaling instance
refresh (with the launch template version each instance runs), a group's instance maintenance policy
and default warm-up, EMR's reconfiguration of a running instance group, EMR managed scaling,
CloudWatch's Smithy RPC v2 CBOR protocol (the only one the AWS SDK for Rust speaks to CloudWatch), and
Run Command sent to the instances named, not to every instance of the region. Each function below restores
one documented AWS behaviour, and nothing else: no patch makes the emulator accept a request that AWS
would reject. They are tested by scripts/emulator/test_moto_server.py (run by scripts/test.sh);
docs/localstack.md explains why they exist.
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


def restore_load_balancer_deletion_protection() -> None:
    """DeleteLoadBalancer refuses a load balancer whose deletion protection is on, as AWS does.

    AWS: "You can't delete a load balancer if deletion protection is enabled"
    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#deletion-protection
    and DeleteLoadBalancer's documented error for it is OperationNotPermitted (HTTP 400):
    https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DeleteLoadBalancer.html

    moto stores the `deletion_protection.enabled` attribute but deletes the load balancer anyway, so a
    destroy that forgot to turn the protection off would pass here and fail on AWS. Refuse in the
    backend's `delete_load_balancer` while the attribute is "true"; a missing load balancer still
    deletes nothing, as before.
    """
    from moto.elbv2.exceptions import ELBClientError
    from moto.elbv2.models import ELBv2Backend

    original = ELBv2Backend.delete_load_balancer

    def delete_load_balancer(self, arn):
        balancer = self.load_balancers.get(arn)
        if balancer is not None and balancer.attrs.get("deletion_protection.enabled") == "true":
            raise ELBClientError(
                "OperationNotPermitted",
                f"Load balancer '{arn}' cannot be deleted because deletion protection is enabled",
            )
        return original(self, arn)

    ELBv2Backend.delete_load_balancer = delete_load_balancer


def restore_efs_delete_file_system_policy() -> None:
    """DeleteFileSystemPolicy removes a file system's policy, as AWS does.

    AWS: "Deletes the FileSystemPolicy for the specified file system. The default FileSystemPolicy goes
    into effect once the existing policy is deleted." It fails with FileSystemNotFound for a file
    system that does not exist, and otherwise succeeds, a file system without a policy included:
    https://docs.aws.amazon.com/efs/latest/ug/API_DeleteFileSystemPolicy.html

    moto implements Put and DescribeFileSystemPolicy but not this call: its EFS responder has no
    `delete_file_system_policy`, so the request (DELETE /2015-02-01/file-systems/{id}/policy, already
    routed to the responder) answers 500. Add it, on the backend's own lookup (which raises moto's
    FileSystemNotFound), clearing the policy Put stores.
    """
    from moto.efs.models import EFSBackend
    from moto.efs.responses import EFSResponse

    def delete_file_system_policy_backend(self, file_system_id):
        _, (file_system,) = self.describe_file_systems(file_system_id=file_system_id)
        file_system.file_system_policy = None

    def delete_file_system_policy(self):
        self.efs_backend.delete_file_system_policy(self._get_param("FileSystemId"))
        return "{}", {"Content-Type": "application/json"}

    EFSBackend.delete_file_system_policy = delete_file_system_policy_backend
    EFSResponse.delete_file_system_policy = delete_file_system_policy


def restore_auto_scaling_instance_refresh() -> None:
    """Auto Scaling instance refresh, and the launch template version each instance runs, as on AWS.

    What AWS does (API reference and user guide):
    https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_StartInstanceRefresh.html
    https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribeInstanceRefreshes.html
    https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_CancelInstanceRefresh.html
    https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_RollbackInstanceRefresh.html
    https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_RefreshPreferences.html
    https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_InstanceRefresh.html
    https://docs.aws.amazon.com/autoscaling/ec2/userguide/instance-refresh-overview.html
    https://docs.aws.amazon.com/autoscaling/ec2/userguide/asg-instance-refresh-skip-matching.html
    https://docs.aws.amazon.com/autoscaling/ec2/userguide/instance-refresh-rollback.html
    - Each instance of a group reports the launch template and numbered version it was launched from
      (DescribeAutoScalingGroups `Instances[].LaunchTemplate`, DescribeAutoScalingInstances), and a group
      whose LaunchTemplate names version "3" launches from version 3:
      https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_Instance.html
      https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_LaunchTemplateSpecification.html
    - StartInstanceRefresh replaces the group's instances in batches with instances of the desired
      configuration, keeping MinHealthyPercentage (default 90) of the desired capacity in service and, when
      MaxHealthyPercentage is given, launching up to that percentage before terminating; with SkipMatching
      it leaves instances that already match. Once it succeeds the group takes the desired configuration.
      DescribeInstanceRefreshes reports it (newest first), CancelInstanceRefresh stops it and keeps what was
      replaced, RollbackInstanceRefresh replaces what was replaced so far with the previous configuration.

    What moto 5.2.5 does instead: none of the four calls exists (a 500, "not implemented"). `InstanceState.
    launch_template` reports every instance on the template's *current default* version. And
    `replace_autoscaling_group_instances` passes the template to RunInstances without a version, so an
    instance of a group on version "3" gets version 3's image, type and user data but the default version's
    key, security group ids, tag specifications and block devices, and is tagged with the default version.

    How the patch works:
    - `replace_autoscaling_group_instances` is moto's own, with the group's version resolved to its number
      and passed to RunInstances; moto's EC2 then tags the instance `aws:ec2launchtemplate:id` and
      `aws:ec2launchtemplate:version` as AWS does, and `InstanceState.launch_template` reads those tags.
      An instance without them (launched from a launch configuration, or attached) reports no template.
    - The four calls are methods on AutoScalingResponse and AutoScalingBackend; the refreshes live on the
      FakeAutoScalingGroup, so a deleted group takes its refreshes with it and /moto-api/reset clears them.
    - Nothing runs in the background or waits for time. Each DescribeInstanceRefreshes call for a group advances
      that group's active refresh (or rollback) by one batch, then answers; a client that polls sees
      InProgress with PercentageComplete rising and InstancesToUpdate falling, then Successful. One batch
      replaces as many instances as MaxHealthyPercentage allows above the desired capacity (at least one),
      or, when MaxHealthyPercentage is 100 or not given, as many as MinHealthyPercentage allows below it (at
      least one: "Setting the minimum healthy percentage to 100 percent limits the rate of replacement to
      one instance at a time"). It launches the replacements, registers them in the group's target groups
      and load balancers as moto does for any launch, then terminates as many old instances (those not on
      the desired version with SkipMatching, else those the group had at the start) and deregisters them
      (their targets read `draining`, as after TerminateInstances). Both happen in the same call, launch
      first, so a failed launch terminates nothing, and between calls the group is back at its desired
      capacity: its healthy targets never drop below the minimum. A refresh with nothing to replace succeeds
      on the first describe. A launch that fails marks the refresh Failed (or starts the rollback when
      AutoRollback is set). Pending is only the state between StartInstanceRefresh and the first describe.

    Refusals, with where each comes from:
    - `InstanceRefreshInProgress` (HTTP 400) when the group has an active refresh: the error StartInstance
      Refresh lists; code and status from the AWS API model (botocore autoscaling service-2.json,
      InstanceRefreshInProgressFault), message is that fault's documentation.
    - `ActiveInstanceRefreshNotFound` (400) from Cancel and Rollback when nothing is active: same sources
      (ActiveInstanceRefreshNotFoundFault); CancelInstanceRefresh's reference names the error.
    - `IrreversibleInstanceRefresh` (400) from RollbackInstanceRefresh when the refresh has no desired
      configuration or the group is on $Latest/$Default (or a launch configuration): the RollbackInstance
      Refresh reference lists these cases, the model gives the code, the message is the fault's documentation.
    - ValidationError (400) when AutoRollback is true without a DesiredConfiguration: AWS's own message, as
      quoted from a real response in https://github.com/hashicorp/terraform-provider-aws/issues/29830.
    - ValidationError when AutoRollback is true and the group (the rollback target) or the desired
      configuration uses $Latest/$Default or the group uses a launch configuration: the user guide's rollback
      considerations ("only ... a specific numbered version"); StartInstanceRefresh's error list has no other
      code for it. The desired configuration's $Latest/$Default is refused by inference (a group that took it
      could not be rolled back); the message is ours.
    - ValidationError for MinHealthyPercentage outside 0-100, MaxHealthyPercentage outside 100-200, Max
      without Min, Max - Min above 100, a negative InstanceWarmup, a Strategy that is not in the API's enum,
      Strategy ReplaceRootVolume on a group without a MixedInstancesPolicy, a DesiredConfiguration with
      neither LaunchTemplate nor MixedInstancesPolicy, a LaunchTemplate with both or neither of id and name,
      a Version that is not $Latest, $Default or a number, and SkipMatching without a desired configuration
      on a group with a launch configuration: ranges and rules from RefreshPreferences, DesiredConfiguration,
      LaunchTemplateSpecification, the instance refresh overview and the skip matching guide; the messages
      are ours.
    - An unknown group is a ValidationError with moto's DeleteAutoScalingGroup message; an unknown template
      or version is refused by moto's EC2 lookup, as CreateAutoScalingGroup refuses it here.
    What is not emulated is refused with a 500 (moto's own answer to an action it lacks; the reason is in the
    server's log), never accepted and ignored: a MixedInstancesPolicy (group or desired configuration, so
    ReplaceRootVolume too), checkpoints, alarms, BakeTime above 0, and scale-in protected or Standby
    instances unless ScaleInProtectedInstances/StandbyInstances says Ignore (or Refresh, for protected ones).
    """
    import math
    import threading

    from moto.autoscaling.exceptions import AutoscalingClientError, ValidationError
    from moto.autoscaling.models import ASG_NAME_TAG, AutoScalingBackend, FakeAutoScalingGroup, InstanceState
    from moto.autoscaling.responses import AutoScalingResponse
    from moto.core.responses import ActionResult
    from moto.core.utils import utcnow
    from moto.moto_api._internal import mock_random as random

    # --- Instances launch from, and report, the group's numbered launch template version. ---

    def replace_autoscaling_group_instances(self, count_needed, propagated_tags):
        # moto 5.2.5's FakeAutoScalingGroup.replace_autoscaling_group_instances, unchanged but for the
        # "Version" passed to RunInstances (moto passes none, so EC2 used the template's default version).
        propagated_tags[ASG_NAME_TAG] = self.name
        propagated_tags.update(self.instance_tags)
        subnet_id = self.vpc_zone_identifier.split(",")[0] if self.vpc_zone_identifier else None
        associate_public_ip = self.launch_config.associate_public_ip_address if self.launch_config else None
        launch_template = None
        if self.ec2_launch_template:
            if self.ec2_launch_template.id:
                launch_template = {"LaunchTemplateId": self.ec2_launch_template.id}
            elif self.ec2_launch_template.name:
                launch_template = {"LaunchTemplateName": self.ec2_launch_template.name}
            version = self.ec2_launch_template.get_version(self.launch_template_version)
            launch_template["Version"] = str(version.number)
        reservation = self.autoscaling_backend.ec2_backend.run_instances(
            self.image_id,
            count_needed,
            self.user_data,
            self.security_groups,
            instance_type=self.instance_type,
            tags={"instance": propagated_tags},
            placement=random.choice(self.availability_zones),
            launch_config=self.launch_config,
            launch_template=launch_template,
            is_instance_type_default=False,
            associate_public_ip=associate_public_ip,
            subnet_id=subnet_id,
        )
        for instance in reservation.instances:
            instance.autoscaling_group = self
            self.instance_states.append(
                InstanceState(instance, protected_from_scale_in=self.new_instances_protected_from_scale_in)
            )

    def instance_launch_template(self):
        # The template and version this instance was launched from, from the tags EC2 put on it at launch.
        tags = {t["key"]: t["value"] for t in self.instance.get_tags()}
        template_id = tags.get("aws:ec2launchtemplate:id")
        if template_id is None:
            return None
        spec = {"LaunchTemplateId": template_id, "Version": tags.get("aws:ec2launchtemplate:version")}
        template = self.instance.ec2_backend.launch_templates.get(template_id)
        if template is not None:
            spec["LaunchTemplateName"] = template.name
        return spec

    FakeAutoScalingGroup.replace_autoscaling_group_instances = replace_autoscaling_group_instances
    InstanceState.launch_template = property(instance_launch_template)

    # --- Instance refresh. ---

    ACTIVE = ("Pending", "InProgress", "Cancelling", "RollbackInProgress", "Baking")
    # The messages of the two modelled errors: each fault's documentation in the API model.
    REFRESH_IN_PROGRESS = (
        "The request failed because an active instance refresh already exists for the specified Auto Scaling group."
    )
    NO_ACTIVE_REFRESH = (
        "The request failed because an active instance refresh or rollback for the specified Auto Scaling group "
        "was not found."
    )
    # moto's server answers requests on several threads; a refresh changes a group in several steps.
    lock = threading.Lock()

    def not_emulated(what):
        return NotImplementedError(f"instance refresh: {what} is not emulated by scripts/emulator/moto_server.py")

    def refreshes_of(group):
        # Oldest first; Describe answers newest first.
        return group.__dict__.setdefault("instance_refreshes", [])

    def active_refresh(group):
        return next((r for r in refreshes_of(group) if r["Status"] in ACTIVE), None)

    def find_group(backend, name):
        group = backend.autoscaling_groups.get(name)
        if group is None:
            raise ValidationError(f"AutoScalingGroup name not found - AutoScalingGroup '{name}' not found")
        return group

    def numbered(version):
        # A specific version number ("3"), as opposed to $Latest, $Default or nothing.
        return version is not None and str(version).isdigit() and int(version) > 0

    def desired_template(backend, spec):
        # The LaunchTemplate of a DesiredConfiguration: (template, numbered version it launches). The template
        # is looked up as CreateAutoScalingGroup looks it up here; $Latest/$Default are resolved once, so the
        # refresh launches, and SkipMatching compares against, one numbered version.
        if bool(spec.get("LaunchTemplateId")) == bool(spec.get("LaunchTemplateName")):
            raise ValidationError("Valid requests must contain either launchTemplateId or LaunchTemplateName")
        version = spec.get("Version") or "$Default"
        if version not in ("$Latest", "$Default") and not numbered(version):
            raise ValidationError("The launch template version must be $Latest, $Default or a version number.")
        if spec.get("LaunchTemplateId"):
            template = backend.ec2_backend.get_launch_template(spec["LaunchTemplateId"])
        else:
            template = backend.ec2_backend.get_launch_template_by_name(spec["LaunchTemplateName"])
        return template, str(template.get_version(version).number)

    def refresh_preferences(group, given):
        prefs = dict(given or {})
        for key in ("CheckpointPercentages", "CheckpointDelay", "AlarmSpecification"):
            if prefs.get(key):
                raise not_emulated(key)
        if prefs.get("BakeTime"):
            raise not_emulated("BakeTime")
        # Unset preferences come from the group's instance maintenance policy, if it has one (see
        # restore_instance_maintenance_policy), as RefreshPreferences documents.
        policy = getattr(group, "instance_maintenance_policy", None) or {}
        if "MinHealthyPercentage" not in prefs and "MaxHealthyPercentage" not in prefs and policy:
            prefs.update(policy)
            given = {**(given or {}), **policy}
        low = prefs.setdefault("MinHealthyPercentage", 90)
        if not 0 <= low <= 100:
            raise ValidationError("MinHealthyPercentage must be between 0 and 100.")
        high = prefs.get("MaxHealthyPercentage")
        if high is not None:
            if not 100 <= high <= 200:
                raise ValidationError("MaxHealthyPercentage must be between 100 and 200.")
            if "MinHealthyPercentage" not in (given or {}):
                raise ValidationError(
                    "If you specify MaxHealthyPercentage, you must also specify MinHealthyPercentage."
                )
            if high - low > 100:
                raise ValidationError(
                    "The difference between MaxHealthyPercentage and MinHealthyPercentage cannot be greater than 100."
                )
        warmup = getattr(group, "default_instance_warmup", None)
        if prefs.setdefault("InstanceWarmup", warmup if warmup is not None else group.health_check_grace_period or 0) < 0:
            raise ValidationError("InstanceWarmup must be 0 or more.")
        prefs.setdefault("SkipMatching", False)
        prefs.setdefault("AutoRollback", False)
        prefs.setdefault("ScaleInProtectedInstances", "Wait")
        prefs.setdefault("StandbyInstances", "Wait")
        if prefs["ScaleInProtectedInstances"] not in ("Refresh", "Ignore", "Wait"):
            raise ValidationError("ScaleInProtectedInstances must be Refresh, Ignore or Wait.")
        if prefs["StandbyInstances"] not in ("Terminate", "Ignore", "Wait"):
            raise ValidationError("StandbyInstances must be Terminate, Ignore or Wait.")
        return prefs

    def launched_from(state):
        # (template id, version number) of an instance, or None.
        spec = state.launch_template
        return (spec["LaunchTemplateId"], spec["Version"]) if spec else None

    def instances_to_replace(group, prefs, target):
        # The group's instances this refresh replaces. `target` is (template id, version number) that
        # SkipMatching compares against, or None for "replace everything".
        chosen = []
        for state in group.instance_states:
            if state.lifecycle_state == "Standby":
                if prefs["StandbyInstances"] == "Ignore":
                    continue
                raise not_emulated(f"StandbyInstances {prefs['StandbyInstances']} with instances in Standby")
            if state.lifecycle_state != "InService":
                continue
            if state.protected_from_scale_in and prefs["ScaleInProtectedInstances"] != "Refresh":
                if prefs["ScaleInProtectedInstances"] == "Ignore":
                    continue
                raise not_emulated("ScaleInProtectedInstances Wait with instances protected from scale in")
            if prefs["SkipMatching"] and target is not None and launched_from(state) == target:
                continue
            chosen.append(state.instance.id)
        return chosen

    def start_instance_refresh(self, group_name, strategy, desired_configuration, preferences):
        group = find_group(self, group_name)
        if group.mixed_instances_policy:
            raise not_emulated("a group with a MixedInstancesPolicy")
        strategy = strategy or "Rolling"
        if strategy == "ReplaceRootVolume":
            # Documented requirement (instance-refresh-overview): the group must use a mixed instances policy.
            raise ValidationError(
                "The ReplaceRootVolume strategy requires an Auto Scaling group with a mixed instances policy."
            )
        if strategy != "Rolling":
            raise ValidationError("Strategy must be Rolling or ReplaceRootVolume.")
        desired = None
        if desired_configuration is not None:
            if desired_configuration.get("MixedInstancesPolicy"):
                raise not_emulated("a DesiredConfiguration with a MixedInstancesPolicy")
            if not desired_configuration.get("LaunchTemplate"):
                raise ValidationError(
                    "If you specify a desired configuration, you must specify either a LaunchTemplate or a "
                    "MixedInstancesPolicy."
                )
            desired = desired_template(self, desired_configuration["LaunchTemplate"])
        prefs = refresh_preferences(group, preferences)
        if prefs["AutoRollback"]:
            if desired is None:
                raise ValidationError(
                    "The request isn't valid. The AutoRollback parameter cannot be set to true when the "
                    "DesiredConfiguration parameter is empty. Set AutoRollback to false or specify a desired "
                    "configuration and try again."
                )
            if group.ec2_launch_template is None or not numbered(group.provided_launch_template_version):
                raise ValidationError(
                    "AutoRollback cannot be set to true: the Auto Scaling group must use a specific numbered "
                    "launch template version to roll back to, not $Latest, $Default or a launch configuration."
                )
            if not numbered(desired_configuration["LaunchTemplate"].get("Version")):
                raise ValidationError(
                    "AutoRollback cannot be set to true when the desired configuration uses the $Latest or "
                    "$Default launch template version."
                )
        if desired is not None:
            target = (desired[0].id, desired[1])
        elif group.ec2_launch_template is not None:
            current = group.ec2_launch_template.get_version(group.launch_template_version)
            target = (group.ec2_launch_template.id, str(current.number))
        elif prefs["SkipMatching"]:
            raise ValidationError(
                "Skip matching cannot be used with a launch configuration unless the desired configuration "
                "specifies a launch template."
            )
        else:
            target = None
        if active_refresh(group) is not None:
            raise AutoscalingClientError("InstanceRefreshInProgress", REFRESH_IN_PROGRESS)
        to_replace = instances_to_replace(group, prefs, target)
        refresh = {
            "InstanceRefreshId": str(random.uuid4()),
            "AutoScalingGroupName": group.name,
            "Status": "Pending",
            "StartTime": utcnow(),
            "PercentageComplete": 0,
            "InstancesToUpdate": len(to_replace),
            "Preferences": prefs,
            "Strategy": strategy,
            # Not part of the answer (Describe copies only the API's members):
            "desired": desired,
            "to_replace": to_replace,
            "total": len(to_replace),
            "launched": [],
        }
        if desired_configuration is not None:
            refresh["DesiredConfiguration"] = {"LaunchTemplate": dict(desired_configuration["LaunchTemplate"])}
        refreshes_of(group).append(refresh)
        return refresh["InstanceRefreshId"]

    def batch_size(group, prefs, pending):
        # How many instances one batch replaces (see the docstring).
        capacity = group.desired_capacity or 0
        in_service = len(group.active_instances())
        high = prefs.get("MaxHealthyPercentage")
        if high is not None and high > 100:
            count = capacity * high // 100 - in_service
        else:
            count = in_service - math.ceil(capacity * prefs["MinHealthyPercentage"] / 100)
        return min(max(count, 1), pending)

    def launch(backend, group, desired, count):
        # Launch `count` instances into the group from `desired` ((template, version number)), or from the
        # group's own configuration when None, through moto's launch path. Returns the new instance ids.
        saved = (group.ec2_launch_template, group.launch_template_version, group.launch_config)
        if desired is not None:
            group.ec2_launch_template, group.launch_template_version = desired
            group.launch_config = None
        before = {state.instance.id for state in group.instance_states}
        try:
            group.replace_autoscaling_group_instances(count, group.get_propagated_tags())
        finally:
            group.ec2_launch_template, group.launch_template_version, group.launch_config = saved
        backend.update_attached_elbs(group.name)
        backend.update_attached_target_groups(group.name)
        return [state.instance.id for state in group.instance_states if state.instance.id not in before]

    def terminate(backend, group, instance_ids):
        # Take the instances out of the group and its load balancers, then terminate them.
        group.instance_states = [s for s in group.instance_states if s.instance.id not in instance_ids]
        backend.elbv2_backend.notify_terminate_instances(instance_ids)
        backend.update_attached_elbs(group.name)
        backend.ec2_backend.terminate_instances(instance_ids)

    def finish(refresh, status):
        refresh["Status"] = status
        refresh["EndTime"] = utcnow()

    def advance(backend, group, refresh):
        # One batch of an active refresh or rollback (see the docstring).
        rolling_back = refresh["Status"] == "RollbackInProgress"
        if refresh["Status"] not in ("Pending", "InProgress") and not rolling_back:
            return
        in_group = {state.instance.id for state in group.active_instances()}
        queue = refresh["to_roll_back"] if rolling_back else refresh["to_replace"]
        queue[:] = [i for i in queue if i in in_group]
        if queue:
            count = batch_size(group, refresh["Preferences"], len(queue))
            try:
                # A rollback launches from the group's own configuration, which the refresh has not changed.
                new = launch(backend, group, None if rolling_back else refresh["desired"], count)
            except Exception as error:  # whatever stops the launch fails the refresh, as on AWS
                refresh["StatusReason"] = f"Failed to launch instances: {error}"
                if rolling_back or not refresh["Preferences"]["AutoRollback"]:
                    finish(refresh, "RollbackFailed" if rolling_back else "Failed")
                    return
                start_rollback(refresh, group, "The instance refresh failed; rolling back automatically.")
                return
            terminate(backend, group, queue[:count])
            del queue[:count]
            if not rolling_back:
                refresh["launched"].extend(new)
        if rolling_back:
            details = refresh["RollbackDetails"]
            total = refresh["rollback_total"]
            # "This value gradually goes back down to zero during a rollback" (InstanceRefresh reference).
            still_to_roll_back = len(queue) / total if total else 0
            refresh["PercentageComplete"] = int(details["PercentageCompleteOnRollback"] * still_to_roll_back)
            if not queue:
                finish(refresh, "RollbackSuccessful")
            return
        total = refresh["total"]
        refresh["InstancesToUpdate"] = len(queue)
        refresh["PercentageComplete"] = (total - len(queue)) * 100 // total if total else 100
        if queue:
            refresh["Status"] = "InProgress"
            return
        # Done: the group takes the desired configuration, as AWS does once a refresh with one succeeds.
        if "DesiredConfiguration" in refresh:
            group._set_launch_configuration(None, dict(refresh["DesiredConfiguration"]["LaunchTemplate"]), None)
            group.launch_config = None
            group.launch_configuration_name = None
        finish(refresh, "Successful")

    def start_rollback(refresh, group, reason):
        in_group = {state.instance.id for state in group.active_instances()}
        refresh["to_roll_back"] = [i for i in refresh["launched"] if i in in_group]
        refresh["rollback_total"] = len(refresh["to_roll_back"])
        refresh["RollbackDetails"] = {
            "RollbackReason": reason,
            "RollbackStartTime": utcnow(),
            "PercentageCompleteOnRollback": refresh["PercentageComplete"],
            "InstancesToUpdateOnRollback": refresh["InstancesToUpdate"],
        }
        refresh["Status"] = "RollbackInProgress"

    def describe_instance_refreshes(self, group_name, refresh_ids, first_page=True):
        group = find_group(self, group_name)
        active = active_refresh(group)
        # One batch per describe, not one per page of a describe.
        if active is not None and first_page:
            advance(self, group, active)
        chosen = [r for r in reversed(refreshes_of(group)) if not refresh_ids or r["InstanceRefreshId"] in refresh_ids]
        members = (
            "InstanceRefreshId",
            "AutoScalingGroupName",
            "Status",
            "StatusReason",
            "StartTime",
            "EndTime",
            "PercentageComplete",
            "InstancesToUpdate",
            "Preferences",
            "DesiredConfiguration",
            "RollbackDetails",
            "Strategy",
        )
        return [{key: r[key] for key in members if key in r} for r in chosen]

    def cancel_instance_refresh(self, group_name):
        group = find_group(self, group_name)
        refresh = active_refresh(group)
        if refresh is None:
            raise AutoscalingClientError("ActiveInstanceRefreshNotFound", NO_ACTIVE_REFRESH)
        # Nothing is ever half-launched between two calls here, so there is nothing to wait for: the
        # refresh (or its rollback) stops at once, and what it replaced stays.
        finish(refresh, "Cancelled")
        return refresh["InstanceRefreshId"]

    def rollback_instance_refresh(self, group_name):
        group = find_group(self, group_name)
        refresh = active_refresh(group)
        if refresh is None or refresh["Status"] not in ("Pending", "InProgress", "Baking"):
            raise AutoscalingClientError("ActiveInstanceRefreshNotFound", NO_ACTIVE_REFRESH)
        if (
            "DesiredConfiguration" not in refresh
            or group.ec2_launch_template is None
            or not numbered(group.provided_launch_template_version)
        ):
            raise AutoscalingClientError(
                "IrreversibleInstanceRefresh",
                "The request failed because a desired configuration was not found or an incompatible launch "
                "template (uses a Systems Manager parameter instead of an AMI ID) or launch template version "
                "($Latest or $Default) is present on the Auto Scaling group.",
            )
        start_rollback(refresh, group, "Rollback started by RollbackInstanceRefresh.")
        return refresh["InstanceRefreshId"]

    AutoScalingBackend.start_instance_refresh = start_instance_refresh
    AutoScalingBackend.describe_instance_refreshes = describe_instance_refreshes
    AutoScalingBackend.cancel_instance_refresh = cancel_instance_refresh
    AutoScalingBackend.rollback_instance_refresh = rollback_instance_refresh

    # The Query actions: moto routes "StartInstanceRefresh" to AutoScalingResponse.start_instance_refresh, and
    # serialises the returned dicts with the API model's member names.

    def start_action(self):
        with lock:
            refresh_id = self.autoscaling_backend.start_instance_refresh(
                self._get_param("AutoScalingGroupName"),
                self._get_param("Strategy"),
                self._get_param("DesiredConfiguration"),
                self._get_param("Preferences"),
            )
        return ActionResult({"InstanceRefreshId": refresh_id})

    def describe_action(self):
        token = self._get_param("NextToken")
        with lock:
            refreshes = self.autoscaling_backend.describe_instance_refreshes(
                self._get_param("AutoScalingGroupName"), self._get_param("InstanceRefreshIds", []), token is None
            )
        # Pages as DescribeAutoScalingGroups does here: NextToken is the last id of the page.
        ids = [r["InstanceRefreshId"] for r in refreshes]
        if token is not None and token not in ids:
            raise AutoscalingClientError("InvalidNextToken", "The NextToken value is not valid.")
        start = ids.index(token) + 1 if token is not None else 0
        max_records = min(self._get_int_param("MaxRecords") or 50, 100)
        page = refreshes[start : start + max_records]
        next_token = page[-1]["InstanceRefreshId"] if len(refreshes) > start + max_records else None
        return ActionResult({"InstanceRefreshes": page, "NextToken": next_token})

    def cancel_action(self):
        with lock:
            refresh_id = self.autoscaling_backend.cancel_instance_refresh(self._get_param("AutoScalingGroupName"))
        return ActionResult({"InstanceRefreshId": refresh_id})

    def rollback_action(self):
        with lock:
            refresh_id = self.autoscaling_backend.rollback_instance_refresh(self._get_param("AutoScalingGroupName"))
        return ActionResult({"InstanceRefreshId": refresh_id})

    AutoScalingResponse.start_instance_refresh = start_action
    AutoScalingResponse.describe_instance_refreshes = describe_action
    AutoScalingResponse.cancel_instance_refresh = cancel_action
    AutoScalingResponse.rollback_instance_refresh = rollback_action


def restore_instance_maintenance_policy() -> None:
    """A group keeps the InstanceMaintenancePolicy and DefaultInstanceWarmup it is given, as AWS does.

    AWS stores both on CreateAutoScalingGroup and UpdateAutoScalingGroup, returns them in
    DescribeAutoScalingGroups, and an instance refresh that does not set its own healthy percentages or
    warm-up uses them:
    https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-instance-maintenance-policy.html
    https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_InstanceMaintenancePolicy.html
    https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_CreateAutoScalingGroup.html
    https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_RefreshPreferences.html

    moto 5.2.5 reads neither parameter: both are dropped without a word, and DescribeAutoScalingGroups never
    returns them. The patch reads them after moto's own Create/Update (which have made or found the group),
    checks them as the API reference does (MinHealthyPercentage 0-100, MaxHealthyPercentage 100-200, both
    or neither, at most 100 apart, -1 for both clears the policy; DefaultInstanceWarmup 0 or more, -1
    clears it) and keeps them on the group, where moto's serializer finds them by name. Ranges and rules
    from InstanceMaintenancePolicy's reference; the messages are ours.
    """
    from moto.autoscaling.exceptions import ValidationError
    from moto.autoscaling.responses import AutoScalingResponse

    def checked_policy(given):
        low, high = given.get("MinHealthyPercentage"), given.get("MaxHealthyPercentage")
        if (low is None) != (high is None):
            raise ValidationError("Both MinHealthyPercentage and MaxHealthyPercentage must be specified.")
        if (low, high) == (-1, -1):
            return None
        if not 0 <= low <= 100:
            raise ValidationError("MinHealthyPercentage must be between 0 and 100, or -1 to clear it.")
        if not 100 <= high <= 200:
            raise ValidationError("MaxHealthyPercentage must be between 100 and 200, or -1 to clear it.")
        if high - low > 100:
            raise ValidationError(
                "The difference between MaxHealthyPercentage and MinHealthyPercentage cannot be greater than 100."
            )
        return {"MinHealthyPercentage": low, "MaxHealthyPercentage": high}

    def keep(original):
        def call(self):
            given = self._get_param("InstanceMaintenancePolicy")
            warmup = self._get_int_param("DefaultInstanceWarmup")
            # Checked before moto acts, so a refused request changes nothing.
            policy = checked_policy(given) if given else None
            if warmup is not None and warmup < -1:
                raise ValidationError("DefaultInstanceWarmup must be 0 or more, or -1 to clear it.")
            result = original(self)
            group = self.autoscaling_backend.autoscaling_groups[self._get_param("AutoScalingGroupName")]
            if given:
                group.instance_maintenance_policy = policy
            if warmup is not None:
                group.default_instance_warmup = None if warmup == -1 else warmup
            return result

        return call

    AutoScalingResponse.create_auto_scaling_group = keep(AutoScalingResponse.create_auto_scaling_group)
    AutoScalingResponse.update_auto_scaling_group = keep(AutoScalingResponse.update_auto_scaling_group)


def restore_cloudwatch_rpc_v2_cbor() -> None:
    """CloudWatch answers requests in the Smithy RPC v2 CBOR protocol, as AWS does.

    AWS CloudWatch takes three protocols: AWS Query, AWS JSON 1.0 and Smithy RPC v2 CBOR, and each SDK
    uses the fastest one it has; the AWS SDK for Rust (aws-sdk-cloudwatch, which clusterup's canary
    rollout reads metrics with) speaks only RPC v2 CBOR: `POST /service/GraniteServiceVersion20100801/
    operation/<Operation>` with `smithy-protocol: rpc-v2-cbor` and a CBOR body, answered in kind.
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-protocols-faq.html
    https://smithy.io/2.0/additional-specs/protocols/smithy-rpc-v2.html
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html

    moto 5.2.5 serves CloudWatch over Query and JSON only (botocore, its own client, picks JSON): a CBOR
    request finds no route and gets a 404 HTML page.

    How the patch works: a CBOR request for CloudWatch is translated into the same request in AWS JSON
    1.0, using botocore's own (de)serializers and CloudWatch's service model, so the request is read by the
    operation's input shape and anything the shape does not know is dropped, as a JSON request's would be.
    moto's CloudWatch then handles it as it handles botocore's JSON requests, and its answer is translated
    back: a result through the operation's output shape (timestamps as CBOR epoch-seconds tags), an error
    as a CBOR map with the same `__type` and `message` (and the same `x-amzn-query-error` header). Every
    other request passes untouched.
    """
    import io
    import json
    import re

    import botocore.session
    from botocore.parsers import JSONParser, RpcV2CBORParser
    from botocore.serialize import JSONSerializer, RpcV2CBORSerializer
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    route = re.compile(r"^/service/GraniteServiceVersion20100801/operation/([A-Za-z]+)$")
    model = botocore.session.Session().get_service_model("cloudwatch")
    cbor = RpcV2CBORSerializer()
    original = DomainDispatcherApplication.__call__

    def cbor_map_of_text(values):
        """A CBOR map of text to text (an error's `__type` and `message`)."""
        out = bytearray(cbor._get_initial_byte(cbor.MAP_MAJOR_TYPE, len(values)))
        for key, value in values.items():
            cbor._serialize_type_string(out, str(key), None, None)
            cbor._serialize_type_string(out, str(value), None, None)
        return bytes(out)

    def call(self, environ, start_response):
        found = route.match(environ.get("PATH_INFO", ""))
        if not found or environ.get("HTTP_SMITHY_PROTOCOL") != "rpc-v2-cbor" or found.group(1) not in model.operation_names:
            return original(self, environ, start_response)
        operation = model.operation_model(found.group(1))
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        params = {}
        if body and operation.input_shape is not None:
            params = RpcV2CBORParser().parse({"body": body, "headers": {}, "status_code": 200}, operation.input_shape)
            params.pop("ResponseMetadata", None)
        as_json = JSONSerializer().serialize_to_request(params, operation)
        environ = dict(environ)
        environ["PATH_INFO"] = "/"
        environ["CONTENT_TYPE"] = as_json["headers"]["Content-Type"]
        environ["HTTP_X_AMZ_TARGET"] = as_json["headers"]["X-Amz-Target"]
        environ["CONTENT_LENGTH"] = str(len(as_json["body"]))
        environ["wsgi.input"] = io.BytesIO(as_json["body"])

        answered = {}

        def keep(status, headers, exc_info=None):
            answered["status"], answered["headers"] = status, headers
            return lambda _data: None

        chunks = original(self, environ, keep)
        text = b"".join(chunks)
        if hasattr(chunks, "close"):
            chunks.close()
        status = answered["status"]
        passed_on = [(k, v) for k, v in answered["headers"] if k.lower() in ("x-amzn-requestid", "x-amzn-query-error")]
        code = int(status.split()[0])
        if code < 300:
            result = {}
            if operation.output_shape is not None:
                result = JSONParser().parse({"body": text, "headers": {}, "status_code": code}, operation.output_shape)
                result.pop("ResponseMetadata", None)
            out = bytearray()
            if operation.output_shape is not None:
                cbor._serialize_data_item(out, result, operation.output_shape)
            else:
                out.extend(cbor_map_of_text({}))
            out = bytes(out)
        else:
            error = json.loads(text or b"{}")
            out = cbor_map_of_text({k: v for k, v in error.items() if k in ("__type", "message", "Message")})
        headers = passed_on + [
            ("Content-Type", "application/cbor"),
            ("smithy-protocol", "rpc-v2-cbor"),
            ("Content-Length", str(len(out))),
        ]
        start_response(status, headers)
        return [out]

    DomainDispatcherApplication.__call__ = call


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


def restore_emr_managed_scaling() -> None:
    """EMR managed scaling: a cluster keeps the ManagedScalingPolicy it is given, as AWS does.

    AWS: RunJobFlow takes a ManagedScalingPolicy; PutManagedScalingPolicy creates or replaces a cluster's
    policy, GetManagedScalingPolicy returns it (no ManagedScalingPolicy member when the cluster has none),
    RemoveManagedScalingPolicy removes it. The policy is the cluster's own: each cluster has at most one.
    https://docs.aws.amazon.com/emr/latest/APIReference/API_PutManagedScalingPolicy.html
    https://docs.aws.amazon.com/emr/latest/APIReference/API_GetManagedScalingPolicy.html
    https://docs.aws.amazon.com/emr/latest/APIReference/API_RemoveManagedScalingPolicy.html
    https://docs.aws.amazon.com/emr/latest/APIReference/API_RunJobFlow.html
    https://docs.aws.amazon.com/emr/latest/APIReference/API_ManagedScalingPolicy.html
    https://docs.aws.amazon.com/emr/latest/APIReference/API_ComputeLimits.html

    moto 5.2.5 has none of the three calls (a 500, "not implemented") and drops RunJobFlow's
    ManagedScalingPolicy. The patch keeps the policy on moto's Cluster, so a deleted cluster takes it
    along and /moto-api/reset clears it; an unknown cluster id is refused by moto's own DescribeCluster
    lookup (InvalidRequestException), as the other cluster calls refuse it.

    Refused as the API model says (botocore emr service-2.json): a ComputeLimits without UnitType,
    MinimumCapacityUnits or MaximumCapacityUnits (required members), or a UnitType outside its enum
    (InstanceFleetUnits, Instances, VCPU), with ValidationException, the code AWS's JSON services answer a
    request their model rejects with; the messages are ours. The limits' relations (maximum at least the
    minimum, ...) are not checked here: clusterup checks them offline (`spark.scaling`), and the emulator
    accepts nothing for it that the model refuses.
    """
    from moto.emr.exceptions import ValidationException
    from moto.emr.models import Cluster
    from moto.emr.responses import ElasticMapReduceResponse
    from moto.core.responses import ActionResult, EmptyResult

    # A cluster made before the patch, or without a policy, has none.
    Cluster.managed_scaling_policy = None
    unit_types = ("InstanceFleetUnits", "Instances", "VCPU")

    def checked(policy):
        limits = (policy or {}).get("ComputeLimits")
        if not limits:
            raise ValidationException("ManagedScalingPolicy.ComputeLimits is required.")
        for member in ("UnitType", "MinimumCapacityUnits", "MaximumCapacityUnits"):
            if limits.get(member) is None:
                raise ValidationException(f"ManagedScalingPolicy.ComputeLimits.{member} is required.")
        if limits["UnitType"] not in unit_types:
            raise ValidationException(
                f"ComputeLimits.UnitType {limits['UnitType']!r} is not one of {', '.join(unit_types)}."
            )
        return policy

    def put(self):
        cluster = self.backend.describe_cluster(self._get_param("ClusterId"))
        cluster.managed_scaling_policy = checked(self._get_param("ManagedScalingPolicy"))
        return EmptyResult()

    def get(self):
        cluster = self.backend.describe_cluster(self._get_param("ClusterId"))
        if cluster.managed_scaling_policy is None:
            return ActionResult({})
        return ActionResult({"ManagedScalingPolicy": cluster.managed_scaling_policy})

    def remove(self):
        cluster = self.backend.describe_cluster(self._get_param("ClusterId"))
        cluster.managed_scaling_policy = None
        return EmptyResult()

    original_run_job_flow = ElasticMapReduceResponse.run_job_flow

    def run_job_flow(self):
        policy = self._get_param("ManagedScalingPolicy")
        # Checked before moto makes the cluster, so a refused request makes nothing.
        if policy is not None:
            checked(policy)
        result = original_run_job_flow(self)
        if policy is not None:
            self.backend.describe_cluster(result.result["JobFlowId"]).managed_scaling_policy = policy
        return result

    ElasticMapReduceResponse.put_managed_scaling_policy = put
    ElasticMapReduceResponse.get_managed_scaling_policy = get
    ElasticMapReduceResponse.remove_managed_scaling_policy = remove
    ElasticMapReduceResponse.run_job_flow = run_job_flow
def restore_ssm_send_command_to_its_instances() -> None:
    """SendCommand with InstanceIds and no Targets runs on those instances only, as AWS does.

    AWS: InstanceIds are "the IDs of the managed nodes where the command should run"; Targets select
    nodes by tag or resource group instead, and a request names one or the other:
    https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_SendCommand.html

    moto's `Command` adds to the given InstanceIds every instance its Targets match, reading the targets
    as EC2 filters; with no Targets that is an empty filter, which matches every instance of the
    region, so a command sent to two nodes lists (and has invocations on) every instance there. Match
    nothing for no targets; targets given still add what they match.
    """
    from moto.ssm.models import Command

    original = Command._get_instance_ids_from_targets

    def instance_ids_from_targets(self):
        return original(self) if self.targets else []

    Command._get_instance_ids_from_targets = instance_ids_from_targets


def restore_read_replica_refusal_for_a_managed_password() -> None:
    """CreateDBInstanceReadReplica refuses a MySQL source whose master password RDS manages, as AWS does.

    AWS: "Creating read replicas for source instance with engine mysql where ManageMasterUserPassword is
    enabled is not supported" (InvalidParameterValue); the RDS User Guide lists it among the limitations
    of Secrets Manager integration:
    https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html#rds-secrets-manager-limitations

    moto makes the replica anyway (a copy of the source, its MasterUserSecret included, and deleting the
    replica then deletes the source's secret), so a tool that asked for it would pass here and fail on
    AWS. Refuse in the backend's `create_db_instance_read_replica` when the source is a MySQL instance
    with a managed password; any other source replicates as before.
    """
    from moto.rds.exceptions import InvalidParameterValue
    from moto.rds.models import RDSBackend

    original = RDSBackend.create_db_instance_read_replica

    def create_db_instance_read_replica(self, db_kwargs):
        source = self.find_db_from_id(db_kwargs["source_db_instance_identifier"])
        if source.engine == "mysql" and getattr(source, "manage_master_user_password", False):
            raise InvalidParameterValue(
                "Creating read replicas for source instance with engine mysql where ManageMasterUserPassword "
                "is enabled is not supported."
            )
        return original(self, db_kwargs)

    RDSBackend.create_db_instance_read_replica = create_db_instance_read_replica


def main() -> None:
    if moto.__version__ != PATCHED_FOR:
        sys.exit(
            f"scripts/emulator/moto_server.py: written for moto {PATCHED_FOR}, found {moto.__version__}; "
            "check each patch against the new version before changing PATCHED_FOR"
        )
    restore_launch_template_version_user_data()
    restore_emr_instance_termination()
    restore_load_balancer_deletion_protection()
    restore_efs_delete_file_system_policy()
    restore_auto_scaling_instance_refresh()
    restore_instance_maintenance_policy()
    restore_emr_instance_group_reconfiguration()
    restore_emr_managed_scaling()
    restore_cloudwatch_rpc_v2_cbor()
    restore_ssm_send_command_to_its_instances()
    restore_read_replica_refusal_for_a_managed_password()
    serve(sys.argv[1:])


if __name__ == "__main__":
    main()
