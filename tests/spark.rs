//! The Spark cluster (examples/smarten-spark.yaml) against the emulator: what EMR was asked for, how it
//! reaches the shared data tier (the metastore attached to the running cluster's master group),
//! adoption after a crash right after RunJobFlow, and a clean destroy.

use aws_sdk_emr::types::{Cluster, ClusterState, InstanceGroupType};

use clusterup::resources::emr::metastore::SECRET_PROPERTY;

use crate::apply_destroy::{block_on, live_tagged, tag_filter};
use crate::support::{
    assert_code, clients, clusterup, clusterup_with_env, endpoint, stderr, stdout, Clients, Workspace,
};

/// Active clusters named after the deployment, described.
pub(crate) async fn active_clusters(c: &Clients, name: &str) -> Vec<Cluster> {
    let listed = c
        .emr
        .list_clusters()
        .cluster_states(ClusterState::Starting)
        .cluster_states(ClusterState::Bootstrapping)
        .cluster_states(ClusterState::Running)
        .cluster_states(ClusterState::Waiting)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("ListClusters");
    let mut out = Vec::new();
    for summary in listed.iter().filter(|s| s.name() == Some(&format!("{name}-spark"))) {
        let id = summary.id().expect("id");
        out.push(
            c.emr.describe_cluster().cluster_id(id).send().await.expect("DescribeCluster").cluster.expect("cluster"),
        );
    }
    out
}

/// The source groups of the rule on `port` of the deployment's group `<name>-<suffix>`.
async fn admitted(c: &Clients, name: &str, suffix: &str, port: i32) -> Vec<String> {
    let groups = c.ec2.describe_security_groups().filters(tag_filter(name)).send().await.expect("groups");
    let group = groups
        .security_groups()
        .iter()
        .find(|g| g.group_name() == Some(&format!("{name}-{suffix}")))
        .unwrap_or_else(|| panic!("no group {name}-{suffix}"));
    let mut sources: Vec<String> = group
        .ip_permissions()
        .iter()
        .filter(|p| p.from_port() == Some(port))
        .flat_map(|p| p.user_id_group_pairs().iter().filter_map(|g| g.group_id().map(str::to_owned)))
        .collect();
    sources.sort();
    sources
}

