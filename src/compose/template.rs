//! Rendering the scripts clusterup hands to nodes (the app's user data, the Spark bootstrap action):
//! `{{ name }}` placeholders, nothing else, so that a shell script stays a shell script. An unknown
//! placeholder is an error before any AWS call.

use std::collections::BTreeMap;

use super::{boot, rds_ca};
use crate::model::{names, Address, Facts, Value};
use crate::topology::{NodeGroup, Topology};

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{origin}: line {line}: {message}")]
pub struct TemplateError {
    pub origin: String,
    pub line: usize,
    pub message: String,
}

/// The values a template can use, by name. Values of resources that do not exist yet (the database
/// endpoint, the file system id) are references, filled in when the launch template is written. Sections
/// the topology does not have give empty strings, so a script can test `[ -n "$X" ]`.
pub fn user_data_variables(topology: &Topology, facts: &Facts, group: &NodeGroup) -> BTreeMap<&'static str, Value> {
    let db = Address::new(names::database::INSTANCE);
    let fs = Address::new(names::storage::FILE_SYSTEM);
    let ap = Address::new(names::storage::ACCESS_POINT);
    let has_db = topology.database.is_some();
    let storage = topology.shared_storage.as_ref();
    let when = |present: bool, value: Value| if present { value } else { Value::str("") };
    BTreeMap::from([
        ("deployment", Value::str(&topology.name)),
        ("region", Value::str(&topology.region)),
        ("app_port", Value::str(group.nodes.port.to_string())),
        // Which group this node belongs to, and every group of the deployment (space-separated, in file
        // order), for a script that gives each group its role.
        ("node_group", Value::str(&group.name)),
        ("node_groups", Value::str(topology.groups.iter().map(|g| g.name.as_str()).collect::<Vec<_>>().join(" "))),
        ("health_check_path", Value::str(&topology.load_balancer.health_check.path)),
        // Discovery (compose::discovery): the deployment's private zone, its id (known once the zone
        // exists, so naming it makes the launch template wait for the zone), this group's name in it, its
        // Auto Scaling group (whose nodes in service the name resolves to), and every group's name as
        // `GROUP_HOST_<GROUP>=<group>.<deployment>.internal` lines, in file order.
        ("dns_zone", Value::str(names::discovery::zone_name(&topology.name))),
        ("dns_zone_id", Value::Ref(Address::new(names::discovery::ZONE))),
        ("dns_name", Value::str(names::discovery::host(&topology.name, &group.name))),
        ("auto_scaling_group", Value::str(names::app::aws_name(&topology.name, &group.name))),
        ("group_hosts", Value::str(group_hosts(topology))),
        // The group's CloudWatch Logs log group, which the default template's agent ships to.
        ("log_group", Value::str(names::logs::log_group_name(&topology.name, &group.name))),
        // Known before the database exists: a script that looks the database up by it at run time lets
        // the nodes start beside the database. The three below are known only once it is available, so
        // naming them makes the launch template (and the nodes) wait for it.
        ("db_identifier", when(has_db, Value::str(names::database::identifier(&topology.name)))),
        ("db_endpoint", when(has_db, Value::Attr(db.clone(), "endpoint".into()))),
        ("db_port", when(has_db, Value::Attr(db.clone(), "port".into()))),
        // RDS's secret is known once the database is; a kept password's secret before it.
        ("db_secret_arn", when(has_db, super::database::secret_arn(topology, facts))),
        // The read replicas' identifiers (space-separated), looked up at boot like the database's.
        (
            "db_replica_identifiers",
            Value::str(
                topology
                    .database
                    .iter()
                    .flat_map(|db| {
                        (1..=db.read_replicas.len()).map(|n| names::database::replica_identifier(&topology.name, n))
                    })
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
        ),
        // The kept password's secret (read replicas), known before the database: the default template
        // writes it as DB_SECRET_ARN instead of the MasterUserSecret RDS reports for a managed password.
        (
            "db_kept_secret_arn",
            when(super::database::kept_password(topology, facts), Value::Ref(Address::new(names::database::PASSWORD))),
        ),
        ("efs_id", when(storage.is_some(), Value::Ref(fs))),
        ("efs_access_point_id", when(storage.is_some(), Value::Ref(ap))),
        // No shared file system: no mount path, and the template mounts nothing.
        ("mount_path", Value::str(storage.map(|s| s.mount_path.as_str()).unwrap_or_default())),
        // Seconds after boot by which the first mount must have succeeded, so that the node still starts
        // and passes its health checks within the group's grace period (compose::boot).
        (
            "efs_mount_deadline",
            when(
                storage.is_some(),
                Value::str(boot::mount_plan(&topology.load_balancer.health_check).deadline.to_string()),
            ),
        ),
        // The RDS certificate authorities nodes verify the database's certificate with (compose::rds_ca).
        ("rds_ca_bundle_url", when(has_db, Value::str(rds_ca::bundle_url(&topology.region)))),
        ("rds_ca_bundle", when(has_db, Value::str(rds_ca::RDS_CA_BUNDLE))),
    ])
}

