//! Objects of kinds this version does not back up yet. A backup that
//! silently lost them would look complete: the backup names them instead
//! (a warning, and the `not_backed_up` list of the metadata file).

use super::{get, query, CatalogError, FIRST_NORMAL_OID};

/// `(catalog, condition on alias x)` for each kind not dumped yet.
const KINDS: &[(&str, &str)] = &[(
    "pg_subscription",
    "x.subdbid = (SELECT d.oid FROM pg_catalog.pg_database d \
     WHERE d.datname = pg_catalog.current_database()) \
     AND NOT pg_catalog.has_column_privilege('pg_catalog.pg_subscription', 'subconninfo', 'SELECT')",
)];

/// `pg_describe_object` of every user object of a kind not backed up,
/// sorted (extension members excluded: the extension recreates them).
pub(super) async fn load(client: &tokio_postgres::Client) -> Result<Vec<String>, CatalogError> {
    const WHAT: &str = "objects of kinds not backed up";
    let parts: Vec<String> = KINDS
        .iter()
        .map(|(catalog, cond)| {
            format!(
                "SELECT pg_catalog.pg_describe_object('pg_catalog.{catalog}'::pg_catalog.regclass, x.oid, 0) \
                 FROM pg_catalog.{catalog} x WHERE x.oid >= {FIRST_NORMAL_OID} AND {cond} \
                 AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d \
                   WHERE d.classid = 'pg_catalog.{catalog}'::pg_catalog.regclass AND d.objid = x.oid \
                   AND d.deptype IN ('e', 'i'))"
            )
        })
        .collect();
    let sql = format!(
        "SELECT d FROM ({}) s(d) WHERE d IS NOT NULL ORDER BY 1",
        parts.join(" UNION ALL ")
    );
    query(client, WHAT, &sql)
        .await?
        .iter()
        .map(|r| get(r, WHAT, 0))
        .collect()
}
