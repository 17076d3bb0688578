//! Extensions (`pg_extension`) and their member objects. Members are never
//! dumped themselves (`CREATE EXTENSION` makes them, at the version the
//! target server installs by default, as `pg_dump` does); an object that
//! depends on a member depends on the extension instead.

use super::{get, query, CatalogError, ObjClass, ObjRef, Oid, FIRST_NORMAL_OID};

/// One extension created after `initdb` (so not `plpgsql`).
#[derive(Debug, Clone, PartialEq)]
pub struct Extension {
    pub oid: Oid,
    pub name: String,
    pub schema: String,
}

/// A member object of an extension, in a catalog we model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExtensionMember {
    pub obj: ObjRef,
    pub extension: Oid,
}

pub(super) async fn load(client: &tokio_postgres::Client) -> Result<Vec<Extension>, CatalogError> {
    const WHAT: &str = "extensions";
    let sql = format!(
        "SELECT x.oid, x.extname::text, n.nspname::text \
         FROM pg_catalog.pg_extension x JOIN pg_catalog.pg_namespace n ON n.oid = x.extnamespace \
         WHERE x.oid >= {FIRST_NORMAL_OID} ORDER BY x.extname"
    );
    query(client, WHAT, &sql)
        .await?
        .iter()
        .map(|r| {
            Ok(Extension {
                oid: get(r, WHAT, 0)?,
                name: get(r, WHAT, 1)?,
                schema: get(r, WHAT, 2)?,
            })
        })
        .collect()
}

pub(super) async fn load_members(
    client: &tokio_postgres::Client,
) -> Result<Vec<ExtensionMember>, CatalogError> {
    const WHAT: &str = "extension members";
    let sql = format!(
        "SELECT d.classid, d.objid, d.refobjid FROM pg_catalog.pg_depend d \
         WHERE d.deptype = 'e' AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass \
          AND d.refobjid >= {FIRST_NORMAL_OID} AND d.objsubid = 0 \
         ORDER BY 1, 2"
    );
    let mut out = Vec::new();
    for r in query(client, WHAT, &sql).await? {
        if let Some(class) = ObjClass::from_catalog_oid(get(&r, WHAT, 0)?) {
            out.push(ExtensionMember {
                obj: ObjRef::new(class, get(&r, WHAT, 1)?),
                extension: get(&r, WHAT, 2)?,
            });
        }
    }
    Ok(out)
}
