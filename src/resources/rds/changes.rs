//! What a change to the database means for the app while RDS makes it, and what RDS still has pending:
//! the plan's notes for the instance. From the RDS user guide's "Settings for DB instances" (which
//! settings cause downtime) and "Maintaining a DB instance" (pending modifications):
//! https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ModifyInstance.Settings.html
//! https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_UpgradeDBInstance.Maintenance.html

use aws_sdk_rds::types::DbInstance as Instance;

use super::instance_props::{
    APPLY_CHANGES, BACKUP_RETENTION_DAYS, ENGINE_VERSION, INSTANCE_CLASS, MULTI_AZ, PARAMETER_GROUP, STORAGE_GB,
};
use crate::model::{Actual, Desired, Value};

/// Attribute: the changes RDS will make in the next maintenance window, in words.
pub const PENDING: &str = "pending";
/// Attribute: the instance's weekly maintenance window (`sun:03:00-sun:03:30`, UTC).
pub const MAINTENANCE_WINDOW: &str = "maintenance_window";
/// Attribute: `pending-reboot` when parameter group changes wait for a reboot.
pub const PARAMETER_APPLY_STATUS: &str = "parameter_apply_status";

/// `8.0.39` -> `8.0`.
pub fn major(version: &str) -> String {
    version.split('.').take(2).collect::<Vec<_>>().join(".")
}

/// What each change from `have` to `want` does while it is made, and when it is made.
pub fn effects(have: &Actual, want: &Desired) -> Vec<String> {
    let text = |v: Option<&Value>| v.map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned));
    let int = |v: Option<&Value>| match v {
        Some(Value::Int(n)) => Some(*n),
        _ => None,
    };
    let flag = |v: Option<&Value>| matches!(v, Some(Value::Bool(true)));
    let (had, wants) = (|p: &crate::model::Prop| have.props.get(p.name), |p| want.value(p));
    let multi_az_now = flag(had(&MULTI_AZ));
    let mut out = Vec::new();

    let engine = (text(had(&ENGINE_VERSION)), text(wants(&ENGINE_VERSION)));
    let major_upgrade = match &engine {
        (Some(now), Some(next)) if want.differs_from(have, &ENGINE_VERSION) => {
            if major(now) != major(next) {
                out.push(format!(
                    "engine {now} -> {next}: a major version upgrade, with an outage of tens of minutes; RDS \
                     snapshots the database first, and it cannot be undone in place"
                ));
                true
            } else {
                out.push(format!(
                    "engine {now} -> {next}: an outage of a few minutes while the engine is upgraded (Multi-AZ \
                     does not avoid it: both copies are upgraded at once)"
                ));
                false
            }
        }
        _ => false,
    };
    if let (true, Some(now), Some(next)) =
        (want.differs_from(have, &INSTANCE_CLASS), text(had(&INSTANCE_CLASS)), text(wants(&INSTANCE_CLASS)))
    {
        out.push(if multi_az_now {
            format!(
                "instance class {now} -> {next}: no outage beyond a failover (about a minute of reconnects): RDS \
                 changes the standby first"
            )
        } else {
            format!(
                "instance class {now} -> {next}: a brief outage (minutes) while the instance restarts on the new class"
            )
        });
    }
    if want.differs_from(have, &STORAGE_GB) {
        if let (Some(now), Some(next)) = (int(had(&STORAGE_GB)), int(wants(&STORAGE_GB))) {
            out.push(format!(
                "storage {now} -> {next} GiB: no outage; RDS optimizes the storage for hours after, and takes the \
                 next storage change 6 hours later at the earliest"
            ));
        }
    }
    if want.differs_from(have, &MULTI_AZ) {
        out.push(if flag(wants(&MULTI_AZ)) {
            "Multi-AZ on: no outage; RDS creates a standby in another zone (I/O may slow while it syncs)".to_owned()
        } else {
            "Multi-AZ off: no outage; the standby, and automatic failover with it, go away".to_owned()
        });
    }
    if want.differs_from(have, &BACKUP_RETENTION_DAYS) {
        if let (Some(now), Some(next)) = (int(had(&BACKUP_RETENTION_DAYS)), int(wants(&BACKUP_RETENTION_DAYS))) {
            out.push(if (now == 0) != (next == 0) {
                format!(
                    "backup retention {now} -> {next} days: turning automated backups {} restarts the instance \
                     (a brief outage)",
                    if next == 0 { "off" } else { "on" }
                )
            } else {
                format!("backup retention {now} -> {next} days: no outage")
            });
        }
    }
    if let (true, false, Some(group)) =
        (want.differs_from(have, &PARAMETER_GROUP), major_upgrade, text(wants(&PARAMETER_GROUP)))
    {
        out.push(format!(
            "parameter group -> {group}: its static parameters take effect at the next reboot (clusterup does not \
             reboot the database)"
        ));
    }
    if !out.is_empty() && want.value(&APPLY_CHANGES).and_then(Value::as_str) == Some("maintenance_window") {
        out.push(match have.attrs.get(MAINTENANCE_WINDOW).filter(|w| !w.is_empty()) {
            Some(window) => format!("these changes wait for the next maintenance window ({window}, UTC)"),
            None => "these changes wait for the database's next weekly maintenance window".to_owned(),
        });
    }
    out.extend(still_pending(have));
    out
}

