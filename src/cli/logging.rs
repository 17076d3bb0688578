//! Logging: stderr (text for people, or one JSON object per line), an optional
//! log file that gets the same events with timestamps, and the summary line
//! that ends every run.
//!
//! The summary is an event with target [`SUMMARY`]. On a text stderr a failed
//! run's summary is left out: the `pgsnap: error: ...` line already says it.

use std::fs::OpenOptions;
use std::sync::Arc;

use tracing::Level;
use tracing_subscriber::filter::{filter_fn, EnvFilter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

use super::args::{Cli, Command};

/// The target of the summary event that ends every run.
pub const SUMMARY: &str = "pgsnap::summary";

/// Whether stderr carries JSON (then errors are logged, not printed).
pub fn json(cli: &Cli) -> bool {
    cli.log_format == "json"
}

/// The levels to log; the log file ignores `--quiet`.
fn level_filter(cli: &Cli, stderr: bool) -> EnvFilter {
    // The demo prints its own report; engine logs only with -v.
    let demo = matches!(cli.command, Command::Demo(_)) && stderr;
    let default = match (cli.quiet && stderr, cli.verbose) {
        (true, _) => "error",
        (false, 0) if demo => "warn",
        (false, 0) => "info",
        (false, 1) => "pgsnap=debug,info",
        (false, _) => "debug",
    };
    EnvFilter::try_from_env("PGSNAP_LOG").unwrap_or_else(|_| EnvFilter::new(default))
}

/// Sets up the subscriber; an unwritable log file is an error for the caller.
pub fn init(cli: &Cli) -> Result<(), String> {
    let json = json(cli);
    // Commands whose product is their standard output keep stderr free of
    // the summary; the log file still gets it.
    let quiet_summary = matches!(
        cli.command,
        Command::List(_) | Command::Backups(_) | Command::Health(_) | Command::Demo(_)
    );
    let stderr_events = filter_fn(move |m| {
        m.target() != SUMMARY || !(quiet_summary || (!json && *m.level() == Level::ERROR))
    });
    let stderr = if json {
        tracing_subscriber::fmt::layer()
            .json()
            .with_writer(std::io::stderr)
            .boxed()
    } else {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_target(false)
            .boxed()
    };
    let file = match &cli.log_file {
        Some(path) => {
            let f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| format!("cannot open --log-file {}: {e}", path.display()))?;
            let f = Arc::new(f);
            let layer = if json {
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_ansi(false)
                    .with_writer(f)
                    .boxed()
            } else {
                tracing_subscriber::fmt::layer()
                    .with_ansi(false)
                    .with_target(false)
                    .with_writer(f)
                    .boxed()
            };
            Some(
                layer.with_filter(
                    level_filter(cli, false).add_directive(
                        format!("{SUMMARY}=info")
                            .parse()
                            .expect("a valid directive"),
                    ),
                ),
            )
        }
        None => None,
    };
    tracing_subscriber::registry()
        .with(
            stderr
                .with_filter(stderr_events)
                .with_filter(level_filter(cli, true)),
        )
        .with(file)
        .init();
    Ok(())
}
