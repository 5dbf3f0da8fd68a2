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
                Group {
                    name: "web-app".into(),
                    role: "main".into(),
                    min: 2,
                    desired: 2,
                    max: 4,
                    instances: vec![Instance {
                        id: "i-1".into(),
                        zone: "us-east-1a".into(),
                        lifecycle: "InService".into(),
                        health: "Healthy".into(),
                        state: "running".into(),
                        instance_type: "t3.small".into(),
                        launch_template_version: Some("3".into()),
                        private_ip: Some("10.0.1.5".into()),
                        launched_at: Some("2026-11-30T11:00:00Z".into()),
                        launched_epoch: Some(1_764_500_400),
                    }],
                },
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
        discovery: Some(Discovery {
            judged: Judged::healthy(),
            zone: "web.internal".into(),
            zone_id: "Z0123456789".into(),
            records: vec![
                GroupRecord {
                    group: "app".into(),
                    name: "app.web.internal".into(),
                    addresses: Some(vec!["10.0.1.5".into()]),
                    in_service: vec!["10.0.1.5".into()],
                    nodes: vec![("10.0.1.5".into(), "i-1".into(), Some(3600))],
                },
                GroupRecord {
                    group: "workers".into(),
                    name: "workers.web.internal".into(),
                    addresses: None,
                    in_service: vec![],
                    nodes: vec![],
                },
            ],
        }),
    };
    if let Some(dns) = tiers.discovery.as_mut() {
        judge::discovery(dns);
    }
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

fn record(addresses: Option<&[&str]>, nodes: &[(&str, i64)]) -> Discovery {
    let mut in_service: Vec<String> = nodes.iter().map(|n| n.0.to_owned()).collect();
    in_service.sort();
    Discovery {
        judged: Judged::healthy(),
        zone: "web.internal".into(),
        zone_id: "Z1".into(),
        records: vec![GroupRecord {
            group: "workers".into(),
            name: "workers.web.internal".into(),
            addresses: addresses.map(|a| a.iter().map(|s| (*s).to_owned()).collect()),
            in_service,
            nodes: nodes
                .iter()
                .enumerate()
                .map(|(i, (a, age))| ((*a).to_owned(), format!("i-{i}"), Some(*age)))
                .collect(),
        }],
    }
}

fn judged(mut tier: Discovery) -> Judged {
    judge::discovery(&mut tier);
    tier.judged
}

#[test]
fn a_record_that_lists_every_node_in_service_is_healthy_and_a_node_still_booting_may_be_missing() {
    assert_eq!(
        judged(record(Some(&["10.0.1.5", "10.0.2.7"]), &[("10.0.1.5", 900), ("10.0.2.7", 60)])).health,
        Health::Healthy
    );
    // A node launched a minute ago has not run its keeper yet: not a fault, with or without a record.
    assert_eq!(judged(record(Some(&["10.0.1.5"]), &[("10.0.1.5", 900), ("10.0.2.7", 60)])).health, Health::Healthy);
    assert_eq!(judged(record(None, &[("10.0.2.7", 60)])).health, Health::Healthy);
    // No node in service: the keepers leave the record as it was, and the app tier says why.
    assert_eq!(judged(record(Some(&["10.0.1.5"]), &[])).health, Health::Healthy);
}

#[test]
fn a_record_that_lags_its_group_degrades_discovery_naming_the_address_and_where_to_look() {
    let missing = judged(record(None, &[("10.0.2.7", judge::KEEPER_GRACE_SECS + 60)]));
    assert_eq!(missing.health, Health::Degraded);
    assert_eq!(
        missing.reasons,
        ["workers.web.internal does not list 10.0.2.7 (i-0, launched 11 min ago): the group's DNS keepers are not writing it (`journalctl -u clusterup-dns` on a node of workers says why)"]
    );
    let stale = judged(record(Some(&["10.0.1.5", "10.0.1.9"]), &[("10.0.1.5", 900)]));
    assert_eq!(stale.health, Health::Degraded);
    assert_eq!(stale.reasons.len(), 1, "{:?}", stale.reasons);
    assert!(
        stale.reasons[0].starts_with("workers.web.internal lists 10.0.1.9, which no node of workers in service has")
    );
    // A degraded discovery degrades the deployment, never takes it down: the app still serves.
    let tiers = Tiers { discovery: Some(record(Some(&["10.0.1.9"]), &[("10.0.1.5", 900)])), ..Tiers::default() };
    let mut tiers = tiers;
    if let Some(dns) = tiers.discovery.as_mut() {
        judge::discovery(dns);
    }
    let verdict = verdict(&tiers);
    assert_eq!(verdict.health, Health::Degraded);
    assert!(verdict.line.starts_with("degraded: discovery: workers.web.internal"), "{}", verdict.line);
}

#[test]
fn status_shows_each_groups_record_or_that_none_is_written_yet() {
    let text = crate::output::render_status(&full_report(), crate::output::Style { enabled: false });
    assert!(text.contains("web.internal (Z0123456789)"), "{text}");
    assert!(text.contains("app.web.internal -> 10.0.1.5"), "{text}");
    assert!(text.contains("workers.web.internal -> not written yet (0 in service)"), "{text}");
}
