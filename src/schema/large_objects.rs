//! Large objects: `LARGE OBJECTS` entries that create them (empty, with
//! their oids and owners; up to [`GROUP`] per entry, so millions of them do
//! not make millions of entries), and one `LARGE OBJECT DATA` entry whose
//! stream carries every object's contents in chunks.
//!
//! The stream's rows are `(loid oid, off int8, data bytea)`: chunks of at
//! most [`CHUNK`] bytes read with `lo_get`, so no object has to fit in one
//! value. It is named `pg_temp.pgsnap_large_objects`: a restore loads it
//! into that temporary table and writes each chunk with `lo_put`.

use super::graph::{Graph, Node};
use super::{Ctx, TableCopy};
use crate::catalog::{ObjClass, ObjRef};
use crate::format::toc::{CopyFormat, DumpId, ObjectKind};

/// Large objects per `LARGE OBJECTS` entry.
const GROUP: usize = 1000;

/// Bytes per chunk of the data stream.
pub const CHUNK: i64 = 1 << 20;

/// Schema and table name of the large-object data stream.
pub const STREAM_SCHEMA: &str = "pg_temp";
pub const STREAM_TABLE: &str = "pgsnap_large_objects";

/// The query that reads every large object's contents, chunk by chunk.
fn contents_query() -> String {
    format!(
        "WITH RECURSIVE c(loid, off, data) AS ( \
           SELECT m.oid, 0::int8, pg_catalog.lo_get(m.oid, 0, {CHUNK}) \
           FROM pg_catalog.pg_largeobject_metadata m \
         UNION ALL \
           SELECT c.loid, c.off + {CHUNK}, pg_catalog.lo_get(c.loid, c.off + {CHUNK}, {CHUNK}) \
           FROM c WHERE pg_catalog.length(c.data) = {CHUNK}) \
         SELECT loid, off, data FROM c WHERE pg_catalog.length(data) > 0 OR off = 0 \
         ORDER BY loid, off"
    )
}

/// Adds the large objects; returns the data entry's node and copy plan.
pub(super) fn add(ctx: &Ctx, g: &mut Graph) -> Option<(usize, TableCopy)> {
    let los = &ctx.cat.large_objects;
    if los.is_empty() {
        return None;
    }
    let mut groups = Vec::new();
    for chunk in los.chunks(GROUP) {
        let (first, last) = (chunk[0].oid, chunk[chunk.len() - 1].oid);
        let mut def = String::new();
        let mut owners = String::new();
        for lo in chunk {
            def.push_str(&format!("SELECT pg_catalog.lo_create('{}');\n", lo.oid));
            owners.push_str(&format!(
                "ALTER LARGE OBJECT {} OWNER TO {};\n",
                lo.oid,
                super::quote::ident(&lo.owner)
            ));
        }
        let drop: String = chunk
            .iter()
            .map(|lo| {
                format!(
                    "SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata \
                     WHERE oid = '{}';\n",
                    lo.oid
                )
            })
            .collect();
        let name = format!("{first}..{last}");
        let node = Node::new(ObjectKind::LargeObjects, None, &name, None)
            .sql(def, drop)
            .owned(owners);
        let id = g.add(node);
        for lo in chunk {
            g.map(ObjRef::new(ObjClass::LargeObject, lo.oid), id);
        }
        groups.push(id);
    }
    let data = g.add(Node::new(
        ObjectKind::LargeObjectData,
        None,
        "LARGE OBJECT DATA",
        None,
    ));
    for grp in groups {
        g.depend(data, grp);
    }
    Some((
        data,
        TableCopy {
            entry: DumpId(0),
            schema: STREAM_SCHEMA.to_owned(),
            table: STREAM_TABLE.to_owned(),
            columns: vec!["loid".into(), "off".into(), "data".into()],
            format: CopyFormat::Binary,
            relpages: i64::try_from(los.len()).unwrap_or(i64::MAX),
            query: Some(contents_query()),
        },
    ))
}
