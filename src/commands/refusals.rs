//! Changes AWS refuses to make, found in the plan before anything runs and reported at their place in
//! the topology. `validate` cannot see them: they depend on what exists. Each kind says what AWS
//! refuses it (`Spec::refusal`), the composition where the topology writes the property concerned
//! (`compose::field`), and the checked topology locates that field in the text it was read from.

use crate::compose;
use crate::plan::{Action, Plan};
use crate::resources::registry;
use crate::topology::{Diagnostic, Topology};

/// The first change of `plan` that AWS would refuse, located in the topology file.
pub fn refused(plan: &Plan, topology: &Topology) -> Option<Diagnostic> {
    plan.changes.iter().filter(|c| c.action == Action::Update).find_map(|change| {
        let (have, want) = (change.actual.as_ref()?, change.desired.as_ref()?);
        let refusal = (registry::of(change.kind).spec().refusal)(have, want)?;
        // A property the topology does not write directly (none today) is still refused, located at the
        // top of the file: the message names what to change.
        let field = compose::field(&change.address, refusal.prop).unwrap_or_default();
        Some(topology.diagnostic(field, refusal.message))
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::model::{names, Actual, Value};
    use crate::plan::Change;
    use crate::resources::rds::instance::STORAGE_GB;

    /// The example's database as composed, and as it would exist with `storage_gb` GiB.
    fn database(storage_gb: i64) -> (Topology, Change) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/smarten.yaml");
        let topology = crate::topology::load(&path).expect("example loads").topology;
        let wanted = compose::desired(&topology, &compose::offline_facts(&topology)).expect("composes");
        let want = wanted.into_iter().find(|d| d.address.as_str() == names::database::INSTANCE).expect("a database");
        let have = Actual::made(&want, "smarten-db").prop(&STORAGE_GB, Value::Int(storage_gb));
        let change = Change {
            address: want.address.clone(),
            kind: want.kind,
            action: Action::Update,
            changes: vec![],
            desired: Some(want),
            actual: Some(have),
            notes: vec![],
        };
        (topology, change)
    }

    #[test]
    fn a_refusal_is_shown_at_the_line_that_writes_the_property() {
        let (topology, change) = database(80);
        let plan = Plan { deployment: "smarten".into(), region: "us-east-1".into(), changes: vec![change] };
        let refused = refused(&plan, &topology).expect("a shrink from 80 to 50 GiB is refused");
        let text = std::fs::read_to_string(&topology.source).expect("example");
        let line = text.lines().position(|l| l.trim_start() == "storage_gb: 50").expect("the line") + 1;
        assert_eq!((refused.line, refused.field.as_str()), (line, "database.storage_gb"));
        assert!(refused.message.starts_with("50 GiB is less than the 80 GiB the database has"), "{refused}");
    }

    #[test]
    fn only_changes_in_place_are_refused() {
        let (topology, change) = database(80);
        let replaced = Change { action: Action::Replace, ..change.clone() };
        let plan = Plan { deployment: "smarten".into(), region: "us-east-1".into(), changes: vec![replaced] };
        assert_eq!(refused(&plan, &topology), None, "a replacement makes a new database: nothing shrinks");
        let (topology, growing) = database(30);
        let plan = Plan { deployment: "smarten".into(), region: "us-east-1".into(), changes: vec![growing] };
        assert_eq!(refused(&plan, &topology), None);
    }
}
