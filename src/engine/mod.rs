//! Plans and runs the operations: backup, restore, and the offline inspections
//! (list, verify) and the test restore (`verify --restore-check`). This is the layer the CLI calls; it wires `pg`, `catalog`,
//! `schema` and `archive` together and owns the user-facing error type.

mod backup;
mod digest;
mod error;
mod inspect;
mod plan;
mod pool;
mod preflight;
mod progress;
mod restore;
mod restore_check;
mod staged;

pub use backup::{backup, BackupOptions, BackupReport, EncryptionInfo, Output, TableStats};
pub use error::Error;
pub use inspect::{
    check_integrity, list, open_archive, verify, verify_with_progress, Depth, Listing,
};
pub use preflight::{marked_production, ENVIRONMENT_SETTING};
pub use progress::{Progress, ProgressHandle};
pub use restore::{restore, restore_settings, RestoreOptions, RestoreReport};
pub use restore_check::{
    restore_check, CheckOutcome, Outcome, RestoreCheckOptions, RestoreCheckReport,
};
