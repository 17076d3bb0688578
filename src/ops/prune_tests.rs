//! The retention planner over synthetic timestamps.

use super::*;
use crate::ops::inventory::Backup;
use std::time::UNIX_EPOCH;

const H: u64 = 3600;
const D: u64 = 86_400;
/// 2026-11-24T12:00:00Z, a Tuesday.
const NOW: u64 = 1_795_478_400 + 12 * H;

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn backup(name: &str, ago: u64, state: State) -> Backup {
    let dir = PathBuf::from("/b");
    let archive = state.is_archive().then(|| dir.join(name));
    Backup {
        name: name.into(),
        time: at(NOW - ago),
        state,
        archive,
        metadata: Some(dir.join(format!("{name}.json"))),
        size: 1,
        verified_at: None,
        error: None,
    }
}

/// Backups newest first, as `scan` returns them.
fn inventory(mut backups: Vec<Backup>) -> Inventory {
    backups.sort_by_key(|b| std::cmp::Reverse(b.time));
    Inventory {
        backups,
        partials: Vec::new(),
    }
}

fn kept(plan: &PrunePlan) -> Vec<&str> {
    plan.decisions
        .iter()
        .filter(|d| d.action == Action::Keep)
        .map(|d| d.name.as_str())
        .collect()
}

fn hourly(count: u64) -> Inventory {
    inventory(
        (0..count)
            .map(|i| backup(&format!("b{i:03}"), i * 6 * H + 60, State::Success))
            .collect(),
    )
}

#[test]
fn keep_last_keeps_the_newest_n() {
    let rules = Rules {
        keep_last: Some(3),
        ..Rules::default()
    };
    let plan = plan_prune(&hourly(6), &rules, at(NOW));
    assert_eq!(kept(&plan), ["b000", "b001", "b002"]);
    assert_eq!(plan.deletions(), 3);
    let first = &plan.decisions[0];
    assert_eq!(first.reasons, ["newest backup", "last 1"]);
    let gone = &plan.decisions[5];
    assert_eq!(gone.reasons, ["no rule keeps it"]);
    assert_eq!(
        gone.paths,
        [PathBuf::from("/b/b005"), PathBuf::from("/b/b005.json")]
    );
}

#[test]
fn keep_within_keeps_what_is_young_enough() {
    let rules = Rules {
        keep_within: Some(parse_keep_within("12h").unwrap()),
        ..Rules::default()
    };
    // Ages: 1 min, 6 h, 12 h, 18 h.
    let plan = plan_prune(&hourly(4), &rules, at(NOW));
    assert_eq!(kept(&plan), ["b000", "b001"]);
    assert!(plan.decisions[1]
        .reasons
        .contains(&"within 12h".to_string()));
}

#[test]
fn daily_weekly_monthly_keep_the_newest_of_each_period() {
    // Four a day for 70 days: 6 h apart.
    let inv = hourly(280);
    let daily = plan_prune(
        &inv,
        &Rules {
            keep_daily: Some(3),
            ..Rules::default()
        },
        at(NOW),
    );
    // Now is 12:00 UTC: b000 (11:59) and b001 (05:59) are today, b002 (23:59) yesterday.
    assert_eq!(kept(&daily), ["b000", "b002", "b006"]);
    assert!(daily.decisions[2]
        .reasons
        .contains(&"daily 2026-11-23".to_string()));

    let weekly = plan_prune(
        &inv,
        &Rules {
            keep_weekly: Some(2),
            ..Rules::default()
        },
        at(NOW),
    );
    // Monday 2026-11-23 starts this week; the newest of last week is Sunday 23:59 (b006).
    assert_eq!(kept(&weekly), ["b000", "b006"]);
    assert!(weekly.decisions[6]
        .reasons
        .contains(&"weekly 2026-11-16".to_string()));

    let monthly = plan_prune(
        &inv,
        &Rules {
            keep_monthly: Some(3),
            ..Rules::default()
        },
        at(NOW),
    );
    // Newest of October is 2026-10-31 23:59 (23 days 12 h ago: b094), of September b218.
    assert_eq!(kept(&monthly), ["b000", "b094", "b218"]);
    assert!(monthly.decisions[94]
        .reasons
        .contains(&"monthly 2026-10".to_string()));

    let any = plan_prune(
        &inv,
        &Rules {
            keep_last: Some(1),
            keep_daily: Some(2),
            keep_monthly: Some(2),
            ..Rules::default()
        },
        at(NOW),
    );
    assert_eq!(kept(&any), ["b000", "b002", "b094"]);
}

#[test]
fn the_newest_backup_is_always_kept_and_failed_records_are_cleaned() {
    let inv = inventory(vec![
        backup("failed-new", H, State::Failed),
        backup("ok-1", 2 * H, State::Success),
        backup("failed-old", 3 * H, State::Failed),
        backup("plain", 4 * D, State::Unknown),
        backup("gone", 5 * D, State::Missing),
    ]);
    let rules = Rules {
        keep_within: Some(Duration::from_secs(60)),
        ..Rules::default()
    };
    let plan = plan_prune(&inv, &rules, at(NOW));
    assert_eq!(kept(&plan), ["failed-new", "ok-1"]);
    assert_eq!(plan.decisions[1].reasons, ["newest backup"]);
    assert_eq!(
        plan.decisions[2].reasons,
        ["failed run older than the newest backup"]
    );
    assert_eq!(
        plan.decisions[2].paths,
        [PathBuf::from("/b/failed-old.json")]
    );
    assert_eq!(plan.decisions[3].action, Action::Delete);
    assert_eq!(plan.decisions[4].action, Action::Delete);

    // Only failures: nothing to compare with, so nothing is cleaned.
    let only_failed = inventory(vec![backup("f", D, State::Failed)]);
    assert_eq!(plan_prune(&only_failed, &rules, at(NOW)).deletions(), 0);
}

#[test]
fn stale_temporary_files_and_plan_text() {
    let mut inv = hourly(2);
    inv.partials = vec![
        (PathBuf::from("/b/.x.pgsnap.partial-1"), at(NOW - 2 * H)),
        (PathBuf::from("/b/.y.pgsnap.partial-2"), at(NOW - 60)),
    ];
    let rules = Rules {
        keep_last: Some(1),
        ..Rules::default()
    };
    let plan = plan_prune(&inv, &rules, at(NOW));
    assert_eq!(
        plan.stale_partials,
        [PathBuf::from("/b/.x.pgsnap.partial-1")]
    );
    assert_eq!(
        plan.render(true),
        "keep    b000  newest backup, last 1\n\
         delete  b001  no rule keeps it\n\
         remove  .x.pgsnap.partial-1  temporary file older than 1 hour\n\
         1 kept, 1 deleted, 1 temporary files removed (dry run: nothing was deleted)\n"
    );
}

#[test]
fn retention_durations() {
    assert_eq!(
        parse_keep_within("30d").unwrap(),
        Duration::from_secs(30 * D)
    );
    assert_eq!(
        parse_keep_within("1d12h").unwrap(),
        Duration::from_secs(D + 12 * H)
    );
    assert_eq!(
        parse_keep_within("2w").unwrap(),
        Duration::from_secs(14 * D)
    );
    for bad in ["", "30", "d", "0d", "3x", "-1d"] {
        assert!(parse_keep_within(bad).is_err(), "{bad}");
    }
}
