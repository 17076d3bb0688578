//! Which PostgreSQL major versions pgsnap backs up and restores into, and what
//! it says about the others. The catalog queries choose their form by
//! `server_version_num` (see `crate::catalog`); this module only draws the
//! lines: a source older than [`OLDEST_MAJOR`] is refused, a newer one than
//! [`NEWEST_MAJOR`] is allowed with a warning, and a restore into an older
//! major version than the source's needs `--force`.

/// The oldest major version pgsnap backs up.
pub const OLDEST_MAJOR: u32 = 13;
/// The newest major version pgsnap's catalog queries were written for.
pub const NEWEST_MAJOR: u32 = 18;

/// The major version of a `server_version_num` (150018 → 15).
pub fn major(version_num: u32) -> u32 {
    version_num / 10_000
}

/// Checks a backup source's version: `Err` (a message for the user) when it
/// is too old, `Ok(Some(warning))` when it is newer than pgsnap knows.
pub fn check_source(version_num: u32) -> Result<Option<String>, String> {
    let m = major(version_num);
    if m < OLDEST_MAJOR {
        return Err(format!(
            "the server runs PostgreSQL {m}, older than {OLDEST_MAJOR}, the oldest pgsnap backs \
             up; use that version's pg_dump, or upgrade the server"
        ));
    }
    Ok((m > NEWEST_MAJOR).then(|| {
        format!(
            "the server runs PostgreSQL {m}, newer than {NEWEST_MAJOR}, the newest this pgsnap \
             knows; the backup goes on, but objects or options new in {m} may be missing: \
             verify it with a test restore (verify --restore-check) or upgrade pgsnap"
        )
    }))
}

/// Checks a restore's target against the archive's source: `Err` when the
/// target's major version is older and `force` is off.
pub fn check_target(
    source_num: u32,
    target_num: u32,
    force: bool,
) -> Result<Option<String>, String> {
    let (s, t) = (major(source_num), major(target_num));
    if t >= s {
        return Ok(None);
    }
    let why = format!(
        "the archive comes from PostgreSQL {s} and the target runs {t}: its SQL may use syntax \
         or features {t} lacks, and built-in types, functions and defaults may differ"
    );
    if force {
        Ok(Some(format!("{why}; restoring anyway (--force)")))
    } else {
        Err(format!(
            "{why}; restore into PostgreSQL {s} or newer, or pass --force to try (a failure \
             names the object that {t} refused)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_lines() {
        assert!(check_source(120_022).unwrap_err().contains("older than 13"));
        assert_eq!(check_source(130_000), Ok(None));
        assert_eq!(check_source(180_001), Ok(None));
        assert!(check_source(190_000)
            .unwrap()
            .unwrap()
            .contains("newer than 18"));
    }

    #[test]
    fn target_lines() {
        assert_eq!(check_target(150_018, 150_002, false), Ok(None));
        assert_eq!(check_target(150_018, 170_011, false), Ok(None));
        let e = check_target(170_011, 150_018, false).unwrap_err();
        assert!(e.contains("PostgreSQL 17") && e.contains("--force"), "{e}");
        assert!(check_target(170_011, 150_018, true).unwrap().is_some());
    }
}
