//! `CREATE COLLATION` entries, spelled the way `pg_dump` spells them.

use super::graph::{Graph, Node};
use super::{owner_sql, quote, Ctx};
use crate::catalog::{Collation, ObjClass, ObjRef};
use crate::format::toc::ObjectKind;

pub(super) fn add(ctx: &Ctx, g: &mut Graph) {
    for c in &ctx.cat.collations {
        let name = quote::qualified(&c.schema, &c.name);
        let def = format!("CREATE COLLATION {name} ({});\n", options(c).join(", "));
        let node = Node::new(
            ObjectKind::Collation,
            Some(&c.schema),
            &c.name,
            Some(&c.owner),
        )
        .sql(def, format!("DROP COLLATION IF EXISTS {name};\n"))
        .owned(owner_sql("COLLATION", &name, &c.owner));
        let id = g.add(node);
        g.map(ObjRef::new(ObjClass::Collation, c.oid), id);
    }
}

fn options(c: &Collation) -> Vec<String> {
    let lit = |s: &str| quote::literal(s);
    let mut o = vec![format!(
        "provider = {}",
        match c.provider {
            'i' => "icu",
            'b' => "builtin",
            'd' => "default",
            _ => "libc",
        }
    )];
    if !c.deterministic {
        o.push("deterministic = false".to_owned());
    }
    match (&c.locale, &c.collate, &c.ctype) {
        (Some(l), _, _) if c.provider != 'c' => o.push(format!("locale = {}", lit(l))),
        (_, Some(a), Some(b)) if a == b => o.push(format!("locale = {}", lit(a))),
        (_, a, b) => {
            if let Some(a) = a {
                o.push(format!("lc_collate = {}", lit(a)));
            }
            if let Some(b) = b {
                o.push(format!("lc_ctype = {}", lit(b)));
            }
        }
    }
    if let Some(r) = &c.rules {
        o.push(format!("rules = {}", lit(r)));
    }
    o
}
