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

use aws_sdk_emr::types::{
    Application, Cluster, ClusterState, ComputeLimitsUnitType, Ec2InstanceAttributes, ManagedScalingPolicy, Tag,
};

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

/// A cluster of the deployment as DescribeCluster reports it: everything AWS always returns for a cluster
/// clusterup started, and the tags saying how it scales.
fn described(scaling: &'static str) -> aws_sdk_emr::types::builders::ClusterBuilder {
    let tags = [("clusterup:deployment", "demo"), ("clusterup:resource", CLUSTER), (tags::SPARK_SCALING, scaling)];
    let ec2 = Ec2InstanceAttributes::builder()
        .ec2_subnet_id("subnet-1")
        .emr_managed_master_security_group("sg-master")
        .emr_managed_slave_security_group("sg-core")
        .service_access_security_group("sg-service")
        .iam_instance_profile("demo-spark-nodes")
        .build();
    Cluster::builder()
        .id("j-1")
        .name("demo-spark")
        .cluster_arn("arn:aws:elasticmapreduce:us-east-1:123456789012:cluster/j-1")
        .status(ClusterStatus::builder().state(ClusterState::Waiting).build())
        .release_label("emr-7.5.0")
        .applications(Application::builder().name("Spark").build())
        .service_role("demo-spark-service")
        .ec2_instance_attributes(ec2)
        .set_tags(Some(tags.iter().map(|(k, v)| Tag::builder().key(*k).value(*v).build()).collect()))
}

/// The read of cluster j-1 when DescribeCluster answers `cluster`, with its managed scaling policy.
async fn read_answering(cluster: Cluster) -> (Result<Option<Actual>, crate::aws::AwsError>, usize) {
    let describe = mock!(Client::describe_cluster)
        .then_output(move || DescribeClusterOutput::builder().cluster(cluster.clone()).build());
    let groups = mock!(Client::list_instance_groups).then_output(|| ListInstanceGroupsOutput::builder().build());
    let instances = mock!(Client::list_instances).then_output(|| ListInstancesOutput::builder().build());
    let bootstrap = mock!(Client::list_bootstrap_actions).then_output(|| ListBootstrapActionsOutput::builder().build());
    let get = mock!(Client::get_managed_scaling_policy)
        .match_requests(|req| req.cluster_id() == Some("j-1"))
        .then_output(|| GetManagedScalingPolicyOutput::builder().managed_scaling_policy(managed_policy(2, 10)).build());
    let emr = mock_client!(aws_sdk_emr, RuleMode::MatchAny, [&describe, &groups, &bootstrap, &instances, &get]);
    let read = read(&ctx(emr), "j-1").await;
    (read, get.num_calls())
}

#[tokio::test]
async fn get_managed_scaling_policy_sdk_mock_emulator_gap_is_read_for_managed_clusters() {
    let (read, policy_reads) = read_answering(described("managed").build()).await;
    let actual = read.expect("read").expect("the cluster is ours");
    assert_eq!(policy_reads, 1);
    assert_eq!(actual.props.get(SCALING.name), Some(&scaling_value("managed", 2, 10)));
    assert_eq!(actual.props.get(STATE.name), Some(&Value::str(READY)));
    assert_eq!(actual.props.get(RELEASE.name), Some(&Value::str("emr-7.5.0")));
}

/// The emulator always answers in full, so an answer missing what AWS always returns is an SDK mock.
#[tokio::test]
async fn a_cluster_described_without_what_aws_always_returns_is_incomplete_sdk_mock() {
    let mut without_release = described("managed").build();
    without_release.release_label = None;
    let (read, _) = read_answering(without_release).await;
    let err = read.expect_err("incomplete");
    assert!(err.is(crate::aws::ErrorClass::Incomplete), "{err}");
    assert_eq!((err.call, err.resource.as_str()), ("DescribeCluster", "j-1"));
    assert!(err.message.contains("ReleaseLabel"), "{}", err.message);

    // Where absence means something, it is read as such: no log folder, no master address yet.
    let mut quiet = described("managed").build();
    quiet.log_uri = None;
    quiet.master_public_dns_name = None;
    let (read, _) = read_answering(quiet).await;
    let actual = read.expect("read").expect("the cluster is ours");
    assert_eq!(actual.props.get(LOG_URI.name), Some(&Value::str("")));
    assert_eq!(actual.attrs.get("master_dns"), None);
}
