//! Everything about talking to PostgreSQL: connection parameters resolved the way
//! libpq does (flags, conninfo/URI, environment, password file), session setup,
//! server facts, the supported versions, the pure COPY stream scanner, and the tap
//! that takes COPY data off a worker's socket.

pub mod conn;
mod conninfo;
pub mod copyscan;
mod error;
mod pgpass;
pub mod session;
pub mod tap;
pub mod tls;
pub mod version;

pub use conn::{CloseReason, ConnArgs, ConnParams};
pub use error::describe as error_text;
pub use error::PgError;
