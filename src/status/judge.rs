//! How each tier is judged from what AWS reported, and the verdict for the deployment: pure functions
//! of the report, so every rule is tested without AWS.

use super::{Alarms, App, Database, Discovery, Health, LoadBalancer, Reason, Spark, Storage, Tiers, Verdict};

/// The load balancer serves when it is active and has healthy targets; every app node in service should
/// be a healthy target.
pub(super) fn load_balancer(lb: &mut LoadBalancer, in_service: &[String]) {
    match lb.state.as_str() {
        "active" => {}
        "provisioning" | "active_impaired" => lb.judged.flag(Health::Degraded, format!("{} is {}", lb.name, lb.state)),
        other => lb.judged.flag(Health::Down, format!("{} is {other}", lb.name)),
    }
    let healthy = lb.targets.iter().filter(|t| t.state == "healthy").count();
    for target in lb.targets.iter().filter(|t| t.state != "healthy") {
        let why = match (&target.reason, &target.description) {
            (Some(code), Some(text)) => format!(" ({code}: {text})"),
            (Some(code), None) => format!(" ({code})"),
            (None, Some(text)) => format!(" ({text})"),
            (None, None) => String::new(),
        };
        lb.judged.flag(Health::Degraded, format!("target {} is {}{why}", target.id, target.state));
    }
    for id in in_service.iter().filter(|id| !lb.targets.iter().any(|t| &t.id == *id)) {
        lb.judged.flag(Health::Degraded, format!("node {id} is in service but not registered with the target group"));
    }
    if healthy == 0 {
        lb.judged.flag(Health::Down, format!("no healthy target (0 of {})", lb.targets.len()));
    }
}

/// The app tier: every group at its desired size with every node in service, healthy and running.
pub(super) fn app(app: &mut App) {
    let mut serving = 0;
    for group in &app.groups {
        let in_service: Vec<_> = group
            .instances
            .iter()
            .filter(|i| i.lifecycle == "InService" && i.health == "Healthy" && i.state == "running")
            .collect();
        serving += in_service.len();
        for node in &group.instances {
            if node.state != "running" && node.state != "pending" {
                app.judged.flag(Health::Degraded, format!("node {} in {} is {}", node.id, node.zone, node.state));
            } else if node.health != "Healthy" {
                app.judged.flag(Health::Degraded, format!("node {} in {} is {}", node.id, node.zone, node.health));
            } else if node.lifecycle != "InService" {
                app.judged.flag(Health::Degraded, format!("node {} in {} is {}", node.id, node.zone, node.lifecycle));
            }
        }
        let wanted = usize::try_from(group.desired).unwrap_or(0);
        if in_service.len() < wanted {
            app.judged.flag(
                Health::Degraded,
                format!("{}: {} of {} nodes serving", group.name, in_service.len(), group.desired),
            );
        }
    }
    let wanted: i32 = app.groups.iter().map(|g| g.desired).sum();
    if serving == 0 && wanted > 0 {
        app.judged.flag(Health::Down, "no node is serving");
    }
}

/// RDS statuses: usable, passing through a change, or not serving
/// (docs.aws.amazon.com/AmazonRDS/latest/UserGuide/accessing-monitoring.html#Overview.DBInstance.Status).
pub(super) fn database(db: &mut Database) {
    let status = db.status.as_str();
    match status {
        "available"
        | "backing-up"
        | "storage-optimization"
        | "configuring-enhanced-monitoring"
        | "configuring-iam-database-auth"
        | "configuring-log-exports" => {}
        "stopped"
        | "stopping"
        | "failed"
        | "storage-full"
        | "inaccessible-encryption-credentials"
        | "inaccessible-encryption-credentials-recoverable"
        | "incompatible-network"
        | "incompatible-option-group"
        | "incompatible-parameters"
        | "incompatible-restore"
        | "restore-error"
        | "deleting"
        | "missing" => {
            db.judged.flag(Health::Down, format!("{} is {status}", db.identifier));
        }
        other => db.judged.flag(Health::Degraded, format!("{} is {other}", db.identifier)),
    }
    // A replica that does not serve reads leaves the database serving: degraded, not down.
    let flagged: Vec<String> = db
        .read_replicas
        .iter()
        .filter(|r| !matches!(r.status.as_str(), "available" | "backing-up" | "storage-optimization"))
        .map(|r| format!("read replica {} is {}", r.identifier, r.status))
        .collect();
    for reason in flagged {
        db.judged.flag(Health::Degraded, reason);
    }
    // Below a tenth of its storage the database is close to storage-full, which stops it.
    if let Some(free) = db.free_storage_gb {
        if db.allocated_gb > 0 && free < f64::from(db.allocated_gb) / 10.0 {
            db.judged.flag(
                Health::Degraded,
                format!("{} has {free:.1} GB of {} GB storage free", db.identifier, db.allocated_gb),
            );
        }
    }
}

