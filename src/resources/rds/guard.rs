//! What deleting the database loses: nothing while a final snapshot is taken (the default); its data
//! when the topology says `deletion: delete`, which therefore needs `--delete-data` as well.

use crate::model::Actual;
use crate::resources::DataPolicy;

/// Whether the database may be deleted under `data`.
pub(super) fn may_delete(data: DataPolicy) -> bool {
    data.db_final_snapshot || data.delete_data
}

pub(super) fn data_guard(have: &Actual, data: DataPolicy) -> Option<String> {
    (!may_delete(data)).then(|| {
        format!(
            "this would delete the database {} without a final snapshot (the topology says `deletion: delete`). If that is what you want, re-run with --delete-data",
            have.id
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{names, Address, Kind};

    fn database() -> Actual {
        Actual::new(Address::new(names::database::INSTANCE), Kind::DbInstance, "web-db")
    }

    #[test]
    fn the_database_goes_with_a_snapshot_or_with_delete_data() {
        assert_eq!(data_guard(&database(), DataPolicy::default()), None, "the final snapshot keeps the data");
        let no_snapshot = DataPolicy { db_final_snapshot: false, delete_data: false };
        assert_eq!(
            data_guard(&database(), no_snapshot).as_deref(),
            Some(
                "this would delete the database web-db without a final snapshot (the topology says \
                 `deletion: delete`). If that is what you want, re-run with --delete-data"
            )
        );
        assert_eq!(data_guard(&database(), DataPolicy { delete_data: true, ..no_snapshot }), None);
    }
}
