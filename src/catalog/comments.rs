//! Comments (`pg_description`) and security labels (`pg_seclabel`) on the
//! user objects we model.

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

/// One `SECURITY LABEL FOR provider ON ...`: from `pg_seclabel`, and from
/// `pg_shseclabel` for subscriptions (a shared catalog); the database's own
/// labels are in [`super::Database`].
#[derive(Debug, Clone, PartialEq)]
pub struct SecurityLabel {
    pub obj: ObjRef,
    /// Column number for a label on a column, else 0.
    pub column: i32,
    pub provider: String,
    pub label: String,
}

pub(super) async fn load_labels(
    client: &tokio_postgres::Client,
) -> Result<Vec<SecurityLabel>, CatalogError> {
    const WHAT: &str = "security labels";
    let sql = format!(
        "SELECT l.classoid, l.objoid, l.objsubid, l.provider, l.label \
         FROM pg_catalog.pg_seclabel l \
         WHERE l.objoid >= {FIRST_NORMAL_OID} \
         UNION ALL \
         SELECT l.classoid, l.objoid, 0, l.provider, l.label \
         FROM pg_catalog.pg_shseclabel l \
         WHERE l.classoid = 'pg_catalog.pg_subscription'::pg_catalog.regclass \
         ORDER BY 1, 2, 3, 4"
    );
    let mut out = Vec::new();
    for r in query(client, WHAT, &sql).await? {
        if let Some(class) = ObjClass::from_catalog_oid(get(&r, WHAT, 0)?) {
            out.push(SecurityLabel {
                obj: ObjRef {
                    class,
                    oid: get(&r, WHAT, 1)?,
                },
                column: get(&r, WHAT, 2)?,
                provider: get(&r, WHAT, 3)?,
                label: get(&r, WHAT, 4)?,
            });
        }
    }
    Ok(out)
}
