//! Functions, procedures and window functions (`pg_proc`, `prokind` f, p
//! and w; aggregates are `aggregates`'). Functions the server made itself
//! (range constructors: an internal dependency on their type) are skipped.

use super::{get, not_extension_member, query, CatalogError, Oid, USER_NAMESPACE};

/// One plain function or procedure.
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    pub oid: Oid,
    pub schema: String,
    pub name: String,
    pub owner: String,
    pub is_procedure: bool,
    /// `pg_get_function_identity_arguments`: the argument list that names it.
    pub identity_args: String,
    /// `pg_get_functiondef`: a complete `CREATE OR REPLACE` statement, no final `;`.
    pub definition: String,
}

pub(super) async fn load(client: &tokio_postgres::Client) -> Result<Vec<Function>, CatalogError> {
    const WHAT: &str = "functions";
    let sql = format!(
        "SELECT p.oid, n.nspname::text, p.proname::text, pg_catalog.pg_get_userbyid(p.proowner)::text, \
          p.prokind = 'p', pg_catalog.pg_get_function_identity_arguments(p.oid), \
          pg_catalog.pg_get_functiondef(p.oid) \
         FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace \
         WHERE {USER_NAMESPACE} AND p.prokind IN ('f', 'p', 'w') AND {} \
          AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend i \
            WHERE i.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND i.objid = p.oid \
            AND i.deptype = 'i') \
         ORDER BY n.nspname, p.proname, p.oid",
        not_extension_member("pg_proc", "p.oid")
    );
    query(client, WHAT, &sql)
        .await?
        .iter()
        .map(|r| {
            Ok(Function {
                oid: get(r, WHAT, 0)?,
                schema: get(r, WHAT, 1)?,
                name: get(r, WHAT, 2)?,
                owner: get(r, WHAT, 3)?,
                is_procedure: get(r, WHAT, 4)?,
                identity_args: get(r, WHAT, 5)?,
                definition: get(r, WHAT, 6)?,
            })
        })
        .collect()
}
