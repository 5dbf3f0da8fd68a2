//! Progress of apply and destroy on stderr, in one of two forms:
//!
//! - **live**, in a terminal: the resources in flight, each with what it waits on and for how long,
//!   under a line with the count done and the time left, redrawn in place (indicatif); only failures
//!   and skips stay on screen, and the view is cleared before the summary;
//! - **plain lines**, one per event, when stderr is not a terminal (CI logs, pipes), with
//!   `--no-progress`, `CI=true`, `NO_COLOR` or `-v` (whose log lines would tear a redrawn view).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{secs, Printer, Style};
use crate::engine::{Event, Hook};
use crate::model::{Address, Op};
use crate::plan::Plan;

/// How often a long wait is reported again in plain lines when nothing else changes.
const REPEAT_WAIT_EVERY: Duration = Duration::from_secs(15);

/// How often the live view is redrawn when no event comes: elapsed times count in seconds.
const TICK: Duration = Duration::from_millis(500);

pub struct ProgressView {
    printer: Printer,
    mode: Mode,
}

enum Mode {
    /// Per resource: the last wait line shown and when.
    Lines {
        last_wait: Mutex<HashMap<Address, (String, Duration)>>,
    },
    Live(Live),
}

impl ProgressView {
    /// The view for running `plan`; `verb` names the run in the live view ("Applying", "Destroying").
    /// Live when the printer says the terminal can take it, plain lines otherwise.
    pub fn new(printer: Printer, plan: &Plan, verb: &str) -> Self {
        let mode = if printer.live_progress() {
            Mode::Live(Live::start(Tally::new(plan, verb), printer.err_style()))
        } else {
            Mode::Lines { last_wait: Mutex::new(HashMap::new()) }
        };
        ProgressView { printer, mode }
    }

    /// Clear the live view, so that what is printed next (the summary) starts on a clean screen.
    pub fn finish(&self) {
        if let Mode::Live(live) = &self.mode {
            live.finish();
        }
    }

    fn line_event(&self, last_wait: &Mutex<HashMap<Address, (String, Duration)>>, event: &Event<'_>) {
        let style = self.printer.err_style();
        match event {
            Event::Started { address, op } => {
                self.printer.progress(&format!("  {} {address}", style.dim(op.verb().0)));
            }
            Event::Waiting { address, seen, waited } => {
                let Ok(mut last) = last_wait.lock() else { return };
                let show = match last.get(*address) {
                    Some((text, at)) => text != seen || *waited >= *at + REPEAT_WAIT_EVERY,
                    None => true,
                };
                if show {
                    last.insert((*address).clone(), ((*seen).to_owned(), *waited));
                    self.printer.progress(&format!(
                        "  {} {address}: {seen} ({})",
                        style.dim("waiting "),
                        secs(*waited)
                    ));
                }
            }
            Event::Finished { address, op, elapsed } => {
                self.printer.progress(&format!("  {} {address} in {}", style.green(op.verb().1), secs(*elapsed)));
            }
            other => self.lasting(other),
        }
    }

    /// The events that stay on screen in both forms: failures, skips, the stop notice, bugs.
    fn lasting(&self, event: &Event<'_>) {
        let style = self.printer.err_style();
        match event {
            Event::Failed { address, op, error } => {
                self.printer.status(&format!("  {} {} {address}: {error}", style.red("failed"), op.verb().0));
            }
            Event::Skipped { address, because, .. } => {
                self.printer.status(&format!("  {} {address} (needs {because}, which failed)", style.yellow("skipped")));
            }
            Event::Stopping => self.printer.status(&format!(
                "{} interrupt received: starting nothing new, giving the actions in flight a moment to finish (press Ctrl-C again to exit at once)",
                style.yellow("stopping:")
            )),
            Event::Abandoned { address, op } => self.printer.status(&format!(
                "  {} {} {address} (left as it was; the next run finds it)",
                style.yellow("abandoned"),
                op.verb().0
            )),
            Event::Started { .. } | Event::Waiting { .. } | Event::Finished { .. } => {}
        }
    }
}

impl Hook for ProgressView {
    fn event(&self, event: &Event<'_>) {
        match &self.mode {
            Mode::Lines { last_wait } => self.line_event(last_wait, event),
            Mode::Live(live) => {
                if live.record(event) {
                    live.shared.multi.suspend(|| self.lasting(event));
                }
            }
        }
    }
}

