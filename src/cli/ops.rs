//! `pgsnap backups`, `pgsnap prune`, and what `backup` does around a run that
//! targets a file: its metadata record and, with `--prune`, retention.

use std::path::Path;
use std::time::SystemTime;

use super::args::{BackupsArgs, PruneArgs, RetentionFlags};
use crate::engine::{BackupReport, Error};
use crate::ops::{self, metadata, prune, Metadata, Rules};
use crate::pg::ConnParams;

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

pub fn backups(a: BackupsArgs) -> Result<(), Error> {
    let inv = ops::scan(&a.dir)?;
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
    let plan = ops::plan_prune(&ops::scan(&a.dir)?, &rules, SystemTime::now());
    if !a.dry_run {
        ops::execute(&plan)?;
    }
    print!("{}", plan.render(a.dry_run));
    Ok(())
}

/// Retention after a successful backup; failures are warnings only.
pub fn prune_after_backup(dir: &Path, rules: &Rules) {
    let res = ops::scan(dir).and_then(|inv| {
        let plan = ops::plan_prune(&inv, rules, SystemTime::now());
        ops::execute(&plan)?;
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

/// Writes `NAME.pgsnap.json` for a published archive.
pub fn record_success(
    archive: &Path,
    report: &BackupReport,
    conn: &ConnParams,
) -> Result<(), Error> {
    let meta = Metadata::success(archive, report, conn.describe());
    metadata::write(&metadata::path_for(archive), &meta)
        .map_err(|e| e.context("the archive was written, but its metadata was not"))
}

/// Writes the record of a failed run beside where the archive would have been;
/// a failure to write it is only logged (the backup's own error matters more).
pub fn record_failure(archive: &Path, conn: &ConnParams, started: SystemTime, err: &Error) {
    let meta = Metadata::failed(
        conn.dbname().to_string(),
        conn.describe(),
        started,
        SystemTime::now(),
        err.to_string(),
    );
    if let Err(e) = metadata::write(&metadata::path_for(archive), &meta) {
        tracing::warn!("{e}");
    }
}
