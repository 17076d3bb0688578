//! `pgsnap backups`, `pgsnap prune`, `pgsnap health`, and what `backup` does
//! around a run that targets a file: its metadata record and, with `--prune`,
//! retention.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::args::{BackupsArgs, HealthArgs, NotifyFlags, PruneArgs, RetentionFlags};
use crate::engine::{self, BackupReport, Depth, Error, Output};
use crate::notify;
use crate::ops::health::{self, Integrity, Observed, Thresholds};
use crate::ops::{self, metadata, prune, BackupDir, Metadata, Rules};
use crate::pg::ConnParams;
use crate::storage::{self, ObjectLocation};

/// The rules from the flags; without any rule flag, from
/// `BACKUP_RETENTION_DAYS` / `BACKUP_RETENTION_COUNT`. `None`: no rule at all.
pub fn retention_rules(f: &RetentionFlags) -> Result<Option<Rules>, Error> {
    let mut rules = Rules {
        keep_last: f.keep_last,
        keep_within: f
            .keep_within
            .as_deref()
            .map(prune::parse_keep_within)
            .transpose()?,
        keep_daily: f.keep_daily,
        keep_weekly: f.keep_weekly,
        keep_monthly: f.keep_monthly,
    };
    if rules.is_empty() {
        let env =
            |name: &str| -> Result<Option<usize>, Error> {
                match std::env::var(name) {
                    Ok(v) if !v.trim().is_empty() => v.trim().parse().map(Some).map_err(|_| {
                        Error::usage(format!("{name} must be a whole number, got {v:?}"))
                    }),
                    _ => Ok(None),
                }
            };
        if let Some(days) = env("BACKUP_RETENTION_DAYS")? {
            rules.keep_within = Some(prune::parse_keep_within(&format!("{days}d"))?);
        }
        rules.keep_last = env("BACKUP_RETENTION_COUNT")?;
    }
    Ok((!rules.is_empty()).then_some(rules))
}

fn require_rules(f: &RetentionFlags) -> Result<Rules, Error> {
    retention_rules(f)?.ok_or_else(|| {
        Error::usage(
            "no retention rule given: use --keep-last, --keep-within, --keep-daily, \
             --keep-weekly or --keep-monthly, or set BACKUP_RETENTION_DAYS / BACKUP_RETENTION_COUNT",
        )
    })
}

/// Checks `backup --prune` before the backup runs, so a bad rule fails fast.
pub fn prune_rules_for_backup(
    prune: bool,
    f: &RetentionFlags,
    named: bool,
) -> Result<Option<Rules>, Error> {
    if !prune {
        return Ok(None);
    }
    if !named {
        return Err(Error::usage(
            "--prune applies to named backups in --dir; it cannot be used with -f",
        ));
    }
    require_rules(f).map(Some)
}

/// A `--dir` value: a local directory or a store prefix.
pub fn backup_dir(dir: &Path) -> Result<BackupDir, Error> {
    BackupDir::parse(dir, super::run::storage_timeout())
}

/// The newest successful archive in `dir`, as a path or URL (`verify --latest`).
pub fn latest_archive(dir: &Path) -> Result<PathBuf, Error> {
    let dir = backup_dir(dir)?;
    let inv = ops::scan_dir(&dir)?;
    let b = inv
        .backups
        .iter()
        .find(|b| b.state.is_archive())
        .ok_or_else(|| {
            Error::failed(format!(
                "no successful backup in {} to verify",
                dir.display()
            ))
        })?;
    Ok(PathBuf::from(dir.join(&b.name).to_string()))
}

pub fn backups(a: BackupsArgs) -> Result<(), Error> {
    let inv = ops::scan_dir(&backup_dir(&a.dir)?)?;
    let now = SystemTime::now();
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&inv.to_json(now)).expect("listing serialises")
        );
    } else {
        print!("{}", inv.render(now));
    }
    Ok(())
}

pub fn prune(a: PruneArgs) -> Result<(), Error> {
    let rules = require_rules(&a.retention)?;
    let dir = backup_dir(&a.dir)?;
    let plan = ops::plan_prune(&ops::scan_dir(&dir)?, &rules, SystemTime::now());
    if !a.dry_run {
        ops::execute(&plan, &dir)?;
    }
    print!("{}", plan.render(a.dry_run));
    Ok(())
}

