//! The batch with fake calls under tokio's paused clock: who shares a call, what each asker gets, and
//! what cancellation and a failing or panicking call do.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use super::*;

/// The calls a fake made: when, and for which ids.
type Log = Arc<Mutex<Vec<(Duration, Vec<String>)>>>;

/// A fake call: each call takes 100 ms; `respond` says what it answers for the ids asked.
fn fake(
    start: Instant,
    respond: impl Fn(&[String]) -> Result<Answers<String>, AwsError> + Send + Sync + 'static,
) -> (BatchCall<String>, Log) {
    let log: Log = Arc::default();
    let respond = Arc::new(respond);
    let calls = log.clone();
    let call: BatchCall<String> = Arc::new(move |ids: Vec<String>| {
        let (calls, respond) = (calls.clone(), respond.clone());
        Box::pin(async move {
            calls.lock().expect("log").push((start.elapsed(), ids.clone()));
            tokio::time::sleep(Duration::from_millis(100)).await;
            respond(&ids)
        })
    });
    (call, log)
}

/// Every id asked, answered with its own state.
fn all_pending(ids: &[String]) -> Result<Answers<String>, AwsError> {
    Ok(ids.iter().map(|id| (id.clone(), format!("{id} pending"))).collect())
}

fn window(start: Instant, open_ms: u64, due_ms: u64) -> Look {
    Look { open: start + Duration::from_millis(open_ms), due: start + Duration::from_millis(due_ms) }
}

fn aws_error(class: ErrorClass, code: &str) -> AwsError {
    AwsError {
        resource: "batch".into(),
        call: "DescribeNatGateways",
        code: Some(code.into()),
        message: code.into(),
        class,
    }
}

#[tokio::test(start_paused = true)]
async fn waits_whose_windows_overlap_share_one_call_made_when_the_first_window_closes() {
    let start = Instant::now();
    let (call, log) = fake(start, all_pending);
    let batch = Batch::new("DescribeNatGateways", call);
    let (a, b) = tokio::join!(
        batch.look("nat-a", "network/nat-gateway/a", window(start, 1000, 2000)),
        batch.look("nat-b", "network/nat-gateway/b", window(start, 1500, 3000)),
    );
    assert_eq!(a.expect("answered").as_deref(), Some("nat-a pending"));
    assert_eq!(b.expect("answered").as_deref(), Some("nat-b pending"));
    let log = log.lock().expect("log");
    assert_eq!(*log, [(Duration::from_secs(2), vec!["nat-a".to_owned(), "nat-b".to_owned()])]);
}

#[tokio::test(start_paused = true)]
async fn a_wait_alone_looks_at_its_own_moment_and_windows_apart_make_separate_calls() {
    let start = Instant::now();
    let (call, log) = fake(start, all_pending);
    let batch = Batch::new("DescribeNatGateways", call);
    let (a, b) = tokio::join!(
        batch.look("nat-a", "a", window(start, 1000, 2000)),
        batch.look("nat-b", "b", window(start, 2500, 4000)),
    );
    assert!(a.is_ok() && b.is_ok());
    let log = log.lock().expect("log");
    assert_eq!(
        *log,
        [(Duration::from_secs(2), vec!["nat-a".to_owned()]), (Duration::from_secs(4), vec!["nat-b".to_owned()])]
    );
}

#[tokio::test(start_paused = true)]
async fn a_request_that_closes_sooner_than_those_waiting_is_answered_at_its_own_moment() {
    let start = Instant::now();
    let (call, log) = fake(start, all_pending);
    let batch = Batch::new("DescribeNatGateways", call);
    let late = batch.look("nat-a", "a", window(start, 20_000, 30_000));
    let soon = async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        batch.look("nat-b", "b", window(start, 1000, 1000)).await
    };
    let (late, soon) = tokio::join!(late, soon);
    assert!(late.is_ok() && soon.is_ok());
    let log = log.lock().expect("log");
    assert_eq!(
        *log,
        [(Duration::from_secs(1), vec!["nat-b".to_owned()]), (Duration::from_secs(30), vec!["nat-a".to_owned()])]
    );
}

#[tokio::test(start_paused = true)]
async fn an_id_the_answer_does_not_list_is_absent_for_its_asker_only() {
    let start = Instant::now();
    let (call, _) =
        fake(start, |ids| Ok(ids.iter().filter(|id| *id != "gone").map(|id| (id.clone(), "up".into())).collect()));
    let batch = Batch::new("DescribeDBInstances", call);
    let (gone, here) =
        tokio::join!(batch.look("gone", "a", window(start, 0, 1000)), batch.look("here", "b", window(start, 0, 1000)));
    assert_eq!(gone.expect("not an error"), None);
    assert_eq!(here.expect("answered").as_deref(), Some("up"));
}

#[tokio::test(start_paused = true)]
async fn a_failed_call_fails_every_asker_each_with_its_own_resource() {
    let start = Instant::now();
    let (call, log) = fake(start, |_| Err(aws_error(ErrorClass::Auth, "UnauthorizedOperation")));
    let batch = Batch::new("DescribeNatGateways", call);
    let (a, b) = tokio::join!(
        batch.look("nat-a", "network/nat-gateway/a", window(start, 0, 1000)),
        batch.look("nat-b", "network/nat-gateway/b", window(start, 0, 1000)),
    );
    let (a, b) = (a.expect_err("the call failed"), b.expect_err("the call failed"));
    assert_eq!((a.resource.as_str(), b.resource.as_str()), ("network/nat-gateway/a", "network/nat-gateway/b"));
    assert!(a.is(ErrorClass::Auth) && b.code_is("UnauthorizedOperation"), "{a} {b}");
    assert_eq!(log.lock().expect("log").len(), 1, "one call, not retried per id");
}

