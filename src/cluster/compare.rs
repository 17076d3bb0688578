//! Comparing two databases with PostgreSQL as the oracle: `pg_dump
//! --schema-only` of both (when pg_dump is available) and, for every table, the
//! row count and an order-independent digest computed by the server.

use std::collections::{BTreeMap, HashMap};

use tokio_postgres::Client;

use super::{Cluster, ClusterError};
use crate::pg::error_text;
use crate::schema::quote;

/// Row count and digest of one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDigest {
    pub rows: i64,
    pub digest: String,
}

/// Digests of every ordinary table, partition and materialized view outside the
/// system schemas, keyed by `schema.table`. Each table's own rows only (`ONLY`).
pub async fn table_digests(client: &Client) -> Result<BTreeMap<String, TableDigest>, ClusterError> {
    let rows = client
        .query(
            "SELECT n.nspname::text, c.relname::text FROM pg_catalog.pg_class c \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
               AND n.nspname !~ '^pg_toast' AND n.nspname !~ '^pg_temp' ORDER BY 1, 2",
            &[],
        )
        .await
        .map_err(|e| ClusterError(format!("listing tables failed: {}", error_text(&e))))?;
    let mut out = BTreeMap::new();
    for r in rows {
        let (schema, table): (String, String) = (r.get(0), r.get(1));
        let name = quote::qualified(&schema, &table);
        let sql = format!(
            "SELECT count(*), coalesce(md5(string_agg(h, '' ORDER BY h)), '') \
             FROM (SELECT md5(t::text) AS h FROM ONLY {name} AS t) s"
        );
        let row = client
            .query_one(&sql, &[])
            .await
            .map_err(|e| ClusterError(format!("digest of {name} failed: {}", error_text(&e))))?;
        out.insert(
            format!("{schema}.{table}"),
            TableDigest {
                rows: row.get(0),
                digest: row.get(1),
            },
        );
    }
    Ok(out)
}

/// Tables whose rows differ (or exist on one side only), with a description.
pub fn data_differences(
    a: &BTreeMap<String, TableDigest>,
    b: &BTreeMap<String, TableDigest>,
) -> Vec<String> {
    let mut diffs = Vec::new();
    for (name, da) in a {
        match b.get(name) {
            None => diffs.push(format!("{name}: missing from the restored database")),
            Some(db) if db != da => diffs.push(format!(
                "{name}: {} rows (digest {}) vs {} rows (digest {})",
                da.rows, da.digest, db.rows, db.digest
            )),
            Some(_) => {}
        }
    }
    for name in b.keys().filter(|n| !a.contains_key(*n)) {
        diffs.push(format!("{name}: only in the restored database"));
    }
    diffs
}

/// `pg_dump --schema-only` of `db`, without pg_dump's own header lines.
pub fn schema_dump(cluster: &Cluster, db: &str) -> Result<Vec<String>, ClusterError> {
    schema_dump_with(cluster, &cluster.conninfo(db))
}

/// [`schema_dump`] of the database `conninfo` names (on any cluster), with
/// the pg_dump of `tools` (to compare versions, dump both with the newer one).
pub fn schema_dump_with(tools: &Cluster, conninfo: &str) -> Result<Vec<String>, ClusterError> {
    let out = tools.run_tool(
        "pg_dump",
        &["--schema-only".as_ref(), "-d".as_ref(), conninfo.as_ref()],
    )?;
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| {
            !l.starts_with("-- Dumped from")
                && !l.starts_with("-- Dumped by")
                && !l.starts_with("\\restrict")
                && !l.starts_with("\\unrestrict")
        })
        .map(str::to_string)
        .collect())
}

/// Lines present on one side only (as a multiset), each prefixed `-` or `+`;
/// a single note if the lines are the same but in another order.
pub fn line_differences(a: &[String], b: &[String]) -> Vec<String> {
    if a == b {
        return Vec::new();
    }
    let mut counts: HashMap<&str, i64> = HashMap::new();
    for l in a {
        *counts.entry(l).or_default() += 1;
    }
    for l in b {
        *counts.entry(l).or_default() -= 1;
    }
    let mut diffs = Vec::new();
    for l in a {
        if let Some(c) = counts.get_mut(l.as_str()) {
            if *c > 0 {
                *c -= 1;
                diffs.push(format!("-{l}"));
            }
        }
    }
    for l in b {
        if let Some(c) = counts.get_mut(l.as_str()) {
            if *c < 0 {
                *c += 1;
                diffs.push(format!("+{l}"));
            }
        }
    }
    if diffs.is_empty() {
        diffs.push("(same lines in a different order)".to_string());
    }
    diffs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn line_differences_counts_both_sides() {
        assert!(line_differences(&v(&["a", "b"]), &v(&["a", "b"])).is_empty());
        assert_eq!(
            line_differences(&v(&["a", "b", "b"]), &v(&["a", "b", "c"])),
            v(&["-b", "+c"])
        );
        assert_eq!(line_differences(&v(&["a", "b"]), &v(&["b", "a"])).len(), 1);
    }
}
