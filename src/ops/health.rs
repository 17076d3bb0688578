//! `pgsnap health`: judges a backup directory against thresholds, the way a
//! Nagios/Icinga plugin does, and renders the verdict for people (one summary
//! line with perfdata, then one line per check), for machines (JSON) and for
//! Prometheus (a node-exporter textfile).
//!
//! Evaluation is pure: it takes what was observed (the directory's inventory,
//! the volume's free space, the result of checking the latest archive, the
//! time) and returns a [`Health`] report. Gathering those observations is the
//! caller's job, so every verdict here is testable without a disk or a server.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::inventory::{human_size, Backup, Inventory, State};
use super::time::{human_age, rfc3339, unix_secs};

/// A check's verdict, ordered by how much it should wake someone: the overall
/// status is the maximum over the checks (a check that could not run makes the
/// whole result UNKNOWN unless another one found a real problem).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    Ok,
    Unknown,
    Warning,
    Critical,
}

impl Level {
    /// The Nagios plugin exit code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
    pub fn exit_code(self) -> i32 {
        match self {
            Level::Ok => 0,
            Level::Warning => 1,
            Level::Critical => 2,
            Level::Unknown => 3,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Ok => "OK",
            Level::Warning => "WARNING",
            Level::Critical => "CRITICAL",
            Level::Unknown => "UNKNOWN",
        }
    }
}

/// The thresholds a check compares against.
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    pub age_warning: Duration,
    pub age_critical: Duration,
    pub min_backups: usize,
    /// Free space on the backup volume, in percent: below these, warn / critical.
    pub disk_warning_pct: f64,
    pub disk_critical_pct: f64,
    /// Warn when the latest archive is this many percent smaller or larger than
    /// the median of the previous `size_window` archives.
    pub size_change_pct: f64,
    pub size_window: usize,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            age_warning: Duration::from_secs(26 * 3600),
            age_critical: Duration::from_secs(50 * 3600),
            min_backups: 1,
            disk_warning_pct: 20.0,
            disk_critical_pct: 10.0,
            size_change_pct: 50.0,
            size_window: 5,
        }
    }
}

impl Thresholds {
    /// Thresholds that contradict each other are a usage error.
    pub fn validate(&self) -> Result<(), String> {
        if self.age_critical < self.age_warning {
            return Err("--age-critical must not be shorter than --age-warning".into());
        }
        let pct = |v: f64| (0.0..=100.0).contains(&v);
        if !pct(self.disk_warning_pct) || !pct(self.disk_critical_pct) {
            return Err("--disk-warning and --disk-critical are percentages (0-100)".into());
        }
        if self.disk_critical_pct > self.disk_warning_pct {
            return Err(
                "--disk-critical must not be above --disk-warning (both are free space)".into(),
            );
        }
        if self.size_change_pct.is_nan() || self.size_change_pct <= 0.0 {
            return Err("--size-change must be a positive percentage".into());
        }
        if self.size_window == 0 {
            return Err("--size-window must be at least 1".into());
        }
        Ok(())
    }
}

/// The backup volume's size and the space an unprivileged writer may still use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Disk {
    pub total_bytes: u64,
    pub available_bytes: u64,
}

/// What checking the latest archive found.
#[derive(Debug, Clone, PartialEq)]
pub enum Integrity {
    /// Checked and sound; the detail says how deep.
    Sound(String),
    /// Damaged, truncated, or not matching its recorded checksum.
    Damaged(String),
    /// There was no archive to check.
    NoArchive,
}

/// Everything evaluation looks at.
pub struct Observed<'a> {
    pub inventory: &'a Inventory,
    /// `None` for an object store, which has no volume to fill.
    pub disk: Option<Result<Disk, String>>,
    pub integrity: Integrity,
    pub now: SystemTime,
}

/// One perfdata value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metric {
    pub label: &'static str,
    pub value: f64,
    pub unit: &'static str,
    /// Nagios threshold ranges (`93600`, `20:`), as the plugin guidelines write them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub critical: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub status: Level,
    pub summary: String,
    pub metrics: Vec<Metric>,
}

