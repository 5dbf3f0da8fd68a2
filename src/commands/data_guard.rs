//! Data is safe by default: apply and destroy refuse, before anything runs, a plan that loses data the
//! user has not explicitly agreed to lose (`--delete-data`). Each kind says what deleting one of its
//! resources loses (`Spec::data_guard`: the shared file system always, the database without a final
//! snapshot); a replacement deletes first, so it counts as a deletion.

use anyhow::{bail, Result};

use crate::plan::{Action, Plan};
use crate::resources::{registry, Ctx};

pub(super) fn guard_data(plan: &Plan, ctx: &Ctx) -> Result<()> {
    let losing = plan.changes.iter().filter(|c| matches!(c.action, Action::Delete | Action::Replace));
    // A deletion or a replacement always carries what exists: the plan made it from that.
    for have in losing.filter_map(|c| c.actual.as_ref()) {
        if let Some(refusal) = (registry::of(have.kind).spec().data_guard)(have, ctx.data) {
            bail!("{refusal}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::Aws;
    use crate::model::{names, Actual, Address, Kind};
    use crate::plan::Change;
    use crate::resources::DataPolicy;

    fn ctx(data: DataPolicy) -> Ctx {
        Ctx { aws: Aws::offline(), deployment: "web".into(), data }
    }

    fn plan(action: Action, have: Actual) -> Plan {
        let change = Change {
            address: have.address.clone(),
            kind: have.kind,
            action,
            changes: vec![],
            desired: None,
            actual: Some(have),
            notes: vec![],
        };
        Plan { deployment: "web".into(), region: "us-east-1".into(), changes: vec![change] }
    }

    fn file_system() -> Actual {
        Actual::new(Address::new(names::storage::FILE_SYSTEM), Kind::FileSystem, "fs-1")
    }

    #[test]
    fn replacing_the_file_system_needs_delete_data() {
        let replace = plan(Action::Replace, file_system());
        let refused = guard_data(&replace, &ctx(DataPolicy::default())).expect_err("refused without --delete-data");
        assert!(refused.to_string().starts_with("this would delete the shared file system fs-1"), "{refused}");
        let agreed = DataPolicy { delete_data: true, ..DataPolicy::default() };
        assert!(guard_data(&replace, &ctx(agreed)).is_ok());
    }

    #[test]
    fn a_database_without_a_snapshot_needs_delete_data_and_other_kinds_go_freely() {
        let db = Actual::new(Address::new(names::database::INSTANCE), Kind::DbInstance, "web-db");
        let no_snapshot = DataPolicy { db_final_snapshot: false, delete_data: false };
        assert!(guard_data(&plan(Action::Delete, db.clone()), &ctx(no_snapshot)).is_err());
        assert!(guard_data(&plan(Action::Delete, db.clone()), &ctx(DataPolicy::default())).is_ok(), "snapshot taken");
        // Changing the file system in place loses nothing.
        assert!(guard_data(&plan(Action::Update, file_system()), &ctx(DataPolicy::default())).is_ok());
        let vpc = Actual::new(Address::new(names::network::VPC), Kind::Vpc, "vpc-1");
        assert!(guard_data(&plan(Action::Delete, vpc), &ctx(no_snapshot)).is_ok());
    }
}
