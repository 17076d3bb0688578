//! DDL for views and materialized views. A materialized view is created
//! empty (`WITH NO DATA`) in pre-data and filled by a post-data `REFRESH`
//! entry, after the refreshes of the materialized views it reads.

use std::collections::HashSet;

use super::graph::{Graph, Node};
use super::{owner_sql, quote, tables, with_options, Ctx};
use crate::catalog::{ObjClass, ObjRef, RelKind};
use crate::format::toc::ObjectKind;

/// Adds views and materialized views; returns (materialized view node,
/// refresh node) pairs for [`chain_refreshes`].
pub(super) fn add(ctx: &Ctx, g: &mut Graph) -> Vec<(usize, usize)> {
    let mut refreshes = Vec::new();
    for rel in &ctx.cat.relations {
        let (kind, word) = match rel.kind {
            RelKind::View => (ObjectKind::View, "VIEW"),
            RelKind::MaterializedView => (ObjectKind::MaterializedView, "MATERIALIZED VIEW"),
            _ => continue,
        };
        let name = quote::qualified(&rel.schema, &rel.name);
        let query = rel.view_def.as_deref().unwrap_or_default().trim_end();
        let query = query.strip_suffix(';').unwrap_or(query);
        let check_option = rel
            .options
            .iter()
            .find_map(|o| o.strip_prefix("check_option="))
            .map(str::to_uppercase);
        let options: Vec<&String> = rel
            .options
            .iter()
            .filter(|o| !o.starts_with("check_option="))
            .collect();
        let mut def = format!("CREATE {word} {name}");
        if let Some(am) = rel
            .access_method
            .as_ref()
            .filter(|_| kind == ObjectKind::MaterializedView)
        {
            def.push_str(&format!(" USING {}", quote::ident(am)));
        }
        if !options.is_empty() {
            def.push_str(&format!(" WITH ({})", with_options(options.into_iter())));
        }
        def.push_str(&format!(" AS\n{query}"));
        if let Some(c) = check_option {
            def.push_str(&format!("\n  WITH {c} CHECK OPTION"));
        }
        if kind == ObjectKind::MaterializedView {
            def.push_str("\n  WITH NO DATA");
        }
        def.push_str(";\n");
        if kind == ObjectKind::MaterializedView {
            for col in &rel.columns {
                def.push_str(&tables::column_settings(&name, col));
            }
        }
        let def = super::in_tablespace(rel.tablespace.as_deref(), def);
        let drop = format!("DROP {word} IF EXISTS {name};\n");
        let id = g.add(
            Node::new(kind, Some(&rel.schema), &rel.name, Some(&rel.owner))
                .sql(def, drop)
                .owned(owner_sql(word, &name, &rel.owner)),
        );
        g.map(ObjRef::new(ObjClass::Relation, rel.oid), id);
        if kind == ObjectKind::MaterializedView && rel.populated {
            let node = Node::new(
                ObjectKind::RefreshMaterializedView,
                Some(&rel.schema),
                &rel.name,
                Some(&rel.owner),
            );
            let refresh = g.add(
                node.sql(
                    format!("REFRESH MATERIALIZED VIEW {name};\n"),
                    String::new(),
                )
                .part_of(id),
            );
            refreshes.push((id, refresh));
        }
    }
    refreshes
}

/// Makes each refresh wait for the refreshes of the materialized views its
/// query reads, directly or through views. Call once all dependencies are in.
pub(super) fn chain_refreshes(g: &mut Graph, refreshes: &[(usize, usize)]) {
    for &(matview, refresh) in refreshes {
        let mut seen = HashSet::from([matview]);
        let mut stack = vec![matview];
        let mut needs = Vec::new();
        while let Some(n) = stack.pop() {
            for &d in &g.nodes[n].deps {
                let kind = g.nodes[d].kind;
                if !matches!(kind, ObjectKind::View | ObjectKind::MaterializedView)
                    || !seen.insert(d)
                {
                    continue;
                }
                if let Some(&(_, r)) = refreshes.iter().find(|(m, _)| *m == d) {
                    needs.push(r);
                }
                stack.push(d);
            }
        }
        for r in needs {
            g.depend(refresh, r);
        }
    }
}
