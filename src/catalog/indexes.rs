//! Indexes (`pg_index`), with the constraint each one backs and the
//! partitioned-parent index each partition's index is attached to.

use super::{get, query, CatalogError, Oid, USER_NAMESPACE};

/// One index.
#[derive(Debug, Clone, PartialEq)]
pub struct Index {
    pub oid: Oid,
    pub schema: String,
    pub name: String,
    pub table: Oid,
    /// `pg_get_indexdef`: a complete `CREATE INDEX`, no final `;` (says `ON ONLY`
    /// for a partitioned table). Empty for an index that backs a constraint:
    /// the constraint's definition creates it, and deparsing every primary
    /// key's index was a third of a large schema's catalog time.
    pub definition: String,
    /// The primary key, unique or exclusion constraint it implements, else 0.
    pub constraint: Oid,
    /// The partitioned-parent index it is attached to, else 0.
    pub parent: Oid,
    /// `CLUSTER ON` this index.
    pub clustered: bool,
    /// `REPLICA IDENTITY USING INDEX` this index.
    pub replica_identity: bool,
    /// Statistics targets set on index columns: (column number, target).
    pub stat_targets: Vec<(i16, i32)>,
    /// The tablespace, when not the database's default.
    pub tablespace: Option<String>,
}

pub(super) async fn load(client: &tokio_postgres::Client) -> Result<Vec<Index>, CatalogError> {
    const WHAT: &str = "indexes";
    let sql = format!(
        "SELECT i.indexrelid, n.nspname::text, ic.relname::text, i.indrelid, \
          CASE WHEN con.oid IS NULL THEN pg_catalog.pg_get_indexdef(i.indexrelid) ELSE '' END, \
          COALESCE(con.oid, 0::pg_catalog.oid), \
          COALESCE((SELECT h.inhparent FROM pg_catalog.pg_inherits h WHERE h.inhrelid = i.indexrelid), \
                   0::pg_catalog.oid), \
          i.indisclustered, i.indisreplident, \
          ARRAY(SELECT a.attnum::int4 * 100000 + a.attstattarget::int4 FROM pg_catalog.pg_attribute a \
                WHERE a.attrelid = i.indexrelid AND a.attstattarget::int4 >= 0 ORDER BY a.attnum), \
          (SELECT t.spcname::text FROM pg_catalog.pg_tablespace t WHERE t.oid = ic.reltablespace) \
         FROM pg_catalog.pg_index i \
         JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid \
         JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace \
         LEFT JOIN LATERAL (SELECT co.oid FROM pg_catalog.pg_constraint co \
                            WHERE co.conindid = i.indexrelid AND co.conrelid = i.indrelid \
                            AND co.contype IN ('p', 'u', 'x')) con ON true \
         WHERE {USER_NAMESPACE} \
         ORDER BY n.nspname, ic.relname"
    );
    query(client, WHAT, &sql)
        .await?
        .iter()
        .map(|r| {
            Ok(Index {
                oid: get(r, WHAT, 0)?,
                schema: get(r, WHAT, 1)?,
                name: get(r, WHAT, 2)?,
                table: get(r, WHAT, 3)?,
                definition: get(r, WHAT, 4)?,
                constraint: get(r, WHAT, 5)?,
                parent: get(r, WHAT, 6)?,
                clustered: get(r, WHAT, 7)?,
                replica_identity: get(r, WHAT, 8)?,
                stat_targets: get::<Vec<i32>>(r, WHAT, 9)?
                    .into_iter()
                    .map(|v| ((v / 100_000) as i16, v % 100_000))
                    .collect(),
                tablespace: get(r, WHAT, 10)?,
            })
        })
        .collect()
}