/// Facts about the newest backups, for the JSON and Prometheus outputs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Latest {
    pub name: String,
    pub time: String,
    pub unix_time: i64,
    pub age_seconds: u64,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Health {
    pub status: Level,
    pub checks: Vec<Check>,
    pub latest_success: Option<Latest>,
    pub backups: usize,
    pub failed_since_success: usize,
    #[serde(skip)]
    pub disk: Option<Disk>,
}

fn metric(label: &'static str, value: f64, unit: &'static str) -> Metric {
    Metric {
        label,
        value,
        unit,
        warning: None,
        critical: None,
    }
}

fn check(name: &'static str, status: Level, summary: String, metrics: Vec<Metric>) -> Check {
    Check {
        name,
        status,
        summary,
        metrics,
    }
}

fn age_of(b: &Backup, now: SystemTime) -> Duration {
    now.duration_since(b.time).unwrap_or_default()
}

/// Evaluates every check; see the module docs.
pub fn evaluate(t: &Thresholds, o: &Observed) -> Health {
    let archives: Vec<&Backup> = o
        .inventory
        .backups
        .iter()
        .filter(|b| b.state.is_archive())
        .collect();
    let latest = archives.first().copied();
    let checks = vec![
        check_age(t, latest, o.now),
        check_count(t, archives.len()),
        check_disk(t, &o.disk),
        check_size(t, &archives),
        check_integrity(latest, &o.integrity),
        check_errors(o.inventory, latest),
    ];
    let status = checks.iter().map(|c| c.status).max().unwrap_or(Level::Ok);
    Health {
        status,
        latest_success: latest.map(|b| Latest {
            name: b.name.clone(),
            time: rfc3339(b.time),
            unix_time: unix_secs(b.time),
            age_seconds: age_of(b, o.now).as_secs(),
            bytes: b.size,
        }),
        backups: archives.len(),
        failed_since_success: failures_since(o.inventory, latest).count(),
        disk: o.disk.as_ref().and_then(|d| d.as_ref().ok()).copied(),
        checks,
    }
}

fn check_age(t: &Thresholds, latest: Option<&Backup>, now: SystemTime) -> Check {
    let Some(b) = latest else {
        return check(
            "age",
            Level::Critical,
            "no successful backup".into(),
            vec![],
        );
    };
    let age = age_of(b, now);
    let status = if age > t.age_critical {
        Level::Critical
    } else if age > t.age_warning {
        Level::Warning
    } else {
        Level::Ok
    };
    let mut m = metric("age", age.as_secs() as f64, "s");
    m.warning = Some(t.age_warning.as_secs().to_string());
    m.critical = Some(t.age_critical.as_secs().to_string());
    let limit = match status {
        Level::Critical => format!(" (critical after {})", human_age(t.age_critical)),
        Level::Warning => format!(" (warning after {})", human_age(t.age_warning)),
        _ => String::new(),
    };
    check(
        "age",
        status,
        format!("latest backup {} is {} old{limit}", b.name, human_age(age)),
        vec![m],
    )
}

fn check_count(t: &Thresholds, n: usize) -> Check {
    let status = if n < t.min_backups {
        Level::Warning
    } else {
        Level::Ok
    };
    let mut m = metric("backups", n as f64, "");
    m.warning = Some(format!("{}:", t.min_backups));
    let plural = if n == 1 { "" } else { "s" };
    let summary = if status == Level::Ok {
        format!("{n} backup{plural}")
    } else {
        format!(
            "{n} backup{plural}, fewer than the minimum of {}",
            t.min_backups
        )
    };
    check("count", status, summary, vec![m])
}

fn check_disk(t: &Thresholds, disk: &Option<Result<Disk, String>>) -> Check {
    let Some(disk) = disk else {
        return check(
            "disk",
            Level::Ok,
            "an object store: no volume to fill".into(),
            vec![],
        );
    };
    let d = match disk {
        Ok(d) if d.total_bytes > 0 => *d,
        Ok(_) => {
            return check(
                "disk",
                Level::Unknown,
                "the backup volume reports a size of 0".into(),
                vec![],
            )
        }
        Err(e) => return check("disk", Level::Unknown, e.clone(), vec![]),
    };
    let pct = d.available_bytes as f64 * 100.0 / d.total_bytes as f64;
    let status = if pct < t.disk_critical_pct {
        Level::Critical
    } else if pct < t.disk_warning_pct {
        Level::Warning
    } else {
        Level::Ok
    };
    let mut m = metric("disk_free", (pct * 100.0).round() / 100.0, "%");
    m.warning = Some(format!("{}:", t.disk_warning_pct));
    m.critical = Some(format!("{}:", t.disk_critical_pct));
    let limit = match status {
        Level::Critical => format!(" (critical below {}%)", t.disk_critical_pct),
        Level::Warning => format!(" (warning below {}%)", t.disk_warning_pct),
        _ => String::new(),
    };
    check(
        "disk",
        status,
        format!(
            "{pct:.1}% free on the backup volume ({} of {}){limit}",
            human_size(d.available_bytes),
            human_size(d.total_bytes)
        ),
        vec![m, metric("disk_free_bytes", d.available_bytes as f64, "B")],
    )
}