/// `GROUP_HOST_<GROUP>=<group>.<deployment>.internal`, one line per node group in file order.
pub fn group_hosts(topology: &Topology) -> String {
    let line = |name: &str| {
        format!("{}={}", names::discovery::host_variable(name), names::discovery::host(&topology.name, name))
    };
    topology.groups.iter().map(|g| line(&g.name)).collect::<Vec<_>>().join("\n")
}

/// Render a group's user-data template: a string, or a template still waiting for references.
pub fn user_data(topology: &Topology, facts: &Facts, group: &NodeGroup) -> Result<Value, TemplateError> {
    render(&group.nodes.user_data_template, &group.nodes.user_data_origin, &user_data_variables(topology, facts, group))
}

pub fn render(template: &str, origin: &str, vars: &BTreeMap<&'static str, Value>) -> Result<Value, TemplateError> {
    let mut parts: Vec<Value> = Vec::new();
    let mut push = |value: Value| match (parts.last_mut(), value) {
        (Some(Value::Str(last)), Value::Str(more)) => last.push_str(&more),
        (_, value) => parts.push(value),
    };
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        push(Value::str(&rest[..start]));
        let line = template.len() - rest.len() + start;
        let line = template[..line].matches('\n').count() + 1;
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            return Err(TemplateError { origin: origin.into(), line, message: "`{{` without a closing `}}`".into() });
        };
        let name = after[..end].trim();
        match vars.get(name) {
            Some(value) => push(value.clone()),
            None => {
                let known: Vec<&str> = vars.keys().copied().collect();
                return Err(TemplateError {
                    origin: origin.into(),
                    line,
                    message: format!("unknown placeholder `{{{{ {name} }}}}`; available: {}", known.join(", ")),
                });
            }
        }
        rest = &after[end + 2..];
    }
    push(Value::str(rest));
    Ok(match parts.len() {
        1 => parts.remove(0),
        _ => Value::Template(parts),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> BTreeMap<&'static str, Value> {
        BTreeMap::from([
            ("deployment", Value::str("demo")),
            ("app_port", Value::str("8080")),
            ("db_endpoint", Value::Attr(Address::new("database/instance"), "endpoint".into())),
        ])
    }

    #[test]
    fn replaces_placeholders_with_or_without_spaces() {
        let out = render("name={{deployment}} port={{ app_port }}\n", "t", &vars()).expect("renders");
        assert_eq!(out, Value::str("name=demo port=8080\n"));
    }

    #[test]
    fn references_stay_until_apply() {
        let out = render("db={{ db_endpoint }}:3306", "t", &vars()).expect("renders");
        let db = Address::new("database/instance");
        assert_eq!(
            out,
            Value::Template(vec![Value::str("db="), Value::Attr(db, "endpoint".into()), Value::str(":3306")])
        );
    }

    #[test]
    fn unknown_placeholder_names_line_and_choices() {
        let err = render("#!/bin/bash\n\necho {{ db_password }}\n", "app.sh", &vars()).expect_err("unknown");
        assert_eq!(err.line, 3);
        assert!(
            err.to_string()
                .contains("unknown placeholder `{{ db_password }}`; available: app_port, db_endpoint, deployment"),
            "{err}"
        );
    }

    #[test]
    fn unclosed_placeholder_is_an_error() {
        assert!(render("echo {{ deployment", "t", &vars()).is_err());
    }

    #[test]
    fn shell_braces_pass_through() {
        let out = render("echo ${HOME} { x; }", "t", &vars()).expect("renders");
        assert_eq!(out, Value::str("echo ${HOME} { x; }"));
    }
}

