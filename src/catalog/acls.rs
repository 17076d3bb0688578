//! Privileges: the ACL of every object we dump that has one (`nspacl`,
//! `relacl`, `attacl`, `proacl`, `typacl`), each next to the ACL it is
//! compared with (what `pg_init_privs` recorded, else `acldefault`), and the
//! default privileges (`pg_default_acl`). The `public` schema is compared
//! with what a new database gives it from 15 on (its owner's default and
//! `USAGE` for `PUBLIC`), whatever the source version, so that its
//! privileges come out as they were in a newer target too.
//!
//! The server names each object (`pg_identify_object`), so the GRANTs built
//! from these rows need no naming logic of their own.

use super::{get, query, CatalogError, ObjClass, ObjRef, USER_NAMESPACE};

/// The privileges of one object, or of one column of a relation.
#[derive(Debug, Clone, PartialEq)]
pub struct Acl {
    pub obj: ObjRef,
    /// Column name for a column's privileges, else `None`.
    pub column: Option<String>,
    /// The word `GRANT ... ON` takes: `TABLE`, `SEQUENCE`, `FUNCTION`, ...
    pub word: String,
    /// The object's qualified, quoted name as `GRANT` takes it.
    pub target: String,
    pub owner: String,
    /// The object's ACL items (`aclitem` text form).
    pub acl: Vec<String>,
    /// The ACL a freshly created object has: the difference is what to restore.
    pub base: Vec<String>,
    /// A built-in object (in `pg_catalog`): never created by a restore,
    /// only its privileges changed.
    pub system: bool,
}

/// One `ALTER DEFAULT PRIVILEGES` row.
#[derive(Debug, Clone, PartialEq)]
pub struct DefaultAcl {
    pub role: String,
    /// `None`: for objects in every schema.
    pub schema: Option<String>,
    /// `defaclobjtype`: r(elation), S(equence), f(unction), T(ype), n(amespace).
    pub objtype: char,
    pub acl: Vec<String>,
    pub base: Vec<String>,
}

/// SQL condition: the namespace aliased `n` is `pg_catalog`, whose objects'
/// privileges are dumped where they differ from what `initdb` recorded.
const SYSTEM: &str = "n.nspname = 'pg_catalog'";

