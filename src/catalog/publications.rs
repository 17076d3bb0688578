//! Logical-replication publications (`pg_publication`), their tables
//! (`pg_publication_rel`, with column lists and row filters from 15) and
//! schemas (`pg_publication_namespace`, 15).

use super::{get, query, CatalogError, Oid};

/// One `CREATE PUBLICATION`.
#[derive(Debug, Clone, PartialEq)]
pub struct Publication {
    pub oid: Oid,
    pub name: String,
    pub owner: String,
    pub all_tables: bool,
    /// The `publish` option: the operations published, in pg_dump's order.
    pub publish: Vec<&'static str>,
    pub via_root: bool,
}

/// One table of a publication.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicationTable {
    pub publication: Oid,
    pub table: Oid,
    /// Quoted column names of a column list (15+), if any.
    pub columns: Option<Vec<String>>,
    /// The row filter (15+), if any.
    pub filter: Option<String>,
}

/// One `TABLES IN SCHEMA` of a publication (15+).
#[derive(Debug, Clone, PartialEq)]
pub struct PublicationSchema {
    pub publication: Oid,
    pub schema: Oid,
}

/// Publications with their tables and schemas.
pub(super) async fn load(
    client: &tokio_postgres::Client,
    server_version_num: i32,
) -> Result<
    (
        Vec<Publication>,
        Vec<PublicationTable>,
        Vec<PublicationSchema>,
    ),
    CatalogError,
> {
    const WHAT: &str = "publications";
    let sql = "SELECT p.oid, p.pubname::text, pg_catalog.pg_get_userbyid(p.pubowner)::text, \
                p.puballtables, p.pubinsert, p.pubupdate, p.pubdelete, p.pubtruncate, p.pubviaroot \
               FROM pg_catalog.pg_publication p ORDER BY p.pubname";
    let mut publications = Vec::new();
    for r in query(client, WHAT, sql).await? {
        let ops = [(4, "insert"), (5, "update"), (6, "delete"), (7, "truncate")];
        let mut publish = Vec::new();
        for (i, op) in ops {
            if get::<bool>(&r, WHAT, i)? {
                publish.push(op);
            }
        }
        publications.push(Publication {
            oid: get(&r, WHAT, 0)?,
            name: get(&r, WHAT, 1)?,
            owner: get(&r, WHAT, 2)?,
            all_tables: get(&r, WHAT, 3)?,
            publish,
            via_root: get(&r, WHAT, 8)?,
        });
    }
    if publications.is_empty() {
        return Ok((publications, Vec::new(), Vec::new()));
    }
    const TABLES: &str = "publication tables";
    let sql = if server_version_num >= 150_000 {
        "SELECT pr.prpubid, pr.prrelid, \
           CASE WHEN pr.prattrs IS NOT NULL THEN ARRAY(SELECT pg_catalog.quote_ident(a.attname) \
             FROM pg_catalog.unnest(pr.prattrs) WITH ORDINALITY u(n, i) \
             JOIN pg_catalog.pg_attribute a ON a.attrelid = pr.prrelid AND a.attnum = u.n ORDER BY u.i) END, \
           pg_catalog.pg_get_expr(pr.prqual, pr.prrelid) \
         FROM pg_catalog.pg_publication_rel pr ORDER BY 1, 2"
    } else {
        "SELECT pr.prpubid, pr.prrelid, NULL::text[], NULL::text \
         FROM pg_catalog.pg_publication_rel pr ORDER BY 1, 2"
    };
    let tables = query(client, TABLES, sql)
        .await?
        .iter()
        .map(|r| {
            Ok(PublicationTable {
                publication: get(r, TABLES, 0)?,
                table: get(r, TABLES, 1)?,
                columns: get(r, TABLES, 2)?,
                filter: get(r, TABLES, 3)?,
            })
        })
        .collect::<Result<Vec<_>, CatalogError>>()?;
    let mut schemas = Vec::new();
    if server_version_num >= 150_000 {
        const SCHEMAS: &str = "publication schemas";
        let sql = "SELECT pn.pnpubid, pn.pnnspid FROM pg_catalog.pg_publication_namespace pn \
                   ORDER BY 1, 2";
        for r in query(client, SCHEMAS, sql).await? {
            schemas.push(PublicationSchema {
                publication: get(&r, SCHEMAS, 0)?,
                schema: get(&r, SCHEMAS, 1)?,
            });
        }
    }
    Ok((publications, tables, schemas))
}
