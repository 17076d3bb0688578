//! Base types. A base type and its I/O functions need each other, so, as
//! `pg_dump` does, a `SHELL TYPE` entry (`CREATE TYPE name;`) comes first,
//! the functions depend on it, and the full `CREATE TYPE` after them.

use super::graph::{Graph, Node};
use super::{owner_sql, quote, Ctx};
use crate::catalog::{ObjClass, ObjRef};
use crate::format::toc::ObjectKind;

/// Adds shell and full entries; returns (full, shell, I/O function oids)
/// per type for [`break_loops`].
pub(super) fn add(ctx: &Ctx, g: &mut Graph) -> Vec<(usize, usize, Vec<u32>)> {
    for (oid, schema, name, owner) in &ctx.cat.shell_types {
        let qualified = quote::qualified(schema, name);
        let node = Node::new(ObjectKind::ShellType, Some(schema), name, Some(owner))
            .sql(
                format!("CREATE TYPE {qualified};\n"),
                format!("DROP TYPE IF EXISTS {qualified};\n"),
            )
            .owned(owner_sql("TYPE", &qualified, owner));
        let id = g.add(node);
        g.map(ObjRef::new(ObjClass::Type, *oid), id);
    }
    let mut out = Vec::new();
    for t in &ctx.cat.base_types {
        let name = quote::qualified(&t.schema, &t.name);
        let shell = g.add(
            Node::new(
                ObjectKind::ShellType,
                Some(&t.schema),
                &t.name,
                Some(&t.owner),
            )
            .sql(format!("CREATE TYPE {name};\n"), String::new()),
        );
        let def = format!(
            "CREATE TYPE {name} (\n    {}\n);\n",
            t.options.join(",\n    ")
        );
        let full = g.add(
            Node::new(ObjectKind::Type, Some(&t.schema), &t.name, Some(&t.owner))
                .sql(def, format!("DROP TYPE IF EXISTS {name} CASCADE;\n"))
                .owned(owner_sql("TYPE", &name, &t.owner)),
        );
        g.depend(full, shell);
        g.map(ObjRef::new(ObjClass::Type, t.oid), full);
        out.push((full, shell, t.functions.clone()));
    }
    out
}

/// Points the I/O functions' dependency on their type at its shell. Call
/// once all dependencies are in.
pub(super) fn break_loops(g: &mut Graph, types: &[(usize, usize, Vec<u32>)]) {
    for (full, shell, functions) in types {
        for f in functions {
            let Some(fnode) = g.node_of(ObjRef::new(ObjClass::Function, *f)) else {
                continue;
            };
            if fnode == *full {
                continue;
            }
            let deps = &mut g.nodes[fnode].deps;
            let before = deps.len();
            deps.retain(|d| d != full);
            if deps.len() != before {
                deps.push(*shell);
            }
            g.depend(*full, fnode);
        }
    }
}
