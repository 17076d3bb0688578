//! `COMMENT ON` entries: one per comment on a dumped object, in the object's
//! section and sorted right after it.

use super::graph::{Graph, Node};
use super::{functions, quote, Ctx};
use crate::catalog::{Comment, ObjClass, ObjRef, RelKind, UserTypeKind};
use crate::format::toc::ObjectKind;

pub(super) fn add(ctx: &Ctx, g: &mut Graph) {
    for c in &ctx.cat.comments {
        let Some((target, tag, schema)) = describe(ctx, c) else {
            continue;
        };
        // A column comment hangs on its relation's (or composite type's) entry.
        let obj = if c.column != 0 {
            ObjRef::new(ObjClass::Relation, c.obj.oid)
        } else {
            c.obj
        };
        let Some(object) = g.node_of(obj) else {
            continue;
        };
        let def = format!("COMMENT ON {target} IS {};\n", quote::literal(&c.text));
        let owner = g.nodes[object].owner.clone();
        let node = Node::new(
            ObjectKind::Comment,
            schema.as_deref(),
            &tag,
            owner.as_deref(),
        )
        // The object's own comment first, then its columns' in order.
        .attached_to(&g.nodes[object], format!("{:05}", c.column))
        .sql(def, String::new());
        let id = g.add(node);
        g.depend(id, object);
    }
}

/// What to write after `COMMENT ON`, the entry's tag and its schema.
fn describe(ctx: &Ctx, c: &Comment) -> Option<(String, String, Option<String>)> {
    let oid = c.obj.oid;
    match c.obj.class {
        ObjClass::Namespace => {
            let ns = ctx
                .cat
                .namespaces
                .iter()
                .find(|n| n.oid == oid && !n.is_public())?;
            let target = format!("SCHEMA {}", quote::ident(&ns.name));
            Some((target, format!("SCHEMA {}", ns.name), None))
        }
        ObjClass::Relation => describe_relation(ctx, c),
        ObjClass::Type => {
            let t = ctx.cat.user_types.iter().find(|t| t.oid == oid)?;
            let word = match t.kind {
                UserTypeKind::Domain { .. } => "DOMAIN",
                _ => "TYPE",
            };
            let target = format!("{word} {}", quote::qualified(&t.schema, &t.name));
            Some((target, format!("{word} {}", t.name), Some(t.schema.clone())))
        }
        ObjClass::Function => {
            let f = ctx.cat.functions.iter().find(|f| f.oid == oid)?;
            let word = functions::word(f);
            let target = format!("{word} {}", functions::signature(f));
            let tag = format!("{word} {}({})", f.name, f.identity_args);
            Some((target, tag, Some(f.schema.clone())))
        }
        ObjClass::Constraint => {
            let con = ctx.cat.constraints.iter().find(|k| k.oid == oid)?;
            let (on, schema, name) = if let Some(rel) = ctx.rels.get(&con.table) {
                (String::new(), &rel.schema, &rel.name)
            } else {
                let t = ctx.cat.user_types.iter().find(|t| t.oid == con.domain)?;
                ("DOMAIN ".to_owned(), &t.schema, &t.name)
            };
            let target = format!(
                "CONSTRAINT {} ON {on}{}",
                quote::ident(&con.name),
                quote::qualified(schema, name)
            );
            Some((
                target,
                format!("CONSTRAINT {} ON {name}", con.name),
                Some(schema.clone()),
            ))
        }
        ObjClass::Trigger => {
            let t = ctx.cat.triggers.iter().find(|t| t.oid == oid)?;
            let rel = ctx.rels.get(&t.table)?;
            let target = format!(
                "TRIGGER {} ON {}",
                quote::ident(&t.name),
                quote::qualified(&rel.schema, &rel.name)
            );
            Some((
                target,
                format!("TRIGGER {} ON {}", t.name, rel.name),
                Some(rel.schema.clone()),
            ))
        }
    }
}

fn describe_relation(ctx: &Ctx, c: &Comment) -> Option<(String, String, Option<String>)> {
    let oid = c.obj.oid;
    let (word, schema, name, columns): (&str, &String, &String, Vec<(i16, &String)>) =
        if let Some(rel) = ctx.rels.get(&oid) {
            let word = match rel.kind {
                RelKind::View => "VIEW",
                RelKind::MaterializedView => "MATERIALIZED VIEW",
                _ => "TABLE",
            };
            (
                word,
                &rel.schema,
                &rel.name,
                rel.columns.iter().map(|c| (c.num, &c.name)).collect(),
            )
        } else if let Some(seq) = ctx.cat.sequences.iter().find(|s| s.oid == oid) {
            ("SEQUENCE", &seq.schema, &seq.name, Vec::new())
        } else if let Some(idx) = ctx.indexes.get(&oid) {
            ("INDEX", &idx.schema, &idx.name, Vec::new())
        } else {
            let t = ctx
                .cat
                .user_types
                .iter()
                .find(|t| t.relid == oid && oid != 0)?;
            let UserTypeKind::Composite(attrs) = &t.kind else {
                return None;
            };
            (
                "TYPE",
                &t.schema,
                &t.name,
                attrs.iter().map(|a| (a.num, &a.name)).collect(),
            )
        };
    let qualified = quote::qualified(schema, name);
    if c.column == 0 {
        if word == "TYPE" {
            return None; // a comment on a composite type is on its pg_type row
        }
        return Some((
            format!("{word} {qualified}"),
            format!("{word} {name}"),
            Some(schema.clone()),
        ));
    }
    let (_, col) = columns
        .iter()
        .find(|(num, _)| i32::from(*num) == c.column)?;
    let target = format!("COLUMN {qualified}.{}", quote::ident(col));
    Some((target, format!("COLUMN {name}.{col}"), Some(schema.clone())))
}
