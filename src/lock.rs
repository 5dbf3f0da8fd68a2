//! One `apply` or `destroy` at a time per deployment: a lock held in AWS, where every operator's run
//! sees it, as the SSM parameter `/clusterup/<deployment>/lock`.
//!
//! - Taking it is atomic: `PutParameter` without overwrite fails when the parameter exists.
//! - It says who holds it (user, host, pid, command) and since when. The holder rewrites it every
//!   [`HEARTBEAT`], so its age tells a live run from a dead one.
//! - It cannot stay stale forever:
//!   - a lock with no heartbeat for [`STALE_AFTER`] is taken over;
//!   - so is one whose holder ran on this host and is no longer running (a killed run, re-run at once);
//!   - `--force-unlock` takes it whatever its state;
//!   - `clusterup force-unlock NAME LOCK_ID` releases it, when the id is still the lock's.
//! - Released at the end of the run, whether it succeeded or not. A killed run leaves it, and the cases
//!   above apply.
//!
//! The parameter is not tagged with the deployment: it is not part of what the deployment owns, and the
//! leftover check runs while destroy still holds it.

use std::path::Path;
use std::time::{Duration, SystemTime};

use aws_sdk_ssm::types::ParameterType;
use serde::{Deserialize, Serialize};

use crate::aws::{Aws, AwsError, ErrorClass, Outcome, ResultExt};

/// How often the holder shows it is alive.
pub const HEARTBEAT: Duration = Duration::from_secs(60);
/// A lock without a heartbeat for this long belongs to a run that is gone.
pub const STALE_AFTER: Duration = Duration::from_secs(5 * 60);

/// What the lock says about its holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// Random: tells this run's lock from another's with the same user, host and pid.
    pub id: String,
    pub command: String,
    pub user: String,
    pub host: String,
    pub pid: u32,
    /// When the run took the lock (UTC, `YYYYMMDDhhmmss`).
    pub since: String,
}

impl Holder {
    fn me(command: &str) -> Holder {
        Holder {
            id: format!("{:016x}", fastrand::u64(..)),
            command: command.to_owned(),
            user: std::env::var("USER").or_else(|_| std::env::var("USERNAME")).unwrap_or_else(|_| "unknown".into()),
            host: this_host(),
            pid: std::process::id(),
            since: crate::aws::clock::utc_stamp(SystemTime::now()),
        }
    }

    fn describe(&self) -> String {
        format!(
            "`{}` by {}@{} (pid {}), running since {}",
            self.command,
            self.user,
            self.host,
            self.pid,
            readable(&self.since)
        )
    }

    /// Known to be dead: it ran here, and no process with its pid is running now.
    fn is_dead_here(&self) -> bool {
        self.host == this_host()
            && !Path::new(&format!("/proc/{}", self.pid)).exists()
            && Path::new("/proc/self").exists()
    }
}

/// `20261206113322` as `2026-12-06 11:33:22 UTC`; a value clusterup did not write, as it is.
fn readable(stamp: &str) -> String {
    if stamp.len() != 14 || !stamp.bytes().all(|b| b.is_ascii_digit()) {
        return stamp.to_owned();
    }
    let part = |from: usize, to: usize| &stamp[from..to];
    format!("{}-{}-{} {}:{}:{} UTC", part(0, 4), part(4, 6), part(6, 8), part(8, 10), part(10, 12), part(12, 14))
}

/// `40s`, `3m05s`, `2h14m`: how long ago the last heartbeat was.
fn ago(age: Duration) -> String {
    let secs = age.as_secs();
    match secs {
        0..=59 => format!("{secs}s"),
        60..=3599 => format!("{}m{:02}s", secs / 60, secs % 60),
        _ => format!("{}h{:02}m", secs / 3600, secs % 3600 / 60),
    }
}

/// Why the lock could not be taken (or released), for the operator.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another run holds it, and is alive as far as can be told.
    #[error(
        "deployment {deployment} is locked by {} (last heartbeat {} ago; lock id {})\n  hint: wait for that run to finish. If it is gone, release its lock with `clusterup force-unlock {deployment} {}` (or re-run with --force-unlock); a lock without a heartbeat for {} minutes is taken over by the next run",
        holder.describe(), ago(*heartbeat), holder.id, holder.id, STALE_AFTER.as_secs() / 60
    )]
    Held { deployment: String, holder: Holder, heartbeat: Duration },
    /// Two runs took over a stale lock at once, and the other one's write came last.
    #[error("deployment {deployment} was just locked by {} (lock id {})\n  hint: wait for that run to finish", holder.describe(), holder.id)]
    JustTaken { deployment: String, holder: Holder },
    /// `force-unlock` of a deployment whose lock is not there.
    #[error("deployment {deployment} is not locked: nothing to release")]
    NotLocked { deployment: String },
    /// `force-unlock` with an id that is not the lock's: another run holds it now.
    #[error(
        "the lock of deployment {deployment} has id {}, not {given}: it is held by {} (last heartbeat {} ago), so it was left alone\n  hint: if that run is gone too, run `clusterup force-unlock {deployment} {}`",
        holder.id, holder.describe(), ago(*heartbeat), holder.id
    )]
    OtherId { deployment: String, given: String, holder: Holder, heartbeat: Duration },
    /// The lock's own SSM call failed.
    #[error(transparent)]
    Aws(#[from] AwsError),
}

