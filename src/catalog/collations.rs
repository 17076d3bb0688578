//! User collations (`pg_collation`). Columns that differ between server
//! versions (`colliculocale` in 15–16, `colllocale` from 17, ICU rules from
//! 16) are read through `to_jsonb`, so one query serves every version.

use super::{get, not_extension_member, query, CatalogError, Oid, USER_NAMESPACE};

/// One `CREATE COLLATION`.
#[derive(Debug, Clone, PartialEq)]
pub struct Collation {
    pub oid: Oid,
    pub schema: String,
    pub name: String,
    pub owner: String,
    /// `collprovider`: c (libc), i (icu), b (builtin), d (database default).
    pub provider: char,
    pub deterministic: bool,
    pub collate: Option<String>,
    pub ctype: Option<String>,
    /// The ICU or builtin locale.
    pub locale: Option<String>,
    /// ICU tailoring rules (16+).
    pub rules: Option<String>,
}

pub(super) async fn load(client: &tokio_postgres::Client) -> Result<Vec<Collation>, CatalogError> {
    const WHAT: &str = "collations";
    let sql = format!(
        "SELECT c.oid, n.nspname::text, c.collname::text, pg_catalog.pg_get_userbyid(c.collowner)::text, \
          c.collprovider::text, c.collisdeterministic, \
          pg_catalog.to_jsonb(c.*) ->> 'collcollate', pg_catalog.to_jsonb(c.*) ->> 'collctype', \
          COALESCE(pg_catalog.to_jsonb(c.*) ->> 'colllocale', pg_catalog.to_jsonb(c.*) ->> 'colliculocale'), \
          pg_catalog.to_jsonb(c.*) ->> 'collicurules' \
         FROM pg_catalog.pg_collation c JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace \
         WHERE {USER_NAMESPACE} AND {} ORDER BY n.nspname, c.collname",
        not_extension_member("pg_collation", "c.oid")
    );
    query(client, WHAT, &sql)
        .await?
        .iter()
        .map(|r| {
            let provider: String = get(r, WHAT, 4)?;
            Ok(Collation {
                oid: get(r, WHAT, 0)?,
                schema: get(r, WHAT, 1)?,
                name: get(r, WHAT, 2)?,
                owner: get(r, WHAT, 3)?,
                provider: provider.chars().next().unwrap_or('c'),
                deterministic: get(r, WHAT, 5)?,
                collate: get(r, WHAT, 6)?,
                ctype: get(r, WHAT, 7)?,
                locale: get(r, WHAT, 8)?,
                rules: get(r, WHAT, 9)?,
            })
        })
        .collect()
}
