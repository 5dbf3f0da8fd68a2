//! The RunJobFlow request that starts a cluster as the composition describes it: its instance groups
//! (with clusterup's custom scaling rules when asked), subnet and security groups, bootstrap action,
//! applications and their configurations, roles, managed scaling and tags.

use aws_sdk_emr::operation::run_job_flow::builders::RunJobFlowFluentBuilder;
use aws_sdk_emr::types::{
    Application, AutoScalingPolicy, BootstrapActionConfig, Configuration, InstanceGroupConfig, InstanceRoleType,
    JobFlowInstancesConfig, MarketType, ScriptBootstrapActionConfig, Tag,
};

use super::configurations::parse_configurations;
use super::scaling::{custom_policy, managed_policy, wanted_scaling};
use super::{
    APPLICATIONS, AUTOSCALING_ROLE, BOOTSTRAP, CONFIGURATIONS, CORE_COUNT, CORE_SECURITY_GROUP, CORE_TYPE,
    INSTANCE_PROFILE, LOG_URI, MASTER_SECURITY_GROUP, MASTER_TYPE, RELEASE, SECURITY_CONFIGURATION, SERVICE_ROLE,
    SERVICE_SECURITY_GROUP, SUBNET, TASK_COUNT, TASK_TYPE,
};
use crate::model::{Desired, Prop, NAME};
use crate::resources::{tag_pairs, Error};

/// The request that starts the cluster `want` describes (its references resolved by now).
pub(super) fn run_job_flow(emr: &aws_sdk_emr::Client, want: &Desired) -> Result<RunJobFlowFluentBuilder, Error> {
    let scaling = wanted_scaling(want)?;
    let custom = scaling.as_ref().filter(|(mode, ..)| mode == "custom");
    let group =
        |name: &str, role: InstanceRoleType, type_prop: &Prop, count: i32, policy: Option<AutoScalingPolicy>| {
            Ok::<_, Error>(
                InstanceGroupConfig::builder()
                    .name(name)
                    .instance_role(role)
                    .market(MarketType::OnDemand)
                    .instance_type(want.text(type_prop)?)
                    .instance_count(count)
                    .set_auto_scaling_policy(policy)
                    .build(),
            )
        };
    let core_policy = custom.map(|(_, min, max)| custom_policy(*min, *max));
    let mut groups = vec![
        group("master", InstanceRoleType::Master, &MASTER_TYPE, 1, None)?,
        group("core", InstanceRoleType::Core, &CORE_TYPE, want.int32(&CORE_COUNT)?, core_policy)?,
    ];
    if want.value(&TASK_TYPE).is_some() {
        let task_count = want.int32(&TASK_COUNT)?;
        let task_policy = custom.map(|(_, _, max)| custom_policy(task_count, (*max).max(task_count)));
        groups.push(group("task", InstanceRoleType::Task, &TASK_TYPE, task_count, task_policy)?);
    }
    let instances = JobFlowInstancesConfig::builder()
        .set_instance_groups(Some(groups))
        .ec2_subnet_id(want.text(&SUBNET)?)
        .emr_managed_master_security_group(want.text(&MASTER_SECURITY_GROUP)?)
        .emr_managed_slave_security_group(want.text(&CORE_SECURITY_GROUP)?)
        .service_access_security_group(want.text(&SERVICE_SECURITY_GROUP)?)
        .keep_job_flow_alive_when_no_steps(true)
        .termination_protected(false)
        .build();
    let bootstrap = BootstrapActionConfig::builder()
        .name("clusterup-node")
        .script_bootstrap_action(ScriptBootstrapActionConfig::builder().path(want.text(&BOOTSTRAP)?).build())
        .build();
    let applications =
        want.strings(&APPLICATIONS)?.iter().map(|name| Application::builder().name(name).build()).collect();
    let managed = match &scaling {
        Some((mode, min, max)) if mode == "managed" => Some(managed_policy(*min, *max)),
        _ => None,
    };
    let request = emr
        .run_job_flow()
        .name(want.text(&NAME)?)
        .release_label(want.text(&RELEASE)?)
        .log_uri(want.text(&LOG_URI)?)
        .set_applications(Some(applications))
        .set_configurations(Some(configurations(want)?))
        .instances(instances)
        .bootstrap_actions(bootstrap)
        .service_role(want.text(&SERVICE_ROLE)?)
        .job_flow_role(want.text(&INSTANCE_PROFILE)?)
        .set_auto_scaling_role(custom.map(|_| want.text(&AUTOSCALING_ROLE).map(str::to_owned)).transpose()?)
        .set_managed_scaling_policy(managed)
        .set_security_configuration(
            want.value(&SECURITY_CONFIGURATION)
                .map(|_| want.text(&SECURITY_CONFIGURATION).map(str::to_owned))
                .transpose()?,
        )
        .set_tags(Some(emr_tags(want)))
        .visible_to_all_users(true);
    Ok(request)
}

/// The topology's configurations text as EMR's types.
fn configurations(want: &Desired) -> Result<Vec<Configuration>, Error> {
    parse_configurations(want.text(&CONFIGURATIONS)?, want.address.as_str())
}

fn emr_tags(want: &Desired) -> Vec<Tag> {
    tag_pairs(want).iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}
