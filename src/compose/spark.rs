//! The Spark cluster: an EMR cluster (Spark on YARN) in a private subnet that shares the app's database
//! (as its Hive metastore) and mounts the same EFS data folder, the S3 bucket that holds its logs and
//! the bootstrap script every node runs, and its three security groups.
//!
//! EMR insists on managing the rules of its master, core and service-access groups itself (it adds
//! cross-references between them), so clusterup creates the three groups, tagged, and never manages
//! their ingress. The database and file-system groups admit the master and core groups.

use std::collections::BTreeMap;

use super::network::{private_route_tables, refs, security_group};
use super::rds_ca;
use super::template::{render, TemplateError};
use super::{id_of, named};
use crate::model::json::canonical;
use crate::model::names::network::{
    SPARK_CORE_SECURITY_GROUP, SPARK_MASTER_SECURITY_GROUP, SPARK_SERVICE_SECURITY_GROUP,
};
use crate::model::names::{self, zone_letter};
use crate::model::{tags, Address, Desired, Facts, Kind, Prop, Value, NAME, TAGS};
use crate::resources::emr::{cluster, metastore, security_configuration};
use crate::resources::s3::object;
use crate::topology::{Metastore, Spark, SparkScalingMode, Topology};

const BOOTSTRAP_TEMPLATE: &str = include_str!("../../templates/spark-bootstrap.sh");

/// Whether the topology's Spark cluster keeps its Hive metastore on the shared database.
pub fn shared_metastore(topology: &Topology) -> bool {
    topology.spark.as_ref().is_some_and(|s| s.metastore == Metastore::SharedDatabase)
}

/// The master group's configurations that put Hive's metastore on the shared database (schema `hive`,
/// made on first start), sent by the attachment (`spark/metastore`) once the cluster and the database
/// exist. The password is not here: the master reads it from the secret this names when the metastore
/// (re)starts, and gives it to Hive through a Hadoop credential store (see templates/spark-bootstrap.sh).
fn metastore_configurations(secret_arn: Value) -> Value {
    const ENDPOINT: &str = "@@ENDPOINT@@";
    const PORT: &str = "@@PORT@@";
    const SECRET: &str = "@@SECRET@@";
    const DATABASE: &str = "@@DATABASE@@";
    let doc = serde_json::json!([{
        "Classification": metastore::HIVE_SITE,
        "Properties": {
            "javax.jdo.option.ConnectionURL": format!("jdbc:mysql://{ENDPOINT}:{PORT}/hive?createDatabaseIfNotExist=true&{}", hive_tls()),
            "javax.jdo.option.ConnectionDriverName": "org.mariadb.jdbc.Driver",
            "javax.jdo.option.ConnectionUserName": "admin",
            "hadoop.security.credential.provider.path": METASTORE_CREDENTIALS,
            metastore::DATABASE_PROPERTY: DATABASE,
            metastore::SECRET_PROPERTY: SECRET,
        }
    }]);
    let db = Address::new(names::database::INSTANCE);
    Value::with_references(
        canonical(&doc),
        &[
            (ENDPOINT, Value::Attr(db.clone(), "endpoint".into())),
            (PORT, Value::Attr(db.clone(), "port".into())),
            (SECRET, secret_arn),
            (DATABASE, Value::Ref(db)),
        ],
    )
}