/// The file system is available, with an available mount target in every zone the app runs in.
pub(super) fn storage(storage: &mut Storage, zones: &[String]) {
    match storage.state.as_str() {
        "available" => {}
        "creating" | "updating" => {
            storage.judged.flag(Health::Degraded, format!("{} is {}", storage.id, storage.state))
        }
        other => storage.judged.flag(Health::Down, format!("{} is {other}", storage.id)),
    }
    for target in storage.mount_targets.iter().filter(|m| m.state != "available") {
        storage.judged.flag(Health::Degraded, format!("mount target in {} is {}", target.zone, target.state));
    }
    for zone in zones {
        if !storage.mount_targets.iter().any(|m| &m.zone == zone) {
            storage.judged.flag(Health::Degraded, format!("no mount target in {zone}: nodes there cannot mount it"));
        }
    }
}

/// EMR states (docs.aws.amazon.com/emr/latest/APIReference/API_ClusterStatus.html): WAITING and RUNNING
/// take work; a terminated cluster is down.
pub(super) fn spark(spark: &mut Spark) {
    let reason = spark.reason_shown();
    match spark.state.as_str() {
        "WAITING" | "RUNNING" => {}
        "STARTING" | "BOOTSTRAPPING" => {
            spark.judged.flag(Health::Degraded, format!("cluster {} is {}", spark.id, spark.state));
        }
        other => spark.judged.flag(Health::Down, format!("cluster {} is {other}{reason}", spark.id)),
    }
    if spark.judged.health != Health::Down {
        for group in spark.groups.iter().filter(|g| g.running < g.requested) {
            spark.judged.flag(
                Health::Degraded,
                format!("{} group: {} of {} nodes running", group.role, group.running, group.requested),
            );
        }
    }
}

/// Degraded while any alarm is in ALARM, each named with CloudWatch's reason.
pub(super) fn alarms(tier: &mut Alarms) {
    for alarm in tier.alarms.iter().filter(|a| a.firing()) {
        let reason = match &alarm.reason {
            Some(why) => format!("{} is in ALARM: {why}", alarm.name),
            None => format!("{} is in ALARM", alarm.name),
        };
        tier.judged.flag(Health::Degraded, reason);
    }
}

/// How long after its launch a node in service may be missing from its group's record: its boot, its
/// user data and the DNS keeper's first run, which ends the user data (templates/app-user-data.sh), take
/// a few minutes on a slow boot; then every node of the group runs its keeper every 20-25 s. Generous on
/// purpose: a keeper that never writes (a role without its permission, say) is still flagged within ten
/// minutes, and a slow boot never is.
pub const KEEPER_GRACE_SECS: i64 = 600;

/// Degraded when a group's record lags its nodes: an address of a node in service for longer than
/// [`KEEPER_GRACE_SECS`] missing, or an address no node of the group in service has. A group with no
/// node in service is not judged here: its keepers leave the record as it was, and the app tier says why.
pub(super) fn discovery(tier: &mut Discovery) {
    let mut reasons = Vec::new();
    for record in tier.records.iter().filter(|r| !r.in_service.is_empty()) {
        // No record yet lists nothing.
        let listed = record.addresses.as_deref().unwrap_or(&[]);
        for (address, node, age) in &record.nodes {
            let Some(age) = age.filter(|a| *a > KEEPER_GRACE_SECS) else { continue };
            if !listed.contains(address) {
                reasons.push(format!(
                    "{} does not list {address} ({node}, launched {} min ago): the group's DNS keepers are not writing it (`journalctl -u clusterup-dns` on a node of {} says why)",
                    record.name,
                    age / 60,
                    record.group
                ));
            }
        }
        for address in listed.iter().filter(|a| !record.in_service.contains(a)) {
            reasons.push(format!(
                "{} lists {address}, which no node of {} in service has (its keepers put the record right within 15 minutes; longer means they are failing)",
                record.name, record.group
            ));
        }
    }
    for reason in reasons {
        tier.judged.flag(Health::Degraded, reason);
    }
}

