//! Changes AWS refuses to make, found in the plan before anything runs and reported at their place in
//! the topology. `validate` cannot see them: they depend on what exists. RDS:
//! https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIOPS.ModifyingExisting.html (storage
//! cannot shrink) and https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_UpgradeDBInstance.Upgrading.html
//! (no downgrades).

use crate::model::{Kind, Value};
use crate::plan::{Action, Plan};
use crate::resources::rds::instance::{ENGINE_VERSION, STORAGE_GB};
use crate::topology::{Diagnostic, Topology};

/// The first change of `plan` that AWS would refuse, located in the topology file.
pub fn refused(plan: &Plan, topology: &Topology) -> Option<Diagnostic> {
    let (path, message) = plan.changes.iter().filter(|c| c.action == Action::Update).find_map(|change| {
        let values = |key: &str| {
            let prop = change.changes.iter().find(|p| p.key == key)?;
            Some((prop.before.clone()?, prop.after.clone()?))
        };
        match change.kind {
            Kind::DbInstance => {
                if let Some((Value::Int(now), Value::Int(wanted))) = values(STORAGE_GB.name) {
                    if wanted < now {
                        return Some((
                            ["database", "storage_gb"],
                            format!(
                                "{wanted} GiB is less than the {now} GiB the database has: RDS storage can only grow. \
                                 Keep storage_gb at {now} or more (to shrink, restore a snapshot into a new, smaller database)"
                            ),
                        ));
                    }
                }
                if let Some((Value::Str(now), Value::Str(wanted))) = values(ENGINE_VERSION.name) {
                    if older(&wanted, &now) {
                        return Some((
                            ["database", "engine_version"],
                            format!(
                                "{wanted} is older than the {now} the database runs: RDS cannot downgrade an engine. \
                                 Write {now} or later"
                            ),
                        ));
                    }
                }
                None
            }
            _ => None,
        }
    })?;
    Some(topology.diagnostic(&path, message))
}

/// Whether version `wanted` (`8.0`, `8.0.39`) is older than `running` on the parts it names.
fn older(wanted: &str, running: &str) -> bool {
    let parts = |v: &str| v.split('.').map(|p| p.parse::<u32>().unwrap_or(0)).collect::<Vec<_>>();
    let (wanted, running) = (parts(wanted), parts(running));
    let compared = wanted.len().min(running.len());
    wanted[..compared] < running[..compared]
}

#[cfg(test)]
mod tests {
    use super::older;

    #[test]
    fn older_compares_the_parts_the_topology_names() {
        assert!(older("8.0", "8.4.3"));
        assert!(older("8.4.2", "8.4.3"));
        assert!(!older("8.4", "8.4.3"), "8.4 names the running family");
        assert!(!older("8.4.4", "8.4.3"));
        assert!(!older("9.0", "8.4.3"));
    }
}
