//! `CREATE RULE` entries (from `pg_get_ruledef`) with their enabled state.
//! A view's own `_RETURN` rule is the view and never appears here.

use super::graph::{Graph, Node};
use super::{quote, Ctx};
use crate::catalog::{ObjClass, ObjRef};
use crate::format::toc::ObjectKind;

pub(super) fn add(ctx: &Ctx, g: &mut Graph) {
    for r in &ctx.cat.rules {
        let Some(rel) = ctx.rels.get(&r.table) else {
            continue;
        };
        let Some(table) = g.node_of(ObjRef::new(ObjClass::Relation, rel.oid)) else {
            continue;
        };
        let name = quote::qualified(&rel.schema, &rel.name);
        let rule = quote::ident(&r.name);
        let mut def = format!("{}\n", r.definition.trim_end());
        let state = match r.enabled {
            'D' => Some("DISABLE"),
            'R' => Some("ENABLE REPLICA"),
            'A' => Some("ENABLE ALWAYS"),
            _ => None,
        };
        if let Some(state) = state {
            def.push_str(&format!("ALTER TABLE {name} {state} RULE {rule};\n"));
        }
        let drop = format!("DROP RULE IF EXISTS {rule} ON {name};\n");
        let tag = format!("{} {}", rel.name, r.name);
        let node = Node::new(ObjectKind::Rule, Some(&rel.schema), &tag, Some(&rel.owner));
        let id = g.add(node.sql(def, drop));
        g.belong(id, table);
        g.map(ObjRef::new(ObjClass::Rule, r.oid), id);
    }
}