/// What the live view shows, apart from the drawing: counts, the resources in flight, and the time left
/// along the plan's estimated longest chain.
#[derive(Debug)]
struct Tally {
    verb: String,
    deployment: String,
    total: usize,
    done: usize,
    failed: usize,
    skipped: usize,
    stopping: bool,
    /// The estimate's chain: each step's typical time, and when it started and whether it finished.
    chain: Vec<ChainStep>,
    /// The resources in flight: when each started and what its last look saw.
    in_flight: BTreeMap<Address, InFlight>,
    /// Width of the address column.
    width: usize,
}

#[derive(Debug)]
struct ChainStep {
    address: Address,
    op: Op,
    typical: Duration,
    started: Option<Instant>,
    finished: bool,
}

#[derive(Debug)]
struct InFlight {
    op: Op,
    since: Instant,
    seen: Option<String>,
}

impl Tally {
    fn new(plan: &Plan, verb: &str) -> Tally {
        let s = plan.summary();
        let chain = super::estimate(plan)
            .into_iter()
            .flat_map(|e| e.path)
            .map(|(address, op, typical)| ChainStep { address, op, typical, started: None, finished: false })
            .collect();
        Tally {
            verb: verb.to_owned(),
            deployment: plan.deployment.clone(),
            // A replacement runs as a delete and a create.
            total: s.add + s.change + 2 * s.replace + s.destroy,
            done: 0,
            failed: 0,
            skipped: 0,
            stopping: false,
            chain,
            in_flight: BTreeMap::new(),
            width: plan.changes.iter().map(|c| c.address.as_str().len()).max().unwrap_or(0),
        }
    }

    /// Take in one event at `now`.
    fn record(&mut self, event: &Event<'_>, now: Instant) {
        match event {
            Event::Started { address, op } => {
                self.in_flight.insert((*address).clone(), InFlight { op: *op, since: now, seen: None });
                if let Some(step) = self.step(address, *op) {
                    step.started = Some(now);
                }
            }
            Event::Waiting { address, seen, .. } => {
                if let Some(node) = self.in_flight.get_mut(*address) {
                    node.seen = Some((*seen).to_owned());
                }
            }
            Event::Finished { address, op, .. } => {
                self.in_flight.remove(*address);
                self.done += 1;
                if let Some(step) = self.step(address, *op) {
                    step.finished = true;
                }
            }
            Event::Failed { address, .. } => {
                self.in_flight.remove(*address);
                self.failed += 1;
            }
            Event::Abandoned { address, .. } => {
                self.in_flight.remove(*address);
            }
            Event::Skipped { .. } => self.skipped += 1,
            Event::Stopping => self.stopping = true,
        }
    }

    fn step(&mut self, address: &Address, op: Op) -> Option<&mut ChainStep> {
        self.chain.iter_mut().find(|s| &s.address == address && s.op == op)
    }

    /// What is left of the estimated longest chain: the typical time of each step not finished, less
    /// what a running step has already spent. None when the plan has no estimate.
    fn time_left(&self, now: Instant) -> Option<Duration> {
        if self.chain.is_empty() {
            return None;
        }
        Some(
            self.chain
                .iter()
                .filter(|s| !s.finished)
                // A step not started yet has all of its typical time ahead.
                .map(|s| s.typical.saturating_sub(s.started.map_or(Duration::ZERO, |t| now.duration_since(t))))
                .sum(),
        )
    }

    /// `Applying web-tier: 12 of 34 done, 4 in flight, about 3 min left on AWS`.
    fn header(&self, now: Instant, style: Style) -> String {
        let mut text = format!(
            "{} {}: {} of {} done, {} in flight",
            self.verb,
            style.bold(&self.deployment),
            self.done,
            self.total,
            self.in_flight.len()
        );
        if self.failed > 0 {
            text.push_str(&format!(", {}", style.red(&format!("{} failed", self.failed))));
        }
        if self.skipped > 0 {
            text.push_str(&format!(", {} skipped", self.skipped));
        }
        if self.stopping {
            text.push_str(&format!(", {}", style.yellow("stopping after these")));
        } else if let Some(left) = self.time_left(now) {
            // The typical AWS times are the only basis there is; an emulator is far quicker.
            text.push_str(&format!(", {} left (typical AWS times)", about_left(left)));
        }
        text
    }

