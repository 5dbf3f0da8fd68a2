//! The report against its published schema (docs/status.schema.json) with every optional part filled
//! in, which the emulator cannot produce (an instance refresh, pending maintenance, prices from the API,
//! an unpriced line). The integration tests check real outputs against the same schema.

use super::*;
use crate::cost::{Basis, Line};

fn schema() -> jsonschema::Validator {
    let text = include_str!("../../docs/status.schema.json");
    jsonschema::validator_for(&serde_json::from_str(text).expect("JSON")).expect("a valid schema")
}

fn full_report() -> Report {
    let mut tiers = Tiers {
        load_balancer: Some(LoadBalancer {
            judged: Judged::healthy(),
            name: "web-alb".into(),
            state: "active".into(),
            dns_name: "web-alb-1.us-east-1.elb.amazonaws.com".into(),
            listeners: vec![Listener { port: 443, protocol: "HTTPS".into() }],
            targets: vec![Target {
                id: "i-1".into(),
                port: Some(8080),
                state: "unhealthy".into(),
                reason: Some("Target.FailedHealthChecks".into()),
                description: Some("Health checks failed".into()),
            }],
        }),
        app: Some(App {
            judged: Judged::healthy(),
            groups: vec![
                Group { name: "web-app".into(), role: "main".into(), min: 2, desired: 2, max: 4, instances: vec![] },
                Group {
                    name: "web-app-canary".into(),
                    role: "canary".into(),
                    min: 0,
                    desired: 0,
                    max: 1,
                    instances: vec![],
                },
            ],
            activities: vec![Activity {
                started: Some("2026-11-30T10:00:00Z".into()),
                status: "Successful".into(),
                description: "Launching".into(),
            }],
            refreshes: Refreshes {
                readable: true,
                items: vec![Refresh {
                    group: "web-app".into(),
                    id: "r-1".into(),
                    status: "InProgress".into(),
                    percent_complete: Some(50),
                    started: None,
                    reason: Some("Waiting for instances to warm up".into()),
                }],
                note: None,
            },
            canary: Some("canary at 50% (launch template v4)".into()),
        }),
        database: Some(Database {
            judged: Judged::healthy(),
            identifier: "web-db".into(),
            status: "modifying".into(),
            engine_version: "8.4.3".into(),
            instance_class: "db.t3.medium".into(),
            multi_az: true,
            allocated_gb: 50,
            free_storage_gb: Some(42.5),
            free_storage_note: None,
            pending_modifications: vec!["instance class -> db.t3.large".into()],
            maintenance: vec!["system-update (auto-applied after 2026-12-01T00:00:00Z): patch".into()],
            read_replicas: vec![],
        }),
        storage: Some(Storage {
            judged: Judged::healthy(),
            id: "fs-1".into(),
            state: "available".into(),
            size_bytes: 6144,
            mount_targets: vec![],
        }),
        spark: Some(Spark {
            judged: Judged::healthy(),
            id: "j-1".into(),
            name: "web-spark".into(),
            state: "TERMINATED".into(),
            state_reason: Some("USER_REQUEST: Terminated by user request".into()),
            groups: vec![NodeGroup {
                role: "master".into(),
                instance_type: "m5.xlarge".into(),
                requested: 1,
                running: 0,
            }],
            steps: vec![Step { id: "s-1".into(), name: "clusterup: job.py".into(), state: "RUNNING".into() }],
        }),
        alarms: Some(Alarms {
            judged: Judged::healthy(),
            alarms: vec![
                Alarm {
                    name: "clusterup-web-alb-5xx".into(),
                    state: "ALARM".into(),
                    metric: "HTTPCode_ELB_5XX_Count".into(),
                    reason: Some("Threshold Crossed: 1 datapoint [12.0] was greater than or equal to 10.0".into()),
                    since: Some("2026-11-30T11:55:00Z".into()),
                    description: Some("The load balancer itself answered 5xx".into()),
                },
                Alarm {
                    name: "clusterup-web-database-cpu".into(),
                    state: "OK".into(),
                    metric: "CPUUtilization".into(),
                    reason: None,
                    since: None,
                    description: None,
                },
            ],
        }),
    };
    if let Some(alarms) = tiers.alarms.as_mut() {
        judge::alarms(alarms);
    }
    if let Some(lb) = tiers.load_balancer.as_mut() {
        judge::load_balancer(lb, &["i-1".into()]);
    }
    if let Some(db) = tiers.database.as_mut() {
        judge::database(db);
    }
    if let Some(spark) = tiers.spark.as_mut() {
        judge::spark(spark);
    }
    let cost = Estimate {
        region: "eu-west-1".into(),
        currency: "USD",
        basis: Basis::PriceListApi { read_at: "2026-11-30T12:00:00Z".into() },
        hours_per_month: 730.0,
        lines: vec![Line {
            address: "app/auto-scaling-group".into(),
            what: "2 x m7g.large".into(),
            hourly: 0.0,
            monthly: 0.0,
            note: None,
            unpriced: vec!["EC2 m7g.large per hour: the AWS Price List API has no such product in eu-west-1".into()],
        }],
        total_hourly: Some(0.0),
        total_monthly: Some(0.0),
        complete: false,
        unpriced_region: None,
    };
    Report {
        deployment: "web".into(),
        region: "us-east-1".into(),
        checked_at: "2026-11-30T12:00:00Z".into(),
        verdict: verdict(&tiers),
        tiers,
        cost: Some(cost),
    }
}

