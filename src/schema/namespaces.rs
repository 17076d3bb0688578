//! DDL for schemas. `public` exists in every new database and is never
//! created: only its owner is restored, where it is not the default
//! (`pg_database_owner`; before 15, the bootstrap superuser, which a restore
//! into a newer version keeps, as pg_dump does).

use super::graph::{Graph, Node};
use super::{owner_sql, quote, Ctx};
use crate::catalog::{ObjClass, ObjRef};
use crate::format::toc::ObjectKind;

pub(super) fn add(ctx: &Ctx, g: &mut Graph) {
    for ns in &ctx.cat.namespaces {
        let name = quote::ident(&ns.name);
        let node = Node::new(ObjectKind::Schema, None, &ns.name, Some(&ns.owner));
        let node = if !ns.is_public() {
            node.sql(
                format!("CREATE SCHEMA {name};\n"),
                format!("DROP SCHEMA IF EXISTS {name};\n"),
            )
        } else if ns.owner != "pg_database_owner" {
            node
        } else {
            continue;
        };
        let node = node.owned(owner_sql("SCHEMA", &name, &ns.owner));
        let id = g.add(node);
        g.map(ObjRef::new(ObjClass::Namespace, ns.oid), id);
    }
}
