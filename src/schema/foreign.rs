//! `CREATE FOREIGN DATA WRAPPER`, `CREATE SERVER` and `CREATE USER
//! MAPPING` entries, each after the object it names.

use super::graph::{Graph, Node};
use super::{owner_sql, quote, Ctx};
use crate::catalog::{ForeignKind, ObjClass, ObjRef};
use crate::format::toc::ObjectKind;

pub(super) fn add(ctx: &Ctx, g: &mut Graph) {
    for o in &ctx.cat.foreign {
        let (kind, word, class, parent_class) = match o.kind {
            ForeignKind::Wrapper => (
                ObjectKind::ForeignDataWrapper,
                "FOREIGN DATA WRAPPER",
                ObjClass::ForeignDataWrapper,
                None,
            ),
            ForeignKind::Server => (
                ObjectKind::ForeignServer,
                "SERVER",
                ObjClass::ForeignServer,
                Some(ObjClass::ForeignDataWrapper),
            ),
            ForeignKind::UserMapping => (
                ObjectKind::UserMapping,
                "USER MAPPING",
                ObjClass::UserMapping,
                Some(ObjClass::ForeignServer),
            ),
        };
        let target = match o.kind {
            ForeignKind::UserMapping => format!("FOR {}", o.name),
            _ => quote::ident(&o.name),
        };
        let mut node = Node::new(kind, None, &o.name, o.owner.as_deref()).sql(
            format!("{};\n", o.definition),
            format!("DROP {word} IF EXISTS {target};\n"),
        );
        if let Some(owner) = &o.owner {
            node = node.owned(owner_sql(word, &target, owner));
        }
        let id = g.add(node);
        g.map(ObjRef::new(class, o.oid), id);
        if let Some(p) = parent_class.and_then(|c| g.node_of(ObjRef::new(c, o.parent))) {
            g.depend(id, p);
        }
    }
}
