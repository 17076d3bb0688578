//! Types (`pg_type`, `pg_enum`, `pg_range`, composite attributes): every type's
//! shape, for deciding whether binary COPY is safe, and the definitions of the
//! user types we recreate (enums, domains, standalone composites, ranges).

use super::{get, not_extension_member, query, CatalogError, Oid, USER_NAMESPACE};

/// The facts about one type (system or user) that binary-COPY safety needs.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeInfo {
    pub oid: Oid,
    /// `pg_type.typtype`: b(ase), c(omposite), d(omain), e(num), p(seudo), r(ange), m(ultirange).
    pub typtype: char,
    /// Element type if this is an array type, else 0.
    pub array_elem: Oid,
    /// Base type of a domain, else 0.
    pub domain_base: Oid,
    /// Subtype of a range type, else 0.
    pub range_subtype: Oid,
    /// The relation of a composite type (its table, view or standalone type), else 0.
    pub relid: Oid,
    /// Attribute types of a standalone composite type (`None` for other types,
    /// including the row types of tables and views).
    pub attr_types: Option<Vec<Oid>>,
    /// Whether the type has both binary send and receive functions.
    pub binary_io: bool,
}

/// What kind of user type a [`UserType`] is.
#[derive(Debug, Clone, PartialEq)]
pub enum UserTypeKind {
    /// Labels in sort order.
    Enum(Vec<String>),
    /// A domain: base type (formatted with its typmod), collation if it differs
    /// from the base type's, default expression, NOT NULL. Its CHECK
    /// constraints are in [`super::Catalog::constraints`].
    Domain {
        base: String,
        collation: Option<String>,
        default: Option<String>,
        not_null: bool,
    },
    /// A standalone composite type (`CREATE TYPE x AS (...)`).
    Composite(Vec<CompositeAttr>),
    /// A range type: its `CREATE TYPE ... AS RANGE` options as `name = value`
    /// (`subtype` first), and its multirange type (PostgreSQL 14+), else 0.
    Range {
        options: Vec<String>,
        multirange: Oid,
    },
}

/// One attribute of a composite type.
#[derive(Debug, Clone, PartialEq)]
pub struct CompositeAttr {
    pub num: i16,
    pub name: String,
    /// `format_type(atttypid, atttypmod)`.
    pub type_sql: String,
    /// Qualified, quoted collation name when it differs from the type's default.
    pub collation: Option<String>,
}

/// A user-defined type we recreate.
#[derive(Debug, Clone, PartialEq)]
pub struct UserType {
    pub oid: Oid,
    pub schema: String,
    pub name: String,
    pub owner: String,
    /// The `pg_class` row of a composite type, else 0 (comments on its columns use it).
    pub relid: Oid,
    pub kind: UserTypeKind,
}

/// SQL expression: the quoted, qualified name of collation `oid`.
pub(super) fn collation_name(oid: &str) -> String {
    format!(
        "(SELECT pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname) \
         FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace \
         WHERE co.oid = {oid})"
    )
}

pub(super) async fn load_all(
    client: &tokio_postgres::Client,
) -> Result<Vec<TypeInfo>, CatalogError> {
    const WHAT: &str = "types";
    let sql = "SELECT t.oid, t.typtype::text, \
                CASE WHEN t.typlen = -1 AND t.typelem <> 0 THEN t.typelem ELSE 0::pg_catalog.oid END, \
                t.typbasetype, COALESCE(r.rngsubtype, 0::pg_catalog.oid), t.typrelid, \
                CASE WHEN c.relkind = 'c' THEN ARRAY(SELECT a.atttypid FROM pg_catalog.pg_attribute a \
                     WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped \
                     ORDER BY a.attnum) END, \
                t.typsend::oid <> 0 AND t.typreceive::oid <> 0 \
               FROM pg_catalog.pg_type t \
               LEFT JOIN pg_catalog.pg_range r ON r.rngtypid = t.oid \
               LEFT JOIN pg_catalog.pg_class c ON c.oid = t.typrelid \
               ORDER BY t.oid";
    query(client, WHAT, sql)
        .await?
        .iter()
        .map(|r| {
            let typtype: String = get(r, WHAT, 1)?;
            Ok(TypeInfo {
                oid: get(r, WHAT, 0)?,
                typtype: typtype.chars().next().unwrap_or('b'),
                array_elem: get(r, WHAT, 2)?,
                domain_base: get(r, WHAT, 3)?,
                range_subtype: get(r, WHAT, 4)?,
                relid: get(r, WHAT, 5)?,
                attr_types: get(r, WHAT, 6)?,
                binary_io: get(r, WHAT, 7)?,
            })
        })
        .collect()
}

