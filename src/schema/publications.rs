//! `CREATE PUBLICATION` entries, then one entry per published table
//! (`ALTER PUBLICATION ... ADD TABLE ONLY`, with its column list and row
//! filter) and per published schema (`ADD TABLES IN SCHEMA`), in post-data.

use std::collections::HashMap;

use super::graph::{Graph, Node};
use super::{owner_sql, quote, Ctx};
use crate::catalog::{ObjClass, ObjRef, Oid};
use crate::format::toc::ObjectKind;

pub(super) fn add(ctx: &Ctx, g: &mut Graph) {
    let mut nodes: HashMap<Oid, (usize, String)> = HashMap::new();
    for p in &ctx.cat.publications {
        let name = quote::ident(&p.name);
        let mut def = format!("CREATE PUBLICATION {name}");
        if p.all_tables {
            def.push_str(" FOR ALL TABLES");
        }
        def.push_str(&format!(
            " WITH (publish = {}",
            quote::literal(&p.publish.join(", "))
        ));
        if p.via_root {
            def.push_str(", publish_via_partition_root = true");
        }
        def.push_str(");\n");
        let node = Node::new(ObjectKind::Publication, None, &p.name, Some(&p.owner))
            .sql(def, format!("DROP PUBLICATION IF EXISTS {name};\n"))
            .owned(owner_sql("PUBLICATION", &name, &p.owner));
        let id = g.add(node);
        g.map(ObjRef::new(ObjClass::Publication, p.oid), id);
        nodes.insert(p.oid, (id, name));
    }
    for t in &ctx.cat.publication_tables {
        let (Some((publ, pub_name)), Some(rel)) =
            (nodes.get(&t.publication), ctx.rels.get(&t.table))
        else {
            continue;
        };
        let Some(table) = g.node_of(ObjRef::new(ObjClass::Relation, rel.oid)) else {
            continue;
        };
        let mut def = format!(
            "ALTER PUBLICATION {pub_name} ADD TABLE ONLY {}",
            quote::qualified(&rel.schema, &rel.name)
        );
        if let Some(cols) = &t.columns {
            def.push_str(&format!(" ({})", cols.join(", ")));
        }
        if let Some(f) = &t.filter {
            def.push_str(&format!(" WHERE ({f})"));
        }
        def.push_str(";\n");
        let tag = format!("{} {}", g.nodes[*publ].name, rel.name);
        let node = Node::new(
            ObjectKind::PublicationTable,
            Some(&rel.schema),
            &tag,
            Some(&rel.owner),
        )
        .sql(def, String::new());
        let id = g.add(node);
        g.belong(id, *publ);
        g.depend(id, table);
    }
    for s in &ctx.cat.publication_schemas {
        let (Some((publ, pub_name)), Some(ns)) = (
            nodes.get(&s.publication),
            ctx.cat.namespaces.iter().find(|n| n.oid == s.schema),
        ) else {
            continue;
        };
        let def = format!(
            "ALTER PUBLICATION {pub_name} ADD TABLES IN SCHEMA {};\n",
            quote::ident(&ns.name)
        );
        let tag = format!("{} {}", g.nodes[*publ].name, ns.name);
        let node = Node::new(ObjectKind::PublicationSchema, Some(&ns.name), &tag, None)
            .sql(def, String::new());
        let id = g.add(node);
        g.belong(id, *publ);
        if let Some(n) = ctx.schema_node(g, &ns.name) {
            g.depend(id, n);
        }
    }
}
