//! `status` on one screen: a block per tier (its health word, then its details), the cost if asked, and
//! the verdict line last, where a glance (or `tail -1`) finds it.

use std::fmt::Write as _;

use super::{render_cost, Style};
use crate::status::{Health, Judged, Report};

/// Moves the cursor home and clears the screen: `--watch` redraws in place on a terminal.
pub fn clear_screen() -> &'static str {
    "\x1b[H\x1b[2J"
}

fn word(style: Style, health: Health) -> String {
    let text = format!("{:<8}", health.word());
    match health {
        Health::Healthy => style.green(&text),
        Health::Degraded => style.yellow(&text),
        Health::Down => style.red(&text),
    }
}

fn head(out: &mut String, style: Style, tier: &str, judged: &Judged, summary: &str) {
    let _ = writeln!(out, "{}  {}  {summary}", style.bold(&format!("{tier:<14}")), word(style, judged.health));
}

fn detail(out: &mut String, label: &str, text: &str) {
    let _ = writeln!(out, "  {label:<12} {text}");
}

pub fn render_status(report: &Report, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Deployment {} in {}, read {}\n",
        style.bold(&report.deployment),
        report.region,
        report.checked_at
    );
    let tiers = &report.tiers;
    if let Some(lb) = &tiers.load_balancer {
        head(&mut out, style, "load balancer", &lb.judged, &format!("{} {} {}", lb.name, lb.state, lb.dns_name));
        let listeners: Vec<String> = lb.listeners.iter().map(|l| format!("{}:{}", l.protocol, l.port)).collect();
        detail(&mut out, "listeners", &if listeners.is_empty() { "none".into() } else { listeners.join(", ") });
        if lb.targets.is_empty() {
            detail(&mut out, "targets", "none registered");
        }
        for (i, t) in lb.targets.iter().enumerate() {
            let why = match (&t.reason, &t.description) {
                (Some(code), Some(text)) => format!(" ({code}: {text})"),
                (Some(code), None) => format!(" ({code})"),
                _ => String::new(),
            };
            detail(&mut out, if i == 0 { "targets" } else { "" }, &format!("{} {}{why}", t.id, t.state));
        }
    }
    if let Some(app) = &tiers.app {
        let summary: Vec<String> = app
            .groups
            .iter()
            .map(|g| format!("{} ({}) min {} / desired {} / max {}", g.name, g.role, g.min, g.desired, g.max))
            .collect();
        head(&mut out, style, "app", &app.judged, &summary.join(", "));
        for group in &app.groups {
            for node in &group.instances {
                // As Spark's nodes are shown: what the node runs on, and which launch template version.
                // No version: AWS names no launch template for the node (one launched from a launch
                // configuration, made outside clusterup), and none is shown.
                let version = node.launch_template_version.as_deref().map(|v| format!(" v{v}")).unwrap_or_default();
                detail(
                    &mut out,
                    &node.zone,
                    &format!(
                        "{} {} {}{version} {} {}{}",
                        node.id,
                        node.instance_type,
                        node.lifecycle,
                        node.health,
                        node.state,
                        role(&group.role)
                    ),
                );
            }
        }
        for (i, a) in app.activities.iter().enumerate() {
            detail(
                &mut out,
                if i == 0 { "activities" } else { "" },
                &format!("{} {} {}", a.started.as_deref().unwrap_or("-"), a.status, a.description),
            );
        }
        let refreshes = if let Some(note) = &app.refreshes.note {
            format!("instance refreshes {note}")
        } else if let Some(r) = app.refreshes.items.iter().find(|r| r.in_progress()) {
            format!(
                "{} {} {}% (started {}){}",
                r.id,
                r.status,
                r.percent_complete.unwrap_or(0),
                r.started.as_deref().unwrap_or("-"),
                // No reason from AWS: nothing after the figures.
                r.reason.as_ref().map(|s| format!(": {s}")).unwrap_or_default()
            )
        } else {
            "no instance refresh in progress".into()
        };
        if let Some(canary) = &app.canary {
            detail(&mut out, "rollout", &format!("canary rollout in progress: {canary}"));
        }
        detail(&mut out, if app.canary.is_some() { "" } else { "rollout" }, &refreshes);
    }
    if let Some(dns) = &tiers.discovery {
        head(&mut out, style, "discovery", &dns.judged, &format!("{} ({})", dns.zone, dns.zone_id));
        for (i, record) in dns.records.iter().enumerate() {
            let listed = match &record.addresses {
                Some(addresses) => addresses.join(", "),
                None => format!("not written yet ({} in service)", record.in_service.len()),
            };
            detail(&mut out, if i == 0 { "records" } else { "" }, &format!("{} -> {listed}", record.name));
        }
    }
    if let Some(db) = &tiers.database {
        let free = match (db.free_storage_gb, &db.free_storage_note) {
            (Some(gb), _) => format!("{gb:.1} GB free"),
            (None, Some(note)) => format!("free storage unknown: {note}"),
            (None, None) => "free storage unknown".into(),
        };
        head(
            &mut out,
            style,
            "database",
            &db.judged,
            &format!(
                "{} {}, {}MySQL {} {}, {} GB, {free}",
                db.identifier,
                db.status,
                if db.multi_az { "Multi-AZ, " } else { "Single-AZ, " },
                db.engine_version,
                db.instance_class,
                db.allocated_gb
            ),
        );
        let pending =
            if db.pending_modifications.is_empty() { "none".into() } else { db.pending_modifications.join(", ") };
        detail(&mut out, "pending", &pending);
        let maintenance = if db.maintenance.is_empty() { "none".into() } else { db.maintenance.join("; ") };
        detail(&mut out, "maintenance", &maintenance);
        for (i, r) in db.read_replicas.iter().enumerate() {
            let lag = match (r.lag_seconds, &r.lag_note) {
                (Some(seconds), _) => format!("{seconds:.0} s behind"),
                (None, Some(note)) => format!("lag unknown: {note}"),
                (None, None) => "lag unknown".into(),
            };
            detail(&mut out, if i == 0 { "replicas" } else { "" }, &format!("{} {}, {lag}", r.identifier, r.status));
        }
    }
    if let Some(fs) = &tiers.storage {
        head(
            &mut out,
            style,
            "shared storage",
            &fs.judged,
            &format!("{} {}, {} bytes", fs.id, fs.state, fs.size_bytes),
        );
        for (i, m) in fs.mount_targets.iter().enumerate() {
            detail(&mut out, if i == 0 { "mounts" } else { "" }, &format!("{} {} {}", m.zone, m.id, m.state));
        }
    }
    if let Some(spark) = &tiers.spark {
        let reason = spark.reason_shown();
        head(&mut out, style, "spark", &spark.judged, &format!("{} {} {}{reason}", spark.id, spark.name, spark.state));
        let nodes: Vec<String> = spark
            .groups
            .iter()
            .map(|g| format!("{} {}/{} {}", g.role, g.running, g.requested, g.instance_type))
            .collect();
        if !nodes.is_empty() {
            detail(&mut out, "nodes", &nodes.join(", "));
        }
        let steps: Vec<String> = spark.steps.iter().map(|s| format!("{} {} {}", s.id, s.state, s.name)).collect();
        detail(&mut out, "steps", &if steps.is_empty() { "none pending or running".into() } else { steps.join(", ") });
    }
    if let Some(alarms) = &tiers.alarms {
        let firing = alarms.alarms.iter().filter(|a| a.firing()).count();
        head(&mut out, style, "alarms", &alarms.judged, &format!("{} alarms, {firing} in ALARM", alarms.alarms.len()));
        // Those in ALARM, with why and since when; the others only by count (the plan lists them).
        for alarm in alarms.alarms.iter().filter(|a| a.firing()) {
            let since = alarm.since.as_deref().map(|s| format!(" since {s}")).unwrap_or_else(String::new);
            detail(&mut out, "ALARM", &format!("{} ({}){since}", alarm.name, alarm.metric));
            if let Some(reason) = &alarm.reason {
                detail(&mut out, "", reason);
            }
        }
    }
    if let Some(cost) = &report.cost {
        out.push_str(&render_cost(cost, None, style));
    }
    let verdict = match report.verdict.health {
        Health::Healthy => style.green(&report.verdict.line),
        Health::Degraded => style.yellow(&report.verdict.line),
        Health::Down => style.red(&report.verdict.line),
    };
    let _ = writeln!(out, "\n{verdict}");
    out
}

fn role(role: &str) -> String {
    if role == "main" {
        String::new()
    } else {
        format!(" [{role}]")
    }
}
