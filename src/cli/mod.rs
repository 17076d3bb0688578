//! The command line: the only module that knows clap. Arguments are parsed into
//! flag structs here, validated into the engine's option structs, and run.

mod args;
mod config;
mod logging;
mod ops;
mod progress;
mod run;

pub use args::{Cli, Command};
pub use config::apply as apply_config_file;
pub use logging::init as init_logging;
pub use run::run;
