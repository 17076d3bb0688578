//! DDL for user triggers (from `pg_get_triggerdef`), with their enabled
//! state, and the enabled state of partitions' clones where it differs.

use super::graph::{Graph, Node};
use super::{quote, Ctx};
use crate::catalog::{ObjClass, ObjRef};
use crate::format::toc::ObjectKind;

pub(super) fn add(ctx: &Ctx, g: &mut Graph) {
    for t in &ctx.cat.triggers {
        let Some(rel) = ctx.rels.get(&t.table) else {
            continue;
        };
        let Some(table) = g.node_of(ObjRef::new(ObjClass::Relation, rel.oid)) else {
            continue;
        };
        let name = quote::qualified(&rel.schema, &rel.name);
        let trigger = quote::ident(&t.name);
        // A partition's clone exists once the parent's trigger does: only
        // its own enabled state is restored.
        let mut def = if t.parent != 0 {
            String::new()
        } else {
            format!("{};\n", t.definition.trim_end())
        };
        let state = match t.enabled {
            'D' => Some("DISABLE"),
            'R' => Some("ENABLE REPLICA"),
            'A' => Some("ENABLE ALWAYS"),
            _ => None,
        };
        if let Some(state) = state {
            def.push_str(&format!("ALTER TABLE {name} {state} TRIGGER {trigger};\n"));
        }
        let drop = if t.parent != 0 {
            String::new()
        } else {
            format!("DROP TRIGGER IF EXISTS {trigger} ON {name};\n")
        };
        let tag = format!("{} {}", rel.name, t.name);
        let id = g.add(
            Node::new(
                ObjectKind::Trigger,
                Some(&rel.schema),
                &tag,
                Some(&rel.owner),
            )
            .sql(def, drop),
        );
        g.belong(id, table);
        g.map(ObjRef::new(ObjClass::Trigger, t.oid), id);
        if let Some(parent) = g.node_of(ObjRef::new(ObjClass::Trigger, t.parent)) {
            g.depend(id, parent);
        }
    }
}
