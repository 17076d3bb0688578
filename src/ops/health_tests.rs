use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::*;
use crate::ops::inventory::{Backup, Inventory, State};

const HOUR: u64 = 3600;

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_795_000_000)
}

fn backup(name: &str, hours_ago: u64, state: State, size: u64) -> Backup {
    Backup {
        name: name.into(),
        time: now() - Duration::from_secs(hours_ago * HOUR),
        state,
        archive: state.is_archive().then(|| format!("/b/{name}").into()),
        metadata: None,
        size,
        verified_at: None,
        error: (state == State::Failed).then(|| "connection refused".to_string()),
    }
}

fn inv(backups: Vec<Backup>) -> Inventory {
    Inventory {
        backups,
        partials: vec![],
    }
}

fn roomy() -> Result<Disk, String> {
    Ok(Disk {
        total_bytes: 1000 << 20,
        available_bytes: 600 << 20,
    })
}

fn sound() -> Integrity {
    Integrity::Sound("trailer, TOC and 3 frames check out".into())
}

fn eval(i: &Inventory, disk: Result<Disk, String>, integrity: Integrity) -> Health {
    evaluate(
        &Thresholds::default(),
        &Observed {
            inventory: i,
            disk: Some(disk),
            integrity,
            now: now(),
        },
    )
}

fn status_of(h: &Health, name: &str) -> Level {
    h.checks.iter().find(|c| c.name == name).unwrap().status
}

fn nightly(sizes: &[u64]) -> Vec<Backup> {
    sizes
        .iter()
        .enumerate()
        .map(|(i, &s)| backup(&format!("b{i}"), 2 + 24 * i as u64, State::Success, s))
        .collect()
}

#[test]
fn a_fresh_steady_directory_is_ok() {
    let i = inv(nightly(&[1000, 1010, 990, 1000]));
    let h = eval(&i, roomy(), sound());
    assert_eq!(h.status, Level::Ok, "{}", h.render_text());
    assert_eq!(h.status.exit_code(), 0);
    assert_eq!(h.backups, 4);
    let text = h.render_text();
    assert!(
        text.starts_with("PGSNAP OK - latest backup b0 is 2h 0m old; 4 backups; 60.0% free"),
        "{text}"
    );
    assert!(text.contains("| age=7200s;93600;180000 backups=4;1: disk_free=60%;20:;10:"));
}

#[test]
fn a_stale_backup_warns_then_goes_critical() {
    let i = inv(vec![backup("old", 30, State::Success, 100)]);
    let h = eval(&i, roomy(), sound());
    assert_eq!(h.status, Level::Warning);
    assert!(h.render_text().contains("(warning after 1d 2h)"));
    let i = inv(vec![backup("older", 51, State::Success, 100)]);
    let h = eval(&i, roomy(), sound());
    assert_eq!((h.status, h.status.exit_code()), (Level::Critical, 2));
}

#[test]
fn no_backup_at_all_is_critical() {
    let i = inv(vec![backup("f", 1, State::Failed, 0)]);
    let h = eval(&i, roomy(), Integrity::NoArchive);
    assert_eq!(h.status, Level::Critical);
    assert_eq!(status_of(&h, "age"), Level::Critical);
    assert_eq!(status_of(&h, "count"), Level::Warning);
    assert!(h
        .render_text()
        .starts_with("PGSNAP CRITICAL - no successful backup"));
}

#[test]
fn a_shrunken_or_swollen_backup_warns_against_the_median() {
    let i = inv(nightly(&[400, 1000, 1020, 980, 5000]));
    let h = eval(&i, roomy(), sound());
    assert_eq!(h.status, Level::Warning);
    let size = h.checks.iter().find(|c| c.name == "size").unwrap();
    assert!(
        size.summary
            .contains("60.4% smaller than the median 1010 B of the previous 4"),
        "{}",
        size.summary
    );
    let i = inv(nightly(&[2100, 1000, 1000]));
    assert_eq!(
        status_of(&eval(&i, roomy(), sound()), "size"),
        Level::Warning
    );
    let i = inv(nightly(&[1400, 1000, 1000]));
    assert_eq!(status_of(&eval(&i, roomy(), sound()), "size"), Level::Ok);
}

#[test]
fn the_size_window_limits_the_history_compared() {
    let i = inv(nightly(&[1000, 1000, 1000, 10, 10, 10]));
    let t = Thresholds {
        size_window: 2,
        ..Thresholds::default()
    };
    let o = Observed {
        inventory: &i,
        disk: Some(roomy()),
        integrity: sound(),
        now: now(),
    };
    assert_eq!(evaluate(&t, &o).status, Level::Ok);
    let t = Thresholds {
        size_window: 5,
        ..Thresholds::default()
    };
    assert_eq!(evaluate(&t, &o).status, Level::Warning);
}