fn median(mut v: Vec<u64>) -> u64 {
    v.sort_unstable();
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2
    }
}

fn check_size(t: &Thresholds, archives: &[&Backup]) -> Check {
    let Some(latest) = archives.first() else {
        return check("size", Level::Ok, "no backup to compare".into(), vec![]);
    };
    let bytes = metric("last_backup_bytes", latest.size as f64, "B");
    let previous: Vec<u64> = archives[1..]
        .iter()
        .take(t.size_window)
        .map(|b| b.size)
        .collect();
    if previous.is_empty() {
        return check(
            "size",
            Level::Ok,
            format!(
                "latest backup is {}; no earlier backup to compare",
                human_size(latest.size)
            ),
            vec![bytes],
        );
    }
    let n = previous.len();
    let med = median(previous);
    if med == 0 {
        return check(
            "size",
            Level::Ok,
            "earlier backups are empty; nothing to compare".into(),
            vec![bytes],
        );
    }
    let change = (latest.size as f64 - med as f64) * 100.0 / med as f64;
    let status = if change.abs() > t.size_change_pct {
        Level::Warning
    } else {
        Level::Ok
    };
    let direction = if change < 0.0 { "smaller" } else { "larger" };
    let mut m = metric("size_change", (change * 10.0).round() / 10.0, "%");
    m.warning = Some(format!("-{0}:{0}", t.size_change_pct));
    check(
        "size",
        status,
        format!(
            "latest backup is {} ({:.1}% {direction} than the median {} of the previous {n})",
            human_size(latest.size),
            change.abs(),
            human_size(med)
        ),
        vec![bytes, m],
    )
}

fn check_integrity(latest: Option<&Backup>, integrity: &Integrity) -> Check {
    let name = latest.map(|b| b.name.as_str()).unwrap_or("-");
    match integrity {
        Integrity::Sound(detail) => {
            check("integrity", Level::Ok, format!("{name}: {detail}"), vec![])
        }
        Integrity::Damaged(e) => check(
            "integrity",
            Level::Critical,
            format!("latest archive {name} is damaged: {e}"),
            vec![],
        ),
        Integrity::NoArchive => check(
            "integrity",
            Level::Unknown,
            "no archive to check".into(),
            vec![],
        ),
    }
}

/// Runs that failed, or whose archive disappeared, after the latest good one.
fn failures_since<'a>(
    inv: &'a Inventory,
    latest: Option<&'a Backup>,
) -> impl Iterator<Item = &'a Backup> {
    inv.backups
        .iter()
        .take_while(move |b| latest.is_none_or(|l| b.time > l.time))
        .filter(|b| matches!(b.state, State::Failed | State::Missing))
}

fn check_errors(inv: &Inventory, latest: Option<&Backup>) -> Check {
    let failed: Vec<&Backup> = failures_since(inv, latest).collect();
    let m = metric("failed_runs", failed.len() as f64, "");
    let Some(newest) = failed.first() else {
        return check(
            "errors",
            Level::Ok,
            "no failed run since the latest backup".into(),
            vec![m],
        );
    };
    let why = match newest.state {
        State::Missing => "its archive is missing".to_string(),
        _ => newest
            .error
            .clone()
            .unwrap_or_else(|| "no error recorded".into()),
    };
    check(
        "errors",
        Level::Warning,
        format!(
            "{} failed run(s) since the latest backup; newest {}: {why}",
            failed.len(),
            newest.name
        ),
        vec![m],
    )
}

