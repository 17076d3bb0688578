//! The `pgsnap` binary: parse arguments, set up logging, run, exit with the code.

use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() {
    let cli = pgsnap::cli::Cli::parse();
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
