//! `COMMENT ON` and `SECURITY LABEL` entries: one per comment or label on a
//! dumped object, in the object's section and sorted right after it.

use std::collections::HashMap;

use super::graph::{Graph, Node};
use super::{aggregates, functions, operators, quote, text_search, Ctx};
use crate::catalog::{
    Aggregate, Collation, Constraint, EventTrigger, Extension, Function, Namespace, ObjClass,
    ObjRef, Oid, Policy, RelKind, Rule, Sequence, Statistics, Trigger, UserType, UserTypeKind,
};

/// The catalog objects a comment can name, by oid.
struct Lookup<'a> {
    namespaces: HashMap<Oid, &'a Namespace>,
    types: HashMap<Oid, &'a UserType>,
    /// Composite types by their `pg_class` oid.
    composites: HashMap<Oid, &'a UserType>,
    functions: HashMap<Oid, &'a Function>,
    aggregates: HashMap<Oid, &'a Aggregate>,
    constraints: HashMap<Oid, &'a Constraint>,
    triggers: HashMap<Oid, &'a Trigger>,
    sequences: HashMap<Oid, &'a Sequence>,
    extensions: HashMap<Oid, &'a Extension>,
    policies: HashMap<Oid, &'a Policy>,
    rules: HashMap<Oid, &'a Rule>,
    event_triggers: HashMap<Oid, &'a EventTrigger>,
    statistics: HashMap<Oid, &'a Statistics>,
    collations: HashMap<Oid, &'a Collation>,
}

impl<'a> Lookup<'a> {
    fn new(ctx: &Ctx<'a>) -> Self {
        let cat = ctx.cat;
        Lookup {
            namespaces: cat.namespaces.iter().map(|x| (x.oid, x)).collect(),
            types: cat.user_types.iter().map(|x| (x.oid, x)).collect(),
            composites: cat
                .user_types
                .iter()
                .filter(|x| x.relid != 0)
                .map(|x| (x.relid, x))
                .collect(),
            functions: cat.functions.iter().map(|x| (x.oid, x)).collect(),
            aggregates: cat.aggregates.iter().map(|x| (x.oid, x)).collect(),
            constraints: cat.constraints.iter().map(|x| (x.oid, x)).collect(),
            triggers: cat.triggers.iter().map(|x| (x.oid, x)).collect(),
            sequences: cat.sequences.iter().map(|x| (x.oid, x)).collect(),
            extensions: cat.extensions.iter().map(|x| (x.oid, x)).collect(),
            policies: cat.policies.iter().map(|x| (x.oid, x)).collect(),
            rules: cat.rules.iter().map(|x| (x.oid, x)).collect(),
            event_triggers: cat.event_triggers.iter().map(|x| (x.oid, x)).collect(),
            statistics: cat.statistics.iter().map(|x| (x.oid, x)).collect(),
            collations: cat.collations.iter().map(|x| (x.oid, x)).collect(),
        }
    }
}
use crate::format::toc::ObjectKind;

pub(super) fn add(ctx: &Ctx, g: &mut Graph) {
    let lk = Lookup::new(ctx);
    for c in &ctx.cat.comments {
        let sql = |target: &str| format!("COMMENT ON {target} IS {};\n", quote::literal(&c.text));
        add_one(ctx, g, &lk, ObjectKind::Comment, c.obj, c.column, &sql);
    }
    for l in &ctx.cat.security_labels {
        let sql = |target: &str| {
            format!(
                "SECURITY LABEL FOR {} ON {target} IS {};\n",
                quote::ident(&l.provider),
                quote::literal(&l.label)
            )
        };
        add_one(
            ctx,
            g,
            &lk,
            ObjectKind::SecurityLabel,
            l.obj,
            l.column,
            &sql,
        );
    }
}

/// Adds the entry of one comment or label on `obj` (column `column`, or 0),
/// whose statement `sql` builds from the object's name.
fn add_one(
    ctx: &Ctx,
    g: &mut Graph,
    lk: &Lookup,
    kind: ObjectKind,
    obj: ObjRef,
    column: i32,
    sql: &dyn Fn(&str) -> String,
) {
    let Some((target, tag, schema)) = describe(ctx, lk, obj, column) else {
        return;
    };
    // A column's comment or label hangs on its relation's (or composite type's) entry.
    let on = if column != 0 {
        ObjRef::new(ObjClass::Relation, obj.oid)
    } else {
        obj
    };
    let Some(object) = g.node_of(on) else {
        return;
    };
    let owner = g.nodes[object].owner.clone();
    let node = Node::new(kind, schema.as_deref(), &tag, owner.as_deref())
        // The object's own first, then its columns' in order.
        .attached_to(&g.nodes[object], format!("{:05}", column))
        .sql(sql(&target), String::new());
    let id = g.add(node);
    g.belong(id, object);
}

