//! `CREATE EVENT TRIGGER` entries. They are restored after every other
//! entry, so none fires on the restore's own DDL.

use super::graph::{Graph, Node};
use super::{owner_sql, quote, Ctx};
use crate::catalog::{ObjClass, ObjRef};
use crate::format::toc::{ObjectKind, Section};

/// Adds the event triggers; returns their nodes for [`run_last`].
pub(super) fn add(ctx: &Ctx, g: &mut Graph) -> Vec<usize> {
    let mut added = Vec::new();
    for e in &ctx.cat.event_triggers {
        let name = quote::ident(&e.name);
        let mut def = format!("CREATE EVENT TRIGGER {name} ON {}", quote::ident(&e.event));
        if let Some(tags) = &e.tags {
            let tags: Vec<String> = tags.iter().map(|t| quote::literal(t)).collect();
            def.push_str(&format!("\n         WHEN TAG IN ({})", tags.join(", ")));
        }
        def.push_str(&format!("\n   EXECUTE FUNCTION {}();\n", e.function));
        let state = match e.enabled {
            'D' => Some("DISABLE"),
            'R' => Some("ENABLE REPLICA"),
            'A' => Some("ENABLE ALWAYS"),
            _ => None,
        };
        if let Some(state) = state {
            def.push_str(&format!("ALTER EVENT TRIGGER {name} {state};\n"));
        }
        let node = Node::new(ObjectKind::EventTrigger, None, &e.name, Some(&e.owner))
            .sql(def, format!("DROP EVENT TRIGGER IF EXISTS {name};\n"))
            .owned(owner_sql("EVENT TRIGGER", &name, &e.owner));
        let id = g.add(node);
        g.map(ObjRef::new(ObjClass::EventTrigger, e.oid), id);
        added.push(id);
    }
    added
}

/// Makes each event trigger wait for every other post-data entry, except
/// those that hang on an event trigger (its comment).
pub(super) fn run_last(g: &mut Graph, triggers: &[usize]) {
    let others: Vec<usize> = (0..g.nodes.len())
        .filter(|&n| {
            g.nodes[n].section == Section::PostData
                && !triggers.contains(&n)
                && !g.nodes[n].deps.iter().any(|d| triggers.contains(d))
        })
        .collect();
    for &t in triggers {
        for &o in &others {
            g.depend(t, o);
        }
    }
}
