//! `CREATE OPERATOR` entries. A commutator or negator that does not exist
//! yet is made as a shell by the server and filled in by its own entry.

use super::graph::{Graph, Node};
use super::{owner_sql, Ctx};
use crate::catalog::{ObjClass, ObjRef, Operator};
use crate::format::toc::ObjectKind;

/// `OPERATOR(s.+)(integer, integer)`-free form `s.+ (integer, integer)`
/// that `ALTER`, `DROP` and `COMMENT ON OPERATOR` take.
pub(super) fn signature(o: &Operator) -> String {
    format!(
        "{}.{} ({}, {})",
        super::quote::ident(&o.schema),
        o.name,
        o.left.as_deref().unwrap_or("NONE"),
        o.right.as_deref().unwrap_or("NONE")
    )
}

pub(super) fn add(ctx: &Ctx, g: &mut Graph) {
    for o in &ctx.cat.operators {
        let name = format!("{}.{}", super::quote::ident(&o.schema), o.name);
        let def = format!(
            "CREATE OPERATOR {name} (\n    {}\n);\n",
            o.options.join(",\n    ")
        );
        let sig = signature(o);
        let tag = format!(
            "{} ({}, {})",
            o.name,
            o.left.as_deref().unwrap_or("NONE"),
            o.right.as_deref().unwrap_or("NONE")
        );
        let node = Node::new(ObjectKind::Operator, Some(&o.schema), &tag, Some(&o.owner))
            .sql(def, format!("DROP OPERATOR IF EXISTS {sig};\n"))
            .owned(owner_sql("OPERATOR", &sig, &o.owner));
        let id = g.add(node);
        g.map(ObjRef::new(ObjClass::Operator, o.oid), id);
    }
}