/// The cluster's encryption (its EMR security configuration): at rest, EMRFS's objects in S3 with
/// S3-managed keys (SSE-S3), and with `spark.disk_encryption_key` the local disks too. Not set by
/// default, and why:
/// - local disks (LUKS on instance store and EBS volumes, with HDFS block-transfer and RPC encryption):
///   EMR takes a customer managed KMS key the cluster's instance role is a key user of. AWS's managed
///   `aws/ebs` key serves only through EC2 (its key policy, which cannot be changed, has a
///   `kms:ViaService` condition), not the instance role's own KMS calls. A key made per deployment would
///   outlive `destroy` (KMS deletes keys after a waiting period of 7 to 30 days) and cost $1 a month
///   (https://docs.aws.amazon.com/emr/latest/ManagementGuide/emr-encryption-enable.html), so the
///   operator names a key of their own, which the roles are then let use.
/// - in transit (TLS between Hadoop, Spark, Tez and Presto processes): EMR needs a certificate provider,
///   a zip of PEM files in S3 or a Java class; clusterup would have to make and keep a private key,
///   which it never holds (https://docs.aws.amazon.com/emr/latest/ManagementGuide/emr-encryption-enable.html#emr-encryption-certificates),
///   so `spark.in_transit_certificates` names the operator's zip, which the nodes' role may then read.
fn security_configuration_document(spark: &Spark) -> String {
    let mut at_rest = serde_json::json!({ "S3EncryptionConfiguration": { "EncryptionMode": "SSE-S3" } });
    if let Some(key) = &spark.disk_encryption_key {
        at_rest["LocalDiskEncryptionConfiguration"] = serde_json::json!({
            "EncryptionKeyProviderType": "AwsKms",
            "AwsKmsKey": key,
            "EnableEbsEncryption": true,
        });
    }
    let mut encryption = serde_json::json!({
        "EnableAtRestEncryption": true,
        "EnableInTransitEncryption": spark.in_transit_certificates.is_some(),
        "AtRestEncryptionConfiguration": at_rest,
    });
    if let Some(zip) = &spark.in_transit_certificates {
        encryption["InTransitEncryptionConfiguration"] = serde_json::json!({
            "TLSCertificateConfiguration": { "CertificateProviderType": "PEM", "S3Object": zip },
        });
    }
    canonical(&serde_json::json!({ "EncryptionConfiguration": encryption }))
}

/// The JDBC URL's TLS options for EMR's MariaDB Connector/J (the driver hive-site names): TLS required,
/// the server's certificate verified against the RDS certificate authorities the bootstrap action
/// downloads, and its name against the endpoint. `useSSL=true` with `serverSslCert` means exactly that in
/// Connector/J 2.x (`trustServerCertificate` and `disableSslHostnameVerification` stay false) and maps
/// to `sslMode=verify-full` in 3.x, which also reads `sslMode` itself; each version ignores the option
/// it does not know (<https://mariadb.com/kb/en/about-mariadb-connector-j/>). The
/// database's parameter group sets `require_secure_transport`, so without these Hive could not connect.
fn hive_tls() -> String {
    format!("useSSL=true&sslMode=verify-full&serverSslCert={}", rds_ca::RDS_CA_BUNDLE)
}

/// The Hadoop credential store Hive reads the metastore password from: written before every start of the
/// metastore by the systemd unit the bootstrap script installs (see templates/spark-bootstrap.sh).
pub const METASTORE_CREDENTIALS: &str = "jceks://file/etc/hive/conf/clusterup-metastore.jceks";

/// The bootstrap script's placeholders.
fn bootstrap_variables(topology: &Topology) -> BTreeMap<&'static str, Value> {
    let shared = shared_metastore(topology);
    let storage = topology.shared_storage.as_ref();
    let when = |present: bool, value: Value| if present { value } else { Value::str("") };
    BTreeMap::from([
        ("deployment", Value::str(&topology.name)),
        ("region", Value::str(&topology.region)),
        ("efs_id", when(storage.is_some(), id_of(names::storage::FILE_SYSTEM))),
        ("efs_access_point_id", when(storage.is_some(), id_of(names::storage::ACCESS_POINT))),
        // No shared file system: no mount path, and the bootstrap mounts nothing.
        ("mount_path", Value::str(storage.map(|s| s.mount_path.as_str()).unwrap_or_default())),
        // The secret is not known yet when the nodes boot (the cluster starts beside the database): the
        // master reads its ARN from hive-site once spark/metastore has written it.
        ("metastore_shared", when(shared, Value::str("yes"))),
        ("metastore_secret_property", Value::str(metastore::SECRET_PROPERTY)),
        ("metastore_credentials", Value::str(METASTORE_CREDENTIALS)),
        // Hive verifies the database's certificate with these (compose::rds_ca).
        ("rds_ca_bundle", when(shared, Value::str(rds_ca::RDS_CA_BUNDLE))),
        ("rds_ca_bundle_url", when(shared, Value::str(rds_ca::bundle_url(&topology.region)))),
    ])
}

