//! `CREATE AGGREGATE` entries.

use super::graph::{Graph, Node};
use super::{owner_sql, quote, Ctx};
use crate::catalog::{Aggregate, ObjClass, ObjRef};
use crate::format::toc::ObjectKind;

/// `s.agg(integer)` (`s.agg(*)` without arguments): the name `ALTER`,
/// `DROP` and `COMMENT` use.
pub(super) fn signature(a: &Aggregate) -> String {
    let args = if a.identity_args.is_empty() {
        "*"
    } else {
        &a.identity_args
    };
    format!("{}({args})", quote::qualified(&a.schema, &a.name))
}

pub(super) fn add(ctx: &Ctx, g: &mut Graph) {
    for a in &ctx.cat.aggregates {
        let sig = signature(a);
        let args = if a.args.is_empty() { "*" } else { &a.args };
        let def = format!(
            "CREATE AGGREGATE {}({args}) (\n    {}\n);\n",
            quote::qualified(&a.schema, &a.name),
            a.options.join(",\n    ")
        );
        let tag = format!("{}({})", a.name, a.identity_args);
        let node = Node::new(ObjectKind::Aggregate, Some(&a.schema), &tag, Some(&a.owner))
            .sql(def, format!("DROP AGGREGATE IF EXISTS {sig};\n"))
            .owned(owner_sql("AGGREGATE", &sig, &a.owner));
        let id = g.add(node);
        g.map(ObjRef::new(ObjClass::Function, a.oid), id);
    }
}