fn thresholds(a: &HealthArgs) -> Result<Thresholds, Error> {
    let span = |flag: &str, v: &str| {
        ops::time::parse_span(v).ok_or_else(|| {
            Error::usage(format!(
                "{flag} {v:?}: use hours, days or weeks, e.g. 26h, 2d, 1d12h"
            ))
        })
    };
    let t = Thresholds {
        age_warning: span("--age-warning", &a.age_warning)?,
        age_critical: span("--age-critical", &a.age_critical)?,
        min_backups: a.min_backups,
        disk_warning_pct: a.disk_warning,
        disk_critical_pct: a.disk_critical,
        size_change_pct: a.size_change,
        size_window: a.size_window,
    };
    t.validate().map_err(Error::usage)?;
    Ok(t)
}

/// `pgsnap health`; returns the plugin exit code (3 UNKNOWN when the check
/// itself cannot run).
pub fn health(a: HealthArgs) -> i32 {
    match health_report(&a) {
        Ok(code) => code,
        Err(e) => {
            println!("PGSNAP UNKNOWN - {e}");
            3
        }
    }
}

fn health_report(a: &HealthArgs) -> Result<i32, Error> {
    let t = thresholds(a)?;
    let dir = backup_dir(&a.dir)?;
    let inv = ops::scan_dir(&dir)?;
    let integrity = match inv.backups.iter().find(|b| b.state.is_archive()) {
        None => Integrity::NoArchive,
        Some(b) => {
            let sha = b
                .metadata
                .as_ref()
                .and_then(|_| dir.read(&format!("{}.json", b.name)).ok())
                .and_then(|bytes| serde_json::from_slice::<Metadata>(&bytes).ok())
                .and_then(|m| m.sha256);
            let depth = if a.quick { Depth::Quick } else { Depth::Full };
            let keys = super::run::keyring(&a.keys)?;
            match engine::check_integrity(&dir.join(&b.name), depth, sha.as_deref(), &keys) {
                Ok(detail) => Integrity::Sound(detail),
                Err(e) => Integrity::Damaged(e.to_string()),
            }
        }
    };
    let report = health::evaluate(
        &t,
        &Observed {
            inventory: &inv,
            disk: match &dir {
                BackupDir::Local(p) => Some(ops::disk::volume(p)),
                BackupDir::Store(_) => None,
            },
            integrity,
            now: SystemTime::now(),
        },
    );
    let dir = dir.display();
    if let Some(path) = &a.prometheus {
        write_textfile(path, &report.render_prometheus(&dir))?;
    }
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report.to_json(&dir)).expect("health serialises")
        );
    } else {
        print!("{}", report.render_text());
    }
    Ok(report.status.exit_code())
}

/// Writes a node-exporter textfile the way its docs ask: a temporary file in
/// the same directory, renamed over the old one, so a scrape never sees half.
fn write_textfile(path: &Path, text: &str) -> Result<(), Error> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| Error::usage(format!("--prometheus {}: not a file name", path.display())))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let res = std::fs::write(&tmp, text).and_then(|_| std::fs::rename(&tmp, path));
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res.map_err(|e| Error::failed(format!("cannot write {}: {e}", path.display())))
}

/// The notification channels and rule from the flags (and environment).
pub fn notify_config(f: &NotifyFlags) -> Result<(notify::Channels, notify::When), Error> {
    let when = notify::When::parse(&f.notify_on).expect("clap checked --notify-on");
    let nonempty = |o: &Option<String>| o.clone().filter(|v| !v.trim().is_empty());
    let email = match nonempty(&f.email_to) {
        None => None,
        Some(to) => {
            let host = nonempty(&f.smtp_host).ok_or_else(|| {
                Error::usage("email notifications (BACKUP_EMAIL_RECIPIENT / --email-to) need SMTP_HOST / --smtp-host")
            })?;
            let from = nonempty(&f.smtp_from).unwrap_or_else(|| format!("pgsnap@{}", host));
            Some(notify::Email {
                to: to
                    .split(',')
                    .map(|a| a.trim().to_string())
                    .filter(|a| !a.is_empty())
                    .collect(),
                from,
                host,
                port: f.smtp_port,
                username: nonempty(&f.smtp_username),
                password: std::env::var("SMTP_PASSWORD").ok(),
                tls: notify::SmtpTls::parse(&f.smtp_tls).expect("clap checked --smtp-tls"),
                ca_file: f.smtp_ca_file.clone(),
            })
        }
    };
    Ok((
        notify::Channels {
            slack: nonempty(&f.slack_webhook),
            webhook: nonempty(&f.webhook),
            email,
        },
        when,
    ))
}

