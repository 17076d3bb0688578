//! User-defined casts (`pg_cast` rows made by `CREATE CAST`; not the ones
//! a range type's multirange makes for itself).

use super::{get, not_extension_member, query, CatalogError, Oid, FIRST_NORMAL_OID};

/// One `CREATE CAST`.
#[derive(Debug, Clone, PartialEq)]
pub struct Cast {
    pub oid: Oid,
    pub source: String,
    pub target: String,
    /// `castfunc::regprocedure` for a cast with a function.
    pub function: Option<String>,
    /// `castmethod`: f(unction), b(inary coercible), i(nput/output).
    pub method: char,
    /// `castcontext`: e(xplicit), a(ssignment), i(mplicit).
    pub context: char,
}

pub(super) async fn load(client: &tokio_postgres::Client) -> Result<Vec<Cast>, CatalogError> {
    const WHAT: &str = "casts";
    let sql = format!(
        "SELECT c.oid, pg_catalog.format_type(c.castsource, NULL), pg_catalog.format_type(c.casttarget, NULL), \
          CASE WHEN c.castfunc <> 0 THEN c.castfunc::pg_catalog.regprocedure::text END, \
          c.castmethod::text, c.castcontext::text \
         FROM pg_catalog.pg_cast c WHERE c.oid >= {FIRST_NORMAL_OID} AND {} \
          AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend i \
            WHERE i.classid = 'pg_catalog.pg_cast'::pg_catalog.regclass AND i.objid = c.oid \
            AND i.deptype = 'i') \
         ORDER BY 2, 3",
        not_extension_member("pg_cast", "c.oid")
    );
    query(client, WHAT, &sql)
        .await?
        .iter()
        .map(|r| {
            let method: String = get(r, WHAT, 4)?;
            let context: String = get(r, WHAT, 5)?;
            Ok(Cast {
                oid: get(r, WHAT, 0)?,
                source: get(r, WHAT, 1)?,
                target: get(r, WHAT, 2)?,
                function: get(r, WHAT, 3)?,
                method: method.chars().next().unwrap_or('f'),
                context: context.chars().next().unwrap_or('e'),
            })
        })
        .collect()
}
