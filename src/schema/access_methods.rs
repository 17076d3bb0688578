//! `CREATE ACCESS METHOD` entries.

use super::graph::{Graph, Node};
use super::{quote, Ctx};
use crate::catalog::{ObjClass, ObjRef};
use crate::format::toc::ObjectKind;

pub(super) fn add(ctx: &Ctx, g: &mut Graph) {
    for a in &ctx.cat.access_methods {
        let name = quote::ident(&a.name);
        let def = format!(
            "CREATE ACCESS METHOD {name} TYPE {} HANDLER {};\n",
            a.kind, a.handler
        );
        let node = Node::new(ObjectKind::AccessMethod, None, &a.name, None)
            .sql(def, format!("DROP ACCESS METHOD IF EXISTS {name};\n"));
        let id = g.add(node);
        g.map(ObjRef::new(ObjClass::AccessMethod, a.oid), id);
    }
}
