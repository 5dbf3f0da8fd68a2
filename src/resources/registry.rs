//! The one list of kinds: every [`Kind`] to the module that implements it. The match is exhaustive, so a
//! kind without an implementation does not compile, and a [`Spec`] has no optional fields, so a kind
//! cannot be half described. The tests below check what the compiler cannot.

use super::{autoscaling, cloudwatch, ec2, efs, elbv2, emr, iam, logs, rds, route53, s3, secretsmanager, sns, AnyKind};
use crate::model::{Kind, Prop};

/// What clusterup knows about, and does with, resources of `kind`.
pub fn of(kind: Kind) -> &'static dyn AnyKind {
    match kind {
        Kind::Vpc => &ec2::vpc::Vpc,
        Kind::InternetGateway => &ec2::internet_gateway::InternetGateway,
        Kind::Subnet => &ec2::subnet::Subnet,
        Kind::ElasticIp => &ec2::elastic_ip::ElasticIp,
        Kind::NatGateway => &ec2::nat_gateway::NatGateway,
        Kind::RouteTable => &ec2::route_table::RouteTable,
        Kind::SecurityGroup => &ec2::security_group::SecurityGroup,
        Kind::SecurityGroupEgress => &ec2::security_group_egress::SecurityGroupEgress,
        Kind::TargetGroup => &elbv2::target_group::TargetGroup,
        Kind::LoadBalancer => &elbv2::load_balancer::LoadBalancer,
        Kind::Listener => &elbv2::listener::Listener,
        Kind::ListenerRule => &elbv2::listener_rule::ListenerRule,
        Kind::IamRole => &iam::role::Role,
        Kind::InstanceProfile => &iam::instance_profile::InstanceProfile,
        Kind::DbSubnetGroup => &rds::subnet_group::DbSubnetGroup,
        Kind::DbParameterGroup => &rds::parameter_group::DbParameterGroup,
        Kind::DatabaseSecret => &secretsmanager::password::DatabasePassword,
        Kind::DbInstance => &rds::instance::DbInstance,
        Kind::DbReplica => &rds::replica::DbReplica,
        Kind::FileSystem => &efs::file_system::FileSystem,
        Kind::MountTarget => &efs::mount_target::MountTarget,
        Kind::AccessPoint => &efs::access_point::AccessPoint,
        Kind::FileSystemPolicy => &efs::file_system_policy::FileSystemPolicy,
        Kind::LogGroup => &logs::log_group::LogGroup,
        Kind::HostedZone => &route53::hosted_zone::HostedZone,
        Kind::LaunchTemplate => &ec2::launch_template::LaunchTemplate,
        Kind::AutoScalingGroup => &autoscaling::group::AutoScalingGroup,
        Kind::ScalingPolicy => &autoscaling::scaling_policy::ScalingPolicy,
        Kind::Bucket => &s3::bucket::Bucket,
        Kind::BucketObject => &s3::object::BucketObject,
        Kind::EmrSecurityConfiguration => &emr::security_configuration::EmrSecurityConfiguration,
        Kind::EmrCluster => &emr::cluster::EmrCluster,
        Kind::HiveMetastore => &emr::metastore::HiveMetastore,
        Kind::SnsTopic => &sns::topic::SnsTopic,
        Kind::SnsSubscription => &sns::subscription::SnsSubscription,
        Kind::MetricAlarm => &cloudwatch::alarm::MetricAlarm,
    }
}

/// What plans and messages call `kind`: `security group`.
pub fn label(kind: Kind) -> &'static str {
    of(kind).spec().label
}

/// The property of `kind` called `name`, if it has one.
pub fn prop(kind: Kind, name: &str) -> Option<&'static Prop> {
    of(kind).spec().prop(name)
}

