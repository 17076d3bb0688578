//! Procedural languages made with `CREATE LANGUAGE` (not by an extension)
//! and encoding conversions made with `CREATE CONVERSION`.

use super::{
    get, not_extension_member, query, CatalogError, Oid, FIRST_NORMAL_OID, USER_NAMESPACE,
};

/// One language or conversion, with its `CREATE` statement.
#[derive(Debug, Clone, PartialEq)]
pub struct LanguageOrConversion {
    pub oid: Oid,
    /// `true` for a conversion (in a schema), `false` for a language.
    pub conversion: bool,
    pub schema: Option<String>,
    pub name: String,
    pub owner: String,
    pub definition: String,
}

pub(super) async fn load(
    client: &tokio_postgres::Client,
) -> Result<Vec<LanguageOrConversion>, CatalogError> {
    const WHAT: &str = "languages and conversions";
    let sql = format!(
        "SELECT l.oid, false, NULL::text, l.lanname::text, pg_catalog.pg_get_userbyid(l.lanowner)::text, \
           'CREATE ' || CASE WHEN l.lanpltrusted THEN 'TRUSTED ' ELSE '' END || 'PROCEDURAL LANGUAGE ' || \
           pg_catalog.quote_ident(l.lanname) || ' HANDLER ' || l.lanplcallfoid::pg_catalog.regproc::text || \
           CASE WHEN l.laninline <> 0 THEN ' INLINE ' || l.laninline::pg_catalog.regproc::text ELSE '' END || \
           CASE WHEN l.lanvalidator <> 0 THEN ' VALIDATOR ' || l.lanvalidator::pg_catalog.regproc::text ELSE '' END \
         FROM pg_catalog.pg_language l WHERE l.oid >= {FIRST_NORMAL_OID} AND l.lanispl AND {lang} \
         UNION ALL \
         SELECT c.oid, true, n.nspname::text, c.conname::text, pg_catalog.pg_get_userbyid(c.conowner)::text, \
           'CREATE ' || CASE WHEN c.condefault THEN 'DEFAULT ' ELSE '' END || 'CONVERSION ' || \
           pg_catalog.format('%I.%I', n.nspname, c.conname) || ' FOR ' || \
           pg_catalog.quote_literal(pg_catalog.pg_encoding_to_char(c.conforencoding)) || ' TO ' || \
           pg_catalog.quote_literal(pg_catalog.pg_encoding_to_char(c.contoencoding)) || ' FROM ' || \
           c.conproc::pg_catalog.regproc::text \
         FROM pg_catalog.pg_conversion c JOIN pg_catalog.pg_namespace n ON n.oid = c.connamespace \
         WHERE c.oid >= {FIRST_NORMAL_OID} AND {USER_NAMESPACE} AND {conv} \
         ORDER BY 2, 3, 4",
        lang = not_extension_member("pg_language", "l.oid"),
        conv = not_extension_member("pg_conversion", "c.oid"),
    );
    query(client, WHAT, &sql)
        .await?
        .iter()
        .map(|r| {
            Ok(LanguageOrConversion {
                oid: get(r, WHAT, 0)?,
                conversion: get(r, WHAT, 1)?,
                schema: get(r, WHAT, 2)?,
                name: get(r, WHAT, 3)?,
                owner: get(r, WHAT, 4)?,
                definition: get(r, WHAT, 5)?,
            })
        })
        .collect()
}
