//! Operator families and classes (`pg_opfamily`, `pg_opclass`) with their
//! members (`pg_amop`, `pg_amproc`): a member made by `CREATE OPERATOR
//! CLASS` belongs to the class, one added by `ALTER OPERATOR FAMILY` to
//! the family.

use super::{get, not_extension_member, query, CatalogError, Oid, USER_NAMESPACE};

/// An `OPERATOR n op(left,right)` or `FUNCTION n (left, right) f(args)` item.
#[derive(Debug, Clone, PartialEq)]
pub struct OpMember {
    /// The class it belongs to, or 0 for a loose member of the family.
    pub opclass: Oid,
    pub family: Oid,
    /// The item, as `CREATE OPERATOR CLASS` / `ALTER OPERATOR FAMILY ADD` take it.
    pub item: String,
    /// The operator or function it names.
    pub uses: Oid,
    /// Whether `uses` is an operator (else a function).
    pub is_operator: bool,
}

/// One operator family or class.
#[derive(Debug, Clone, PartialEq)]
pub struct OpFamily {
    pub oid: Oid,
    pub schema: String,
    pub name: String,
    pub owner: String,
    /// Access method name (`btree`, `hash`, ...).
    pub method: String,
}

/// One operator class.
#[derive(Debug, Clone, PartialEq)]
pub struct OpClass {
    pub oid: Oid,
    pub schema: String,
    pub name: String,
    pub owner: String,
    pub method: String,
    pub is_default: bool,
    /// `FOR TYPE`.
    pub for_type: String,
    /// Qualified, quoted family name.
    pub family: String,
    pub family_oid: Oid,
    /// `STORAGE` type, when it differs from the indexed type.
    pub storage: Option<String>,
}

/// Families, classes and their members.
pub type OpClasses = (Vec<OpFamily>, Vec<OpClass>, Vec<OpMember>);

pub(super) async fn load(client: &tokio_postgres::Client) -> Result<OpClasses, CatalogError> {
    const WHAT: &str = "operator families and classes";
    let sql = format!(
        "SELECT f.oid, n.nspname::text, f.opfname::text, pg_catalog.pg_get_userbyid(f.opfowner)::text, \
          a.amname::text \
         FROM pg_catalog.pg_opfamily f JOIN pg_catalog.pg_namespace n ON n.oid = f.opfnamespace \
         JOIN pg_catalog.pg_am a ON a.oid = f.opfmethod \
         WHERE {USER_NAMESPACE} AND {} ORDER BY n.nspname, f.opfname, a.amname",
        not_extension_member("pg_opfamily", "f.oid")
    );
    let mut families = Vec::new();
    for r in query(client, WHAT, &sql).await? {
        families.push(OpFamily {
            oid: get(&r, WHAT, 0)?,
            schema: get(&r, WHAT, 1)?,
            name: get(&r, WHAT, 2)?,
            owner: get(&r, WHAT, 3)?,
            method: get(&r, WHAT, 4)?,
        });
    }
    if families.is_empty() {
        return Ok((families, Vec::new(), Vec::new()));
    }
    let sql = format!(
        "SELECT c.oid, n.nspname::text, c.opcname::text, pg_catalog.pg_get_userbyid(c.opcowner)::text, \
          a.amname::text, c.opcdefault, pg_catalog.format_type(c.opcintype, NULL), \
          pg_catalog.format('%I.%I', fn.nspname, f.opfname), c.opcfamily, \
          CASE WHEN c.opckeytype <> 0 THEN pg_catalog.format_type(c.opckeytype, NULL) END \
         FROM pg_catalog.pg_opclass c JOIN pg_catalog.pg_namespace n ON n.oid = c.opcnamespace \
         JOIN pg_catalog.pg_am a ON a.oid = c.opcmethod \
         JOIN pg_catalog.pg_opfamily f ON f.oid = c.opcfamily \
         JOIN pg_catalog.pg_namespace fn ON fn.oid = f.opfnamespace \
         WHERE {USER_NAMESPACE} AND {} ORDER BY n.nspname, c.opcname, a.amname",
        not_extension_member("pg_opclass", "c.oid")
    );
    let mut classes = Vec::new();
    for r in query(client, WHAT, &sql).await? {
        classes.push(OpClass {
            oid: get(&r, WHAT, 0)?,
            schema: get(&r, WHAT, 1)?,
            name: get(&r, WHAT, 2)?,
            owner: get(&r, WHAT, 3)?,
            method: get(&r, WHAT, 4)?,
            is_default: get(&r, WHAT, 5)?,
            for_type: get(&r, WHAT, 6)?,
            family: get(&r, WHAT, 7)?,
            family_oid: get(&r, WHAT, 8)?,
            storage: get(&r, WHAT, 9)?,
        });
    }
    let fams: Vec<Oid> = families.iter().map(|f| f.oid).collect();
    let owner_class = |catalog: &str, alias: &str| {
        format!(
            "COALESCE((SELECT d.refobjid FROM pg_catalog.pg_depend d \
              WHERE d.classid = 'pg_catalog.{catalog}'::pg_catalog.regclass AND d.objid = {alias}.oid \
              AND d.refclassid = 'pg_catalog.pg_opclass'::pg_catalog.regclass), 0::pg_catalog.oid)"
        )
    };
    let sql = format!(
        "SELECT {op_class}, o.amopfamily, 'OPERATOR ' || o.amopstrategy || ' ' || \
            o.amopopr::pg_catalog.regoperator::text || \
            CASE WHEN o.amoppurpose = 's' THEN '' ELSE ' FOR ORDER BY ' || \
              (SELECT pg_catalog.format('%I.%I', sn.nspname, sf.opfname) FROM pg_catalog.pg_opfamily sf \
               JOIN pg_catalog.pg_namespace sn ON sn.oid = sf.opfnamespace WHERE sf.oid = o.amopsortfamily) END, \
          o.amopopr, true, o.amopstrategy::int4 \
         FROM pg_catalog.pg_amop o WHERE o.amopfamily = ANY($1) \
         UNION ALL \
         SELECT {proc_class}, p.amprocfamily, 'FUNCTION ' || p.amprocnum || ' (' || \
            pg_catalog.format_type(p.amproclefttype, NULL) || ', ' || \
            pg_catalog.format_type(p.amprocrighttype, NULL) || ') ' || p.amproc::pg_catalog.regprocedure::text, \
          p.amproc, false, p.amprocnum::int4 \
         FROM pg_catalog.pg_amproc p WHERE p.amprocfamily = ANY($1) \
         ORDER BY 2, 1, 5 DESC, 6, 3",
        op_class = owner_class("pg_amop", "o"),
        proc_class = owner_class("pg_amproc", "p"),
    );
    let rows = client
        .query(&sql, &[&fams])
        .await
        .map_err(|e| CatalogError::query(WHAT, e))?;
    let mut members = Vec::new();
    for r in &rows {
        members.push(OpMember {
            opclass: get(r, WHAT, 0)?,
            family: get(r, WHAT, 1)?,
            item: get(r, WHAT, 2)?,
            uses: get(r, WHAT, 3)?,
            is_operator: get(r, WHAT, 4)?,
        });
    }
    Ok((families, classes, members))
}
