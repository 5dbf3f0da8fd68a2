//! The Spark family: an EMR cluster (Spark on YARN) in a private subnet that shares the app's database
//! (as its Hive metastore) and mounts the same EFS data folder, plus the S3 bucket that holds its logs and
//! the bootstrap script every node runs.
//!
//! Security groups: EMR insists on managing the rules of its master, core and service-access groups
//! itself (it adds cross-references between them), so clusterup creates the three groups, tagged, and
//! never manages their ingress. The database and file-system groups admit the master and core groups.
//!
//! RunJobFlow has no idempotency token: the cluster is found by its name and tags (discovery, and again
//! just before creating), so a run that was killed after RunJobFlow adopts the cluster it started.

mod bucket;
mod cluster;

use std::collections::BTreeMap;

use super::app::user_data::render;
use super::iam::canonical as iam_canonical;
use super::network::{self, named};
use super::{database, iam, storage, BoxFuture, Ctx, Facts, Family, Progress};
use crate::aws::AwsError;
use crate::model::{tags, Actual, Address, Desired, Kind, Value};
use crate::topology::{Metastore, SparkScalingMode, Topology};

pub struct Spark;

pub const BUCKET: &str = "spark/bucket";
pub const BOOTSTRAP_OBJECT: &str = "spark/bootstrap-script";
pub const CLUSTER: &str = "spark/cluster";
pub const MASTER_SECURITY_GROUP: &str = "network/security-group/spark-master";
pub const CORE_SECURITY_GROUP: &str = "network/security-group/spark-core";
pub const SERVICE_SECURITY_GROUP: &str = "network/security-group/spark-service";

/// Where in the bucket the bootstrap script and EMR's logs live.
pub const BOOTSTRAP_PREFIX: &str = "bootstrap/";
pub const LOG_PREFIX: &str = "logs/";
const BOOTSTRAP_KEY: &str = "bootstrap/clusterup-node.sh";

/// The tag that records how the cluster scales (`managed`, `custom` or `none`): AWS answers "how does
/// this cluster scale" with two different APIs, and the emulator only has one of them.
pub const SCALING_TAG: &str = "clusterup:scaling";

const BOOTSTRAP_TEMPLATE: &str = include_str!("../../../templates/spark-bootstrap.sh");

/// `clusterup-<deployment>-<account>-<region>`: bucket names are global, so the account keeps two
/// accounts' deployments of the same name apart, and the region two regions'.
pub fn bucket_name(deployment: &str, account: &str, region: &str) -> String {
    format!("clusterup-{deployment}-{account}-{region}")
}

/// Whether the topology's Spark cluster keeps its Hive metastore on the shared database.
pub fn shared_metastore(topology: &Topology) -> bool {
    topology.spark.as_ref().is_some_and(|s| s.metastore == Metastore::SharedDatabase)
}

pub fn cluster_name(deployment: &str) -> String {
    format!("{deployment}-spark")
}

/// The Hive metastore's JDBC URL on the shared database (schema `hive`, made on first start).
fn metastore_configurations(topology: &Topology) -> Value {
    if !shared_metastore(topology) {
        return Value::str("[]");
    }
    const ENDPOINT: &str = "@@ENDPOINT@@";
    const PORT: &str = "@@PORT@@";
    // The password is not here: the bootstrap script reads it from the managed secret at boot and gives
    // it to Hive through a Hadoop credential store (see templates/spark-bootstrap.sh).
    let doc = serde_json::json!([{
        "Classification": "hive-site",
        "Properties": {
            "javax.jdo.option.ConnectionURL": format!("jdbc:mysql://{ENDPOINT}:{PORT}/hive?createDatabaseIfNotExist=true"),
            "javax.jdo.option.ConnectionDriverName": "org.mariadb.jdbc.Driver",
            "javax.jdo.option.ConnectionUserName": "admin",
            "hadoop.security.credential.provider.path": METASTORE_CREDENTIALS,
        }
    }]);
    let db = Address::new(database::INSTANCE);
    Value::with_references(
        iam_canonical(&doc),
        &[(ENDPOINT, Value::Attr(db.clone(), "endpoint".into())), (PORT, Value::Attr(db, "port".into()))],
    )
}