#[test]
fn every_field_of_the_report_is_in_the_published_schema() {
    let doc = serde_json::to_value(full_report()).expect("serialises");
    let errors: Vec<String> = schema().iter_errors(&doc).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(doc["verdict"]["health"], "down", "no healthy target: {doc:#}");
}

#[test]
fn the_schema_rejects_a_report_that_drifts_from_it() {
    let mut doc = serde_json::to_value(full_report()).expect("serialises");
    doc["tiers"]["app"]["groups"][0]["surprise"] = serde_json::json!(1);
    assert!(!schema().is_valid(&doc), "an unknown field must fail");
    let mut doc = serde_json::to_value(full_report()).expect("serialises");
    doc["verdict"]["health"] = serde_json::json!("fine");
    assert!(!schema().is_valid(&doc), "an unknown health must fail");
}

#[test]
fn a_canary_rollout_in_progress_is_shown_beside_the_instance_refreshes() {
    let text = crate::output::render_status(&full_report(), crate::output::Style { enabled: false });
    let rollout: Vec<&str> =
        text.lines().skip_while(|l| !l.contains("canary rollout in progress")).take(2).map(str::trim).collect();
    assert_eq!(rollout.len(), 2, "{text}");
    assert!(rollout[0].ends_with("canary rollout in progress: canary at 50% (launch template v4)"), "{text}");
    assert!(rollout[1].starts_with("r-1 InProgress 50%"), "{text}");
    assert!(text.contains("web-app-canary (canary)"), "{text}");

    let mut none = full_report();
    if let Some(app) = none.tiers.app.as_mut() {
        app.canary = None;
    }
    let doc = serde_json::to_value(&none).expect("serialises");
    assert!(doc["tiers"]["app"].get("canary").is_none(), "absent without a rollout: {doc:#}");
    assert!(schema().is_valid(&doc));
}

#[test]
fn an_alarm_in_alarm_degrades_the_deployment_naming_it_and_the_others_do_not() {
    let report = full_report();
    let alarms = report.tiers.alarms.as_ref().expect("alarms");
    assert_eq!(alarms.judged.health, Health::Degraded);
    assert_eq!(alarms.judged.reasons.len(), 1, "{:?}", alarms.judged.reasons);
    assert!(alarms.judged.reasons[0].starts_with("clusterup-web-alb-5xx is in ALARM: Threshold Crossed"));
    let verdict = verdict(&report.tiers);
    assert!(verdict.reasons.iter().any(|r| r.tier == "alarms" && r.reason.contains("clusterup-web-alb-5xx")));
    assert!(!verdict.line.contains("database-cpu"), "{}", verdict.line);
}