/// Release the lock of `deployment` whose id is `lock_id`, for a holder that is gone. Returns who held
/// it. Another id is refused: the run that holds the lock now may be alive.
pub async fn force_unlock(aws: &Aws, deployment: &str, lock_id: &str) -> Result<Holder, LockError> {
    let name = parameter_name(deployment);
    let Some((holder, heartbeat)) = read(aws, &name).await? else {
        return Err(LockError::NotLocked { deployment: deployment.to_owned() });
    };
    if holder.id != lock_id {
        return Err(LockError::OtherId {
            deployment: deployment.to_owned(),
            given: lock_id.to_owned(),
            holder,
            heartbeat,
        });
    }
    aws.ssm.delete_parameter().name(&name).send().await.call("DeleteParameter", &name).gone_ok()?;
    Ok(holder)
}

fn this_host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::env::var("HOSTNAME"))
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "unknown".into())
}

pub fn parameter_name(deployment: &str) -> String {
    crate::model::names::lock::parameter(deployment)
}

/// Why the lock was taken although someone else held it (for a note to the operator).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TakenOver {
    Stale(Holder),
    DeadHere(Holder),
    Forced(Holder),
}

/// A held lock. Call [`Lock::release`] at the end; the heartbeat stops when it is dropped.
pub struct Lock {
    aws: Aws,
    name: String,
    holder: Holder,
    heartbeat: tokio::task::JoinHandle<()>,
    /// Set when another run's lock was taken over.
    pub taken_over: Option<TakenOver>,
}

impl Drop for Lock {
    fn drop(&mut self) {
        self.heartbeat.abort();
    }
}

impl Lock {
    /// Take the deployment's lock for `command`, or say who holds it and what to do.
    pub async fn acquire(aws: &Aws, deployment: &str, command: &str, force: bool) -> Result<Lock, LockError> {
        let name = parameter_name(deployment);
        let holder = Holder::me(command);
        let value = serde_json::to_string(&holder)
            .map_err(|err| AwsError::local(&name, "PutParameter", format!("cannot write the lock's holder: {err}")))?;
        let mut taken_over = None;
        match put(aws, &name, &value, false).await {
            Ok(()) => {}
            // Our own first attempt got through but its answer was lost, and the SDK retried: it is ours.
            Err(err) if err.is(ErrorClass::AlreadyExists) => match read(aws, &name).await? {
                Some((other, _)) if other.id == holder.id => {}
                found => {
                    let (other, age) = found.unwrap_or_else(|| (unknown_holder(), Duration::ZERO));
                    let Some(taken) = take_over(&other, age, force) else {
                        return Err(LockError::Held {
                            deployment: deployment.to_owned(),
                            holder: other,
                            heartbeat: age,
                        });
                    };
                    taken_over = Some(taken);
                    put(aws, &name, &value, true).await?;
                    // Two runs taking over at once: the last write wins, the other one backs off here.
                    if let Some((now, _)) = read(aws, &name).await? {
                        if now.id != holder.id {
                            return Err(LockError::JustTaken { deployment: deployment.to_owned(), holder: now });
                        }
                    }
                }
            },
            Err(err) => return Err(err.into()),
        }
        let heartbeat = {
            let (aws, name, value) = (aws.clone(), name.clone(), value.clone());
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(HEARTBEAT).await;
                    // A missed heartbeat only brings the stale point closer; the next one may succeed.
                    let _ = put(&aws, &name, &value, true).await;
                }
            })
        };
        Ok(Lock { aws: aws.clone(), name, holder, heartbeat, taken_over })
    }

    /// The id `force-unlock` takes to release this lock.
    pub fn id(&self) -> &str {
        &self.holder.id
    }

    /// Give the lock back, if it is still ours (a `--force-unlock` elsewhere may have taken it).
    pub async fn release(self) -> Result<(), AwsError> {
        self.heartbeat.abort();
        match read(&self.aws, &self.name).await? {
            Some((holder, _)) if holder.id == self.holder.id => self
                .aws
                .ssm
                .delete_parameter()
                .name(&self.name)
                .send()
                .await
                .call("DeleteParameter", &self.name)
                .gone_ok(),
            _ => Ok(()),
        }
    }
}

