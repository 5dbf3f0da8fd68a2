//! What deleting the file system loses: every file in the shared data folder. It goes only when losing
//! data was asked for (`--delete-data`); a replacement deletes it first, so the same holds.

use crate::model::Actual;
use crate::resources::DataPolicy;

/// Whether the file system may be deleted under `data`.
pub(super) fn may_delete(data: DataPolicy) -> bool {
    data.delete_data
}

pub(super) fn data_guard(have: &Actual, data: DataPolicy) -> Option<String> {
    (!may_delete(data)).then(|| {
        format!(
            "this would delete the shared file system {} ({}) and every file in it. If that is what you want, re-run with --delete-data",
            have.id, have.address
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{names, Address, Kind};

    fn file_system() -> Actual {
        Actual::new(Address::new(names::storage::FILE_SYSTEM), Kind::FileSystem, "fs-1")
    }

    #[test]
    fn the_file_system_goes_only_with_delete_data() {
        let refused = data_guard(&file_system(), DataPolicy::default()).expect("refused by default");
        assert_eq!(
            refused,
            "this would delete the shared file system fs-1 (storage/file-system) and every file in it. \
             If that is what you want, re-run with --delete-data"
        );
        // Without a database snapshot policy in play: only --delete-data counts.
        let no_snapshot = DataPolicy { db_final_snapshot: false, delete_data: false };
        assert!(data_guard(&file_system(), no_snapshot).is_some());
        assert_eq!(data_guard(&file_system(), DataPolicy { delete_data: true, ..DataPolicy::default() }), None);
    }
}
