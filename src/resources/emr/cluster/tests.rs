//! The emulator answers the managed-scaling calls with 500 (not implemented), so managed scaling is
//! covered here with SDK mocks, as the test names say; custom scaling runs against the emulator.

use aws_sdk_emr::operation::describe_cluster::DescribeClusterOutput;
use aws_sdk_emr::operation::get_managed_scaling_policy::GetManagedScalingPolicyOutput;
use aws_sdk_emr::operation::list_bootstrap_actions::ListBootstrapActionsOutput;
use aws_sdk_emr::operation::list_instance_groups::ListInstanceGroupsOutput;
use aws_sdk_emr::operation::list_instances::ListInstancesOutput;
use aws_sdk_emr::operation::put_managed_scaling_policy::PutManagedScalingPolicyOutput;
use aws_sdk_emr::operation::remove_auto_scaling_policy::RemoveAutoScalingPolicyOutput;
use aws_sdk_emr::types::ClusterStatus;
use aws_sdk_emr::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};

use aws_sdk_emr::types::{Cluster, ClusterState, ComputeLimitsUnitType, ManagedScalingPolicy, Tag};

use super::read::read;
use super::scaling::{managed_policy, scaling_value};
use super::*;
use crate::aws::Aws;
use crate::model::names::spark::CLUSTER;
use crate::model::{tags, Address, Value};
use crate::resources::{DataPolicy, Quiet};

fn ctx(emr: Client) -> Ctx {
    Ctx { aws: Aws { emr, ..Aws::offline() }, deployment: "demo".into(), data: DataPolicy::default() }
}

fn have(mode: &str, min: i32, max: i32) -> Actual {
    Actual::new(Address::new(CLUSTER), Kind::EmrCluster, "j-1")
        .prop(&STATE, Value::str(READY))
        .prop(&SCALING, scaling_value(mode, min, max))
        .attr("core_group_id", "ig-core")
}

fn want(mode: &str, min: i64, max: i64) -> Desired {
    Desired::new(CLUSTER, Kind::EmrCluster).prop(&STATE, Value::str(READY)).prop(
        &SCALING,
        Value::Map(
            [
                ("mode".to_owned(), Value::str(mode)),
                ("min".to_owned(), Value::Int(min)),
                ("max".to_owned(), Value::Int(max)),
            ]
            .into(),
        ),
    )
}

fn limits_are(policy: Option<&ManagedScalingPolicy>, min: i32, max: i32) -> bool {
    let limits = policy.and_then(|p| p.compute_limits());
    limits.is_some_and(|l| {
        l.unit_type() == Some(&ComputeLimitsUnitType::Instances)
            && l.minimum_capacity_units() == Some(min)
            && l.maximum_capacity_units() == Some(max)
    })
}

#[tokio::test]
async fn put_managed_scaling_policy_sdk_mock_emulator_gap_sets_new_limits() {
    let put = mock!(Client::put_managed_scaling_policy)
        .match_requests(|req| req.cluster_id() == Some("j-1") && limits_are(req.managed_scaling_policy(), 3, 12))
        .then_output(|| PutManagedScalingPolicyOutput::builder().build());
    let emr = mock_client!(aws_sdk_emr, [&put]);
    let updated = EmrCluster::update(&ctx(emr), &have("managed", 2, 10), &want("managed", 3, 12), &Quiet)
        .await
        .expect("limits updated");
    assert_eq!(put.num_calls(), 1);
    assert_eq!(updated.props.get(SCALING.name), want("managed", 3, 12).props.get(SCALING.name));
}

#[tokio::test]
async fn put_managed_scaling_policy_sdk_mock_emulator_gap_replaces_custom_rules() {
    let remove = mock!(Client::remove_auto_scaling_policy)
        .match_requests(|req| req.cluster_id() == Some("j-1") && req.instance_group_id() == Some("ig-core"))
        .then_output(|| RemoveAutoScalingPolicyOutput::builder().build());
    let put = mock!(Client::put_managed_scaling_policy)
        .match_requests(|req| limits_are(req.managed_scaling_policy(), 2, 10))
        .then_output(|| PutManagedScalingPolicyOutput::builder().build());
    let emr = mock_client!(aws_sdk_emr, RuleMode::Sequential, [&remove, &put]);
    EmrCluster::update(&ctx(emr), &have("custom", 2, 10), &want("managed", 2, 10), &Quiet)
        .await
        .expect("switched to managed scaling");
    assert_eq!((remove.num_calls(), put.num_calls()), (1, 1), "the rules go first, then the managed policy");
}

#[tokio::test]
async fn get_managed_scaling_policy_sdk_mock_emulator_gap_is_read_for_managed_clusters() {
    let tags = [("clusterup:deployment", "demo"), ("clusterup:resource", CLUSTER), (tags::SPARK_SCALING, "managed")];
    let describe = mock!(Client::describe_cluster).then_output(move || {
        let cluster = Cluster::builder()
            .id("j-1")
            .name("demo-spark")
            .status(ClusterStatus::builder().state(ClusterState::Waiting).build())
            .set_tags(Some(tags.iter().map(|(k, v)| Tag::builder().key(*k).value(*v).build()).collect()))
            .build();
        DescribeClusterOutput::builder().cluster(cluster).build()
    });
    let groups = mock!(Client::list_instance_groups).then_output(|| ListInstanceGroupsOutput::builder().build());
    let instances = mock!(Client::list_instances).then_output(|| ListInstancesOutput::builder().build());
    let bootstrap = mock!(Client::list_bootstrap_actions).then_output(|| ListBootstrapActionsOutput::builder().build());
    let get = mock!(Client::get_managed_scaling_policy)
        .match_requests(|req| req.cluster_id() == Some("j-1"))
        .then_output(|| GetManagedScalingPolicyOutput::builder().managed_scaling_policy(managed_policy(2, 10)).build());
    let emr = mock_client!(aws_sdk_emr, RuleMode::MatchAny, [&describe, &groups, &bootstrap, &instances, &get]);
    let actual = read(&ctx(emr), "j-1").await.expect("read").expect("the cluster is ours");
    assert_eq!(get.num_calls(), 1);
    assert_eq!(actual.props.get(SCALING.name), Some(&scaling_value("managed", 2, 10)));
    assert_eq!(actual.props.get(STATE.name), Some(&Value::str(READY)));
}