/// Whether an id inside `kind`'s property `name` orders deletions (see [`Prop::orders_deletion`]). A name
/// the kind does not declare never comes from clusterup's own discovery; treat it as a dependency, the
/// safe side.
pub fn orders_deletion(kind: Kind, name: &str) -> bool {
    prop(kind, name).is_none_or(|p| p.orders_deletion)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn every_kind_is_implemented_by_its_own_module() {
        for &kind in Kind::ALL {
            assert_eq!(of(kind).spec().kind, kind, "the registry maps {kind:?} to another kind's module");
        }
        let labels: BTreeSet<&str> = Kind::ALL.iter().map(|&k| label(k)).collect();
        assert_eq!(labels.len(), Kind::ALL.len(), "two kinds share a label");
    }

    #[test]
    fn properties_have_one_meaning_per_kind() {
        for &kind in Kind::ALL {
            let names: Vec<&str> = of(kind).spec().props.iter().map(|p| p.name).collect();
            let unique: BTreeSet<&&str> = names.iter().collect();
            assert_eq!(unique.len(), names.len(), "{kind:?} declares a property twice: {names:?}");
        }
    }

    #[test]
    fn every_child_descends_from_a_kind_found_on_its_own() {
        // Discovery finds the kinds without a parent first, then each generation of children through the
        // one before (listener rules through listeners through the load balancer): a cycle of parents
        // would never be found at all.
        for &kind in Kind::ALL {
            let mut ancestors = vec![kind];
            while let Some(parent) = of(*ancestors.last().expect("starts with the kind")).spec().parent {
                assert!(!ancestors.contains(&parent), "{kind:?}'s parents form a cycle: {ancestors:?} -> {parent:?}");
                ancestors.push(parent);
            }
        }
        assert_eq!(of(Kind::ListenerRule).spec().parent, Some(Kind::Listener));
    }

    #[test]
    fn waits_share_calls_only_with_waits_the_same_call_can_answer() {
        use crate::model::{Props, Value};
        use crate::resources::Batching;
        for &kind in Kind::ALL {
            let spec = of(kind).spec();
            match spec.batching {
                Batching::Alone => assert_eq!(spec.batch_key(&Props::new()), None),
                Batching::ByIds(call) => {
                    assert_eq!(spec.batch_key(&Props::new()), Some(format!("{} {call}", spec.service.name())));
                }
                // One call per parent: the property must be the kind's own, naming the parent it is found
                // through, and a resource without it looks alone.
                Batching::ByParent(call, parent) => {
                    assert!(spec.parent.is_some(), "{kind:?} batches per parent but has none");
                    assert!(spec.prop(parent.name).is_some(), "{kind:?} has no property {}", parent.name);
                    assert_eq!(spec.batch_key(&Props::new()), None);
                    let mut props = Props::new();
                    props.insert(parent.name.to_owned(), Value::str("fs-1"));
                    assert_eq!(spec.batch_key(&props), Some(format!("{} {call} fs-1", spec.service.name())));
                }
            }
        }
    }

    #[test]
    fn long_waits_look_sparsely_before_their_kind_says_readiness_is_plausible() {
        use crate::model::{Desired, Op};
        use crate::resources::rds::instance::MULTI_AZ;
        let multi_az =
            Desired::new("database/instance", Kind::DbInstance).prop(&MULTI_AZ, crate::model::Value::Bool(true));
        let schedule = of(Kind::DbInstance).spec().schedule(Op::Create, Some(&multi_az));
        let plausible = schedule.plausible.expect("a database's creation has a latency range");
        assert_eq!((plausible.earliest.as_secs(), plausible.latest.as_secs()), (15 * 60, 20 * 60));
        assert_eq!(schedule.delay(1, std::time::Duration::ZERO), crate::aws::Schedule::SPARSE_MAX);
        // A kind that is ready when its call answers has no window: its policy's looks from the start.
        assert_eq!(of(Kind::Vpc).spec().schedule(Op::Create, None).plausible, None);
    }

    #[test]
    fn nothing_waits_for_its_own_kind_to_be_deleted() {
        for &kind in Kind::ALL {
            let spec = of(kind).spec();
            assert!(!spec.deleted_after.contains(&kind), "{kind:?} would wait for itself");
            assert!(!spec.deleted_after_stop.contains(&kind), "{kind:?} would wait for itself to stop");
        }
    }
}