/// The bootstrap script for this topology (its ids filled in at apply time).
pub fn bootstrap_script(topology: &Topology) -> Result<Value, TemplateError> {
    render(BOOTSTRAP_TEMPLATE, "templates/spark-bootstrap.sh", &bootstrap_variables(topology))
}

/// The cluster's tags: the standard ones plus how it scales.
fn with_scaling_tag(desired: Desired, mode: &str) -> Desired {
    let mut tags = tags::from_value(desired.props.get(TAGS.name));
    tags.insert(tags::SPARK_SCALING.to_owned(), mode.to_owned());
    desired.prop(&TAGS, tags::to_value(&tags))
}

pub fn desired(topology: &Topology, facts: &Facts) -> Result<Vec<Desired>, TemplateError> {
    let Some(spark) = &topology.spark else { return Ok(vec![]) };
    let name = &topology.name;
    let net = refs(topology, facts);
    let bucket = names::spark::bucket_name(name, &facts.account_id, &topology.region);
    // No `ingress`: EMR writes these groups' rules itself and clusterup leaves them alone.
    let group = |address: &str, suffix: &str, what: &str| {
        security_group(
            topology,
            facts,
            address,
            &format!("{name}-spark-{suffix}"),
            &format!("Spark {what} (rules managed by EMR)"),
        )
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
    let cluster_name = names::spark::cluster_name(name);
    let mut cluster =
        with_scaling_tag(named(topology, names::spark::CLUSTER, Kind::EmrCluster, &cluster_name), scaling_mode)
            .prop(&NAME, Value::str(&cluster_name))
            .prop(&cluster::RELEASE, Value::str(&spark.release))
            .prop(&cluster::APPLICATIONS, Value::List(applications))
            // Instance groups live in one subnet (one zone); the first private subnet.
            .prop(&cluster::SUBNET, net.private_subnets.first().cloned().unwrap_or_else(|| Value::str("")))
            .prop(&cluster::MASTER_SECURITY_GROUP, id_of(SPARK_MASTER_SECURITY_GROUP))
            .prop(&cluster::CORE_SECURITY_GROUP, id_of(SPARK_CORE_SECURITY_GROUP))
            .prop(&cluster::SERVICE_SECURITY_GROUP, id_of(SPARK_SERVICE_SECURITY_GROUP))
            .prop(&cluster::SERVICE_ROLE, id_of(names::iam::SPARK_SERVICE_ROLE))
            .prop(&cluster::INSTANCE_PROFILE, id_of(names::iam::SPARK_INSTANCE_PROFILE))
            .prop(
                &cluster::LOG_URI,
                Value::Template(vec![
                    Value::str("s3://"),
                    id_of(names::spark::BUCKET),
                    Value::str(format!("/{}", names::spark::LOG_PREFIX)),
                ]),
            )
            .prop(&cluster::BOOTSTRAP, id_of(names::spark::BOOTSTRAP_OBJECT))
            .prop(&cluster::SECURITY_CONFIGURATION, id_of(names::spark::SECURITY_CONFIGURATION))
            // Nothing of the database: EMR fixes the cluster's configurations when it starts, and the
            // cluster starts before the database is there (spark/metastore attaches it afterwards).
            .prop(&cluster::CONFIGURATIONS, Value::str("[]"))
            .prop(&cluster::MASTER_TYPE, Value::str(&spark.master.instance_type))
            .prop(&cluster::CORE_TYPE, Value::str(&spark.core.instance_type))
            .prop(&cluster::STATE, Value::str(cluster::READY));
    // With scaling on, EMR owns the node counts after creation.
    let counts = |d: Desired, prop: &Prop, count: u32| match spark.scaling {
        Some(_) => d.create_only(prop, Value::Int(i64::from(count))),
        None => d.prop(prop, Value::Int(i64::from(count))),
    };
    cluster = counts(cluster, &cluster::CORE_COUNT, spark.core.count);
    if let Some(task) = &spark.task {
        cluster = counts(
            cluster.prop(&cluster::TASK_TYPE, Value::str(&task.instance_type)),
            &cluster::TASK_COUNT,
            task.count,
        );
    }
    if let Some(scaling) = spark.scaling {
        cluster = cluster.prop(
            &cluster::SCALING,
            Value::Map(BTreeMap::from([
                ("mode".to_owned(), Value::str(scaling_mode)),
                ("min".to_owned(), Value::Int(i64::from(scaling.min))),
                ("max".to_owned(), Value::Int(i64::from(scaling.max))),
            ])),
        );
        if scaling.mode == SparkScalingMode::Custom {
            cluster = cluster.prop(&cluster::AUTOSCALING_ROLE, id_of(names::iam::SPARK_AUTOSCALING_ROLE));
        }
    }
    // What the nodes need when they boot, beyond the ids in the cluster's own properties: the file
    // system's mount targets (the bootstrap action mounts it) and the private subnets' way out (EMR in a
    // private subnet reaches S3 and its own service through the NAT gateway). Not the database: the
    // metastore is attached once it is there (spark/metastore).
    if topology.shared_storage.is_some() {
        for zone in &facts.private_subnet_zones {
            let letter = zone_letter(&topology.region, zone);
            cluster = cluster.after(&Address::new(names::storage::mount_target(&letter)));
        }
    }
    for table in private_route_tables(topology, facts) {
        cluster = cluster.after(&table);
    }
    let mut out = vec![
        named(topology, names::spark::BUCKET, Kind::Bucket, &bucket).prop(&NAME, Value::str(&bucket)),
        // The object is the bucket's child, found through it: no tags of its own.
        Desired::new(names::spark::BOOTSTRAP_OBJECT, Kind::BucketObject)
            .prop(&object::BUCKET, id_of(names::spark::BUCKET))
            .prop(&object::KEY, Value::str(names::spark::BOOTSTRAP_KEY))
            .prop(&object::CONTENT, bootstrap_script(topology)?),
        group(SPARK_MASTER_SECURITY_GROUP, "master", "master node"),
        group(SPARK_CORE_SECURITY_GROUP, "core", "core and task nodes"),
        group(SPARK_SERVICE_SECURITY_GROUP, "service", "service access"),
        // No tags of its own (EMR has none for it): found by its name.
        Desired::new(names::spark::SECURITY_CONFIGURATION, Kind::EmrSecurityConfiguration)
            .prop(&NAME, Value::str(names::spark::security_configuration_name(name)))
            .prop(&security_configuration::CONFIGURATION, Value::str(security_configuration_document(spark))),
        cluster,
    ];
    if spark.metastore == Metastore::SharedDatabase {
        // After the cluster (its id and master group) and the database (its id, endpoint and secret):
        // never pointed at a database that is not available yet.
        let cluster_address = Address::new(names::spark::CLUSTER);
        out.push(
            Desired::new(names::spark::METASTORE, Kind::HiveMetastore)
                .prop(&metastore::CLUSTER, id_of(names::spark::CLUSTER))
                .prop(&metastore::INSTANCE_GROUP, Value::Attr(cluster_address, cluster::MASTER_GROUP_ID.into()))
                .prop(&metastore::DATABASE, id_of(names::database::INSTANCE))
                .prop(
                    &metastore::CONFIGURATIONS,
                    metastore_configurations(super::database::secret_arn(topology, facts)),
                )
                .prop(&metastore::STATE, Value::str(metastore::APPLIED)),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_disks_are_encrypted_only_with_a_key_of_the_operators() {
        let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/smarten-spark.yaml");
        let mut spark = crate::topology::load(&example).expect("valid example").topology.spark.expect("spark");
        let at_rest = |spark: &Spark| -> serde_json::Value {
            let doc: serde_json::Value = serde_json::from_str(&security_configuration_document(spark)).expect("JSON");
            doc["EncryptionConfiguration"]["AtRestEncryptionConfiguration"].clone()
        };
        assert_eq!(at_rest(&spark), serde_json::json!({ "S3EncryptionConfiguration": { "EncryptionMode": "SSE-S3" } }));
        let key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        spark.disk_encryption_key = Some(key.into());
        assert_eq!(
            at_rest(&spark)["LocalDiskEncryptionConfiguration"],
            serde_json::json!({ "EncryptionKeyProviderType": "AwsKms", "AwsKmsKey": key, "EnableEbsEncryption": true })
        );
    }

    #[test]
    fn in_transit_encryption_is_on_only_with_the_operators_certificates() {
        let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/smarten-spark.yaml");
        let mut spark = crate::topology::load(&example).expect("valid example").topology.spark.expect("spark");
        let encryption = |spark: &Spark| -> serde_json::Value {
            let doc: serde_json::Value = serde_json::from_str(&security_configuration_document(spark)).expect("JSON");
            doc["EncryptionConfiguration"].clone()
        };
        assert_eq!(encryption(&spark)["EnableInTransitEncryption"], false);
        assert!(encryption(&spark).get("InTransitEncryptionConfiguration").is_none());
        spark.in_transit_certificates = Some("s3://my-certs/emr/certificates.zip".into());
        assert_eq!(encryption(&spark)["EnableInTransitEncryption"], true);
        assert_eq!(
            encryption(&spark)["InTransitEncryptionConfiguration"],
            serde_json::json!({ "TLSCertificateConfiguration": {
                "CertificateProviderType": "PEM", "S3Object": "s3://my-certs/emr/certificates.zip" } })
        );
    }

    #[test]
    fn the_bootstrap_template_renders() {
        let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/smarten-spark.yaml");
        let topology = crate::topology::load(&example).expect("valid example").topology;
        let script = bootstrap_script(&topology).expect("renders");
        let Value::Template(parts) = &script else { panic!("expected references: {script:?}") };
        let text: String = parts.iter().filter_map(Value::as_str).collect();
        assert!(!text.contains("{{"), "every placeholder is known");
        assert!(parts.contains(&id_of(names::storage::FILE_SYSTEM)));
        // Nothing of the database: the nodes boot before it exists.
        let mut refs = Vec::new();
        script.refs(&mut refs);
        assert!(refs.iter().all(|r| r.as_str() != names::database::INSTANCE), "{refs:?}");
    }

    /// The cluster starts without the database; the metastore attachment waits for both, and for the
    /// database's availability (its endpoint), never for less.
    #[test]
    fn the_cluster_does_not_wait_for_the_database_and_the_metastore_waits_for_both() {
        let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/smarten-spark.yaml");
        let topology = crate::topology::load(&example).expect("valid example").topology;
        let wanted = desired(&topology, &crate::compose::offline_facts(&topology)).expect("composes");
        let of = |address: &str| wanted.iter().find(|d| d.address.as_str() == address).expect(address);
        let db = Address::new(names::database::INSTANCE);
        let cluster = of(names::spark::CLUSTER);
        assert!(!cluster.depends_on().contains(&db), "{:?}", cluster.depends_on());
        let attach = of(names::spark::METASTORE);
        let deps = attach.depends_on();
        assert!(deps.contains(&db) && deps.contains(&Address::new(names::spark::CLUSTER)), "{deps:?}");
        let mut refs = Vec::new();
        attach.props[metastore::CONFIGURATIONS.name].refs(&mut refs);
        assert!(refs.iter().any(|r| **r == db), "the configuration names the database: {refs:?}");
    }

    /// Hive reaches the database over TLS only (the parameter group requires it), verifying its
    /// certificate with the RDS certificate authorities the bootstrap action downloads on the master.
    #[test]
    fn hive_connects_with_tls_verifying_the_database_with_the_bundle_the_bootstrap_downloads() {
        let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/smarten-spark.yaml");
        let topology = crate::topology::load(&example).expect("valid example").topology;
        let secret = Value::Attr(Address::new(names::database::INSTANCE), "secret_arn".into());
        let Value::Template(parts) = metastore_configurations(secret) else { panic!("expected references") };
        let text: String = parts.iter().filter_map(Value::as_str).collect();
        let tls = "&useSSL=true&sslMode=verify-full&serverSslCert=/etc/clusterup/rds-ca-bundle.pem";
        assert!(text.contains(&format!("/hive?createDatabaseIfNotExist=true{tls}")), "{text}");
        assert!(text.contains("org.mariadb.jdbc.Driver"), "the options are the MariaDB driver's: {text}");
        let Value::Template(parts) = bootstrap_script(&topology).expect("renders") else { panic!("references") };
        let script: String = parts.iter().filter_map(Value::as_str).collect();
        assert!(script.contains("RDS_CA_BUNDLE=\"/etc/clusterup/rds-ca-bundle.pem\""), "{script}");
        assert!(
            script.contains("RDS_CA_BUNDLE_URL=\"https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem\""),
            "{script}"
        );
    }
}
