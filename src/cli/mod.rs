//! The command line: the only module that knows clap. Arguments are parsed into
//! flag structs here, validated into the engine's option structs, and run.

mod args;
mod logging;
mod ops;
mod run;

pub use args::{Cli, Command};
pub use logging::init as init_logging;
pub use run::run;
