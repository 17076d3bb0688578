//! DDL for indexes that back no constraint (from `pg_get_indexdef`), and the
//! `ALTER INDEX ... ATTACH PARTITION` entries that tie a partition's index
//! (or constraint index) to its partitioned parent's; foreign keys that
//! reference a partitioned table wait for those.

use std::collections::HashMap;

use super::graph::{Graph, Node};
use super::{quote, Ctx};
use crate::catalog::{ConstraintKind, Index, ObjClass, ObjRef, Oid};
use crate::format::toc::ObjectKind;

/// What an index carries besides its definition: per-column statistics
/// targets, `CLUSTER ON` and `REPLICA IDENTITY USING INDEX`.
pub(super) fn extras(idx: &Index, table: &str) -> String {
    let name = quote::qualified(&idx.schema, &idx.name);
    let mut s = String::new();
    for (col, target) in &idx.stat_targets {
        s.push_str(&format!(
            "ALTER INDEX {name} ALTER COLUMN {col} SET STATISTICS {target};\n"
        ));
    }
    let index = quote::ident(&idx.name);
    if idx.clustered {
        s.push_str(&format!("ALTER TABLE {table} CLUSTER ON {index};\n"));
    }
    if idx.replica_identity {
        s.push_str(&format!(
            "ALTER TABLE ONLY {table} REPLICA IDENTITY USING INDEX {index};\n"
        ));
    }
    s
}

pub(super) fn add(ctx: &Ctx, g: &mut Graph) {
    for idx in &ctx.cat.indexes {
        let Some(rel) = ctx.rels.get(&idx.table) else {
            continue;
        };
        let Some(table) = g.node_of(ObjRef::new(ObjClass::Relation, rel.oid)) else {
            continue;
        };
        if idx.constraint != 0 {
            continue; // created by its constraint's entry
        }
        let drop = if idx.parent != 0 {
            String::new() // goes away with the parent's index
        } else {
            format!(
                "DROP INDEX IF EXISTS {};\n",
                quote::qualified(&idx.schema, &idx.name)
            )
        };
        let table_name = quote::qualified(&rel.schema, &rel.name);
        let def = format!(
            "{}{}",
            super::in_tablespace(
                idx.tablespace.as_deref(),
                format!("{};\n", idx.definition.trim_end())
            ),
            extras(idx, &table_name)
        );
        let node = Node::new(
            ObjectKind::Index,
            Some(&idx.schema),
            &idx.name,
            Some(&rel.owner),
        );
        let id = g.add(node.sql(def, drop));
        g.belong(id, table);
        g.map(ObjRef::new(ObjClass::Relation, idx.oid), id);
    }
    // Attach entries by the parent index they attach to: (entry, child index).
    let mut attaches: HashMap<Oid, Vec<(usize, Oid)>> = HashMap::new();
    for idx in ctx.cat.indexes.iter().filter(|i| i.parent != 0) {
        let Some(parent) = ctx.indexes.get(&idx.parent) else {
            continue;
        };
        let (Some(child_node), Some(parent_node)) = (
            g.node_of(ObjRef::new(ObjClass::Relation, idx.oid)),
            g.node_of(ObjRef::new(ObjClass::Relation, parent.oid)),
        ) else {
            continue;
        };
        let def = format!(
            "ALTER INDEX {} ATTACH PARTITION {};\n",
            quote::qualified(&parent.schema, &parent.name),
            quote::qualified(&idx.schema, &idx.name)
        );
        let owner = g.nodes[child_node].owner.clone();
        let node = Node::new(
            ObjectKind::IndexAttach,
            Some(&idx.schema),
            &idx.name,
            owner.as_deref(),
        );
        let id = g.add(node.sql(def, String::new()));
        g.depend(id, parent_node);
        g.belong(id, child_node);
        attaches.entry(parent.oid).or_default().push((id, idx.oid));
    }
    attach_bottom_up(g, &attaches);
    fks_after_attaches(ctx, g, &attaches);
}

/// Attaching the last partition's index makes a partitioned index valid,
/// and then its parent index if that was waiting only for it; run
/// concurrently, an attach one level up can miss the validation happening
/// below and leave the top index invalid for good. So an index is attached
/// to its parent only after every attach into it.
fn attach_bottom_up(g: &mut Graph, attaches: &HashMap<Oid, Vec<(usize, Oid)>>) {
    for entries in attaches.values() {
        for &(attach, child) in entries {
            for &(below, _) in attaches.get(&child).into_iter().flatten() {
                g.depend(attach, below);
            }
        }
    }
}

/// A partitioned table's unique index is valid, so usable by a foreign key,
/// only once every partition's index is attached: each foreign key waits for
/// all attachments below the index it references.
fn fks_after_attaches(ctx: &Ctx, g: &mut Graph, attaches: &HashMap<Oid, Vec<(usize, Oid)>>) {
    let fks = ctx
        .cat
        .constraints
        .iter()
        .filter(|c| c.kind == ConstraintKind::ForeignKey && attaches.contains_key(&c.index));
    for c in fks {
        let Some(fk) = g.node_of(ObjRef::new(ObjClass::Constraint, c.oid)) else {
            continue;
        };
        let mut stack = vec![c.index];
        while let Some(index) = stack.pop() {
            for &(attach, child) in attaches.get(&index).into_iter().flatten() {
                g.depend(fk, attach);
                stack.push(child);
            }
        }
    }
}
