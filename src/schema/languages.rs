//! `CREATE PROCEDURAL LANGUAGE` and `CREATE CONVERSION` entries.

use super::graph::{Graph, Node};
use super::{owner_sql, quote, Ctx};
use crate::catalog::{ObjClass, ObjRef};
use crate::format::toc::ObjectKind;

pub(super) fn add(ctx: &Ctx, g: &mut Graph) {
    for l in &ctx.cat.languages {
        let (kind, word, class, target) = if l.conversion {
            let schema = l.schema.as_deref().unwrap_or_default();
            (
                ObjectKind::Conversion,
                "CONVERSION",
                ObjClass::Conversion,
                quote::qualified(schema, &l.name),
            )
        } else {
            (
                ObjectKind::ProceduralLanguage,
                "LANGUAGE",
                ObjClass::Language,
                quote::ident(&l.name),
            )
        };
        let node = Node::new(kind, l.schema.as_deref(), &l.name, Some(&l.owner))
            .sql(
                format!("{};\n", l.definition),
                format!("DROP {word} IF EXISTS {target};\n"),
            )
            .owned(owner_sql(word, &target, &l.owner));
        let id = g.add(node);
        g.map(ObjRef::new(class, l.oid), id);
    }
}