impl TakenOver {
    /// A note for the operator about the run whose lock this one took.
    pub fn note(&self) -> String {
        match self {
            TakenOver::Stale(h) => format!(
                "took over a stale lock (no heartbeat for {} minutes) of {}",
                STALE_AFTER.as_secs() / 60,
                h.describe()
            ),
            TakenOver::DeadHere(h) => {
                format!("took over the lock of {}, which is no longer running on this host", h.describe())
            }
            TakenOver::Forced(h) => format!("--force-unlock: took the lock of {}", h.describe()),
        }
    }
}

/// Whether a lock held by `other`, last refreshed `age` ago, may be taken, and why.
fn take_over(other: &Holder, age: Duration, force: bool) -> Option<TakenOver> {
    if force {
        Some(TakenOver::Forced(other.clone()))
    } else if age >= STALE_AFTER {
        Some(TakenOver::Stale(other.clone()))
    } else if other.is_dead_here() {
        Some(TakenOver::DeadHere(other.clone()))
    } else {
        None
    }
}

fn unknown_holder() -> Holder {
    Holder {
        id: String::new(),
        command: "unknown".into(),
        user: "unknown".into(),
        host: "unknown".into(),
        pid: 0,
        since: "unknown".into(),
    }
}

async fn put(aws: &Aws, name: &str, value: &str, overwrite: bool) -> Result<(), AwsError> {
    aws.ssm
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(ParameterType::String)
        .description("clusterup deployment lock: who runs apply or destroy now")
        .overwrite(overwrite)
        .send()
        .await
        .call("PutParameter", name)
        .map(|_| ())
}

/// The holder and the time since its last heartbeat, if the lock exists.
async fn read(aws: &Aws, name: &str) -> Result<Option<(Holder, Duration)>, AwsError> {
    let got = aws.ssm.get_parameter().name(name).send().await.call("GetParameter", name);
    let Some(out) = got.found()? else { return Ok(None) };
    let Some(parameter) = out.parameter() else { return Ok(None) };
    // A value that is not a holder clusterup wrote (changed by hand, or by another tool) names nobody.
    let holder = parameter.value().and_then(|v| serde_json::from_str(v).ok()).unwrap_or_else(unknown_holder);
    let age = parameter
        .last_modified_date()
        .and_then(|t| SystemTime::try_from(*t).ok())
        .and_then(|t| SystemTime::now().duration_since(t).ok())
        .unwrap_or(Duration::ZERO);
    Ok(Some((holder, age)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_fresh_lock_is_refused_a_stale_dead_or_forced_one_is_taken() {
        let mut live = Holder::me("apply");
        live.host = "elsewhere".into();
        assert_eq!(take_over(&live, Duration::from_secs(30), false), None);
        assert!(matches!(take_over(&live, STALE_AFTER, false), Some(TakenOver::Stale(_))));
        assert!(matches!(take_over(&live, Duration::ZERO, true), Some(TakenOver::Forced(_))));
    }

    #[test]
    fn a_held_lock_says_who_since_when_the_heartbeat_and_how_to_release_it() {
        let holder = Holder {
            id: "4f1c2a9d0b7e6c35".into(),
            command: "apply".into(),
            user: "ana".into(),
            host: "laptop".into(),
            pid: 4242,
            since: "20261206113322".into(),
        };
        let text =
            LockError::Held { deployment: "shop".into(), holder, heartbeat: Duration::from_secs(125) }.to_string();
        assert!(text.starts_with("deployment shop is locked by `apply` by ana@laptop (pid 4242), running since 2026-12-06 11:33:22 UTC (last heartbeat 2m05s ago; lock id 4f1c2a9d0b7e6c35)"), "{text}");
        assert!(text.contains("`clusterup force-unlock shop 4f1c2a9d0b7e6c35`"), "{text}");
        assert!(!text.contains("PutParameter"), "{text}");
        assert_eq!(readable("unknown"), "unknown");
        assert_eq!(ago(Duration::from_secs(7300)), "2h01m");
    }

    #[test]
    fn a_holder_on_this_host_with_a_dead_pid_is_dead() {
        let mut holder = Holder::me("apply");
        assert!(!holder.is_dead_here(), "this process is alive");
        holder.pid = u32::MAX - 1;
        assert!(holder.is_dead_here() || !Path::new("/proc/self").exists());
        holder.host = "elsewhere".into();
        assert!(!holder.is_dead_here(), "another host's pid says nothing");
    }
}
