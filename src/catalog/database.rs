//! The database itself: owner, comment, security labels, privileges, connection limit,
//! template flag, and settings (`ALTER DATABASE ... SET`, and
//! `ALTER ROLE ... IN DATABASE ... SET`).

use super::{get, query, CatalogError};

/// The properties of the database being dumped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Database {
    pub owner: String,
    pub comment: Option<String>,
    /// `(provider, label)` from `pg_shseclabel`.
    pub security_labels: Vec<(String, String)>,
    /// `datacl` as `aclitem` text, `None` for the default.
    pub acl: Option<Vec<String>>,
    /// `acldefault('d', datdba)`.
    pub base_acl: Vec<String>,
    pub connection_limit: i32,
    pub is_template: bool,
    /// `(role, "name=value")`; role `None` for the database's own settings.
    pub settings: Vec<(Option<String>, String)>,
}

pub(super) async fn load(client: &tokio_postgres::Client) -> Result<Database, CatalogError> {
    const WHAT: &str = "database properties";
    let sql = "SELECT pg_catalog.pg_get_userbyid(d.datdba)::text, \
                pg_catalog.shobj_description(d.oid, 'pg_database'), d.datacl::text[], \
                pg_catalog.acldefault('d', d.datdba)::text[], d.datconnlimit, d.datistemplate, \
                ARRAY(SELECT CASE WHEN s.setrole = 0 THEN '' ELSE pg_catalog.pg_get_userbyid(s.setrole)::text END || E'\\x01' || c.c \
                  FROM pg_catalog.pg_db_role_setting s, pg_catalog.unnest(s.setconfig) WITH ORDINALITY c(c, i) \
                  WHERE s.setdatabase = d.oid ORDER BY s.setrole <> 0, pg_catalog.pg_get_userbyid(s.setrole), c.i), \
                ARRAY(SELECT l.provider || E'\\x01' || l.label FROM pg_catalog.pg_shseclabel l \
                  WHERE l.objoid = d.oid AND l.classoid = 'pg_catalog.pg_database'::pg_catalog.regclass \
                  ORDER BY l.provider) \
               FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()";
    let rows = query(client, WHAT, sql).await?;
    let Some(r) = rows.first() else {
        return Ok(Database::default());
    };
    let settings: Vec<String> = get(r, WHAT, 6)?;
    let labels: Vec<String> = get(r, WHAT, 7)?;
    Ok(Database {
        owner: get(r, WHAT, 0)?,
        comment: get(r, WHAT, 1)?,
        acl: get(r, WHAT, 2)?,
        base_acl: get(r, WHAT, 3)?,
        connection_limit: get(r, WHAT, 4)?,
        is_template: get(r, WHAT, 5)?,
        security_labels: labels
            .into_iter()
            .filter_map(|l| {
                let (provider, label) = l.split_once('\u{1}')?;
                Some((provider.to_owned(), label.to_owned()))
            })
            .collect(),
        settings: settings
            .into_iter()
            .filter_map(|s| {
                let (role, setting) = s.split_once('\u{1}')?;
                Some((
                    (!role.is_empty()).then(|| role.to_owned()),
                    setting.to_owned(),
                ))
            })
            .collect(),
    })
}
