//! Roles the database refers to (`--globals`): owners, grantees, policy
//! roles, roles with settings in it, the database's owner, and every role
//! those are members of, with their attributes and memberships. Passwords
//! only when asked for (`pg_authid`, superuser only). And the tablespaces
//! its objects are in.

use super::{get, query, CatalogError};

/// One role, as `CREATE ROLE` and `ALTER ROLE` statements.
#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    pub name: String,
    /// `SUPERUSER`, `NOLOGIN`, `CONNECTION LIMIT 3`, `PASSWORD '...'`, ...
    pub attributes: Vec<String>,
    /// Role-wide settings (`name=value`), not per database.
    pub settings: Vec<String>,
}

/// A tablespace that objects of the database use.
#[derive(Debug, Clone, PartialEq)]
pub struct Tablespace {
    pub name: String,
    pub owner: String,
    pub location: String,
    /// `spcoptions` as `name=value` strings.
    pub options: Vec<String>,
}

/// Loads the tablespaces the current database's objects (or the database
/// itself) are in, other than `pg_default` and `pg_global`.
pub async fn load_tablespaces(
    client: &tokio_postgres::Client,
) -> Result<Vec<Tablespace>, CatalogError> {
    const WHAT: &str = "tablespaces (--globals)";
    let sql = "SELECT t.spcname::text, pg_catalog.pg_get_userbyid(t.spcowner)::text, \
                pg_catalog.pg_tablespace_location(t.oid), COALESCE(t.spcoptions, '{}'::text[]) \
               FROM pg_catalog.pg_tablespace t \
               WHERE t.spcname NOT IN ('pg_default', 'pg_global') AND (t.oid IN \
                 (SELECT c.reltablespace FROM pg_catalog.pg_class c) OR t.oid = \
                 (SELECT d.dattablespace FROM pg_catalog.pg_database d \
                  WHERE d.datname = pg_catalog.current_database())) \
               ORDER BY 1";
    query(client, WHAT, sql)
        .await?
        .iter()
        .map(|r| {
            Ok(Tablespace {
                name: get(r, WHAT, 0)?,
                owner: get(r, WHAT, 1)?,
                location: get(r, WHAT, 2)?,
                options: get(r, WHAT, 3)?,
            })
        })
        .collect()
}

/// `GRANT role TO member`.
#[derive(Debug, Clone, PartialEq)]
pub struct Membership {
    pub role: String,
    pub member: String,
    pub admin: bool,
}

/// Loads the roles the current database refers to.
pub async fn load(
    client: &tokio_postgres::Client,
    passwords: bool,
) -> Result<(Vec<Role>, Vec<Membership>), CatalogError> {
    const WHAT: &str = "roles (--globals)";
    let password = if passwords {
        "(SELECT a.rolpassword FROM pg_catalog.pg_authid a WHERE a.oid = r.oid)"
    } else {
        "NULL::text"
    };
    let sql = format!(
        "WITH RECURSIVE used(oid) AS ( \
           SELECT s.refobjid FROM pg_catalog.pg_shdepend s \
           WHERE s.refclassid = 'pg_catalog.pg_authid'::pg_catalog.regclass AND s.dbid IN \
             (0, (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())) \
             AND (s.dbid <> 0 OR (s.classid = 'pg_catalog.pg_database'::pg_catalog.regclass AND s.objid = \
               (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()))) \
           UNION SELECT d.datdba FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database() \
           UNION SELECT m.roleid FROM pg_catalog.pg_auth_members m JOIN used u ON u.oid = m.member), \
         roles AS (SELECT DISTINCT oid FROM used) \
         SELECT r.rolname::text, r.rolsuper, r.rolinherit, r.rolcreaterole, r.rolcreatedb, r.rolcanlogin, \
           r.rolreplication, r.rolbypassrls, r.rolconnlimit, {password}, r.rolvaliduntil::text, \
           COALESCE((SELECT s.setconfig FROM pg_catalog.pg_db_role_setting s \
                     WHERE s.setrole = r.oid AND s.setdatabase = 0), '{{}}'::text[]) \
         FROM pg_catalog.pg_roles r JOIN roles USING (oid) \
         WHERE r.rolname !~ '^pg_' ORDER BY 1"
    );
    let mut roles = Vec::new();
    for r in query(client, WHAT, &sql).await? {
        let flag = |i: usize, yes: &str, no: &str| -> Result<String, CatalogError> {
            Ok(if get::<bool>(&r, WHAT, i)? { yes } else { no }.to_owned())
        };
        let mut attributes = vec![
            flag(1, "SUPERUSER", "NOSUPERUSER")?,
            flag(2, "INHERIT", "NOINHERIT")?,
            flag(3, "CREATEROLE", "NOCREATEROLE")?,
            flag(4, "CREATEDB", "NOCREATEDB")?,
            flag(5, "LOGIN", "NOLOGIN")?,
            flag(6, "REPLICATION", "NOREPLICATION")?,
            flag(7, "BYPASSRLS", "NOBYPASSRLS")?,
        ];
        let limit: i32 = get(&r, WHAT, 8)?;
        if limit != -1 {
            attributes.push(format!("CONNECTION LIMIT {limit}"));
        }
        if let Some(p) = get::<Option<String>>(&r, WHAT, 9)? {
            attributes.push(format!("PASSWORD '{}'", p.replace('\'', "''")));
        }
        if let Some(v) = get::<Option<String>>(&r, WHAT, 10)? {
            attributes.push(format!("VALID UNTIL '{}'", v.replace('\'', "''")));
        }
        roles.push(Role {
            name: get(&r, WHAT, 0)?,
            attributes,
            settings: get(&r, WHAT, 11)?,
        });
    }
    let names: Vec<&str> = roles.iter().map(|r| r.name.as_str()).collect();
    let sql = "SELECT pg_catalog.pg_get_userbyid(m.roleid)::text, pg_catalog.pg_get_userbyid(m.member)::text, \
                m.admin_option FROM pg_catalog.pg_auth_members m \
               WHERE pg_catalog.pg_get_userbyid(m.roleid) = ANY($1) \
                 AND pg_catalog.pg_get_userbyid(m.member) = ANY($1) ORDER BY 1, 2";
    let rows = client
        .query(sql, &[&names])
        .await
        .map_err(|e| CatalogError::query(WHAT, e))?;
    let mut memberships = Vec::new();
    for r in &rows {
        memberships.push(Membership {
            role: get(r, WHAT, 0)?,
            member: get(r, WHAT, 1)?,
            admin: get(r, WHAT, 2)?,
        });
    }
    Ok((roles, memberships))
}
