//! What a restore checks about its target before it changes anything, and
//! does to it after: whether the target is marked as production, whether its
//! volume has room for the archive, and `ANALYZE` / `REINDEX` afterwards.
//!
//! Free space: PostgreSQL has no SQL function for it, so pgsnap measures it
//! itself when it can prove it runs on the server's host: the server tells a
//! privileged role its data directory (and the database's tablespace path),
//! and the `postmaster.pid` there must name the port and the start time the
//! server reports (to within a second or two: the postmaster takes the two
//! times moments apart, and under load they can fall in different seconds).
//! Otherwise the check says why it could not be made, and the restore goes on.

use std::collections::BTreeSet;
use std::path::PathBuf;

use tokio_postgres::Client;

use super::Error;
use crate::format::toc::{ObjectKind, Toc};
use crate::ops::disk;
use crate::ops::inventory::human_size;
use crate::pg::{session, ConnParams, PgError};
use crate::schema::quote;

/// The custom setting that marks a database as production:
/// `ALTER DATABASE shop SET pgsnap.environment = 'production'`.
pub const ENVIRONMENT_SETTING: &str = "pgsnap.environment";

/// Whether the target database says it is production (through
/// [`ENVIRONMENT_SETTING`]). A database that does not exist yet is not.
pub async fn marked_production(conn: &ConnParams) -> Result<bool, Error> {
    let client = match conn.connect("pgsnap restore").await {
        Ok(c) => c,
        Err(e) if e.is_missing_database() => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    let row = client
        .query_one(
            "SELECT pg_catalog.current_setting($1, true)",
            &[&ENVIRONMENT_SETTING],
        )
        .await
        .map_err(|e| PgError::query("could not read the target's environment marker", &e))?;
    let value: Option<String> = row.get(0);
    Ok(value.is_some_and(|v| v.trim().eq_ignore_ascii_case("production")))
}

/// Bytes a restore of `toc` will need on the target, roughly: the data as
/// COPY carries it plus 32 bytes per row (a heap tuple's header and line
/// pointer), and for every index and primary key, unique or exclusion
/// constraint, 40 bytes per row of its table (a B-tree entry with a narrow
/// key, its line pointer and page fill). WAL is not counted.
pub fn estimate_bytes(toc: &Toc) -> u64 {
    let mut rows_of = std::collections::HashMap::new();
    for s in &toc.streams {
        *rows_of
            .entry((s.schema.as_str(), s.table.as_str()))
            .or_insert(0u64) += s.rows;
    }
    let raw: u64 = toc.streams.iter().map(|s| s.raw_bytes).sum();
    let index_rows: u64 = toc
        .entries
        .iter()
        .filter(|e| {
            e.kind == ObjectKind::Index
                || (e.kind == ObjectKind::Constraint
                    && (e.definition.contains(" PRIMARY KEY")
                        || e.definition.contains(" UNIQUE")
                        || e.definition.contains(" EXCLUDE")))
        })
        .filter_map(|e| {
            let table = table_of(&e.definition)?;
            rows_of.get(&(e.schema.as_deref()?, table)).copied()
        })
        .sum();
    let rows: u64 = toc.streams.iter().map(|s| s.rows).sum();
    raw + rows * 32 + index_rows * 40
}

/// The table an `ALTER TABLE [ONLY] s.t ...` or `CREATE INDEX ... ON [ONLY] s.t`
/// names (unquoted names only; others are left out of the estimate).
fn table_of(definition: &str) -> Option<&str> {
    let rest = if let Some(i) = definition.find(" ON ") {
        &definition[i + 4..]
    } else {
        definition.strip_prefix("ALTER TABLE ")?
    };
    let rest = rest.strip_prefix("ONLY ").unwrap_or(rest);
    let name = rest.split(|c: char| c.is_whitespace() || c == '(').next()?;
    let table = name.rsplit('.').next()?;
    (!table.contains('"')).then_some(table)
}

/// What the free-space check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Space {
    Enough { need: u64, free: u64, path: PathBuf },
    Short { need: u64, free: u64, path: PathBuf },
    Unknown(String),
}

impl Space {
    /// Enough when `free` covers `need`.
    pub fn judge(need: u64, free: u64, path: PathBuf) -> Space {
        if free >= need {
            Space::Enough { need, free, path }
        } else {
            Space::Short { need, free, path }
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Space::Enough { need, free, path } | Space::Short { need, free, path } => format!(
                "{} free on {} (the volume of the target database's tablespace), about {} needed",
                human_size(*free),
                path.display(),
                human_size(*need)
            ),
            Space::Unknown(why) => format!("free space not checked: {why}"),
        }
    }
}

