//! Operations on a directory of named backups: each archive's metadata file
//! (`NAME.pgsnap.json`, written beside it after it is published), listing the
//! backups of a directory, retention (prune), and the health verdict that
//! monitoring reads.
//!
//! This module owns named backups' metadata, listing and retention, in a local
//! directory or an object-store prefix (`place`). It works on files the engine
//! has already published and never opens an archive: the
//! metadata is what monitoring and retention read, so a failed run leaves a
//! record too (status `failed`, no archive). Retention is planned first
//! ([`prune::plan_prune`], pure, over timestamps) and then executed; health is
//! evaluated ([`health::evaluate`], pure) over what the caller observed,
//! including the result of checking the latest archive.

pub mod disk;
pub mod health;
pub mod inventory;
pub mod metadata;
pub mod place;
pub mod prune;
pub mod time;

pub use inventory::{scan, scan_dir, Backup, Inventory, State};
pub use metadata::{Metadata, Status};
pub use place::BackupDir;
pub use prune::{execute, plan_prune, PrunePlan, Rules};
