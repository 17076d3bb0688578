//! Retention: plan which backups to keep and which to delete (pure, over
//! timestamps), then execute the plan. Rules follow restic and borg: a backup is
//! kept if any rule keeps it; `--keep-daily N` keeps the newest backup of each
//! of the last N days that have one (weekly: weeks starting on Monday, monthly:
//! calendar months, all in UTC). Only archives count (successful ones, and
//! archives without metadata); the newest of them is never deleted. Records of
//! failed runs older than the newest archive are cleaned, and so are temporary
//! files (`.NAME.partial-PID`) untouched for an hour.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use super::inventory::{Inventory, State};
use super::place::BackupDir;
use super::time::{civil_from_days, parse_span, unix_secs};
use crate::engine::Error;

/// A temporary file younger than this may belong to a running backup.
pub const PARTIAL_MAX_AGE: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rules {
    pub keep_last: Option<usize>,
    pub keep_within: Option<Duration>,
    pub keep_daily: Option<usize>,
    pub keep_weekly: Option<usize>,
    pub keep_monthly: Option<usize>,
}

impl Rules {
    pub fn is_empty(&self) -> bool {
        *self == Rules::default()
    }
}

/// `30d`, `12h`, `2w`, `1d12h`.
pub fn parse_keep_within(s: &str) -> Result<Duration, Error> {
    parse_span(s).ok_or_else(|| {
        Error::usage(format!(
            "invalid retention duration {s:?}: use e.g. 30d, 12h, 2w or 1d12h"
        ))
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Keep,
    Delete,
}

#[derive(Debug, Clone)]
pub struct Decision {
    pub name: String,
    pub action: Action,
    /// Why: the rules that keep it, or why it goes.
    pub reasons: Vec<String>,
    /// Files removed on delete (archive first, then its metadata).
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Clone, Default)]
pub struct PrunePlan {
    /// Newest first.
    pub decisions: Vec<Decision>,
    pub stale_partials: Vec<PathBuf>,
}

fn day(t: SystemTime) -> i64 {
    unix_secs(t).div_euclid(86_400)
}

fn bucket_label(kind: &str, t: SystemTime) -> (i64, String) {
    let d = day(t);
    match kind {
        "daily" => {
            let (y, m, dd) = civil_from_days(d);
            (d, format!("daily {y:04}-{m:02}-{dd:02}"))
        }
        "weekly" => {
            // 1970-01-01 was a Thursday; weeks start on Monday.
            let monday = d - (d + 3).rem_euclid(7);
            let (y, m, dd) = civil_from_days(monday);
            (monday, format!("weekly {y:04}-{m:02}-{dd:02}"))
        }
        _ => {
            let (y, m, _) = civil_from_days(d);
            (y * 12 + i64::from(m), format!("monthly {y:04}-{m:02}"))
        }
    }
}

/// Decides, without touching anything, what retention keeps and deletes.
pub fn plan_prune(inv: &Inventory, rules: &Rules, now: SystemTime) -> PrunePlan {
    let n = inv.backups.len();
    let mut reasons: Vec<Vec<String>> = vec![Vec::new(); n];
    let archives: Vec<usize> = (0..n)
        .filter(|&i| inv.backups[i].state.is_archive())
        .collect();
    if let Some(&newest) = archives.first() {
        reasons[newest].push("newest backup".into());
    }
    if let Some(k) = rules.keep_last {
        for (rank, &i) in archives.iter().take(k).enumerate() {
            reasons[i].push(format!("last {}", rank + 1));
        }
    }
    if let Some(within) = rules.keep_within {
        for &i in &archives {
            let age = now.duration_since(inv.backups[i].time).unwrap_or_default();
            if age <= within {
                reasons[i].push(format!("within {}", describe(within)));
            }
        }
    }
    for (kind, keep) in [
        ("daily", rules.keep_daily),
        ("weekly", rules.keep_weekly),
        ("monthly", rules.keep_monthly),
    ] {
        let Some(keep) = keep else { continue };
        let mut last = None;
        let mut kept = 0;
        for &i in &archives {
            if kept >= keep {
                break;
            }
            let (bucket, label) = bucket_label(kind, inv.backups[i].time);
            if last != Some(bucket) {
                reasons[i].push(label);
                last = Some(bucket);
                kept += 1;
            }
        }
    }
    let newest_time = archives.first().map(|&i| inv.backups[i].time);
    let mut plan = PrunePlan::default();
    for (b, mut why) in inv.backups.iter().zip(reasons) {
        let action = match b.state {
            State::Success | State::Unknown if why.is_empty() => {
                why.push("no rule keeps it".into());
                Action::Delete
            }
            State::Success | State::Unknown => Action::Keep,
            State::Failed | State::Missing => {
                let what = if b.state == State::Failed {
                    "failed run"
                } else {
                    "record of a missing archive"
                };
                if newest_time.is_some_and(|t| b.time < t) {
                    why.push(format!("{what} older than the newest backup"));
                    Action::Delete
                } else {
                    why.push(format!("{what} not older than the newest backup"));
                    Action::Keep
                }
            }
        };
        plan.decisions.push(Decision {
            name: b.name.clone(),
            action,
            reasons: why,
            paths: b.archive.iter().chain(&b.metadata).cloned().collect(),
        });
    }
    plan.stale_partials = inv
        .partials
        .iter()
        .filter(|(_, mtime)| now.duration_since(*mtime).unwrap_or_default() > PARTIAL_MAX_AGE)
        .map(|(p, _)| p.clone())
        .collect();
    plan
}

fn describe(d: Duration) -> String {
    let s = d.as_secs();
    if s.is_multiple_of(86_400) {
        format!("{}d", s / 86_400)
    } else if s.is_multiple_of(3600) {
        format!("{}h", s / 3600)
    } else {
        format!("{s}s")
    }
}

impl PrunePlan {
    pub fn deletions(&self) -> usize {
        self.decisions
            .iter()
            .filter(|d| d.action == Action::Delete)
            .count()
    }

    /// One line per backup (`keep`/`delete`, name, reasons), one per stale
    /// temporary file, then a summary.
    pub fn render(&self, dry_run: bool) -> String {
        let mut out = String::new();
        let width = self
            .decisions
            .iter()
            .map(|d| d.name.len())
            .max()
            .unwrap_or(0);
        for d in &self.decisions {
            let verb = match d.action {
                Action::Keep => "keep",
                Action::Delete => "delete",
            };
            let _ = writeln!(
                out,
                "{verb:<6}  {:<width$}  {}",
                d.name,
                d.reasons.join(", ")
            );
        }
        for p in &self.stale_partials {
            let _ = writeln!(
                out,
                "remove  {}  temporary file older than 1 hour",
                p.file_name().unwrap_or_default().to_string_lossy()
            );
        }
        let _ = writeln!(
            out,
            "{} kept, {} deleted, {} temporary files removed{}",
            self.decisions.len() - self.deletions(),
            self.deletions(),
            self.stale_partials.len(),
            if dry_run {
                " (dry run: nothing was deleted)"
            } else {
                ""
            }
        );
        out
    }
}

/// Carries out a plan: removes each deleted backup's archive, then its
/// metadata (so an interrupted prune leaves a record that the next one cleans),
/// and the stale temporary files. Stops at the first error.
pub fn execute(plan: &PrunePlan, dir: &BackupDir) -> Result<(), Error> {
    let paths = plan
        .decisions
        .iter()
        .filter(|d| d.action == Action::Delete)
        .flat_map(|d| d.paths.iter())
        .chain(&plan.stale_partials);
    for p in paths {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        dir.delete(&name)?;
    }
    Ok(())
}

#[cfg(test)]
#[path = "prune_tests.rs"]
mod tests;
