//! The integration tests: one binary, real PostgreSQL clusters started by
//! `support`, the real `pgsnap` binary, PostgreSQL as the oracle.

mod support;

mod auth;
mod cli;
mod damage;
mod encryption;
mod faults;
mod hosts;
mod notify;
mod ops;
mod quoting;
mod restore_safety;
mod roundtrip;
mod s3;
mod seclabels;
mod select;
mod tls;
mod verify_check;
mod versions;
