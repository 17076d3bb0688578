//! Event triggers (`pg_event_trigger`).

use super::{get, not_extension_member, query, CatalogError, Oid};

/// One `CREATE EVENT TRIGGER`.
#[derive(Debug, Clone, PartialEq)]
pub struct EventTrigger {
    pub oid: Oid,
    pub name: String,
    pub owner: String,
    /// `ddl_command_start`, `sql_drop`, ...
    pub event: String,
    /// Qualified, quoted name of the function it executes.
    pub function: String,
    /// `evtenabled`: O (origin), D (disabled), R (replica), A (always).
    pub enabled: char,
    /// Command tags of the `WHEN TAG IN` filter, if any.
    pub tags: Option<Vec<String>>,
}

pub(super) async fn load(
    client: &tokio_postgres::Client,
) -> Result<Vec<EventTrigger>, CatalogError> {
    const WHAT: &str = "event triggers";
    let sql = format!(
        "SELECT et.oid, et.evtname::text, pg_catalog.pg_get_userbyid(et.evtowner)::text, et.evtevent::text, \
          pg_catalog.format('%I.%I', n.nspname, p.proname), et.evtenabled::text, et.evttags \
         FROM pg_catalog.pg_event_trigger et \
         JOIN pg_catalog.pg_proc p ON p.oid = et.evtfoid \
         JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace \
         WHERE {} ORDER BY et.evtname",
        not_extension_member("pg_event_trigger", "et.oid")
    );
    query(client, WHAT, &sql)
        .await?
        .iter()
        .map(|r| {
            let enabled: String = get(r, WHAT, 5)?;
            Ok(EventTrigger {
                oid: get(r, WHAT, 0)?,
                name: get(r, WHAT, 1)?,
                owner: get(r, WHAT, 2)?,
                event: get(r, WHAT, 3)?,
                function: get(r, WHAT, 4)?,
                enabled: enabled.chars().next().unwrap_or('O'),
                tags: get(r, WHAT, 6)?,
            })
        })
        .collect()
}
