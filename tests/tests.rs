//! Integration tests: one binary (one link step), each test with its own deployment name and temp dir.
//! Tests that need AWS use the emulator from `support` (or whatever AWS_ENDPOINT_URL points at).

mod support;

mod alerts;
mod app_user_data;
mod apply_destroy;
mod canary_rollout;
mod cli_offline;
mod contract;
mod data_tier;
mod demo;
mod discovery;
mod examples;
mod faults;
mod iam;
mod install;
mod invalid_topologies;
mod listener_rules;
mod logs;
mod node_access;
mod node_groups;
mod node_type_change;
mod plan;
mod plan_snapshots;
mod read_replicas;
mod reliability;
mod restore;
mod secure_defaults;
mod source_rules;
mod spark;
mod spark_bootstrap;
mod spark_jobs;
mod status;
mod terminal;
