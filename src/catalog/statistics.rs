//! Extended statistics objects (`pg_statistic_ext`).

use super::{get, not_extension_member, query, CatalogError, Oid, USER_NAMESPACE};

/// One `CREATE STATISTICS`.
#[derive(Debug, Clone, PartialEq)]
pub struct Statistics {
    pub oid: Oid,
    pub table: Oid,
    pub schema: String,
    pub name: String,
    pub owner: String,
    /// `pg_get_statisticsobjdef`: a complete `CREATE STATISTICS`, no final `;`.
    pub definition: String,
    /// `stxstattarget`, when set (not -1 / NULL).
    pub target: Option<i32>,
}

pub(super) async fn load(client: &tokio_postgres::Client) -> Result<Vec<Statistics>, CatalogError> {
    const WHAT: &str = "extended statistics";
    let sql = format!(
        "SELECT s.oid, s.stxrelid, n.nspname::text, s.stxname::text, \
          pg_catalog.pg_get_userbyid(s.stxowner)::text, pg_catalog.pg_get_statisticsobjdef(s.oid), \
          NULLIF(COALESCE(s.stxstattarget::int4, -1), -1) \
         FROM pg_catalog.pg_statistic_ext s JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace \
         WHERE {USER_NAMESPACE} AND {} ORDER BY n.nspname, s.stxname",
        not_extension_member("pg_statistic_ext", "s.oid")
    );
    query(client, WHAT, &sql)
        .await?
        .iter()
        .map(|r| {
            Ok(Statistics {
                oid: get(r, WHAT, 0)?,
                table: get(r, WHAT, 1)?,
                schema: get(r, WHAT, 2)?,
                name: get(r, WHAT, 3)?,
                owner: get(r, WHAT, 4)?,
                definition: get(r, WHAT, 5)?,
                target: get(r, WHAT, 6)?,
            })
        })
        .collect()
}
