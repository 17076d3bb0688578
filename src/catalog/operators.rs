//! User operators (`pg_operator`; not the shells a commutator or negator
//! leaves behind, which `CREATE OPERATOR` makes again).

use super::{get, not_extension_member, query, regproc_or_null, CatalogError, Oid, USER_NAMESPACE};

/// One `CREATE OPERATOR`; names as the server prints them with an empty
/// `search_path`.
#[derive(Debug, Clone, PartialEq)]
pub struct Operator {
    pub oid: Oid,
    pub schema: String,
    pub name: String,
    pub owner: String,
    /// Left and right operand types (`NONE` for a prefix operator's left).
    pub left: Option<String>,
    pub right: Option<String>,
    /// `NAME = value` options of `CREATE OPERATOR`.
    pub options: Vec<String>,
}

pub(super) async fn load(client: &tokio_postgres::Client) -> Result<Vec<Operator>, CatalogError> {
    const WHAT: &str = "operators";
    let other = |col: &str| {
        format!(
            "(SELECT pg_catalog.format('OPERATOR(%I.%s)', on2.nspname, o2.oprname) \
              FROM pg_catalog.pg_operator o2 JOIN pg_catalog.pg_namespace on2 ON on2.oid = o2.oprnamespace \
              WHERE o2.oid = o.{col})"
        )
    };
    let func = |col: &str| regproc_or_null(&format!("o.{col}"));
    let sql = format!(
        "SELECT o.oid, n.nspname::text, o.oprname::text, pg_catalog.pg_get_userbyid(o.oprowner)::text, \
          CASE WHEN o.oprleft <> 0 THEN pg_catalog.format_type(o.oprleft, NULL) END, \
          CASE WHEN o.oprright <> 0 THEN pg_catalog.format_type(o.oprright, NULL) END, \
          {code}, {com}, {neg}, {rest}, {join}, o.oprcanhash, o.oprcanmerge \
         FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace \
         WHERE {USER_NAMESPACE} AND o.oprcode <> 0 AND {} ORDER BY n.nspname, o.oprname, o.oid",
        not_extension_member("pg_operator", "o.oid"),
        code = func("oprcode"),
        com = other("oprcom"),
        neg = other("oprnegate"),
        rest = func("oprrest"),
        join = func("oprjoin"),
    );
    let rows = query(client, WHAT, &sql).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let left: Option<String> = get(r, WHAT, 4)?;
        let right: Option<String> = get(r, WHAT, 5)?;
        let mut o = Vec::new();
        let keys = [
            (6, "FUNCTION"),
            (7, "COMMUTATOR"),
            (8, "NEGATOR"),
            (9, "RESTRICT"),
            (10, "JOIN"),
        ];
        for (i, key) in keys {
            if let Some(v) = get::<Option<String>>(r, WHAT, i)? {
                o.push(format!("{key} = {v}"));
            }
            if i == 6 {
                if let Some(l) = &left {
                    o.push(format!("LEFTARG = {l}"));
                }
                if let Some(rt) = &right {
                    o.push(format!("RIGHTARG = {rt}"));
                }
            }
        }
        if get::<bool>(r, WHAT, 11)? {
            o.push("HASHES".to_owned());
        }
        if get::<bool>(r, WHAT, 12)? {
            o.push("MERGES".to_owned());
        }
        out.push(Operator {
            oid: get(r, WHAT, 0)?,
            schema: get(r, WHAT, 1)?,
            name: get(r, WHAT, 2)?,
            owner: get(r, WHAT, 3)?,
            left,
            right,
            options: o,
        });
    }
    Ok(out)
}
