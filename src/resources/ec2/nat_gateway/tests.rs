//! The NAT gateways' shared waits against SDK mocks: the emulator makes every gateway available (or
//! deleted) at once, so a wait never looks twice there.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_ec2::operation::delete_nat_gateway::DeleteNatGatewayOutput;
use aws_sdk_ec2::operation::describe_nat_gateways::DescribeNatGatewaysOutput;
use aws_sdk_ec2::types::{NatGateway as Gateway, NatGatewayState};
use aws_sdk_ec2::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use tokio::time::Instant;

use super::*;
use crate::aws::Aws;
use crate::model::Address;
use crate::resources::{DataPolicy, Quiet};

/// Two gateways being deleted, gone 50 s and 65 s after the test starts (within their 45-75 s range).
const GONE_AFTER: [(&str, u64); 2] = [("nat-a", 50), ("nat-b", 65)];

#[tokio::test(start_paused = true)]
async fn gateways_deleted_together_share_each_describe_call_sdk_mock() {
    // The poller's jitter, seeded: the same looks every run.
    fastrand::seed(1);
    let start = Instant::now();
    // Which gateways each DescribeNatGateways asked about, in order.
    let asked: Arc<Mutex<Vec<Vec<String>>>> = Arc::default();
    let log = asked.clone();
    let delete = mock!(Client::delete_nat_gateway).then_output(|| DeleteNatGatewayOutput::builder().build());
    let describe = mock!(Client::describe_nat_gateways)
        .match_requests(|req| req.nat_gateway_ids().is_empty())
        .then_compute_output(move |req| {
            let ids: Vec<String> = req
                .filter()
                .iter()
                .filter(|f| f.name() == Some("nat-gateway-id"))
                .flat_map(|f| f.values())
                .cloned()
                .collect();
            log.lock().expect("log").push(ids.clone());
            let gateways = ids.iter().filter_map(|id| {
                let gone_after = GONE_AFTER.iter().find(|(known, _)| known == id)?.1;
                let state = if start.elapsed() >= Duration::from_secs(gone_after) {
                    NatGatewayState::Deleted
                } else {
                    NatGatewayState::Deleting
                };
                Some(Gateway::builder().nat_gateway_id(id).state(state).build())
            });
            DescribeNatGatewaysOutput::builder().set_nat_gateways(Some(gateways.collect())).build()
        });
    let ec2 = mock_client!(aws_sdk_ec2, RuleMode::MatchAny, [&delete, &describe]);
    let ctx = Ctx { aws: Aws { ec2, ..Aws::offline() }, deployment: "demo".into(), data: DataPolicy::default() };
    let gateway = |letter: &str, id: &str| {
        Actual::new(Address::new(format!("network/nat-gateway/{letter}")), Kind::NatGateway, id)
    };
    let (a, b) = (gateway("a", "nat-a"), gateway("b", "nat-b"));
    let (gone_a, gone_b) = tokio::join!(NatGateway::delete(&ctx, &a, &Quiet), NatGateway::delete(&ctx, &b, &Quiet));
    gone_a.expect("nat-a deleted");
    gone_b.expect("nat-b deleted");

    let asked = asked.lock().expect("log");
    let both = |ids: &Vec<String>| ids.len() == 2;
    // Once both wait, every look is one call naming both, until nat-a is seen gone; then nat-b alone.
    let shared = asked.iter().filter(|ids| both(ids)).count();
    assert!(shared >= 5, "{shared} shared calls: {asked:?}");
    let last_shared = asked.iter().rposition(both).expect("shared calls");
    assert!(
        asked[..last_shared].iter().filter(|ids| !both(ids)).count() <= 2,
        "at most the first looks apart: {asked:?}"
    );
    assert!(asked[last_shared + 1..].iter().all(|ids| ids.as_slice() == ["nat-b"]), "{asked:?}");
    assert_eq!(delete.num_calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_gateway_the_filter_does_not_list_is_gone_for_its_wait_sdk_mock() {
    let delete = mock!(Client::delete_nat_gateway).then_output(|| DeleteNatGatewayOutput::builder().build());
    let describe = mock!(Client::describe_nat_gateways).then_output(|| DescribeNatGatewaysOutput::builder().build());
    let ec2 = mock_client!(aws_sdk_ec2, RuleMode::MatchAny, [&delete, &describe]);
    let ctx = Ctx { aws: Aws { ec2, ..Aws::offline() }, deployment: "demo".into(), data: DataPolicy::default() };
    let gone = Actual::new(Address::new("network/nat-gateway/a"), Kind::NatGateway, "nat-gone");
    NatGateway::delete(&ctx, &gone, &Quiet).await.expect("gone counts as deleted");
    assert_eq!(describe.num_calls(), 1, "the first look, at once");
}
