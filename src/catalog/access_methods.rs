//! User access methods (`pg_am`, `CREATE ACCESS METHOD`).

use super::{get, not_extension_member, query, CatalogError, Oid, FIRST_NORMAL_OID};

/// One `CREATE ACCESS METHOD`.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessMethod {
    pub oid: Oid,
    pub name: String,
    /// `TABLE` or `INDEX`.
    pub kind: &'static str,
    /// The handler function, qualified where needed.
    pub handler: String,
}

pub(super) async fn load(
    client: &tokio_postgres::Client,
) -> Result<Vec<AccessMethod>, CatalogError> {
    const WHAT: &str = "access methods";
    let sql = format!(
        "SELECT a.oid, a.amname::text, a.amtype::text, a.amhandler::pg_catalog.regproc::text \
         FROM pg_catalog.pg_am a WHERE a.oid >= {FIRST_NORMAL_OID} AND {} ORDER BY a.amname",
        not_extension_member("pg_am", "a.oid")
    );
    query(client, WHAT, &sql)
        .await?
        .iter()
        .map(|r| {
            let kind: String = get(r, WHAT, 2)?;
            Ok(AccessMethod {
                oid: get(r, WHAT, 0)?,
                name: get(r, WHAT, 1)?,
                kind: if kind == "t" { "TABLE" } else { "INDEX" },
                handler: get(r, WHAT, 3)?,
            })
        })
        .collect()
}