/// What RDS has accepted but not made yet, from an earlier apply: said on every plan until it is done.
fn still_pending(have: &Actual) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(pending) = have.attrs.get(PENDING).filter(|p| !p.is_empty()) {
        out.push(match have.attrs.get(MAINTENANCE_WINDOW).filter(|w| !w.is_empty()) {
            Some(window) => format!("pending until the next maintenance window ({window}, UTC): {pending}"),
            None => format!("pending until the next weekly maintenance window: {pending}"),
        });
    }
    if have.attrs.get(PARAMETER_APPLY_STATUS).map(String::as_str) == Some("pending-reboot") {
        out.push(format!(
            "parameter changes wait for a reboot: aws rds reboot-db-instance --db-instance-identifier {}",
            have.id
        ));
    }
    out
}

/// The values RDS will have once its pending modifications are made, by property, and those changes in
/// words. The plan compares with these: a change already accepted is not planned again.
pub fn pending_values(db: &Instance) -> (Vec<(&'static crate::model::Prop, Value)>, String) {
    let Some(pending) = db.pending_modified_values() else { return (Vec::new(), String::new()) };
    let mut values = Vec::new();
    let mut words = Vec::new();
    if let Some(class) = pending.db_instance_class() {
        values.push((&INSTANCE_CLASS, Value::str(class)));
        words.push(format!("instance class {class}"));
    }
    if let Some(storage) = pending.allocated_storage() {
        values.push((&STORAGE_GB, Value::Int(i64::from(storage))));
        words.push(format!("storage {storage} GiB"));
    }
    if let Some(multi_az) = pending.multi_az() {
        values.push((&MULTI_AZ, Value::Bool(multi_az)));
        words.push(format!("Multi-AZ {}", if multi_az { "on" } else { "off" }));
    }
    if let Some(version) = pending.engine_version() {
        values.push((&ENGINE_VERSION, Value::str(version)));
        words.push(format!("engine {version}"));
    }
    if let Some(days) = pending.backup_retention_period() {
        values.push((&BACKUP_RETENTION_DAYS, Value::Int(i64::from(days))));
        words.push(format!("backup retention {days} days"));
    }
    (values, words.join(", "))
}

#[cfg(test)]
mod tests {
    use aws_sdk_rds::types::PendingModifiedValues;

    use super::*;
    use crate::model::{Address, Kind};

    fn single_az() -> Actual {
        Actual::new(Address::new("database/instance"), Kind::DbInstance, "shop-db")
            .prop(&INSTANCE_CLASS, Value::str("db.t3.medium"))
            .prop(&STORAGE_GB, Value::Int(50))
            .prop(&MULTI_AZ, Value::Bool(false))
            .prop(&BACKUP_RETENTION_DAYS, Value::Int(7))
            .prop(&ENGINE_VERSION, Value::str("8.0.39"))
            .attr(MAINTENANCE_WINDOW, "sun:03:00-sun:03:30")
    }

    fn want() -> Desired {
        Desired::new("database/instance", Kind::DbInstance)
            .prop(&INSTANCE_CLASS, Value::str("db.t3.medium"))
            .prop(&STORAGE_GB, Value::Int(50))
            .prop(&MULTI_AZ, Value::Bool(false))
            .prop(&BACKUP_RETENTION_DAYS, Value::Int(7))
            .prop(&ENGINE_VERSION, Value::str("8.0"))
            .prop(&APPLY_CHANGES, Value::str("immediately"))
    }

    #[test]
    fn a_class_change_is_an_outage_on_one_zone_and_a_failover_on_two() {
        let bigger = want().prop(&INSTANCE_CLASS, Value::str("db.r6g.large"));
        let said = effects(&single_az(), &bigger);
        assert_eq!(said.len(), 1, "{said:?}");
        assert!(said[0].starts_with("instance class db.t3.medium -> db.r6g.large: a brief outage"), "{said:?}");
        let multi_az = single_az().prop(&MULTI_AZ, Value::Bool(true));
        let said = effects(&multi_az, &bigger.prop(&MULTI_AZ, Value::Bool(true)));
        assert!(said[0].contains("no outage beyond a failover"), "{said:?}");
    }

    #[test]
    fn backups_turned_on_or_off_restart_the_instance_other_retention_changes_do_not() {
        let off = effects(&single_az(), &want().prop(&BACKUP_RETENTION_DAYS, Value::Int(0)));
        assert!(off[0].contains("turning automated backups off restarts the instance"), "{off:?}");
        let longer = effects(&single_az(), &want().prop(&BACKUP_RETENTION_DAYS, Value::Int(14)));
        assert_eq!(longer, ["backup retention 7 -> 14 days: no outage"]);
    }

    #[test]
    fn engine_upgrades_say_minor_or_major() {
        let minor = effects(&single_az(), &want().prop(&ENGINE_VERSION, Value::str("8.0.40")));
        assert!(minor[0].starts_with("engine 8.0.39 -> 8.0.40: an outage of a few minutes"), "{minor:?}");
        let major = effects(
            &single_az(),
            &want().prop(&ENGINE_VERSION, Value::str("8.4")).prop(&PARAMETER_GROUP, Value::str("shop-db-mysql8-4")),
        );
        assert_eq!(major.len(), 1, "the parameter group moves with the upgrade: {major:?}");
        assert!(major[0].contains("major version upgrade"), "{major:?}");
    }

    #[test]
    fn changes_for_the_maintenance_window_say_when_and_pending_ones_are_read_back() {
        let later = want().prop(&STORAGE_GB, Value::Int(80)).prop(&APPLY_CHANGES, Value::str("maintenance_window"));
        let said = effects(&single_az(), &later);
        assert_eq!(
            said.last().map(String::as_str),
            Some("these changes wait for the next maintenance window (sun:03:00-sun:03:30, UTC)")
        );

        let db = Instance::builder()
            .pending_modified_values(
                PendingModifiedValues::builder().db_instance_class("db.r6g.large").allocated_storage(80).build(),
            )
            .build();
        let (values, words) = pending_values(&db);
        assert_eq!(values.len(), 2);
        assert_eq!(words, "instance class db.r6g.large, storage 80 GiB");
        let pending = single_az().attr(PENDING, words);
        assert_eq!(
            effects(&pending, &want()),
            ["pending until the next maintenance window (sun:03:00-sun:03:30, UTC): instance class db.r6g.large, storage 80 GiB"]
        );
    }
}
