//! `CREATE TEXT SEARCH PARSER / TEMPLATE / DICTIONARY / CONFIGURATION`
//! entries; a configuration's entry adds its token mappings.

use super::graph::{Graph, Node};
use super::{owner_sql, quote, Ctx};
use crate::catalog::{ObjClass, ObjRef, TextSearchKind, TextSearchObject};
use crate::format::toc::ObjectKind;

/// The words after `CREATE` / `COMMENT ON` for this kind.
pub(super) fn word(kind: TextSearchKind) -> &'static str {
    match kind {
        TextSearchKind::Parser => "TEXT SEARCH PARSER",
        TextSearchKind::Template => "TEXT SEARCH TEMPLATE",
        TextSearchKind::Dictionary => "TEXT SEARCH DICTIONARY",
        TextSearchKind::Configuration => "TEXT SEARCH CONFIGURATION",
    }
}

fn class(kind: TextSearchKind) -> ObjClass {
    match kind {
        TextSearchKind::Parser => ObjClass::TsParser,
        TextSearchKind::Template => ObjClass::TsTemplate,
        TextSearchKind::Dictionary => ObjClass::TsDictionary,
        TextSearchKind::Configuration => ObjClass::TsConfiguration,
    }
}

fn definition(o: &TextSearchObject, name: &str) -> String {
    let w = word(o.kind);
    let mut s = format!(
        "CREATE {w} {name} (\n    {} );\n",
        o.options.join(",\n    ")
    );
    for (token, dicts) in &o.mappings {
        s.push_str(&format!(
            "ALTER {w} {name}\n    ADD MAPPING FOR {} WITH {};\n",
            quote::ident(token),
            dicts.join(", ")
        ));
    }
    s
}

pub(super) fn add(ctx: &Ctx, g: &mut Graph) {
    for o in &ctx.cat.text_search {
        let name = quote::qualified(&o.schema, &o.name);
        let w = word(o.kind);
        let kind = match o.kind {
            TextSearchKind::Parser => ObjectKind::TextSearchParser,
            TextSearchKind::Template => ObjectKind::TextSearchTemplate,
            TextSearchKind::Dictionary => ObjectKind::TextSearchDictionary,
            TextSearchKind::Configuration => ObjectKind::TextSearchConfiguration,
        };
        let mut node = Node::new(kind, Some(&o.schema), &o.name, o.owner.as_deref()).sql(
            definition(o, &name),
            format!("DROP {w} IF EXISTS {name};\n"),
        );
        if let Some(owner) = &o.owner {
            node = node.owned(owner_sql(w, &name, owner));
        }
        let id = g.add(node);
        g.map(ObjRef::new(class(o.kind), o.oid), id);
    }
}
