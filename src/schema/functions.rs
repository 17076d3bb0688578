//! DDL for functions and procedures, from `pg_get_functiondef`.

use super::graph::{Graph, Node};
use super::{owner_sql, quote, Ctx};
use crate::catalog::{Function, ObjClass, ObjRef};
use crate::format::toc::ObjectKind;

/// `FUNCTION` or `PROCEDURE`.
pub(super) fn word(f: &Function) -> &'static str {
    if f.is_procedure {
        "PROCEDURE"
    } else {
        "FUNCTION"
    }
}

/// `s.f(integer, text)`: the name `ALTER`, `DROP` and `COMMENT` use.
pub(super) fn signature(f: &Function) -> String {
    format!(
        "{}({})",
        quote::qualified(&f.schema, &f.name),
        f.identity_args
    )
}

pub(super) fn add(ctx: &Ctx, g: &mut Graph) {
    for f in &ctx.cat.functions {
        let sig = signature(f);
        let def = format!("{};\n", f.definition.trim_end());
        let drop = format!("DROP {} IF EXISTS {sig};\n", word(f));
        let tag = format!("{}({})", f.name, f.identity_args);
        let node = Node::new(ObjectKind::Function, Some(&f.schema), &tag, Some(&f.owner));
        let id = g.add(
            node.sql(def, drop)
                .owned(owner_sql(word(f), &sig, &f.owner)),
        );
        g.map(ObjRef::new(ObjClass::Function, f.oid), id);
    }
}
