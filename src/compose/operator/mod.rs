//! The IAM policy of the identity that runs clusterup for one deployment (`clusterup iam-policy`): the
//! actions clusterup calls, each on this deployment's resources only, found by name (IAM, ELB, Auto
//! Scaling, RDS, S3, SSM: names derived from the deployment, `model::names`) or by the
//! `clusterup:deployment` tag (`aws:ResourceTag` on what exists, `aws:RequestTag` on what a call
//! creates), with roles passed only to the services they are for, and, with `iam.permissions_boundary`,
//! roles made or changed only under that boundary.
//!
//! The policy covers every kind clusterup can make, whatever the topology's sections: discovery asks for
//! all of them, and destroying a section that left the topology needs its deletes. Scoping by name and
//! tag keeps that to this deployment's resources.
//!
//! The actions and what each is checked against (resource types, condition keys) follow the Service
//! Authorization Reference; the contract tests (scripts/contract/authorize.py) evaluate every request of
//! the recorded lifecycle against this policy, and the same requests made in a neighbour deployment's
//! name against it again, which must all be denied. A new call clusterup makes fails that test, naming
//! the action it needs: add it to the statement of its service here (docs/real-aws.md says how).

mod account;
mod alerts;
mod app;
mod data;
mod discovery;
mod iam;
mod logs;
mod network;
mod nodes;
mod spark;

use serde_json::{json, Value};

use crate::model::names;
use crate::topology::Topology;

/// Whose policy it is: the deployment, and the account and partition its resources live in.
pub struct Scope<'a> {
    pub topology: &'a Topology,
    pub account: &'a str,
    pub partition: &'a str,
}

impl Scope<'_> {
    fn deployment(&self) -> &str {
        &self.topology.name
    }

    fn region(&self) -> &str {
        &self.topology.region
    }

    /// `arn:<partition>:<service>:<region>:<account>:<resource>`.
    fn arn(&self, service: &str, resource: &str) -> String {
        format!("arn:{}:{service}:{}:{}:{resource}", self.partition, self.region(), self.account)
    }

    /// An ARN of a global service (IAM): no region.
    fn global_arn(&self, service: &str, resource: &str) -> String {
        format!("arn:{}:{service}::{}:{resource}", self.partition, self.account)
    }

    /// The resource carries this deployment's tag: what exists and is changed, read or deleted.
    fn owned(&self) -> Value {
        json!({"StringEquals": {"aws:ResourceTag/clusterup:deployment": self.deployment()}})
    }

    /// The request tags what it creates with this deployment's tag.
    fn tagged_on_create(&self) -> Value {
        json!({"StringEquals": {"aws:RequestTag/clusterup:deployment": self.deployment()}})
    }

    /// The role names (one per role clusterup can make) and their ARNs.
    fn role_arn(&self, suffix: &str) -> String {
        self.global_arn("iam", &format!("role/{}", names::iam::name(self.deployment(), self.region(), suffix)))
    }
}

/// One statement: `actions` on `resources`, under `condition` if any.
fn allow(sid: &str, actions: &[&str], resources: Vec<String>, condition: Option<Value>) -> Value {
    let mut statement = json!({"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources});
    if let Some(condition) = condition {
        statement["Condition"] = condition;
    }
    statement
}

/// The operator policy for the deployment of `topology`, in `account` of `partition`.
pub fn operator_policy(topology: &Topology, account: &str, partition: &str) -> Value {
    let scope = Scope { topology, account, partition };
    let mut statements = account::statements(&scope);
    statements.extend(network::statements(&scope));
    statements.extend(app::statements(&scope));
    statements.extend(nodes::statements(&scope));
    statements.extend(iam::statements(&scope));
    statements.extend(data::statements(&scope));
    statements.extend(logs::statements(&scope));
    statements.extend(discovery::statements(&scope));
    statements.extend(spark::statements(&scope));
    statements.extend(alerts::statements(&scope));
    json!({"Version": "2012-10-17", "Statement": statements})
}

#[cfg(test)]
mod tests;