pub(super) async fn load_user(
    client: &tokio_postgres::Client,
) -> Result<Vec<UserType>, CatalogError> {
    const WHAT: &str = "user types";
    let sql = format!(
        "SELECT t.oid, n.nspname::text, t.typname::text, pg_catalog.pg_get_userbyid(t.typowner)::text, \
          t.typtype::text, t.typrelid, \
          ARRAY(SELECT e.enumlabel::text FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid \
                ORDER BY e.enumsortorder), \
          CASE WHEN t.typtype = 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod) END, \
          CASE WHEN t.typtype = 'd' AND t.typcollation <> bt.typcollation THEN {} END, \
          pg_catalog.pg_get_expr(t.typdefaultbin, 'pg_catalog.pg_type'::pg_catalog.regclass), \
          t.typnotnull, \
          ARRAY_REMOVE(ARRAY['subtype = ' || pg_catalog.format_type(r.rngsubtype, NULL), \
            'multirange_type_name = ' || (SELECT pg_catalog.format('%I.%I', mn.nspname, mt.typname) \
              FROM pg_catalog.pg_type mt JOIN pg_catalog.pg_namespace mn ON mn.oid = mt.typnamespace \
              WHERE mt.oid = (pg_catalog.to_jsonb(r.*) ->> 'rngmultitypid')::pg_catalog.oid), \
            'subtype_opclass = ' || (SELECT pg_catalog.format('%I.%I', opn.nspname, opc.opcname) \
              FROM pg_catalog.pg_opclass opc JOIN pg_catalog.pg_namespace opn ON opn.oid = opc.opcnamespace \
              WHERE opc.oid = r.rngsubopc AND NOT opc.opcdefault), \
            'collation = ' || {}, \
            'subtype_diff = ' || NULLIF(r.rngsubdiff::pg_catalog.oid, 0)::pg_catalog.regproc], NULL), \
          COALESCE((pg_catalog.to_jsonb(r.*) ->> 'rngmultitypid')::pg_catalog.oid, 0::pg_catalog.oid) \
         FROM pg_catalog.pg_type t \
         LEFT JOIN pg_catalog.pg_range r ON r.rngtypid = t.oid \
         JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace \
         LEFT JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype \
         LEFT JOIN pg_catalog.pg_class c ON c.oid = t.typrelid \
         WHERE {USER_NAMESPACE} AND (t.typtype IN ('e', 'd', 'r') OR c.relkind = 'c') AND {} \
         ORDER BY n.nspname, t.typname",
        collation_name("t.typcollation"),
        collation_name("NULLIF(r.rngcollation, 0)"),
        not_extension_member("pg_type", "t.oid")
    );
    let (rows, attrs) = tokio::try_join!(query(client, WHAT, &sql), load_composite_attrs(client))?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let typtype: String = get(r, WHAT, 4)?;
        let relid: Oid = get(r, WHAT, 5)?;
        let kind = match typtype.as_str() {
            "e" => UserTypeKind::Enum(get(r, WHAT, 6)?),
            "r" => UserTypeKind::Range {
                options: get(r, WHAT, 11)?,
                multirange: get(r, WHAT, 12)?,
            },
            "d" => UserTypeKind::Domain {
                base: get(r, WHAT, 7)?,
                collation: get(r, WHAT, 8)?,
                default: get(r, WHAT, 9)?,
                not_null: get(r, WHAT, 10)?,
            },
            _ => UserTypeKind::Composite(
                attrs
                    .iter()
                    .filter(|(rel, _)| *rel == relid)
                    .map(|(_, a)| a.clone())
                    .collect(),
            ),
        };
        out.push(UserType {
            oid: get(r, WHAT, 0)?,
            schema: get(r, WHAT, 1)?,
            name: get(r, WHAT, 2)?,
            owner: get(r, WHAT, 3)?,
            relid,
            kind,
        });
    }
    Ok(out)
}

async fn load_composite_attrs(
    client: &tokio_postgres::Client,
) -> Result<Vec<(Oid, CompositeAttr)>, CatalogError> {
    const WHAT: &str = "composite type attributes";
    let sql = format!(
        "SELECT a.attrelid, a.attnum, a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod), \
          CASE WHEN a.attcollation <> at.typcollation THEN {} END \
         FROM pg_catalog.pg_attribute a \
         JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_catalog.pg_type at ON at.oid = a.atttypid \
         WHERE c.relkind = 'c' AND {USER_NAMESPACE} AND a.attnum > 0 AND NOT a.attisdropped \
         ORDER BY a.attrelid, a.attnum",
        collation_name("a.attcollation")
    );
    query(client, WHAT, &sql)
        .await?
        .iter()
        .map(|r| {
            Ok((
                get(r, WHAT, 0)?,
                CompositeAttr {
                    num: get(r, WHAT, 1)?,
                    name: get(r, WHAT, 2)?,
                    type_sql: get(r, WHAT, 3)?,
                    collation: get(r, WHAT, 4)?,
                },
            ))
        })
        .collect()
}
