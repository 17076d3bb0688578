//! The `pgsnap` binary: parse arguments, set up logging, run, exit with the code.

use clap::Parser;

fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // A monitoring plugin's usage error is UNKNOWN (3), not CRITICAL (2).
    let usage_code = if args.get(1).is_some_and(|a| a == "health") {
        3
    } else {
        2
    };
    if let Err(e) = pgsnap::cli::apply_config_file(&args) {
        eprintln!("pgsnap: error: {e}");
        std::process::exit(usage_code);
    }
    let cli = match pgsnap::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            std::process::exit(match e.exit_code() {
                2 => usage_code,
                code => code,
            });
        }
    };
    if let Err(e) = pgsnap::cli::init_logging(&cli) {
        eprintln!("pgsnap: error: {e}");
        std::process::exit(2);
    }
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
