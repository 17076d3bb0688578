//! Schemas (`pg_namespace`).

use super::{get, not_extension_member, query, CatalogError, Oid, USER_NAMESPACE};

/// One user schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Namespace {
    pub oid: Oid,
    pub name: String,
    pub owner: String,
}

impl Namespace {
    /// `public` exists in every new database: it is never created by a restore.
    pub fn is_public(&self) -> bool {
        self.name == "public"
    }
}

pub(super) async fn load(client: &tokio_postgres::Client) -> Result<Vec<Namespace>, CatalogError> {
    const WHAT: &str = "schemas";
    let sql = format!(
        "SELECT n.oid, n.nspname::text, pg_catalog.pg_get_userbyid(n.nspowner)::text \
         FROM pg_catalog.pg_namespace n WHERE {USER_NAMESPACE} AND {} ORDER BY n.nspname",
        not_extension_member("pg_namespace", "n.oid")
    );
    query(client, WHAT, &sql)
        .await?
        .iter()
        .map(|r| {
            Ok(Namespace {
                oid: get(r, WHAT, 0)?,
                name: get(r, WHAT, 1)?,
                owner: get(r, WHAT, 2)?,
            })
        })
        .collect()
}
