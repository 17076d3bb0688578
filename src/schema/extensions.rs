//! `CREATE EXTENSION` entries. Member objects are the extension's business:
//! they are never dumped, and whatever depends on one depends on the
//! extension's entry instead.

use super::graph::{Graph, Node};
use super::{quote, Ctx};
use crate::catalog::{ObjClass, ObjRef};
use crate::format::toc::ObjectKind;

pub(super) fn add(ctx: &Ctx, g: &mut Graph) {
    for x in &ctx.cat.extensions {
        let name = quote::ident(&x.name);
        let def = format!(
            "CREATE EXTENSION IF NOT EXISTS {name} WITH SCHEMA {};\n",
            quote::ident(&x.schema)
        );
        let node = Node::new(ObjectKind::Extension, None, &x.name, None)
            .sql(def, format!("DROP EXTENSION IF EXISTS {name};\n"));
        let id = g.add(node);
        g.map(ObjRef::new(ObjClass::Extension, x.oid), id);
        if let Some(s) = ctx.schema_node(g, &x.schema) {
            g.depend(id, s);
        }
    }
    // Members stand for their extension, unless something else creates them.
    for m in &ctx.cat.extension_members {
        if g.node_of(m.obj).is_none() {
            if let Some(x) = g.node_of(ObjRef::new(ObjClass::Extension, m.extension)) {
                g.map(m.obj, x);
            }
        }
    }
}