#[tokio::test(start_paused = true)]
async fn a_call_refused_as_not_found_for_several_ids_is_made_per_id_so_one_unknown_id_fails_nobody() {
    let start = Instant::now();
    // EC2's way: one unknown id in the list refuses the whole request.
    let (call, log) = fake(start, |ids| {
        if ids.iter().any(|id| id == "unknown") {
            return Err(aws_error(ErrorClass::NotFound, "NatGatewayNotFound"));
        }
        if ids.iter().any(|id| id == "denied") {
            return Err(aws_error(ErrorClass::Auth, "UnauthorizedOperation"));
        }
        all_pending(ids)
    });
    let batch = Batch::new("DescribeNatGateways", call);
    let (unknown, known, denied) = tokio::join!(
        batch.look("unknown", "a", window(start, 0, 1000)),
        batch.look("known", "b", window(start, 0, 1000)),
        batch.look("denied", "c", window(start, 0, 1000)),
    );
    assert_eq!(unknown.expect("absent, not an error"), None);
    assert_eq!(known.expect("answered").as_deref(), Some("known pending"));
    assert_eq!(denied.expect_err("its own call failed").resource, "c");
    let ids: Vec<Vec<String>> = log.lock().expect("log").iter().map(|(_, ids)| ids.clone()).collect();
    assert_eq!(ids, [vec!["denied", "known", "unknown"], vec!["denied"], vec!["known"], vec!["unknown"]]);
}

#[tokio::test(start_paused = true)]
async fn a_wait_that_stops_before_its_look_is_left_out_of_the_call() {
    let start = Instant::now();
    let (call, log) = fake(start, all_pending);
    let batch = Batch::new("DescribeNatGateways", call);
    let stopped = batch.look("nat-a", "a", window(start, 0, 1000));
    // Cancelled half a second in: its request goes with it.
    let cancelled = tokio::time::timeout(Duration::from_millis(500), stopped);
    let (cancelled, kept) = tokio::join!(cancelled, batch.look("nat-b", "b", window(start, 1000, 2000)));
    assert!(cancelled.is_err(), "timed out before the look");
    assert_eq!(kept.expect("answered").as_deref(), Some("nat-b pending"));
    assert_eq!(*log.lock().expect("log"), [(Duration::from_secs(2), vec!["nat-b".to_owned()])]);
}

#[tokio::test(start_paused = true)]
async fn a_wait_that_stops_during_the_call_does_not_stop_it_for_the_others() {
    let start = Instant::now();
    let (call, log) = fake(start, all_pending);
    let batch = Batch::new("DescribeNatGateways", call);
    // Both are in the call made at 1 s, which takes 100 ms; one asker gives up 50 ms in.
    let cancelled = tokio::time::timeout(Duration::from_millis(1050), batch.look("nat-a", "a", window(start, 0, 1000)));
    let (cancelled, kept) = tokio::join!(cancelled, batch.look("nat-b", "b", window(start, 0, 1000)));
    assert!(cancelled.is_err());
    assert_eq!(kept.expect("answered").as_deref(), Some("nat-b pending"));
    assert_eq!(log.lock().expect("log").len(), 1);
    // The task has ended; the next look starts another.
    let again = batch.look("nat-b", "b", Look::now()).await;
    assert!(again.is_ok());
}

#[tokio::test(start_paused = true)]
async fn a_call_that_panics_fails_its_askers_and_the_next_look_works() {
    let start = Instant::now();
    let panics = Arc::new(Mutex::new(true));
    let once = panics.clone();
    let (call, _) = fake(start, move |ids| {
        if std::mem::replace(&mut *once.lock().expect("flag"), false) {
            panic!("a bug in a call");
        }
        all_pending(ids)
    });
    let batch = Batch::new("DescribeNatGateways", call);
    let failed = batch.look("nat-a", "network/nat-gateway/a", Look::now()).await;
    let err = failed.expect_err("the call panicked");
    assert!(err.message.contains("a bug in clusterup"), "{err}");
    assert_eq!(batch.look("nat-a", "a", Look::now()).await.expect("answered").as_deref(), Some("nat-a pending"));
}

#[tokio::test(start_paused = true)]
async fn waits_with_the_same_key_share_a_batch_and_waits_without_one_do_not() {
    let start = Instant::now();
    let batches = Batches::default();
    let (call, log) = fake(start, all_pending);
    let key = || Some("ec2 DescribeNatGateways".to_owned());
    let a = batches.get(key(), "DescribeNatGateways", || call.clone());
    let b = batches.get(key(), "DescribeNatGateways", || call.clone());
    assert!(Arc::ptr_eq(&a, &b));
    let alone = batches.get(None, "DescribeNatGateways", || call.clone());
    assert!(!Arc::ptr_eq(&a, &alone));
    let (x, y, z) = tokio::join!(
        a.look("nat-a", "a", Look::now()),
        b.look("nat-b", "b", Look::now()),
        alone.look("nat-c", "c", Look::now())
    );
    assert!(x.is_ok() && y.is_ok() && z.is_ok());
    assert_eq!(log.lock().expect("log").len(), 2, "a and b in one call, c in its own");
}
