//! Comments (`pg_description`) on the user objects we model.

use super::{get, query, CatalogError, ObjClass, ObjRef, FIRST_NORMAL_OID};

/// One `COMMENT ON`.
#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    pub obj: ObjRef,
    /// Column number for a comment on a column, else 0.
    pub column: i32,
    pub text: String,
}

pub(super) async fn load(client: &tokio_postgres::Client) -> Result<Vec<Comment>, CatalogError> {
    const WHAT: &str = "comments";
    let sql = format!(
        "SELECT d.classoid, d.objoid, d.objsubid, d.description \
         FROM pg_catalog.pg_description d \
         WHERE d.objoid >= {FIRST_NORMAL_OID} \
         ORDER BY d.classoid, d.objoid, d.objsubid"
    );
    let mut out = Vec::new();
    for r in query(client, WHAT, &sql).await? {
        if let Some(class) = ObjClass::from_catalog_oid(get(&r, WHAT, 0)?) {
            out.push(Comment {
                obj: ObjRef {
                    class,
                    oid: get(&r, WHAT, 1)?,
                },
                column: get(&r, WHAT, 2)?,
                text: get(&r, WHAT, 3)?,
            });
        }
    }
    Ok(out)
}