fn perf_value(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

impl Health {
    /// Nagios plugin output: `PGSNAP STATUS - summary | perfdata`, then one line
    /// per check.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let bad: Vec<&Check> = self
            .checks
            .iter()
            .filter(|c| c.status != Level::Ok)
            .collect();
        let summary = if bad.is_empty() {
            self.checks
                .iter()
                .filter(|c| matches!(c.name, "age" | "count" | "disk"))
                .map(|c| c.summary.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        } else {
            let mut bad = bad;
            bad.sort_by_key(|c| std::cmp::Reverse(c.status));
            bad.iter()
                .map(|c| c.summary.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        };
        let perf: Vec<String> = self
            .checks
            .iter()
            .flat_map(|c| &c.metrics)
            .map(|m| {
                let mut s = format!("{}={}{}", m.label, perf_value(m.value), m.unit);
                match (&m.warning, &m.critical) {
                    (Some(w), Some(c)) => {
                        let _ = write!(s, ";{w};{c}");
                    }
                    (Some(w), None) => {
                        let _ = write!(s, ";{w}");
                    }
                    (None, Some(c)) => {
                        let _ = write!(s, ";;{c}");
                    }
                    (None, None) => {}
                }
                s
            })
            .collect();
        let _ = writeln!(
            out,
            "PGSNAP {} - {summary} | {}",
            self.status.as_str(),
            perf.join(" ")
        );
        for c in &self.checks {
            let _ = writeln!(out, "[{}] {}: {}", c.status.as_str(), c.name, c.summary);
        }
        out
    }

    pub fn to_json(&self, dir: &str) -> serde_json::Value {
        serde_json::json!({
            "dir": dir,
            "status": self.status,
            "exit_code": self.status.exit_code(),
            "checks": self.checks,
            "latest_success": self.latest_success,
            "backups": self.backups,
            "failed_since_success": self.failed_since_success,
            "disk": self.disk.map(|d| serde_json::json!({
                "total_bytes": d.total_bytes,
                "available_bytes": d.available_bytes,
            })),
        })
    }

    /// The Prometheus text exposition format (for node-exporter's textfile
    /// collector), every sample labelled with the backup directory.
    pub fn render_prometheus(&self, dir: &str) -> String {
        let dir = escape_label(dir);
        let mut out = String::new();
        let mut gauge = |name: &str, help: &str, samples: &[(String, f64)]| {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} gauge");
            for (labels, v) in samples {
                let _ = writeln!(out, "{name}{{dir=\"{dir}\"{labels}}} {}", perf_value(*v));
            }
        };
        let code = |l: Level| l.exit_code() as f64;
        gauge(
            "pgsnap_health_status",
            "Overall backup health: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
            &[(String::new(), code(self.status))],
        );
        let per_check: Vec<(String, f64)> = self
            .checks
            .iter()
            .map(|c| (format!(",check=\"{}\"", c.name), code(c.status)))
            .collect();
        gauge(
            "pgsnap_check_status",
            "Each health check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
            &per_check,
        );
        gauge(
            "pgsnap_backups",
            "Backups (archives) in the directory.",
            &[(String::new(), self.backups as f64)],
        );
        gauge(
            "pgsnap_failed_runs_since_success",
            "Runs that failed after the latest successful backup.",
            &[(String::new(), self.failed_since_success as f64)],
        );
        if let Some(l) = &self.latest_success {
            gauge(
                "pgsnap_last_success_timestamp_seconds",
                "Start of the latest successful backup, in Unix seconds.",
                &[(String::new(), l.unix_time as f64)],
            );
            gauge(
                "pgsnap_last_backup_age_seconds",
                "Age of the latest successful backup.",
                &[(String::new(), l.age_seconds as f64)],
            );
            gauge(
                "pgsnap_last_backup_bytes",
                "Size of the latest successful backup's archive.",
                &[(String::new(), l.bytes as f64)],
            );
        }
        if let Some(d) = self.disk {
            gauge(
                "pgsnap_disk_available_bytes",
                "Space left on the backup volume.",
                &[(String::new(), d.available_bytes as f64)],
            );
            gauge(
                "pgsnap_disk_size_bytes",
                "Size of the backup volume.",
                &[(String::new(), d.total_bytes as f64)],
            );
        }
        out
    }
}

fn escape_label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
#[path = "health_tests.rs"]
mod tests;
