//! From what the topology wants and what AWS holds to a [`Plan`]: which resources to create, change in
//! place, replace or delete, with the property-level differences that justify each. Plans are data:
//! nothing here talks to AWS or prints.

mod diff;
mod order;
mod saved;

pub use diff::diff;
pub use order::topological;
pub use saved::{sha256_hex, SavedPlan, SavedPlanError};

use serde::{Deserialize, Serialize};

use crate::model::{Actual, Address, Desired, EntryChange, Kind, Value};

/// What happens to one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    NoOp,
    Create,
    Update,
    /// Delete, then create again: some property cannot change in place.
    Replace,
    Delete,
}

impl Action {
    /// The symbol users know from other tools.
    pub fn symbol(self) -> &'static str {
        match self {
            Action::NoOp => " ",
            Action::Create => "+",
            Action::Update => "~",
            Action::Replace => "-/+",
            Action::Delete => "-",
        }
    }
}

/// One property that differs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PropChange {
    pub key: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub forces_replacement: bool,
    /// For a map (tags, attributes) that exists on both sides: just the keys that change.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entries: Vec<EntryChange>,
}

/// One resource's planned action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub address: Address,
    pub kind: Kind,
    pub action: Action,
    /// Why: the differing properties (for create: every property; for delete: none).
    pub changes: Vec<PropChange>,
    /// What the topology wants (absent for deletions).
    #[serde(skip)]
    pub desired: Option<Desired>,
    /// What exists (absent for creations).
    #[serde(skip)]
    pub actual: Option<Actual>,
    /// What the change does beyond its properties, in the operator's words (`Spec::notes`): nodes
    /// replaced, an outage, a value AWS leaves alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Change {
    /// The AWS id this change is about, when the resource exists.
    pub fn id(&self) -> Option<&str> {
        self.actual.as_ref().map(|a| a.id.as_str())
    }
}

/// Counts for the summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub add: usize,
    pub change: usize,
    pub replace: usize,
    pub destroy: usize,
    pub unchanged: usize,
}

/// Everything one `plan` decided, in execution-friendly order (creation order, deletions last).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub deployment: String,
    pub region: String,
    pub changes: Vec<Change>,
}

impl Plan {
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for change in &self.changes {
            match change.action {
                Action::NoOp => s.unchanged += 1,
                Action::Create => s.add += 1,
                Action::Update => s.change += 1,
                Action::Replace => s.replace += 1,
                Action::Delete => s.destroy += 1,
            }
        }
        s
    }

    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|c| c.action != Action::NoOp)
    }

    /// The resources as they exist now (for outputs of an unchanged deployment).
    pub fn actuals(&self) -> Vec<Actual> {
        self.changes.iter().filter_map(|c| c.actual.clone()).collect()
    }

    /// A plan that deletes everything that exists.
    pub fn destroy_all(deployment: &str, region: &str, actuals: Vec<Actual>) -> Plan {
        let mut changes: Vec<Change> = actuals
            .into_iter()
            .map(|actual| Change {
                address: actual.address.clone(),
                kind: actual.kind,
                action: Action::Delete,
                changes: Vec::new(),
                desired: None,
                actual: Some(actual),
                notes: Vec::new(),
            })
            .collect();
        changes.sort_by(|a, b| (b.kind, &b.address).cmp(&(a.kind, &a.address)));
        Plan { deployment: deployment.to_owned(), region: region.to_owned(), changes }
    }
}