/// The Hadoop credential store the bootstrap script writes the metastore password into.
pub const METASTORE_CREDENTIALS: &str = "jceks://file/etc/hive/conf/clusterup-metastore.jceks";

/// The bootstrap script's placeholders.
fn bootstrap_variables(topology: &Topology) -> BTreeMap<&'static str, Value> {
    let shared = shared_metastore(topology);
    let storage = topology.shared_storage.as_ref();
    let when = |present: bool, value: Value| if present { value } else { Value::str("") };
    BTreeMap::from([
        ("deployment", Value::str(&topology.name)),
        ("region", Value::str(&topology.region)),
        ("efs_id", when(storage.is_some(), Value::Ref(Address::new(storage::FILE_SYSTEM)))),
        ("efs_access_point_id", when(storage.is_some(), Value::Ref(Address::new(storage::ACCESS_POINT)))),
        ("mount_path", Value::str(storage.map(|s| s.mount_path.as_str()).unwrap_or_default())),
        ("metastore_secret_arn", when(shared, Value::Attr(Address::new(database::INSTANCE), "secret_arn".into()))),
        ("metastore_credentials", Value::str(METASTORE_CREDENTIALS)),
    ])
}

/// The bootstrap script for this topology (its ids filled in at apply time).
pub fn bootstrap_script(topology: &Topology) -> Value {
    // The template is clusterup's own and its placeholders are fixed; a test renders it.
    render(BOOTSTRAP_TEMPLATE, "templates/spark-bootstrap.sh", &bootstrap_variables(topology))
        .unwrap_or_else(|err| Value::str(format!("#!/bin/bash\necho 'clusterup: {err}' >&2\nexit 1\n")))
}

/// The cluster's tags: the standard ones plus how it scales.
fn with_scaling_tag(desired: Desired, mode: &str) -> Desired {
    let mut tags = tags::from_value(desired.props.get("tags"));
    tags.insert(SCALING_TAG.to_owned(), mode.to_owned());
    desired.prop("tags", tags::to_value(&tags))
}

