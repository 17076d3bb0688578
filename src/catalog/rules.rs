//! Rewrite rules (`pg_rewrite`) other than the `_RETURN` rules that make
//! views (those are the views themselves).

use super::{get, query, CatalogError, Oid};

/// One `CREATE RULE`.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub oid: Oid,
    pub table: Oid,
    pub name: String,
    /// `pg_get_ruledef`: a complete `CREATE RULE ...;`.
    pub definition: String,
    /// `ev_enabled`: O (origin, the default), D (disabled), R (replica), A (always).
    pub enabled: char,
}

pub(super) async fn load(client: &tokio_postgres::Client) -> Result<Vec<Rule>, CatalogError> {
    const WHAT: &str = "rules";
    let sql = "SELECT r.oid, r.ev_class, r.rulename::text, pg_catalog.pg_get_ruledef(r.oid), \
                r.ev_enabled::text \
               FROM pg_catalog.pg_rewrite r WHERE r.rulename <> '_RETURN' \
               ORDER BY r.ev_class, r.rulename";
    query(client, WHAT, sql)
        .await?
        .iter()
        .map(|r| {
            let enabled: String = get(r, WHAT, 4)?;
            Ok(Rule {
                oid: get(r, WHAT, 0)?,
                table: get(r, WHAT, 1)?,
                name: get(r, WHAT, 2)?,
                definition: get(r, WHAT, 3)?,
                enabled: enabled.chars().next().unwrap_or('O'),
            })
        })
        .collect()
}
