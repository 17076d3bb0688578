//! `CREATE SUBSCRIPTION` entries, created disconnected (`connect = false`)
//! as pg_dump does: a restored copy never starts replicating by itself.

use super::graph::{Graph, Node};
use super::{owner_sql, quote, Ctx};
use crate::catalog::{ObjClass, ObjRef};
use crate::format::toc::ObjectKind;

pub(super) fn add(ctx: &Ctx, g: &mut Graph) {
    for s in &ctx.cat.subscriptions {
        let name = quote::ident(&s.name);
        let node = Node::new(ObjectKind::Subscription, None, &s.name, Some(&s.owner))
            .sql(
                format!("{};\n", s.definition),
                format!("DROP SUBSCRIPTION IF EXISTS {name};\n"),
            )
            .owned(owner_sql("SUBSCRIPTION", &name, &s.owner));
        let id = g.add(node);
        g.map(ObjRef::new(ObjClass::Subscription, s.oid), id);
    }
}
