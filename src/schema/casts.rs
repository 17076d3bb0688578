//! `CREATE CAST` entries.

use super::graph::{Graph, Node};
use super::Ctx;
use crate::catalog::{ObjClass, ObjRef};
use crate::format::toc::ObjectKind;

pub(super) fn add(ctx: &Ctx, g: &mut Graph) {
    for c in &ctx.cat.casts {
        let how = match (c.method, &c.function) {
            ('b', _) => "WITHOUT FUNCTION".to_owned(),
            ('i', _) => "WITH INOUT".to_owned(),
            (_, Some(f)) => format!("WITH FUNCTION {f}"),
            (_, None) => "WITHOUT FUNCTION".to_owned(),
        };
        let context = match c.context {
            'a' => " AS ASSIGNMENT",
            'i' => " AS IMPLICIT",
            _ => "",
        };
        let pair = format!("({} AS {})", c.source, c.target);
        let def = format!("CREATE CAST {pair} {how}{context};\n");
        let tag = format!("{} AS {}", c.source, c.target);
        let node = Node::new(ObjectKind::Cast, None, &tag, None)
            .sql(def, format!("DROP CAST IF EXISTS {pair};\n"));
        let id = g.add(node);
        g.map(ObjRef::new(ObjClass::Cast, c.oid), id);
    }
}
