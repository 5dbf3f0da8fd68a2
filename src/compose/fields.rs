//! Where in the topology file a resource's property is written, for findings about it made after
//! planning (a change AWS refuses, which depends on what exists): the composition is the one layer that
//! knows which section of the topology sets which property of which resource.

use super::database;
use crate::model::names;
use crate::model::{Address, Prop};

/// The path (`["database", "storage_gb"]`) of the topology field that sets `prop` of the resource at
/// `address`, when the topology writes it directly; `None` for what the composition derives.
pub fn field(address: &Address, prop: &Prop) -> Option<&'static [&'static str]> {
    let written: &[(&Prop, &[&str])] = match address.as_str() {
        names::database::INSTANCE => database::INSTANCE_FIELDS,
        _ => return None,
    };
    written.iter().chain([&database::PASSWORD_FIELD]).find(|(p, _)| p.name == prop.name).map(|(_, path)| *path)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::compose;
    use crate::resources::rds::instance;
    use crate::topology;

    /// Every field named is one the topology has, and the composition sets the property from it: the
    /// diagnostic points at the line that writes it, with the value the composition put in the property.
    #[test]
    fn each_written_property_points_at_its_line() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/smarten.yaml");
        let text = std::fs::read_to_string(&path).expect("example");
        let topology = topology::load(&path).expect("example loads").topology;
        let wanted = compose::desired(&topology, &compose::offline_facts(&topology)).expect("composes");
        let db = wanted.iter().find(|d| d.address.as_str() == names::database::INSTANCE).expect("a database");
        for (prop, field) in database::INSTANCE_FIELDS {
            let key = field.last().expect("a field has a name");
            let found = topology.diagnostic(field, "x");
            let line = text.lines().nth(found.line - 1).expect("a line of the file");
            assert!(line.trim_start().starts_with(&format!("{key}:")), "{field:?} points at {line:?}");
            let value = db.value(prop).unwrap_or_else(|| panic!("the composition does not set {}", prop.name));
            let written = line.split_once(':').map(|(_, v)| v.trim().trim_matches('"')).unwrap_or_default();
            assert_eq!(value.to_string().trim_matches('"'), written, "{} is not what {field:?} says", prop.name);
        }
        assert_eq!(field(&db.address, &instance::STORAGE_GB), Some(&["database", "storage_gb"][..]));
        assert_eq!(field(&Address::new(names::network::VPC), &instance::STORAGE_GB), None);
    }
}