#[cfg(test)]
mod default_template_tests {
    use std::path::Path;

    use super::*;

    /// The default template for the full example, with every reference resolved as apply would.
    fn rendered_smarten() -> String {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/smarten.yaml");
        let topology = crate::topology::load(&path).expect("example loads").topology;
        let value =
            user_data(&topology, &crate::compose::offline_facts(&topology), &topology.groups[0]).expect("renders");
        let resolved = value.resolve(&|address, attr| match (address.as_str(), attr) {
            ("storage/file-system", None) => Value::str("fs-0123"),
            ("storage/access-point", None) => Value::str("fsap-0456"),
            ("discovery/zone", None) => Value::str("Z0123456789ABCDEFGHIJ"),
            other => panic!("unexpected reference {other:?}"),
        });
        resolved.as_str().expect("fully rendered").to_owned()
    }

    #[test]
    fn default_template_wires_database_and_shared_folder() {
        let script = rendered_smarten();
        assert!(!script.contains("{{"), "placeholder left:\n{script}");
        // The database by its name, looked up on the node once available (the nodes boot before it).
        assert!(script.contains("DB_IDENTIFIER=smarten-db\n"), "{script}");
        assert!(script.contains("aws rds describe-db-instances"), "{script}");
        assert!(script.contains("systemctl start --no-block clusterup-database.service"), "{script}");
        assert!(script.contains("EFS_ID=\"fs-0123\""), "{script}");
        assert!(script.contains("MOUNT_PATH=\"/srv/smarten-data\""), "{script}");
        // Mounted over TLS and authorised by the node's role (the file system's policy refuses any other
        // mount), through the access point.
        assert!(
            script.contains("$EFS_ID:/ $MOUNT_PATH efs _netdev,noresvport,tls,iam,accesspoint=fsap-0456 0 0"),
            "{script}"
        );
        // The first mount gives up in time for the node to start and pass its checks (compose::boot).
        let plan =
            boot::mount_plan(&crate::topology::load(&smarten()).expect("loads").topology.load_balancer.health_check);
        assert!(script.contains(&format!("deadline=\"{}\"", plan.deadline)), "{script}");
        assert!(script.contains("requires_mount=\"RequiresMountsFor=$MOUNT_PATH\""), "{script}");
        // The database over TLS, verified with the RDS certificate authorities.
        assert!(
            script.contains("url=\"https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem\""),
            "{script}"
        );
        assert!(script.contains("bundle=\"/etc/clusterup/rds-ca-bundle.pem\""), "{script}");
        assert!(script.contains("DB_SSL_MODE=VERIFY_IDENTITY"), "{script}");
        assert!(!script.to_ascii_lowercase().contains("password="), "no password in user data");
    }