#[test]
fn spark_cluster_shares_the_data_tier_and_is_adopted_after_a_kill_right_after_run_job_flow() {
    let ws = Workspace::from_example("smarten-spark.yaml", "spark");
    let topology = ws.topology().to_string_lossy().into_owned();
    let name = ws.name.clone();
    let c = block_on(clients());

    // Crash the first apply the moment RunJobFlow has answered: the cluster exists, clusterup never
    // heard of it. The re-run must adopt it, not start a second one.
    let killed =
        clusterup_with_env(endpoint(), &["apply", "--yes", &topology], &[("CLUSTERUP_KILL_AFTER", "RunJobFlow")]);
    assert_ne!(killed.status.code(), Some(0), "the kill switch must stop the run");
    assert!(stderr(&killed).contains("aborting after mutating call"), "{}", stderr(&killed));
    let started = block_on(active_clusters(&c, &name));
    assert_eq!(started.len(), 1, "RunJobFlow ran once before the kill");
    let started_id = started[0].id().expect("id").to_owned();

    assert_code(&clusterup(&["apply", "--yes", &topology]), 0);
    let clusters = block_on(active_clusters(&c, &name));
    assert_eq!(clusters.len(), 1, "re-apply adopted the cluster instead of starting a second one");
    let cluster = &clusters[0];
    assert_eq!(cluster.id(), Some(started_id.as_str()));
    assert_code(&clusterup(&["plan", "--detailed-exitcode", &topology]), 0);
    let outputs = clusterup(&["output", "--region", "us-east-1", "--json", &name]);
    assert_code(&outputs, 0);
    let outputs: serde_json::Value = serde_json::from_str(&stdout(&outputs)).expect("output --json");
    assert_eq!(outputs["spark_cluster_id"], started_id.as_str());
    for key in ["spark_master_dns", "spark_yarn_ui", "spark_history_ui"] {
        assert!(outputs[key].as_str().is_some_and(|v| !v.is_empty()), "{key} missing: {outputs}");
    }
    assert!(outputs["spark_yarn_ui"].as_str().is_some_and(|u| u.ends_with(":8088")));

    // What EMR was asked for.
    assert_eq!(cluster.release_label(), Some("emr-7.14.0"));
    let apps: Vec<&str> = cluster.applications().iter().filter_map(|a| a.name()).collect();
    for app in ["Hadoop", "Spark", "Hive"] {
        assert!(apps.contains(&app), "{app} missing from {apps:?}");
    }
    let tags: Vec<(&str, &str)> = cluster.tags().iter().filter_map(|t| Some((t.key()?, t.value()?))).collect();
    assert!(tags.contains(&("clusterup:deployment", name.as_str())));
    let groups = block_on(c.emr.list_instance_groups().cluster_id(&started_id).send()).expect("groups");
    let core = groups
        .instance_groups()
        .iter()
        .find(|g| g.instance_group_type() == Some(&InstanceGroupType::Core))
        .expect("core group");
    assert_eq!(core.requested_instance_count(), Some(2));
    let limits = core.auto_scaling_policy().and_then(|p| p.constraints()).expect("core scaling policy");
    assert_eq!((limits.min_capacity(), limits.max_capacity()), (Some(2), Some(8)));
    assert_eq!(cluster.auto_scaling_role(), Some(format!("{name}-us-east-1-spark-autoscaling").as_str()));
    assert_eq!(cluster.service_role(), Some(format!("{name}-us-east-1-spark-service").as_str()));

    // The metastore on the shared database: not in the cluster's own configuration (the cluster started
    // beside the database), but in its master group's, which spark/metastore set once both existed;
    // without its password anywhere.
    assert!(
        !cluster.configurations().iter().any(|c| c.classification() == Some("hive-site")),
        "the cluster starts without the database: {:?}",
        cluster.configurations()
    );
    let db = block_on(c.rds.describe_db_instances().db_instance_identifier(format!("{name}-db")).send()).expect("db");
    let db = &db.db_instances()[0];
    let endpoint_address = db.endpoint().and_then(|e| e.address()).expect("db endpoint");
    let master_group = groups
        .instance_groups()
        .iter()
        .find(|g| g.instance_group_type() == Some(&InstanceGroupType::Master))
        .expect("master group");
    assert_eq!(master_group.configurations_version(), Some(1), "reconfigured once, across the kill and the re-run");
    assert_eq!(master_group.last_successfully_applied_configurations_version(), Some(1));
    let hive = master_group
        .configurations()
        .iter()
        .find(|c| c.classification() == Some("hive-site"))
        .expect("hive-site on the master group");
    let props = hive.properties().expect("properties");
    assert!(props["javax.jdo.option.ConnectionURL"].contains(endpoint_address), "{props:?}");
    assert!(!props.contains_key("javax.jdo.option.ConnectionPassword"), "no password in the configuration");
    let secret_arn = db.master_user_secret().and_then(|s| s.secret_arn()).expect("managed secret");
    assert_eq!(props.get(SECRET_PROPERTY).map(String::as_str), Some(secret_arn), "the master reads this secret");
    let secret = block_on(c.secrets.get_secret_value().secret_id(secret_arn).send()).expect("secret");
    let password = serde_json::from_str::<serde_json::Value>(secret.secret_string().expect("secret text"))
        .expect("json")["password"]
        .as_str()
        .expect("password")
        .to_owned();
    assert!(!format!("{props:?}").contains(&password));

    // The bootstrap action: our script in our bucket, naming the shared file system, no password.
    let actions = block_on(c.emr.list_bootstrap_actions().cluster_id(&started_id).send()).expect("bootstrap actions");
    let path = actions.bootstrap_actions()[0].script_path().expect("script path").to_owned();
    let bucket = path
        .strip_prefix("s3://")
        .and_then(|rest| rest.strip_suffix("/bootstrap/clusterup-node.sh"))
        .unwrap_or_else(|| panic!("unexpected script path {path}"))
        .to_owned();
    // clusterup-<name>-<account id>-<region>: the account keeps the global name apart from other accounts'.
    let account = bucket.strip_prefix(&format!("clusterup-{name}-")).and_then(|r| r.strip_suffix("-us-east-1"));
    assert!(account.is_some_and(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit())), "bucket {bucket}");
    let script = block_on(async {
        let object = c.s3.get_object().bucket(&bucket).key("bootstrap/clusterup-node.sh").send().await.expect("script");
        String::from_utf8(object.body.collect().await.expect("body").into_bytes().to_vec()).expect("utf8")
    });
    let fs =
        block_on(c.efs.describe_file_systems().creation_token(format!("clusterup-{name}-data")).send()).expect("fs");
    let fs_id = fs.file_systems()[0].file_system_id().to_owned();
    assert!(script.contains(&format!("EFS_ID=\"{fs_id}\"")), "the script mounts the shared file system");
    // The nodes boot before the database exists: the script names no secret, the master reads the one
    // hive-site names when the metastore restarts.
    assert!(!script.contains(secret_arn) && !script.contains(&password), "{script}");
    assert!(script.contains(SECRET_PROPERTY), "{script}");
    assert_eq!(cluster.log_uri(), Some(format!("s3://{bucket}/logs/").as_str()));

    // The cluster's own groups (tagged, in our VPC) and the data tier admitting them.
    let ec2 = cluster.ec2_instance_attributes().expect("ec2 attributes");
    let (master, core_group) = (
        ec2.emr_managed_master_security_group().expect("master group").to_owned(),
        ec2.emr_managed_slave_security_group().expect("core group").to_owned(),
    );
    let app = block_on(c.ec2.describe_security_groups().filters(tag_filter(&name)).send()).expect("groups");
    let id_of = |suffix: &str| {
        app.security_groups()
            .iter()
            .find(|g| g.group_name() == Some(&format!("{name}-{suffix}")))
            .and_then(|g| g.group_id())
            .unwrap_or_else(|| panic!("no tagged group {name}-{suffix}"))
            .to_owned()
    };
    assert_eq!(master, id_of("spark-master"));
    assert_eq!(core_group, id_of("spark-core"));
    assert_eq!(ec2.service_access_security_group(), Some(id_of("spark-service").as_str()));
    let mut expected = vec![id_of("app"), master.clone(), core_group.clone()];
    expected.sort();
    assert_eq!(block_on(admitted(&c, &name, "db", 3306)), expected, "the database admits the app and the cluster");
    assert_eq!(block_on(admitted(&c, &name, "efs", 2049)), expected, "the file system admits the app and the cluster");

    // Destroy: cluster terminated with its nodes, its groups (with EMR's cross-rules), bucket and roles gone.
    let nodes: Vec<String> = block_on(c.emr.list_instances().cluster_id(&started_id).send())
        .expect("ListInstances")
        .instances()
        .iter()
        .filter_map(|i| i.ec2_instance_id().map(str::to_owned))
        .collect();
    assert_eq!(nodes.len(), 3, "master and two core nodes");
    assert_code(&clusterup(&["destroy", "--yes", "--delete-data", &topology]), 0);
    assert!(block_on(active_clusters(&c, &name)).is_empty(), "the cluster is terminated");
    let described = block_on(c.ec2.describe_instances().set_instance_ids(Some(nodes)).send()).expect("instances");
    let states: Vec<_> = described
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .filter_map(|i| i.state()?.name().cloned())
        .collect();
    assert!(
        states.len() == 3 && states.iter().all(|s| *s == aws_sdk_ec2::types::InstanceStateName::Terminated),
        "the cluster's nodes are terminated with it: {states:?}"
    );
    assert!(block_on(live_tagged(&c, &name)).is_empty(), "nothing tagged is left");
    let left = block_on(c.ec2.describe_security_groups().filters(tag_filter(&name)).send()).expect("groups");
    assert!(left.security_groups().is_empty(), "no security group of the deployment is left");
    assert!(block_on(c.s3.head_bucket().bucket(&bucket).send()).is_err(), "the bucket is gone");
    for role in ["spark-service", "spark-node", "spark-autoscaling", "app"] {
        let got = block_on(c.iam.get_role().role_name(format!("{name}-us-east-1-{role}")).send());
        assert!(got.is_err(), "role {role} is gone");
    }
}