/// Retention after a successful backup; failures are warnings only.
pub fn prune_after_backup(dir: &BackupDir, rules: &Rules) {
    let res = ops::scan_dir(dir).and_then(|inv| {
        let plan = ops::plan_prune(&inv, rules, SystemTime::now());
        ops::execute(&plan, dir)?;
        Ok(plan)
    });
    match res {
        Ok(plan) => {
            for line in plan.render(false).lines() {
                tracing::info!("prune: {line}");
            }
        }
        Err(e) => tracing::warn!(
            "the backup succeeded, but pruning {} failed: {e}",
            dir.display()
        ),
    }
}

/// Where `--upload` sends a local archive: the flag, else the kit's
/// `S3_BACKUP_BUCKET` / `GCS_BACKUP_BUCKET`. `None`: no upload.
pub fn upload_target(flag: Option<&str>) -> Option<String> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    flag.map(str::to_string)
        .or_else(|| env("S3_BACKUP_BUCKET").map(|b| format!("s3://{}/", b.trim())))
        .or_else(|| env("GCS_BACKUP_BUCKET").map(|b| format!("gs://{}/", b.trim())))
}

/// Uploads a finished local archive, then its metadata, to `target` (an
/// object URL, or a prefix ending in '/'); streams the file as a multipart
/// upload. Returns the archive's URL.
pub async fn upload(
    local: &Path,
    target: &str,
    timeout: std::time::Duration,
) -> Result<String, Error> {
    let name = local
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let url = if target.ends_with('/') {
        format!("{target}{name}")
    } else {
        target.to_string()
    };
    let location = match storage::Location::parse(&url, timeout)? {
        storage::Location::Object(o) => o,
        storage::Location::Local(_) => {
            return Err(Error::usage(format!(
                "--upload {url}: not an object-store URL (s3://, gs:// or az://)"
            )))
        }
    };
    let local = local.to_path_buf();
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || -> Result<(), Error> {
        let mut file = std::fs::File::open(&local)?;
        let mut sink = storage::MultipartSink::start(&location, handle.clone())?;
        std::io::copy(&mut file, &mut sink)
            .map_err(|e| Error::failed(format!("uploading {}: {e}", location.url)))?;
        sink.finish()?;
        let meta = metadata::path_for(&local);
        if meta.exists() {
            storage::put(&location.sibling(".json"), std::fs::read(&meta)?, &handle)?;
        }
        Ok(())
    })
    .await
    .map_err(|e| Error::failed(format!("the upload task failed: {e}")))??;
    Ok(url)
}

fn put_metadata(archive: &ObjectLocation, meta: &Metadata) -> Result<(), Error> {
    let mut json = serde_json::to_vec_pretty(meta).expect("metadata serialises");
    json.push(b'\n');
    let handle = tokio::runtime::Handle::current();
    Ok(storage::put(&archive.sibling(".json"), json, &handle)?)
}

/// Writes `NAME.pgsnap.json` beside a published archive, on disk or in a store.
pub fn record_success(
    output: &Output,
    report: &BackupReport,
    conn: &ConnParams,
) -> Result<(), Error> {
    let res = match output {
        Output::File(p) => metadata::write(
            &metadata::path_for(p),
            &Metadata::success(p, report, conn.describe()),
        ),
        Output::Object(o) => put_metadata(
            o,
            &Metadata::success(Path::new(o.path.as_ref()), report, conn.describe()),
        ),
        Output::Stdout => Ok(()),
    };
    res.map_err(|e| e.context("the archive was written, but its metadata was not"))
}

/// Writes the record of a failed run beside where the archive would have been;
/// a failure to write it is only logged (the backup's own error matters more).
pub fn record_failure(output: &Output, conn: &ConnParams, started: SystemTime, err: &Error) {
    let meta = Metadata::failed(
        conn.dbname().to_string(),
        conn.describe(),
        started,
        SystemTime::now(),
        err.to_string(),
    );
    let res = match output {
        Output::File(p) => metadata::write(&metadata::path_for(p), &meta),
        Output::Object(o) => put_metadata(o, &meta),
        Output::Stdout => Ok(()),
    };
    if let Err(e) = res {
        tracing::warn!("{e}");
    }
}
