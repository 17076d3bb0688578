//! `--config FILE`: a TOML file of settings whose keys are the environment
//! variables' names (`BACKUP_DIR = "/var/backups/pg"`, or `backup_dir`).
//!
//! It is applied before the command line is parsed, by setting each variable
//! the environment does not already have, so the precedence is flags, then the
//! environment, then the file. A key pgsnap does not read is an error (a typo
//! must not silently drop a setting).

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::PathBuf;

use clap::CommandFactory;

use super::args::Cli;

/// Variables pgsnap reads that are not tied to one flag.
const OTHER_VARIABLES: &[&str] = &[
    "PGHOST",
    "PGPORT",
    "PGUSER",
    "PGDATABASE",
    "PGPASSWORD",
    "PGPASSFILE",
    "PGSSLMODE",
    "PGSSLROOTCERT",
    "PGSSLCERT",
    "PGSSLKEY",
    "POSTGRES_HOST",
    "POSTGRES_PORT",
    "POSTGRES_USER",
    "POSTGRES_DB",
    "POSTGRES_PASSWORD",
    "BACKUP_RETENTION_DAYS",
    "BACKUP_RETENTION_COUNT",
    "SMTP_PASSWORD",
    "PGSNAP_ENVIRONMENT",
    "PGSNAP_LOG",
];

/// Every variable a setting may name: the flags' and [`OTHER_VARIABLES`].
pub fn known_variables() -> BTreeSet<String> {
    let mut out: BTreeSet<String> = OTHER_VARIABLES.iter().map(|s| s.to_string()).collect();
    let mut stack = vec![Cli::command()];
    while let Some(cmd) = stack.pop() {
        for arg in cmd.get_arguments() {
            if let Some(env) = arg.get_env() {
                out.insert(env.to_string_lossy().into_owned());
            }
        }
        stack.extend(cmd.get_subcommands().cloned());
    }
    out.remove("PGSNAP_CONFIG");
    out
}

/// The `--config` file named on the command line (or by `PGSNAP_CONFIG`).
fn config_path(args: &[OsString]) -> Option<PathBuf> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let s = a.to_string_lossy();
        if s == "--" {
            break;
        }
        if s == "--config" {
            return it.next().map(PathBuf::from);
        }
        if let Some(v) = s.strip_prefix("--config=") {
            return Some(PathBuf::from(v));
        }
    }
    std::env::var_os("PGSNAP_CONFIG").map(PathBuf::from)
}

/// The settings in `text`, as (variable, value) pairs.
pub fn parse(text: &str, known: &BTreeSet<String>) -> Result<Vec<(String, String)>, String> {
    let table: toml::Table = text.parse().map_err(|e| format!("not valid TOML: {e}"))?;
    let mut out = Vec::new();
    for (key, value) in table {
        let name = key.to_ascii_uppercase();
        if !known.contains(&name) {
            return Err(format!(
                "unknown setting {key:?} (keys are the environment variables' names, e.g. \
                 BACKUP_DIR or pghost; see .env.example)"
            ));
        }
        let value = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => {
                return Err(format!(
                    "setting {key:?} must be a string, number or boolean, not {}",
                    other.type_str()
                ))
            }
        };
        out.push((name, value));
    }
    out.sort();
    Ok(out)
}

/// Reads the config file, if one is named, and sets the variables the
/// environment lacks.
pub fn apply(args: &[OsString]) -> Result<(), String> {
    let Some(path) = config_path(args) else {
        return Ok(());
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read --config {}: {e}", path.display()))?;
    let settings = parse(&text, &known_variables())
        .map_err(|e| format!("--config {}: {e}", path.display()))?;
    for (name, value) in settings {
        if std::env::var_os(&name).is_none() {
            std::env::set_var(name, value);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_variable_names_in_either_case() {
        let known = known_variables();
        for v in [
            "BACKUP_DIR",
            "PGSNAP_JOBS",
            "SMTP_TLS",
            "PGHOST",
            "PGSNAP_AGE_WARNING",
        ] {
            assert!(known.contains(v), "{v}");
        }
        let got = parse(
            "backup_dir = \"/var/backups/pg\"\nPGSNAP_JOBS = 4\nsmtp_tls = \"none\"\n",
            &known,
        )
        .unwrap();
        assert_eq!(
            got,
            [
                ("BACKUP_DIR".to_string(), "/var/backups/pg".to_string()),
                ("PGSNAP_JOBS".into(), "4".into()),
                ("SMTP_TLS".into(), "none".into()),
            ]
        );
        assert!(parse("backup_dri = \"x\"", &known)
            .unwrap_err()
            .contains("unknown setting \"backup_dri\""));
        assert!(parse("pghost = [1]", &known).is_err());
        assert!(parse("pghost = ", &known)
            .unwrap_err()
            .contains("not valid TOML"));
    }

    #[test]
    fn the_file_is_found_on_the_command_line() {
        let args: Vec<OsString> = [
            "pgsnap",
            "backup",
            "--config",
            "/etc/pgsnap.toml",
            "-j",
            "2",
        ]
        .iter()
        .map(OsString::from)
        .collect();
        assert_eq!(config_path(&args), Some(PathBuf::from("/etc/pgsnap.toml")));
        let args: Vec<OsString> = ["pgsnap", "--config=/x.toml", "health"]
            .iter()
            .map(OsString::from)
            .collect();
        assert_eq!(config_path(&args), Some(PathBuf::from("/x.toml")));
    }
}
