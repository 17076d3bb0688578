//! Sequences (`pg_sequence`), who owns them (`OWNED BY` and identity columns,
//! from `pg_depend`), and their values at the snapshot.

use super::{get, not_extension_member, query, CatalogError, Oid, USER_NAMESPACE};

/// The column a sequence belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct SequenceOwner {
    pub table: Oid,
    pub column: String,
    /// An identity column's sequence (created with the table), not `OWNED BY`.
    pub identity: bool,
}

/// One sequence, with its options and its value at the snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct Sequence {
    pub oid: Oid,
    pub schema: String,
    pub name: String,
    pub owner: String,
    /// `format_type(seqtypid)`: smallint, integer or bigint.
    pub data_type: String,
    pub start: i64,
    pub increment: i64,
    pub min: i64,
    pub max: i64,
    pub cache: i64,
    pub cycle: bool,
    pub unlogged: bool,
    pub owned_by: Option<SequenceOwner>,
    pub last_value: i64,
    pub is_called: bool,
}

/// Sequences whose values one query reads.
const VALUE_BATCH: usize = 200;

pub(super) async fn load(client: &tokio_postgres::Client) -> Result<Vec<Sequence>, CatalogError> {
    const WHAT: &str = "sequences";
    let sql = format!(
        "SELECT c.oid, n.nspname::text, c.relname::text, pg_catalog.pg_get_userbyid(c.relowner)::text, \
          pg_catalog.format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, s.seqmax, \
          s.seqcache, s.seqcycle, c.relpersistence = 'u', d.refobjid, a.attname::text, d.deptype = 'i', \
          pg_catalog.format('%I.%I', n.nspname, c.relname) \
         FROM pg_catalog.pg_class c \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid \
         LEFT JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass \
              AND d.objid = c.oid AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass \
              AND d.refobjsubid > 0 AND d.deptype IN ('a', 'i') \
         LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid \
         WHERE c.relkind = 'S' AND {USER_NAMESPACE} AND {} \
         ORDER BY n.nspname, c.relname",
        not_extension_member("pg_class", "c.oid")
    );
    let rows = query(client, WHAT, &sql).await?;
    let mut out = Vec::with_capacity(rows.len());
    let mut qualified = Vec::with_capacity(rows.len());
    for r in &rows {
        let owner_table: Option<Oid> = get(r, WHAT, 12)?;
        let owned_by = match (owner_table, get::<Option<String>>(r, WHAT, 13)?) {
            (Some(table), Some(column)) => Some(SequenceOwner {
                table,
                column,
                identity: get(r, WHAT, 14)?,
            }),
            _ => None,
        };
        out.push(Sequence {
            oid: get(r, WHAT, 0)?,
            schema: get(r, WHAT, 1)?,
            name: get(r, WHAT, 2)?,
            owner: get(r, WHAT, 3)?,
            data_type: get(r, WHAT, 4)?,
            start: get(r, WHAT, 5)?,
            increment: get(r, WHAT, 6)?,
            min: get(r, WHAT, 7)?,
            max: get(r, WHAT, 8)?,
            cache: get(r, WHAT, 9)?,
            cycle: get(r, WHAT, 10)?,
            unlogged: get(r, WHAT, 11)?,
            owned_by,
            last_value: 0,
            is_called: false,
        });
        qualified.push(get::<String>(r, WHAT, 15)?);
    }
    for (seqs, names) in out
        .chunks_mut(VALUE_BATCH)
        .zip(qualified.chunks(VALUE_BATCH))
    {
        read_values(client, seqs, names).await?;
    }
    Ok(out)
}

/// Reads `last_value` and `is_called` of a batch of sequences in one query.
async fn read_values(
    client: &tokio_postgres::Client,
    seqs: &mut [Sequence],
    names: &[String],
) -> Result<(), CatalogError> {
    const WHAT: &str = "sequence values";
    let sql = names
        .iter()
        .enumerate()
        .map(|(i, name)| format!("SELECT {i}, last_value, is_called FROM {name}"))
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    for r in query(client, WHAT, &sql).await? {
        let i: i32 = get(&r, WHAT, 0)?;
        if let Some(seq) = usize::try_from(i).ok().and_then(|i| seqs.get_mut(i)) {
            seq.last_value = get(&r, WHAT, 1)?;
            seq.is_called = get(&r, WHAT, 2)?;
        }
    }
    Ok(())
}
