//! Tables, partitioned tables, views and materialized views (`pg_class`), with
//! their columns (`pg_attribute`, `pg_attrdef`), partitioning and inheritance.

use super::types::collation_name;
use super::{get, not_extension_member, query, CatalogError, Oid, USER_NAMESPACE};

/// Which kind of relation (`pg_class.relkind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelKind {
    Table,
    PartitionedTable,
    View,
    MaterializedView,
    ForeignTable,
}

/// One column (not dropped).
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub num: i16,
    pub name: String,
    pub type_oid: Oid,
    /// `format_type(atttypid, atttypmod)`.
    pub type_sql: String,
    /// Qualified, quoted collation when it differs from the type's default.
    pub collation: Option<String>,
    pub not_null: bool,
    /// The NOT NULL constraint's name (18+, where it is a catalog entry).
    pub not_null_name: Option<String>,
    /// `NO INHERIT` (18+).
    pub not_null_no_inherit: bool,
    /// The NOT NULL is the table's own, not only inherited. Before 18 there
    /// is no record of that: as pg_dump, a NOT NULL that a parent has too
    /// counts as inherited.
    pub not_null_local: bool,
    /// `pg_get_expr(adbin)`: the default, or the generation expression.
    pub default: Option<String>,
    /// `GENERATED ALWAYS AS (default) STORED` (or `VIRTUAL`).
    pub generated: bool,
    /// A virtual generated column (18+): computed when read, not stored.
    pub virtual_generated: bool,
    /// `Some('a')` for `GENERATED ALWAYS AS IDENTITY`, `Some('d')` for `BY DEFAULT`.
    pub identity: Option<char>,
    /// Defined by the table itself (not only inherited from a parent).
    pub is_local: bool,
    /// `attstattarget` when set (not -1 / NULL).
    pub stat_target: Option<i32>,
    /// `attstorage` when it differs from the type's default: p, e, m or x.
    pub storage: Option<char>,
    /// `attcompression` when set (14+): p(glz) or l(z4).
    pub compression: Option<char>,
    /// `attoptions` as `name=value` strings.
    pub options: Vec<String>,
    /// A foreign table column's `OPTIONS (...)` clause.
    pub fdw_options: Option<String>,
}

/// One table, view or materialized view.
#[derive(Debug, Clone, PartialEq)]
pub struct Relation {
    pub oid: Oid,
    pub schema: String,
    pub name: String,
    pub owner: String,
    pub kind: RelKind,
    pub unlogged: bool,
    /// `reloptions` as `name=value` strings, then the TOAST table's as
    /// `toast.name=value`.
    pub options: Vec<String>,
    /// `pg_get_expr(relpartbound)` of a partition (`FOR VALUES ...` / `DEFAULT`).
    pub partition_bound: Option<String>,
    /// `pg_get_partkeydef` of a partitioned table (`RANGE (d)`).
    pub partition_key: Option<String>,
    /// `pg_get_viewdef` of a view or materialized view.
    pub view_def: Option<String>,
    /// A materialized view that holds data (needs a `REFRESH`).
    pub populated: bool,
    /// Parents (partitioned parent, or inheritance parents in `inhseqno` order).
    pub parents: Vec<Oid>,
    pub columns: Vec<Column>,
    /// `ENABLE ROW LEVEL SECURITY`.
    pub row_security: bool,
    /// `FORCE ROW LEVEL SECURITY`.
    pub force_row_security: bool,
    /// `relreplident`: d(efault), n(othing), f(ull), i(ndex).
    pub replica_identity: char,
    /// Table access method when it is not `heap`.
    pub access_method: Option<String>,
    /// The composite type of a typed table (`CREATE TABLE ... OF type`).
    pub of_type: Option<String>,
    /// A foreign table's `SERVER name [OPTIONS (...)]` clause.
    pub foreign: Option<String>,
    /// The tablespace, when not the database's default.
    pub tablespace: Option<String>,
}

/// SQL: `' OPTIONS (k ''v'', ...)'` from a `name=value` array, or `''`.
pub(super) fn fdw_options(col: &str) -> String {
    format!(
        "COALESCE(' OPTIONS (' || (SELECT pg_catalog.string_agg(pg_catalog.quote_ident( \
           pg_catalog.split_part(o, '=', 1)) || ' ' || pg_catalog.quote_literal( \
           pg_catalog.substr(o, pg_catalog.strpos(o, '=') + 1)), ', ' ORDER BY i) \
         FROM pg_catalog.unnest({col}) WITH ORDINALITY u(o, i)) || ')', '')"
    )
}

