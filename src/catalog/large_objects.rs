//! Large objects (`pg_largeobject_metadata`): which exist and who owns
//! them. Their privileges are read with every other ACL (`acls`), their
//! comments with every other comment, their contents by the backup.

use super::{get, query, CatalogError, Oid};

/// One large object.
#[derive(Debug, Clone, PartialEq)]
pub struct LargeObject {
    pub oid: Oid,
    pub owner: String,
}

pub(super) async fn load(
    client: &tokio_postgres::Client,
) -> Result<Vec<LargeObject>, CatalogError> {
    const WHAT: &str = "large objects";
    let sql = "SELECT m.oid, pg_catalog.pg_get_userbyid(m.lomowner)::text \
               FROM pg_catalog.pg_largeobject_metadata m ORDER BY m.oid";
    query(client, WHAT, sql)
        .await?
        .iter()
        .map(|r| {
            Ok(LargeObject {
                oid: get(r, WHAT, 0)?,
                owner: get(r, WHAT, 1)?,
            })
        })
        .collect()
}
