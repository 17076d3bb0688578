//! `CREATE TRANSFORM` entries.

use super::graph::{Graph, Node};
use super::Ctx;
use crate::catalog::{ObjClass, ObjRef};
use crate::format::toc::ObjectKind;

pub(super) fn add(ctx: &Ctx, g: &mut Graph) {
    for t in &ctx.cat.transforms {
        let def = format!(
            "CREATE TRANSFORM {} ({});\n",
            t.target,
            t.functions.join(", ")
        );
        let node = Node::new(ObjectKind::Transform, None, &t.target, None)
            .sql(def, format!("DROP TRANSFORM IF EXISTS {};\n", t.target));
        let id = g.add(node);
        g.map(ObjRef::new(ObjClass::Transform, t.oid), id);
    }
}