    #[test]
    fn every_node_names_its_group_the_zone_and_every_groups_host() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/node-groups.yaml");
        let topology = crate::topology::load(&path).expect("example loads").topology;
        let d = &topology.name;
        assert_eq!(
            group_hosts(&topology),
            format!(
                "GROUP_HOST_WEB=web.{d}.internal\nGROUP_HOST_WEB_SMALL=web-small.{d}.internal\n\
                 GROUP_HOST_API=api.{d}.internal\nGROUP_HOST_COORDINATOR=coordinator.{d}.internal\n\
                 GROUP_HOST_WORKERS=workers.{d}.internal"
            )
        );
        let workers = topology.groups.iter().find(|g| g.name == "workers").expect("workers");
        let value = user_data(&topology, &crate::compose::offline_facts(&topology), workers).expect("renders");
        // The zone's id is known once the zone exists: the launch template waits for it.
        let mut refs = Vec::new();
        value.refs(&mut refs);
        assert!(refs.iter().any(|r| r.as_str() == names::discovery::ZONE), "{refs:?}");
        let script = value
            .resolve(&|address, _| match address.as_str() {
                "discovery/zone" => Value::str("Z0123"),
                other => Value::str(format!("({other})")),
            })
            .as_str()
            .expect("rendered")
            .to_owned();
        for line in [
            "CLUSTERUP_GROUP=workers".to_owned(),
            format!("CLUSTERUP_ZONE={d}.internal"),
            format!("name=\"workers.{d}.internal\""),
            format!("group=\"{d}-workers\""),
        ] {
            assert!(script.lines().any(|l| l == line), "no line {line}:\n{script}");
        }
        assert!(script.contains("--hosted-zone-id \"Z0123\""), "{script}");
        // The other groups' names are read on the node (the keeper writes app.env's GROUP_HOST_ lines),
        // so adding or removing a group leaves every other group's user data, and its nodes, as they are.
        let mut fewer = topology.clone();
        fewer.groups.retain(|g| g.name != "api");
        assert_eq!(user_data(&fewer, &crate::compose::offline_facts(&fewer), workers).expect("renders"), value);
    }

    /// EC2 takes at most 16 KB of user data before base64
    /// (<https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/user-data.html>). The default script, without
    /// its comments, for the full example with the longest deployment name the topology allows (21
    /// characters, which the script repeats) and ids as long as AWS's, was 10.0 KB: under 15 KB leaves 1 KB
    /// for longer paths (mount, health check) of the user's.
    #[test]
    fn the_rendered_default_template_fits_in_ec2_user_data() {
        let mut topology = crate::topology::load(&smarten()).expect("example loads").topology;
        topology.name = "a".repeat(21);
        let value =
            user_data(&topology, &crate::compose::offline_facts(&topology), &topology.groups[0]).expect("renders");
        let resolved = value.resolve(&|address, _| match address.as_str() {
            "storage/file-system" => Value::str("fs-0123456789abcdef0"),
            "storage/access-point" => Value::str("fsap-0123456789abcdef0"),
            "discovery/zone" => Value::str("Z0123456789ABCDEFGHIJ"),
            other => panic!("unexpected reference {other}"),
        });
        let script = resolved.as_str().expect("fully rendered");
        assert!(script.len() < 15 * 1024, "{} bytes", script.len());
    }

    fn smarten() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/smarten.yaml")
    }

    /// The default script names nothing of the database that exists only once it is available, so the
    /// launch template and the nodes do not wait for it; a script of the user's that names the endpoint
    /// makes them wait, as it must.
    #[test]
    fn the_launch_template_waits_for_the_database_only_when_the_script_names_its_endpoint() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/smarten.yaml");
        let mut topology = crate::topology::load(&path).expect("example loads").topology;
        let database = |value: &Value| {
            let mut refs = Vec::new();
            value.refs(&mut refs);
            refs.iter().any(|r| r.as_str() == names::database::INSTANCE)
        };
        assert!(!database(
            &user_data(&topology, &crate::compose::offline_facts(&topology), &topology.groups[0]).expect("renders")
        ));
        topology.groups[0].nodes.user_data_template = "#!/bin/bash\necho {{ db_endpoint }}\n".into();
        assert!(database(
            &user_data(&topology, &crate::compose::offline_facts(&topology), &topology.groups[0]).expect("renders")
        ));
    }

    #[test]
    fn rendered_default_template_is_valid_bash() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("user-data.sh");
        std::fs::write(&file, rendered_smarten()).expect("write");
        let status = std::process::Command::new("bash").arg("-n").arg(&file).status().expect("run bash -n");
        assert!(status.success(), "bash -n rejects the rendered user data");
        // shellcheck is optional on the machine; when present it must pass too.
        if let Ok(out) = std::process::Command::new("shellcheck").arg("-S").arg("warning").arg(&file).output() {
            assert!(out.status.success(), "shellcheck:\n{}", String::from_utf8_lossy(&out.stdout));
        }
    }
}