/// Relations with their columns; the two queries run concurrently on `client`
/// and `columns_client` (which may be the same connection).
/// The relations, without their columns (see [`load_columns`] and [`attach_columns`]).
pub(super) async fn load(client: &tokio_postgres::Client) -> Result<Vec<Relation>, CatalogError> {
    const WHAT: &str = "tables and views";
    let sql = format!(
        "SELECT c.oid, n.nspname::text, c.relname::text, pg_catalog.pg_get_userbyid(c.relowner)::text, \
          c.relkind::text, c.relpersistence = 'u', \
          COALESCE(c.reloptions, '{{}}'::text[]) || ARRAY(SELECT 'toast.' || o \
            FROM pg_catalog.pg_class tc, pg_catalog.unnest(tc.reloptions) o \
            WHERE tc.oid = c.reltoastrelid), \
          CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END, \
          CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END, \
          CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) END, \
          c.relispopulated, \
          ARRAY(SELECT i.inhparent FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid \
                ORDER BY i.inhseqno), \
          c.relrowsecurity, c.relforcerowsecurity, c.relreplident::text, \
          NULLIF(am.amname::text, 'heap'), \
          CASE WHEN c.reloftype <> 0 THEN pg_catalog.format_type(c.reloftype, NULL) END, \
          CASE WHEN c.relkind = 'f' THEN (SELECT 'SERVER ' || pg_catalog.quote_ident(s.srvname) || {ft_opts} \
             FROM pg_catalog.pg_foreign_table ft JOIN pg_catalog.pg_foreign_server s ON s.oid = ft.ftserver \
             WHERE ft.ftrelid = c.oid) END, \
          (SELECT t.spcname::text FROM pg_catalog.pg_tablespace t WHERE t.oid = c.reltablespace) \
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam AND c.relkind IN ('r', 'm') \
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {USER_NAMESPACE} AND {} \
         ORDER BY c.oid",
        not_extension_member("pg_class", "c.oid"),
        ft_opts = fdw_options("ft.ftoptions"),
    );
    let rows = query(client, WHAT, &sql).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let kind: String = get(r, WHAT, 4)?;
        out.push(Relation {
            oid: get(r, WHAT, 0)?,
            schema: get(r, WHAT, 1)?,
            name: get(r, WHAT, 2)?,
            owner: get(r, WHAT, 3)?,
            kind: match kind.as_str() {
                "p" => RelKind::PartitionedTable,
                "v" => RelKind::View,
                "m" => RelKind::MaterializedView,
                "f" => RelKind::ForeignTable,
                _ => RelKind::Table,
            },
            unlogged: get(r, WHAT, 5)?,
            options: get(r, WHAT, 6)?,
            partition_bound: get(r, WHAT, 7)?,
            partition_key: get(r, WHAT, 8)?,
            view_def: get(r, WHAT, 9)?,
            populated: get(r, WHAT, 10)?,
            parents: get(r, WHAT, 11)?,
            columns: Vec::new(),
            row_security: get(r, WHAT, 12)?,
            force_row_security: get(r, WHAT, 13)?,
            replica_identity: get::<String>(r, WHAT, 14)?.chars().next().unwrap_or('d'),
            access_method: get(r, WHAT, 15)?,
            of_type: get(r, WHAT, 16)?,
            foreign: get(r, WHAT, 17)?,
            tablespace: get(r, WHAT, 18)?,
        });
    }
    Ok(out)
}

/// Gives each relation its columns (both lists in relation oid order).
pub(super) fn attach_columns(
    rels: &mut [Relation],
    columns: Vec<(Oid, Column)>,
    server_version_num: i32,
) {
    let mut columns = columns.into_iter().peekable();
    for rel in rels.iter_mut() {
        while columns.next_if(|(oid, _)| *oid < rel.oid).is_some() {}
        while let Some((_, col)) = columns.next_if(|(oid, _)| *oid == rel.oid) {
            rel.columns.push(col);
        }
    }
    if server_version_num < 180_000 {
        inherited_not_nulls(rels);
    }
}

