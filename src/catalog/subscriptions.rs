//! Logical-replication subscriptions of the current database
//! (`pg_subscription`). Their connection strings are readable by
//! superusers only: a backup by another role names them as not backed up.

use super::{get, query, CatalogError, Oid};

/// One subscription, as `CREATE SUBSCRIPTION ... WITH (connect = false)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    pub oid: Oid,
    pub name: String,
    pub owner: String,
    pub definition: String,
}

pub(super) async fn load(
    client: &tokio_postgres::Client,
) -> Result<Vec<Subscription>, CatalogError> {
    const WHAT: &str = "subscriptions";
    // Without that privilege even naming the column is an error.
    let readable = query(
        client,
        WHAT,
        "SELECT pg_catalog.has_column_privilege('pg_catalog.pg_subscription', 'subconninfo', 'SELECT')",
    )
    .await?;
    if !readable
        .first()
        .map(|r| get::<bool>(r, WHAT, 0))
        .transpose()?
        .unwrap_or(false)
    {
        return Ok(Vec::new());
    }
    let opt = |key: &str, expr: &str| format!("CASE WHEN {expr} THEN ', {key}' END");
    let sql = format!(
        "SELECT s.oid, s.subname::text, pg_catalog.pg_get_userbyid(s.subowner)::text, \
           'CREATE SUBSCRIPTION ' || pg_catalog.quote_ident(s.subname) || ' CONNECTION ' || \
           pg_catalog.quote_literal(s.subconninfo) || ' PUBLICATION ' || \
           (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(p), ', ') FROM pg_catalog.unnest(s.subpublications) p) || \
           ' WITH (connect = false, slot_name = ' || \
           COALESCE(pg_catalog.quote_literal(s.subslotname::text), 'NONE') || \
           COALESCE({binary}, '') || \
           COALESCE(CASE j ->> 'substream' WHEN 'true' THEN ', streaming = on' \
             WHEN 't' THEN ', streaming = on' WHEN 'p' THEN ', streaming = parallel' \
             WHEN 'false' THEN ', streaming = off' WHEN 'f' THEN ', streaming = off' END, '') || \
           COALESCE({two_phase}, '') || COALESCE({disable}, '') || \
           CASE WHEN s.subsynccommit <> 'off' THEN ', synchronous_commit = ' || \
             pg_catalog.quote_literal(s.subsynccommit) ELSE '' END || ')' \
         FROM pg_catalog.pg_subscription s, pg_catalog.to_jsonb(s.*) j \
         WHERE s.subdbid = (SELECT d.oid FROM pg_catalog.pg_database d \
                            WHERE d.datname = pg_catalog.current_database()) \
         ORDER BY s.subname",
        binary = opt("binary = true", "(j ->> 'subbinary')::bool"),
        two_phase = opt("two_phase = on", "j ->> 'subtwophasestate' IN ('p', 'e')"),
        disable = opt("disable_on_error = true", "(j ->> 'subdisableonerr')::bool"),
    );
    query(client, WHAT, &sql)
        .await?
        .iter()
        .map(|r| {
            Ok(Subscription {
                oid: get(r, WHAT, 0)?,
                name: get(r, WHAT, 1)?,
                owner: get(r, WHAT, 2)?,
                definition: get(r, WHAT, 3)?,
            })
        })
        .collect()
}
