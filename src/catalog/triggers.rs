//! User triggers (`pg_trigger`): no internal triggers (foreign keys), and
//! the clones that a partitioned table's trigger made on its partitions
//! only where their enabled state differs from the parent's.

use super::{get, query, CatalogError, Oid};

/// One trigger.
#[derive(Debug, Clone, PartialEq)]
pub struct Trigger {
    pub oid: Oid,
    pub table: Oid,
    pub name: String,
    /// `pg_get_triggerdef`: a complete `CREATE TRIGGER`, no final `;`.
    pub definition: String,
    /// `tgenabled`: O (origin, the default), D (disabled), R (replica), A (always).
    pub enabled: char,
    /// For a partition's clone, the parent's trigger (only the clone's
    /// enabled state, where it differs from the parent's, is its own); else 0.
    pub parent: Oid,
}

pub(super) async fn load(
    client: &tokio_postgres::Client,
    server_version_num: i32,
) -> Result<Vec<Trigger>, CatalogError> {
    const WHAT: &str = "triggers";
    // Before 15 a partition's clone of its parent's trigger is internal
    // (tgisinternal); from 15 on it is not.
    let wanted = if server_version_num >= 150_000 {
        "NOT t.tgisinternal AND (t.tgparentid = 0 OR t.tgenabled <> p.tgenabled)"
    } else {
        "(NOT t.tgisinternal AND t.tgparentid = 0) OR t.tgenabled <> p.tgenabled"
    };
    let sql = format!(
        "SELECT t.oid, t.tgrelid, t.tgname::text, pg_catalog.pg_get_triggerdef(t.oid, false), \
                t.tgenabled::text, t.tgparentid \
               FROM pg_catalog.pg_trigger t \
               LEFT JOIN pg_catalog.pg_trigger p ON p.oid = t.tgparentid \
               WHERE {wanted} \
               ORDER BY t.tgrelid, t.tgname"
    );
    query(client, WHAT, &sql)
        .await?
        .iter()
        .map(|r| {
            let enabled: String = get(r, WHAT, 4)?;
            Ok(Trigger {
                oid: get(r, WHAT, 0)?,
                table: get(r, WHAT, 1)?,
                name: get(r, WHAT, 2)?,
                definition: get(r, WHAT, 3)?,
                enabled: enabled.chars().next().unwrap_or('O'),
                parent: get(r, WHAT, 5)?,
            })
        })
        .collect()
}
