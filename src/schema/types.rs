//! DDL for user types: enums, domains (with their constraints), standalone
//! composite types and range types (no `canonical` functions yet).

use super::graph::{Graph, Node};
use super::{owner_sql, quote, Ctx};
use crate::catalog::{ConstraintKind, ObjClass, ObjRef, UserType, UserTypeKind};
use crate::format::toc::ObjectKind;

pub(super) fn add(ctx: &Ctx, g: &mut Graph) {
    for t in &ctx.cat.user_types {
        let name = quote::qualified(&t.schema, &t.name);
        let (kind, word, create) = match &t.kind {
            UserTypeKind::Enum(labels) => {
                let labels: Vec<String> = labels.iter().map(|l| quote::literal(l)).collect();
                let create = if labels.is_empty() {
                    format!("CREATE TYPE {name} AS ENUM ();\n")
                } else {
                    format!(
                        "CREATE TYPE {name} AS ENUM (\n    {}\n);\n",
                        labels.join(",\n    ")
                    )
                };
                (ObjectKind::Type, "TYPE", create)
            }
            UserTypeKind::Composite(attrs) => {
                let attrs: Vec<String> = attrs
                    .iter()
                    .map(|a| {
                        let mut s = format!("{} {}", quote::ident(&a.name), a.type_sql);
                        if let Some(c) = &a.collation {
                            s.push_str(&format!(" COLLATE {c}"));
                        }
                        s
                    })
                    .collect();
                let create = format!(
                    "CREATE TYPE {name} AS (\n    {}\n);\n",
                    attrs.join(",\n    ")
                );
                (ObjectKind::Type, "TYPE", create)
            }
            UserTypeKind::Range { options, .. } => {
                let create = format!(
                    "CREATE TYPE {name} AS RANGE (\n    {}\n);\n",
                    options.join(",\n    ")
                );
                (ObjectKind::Type, "TYPE", create)
            }
            UserTypeKind::Domain { .. } => {
                (ObjectKind::Domain, "DOMAIN", create_domain(ctx, t, &name))
            }
        };
        let drop = format!("DROP {word} IF EXISTS {name};\n");
        let id = g.add(
            Node::new(kind, Some(&t.schema), &t.name, Some(&t.owner))
                .sql(create, drop)
                .owned(owner_sql(word, &name, &t.owner)),
        );
        g.map(ObjRef::new(ObjClass::Type, t.oid), id);
        if t.relid != 0 {
            g.map(ObjRef::new(ObjClass::Relation, t.relid), id);
        }
        if let UserTypeKind::Range { multirange, .. } = t.kind {
            if multirange != 0 {
                g.map(ObjRef::new(ObjClass::Type, multirange), id);
            }
        }
        for c in ctx.cat.constraints.iter().filter(|c| c.domain == t.oid) {
            g.map(ObjRef::new(ObjClass::Constraint, c.oid), id);
        }
    }
}

/// `CREATE DOMAIN` with its validated checks; checks not yet validated are
/// added afterwards with `NOT VALID` (there is no data to check at restore).
fn create_domain(ctx: &Ctx, t: &UserType, name: &str) -> String {
    let UserTypeKind::Domain {
        base,
        collation,
        default,
        not_null,
    } = &t.kind
    else {
        return String::new();
    };
    let mut s = format!("CREATE DOMAIN {name} AS {base}");
    if let Some(c) = collation {
        s.push_str(&format!(" COLLATE {c}"));
    }
    if let Some(d) = default {
        s.push_str(&format!(" DEFAULT {d}"));
    }
    if *not_null {
        s.push_str(" NOT NULL");
    }
    let checks = ctx
        .cat
        .constraints
        .iter()
        .filter(|c| c.domain == t.oid && c.kind == ConstraintKind::Check);
    let mut later = String::new();
    for c in checks {
        let clause = format!("CONSTRAINT {} {}", quote::ident(&c.name), c.definition);
        if c.validated {
            s.push_str(&format!("\n    {clause}"));
        } else {
            later.push_str(&format!("ALTER DOMAIN {name} ADD {clause};\n"));
        }
    }
    s.push_str(";\n");
    s.push_str(&later);
    s
}