    /// `  creating database/instance    1m12s  waiting: status creating`; None once it is not in flight.
    fn line(&self, address: &Address, now: Instant, style: Style) -> Option<String> {
        let node = self.in_flight.get(address)?;
        let doing = match &node.seen {
            Some(seen) => format!("waiting: {seen}"),
            None => "calling AWS".to_owned(),
        };
        Some(format!(
            "  {} {} {:>6}  {}",
            style.dim(&format!("{:<8}", node.op.verb().0)),
            format_args!("{:<width$}", address.as_str(), width = self.width),
            live_secs(now.duration_since(node.since)),
            style.dim(&doing)
        ))
    }
}

/// `about 3 min`, `under a minute`: what is left on the chain, in the estimate's own words.
fn about_left(left: Duration) -> String {
    if left < Duration::from_secs(60) {
        "under a minute".to_owned()
    } else {
        crate::engine::about(left)
    }
}

/// Whole seconds, `12s` / `1m12s`: a live view that ticks every half second has no use for tenths.
fn live_secs(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

/// The drawing: a header bar and one bar per resource in flight, in a block indicatif redraws in place
/// (cut to the terminal's width and height). The lines are computed from the tally after each event
/// and, so that elapsed times and the time left move on their own, by a ticker thread between events.
/// The tally is never held while calling indicatif.
struct Live {
    shared: Arc<Drawing>,
    stop: Arc<AtomicBool>,
    ticker: Mutex<Option<std::thread::JoinHandle<()>>>,
}

struct Drawing {
    multi: MultiProgress,
    header: ProgressBar,
    tally: Mutex<Tally>,
    bars: Mutex<HashMap<Address, ProgressBar>>,
    style: Style,
}

impl Live {
    fn start(tally: Tally, style: Style) -> Live {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let header = multi.add(ProgressBar::new_spinner().with_style(line_style()));
        let shared =
            Arc::new(Drawing { multi, header, tally: Mutex::new(tally), bars: Mutex::new(HashMap::new()), style });
        shared.redraw();
        let stop = Arc::new(AtomicBool::new(false));
        let (drawing, stopped) = (shared.clone(), stop.clone());
        let ticker = std::thread::Builder::new()
            .name("clusterup-progress".into())
            .spawn(move || {
                while !stopped.load(Ordering::Relaxed) {
                    std::thread::sleep(TICK);
                    drawing.redraw();
                }
            })
            .ok();
        Live { shared, stop, ticker: Mutex::new(ticker) }
    }

    /// Update the view; true when the event should also stay on screen as a line.
    fn record(&self, event: &Event<'_>) -> bool {
        let d = &self.shared;
        match d.tally.lock() {
            Ok(mut tally) => tally.record(event, Instant::now()),
            Err(_) => return false,
        }
        let lasting = match event {
            Event::Started { address, .. } => {
                if let Ok(mut bars) = d.bars.lock() {
                    let bar = d.multi.add(ProgressBar::new_spinner().with_style(line_style()));
                    if let Some(old) = bars.insert((*address).clone(), bar) {
                        d.drop_bar(&old);
                    }
                }
                false
            }
            Event::Waiting { .. } => false,
            Event::Finished { address, .. } | Event::Failed { address, .. } | Event::Abandoned { address, .. } => {
                if let Some(bar) = d.bars.lock().ok().and_then(|mut bars| bars.remove(*address)) {
                    d.drop_bar(&bar);
                }
                matches!(event, Event::Failed { .. } | Event::Abandoned { .. })
            }
            Event::Skipped { .. } | Event::Stopping => true,
        };
        d.redraw();
        lasting
    }

    fn finish(&self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(ticker) = self.ticker.lock().ok().and_then(|mut t| t.take()) {
            let _ = ticker.join();
        }
        let d = &self.shared;
        if let Ok(mut bars) = d.bars.lock() {
            for (_, bar) in bars.drain() {
                d.drop_bar(&bar);
            }
        }
        d.header.finish_and_clear();
        let _ = d.multi.clear();
    }
}

impl Drop for Live {
    /// A view dropped without `finish` (an early return) still stops its ticker.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl Drawing {
    /// Compute every line from the tally, then hand them to indicatif.
    fn redraw(&self) {
        let now = Instant::now();
        let (header, lines): (String, HashMap<Address, String>) = match self.tally.lock() {
            Ok(tally) => (
                tally.header(now, self.style),
                tally.in_flight.keys().filter_map(|a| Some((a.clone(), tally.line(a, now, self.style)?))).collect(),
            ),
            Err(_) => return,
        };
        self.header.set_message(header);
        if let Ok(bars) = self.bars.lock() {
            for (address, bar) in bars.iter() {
                if let Some(line) = lines.get(address) {
                    bar.set_message(line.clone());
                }
            }
        }
    }

    fn drop_bar(&self, bar: &ProgressBar) {
        bar.finish_and_clear();
        self.multi.remove(bar);
    }
}

/// A line that is its message, cut to the terminal's width.
fn line_style() -> ProgressStyle {
    // "{wide_msg}" is a valid template; the fallback is never used.
    ProgressStyle::with_template("{wide_msg}").unwrap_or_else(|_| ProgressStyle::default_spinner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Kind;
    use crate::plan::{Action, Change};

    fn create(address: &str, kind: Kind) -> Change {
        Change {
            address: Address::new(address),
            kind,
            action: Action::Create,
            changes: Vec::new(),
            desired: None,
            actual: None,
            notes: Vec::new(),
        }
    }

    /// A VPC (seconds) and a single-AZ database (5 min typical), independent of each other: the
    /// database alone is the longest chain.
    fn plan() -> Plan {
        Plan {
            deployment: "shop".into(),
            region: "us-east-1".into(),
            changes: vec![create("network/vpc", Kind::Vpc), create("database/instance", Kind::DbInstance)],
        }
    }

    const PLAIN: Style = Style { enabled: false };

    #[test]
    fn the_header_counts_done_and_in_flight_and_the_time_left_shrinks_as_the_chain_runs() {
        let t0 = Instant::now();
        let (db, vpc) = (Address::new("database/instance"), Address::new("network/vpc"));
        let mut tally = Tally::new(&plan(), "Applying");
        assert_eq!(
            tally.header(t0, PLAIN),
            "Applying shop: 0 of 2 done, 0 in flight, about 5 min left (typical AWS times)"
        );
        tally.record(&Event::Started { address: &vpc, op: Op::Create }, t0);
        tally.record(&Event::Started { address: &db, op: Op::Create }, t0);
        tally.record(&Event::Finished { address: &vpc, op: Op::Create, elapsed: Duration::from_secs(2) }, t0);
        // The database has run 2 of its typical 5 minutes.
        let later = t0 + Duration::from_secs(120);
        assert_eq!(
            tally.header(later, PLAIN),
            "Applying shop: 1 of 2 done, 1 in flight, about 3 min left (typical AWS times)"
        );
        tally.record(&Event::Finished { address: &db, op: Op::Create, elapsed: Duration::from_secs(300) }, later);
        assert_eq!(
            tally.header(later, PLAIN),
            "Applying shop: 2 of 2 done, 0 in flight, under a minute left (typical AWS times)"
        );
    }

    #[test]
    fn a_resource_in_flight_shows_what_it_waits_on_and_for_how_long() {
        let t0 = Instant::now();
        let db = Address::new("database/instance");
        let mut tally = Tally::new(&plan(), "Applying");
        tally.record(&Event::Started { address: &db, op: Op::Create }, t0);
        let line = tally.line(&db, t0 + Duration::from_millis(3400), PLAIN).expect("in flight");
        assert_eq!(line, "  creating database/instance     3s  calling AWS");
        let seen = Event::Waiting { address: &db, seen: "status creating", waited: Duration::from_secs(70) };
        tally.record(&seen, t0 + Duration::from_secs(72));
        let line = tally.line(&db, t0 + Duration::from_secs(72), PLAIN).expect("in flight");
        assert_eq!(line, "  creating database/instance  1m12s  waiting: status creating");
        tally.record(&Event::Finished { address: &db, op: Op::Create, elapsed: Duration::from_secs(73) }, t0);
        assert_eq!(tally.line(&db, t0, PLAIN), None, "a finished resource leaves the view");
    }

    #[test]
    fn failures_and_a_stop_show_in_the_header() {
        let t0 = Instant::now();
        let (db, vpc) = (Address::new("database/instance"), Address::new("network/vpc"));
        let mut tally = Tally::new(&plan(), "Destroying");
        tally.record(&Event::Started { address: &db, op: Op::Create }, t0);
        let error = crate::engine::Failure::Panicked { address: db.clone(), message: "boom".into() };
        tally.record(&Event::Failed { address: &db, op: Op::Create, error: &error }, t0);
        tally.record(&Event::Skipped { address: &vpc, op: Op::Create, because: &db }, t0);
        tally.record(&Event::Stopping, t0);
        assert_eq!(
            tally.header(t0, PLAIN),
            "Destroying shop: 0 of 2 done, 0 in flight, 1 failed, 1 skipped, stopping after these"
        );
    }
}
