//! Foreign-data wrappers, foreign servers and user mappings
//! (`pg_foreign_data_wrapper`, `pg_foreign_server`, `pg_user_mappings`).

use super::relations::fdw_options as options;
use super::{get, not_extension_member, query, CatalogError, Oid, FIRST_NORMAL_OID};

/// What a `CREATE FOREIGN DATA WRAPPER`, `SERVER` or `USER MAPPING` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForeignKind {
    Wrapper,
    Server,
    UserMapping,
}

/// One foreign-data object, with the text of its `CREATE` statement
/// (names quoted, options as `OPTIONS (name 'value', ...)`).
#[derive(Debug, Clone, PartialEq)]
pub struct ForeignObject {
    pub kind: ForeignKind,
    pub oid: Oid,
    /// The object's name (a user mapping's: `role SERVER server`).
    pub name: String,
    pub owner: Option<String>,
    pub definition: String,
    /// The wrapper of a server, the server of a user mapping.
    pub parent: Oid,
}

pub(super) async fn load(
    client: &tokio_postgres::Client,
) -> Result<Vec<ForeignObject>, CatalogError> {
    const WHAT: &str = "foreign-data wrappers and servers";
    let sql = format!(
        "SELECT 'w', w.oid, w.fdwname::text, pg_catalog.pg_get_userbyid(w.fdwowner)::text, \
           'CREATE FOREIGN DATA WRAPPER ' || pg_catalog.quote_ident(w.fdwname) || \
           CASE WHEN w.fdwhandler <> 0 THEN ' HANDLER ' || w.fdwhandler::pg_catalog.regproc::text ELSE '' END || \
           CASE WHEN w.fdwvalidator <> 0 THEN ' VALIDATOR ' || w.fdwvalidator::pg_catalog.regproc::text ELSE '' END || \
           {w_opts}, 0::pg_catalog.oid \
         FROM pg_catalog.pg_foreign_data_wrapper w WHERE w.oid >= {FIRST_NORMAL_OID} AND {w_member} \
         UNION ALL \
         SELECT 's', s.oid, s.srvname::text, pg_catalog.pg_get_userbyid(s.srvowner)::text, \
           'CREATE SERVER ' || pg_catalog.quote_ident(s.srvname) || \
           COALESCE(' TYPE ' || pg_catalog.quote_literal(s.srvtype), '') || \
           COALESCE(' VERSION ' || pg_catalog.quote_literal(s.srvversion), '') || \
           ' FOREIGN DATA WRAPPER ' || pg_catalog.quote_ident(w.fdwname) || {s_opts}, s.srvfdw \
         FROM pg_catalog.pg_foreign_server s JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw \
         WHERE s.oid >= {FIRST_NORMAL_OID} AND {s_member} \
         UNION ALL \
         SELECT 'u', m.umid, CASE WHEN m.umuser = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(m.usename) END \
             || ' SERVER ' || pg_catalog.quote_ident(m.srvname), NULL, \
           'CREATE USER MAPPING FOR ' || CASE WHEN m.umuser = 0 THEN 'PUBLIC' \
             ELSE pg_catalog.quote_ident(m.usename) END || ' SERVER ' || pg_catalog.quote_ident(m.srvname) \
             || {m_opts}, m.srvid \
         FROM pg_catalog.pg_user_mappings m \
         ORDER BY 1, 3",
        w_opts = options("w.fdwoptions"),
        s_opts = options("s.srvoptions"),
        m_opts = options("m.umoptions"),
        w_member = not_extension_member("pg_foreign_data_wrapper", "w.oid"),
        s_member = not_extension_member("pg_foreign_server", "s.oid"),
    );
    query(client, WHAT, &sql)
        .await?
        .iter()
        .map(|r| {
            let kind = match get::<String>(r, WHAT, 0)?.as_str() {
                "w" => ForeignKind::Wrapper,
                "s" => ForeignKind::Server,
                _ => ForeignKind::UserMapping,
            };
            Ok(ForeignObject {
                kind,
                oid: get(r, WHAT, 1)?,
                name: get(r, WHAT, 2)?,
                owner: get(r, WHAT, 3)?,
                definition: get(r, WHAT, 4)?,
                parent: get(r, WHAT, 5)?,
            })
        })
        .collect()
}
