//! DDL for schemas. `public` exists in every new database and is never created.

use super::graph::{Graph, Node};
use super::{owner_sql, quote, Ctx};
use crate::catalog::{ObjClass, ObjRef};
use crate::format::toc::ObjectKind;

pub(super) fn add(ctx: &Ctx, g: &mut Graph) {
    for ns in ctx.cat.namespaces.iter().filter(|n| !n.is_public()) {
        let name = quote::ident(&ns.name);
        let node = Node::new(ObjectKind::Schema, None, &ns.name, Some(&ns.owner))
            .sql(
                format!("CREATE SCHEMA {name};\n"),
                format!("DROP SCHEMA IF EXISTS {name};\n"),
            )
            .owned(owner_sql("SCHEMA", &name, &ns.owner));
        let id = g.add(node);
        g.map(ObjRef::new(ObjClass::Namespace, ns.oid), id);
    }
}
