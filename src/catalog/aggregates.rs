//! Aggregates (`pg_proc` with `prokind = 'a'`, and `pg_aggregate`):
//! plain, moving-aggregate, ordered-set and hypothetical-set ones.

use super::{get, not_extension_member, query, regproc_or_null, CatalogError, Oid, USER_NAMESPACE};

/// One `CREATE AGGREGATE`; function and type names are as the server
/// prints them with an empty `search_path` (qualified where needed).
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    pub oid: Oid,
    pub schema: String,
    pub name: String,
    pub owner: String,
    /// `pg_get_function_arguments`: with `ORDER BY` for ordered-set aggregates.
    pub args: String,
    /// `pg_get_function_identity_arguments`: the list that names it.
    pub identity_args: String,
    /// `NAME = value` options in `CREATE AGGREGATE` order, defaults left out.
    pub options: Vec<String>,
}

pub(super) async fn load(client: &tokio_postgres::Client) -> Result<Vec<Aggregate>, CatalogError> {
    const WHAT: &str = "aggregates";
    let func = |col: &str| regproc_or_null(&format!("a.{col}"));
    let sql = format!(
        "SELECT p.oid, n.nspname::text, p.proname::text, pg_catalog.pg_get_userbyid(p.proowner)::text, \
          pg_catalog.pg_get_function_arguments(p.oid), pg_catalog.pg_get_function_identity_arguments(p.oid), \
          a.aggkind::text, \
          a.aggtransfn::pg_catalog.regproc::text, pg_catalog.format_type(a.aggtranstype, NULL), \
          a.aggtransspace, {final_fn}, a.aggfinalextra, a.aggfinalmodify::text, {combine}, {serial}, {deserial}, \
          pg_catalog.quote_literal(a.agginitval), {mtrans}, {minv}, \
          CASE WHEN a.aggmtranstype <> 0 THEN pg_catalog.format_type(a.aggmtranstype, NULL) END, \
          a.aggmtransspace, {mfinal}, a.aggmfinalextra, a.aggmfinalmodify::text, pg_catalog.quote_literal(a.aggminitval), \
          (SELECT pg_catalog.format('OPERATOR(%I.%s)', opn.nspname, o.oprname) \
             FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace opn ON opn.oid = o.oprnamespace \
            WHERE o.oid = a.aggsortop), \
          p.proparallel::text \
         FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace \
         JOIN pg_catalog.pg_aggregate a ON a.aggfnoid = p.oid \
         WHERE {USER_NAMESPACE} AND {} ORDER BY n.nspname, p.proname, p.oid",
        not_extension_member("pg_proc", "p.oid"),
        final_fn = func("aggfinalfn"),
        combine = func("aggcombinefn"),
        serial = func("aggserialfn"),
        deserial = func("aggdeserialfn"),
        mtrans = func("aggmtransfn"),
        minv = func("aggminvtransfn"),
        mfinal = func("aggmfinalfn"),
    );
    let rows = query(client, WHAT, &sql).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let kind: String = get(r, WHAT, 6)?;
        let kind = kind.chars().next().unwrap_or('n');
        // FINALFUNC_MODIFY defaults: READ_ONLY for plain aggregates, READ_WRITE otherwise.
        let default_modify = if kind == 'n' { "r" } else { "w" };
        let modify = |m: String| match m.as_str() {
            m if m == default_modify => None,
            "r" => Some("READ_ONLY"),
            "s" => Some("SHAREABLE"),
            _ => Some("READ_WRITE"),
        };
        let mut o = Vec::new();
        let mut push = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                o.push(format!("{k} = {v}"));
            }
        };
        push("SFUNC", Some(get(r, WHAT, 7)?));
        push("STYPE", Some(get(r, WHAT, 8)?));
        let space: i32 = get(r, WHAT, 9)?;
        push("SSPACE", (space != 0).then(|| space.to_string()));
        push("FINALFUNC", get(r, WHAT, 10)?);
        let final_extra: bool = get(r, WHAT, 11)?;
        let final_modify = modify(get(r, WHAT, 12)?);
        push("COMBINEFUNC", get(r, WHAT, 13)?);
        push("SERIALFUNC", get(r, WHAT, 14)?);
        push("DESERIALFUNC", get(r, WHAT, 15)?);
        push("INITCOND", get(r, WHAT, 16)?);
        push("MSFUNC", get(r, WHAT, 17)?);
        push("MINVFUNC", get(r, WHAT, 18)?);
        push("MSTYPE", get(r, WHAT, 19)?);
        let mspace: i32 = get(r, WHAT, 20)?;
        push("MSSPACE", (mspace != 0).then(|| mspace.to_string()));
        push("MFINALFUNC", get(r, WHAT, 21)?);
        let mfinal_extra: bool = get(r, WHAT, 22)?;
        let mfinal_modify = modify(get(r, WHAT, 23)?);
        push("MINITCOND", get(r, WHAT, 24)?);
        push("SORTOP", get(r, WHAT, 25)?);
        let parallel: String = get(r, WHAT, 26)?;
        push(
            "PARALLEL",
            match parallel.as_str() {
                "s" => Some("SAFE".to_owned()),
                "r" => Some("RESTRICTED".to_owned()),
                _ => None,
            },
        );
        push("FINALFUNC_MODIFY", final_modify.map(str::to_owned));
        push("MFINALFUNC_MODIFY", mfinal_modify.map(str::to_owned));
        if final_extra {
            o.push("FINALFUNC_EXTRA".to_owned());
        }
        if mfinal_extra {
            o.push("MFINALFUNC_EXTRA".to_owned());
        }
        if kind == 'h' {
            o.push("HYPOTHETICAL".to_owned());
        }
        out.push(Aggregate {
            oid: get(r, WHAT, 0)?,
            schema: get(r, WHAT, 1)?,
            name: get(r, WHAT, 2)?,
            owner: get(r, WHAT, 3)?,
            args: get(r, WHAT, 4)?,
            identity_args: get(r, WHAT, 5)?,
            options: o,
        });
    }
    Ok(out)
}