/// The deployment is down when its serving path (load balancer, app nodes) is down, degraded when any
/// tier is not healthy (a Spark cluster that is gone does not stop the app from serving), else healthy.
pub fn verdict(tiers: &Tiers) -> Verdict {
    let judged = [
        ("load balancer", tiers.load_balancer.as_ref().map(|t| &t.judged), true),
        ("app", tiers.app.as_ref().map(|t| &t.judged), true),
        ("database", tiers.database.as_ref().map(|t| &t.judged), false),
        ("shared storage", tiers.storage.as_ref().map(|t| &t.judged), false),
        ("spark", tiers.spark.as_ref().map(|t| &t.judged), false),
        ("alarms", tiers.alarms.as_ref().map(|t| &t.judged), false),
        ("discovery", tiers.discovery.as_ref().map(|t| &t.judged), false),
    ];
    let mut health = Health::Healthy;
    let mut reasons = Vec::new();
    for (tier, judged, serving_path) in judged {
        let Some(judged) = judged else { continue };
        if judged.health == Health::Healthy {
            continue;
        }
        let counts = if serving_path { judged.health } else { Health::Degraded };
        health = health.max(counts);
        reasons.extend(judged.reasons.iter().map(|r| Reason { tier, health: judged.health, reason: r.clone() }));
    }
    let line = match health {
        Health::Healthy => "healthy: every tier is healthy".to_owned(),
        _ => {
            // The worst reasons first, one tier after another.
            let mut shown: Vec<&Reason> = reasons.iter().collect();
            shown.sort_by_key(|r| std::cmp::Reverse(r.health));
            let parts: Vec<String> = shown.iter().map(|r| format!("{}: {}", r.tier, r.reason)).collect();
            format!("{}: {}", health.word(), parts.join("; "))
        }
    };
    Verdict { health, line, reasons }
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use super::*;

    fn lb(targets: &[(&str, &str, Option<&str>)]) -> LoadBalancer {
        LoadBalancer {
            judged: Judged::healthy(),
            name: "web-alb".into(),
            state: "active".into(),
            dns_name: "web.example".into(),
            listeners: vec![],
            targets: targets
                .iter()
                .map(|(id, state, reason)| Target {
                    id: (*id).into(),
                    port: Some(8080),
                    state: (*state).into(),
                    reason: reason.map(str::to_owned),
                    description: None,
                })
                .collect(),
        }
    }

    fn node(id: &str, state: &str) -> Instance {
        Instance {
            id: id.into(),
            zone: "us-east-1a".into(),
            lifecycle: "InService".into(),
            health: "Healthy".into(),
            state: state.into(),
            instance_type: "t3.small".into(),
            launch_template_version: Some("1".into()),
            private_ip: None,
            launched_at: None,
            launched_epoch: None,
        }
    }

    fn app(nodes: Vec<Instance>, desired: i32) -> App {
        App {
            judged: Judged::healthy(),
            groups: vec![Group {
                name: "web-app".into(),
                role: "main".into(),
                min: 2,
                desired,
                max: 4,
                instances: nodes,
            }],
            activities: vec![],
            refreshes: Refreshes { readable: true, items: vec![], note: None },
            canary: None,
        }
    }

    fn spark(state: &str, reason: Option<&str>) -> Spark {
        Spark {
            judged: Judged::healthy(),
            id: "j-1".into(),
            name: "web-spark".into(),
            state: state.into(),
            state_reason: reason.map(str::to_owned),
            groups: vec![NodeGroup {
                role: "core".into(),
                instance_type: "m5.xlarge".into(),
                requested: 2,
                running: 2,
            }],
            steps: vec![],
        }
    }

    #[test]
    fn a_failing_target_degrades_and_no_healthy_target_is_down() {
        let mut one = lb(&[("i-1", "healthy", None), ("i-2", "unhealthy", Some("Target.FailedHealthChecks"))]);
        load_balancer(&mut one, &["i-1".into(), "i-2".into()]);
        assert_eq!(one.judged.health, Health::Degraded);
        assert_eq!(one.judged.reasons, vec!["target i-2 is unhealthy (Target.FailedHealthChecks)"]);
        let mut none = lb(&[("i-2", "unused", Some("Target.InvalidState"))]);
        load_balancer(&mut none, &[]);
        assert_eq!(none.judged.health, Health::Down);
    }

    #[test]
    fn a_node_in_service_but_not_a_target_degrades_the_load_balancer() {
        let mut one = lb(&[("i-1", "healthy", None)]);
        load_balancer(&mut one, &["i-1".into(), "i-9".into()]);
        assert_eq!(one.judged.health, Health::Degraded);
        assert!(one.judged.reasons[0].contains("i-9 is in service but not registered"), "{:?}", one.judged.reasons);
    }

    #[test]
    fn a_stopped_node_degrades_the_app_and_no_serving_node_is_down() {
        let mut some = app(vec![node("i-1", "running"), node("i-2", "stopped")], 2);
        super::app(&mut some);
        assert_eq!(some.judged.health, Health::Degraded);
        assert_eq!(some.judged.reasons, vec!["node i-2 in us-east-1a is stopped", "web-app: 1 of 2 nodes serving"]);
        let mut none = app(vec![node("i-2", "stopped")], 1);
        super::app(&mut none);
        assert_eq!(none.judged.health, Health::Down);
    }

    #[test]
    fn a_terminated_cluster_is_down_but_leaves_the_deployment_degraded() {
        let mut gone = spark("TERMINATED", Some("USER_REQUEST: Terminated by user request"));
        super::spark(&mut gone);
        assert_eq!(gone.judged.health, Health::Down);
        let mut healthy_lb = lb(&[("i-1", "healthy", None)]);
        load_balancer(&mut healthy_lb, &["i-1".into()]);
        let tiers = Tiers { load_balancer: Some(healthy_lb), spark: Some(gone), ..Tiers::default() };
        let verdict = verdict(&tiers);
        assert_eq!(verdict.health, Health::Degraded);
        assert_eq!(
            verdict.line,
            "degraded: spark: cluster j-1 is TERMINATED (USER_REQUEST: Terminated by user request)"
        );
    }

    #[test]
    fn the_serving_path_down_is_the_deployment_down_and_comes_first() {
        let mut dead = lb(&[("i-1", "unhealthy", None)]);
        load_balancer(&mut dead, &["i-1".into()]);
        let mut starting = spark("STARTING", None);
        super::spark(&mut starting);
        let verdict = verdict(&Tiers { load_balancer: Some(dead), spark: Some(starting), ..Tiers::default() });
        assert_eq!(verdict.health, Health::Down);
        assert!(verdict.line.starts_with("down: load balancer: no healthy target (0 of 1)"), "{}", verdict.line);
        assert!(verdict.line.contains("spark: cluster j-1 is STARTING"), "{}", verdict.line);
    }

    #[test]
    fn database_states_and_storage_running_out() {
        let db = |status: &str, free: Option<f64>| Database {
            judged: Judged::healthy(),
            identifier: "web-db".into(),
            status: status.into(),
            engine_version: "8.4.3".into(),
            instance_class: "db.t3.medium".into(),
            multi_az: true,
            allocated_gb: 50,
            free_storage_gb: free,
            free_storage_note: None,
            pending_modifications: vec![],
            maintenance: vec![],
            read_replicas: vec![],
        };
        for (status, free, health) in [
            ("available", Some(40.0), Health::Healthy),
            ("backing-up", None, Health::Healthy),
            ("modifying", None, Health::Degraded),
            ("available", Some(4.0), Health::Degraded),
            ("stopped", None, Health::Down),
            ("storage-full", Some(0.0), Health::Down),
        ] {
            let mut one = db(status, free);
            database(&mut one);
            assert_eq!(one.judged.health, health, "{status} with {free:?} GB free: {:?}", one.judged.reasons);
        }
    }

    #[test]
    fn a_zone_without_a_mount_target_degrades_storage() {
        let mut fs = Storage {
            judged: Judged::healthy(),
            id: "fs-1".into(),
            state: "available".into(),
            size_bytes: 6144,
            mount_targets: vec![MountTarget {
                id: "fsmt-1".into(),
                zone: "us-east-1a".into(),
                state: "available".into(),
            }],
        };
        storage(&mut fs, &["us-east-1a".into(), "us-east-1b".into()]);
        assert_eq!(fs.judged.health, Health::Degraded);
        assert_eq!(fs.judged.reasons, vec!["no mount target in us-east-1b: nodes there cannot mount it"]);
    }
}