pub(super) async fn load(client: &tokio_postgres::Client) -> Result<Vec<Acl>, CatalogError> {
    const WHAT: &str = "privileges";
    // (catalog, alias, acl column, owner column, acldefault kind, word, extra join, filter)
    let init = |catalog: &str, alias: &str, sub: &str| {
        format!(
            "(SELECT ip.initprivs FROM pg_catalog.pg_init_privs ip \
              WHERE ip.classoid = 'pg_catalog.{catalog}'::pg_catalog.regclass \
              AND ip.objoid = {alias}.oid AND ip.objsubid = {sub})"
        )
    };
    let sql = format!(
        "SELECT 'pg_catalog.pg_namespace'::pg_catalog.regclass::pg_catalog.oid, n.oid, NULL::text, 'SCHEMA', \
           pg_catalog.quote_ident(n.nspname), pg_catalog.pg_get_userbyid(n.nspowner)::text, n.nspacl::text[], \
           CASE WHEN n.nspname = 'public' \
             THEN pg_catalog.acldefault('n', n.nspowner) || pg_catalog.makeaclitem(0, n.nspowner, 'USAGE', false) \
             ELSE COALESCE({ns_init}, pg_catalog.acldefault('n', n.nspowner)) END::text[] \
         FROM pg_catalog.pg_namespace n WHERE n.nspacl IS NOT NULL AND {USER_NAMESPACE} \
         UNION ALL \
         SELECT 'pg_catalog.pg_class'::pg_catalog.regclass::pg_catalog.oid, c.oid, NULL, \
           CASE c.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, \
           pg_catalog.format('%I.%I', n.nspname, c.relname), pg_catalog.pg_get_userbyid(c.relowner)::text, \
           c.relacl::text[], \
           COALESCE({rel_init}, pg_catalog.acldefault(CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END::\"char\", \
             c.relowner))::text[] \
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relacl IS NOT NULL AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND ({USER_NAMESPACE} OR {SYSTEM}) \
         UNION ALL \
         SELECT 'pg_catalog.pg_class'::pg_catalog.regclass::pg_catalog.oid, c.oid, a.attname::text, 'TABLE', \
           pg_catalog.format('%I.%I', n.nspname, c.relname), pg_catalog.pg_get_userbyid(c.relowner)::text, \
           a.attacl::text[], COALESCE((SELECT ip.initprivs FROM pg_catalog.pg_init_privs ip \
             WHERE ip.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND ip.objoid = c.oid \
             AND ip.objsubid = a.attnum), '{{}}')::text[] \
         FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped \
           AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND ({USER_NAMESPACE} OR {SYSTEM}) \
         UNION ALL \
         SELECT 'pg_catalog.pg_proc'::pg_catalog.regclass::pg_catalog.oid, p.oid, NULL, \
           CASE p.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END, \
           pg_catalog.format('%I.%I(%s)', n.nspname, p.proname, \
             pg_catalog.pg_get_function_identity_arguments(p.oid)), \
           pg_catalog.pg_get_userbyid(p.proowner)::text, p.proacl::text[], \
           COALESCE({proc_init}, pg_catalog.acldefault('f', p.proowner))::text[] \
         FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace \
         WHERE p.proacl IS NOT NULL AND ({USER_NAMESPACE} OR {SYSTEM}) \
         UNION ALL \
         SELECT 'pg_catalog.pg_type'::pg_catalog.regclass::pg_catalog.oid, t.oid, NULL, \
           CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, \
           pg_catalog.format('%I.%I', n.nspname, t.typname), pg_catalog.pg_get_userbyid(t.typowner)::text, \
           t.typacl::text[], COALESCE({type_init}, pg_catalog.acldefault('T', t.typowner))::text[] \
         FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace \
         WHERE t.typacl IS NOT NULL AND ({USER_NAMESPACE} OR {SYSTEM}) \
         UNION ALL \
         SELECT 'pg_catalog.pg_largeobject'::pg_catalog.regclass::pg_catalog.oid, m.oid, NULL, \
           'LARGE OBJECT', m.oid::text, pg_catalog.pg_get_userbyid(m.lomowner)::text, m.lomacl::text[], \
           pg_catalog.acldefault('L', m.lomowner)::text[] \
         FROM pg_catalog.pg_largeobject_metadata m WHERE m.lomacl IS NOT NULL \
         ORDER BY 1, 2, 3 NULLS FIRST",
        ns_init = init("pg_namespace", "n", "0"),
        rel_init = init("pg_class", "c", "0"),
        proc_init = init("pg_proc", "p", "0"),
        type_init = init("pg_type", "t", "0"),
    );
    let mut out = Vec::new();
    for r in query(client, WHAT, &sql).await? {
        let Some(class) = ObjClass::from_catalog_oid(get(&r, WHAT, 0)?) else {
            continue;
        };
        out.push(Acl {
            obj: ObjRef::new(class, get(&r, WHAT, 1)?),
            column: get(&r, WHAT, 2)?,
            word: get(&r, WHAT, 3)?,
            target: get(&r, WHAT, 4)?,
            owner: get(&r, WHAT, 5)?,
            acl: get(&r, WHAT, 6)?,
            base: get(&r, WHAT, 7)?,
            system: get::<String>(&r, WHAT, 4)?.starts_with("pg_catalog."),
        });
    }
    Ok(out)
}

pub(super) async fn load_defaults(
    client: &tokio_postgres::Client,
) -> Result<Vec<DefaultAcl>, CatalogError> {
    const WHAT: &str = "default privileges";
    let sql = "SELECT pg_catalog.pg_get_userbyid(d.defaclrole)::text, n.nspname::text, \
                d.defaclobjtype::text, d.defaclacl::text[], \
                CASE WHEN d.defaclnamespace = 0 THEN pg_catalog.acldefault( \
                  CASE WHEN d.defaclobjtype = 'S' THEN 's'::\"char\" ELSE d.defaclobjtype END, \
                  d.defaclrole)::text[] ELSE '{}'::text[] END \
               FROM pg_catalog.pg_default_acl d \
               LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace \
               ORDER BY 1, 2 NULLS FIRST, 3";
    query(client, WHAT, sql)
        .await?
        .iter()
        .map(|r| {
            let objtype: String = get(r, WHAT, 2)?;
            Ok(DefaultAcl {
                role: get(r, WHAT, 0)?,
                schema: get(r, WHAT, 1)?,
                objtype: objtype.chars().next().unwrap_or('r'),
                acl: get(r, WHAT, 3)?,
                base: get(r, WHAT, 4)?,
            })
        })
        .collect()
}