impl Family for Spark {
    fn name(&self) -> &'static str {
        "spark"
    }

    fn kinds(&self) -> &'static [Kind] {
        &[Kind::Bucket, Kind::BucketObject, Kind::EmrCluster]
    }

    fn desired(&self, topology: &Topology, facts: &Facts) -> Vec<Desired> {
        let Some(spark) = &topology.spark else { return vec![] };
        let name = &topology.name;
        let net = network::refs(topology, facts);
        let bucket = bucket_name(name, &facts.account_id, &topology.region);
        let group = |address: &str, suffix: &str, what: &str| {
            let group_name = format!("{name}-spark-{suffix}");
            // No `ingress`: EMR writes these groups' rules itself and clusterup leaves them alone.
            named(topology, address, Kind::SecurityGroup, &group_name)
                .prop("vpc", net.vpc.clone())
                .prop("group_name", Value::str(&group_name))
                .prop("description", Value::str(format!("clusterup {name}: Spark {what} (rules managed by EMR)")))
        };
        let mut applications = vec![Value::str("Hadoop"), Value::str("Spark")];
        if spark.metastore == Metastore::SharedDatabase {
            applications.push(Value::str("Hive"));
        }
        let scaling_mode = match spark.scaling.map(|s| s.mode) {
            Some(SparkScalingMode::Managed) => "managed",
            Some(SparkScalingMode::Custom) => "custom",
            None => "none",
        };
        let cluster_name = cluster_name(name);
        let mut cluster = with_scaling_tag(named(topology, CLUSTER, Kind::EmrCluster, &cluster_name), scaling_mode)
            .prop("name", Value::str(&cluster_name))
            .prop("release", Value::str(&spark.release))
            .prop("applications", Value::List(applications))
            // Instance groups live in one subnet (one zone); the first private subnet.
            .prop("subnet", net.private_subnets.first().cloned().unwrap_or_else(|| Value::str("")))
            .prop("master_security_group", Value::Ref(Address::new(MASTER_SECURITY_GROUP)))
            .prop("core_security_group", Value::Ref(Address::new(CORE_SECURITY_GROUP)))
            .prop("service_security_group", Value::Ref(Address::new(SERVICE_SECURITY_GROUP)))
            .prop("service_role", Value::Ref(Address::new(iam::SPARK_SERVICE_ROLE)))
            .prop("instance_profile", Value::Ref(Address::new(iam::SPARK_INSTANCE_PROFILE)))
            .prop(
                "log_uri",
                Value::Template(vec![Value::str("s3://"), Value::Ref(Address::new(BUCKET)), Value::str("/logs/")]),
            )
            .prop("bootstrap", Value::Ref(Address::new(BOOTSTRAP_OBJECT)))
            .prop("configurations", metastore_configurations(topology))
            .prop("master_type", Value::str(&spark.master.instance_type))
            .prop("core_type", Value::str(&spark.core.instance_type))
            .prop("state", Value::str(cluster::READY));
        // With scaling on, EMR owns the node counts after creation.
        let counts = |d: Desired, key: &str, count: u32| match spark.scaling {
            Some(_) => d.create_only(key, Value::Int(i64::from(count))),
            None => d.prop(key, Value::Int(i64::from(count))),
        };
        cluster = counts(cluster, "core_count", spark.core.count);
        if let Some(task) = &spark.task {
            cluster = counts(cluster.prop("task_type", Value::str(&task.instance_type)), "task_count", task.count);
        }
        if let Some(scaling) = spark.scaling {
            cluster = cluster.prop(
                "scaling",
                Value::Map(BTreeMap::from([
                    ("mode".to_owned(), Value::str(scaling_mode)),
                    ("min".to_owned(), Value::Int(i64::from(scaling.min))),
                    ("max".to_owned(), Value::Int(i64::from(scaling.max))),
                ])),
            );
            if scaling.mode == SparkScalingMode::Custom {
                cluster = cluster.prop("autoscaling_role", Value::Ref(Address::new(iam::SPARK_AUTOSCALING_ROLE)));
            }
        }
        // The database and file system must be there when the nodes boot (metastore, mount), although
        // only some of their ids appear in the cluster's own properties.
        if topology.database.is_some() {
            cluster = cluster.after(&Address::new(database::INSTANCE));
        }
        if topology.shared_storage.is_some() {
            for zone in &facts.private_subnet_zones {
                let letter = network::zone_letter(&topology.region, zone);
                cluster = cluster.after(&Address::new(format!("{}/{letter}", storage::MOUNT_TARGET_PREFIX)));
            }
        }
        vec![
            named(topology, BUCKET, Kind::Bucket, &bucket).prop("name", Value::str(&bucket)),
            // The object is the bucket's child, found through it: no tags of its own.
            Desired::new(BOOTSTRAP_OBJECT, Kind::BucketObject)
                .prop("bucket", Value::Ref(Address::new(BUCKET)))
                .prop("key", Value::str(BOOTSTRAP_KEY))
                .prop("content", bootstrap_script(topology)),
            group(MASTER_SECURITY_GROUP, "master", "master node"),
            group(CORE_SECURITY_GROUP, "core", "core and task nodes"),
            group(SERVICE_SECURITY_GROUP, "service", "service access"),
            cluster,
        ]
    }

    fn discover<'a>(&'a self, ctx: &'a Ctx) -> BoxFuture<'a, Result<Vec<Actual>, AwsError>> {
        Box::pin(async move {
            let (buckets, clusters) = tokio::try_join!(bucket::discover(ctx), cluster::discover(ctx))?;
            Ok([buckets, clusters].concat())
        })
    }

    fn create<'a>(
        &'a self,
        ctx: &'a Ctx,
        want: &'a Desired,
        progress: &'a dyn Progress,
    ) -> BoxFuture<'a, Result<Actual, AwsError>> {
        Box::pin(async move {
            match want.kind {
                Kind::Bucket => bucket::create(ctx, want).await,
                Kind::BucketObject => bucket::put_object(ctx, want).await,
                Kind::EmrCluster => cluster::create(ctx, want, progress).await,
                other => unreachable!("{other:?} is not a Spark kind"),
            }
        })
    }

    fn update<'a>(
        &'a self,
        ctx: &'a Ctx,
        have: &'a Actual,
        want: &'a Desired,
        progress: &'a dyn Progress,
    ) -> BoxFuture<'a, Result<Actual, AwsError>> {
        Box::pin(async move {
            match want.kind {
                Kind::Bucket => bucket::update(ctx, have, want).await,
                Kind::BucketObject => bucket::put_object(ctx, want).await,
                Kind::EmrCluster => cluster::update(ctx, have, want, progress).await,
                other => unreachable!("{other:?} is not a Spark kind"),
            }
        })
    }

    fn delete<'a>(
        &'a self,
        ctx: &'a Ctx,
        have: &'a Actual,
        progress: &'a dyn Progress,
    ) -> BoxFuture<'a, Result<(), AwsError>> {
        Box::pin(async move {
            match have.kind {
                Kind::Bucket => bucket::delete(ctx, have).await,
                Kind::BucketObject => bucket::delete_object(ctx, have).await,
                Kind::EmrCluster => cluster::delete(ctx, have, progress).await,
                other => unreachable!("{other:?} is not a Spark kind"),
            }
        })
    }

    fn outputs(&self, resources: &[Actual]) -> Vec<(&'static str, String)> {
        let Some(cluster) = resources.iter().find(|r| r.address.as_str() == CLUSTER) else { return vec![] };
        let attr = |key: &str| cluster.attrs.get(key).filter(|v| !v.is_empty()).cloned();
        let mut out = vec![("spark_cluster_id", cluster.id.clone())];
        // EMR's "public" DNS name of a master in a private subnet is its private name; both are given.
        out.extend(attr("master_dns").map(|dns| ("spark_master_dns", dns)));
        out.extend(attr("master_private_dns").map(|dns| ("spark_master_private_dns", dns)));
        out.extend(attr("master_private_ip").map(|ip| ("spark_master_private_ip", ip)));
        // The UIs listen on the master; from inside the VPC its private name always resolves.
        if let Some(host) = attr("master_private_dns").or_else(|| attr("master_dns")) {
            out.push(("spark_yarn_ui", format!("http://{host}:8088")));
            out.push(("spark_history_ui", format!("http://{host}:18080")));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_fit_the_s3_limit_for_the_longest_inputs() {
        let name = bucket_name("a23456789012345678901", "123456789012", "ap-southeast-2");
        assert!(name.len() <= 63, "{name} is {} characters", name.len());
    }

    #[test]
    fn the_bootstrap_template_renders() {
        let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/smarten-spark.yaml");
        let topology = crate::topology::load(&example).expect("valid example").topology;
        let script = bootstrap_script(&topology);
        let Value::Template(parts) = &script else { panic!("expected references: {script:?}") };
        let text: String = parts.iter().filter_map(Value::as_str).collect();
        assert!(!text.contains("{{"), "every placeholder is known");
        assert!(parts.contains(&Value::Ref(Address::new(storage::FILE_SYSTEM))));
        assert!(parts.contains(&Value::Attr(Address::new(database::INSTANCE), "secret_arn".into())));
    }
}