/// Measures free space on the volume of the target database's tablespace, if
/// pgsnap can prove it runs on the server's host (see the module docs).
pub async fn check_space(client: &Client, need: u64) -> Result<Space, Error> {
    let row = client
        .query_one(
            "SELECT CASE WHEN pg_catalog.pg_has_role('pg_read_all_settings', 'USAGE') \
                    THEN pg_catalog.current_setting('data_directory') END, \
                    pg_catalog.pg_tablespace_location(d.dattablespace), \
                    pg_catalog.floor(EXTRACT(epoch FROM pg_catalog.pg_postmaster_start_time()))::bigint, \
                    pg_catalog.current_setting('port') \
             FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()",
            &[],
        )
        .await
        .map_err(|e| PgError::query("could not read where the target database lives", &e))?;
    let data_dir: Option<String> = row.get(0);
    let location: Option<String> = row.get(1);
    let started: i64 = row.get(2);
    let port: String = row.get(3);
    let Some(data_dir) = data_dir else {
        return Ok(Space::Unknown(
            "the server does not show this role its data directory (a superuser or \
             pg_read_all_settings sees it)"
                .into(),
        ));
    };
    let pid_file = PathBuf::from(&data_dir).join("postmaster.pid");
    // Lines 3 and 4 of postmaster.pid: start time (epoch seconds) and port.
    let same_server = std::fs::read_to_string(&pid_file)
        .ok()
        .and_then(|t| {
            let mut lines = t.lines().skip(2);
            let start: i64 = lines.next()?.trim().parse().ok()?;
            let same_port = lines.next()?.trim() == port;
            Some(same_port && (start - started).abs() <= 2)
        })
        .unwrap_or(false);
    if !same_server {
        return Ok(Space::Unknown(format!(
            "pgsnap cannot read {} as the server's own, so it runs on another host or as \
             another user; PostgreSQL itself does not report free space",
            pid_file.display()
        )));
    }
    let path = match location {
        Some(l) if !l.is_empty() => PathBuf::from(l),
        _ => PathBuf::from(data_dir),
    };
    let volume = disk::volume(&path).map_err(Error::failed)?;
    Ok(Space::judge(need, volume.available_bytes, path))
}

/// The relations `toc` restores rows into or defines: what to ANALYZE and
/// REINDEX afterwards.
pub fn restored_relations(toc: &Toc) -> Vec<String> {
    let mut set = BTreeSet::new();
    for s in &toc.streams {
        set.insert(quote::qualified(&s.schema, &s.table));
    }
    for e in &toc.entries {
        if matches!(e.kind, ObjectKind::Table | ObjectKind::MaterializedView) {
            if let Some(schema) = &e.schema {
                set.insert(quote::qualified(schema, &e.name));
            }
        }
    }
    set.into_iter().collect()
}

/// Runs `verb` (`ANALYZE` or `REINDEX TABLE`) on each relation, over `jobs`
/// connections. Returns the failures, named.
pub async fn maintain(
    conn: &ConnParams,
    verb: &str,
    relations: &[String],
    jobs: usize,
) -> Result<Vec<String>, Error> {
    super::pool::on_connections(
        relations.to_vec(),
        jobs,
        async || {
            let client = conn.connect("pgsnap restore").await?;
            session::setup_writer(&client).await?;
            Ok::<_, Error>(client)
        },
        async |client: &Client, rel: String| {
            Ok(client
                .batch_execute(&format!("{verb} {rel}"))
                .await
                .err()
                .map(|e| PgError::query(&format!("{verb} {rel} failed"), &e).to_string()))
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estimate_counts_data_and_index_entries() {
        use crate::format::toc::{DumpId, SchemaEntry, Section, StreamId, StreamInfo};
        let entry = |kind, definition: &str| SchemaEntry {
            id: DumpId(1),
            section: Section::PostData,
            kind,
            schema: Some("app".into()),
            name: "x".into(),
            owner: None,
            definition: definition.into(),
            drop: String::new(),
            deps: vec![],
            owner_sql: String::new(),
            belongs_to: None,
        };
        let toc = Toc::for_tests(
            vec![
                entry(
                    ObjectKind::Index,
                    "CREATE INDEX i ON app.orders USING btree (a);\n",
                ),
                entry(
                    ObjectKind::Constraint,
                    "ALTER TABLE ONLY app.orders ADD CONSTRAINT p PRIMARY KEY (id);\n",
                ),
                entry(
                    ObjectKind::Constraint,
                    "ALTER TABLE app.orders ADD CONSTRAINT c CHECK (a > 0);\n",
                ),
            ],
            vec![StreamInfo {
                id: StreamId(1),
                entry: DumpId(2),
                schema: "app".into(),
                table: "orders".into(),
                columns: vec![],
                format: crate::format::toc::CopyFormat::Binary,
                frames: vec![],
                raw_bytes: 1_000_000,
                rows: 10_000,
                crc32: 0,
                part: None,
            }],
        );
        assert_eq!(
            estimate_bytes(&toc),
            1_000_000 + 10_000 * 32 + 2 * 10_000 * 40
        );
        assert!(matches!(
            Space::judge(1_800_000, 1_000_000, "/x".into()),
            Space::Short { .. }
        ));
        assert!(matches!(
            Space::judge(1_800_000, 2_000_000, "/x".into()),
            Space::Enough { .. }
        ));
    }

    #[test]
    fn index_definitions_name_their_table() {
        assert_eq!(
            table_of("CREATE INDEX i ON app.orders USING btree (id);\n"),
            Some("orders")
        );
        assert_eq!(
            table_of("CREATE UNIQUE INDEX i ON ONLY app.parent USING btree (id);\n"),
            Some("parent")
        );
        assert_eq!(
            table_of("ALTER TABLE ONLY app.orders ADD CONSTRAINT p PRIMARY KEY (id);\n"),
            Some("orders")
        );
        assert_eq!(table_of("CREATE INDEX i ON app.\"Odd\" (id);"), None);
    }
}