#[test]
fn free_space_thresholds_apply_in_order() {
    let i = inv(nightly(&[1000]));
    let disk = |avail: u64| {
        Ok(Disk {
            total_bytes: 1000,
            available_bytes: avail,
        })
    };
    assert_eq!(eval(&i, disk(201), sound()).status, Level::Ok);
    assert_eq!(eval(&i, disk(150), sound()).status, Level::Warning);
    let h = eval(&i, disk(50), sound());
    assert_eq!(h.status, Level::Critical);
    assert!(h.render_text().contains("5.0% free on the backup volume"));
    let h = eval(&i, Err("statvfs failed".into()), sound());
    assert_eq!((h.status, h.status.exit_code()), (Level::Unknown, 3));
    let store = evaluate(
        &Thresholds::default(),
        &Observed {
            inventory: &i,
            disk: None,
            integrity: sound(),
            now: now(),
        },
    );
    assert_eq!(store.status, Level::Ok);
}

#[test]
fn a_damaged_latest_archive_is_critical() {
    let i = inv(nightly(&[1000, 1000]));
    let h = eval(
        &i,
        roomy(),
        Integrity::Damaged("frame 3: checksum mismatch".into()),
    );
    assert_eq!(h.status, Level::Critical);
    assert!(h
        .render_text()
        .starts_with("PGSNAP CRITICAL - latest archive b0 is damaged: frame 3"));
}

#[test]
fn failed_runs_after_the_latest_success_warn() {
    let mut b = vec![
        backup("f2", 1, State::Failed, 0),
        backup("gone", 3, State::Missing, 0),
    ];
    b.extend(nightly(&[1000]).into_iter().map(|mut x| {
        x.time = now() - Duration::from_secs(5 * HOUR);
        x
    }));
    b.push(backup("f0", 40, State::Failed, 0));
    let i = inv(b);
    let h = eval(&i, roomy(), sound());
    assert_eq!(h.status, Level::Warning);
    assert_eq!(h.failed_since_success, 2);
    assert!(h
        .render_text()
        .contains("2 failed run(s) since the latest backup; newest f2: connection refused"));
}

#[test]
fn contradicting_thresholds_are_rejected() {
    let t = Thresholds {
        age_warning: Duration::from_secs(10 * HOUR),
        age_critical: Duration::from_secs(5 * HOUR),
        ..Thresholds::default()
    };
    assert!(t.validate().is_err());
    let t = Thresholds {
        disk_critical_pct: 30.0,
        ..Thresholds::default()
    };
    assert!(t.validate().is_err());
    assert!(Thresholds::default().validate().is_ok());
}

/// Every line of the exposition format: a `# HELP`/`# TYPE` pair before the
/// samples of each metric, metric names and label names from the allowed
/// alphabet, label values quoted and escaped, values that parse as floats.
#[test]
fn prometheus_output_is_well_formed_exposition_text() {
    let i = inv(nightly(&[1000, 1000]));
    let h = eval(&i, roomy(), sound());
    let text = h.render_prometheus("/var/backups/\"pg\"\\x");
    let name_ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
            && !s.starts_with(|c: char| c.is_ascii_digit())
    };
    let mut typed = std::collections::HashSet::new();
    let mut samples = 0;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            assert!(name_ok(rest.split(' ').next().unwrap()), "{line}");
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert_eq!(kind, "gauge");
            assert!(typed.insert(name.to_string()), "TYPE twice: {line}");
        } else {
            let (series, value) = line.rsplit_once(' ').unwrap();
            value.parse::<f64>().unwrap();
            let (name, labels) = series.split_once('{').unwrap();
            assert!(typed.contains(name), "sample before its TYPE: {line}");
            let labels = labels.strip_suffix('}').unwrap();
            let mut rest = labels;
            while !rest.is_empty() {
                let (lname, after) = rest.split_once("=\"").unwrap();
                assert!(name_ok(lname), "{line}");
                let mut end = None;
                let mut escaped = false;
                for (k, c) in after.char_indices() {
                    match (escaped, c) {
                        (true, '\\' | '"' | 'n') => escaped = false,
                        (true, _) => panic!("bad escape in {line}"),
                        (false, '\\') => escaped = true,
                        (false, '"') => {
                            end = Some(k);
                            break;
                        }
                        _ => {}
                    }
                }
                let end = end.expect("closing quote");
                rest = after[end + 1..]
                    .strip_prefix(',')
                    .unwrap_or(&after[end + 1..]);
            }
            samples += 1;
        }
    }
    assert!(samples >= 10, "{text}");
    assert!(text.contains("pgsnap_health_status{dir=\"/var/backups/\\\"pg\\\"\\\\x\"} 0"));
    assert!(
        text.contains("pgsnap_check_status{dir=\"/var/backups/\\\"pg\\\"\\\\x\",check=\"size\"} 0")
    );
    for name in [
        "pgsnap_last_success_timestamp_seconds",
        "pgsnap_last_backup_bytes",
        "pgsnap_backups",
    ] {
        assert!(typed.contains(name), "{name} missing");
    }
}
