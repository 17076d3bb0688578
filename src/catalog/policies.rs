//! Row-level security policies (`pg_policy`).

use super::{get, query, CatalogError, Oid};

/// One `CREATE POLICY`.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub oid: Oid,
    pub table: Oid,
    pub name: String,
    /// `polcmd`: r (SELECT), a (INSERT), w (UPDATE), d (DELETE), * (ALL).
    pub command: char,
    pub permissive: bool,
    /// Quoted role names (`PUBLIC` for the public pseudo-role), in catalog order.
    pub roles: Vec<String>,
    pub using: Option<String>,
    pub with_check: Option<String>,
}

pub(super) async fn load(client: &tokio_postgres::Client) -> Result<Vec<Policy>, CatalogError> {
    const WHAT: &str = "policies";
    let sql = "SELECT p.oid, p.polrelid, p.polname::text, p.polcmd::text, p.polpermissive, \
                ARRAY(SELECT CASE WHEN r.r = 0 THEN 'PUBLIC' \
                       ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(r.r)) END \
                      FROM pg_catalog.unnest(p.polroles) WITH ORDINALITY r(r, i) ORDER BY r.i), \
                pg_catalog.pg_get_expr(p.polqual, p.polrelid), \
                pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) \
               FROM pg_catalog.pg_policy p ORDER BY p.polrelid, p.polname";
    query(client, WHAT, sql)
        .await?
        .iter()
        .map(|r| {
            let cmd: String = get(r, WHAT, 3)?;
            Ok(Policy {
                oid: get(r, WHAT, 0)?,
                table: get(r, WHAT, 1)?,
                name: get(r, WHAT, 2)?,
                command: cmd.chars().next().unwrap_or('*'),
                permissive: get(r, WHAT, 4)?,
                roles: get(r, WHAT, 5)?,
                using: get(r, WHAT, 6)?,
                with_check: get(r, WHAT, 7)?,
            })
        })
        .collect()
}
