//! pgsnap: a PostgreSQL logical backup engine.
//!
//! Dependencies point one way: `cli → ops → engine → {pg, catalog, schema, crypt → archive} → format`.
//! `format` is a pure codec (no I/O); `archive` does file I/O around it; `pg` owns
//! connections and the COPY stream scanner; `catalog` reads the system catalogs;
//! `schema` turns the catalog into ordered DDL entries; `engine` runs backups and
//! restores; `crypt` wraps and unwraps encrypted archives' data keys (age);
//! `ops` keeps named backups' metadata, listing and retention; `cli` is the
//! only module that knows clap.

pub mod archive;
pub mod catalog;
pub mod cli;
pub mod cluster;
pub mod crypt;
pub mod demo;
pub mod engine;
pub mod format;
#[doc(hidden)]
pub mod fuzzing;
pub mod notify;
pub mod ops;
pub mod pg;
pub mod schema;
pub mod storage;
