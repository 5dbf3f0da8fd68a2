//! Changes RDS refuses to make in place, found in the plan before anything runs: storage cannot shrink
//! (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIOPS.ModifyingExisting.html) and an
//! engine cannot be downgraded
//! (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_UpgradeDBInstance.Upgrading.html).

use super::instance_props::{ENGINE_VERSION, MANAGED_PASSWORD, STORAGE_GB};
use crate::model::{Actual, Desired, Value};
use crate::resources::Refusal;

pub(super) fn refusal(have: &Actual, want: &Desired) -> Option<Refusal> {
    let values = |prop: &str| Some((have.props.get(prop)?, want.props.get(prop)?));
    // Read replicas need a password of clusterup's (RDS refuses replicas of a MySQL database whose
    // password it manages), and turning RDS's management off deletes the secret running apps read.
    if let Some((Value::Bool(true), Value::Bool(false))) = values(MANAGED_PASSWORD.name) {
        return Some(Refusal {
            prop: &MANAGED_PASSWORD,
            message: "this database's password is managed by RDS, and RDS makes no read replicas of a MySQL \
                      database whose password it manages; clusterup does not switch a running database to a \
                      password of its own, since that deletes the secret the app reads. Remove read_replicas, \
                      or move the data to a new database with them: destroy (a final snapshot is kept), then \
                      apply with read_replicas and `restore_from: latest`"
                .to_owned(),
        });
    }
    if let Some((Value::Int(now), Value::Int(wanted))) = values(STORAGE_GB.name) {
        if wanted < now {
            return Some(Refusal {
                prop: &STORAGE_GB,
                message: format!(
                    "{wanted} GiB is less than the {now} GiB the database has: RDS storage can only grow. \
                     Keep storage_gb at {now} or more (to shrink, restore a snapshot into a new, smaller database)"
                ),
            });
        }
    }
    if let Some((Value::Str(now), Value::Str(wanted))) = values(ENGINE_VERSION.name) {
        if older(wanted, now) {
            return Some(Refusal {
                prop: &ENGINE_VERSION,
                message: format!(
                    "{wanted} is older than the {now} the database runs: RDS cannot downgrade an engine. \
                     Write {now} or later"
                ),
            });
        }
    }
    None
}

/// Whether version `wanted` (`8.0`, `8.0.39`) is older than `running` on the parts it names.
fn older(wanted: &str, running: &str) -> bool {
    // A part that is not a number (never in RDS's MySQL versions) compares as 0: the check then lets
    // the change through, and RDS itself has the last word.
    let parts = |v: &str| v.split('.').map(|p| p.parse::<u32>().unwrap_or(0)).collect::<Vec<_>>();
    let (wanted, running) = (parts(wanted), parts(running));
    let compared = wanted.len().min(running.len());
    wanted[..compared] < running[..compared]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{names, Address, Kind};

    fn running(storage_gb: i64, version: &str) -> Actual {
        Actual::new(Address::new(names::database::INSTANCE), Kind::DbInstance, "web-db")
            .prop(&STORAGE_GB, Value::Int(storage_gb))
            .prop(&ENGINE_VERSION, Value::str(version))
    }

    fn wanted(storage_gb: i64, version: &str) -> Desired {
        Desired::new(names::database::INSTANCE, Kind::DbInstance)
            .prop(&STORAGE_GB, Value::Int(storage_gb))
            .prop(&ENGINE_VERSION, Value::str(version))
    }

    #[test]
    fn a_managed_password_is_never_switched_to_a_kept_one() {
        let have = running(50, "8.4.3").prop(&MANAGED_PASSWORD, Value::Bool(true));
        let refused = refusal(&have, &wanted(50, "8.4").prop(&MANAGED_PASSWORD, Value::Bool(false)))
            .expect("read replicas on a database whose password RDS manages are refused");
        assert_eq!(refused.prop, &MANAGED_PASSWORD);
        assert!(refused.message.contains("RDS makes no read replicas"), "{}", refused.message);
        assert_eq!(refusal(&have, &wanted(50, "8.4").prop(&MANAGED_PASSWORD, Value::Bool(true))), None);
        // A kept password that stays kept, or a restored database made to manage its password: fine.
        let kept = running(50, "8.4.3").prop(&MANAGED_PASSWORD, Value::Bool(false));
        assert_eq!(refusal(&kept, &wanted(50, "8.4").prop(&MANAGED_PASSWORD, Value::Bool(false))), None);
        assert_eq!(refusal(&kept, &wanted(50, "8.4").prop(&MANAGED_PASSWORD, Value::Bool(true))), None);
    }

    #[test]
    fn older_compares_the_parts_the_topology_names() {
        assert!(older("8.0", "8.4.3"));
        assert!(older("8.4.2", "8.4.3"));
        assert!(!older("8.4", "8.4.3"), "8.4 names the running family");
        assert!(!older("8.4.4", "8.4.3"));
        assert!(!older("9.0", "8.4.3"));
    }

    #[test]
    fn storage_only_grows() {
        let refused = refusal(&running(50, "8.4.3"), &wanted(30, "8.4")).expect("a shrink is refused");
        assert_eq!(refused.prop, &STORAGE_GB);
        assert!(refused.message.starts_with("30 GiB is less than the 50 GiB the database has"), "{}", refused.message);
        assert_eq!(refusal(&running(50, "8.4.3"), &wanted(80, "8.4")), None, "growing is fine");
    }

    #[test]
    fn the_engine_is_never_downgraded() {
        let refused = refusal(&running(50, "8.4.3"), &wanted(50, "8.0")).expect("a downgrade is refused");
        assert_eq!(refused.prop, &ENGINE_VERSION);
        assert_eq!(
            refused.message,
            "8.0 is older than the 8.4.3 the database runs: RDS cannot downgrade an engine. Write 8.4.3 or later"
        );
        assert_eq!(refusal(&running(50, "8.0.39"), &wanted(50, "8.4")), None, "upgrades are fine");
    }
}
