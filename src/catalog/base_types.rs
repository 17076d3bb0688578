//! Base types made with `CREATE TYPE name (INPUT = ..., OUTPUT = ...)`
//! (`pg_type.typtype = 'b'`), not the array types the server makes for them.

use super::{get, not_extension_member, query, CatalogError, Oid, USER_NAMESPACE};

/// One base type; function and type names as the server prints them with
/// an empty `search_path`.
#[derive(Debug, Clone, PartialEq)]
pub struct BaseType {
    pub oid: Oid,
    pub schema: String,
    pub name: String,
    pub owner: String,
    /// `NAME = value` options of `CREATE TYPE`, defaults left out.
    pub options: Vec<String>,
    /// The I/O, typmod, analyze and subscript functions (they take or return
    /// the type: they are created against a shell type first).
    pub functions: Vec<Oid>,
}

/// Shell types never completed (`CREATE TYPE name;` alone): (oid, schema, name, owner).
pub(super) async fn load_shells(
    client: &tokio_postgres::Client,
) -> Result<Vec<(super::Oid, String, String, String)>, CatalogError> {
    const WHAT: &str = "shell types";
    let sql = format!(
        "SELECT t.oid, n.nspname::text, t.typname::text, pg_catalog.pg_get_userbyid(t.typowner)::text \
         FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace \
         WHERE t.typtype = 'p' AND t.oid >= {} AND {USER_NAMESPACE} AND {} \
         ORDER BY n.nspname, t.typname",
        super::FIRST_NORMAL_OID,
        not_extension_member("pg_type", "t.oid"),
    );
    query(client, WHAT, &sql)
        .await?
        .iter()
        .map(|r| {
            Ok((
                get(r, WHAT, 0)?,
                get(r, WHAT, 1)?,
                get(r, WHAT, 2)?,
                get(r, WHAT, 3)?,
            ))
        })
        .collect()
}

pub(super) async fn load(client: &tokio_postgres::Client) -> Result<Vec<BaseType>, CatalogError> {
    const WHAT: &str = "base types";
    let j = |col: &str| {
        format!("COALESCE((pg_catalog.to_jsonb(t.*) ->> '{col}')::pg_catalog.regproc::pg_catalog.oid, 0)")
    };
    let sql = format!(
        "SELECT t.oid, n.nspname::text, t.typname::text, pg_catalog.pg_get_userbyid(t.typowner)::text, \
          t.typlen, t.typbyval, t.typalign::text, t.typstorage::text, t.typcategory::text, \
          t.typispreferred, t.typdelim::text, pg_catalog.quote_literal(t.typdefault), \
          CASE WHEN t.typelem <> 0 THEN pg_catalog.format_type(t.typelem, NULL) END, \
          t.typcollation <> 0, \
          ARRAY[t.typinput::pg_catalog.oid, t.typoutput::pg_catalog.oid, t.typreceive::pg_catalog.oid, \
                t.typsend::pg_catalog.oid, t.typmodin::pg_catalog.oid, t.typmodout::pg_catalog.oid, \
                t.typanalyze::pg_catalog.oid, {sub}], \
          ARRAY[t.typinput::text, t.typoutput::text, t.typreceive::text, t.typsend::text, \
                t.typmodin::text, t.typmodout::text, t.typanalyze::text, {sub}::pg_catalog.regproc::text] \
         FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace \
         WHERE t.typtype = 'b' AND {USER_NAMESPACE} AND {} \
          AND NOT (t.typelem <> 0 AND t.typlen = -1 AND EXISTS (SELECT 1 FROM pg_catalog.pg_type e \
                   WHERE e.oid = t.typelem AND e.typarray = t.oid)) \
         ORDER BY n.nspname, t.typname",
        not_extension_member("pg_type", "t.oid"),
        sub = j("typsubscript"),
    );
    let rows = query(client, WHAT, &sql).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let len: i16 = get(r, WHAT, 4)?;
        let mut o = vec![format!(
            "INTERNALLENGTH = {}",
            if len == -1 {
                "variable".to_owned()
            } else {
                len.to_string()
            }
        )];
        let oids: Vec<Oid> = get(r, WHAT, 14)?;
        let names: Vec<String> = get(r, WHAT, 15)?;
        let keys = [
            "INPUT",
            "OUTPUT",
            "RECEIVE",
            "SEND",
            "TYPMOD_IN",
            "TYPMOD_OUT",
            "ANALYZE",
            "SUBSCRIPT",
        ];
        for ((key, oid), name) in keys.iter().zip(&oids).zip(&names) {
            if *oid != 0 {
                o.push(format!("{key} = {name}"));
            }
        }
        let category: String = get(r, WHAT, 8)?;
        if category != "U" {
            o.push(format!("CATEGORY = '{category}'"));
        }
        if get::<bool>(r, WHAT, 9)? {
            o.push("PREFERRED = true".to_owned());
        }
        if let Some(d) = get::<Option<String>>(r, WHAT, 11)? {
            o.push(format!("DEFAULT = {d}"));
        }
        if let Some(e) = get::<Option<String>>(r, WHAT, 12)? {
            o.push(format!("ELEMENT = {e}"));
        }
        let delim: String = get(r, WHAT, 10)?;
        if delim != "," {
            o.push(format!("DELIMITER = '{}'", delim.replace('\'', "''")));
        }
        let align: String = get(r, WHAT, 6)?;
        o.push(format!(
            "ALIGNMENT = {}",
            match align.as_str() {
                "c" => "char",
                "s" => "int2",
                "d" => "double",
                _ => "int4",
            }
        ));
        let storage: String = get(r, WHAT, 7)?;
        o.push(format!(
            "STORAGE = {}",
            match storage.as_str() {
                "e" => "external",
                "x" => "extended",
                "m" => "main",
                _ => "plain",
            }
        ));
        if get::<bool>(r, WHAT, 5)? {
            o.push("PASSEDBYVALUE".to_owned());
        }
        if get::<bool>(r, WHAT, 13)? {
            o.push("COLLATABLE = true".to_owned());
        }
        out.push(BaseType {
            oid: get(r, WHAT, 0)?,
            schema: get(r, WHAT, 1)?,
            name: get(r, WHAT, 2)?,
            owner: get(r, WHAT, 3)?,
            options: o,
            functions: oids.into_iter().filter(|&f| f != 0).collect(),
        });
    }
    Ok(out)
}
