//! Transforms (`pg_transform`, `CREATE TRANSFORM`).

use super::{get, not_extension_member, query, CatalogError, Oid, FIRST_NORMAL_OID};

/// One `CREATE TRANSFORM`.
#[derive(Debug, Clone, PartialEq)]
pub struct Transform {
    pub oid: Oid,
    /// `FOR type LANGUAGE lang`.
    pub target: String,
    /// `FROM SQL WITH FUNCTION ...` and `TO SQL WITH FUNCTION ...`, as present.
    pub functions: Vec<String>,
}

pub(super) async fn load(client: &tokio_postgres::Client) -> Result<Vec<Transform>, CatalogError> {
    const WHAT: &str = "transforms";
    let sql = format!(
        "SELECT t.oid, 'FOR ' || pg_catalog.format_type(t.trftype, NULL) || ' LANGUAGE ' || \
           pg_catalog.quote_ident(l.lanname), \
           ARRAY_REMOVE(ARRAY[ \
             CASE WHEN t.trffromsql <> 0 THEN 'FROM SQL WITH FUNCTION ' || t.trffromsql::pg_catalog.regprocedure::text END, \
             CASE WHEN t.trftosql <> 0 THEN 'TO SQL WITH FUNCTION ' || t.trftosql::pg_catalog.regprocedure::text END], NULL) \
         FROM pg_catalog.pg_transform t JOIN pg_catalog.pg_language l ON l.oid = t.trflang \
         WHERE t.oid >= {FIRST_NORMAL_OID} AND {} ORDER BY 2",
        not_extension_member("pg_transform", "t.oid")
    );
    query(client, WHAT, &sql)
        .await?
        .iter()
        .map(|r| {
            Ok(Transform {
                oid: get(r, WHAT, 0)?,
                target: get(r, WHAT, 1)?,
                functions: get(r, WHAT, 2)?,
            })
        })
        .collect()
}