/// How a statement names the object (`COMMENT ON` and `SECURITY LABEL ...
/// ON` take the same form), the entry's tag and its schema.
fn describe(
    ctx: &Ctx,
    lk: &Lookup,
    obj: ObjRef,
    column: i32,
) -> Option<(String, String, Option<String>)> {
    let oid = obj.oid;
    match obj.class {
        ObjClass::Namespace => {
            let ns = lk.namespaces.get(&oid).filter(|n| !n.is_public())?;
            let target = format!("SCHEMA {}", quote::ident(&ns.name));
            Some((target, format!("SCHEMA {}", ns.name), None))
        }
        ObjClass::Relation => describe_relation(ctx, lk, oid, column),
        ObjClass::Type if !lk.types.contains_key(&oid) => {
            let t = ctx.cat.base_types.iter().find(|t| t.oid == oid)?;
            in_schema("TYPE", &t.schema, &t.name)
        }
        ObjClass::Type => {
            let t = lk.types.get(&oid)?;
            let word = match t.kind {
                UserTypeKind::Domain { .. } => "DOMAIN",
                _ => "TYPE",
            };
            let target = format!("{word} {}", quote::qualified(&t.schema, &t.name));
            Some((target, format!("{word} {}", t.name), Some(t.schema.clone())))
        }
        ObjClass::Function if lk.aggregates.contains_key(&oid) => {
            let a = lk.aggregates.get(&oid)?;
            let target = format!("AGGREGATE {}", aggregates::signature(a));
            let tag = format!("AGGREGATE {}({})", a.name, a.identity_args);
            Some((target, tag, Some(a.schema.clone())))
        }
        ObjClass::Function => {
            let f = lk.functions.get(&oid)?;
            let word = functions::word(f);
            let target = format!("{word} {}", functions::signature(f));
            let tag = format!("{word} {}({})", f.name, f.identity_args);
            Some((target, tag, Some(f.schema.clone())))
        }
        ObjClass::Constraint => {
            let con = lk.constraints.get(&oid)?;
            let (on, schema, name) = if let Some(rel) = ctx.rels.get(&con.table) {
                (String::new(), &rel.schema, &rel.name)
            } else {
                let t = lk.types.get(&con.domain)?;
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
            let t = lk.triggers.get(&oid)?;
            on_table(ctx, "TRIGGER", &t.name, t.table)
        }
        ObjClass::Policy => {
            let p = lk.policies.get(&oid)?;
            on_table(ctx, "POLICY", &p.name, p.table)
        }
        ObjClass::Rule => {
            let r = lk.rules.get(&oid)?;
            on_table(ctx, "RULE", &r.name, r.table)
        }
        ObjClass::Extension => {
            let x = lk.extensions.get(&oid)?;
            let target = format!("EXTENSION {}", quote::ident(&x.name));
            Some((target, format!("EXTENSION {}", x.name), None))
        }
        ObjClass::EventTrigger => {
            let e = lk.event_triggers.get(&oid)?;
            let target = format!("EVENT TRIGGER {}", quote::ident(&e.name));
            Some((target, format!("EVENT TRIGGER {}", e.name), None))
        }
        ObjClass::Statistics => {
            let st = lk.statistics.get(&oid)?;
            in_schema("STATISTICS", &st.schema, &st.name)
        }
        ObjClass::AccessMethod => {
            let a = ctx.cat.access_methods.iter().find(|a| a.oid == oid)?;
            let target = format!("ACCESS METHOD {}", quote::ident(&a.name));
            Some((target, format!("ACCESS METHOD {}", a.name), None))
        }
        ObjClass::Operator => {
            let o = ctx.cat.operators.iter().find(|o| o.oid == oid)?;
            let target = format!("OPERATOR {}", operators::signature(o));
            Some((
                target,
                format!("OPERATOR {}", o.name),
                Some(o.schema.clone()),
            ))
        }
        ObjClass::TsParser
        | ObjClass::TsTemplate
        | ObjClass::TsDictionary
        | ObjClass::TsConfiguration => {
            let o = ctx.cat.text_search.iter().find(|o| o.oid == oid)?;
            in_schema(text_search::word(o.kind), &o.schema, &o.name)
        }
        ObjClass::OperatorFamily => {
            let f = ctx.cat.op_families.iter().find(|f| f.oid == oid)?;
            let target = format!(
                "OPERATOR FAMILY {} USING {}",
                quote::qualified(&f.schema, &f.name),
                quote::ident(&f.method)
            );
            Some((
                target,
                format!("OPERATOR FAMILY {}", f.name),
                Some(f.schema.clone()),
            ))
        }
        ObjClass::OperatorClass => {
            let c = ctx.cat.op_classes.iter().find(|c| c.oid == oid)?;
            let target = format!(
                "OPERATOR CLASS {} USING {}",
                quote::qualified(&c.schema, &c.name),
                quote::ident(&c.method)
            );
            Some((
                target,
                format!("OPERATOR CLASS {}", c.name),
                Some(c.schema.clone()),
            ))
        }
        ObjClass::ForeignDataWrapper | ObjClass::ForeignServer | ObjClass::UserMapping => {
            let o = ctx.cat.foreign.iter().find(|o| o.oid == oid)?;
            let word = match o.kind {
                crate::catalog::ForeignKind::Wrapper => "FOREIGN DATA WRAPPER",
                crate::catalog::ForeignKind::Server => "SERVER",
                crate::catalog::ForeignKind::UserMapping => return None,
            };
            let target = format!("{word} {}", quote::ident(&o.name));
            Some((target, format!("{word} {}", o.name), None))
        }
        ObjClass::Transform => {
            let t = ctx.cat.transforms.iter().find(|t| t.oid == oid)?;
            let target = format!("TRANSFORM {}", t.target);
            Some((target.clone(), target, None))
        }
        ObjClass::Language | ObjClass::Conversion => {
            let l = ctx.cat.languages.iter().find(|l| l.oid == oid)?;
            if l.conversion {
                in_schema("CONVERSION", l.schema.as_deref()?, &l.name)
            } else {
                let target = format!("LANGUAGE {}", quote::ident(&l.name));
                Some((target, format!("LANGUAGE {}", l.name), None))
            }
        }
        ObjClass::Subscription => {
            let s = ctx.cat.subscriptions.iter().find(|s| s.oid == oid)?;
            let target = format!("SUBSCRIPTION {}", quote::ident(&s.name));
            Some((target, format!("SUBSCRIPTION {}", s.name), None))
        }
        ObjClass::Cast => {
            let c = ctx.cat.casts.iter().find(|c| c.oid == oid)?;
            let target = format!("CAST ({} AS {})", c.source, c.target);
            Some((target.clone(), target, None))
        }
        ObjClass::LargeObject => {
            let lo = ctx.cat.large_objects.iter().find(|l| l.oid == oid)?;
            let target = format!("LARGE OBJECT {}", lo.oid);
            Some((target.clone(), target, None))
        }
        ObjClass::Publication => {
            let p = ctx.cat.publications.iter().find(|p| p.oid == oid)?;
            let target = format!("PUBLICATION {}", quote::ident(&p.name));
            Some((target, format!("PUBLICATION {}", p.name), None))
        }
        ObjClass::Collation => {
            let c = lk.collations.get(&oid)?;
            in_schema("COLLATION", &c.schema, &c.name)
        }
    }
}

/// `WORD name ON schema.table`, for objects that live on a table.
fn on_table(
    ctx: &Ctx,
    word: &str,
    name: &str,
    table: Oid,
) -> Option<(String, String, Option<String>)> {
    let rel = ctx.rels.get(&table)?;
    let target = format!(
        "{word} {} ON {}",
        quote::ident(name),
        quote::qualified(&rel.schema, &rel.name)
    );
    Some((
        target,
        format!("{word} {name} ON {}", rel.name),
        Some(rel.schema.clone()),
    ))
}

/// `WORD schema.name`, for schema-qualified objects.
fn in_schema(word: &str, schema: &str, name: &str) -> Option<(String, String, Option<String>)> {
    let target = format!("{word} {}", quote::qualified(schema, name));
    Some((target, format!("{word} {name}"), Some(schema.to_owned())))
}

fn describe_relation(
    ctx: &Ctx,
    lk: &Lookup,
    oid: Oid,
    column: i32,
) -> Option<(String, String, Option<String>)> {
    let (word, schema, name, columns): (&str, &String, &String, Vec<(i16, &String)>) =
        if let Some(rel) = ctx.rels.get(&oid) {
            let word = match rel.kind {
                RelKind::View => "VIEW",
                RelKind::MaterializedView => "MATERIALIZED VIEW",
                RelKind::ForeignTable => "FOREIGN TABLE",
                _ => "TABLE",
            };
            (
                word,
                &rel.schema,
                &rel.name,
                rel.columns.iter().map(|c| (c.num, &c.name)).collect(),
            )
        } else if let Some(seq) = lk.sequences.get(&oid) {
            ("SEQUENCE", &seq.schema, &seq.name, Vec::new())
        } else if let Some(idx) = ctx.indexes.get(&oid) {
            ("INDEX", &idx.schema, &idx.name, Vec::new())
        } else {
            let t = lk.composites.get(&oid)?;
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
    if column == 0 {
        if word == "TYPE" {
            return None; // a comment on a composite type is on its pg_type row
        }
        return Some((
            format!("{word} {qualified}"),
            format!("{word} {name}"),
            Some(schema.clone()),
        ));
    }
    let (_, col) = columns.iter().find(|(num, _)| i32::from(*num) == column)?;
    let target = format!("COLUMN {qualified}.{}", quote::ident(col));
    Some((target, format!("COLUMN {name}.{col}"), Some(schema.clone())))
}
