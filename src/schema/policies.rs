//! Row-level security: `ENABLE`/`FORCE ROW LEVEL SECURITY` on a table (a
//! `ROW SECURITY` entry) and `CREATE POLICY`. Both go in post-data, after
//! the data: a restore that is not a superuser's could not load a table
//! whose policies already apply to it.

use super::graph::{Graph, Node};
use super::{quote, Ctx};
use crate::catalog::{ObjClass, ObjRef, Policy};
use crate::format::toc::ObjectKind;

pub(super) fn add(ctx: &Ctx, g: &mut Graph) {
    for rel in &ctx.cat.relations {
        if !rel.row_security && !rel.force_row_security {
            continue;
        }
        let Some(table) = g.node_of(ObjRef::new(ObjClass::Relation, rel.oid)) else {
            continue;
        };
        let name = quote::qualified(&rel.schema, &rel.name);
        let mut def = String::new();
        if rel.row_security {
            def.push_str(&format!("ALTER TABLE {name} ENABLE ROW LEVEL SECURITY;\n"));
        }
        if rel.force_row_security {
            def.push_str(&format!(
                "ALTER TABLE ONLY {name} FORCE ROW LEVEL SECURITY;\n"
            ));
        }
        let node = Node::new(
            ObjectKind::RowSecurity,
            Some(&rel.schema),
            &rel.name,
            Some(&rel.owner),
        );
        let id = g.add(node.sql(def, String::new()));
        g.belong(id, table);
    }
    for p in &ctx.cat.policies {
        let Some(rel) = ctx.rels.get(&p.table) else {
            continue;
        };
        let Some(table) = g.node_of(ObjRef::new(ObjClass::Relation, rel.oid)) else {
            continue;
        };
        let on = quote::qualified(&rel.schema, &rel.name);
        let def = create_policy(p, &on);
        let drop = format!("DROP POLICY IF EXISTS {} ON {on};\n", quote::ident(&p.name));
        let tag = format!("{} {}", rel.name, p.name);
        let node = Node::new(
            ObjectKind::Policy,
            Some(&rel.schema),
            &tag,
            Some(&rel.owner),
        );
        let id = g.add(node.sql(def, drop));
        g.belong(id, table);
        g.map(ObjRef::new(ObjClass::Policy, p.oid), id);
    }
}

fn create_policy(p: &Policy, on: &str) -> String {
    let mut s = format!("CREATE POLICY {} ON {on}", quote::ident(&p.name));
    if !p.permissive {
        s.push_str(" AS RESTRICTIVE");
    }
    let cmd = match p.command {
        'r' => Some("SELECT"),
        'a' => Some("INSERT"),
        'w' => Some("UPDATE"),
        'd' => Some("DELETE"),
        _ => None,
    };
    if let Some(cmd) = cmd {
        s.push_str(&format!(" FOR {cmd}"));
    }
    if !p.roles.is_empty() && p.roles != ["PUBLIC"] {
        s.push_str(&format!(" TO {}", p.roles.join(", ")));
    }
    if let Some(u) = &p.using {
        s.push_str(&format!(" USING ({u})"));
    }
    if let Some(w) = &p.with_check {
        s.push_str(&format!(" WITH CHECK ({w})"));
    }
    s.push_str(";\n");
    s
}
