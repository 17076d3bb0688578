//! Objects this backup cannot take. A backup that silently lost them would
//! look complete: the backup names them instead (a warning, and the
//! `not_backed_up` list of the metadata file). Today that is the
//! subscriptions of a backup by a role that may not read their connection
//! strings (superusers only).

use super::{get, query, CatalogError};

/// How `pg_describe_object` names each such object, sorted. (Spelled out
/// rather than through `pg_describe_object`: before 14, other roles may not
/// read `pg_subscription.oid` either.)
pub(super) async fn load(client: &tokio_postgres::Client) -> Result<Vec<String>, CatalogError> {
    const WHAT: &str = "objects not backed up";
    let sql = "SELECT 'subscription ' || pg_catalog.quote_ident(x.subname) \
         FROM pg_catalog.pg_subscription x \
         WHERE x.subdbid = (SELECT d.oid FROM pg_catalog.pg_database d \
                            WHERE d.datname = pg_catalog.current_database()) \
           AND NOT pg_catalog.has_column_privilege('pg_catalog.pg_subscription', 'subconninfo', 'SELECT') \
         ORDER BY 1";
    query(client, WHAT, sql)
        .await?
        .iter()
        .map(|r| get(r, WHAT, 0))
        .collect()
}