/// Before 18 there is no record of whether a NOT NULL is a table's own: as
/// pg_dump, one that a parent has too counts as inherited.
fn inherited_not_nulls(rels: &mut [Relation]) {
    let not_null: std::collections::HashMap<Oid, Vec<String>> = rels
        .iter()
        .map(|r| {
            let cols = r.columns.iter().filter(|c| c.not_null);
            (r.oid, cols.map(|c| c.name.clone()).collect())
        })
        .collect();
    for rel in rels {
        let parents: Vec<&Vec<String>> =
            rel.parents.iter().filter_map(|p| not_null.get(p)).collect();
        for col in rel.columns.iter_mut().filter(|c| c.not_null) {
            col.not_null_local = !parents.iter().any(|p| p.contains(&col.name));
        }
    }
}

pub(super) async fn load_columns(
    client: &tokio_postgres::Client,
    server_version_num: i32,
) -> Result<Vec<(Oid, Column)>, CatalogError> {
    const WHAT: &str = "columns";
    let sql = format!(
        "SELECT a.attrelid, a.attnum, a.attname::text, a.atttypid, \
          pg_catalog.format_type(a.atttypid, a.atttypmod), \
          CASE WHEN a.attcollation <> t.typcollation THEN {} END, \
          {attnotnull}, pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), a.attgenerated::text, \
          a.attidentity::text, a.attislocal, \
          NULLIF(COALESCE(a.attstattarget::int4, -1), -1), \
          CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage::text END, \
          {compression}, \
          COALESCE(a.attoptions, '{{}}'::text[]), \
          CASE WHEN a.attfdwoptions IS NOT NULL THEN NULLIF({col_opts}, '') END, \
          {not_null} \
         FROM pg_catalog.pg_attribute a \
         JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_catalog.pg_type t ON t.oid = a.atttypid \
         LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum \
         {not_null_join} \
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {USER_NAMESPACE} \
          AND a.attnum > 0 AND NOT a.attisdropped \
         ORDER BY a.attrelid, a.attnum",
        collation_name("a.attcollation"),
        col_opts = fdw_options("a.attfdwoptions"),
        // attcompression appeared in 14.
        compression = if server_version_num >= 140_000 {
            "NULLIF(a.attcompression::text, '')"
        } else {
            "NULL::text"
        },
        // NOT NULL constraints are catalog entries from 18 on; one not yet
        // validated is a constraint of its own (see `constraints`).
        attnotnull = if server_version_num >= 180_000 {
            "a.attnotnull AND COALESCE(nn.convalidated, true)"
        } else {
            "a.attnotnull"
        },
        not_null = if server_version_num >= 180_000 {
            "nn.conname::text, COALESCE(nn.conislocal, false), COALESCE(nn.connoinherit, false)"
        } else {
            // (Whether a parent has it too is worked out once all are read.)
            "NULL::text, a.attnotnull, false"
        },
        not_null_join = if server_version_num >= 180_000 {
            "LEFT JOIN pg_catalog.pg_constraint nn ON nn.conrelid = a.attrelid AND nn.contype = 'n' \
             AND nn.conkey[1] = a.attnum"
        } else {
            ""
        },
    );
    query(client, WHAT, &sql)
        .await?
        .iter()
        .map(|r| {
            let generated: String = get(r, WHAT, 8)?;
            let identity: String = get(r, WHAT, 9)?;
            Ok((
                get(r, WHAT, 0)?,
                Column {
                    num: get(r, WHAT, 1)?,
                    name: get(r, WHAT, 2)?,
                    type_oid: get(r, WHAT, 3)?,
                    type_sql: get(r, WHAT, 4)?,
                    collation: get(r, WHAT, 5)?,
                    not_null: get(r, WHAT, 6)?,
                    not_null_name: get(r, WHAT, 16)?,
                    not_null_local: get(r, WHAT, 17)?,
                    not_null_no_inherit: get(r, WHAT, 18)?,
                    default: get(r, WHAT, 7)?,
                    generated: !generated.is_empty(),
                    virtual_generated: generated == "v",
                    identity: identity.chars().next(),
                    is_local: get(r, WHAT, 10)?,
                    stat_target: get(r, WHAT, 11)?,
                    storage: get::<Option<String>>(r, WHAT, 12)?.and_then(|s| s.chars().next()),
                    compression: get::<Option<String>>(r, WHAT, 13)?.and_then(|s| s.chars().next()),
                    options: get(r, WHAT, 14)?,
                    fdw_options: get(r, WHAT, 15)?,
                },
            ))
        })
        .collect()
}
