//! Dependencies from `pg_depend`, mapped onto entries: each catalog object
//! stands for the entry that creates it (a column default or view rule was
//! already resolved to its relation by the catalog; a table's row type, an
//! array type and an identity sequence stand for their owner's entry).

use super::graph::Graph;
use super::Ctx;
use crate::catalog::{ObjClass, ObjRef};
use crate::format::toc::ObjectKind;

pub(super) fn add(ctx: &Ctx, g: &mut Graph) {
    map_types(ctx, g);
    for d in &ctx.cat.depends {
        // A serial column's sequence is OWNED BY the column (an automatic
        // dependency); the OWNED BY entry restores that after the table.
        let owned_sequence = d.auto
            && d.obj.class == ObjClass::Relation
            && d.on.class == ObjClass::Relation
            && ctx.sequences.contains(&d.obj.oid);
        if owned_sequence {
            continue;
        }
        if let (Some(from), Some(to)) = (g.node_of(d.obj), g.node_of(d.on)) {
            let inline_check =
                d.obj.class == ObjClass::Constraint && g.nodes[from].kind == ObjectKind::Table;
            if inline_check {
                g.depend_via_check(from, to, d.obj.oid);
            } else {
                g.depend(from, to);
            }
        }
    }
}

/// Row types stand for their relation's entry, array types for their element's.
fn map_types(ctx: &Ctx, g: &mut Graph) {
    for t in ctx.cat.types.iter().filter(|t| t.relid != 0) {
        let ty = ObjRef::new(ObjClass::Type, t.oid);
        if g.node_of(ty).is_none() {
            if let Some(n) = g.node_of(ObjRef::new(ObjClass::Relation, t.relid)) {
                g.map(ty, n);
            }
        }
    }
    for t in ctx.cat.types.iter().filter(|t| t.array_elem != 0) {
        if let Some(n) = g.node_of(ObjRef::new(ObjClass::Type, t.array_elem)) {
            g.map(ObjRef::new(ObjClass::Type, t.oid), n);
        }
    }
}
