//! The `pgsnap` binary: parse arguments, set up logging, run, exit with the code.

use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() {
    let cli = match pgsnap::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // A monitoring plugin's usage error is UNKNOWN (3), not CRITICAL (2).
            let health = std::env::args().nth(1).as_deref() == Some("health");
            let _ = e.print();
            std::process::exit(match e.exit_code() {
                2 if health => 3,
                code => code,
            });
        }
    };
    // The demo prints its own report; engine logs only with -v.
    let demo = matches!(cli.command, pgsnap::cli::Command::Demo(_));
    let default = match (cli.quiet, cli.verbose) {
        (true, _) => "error",
        (false, 0) if demo => "warn",
        (false, 0) => "info",
        (false, 1) => "pgsnap=debug,info",
        (false, _) => "debug",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("PGSNAP_LOG").unwrap_or_else(|_| EnvFilter::new(default)),
        )
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pgsnap: error: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    let code = runtime.block_on(pgsnap::cli::run(cli));
    std::process::exit(code);
}
