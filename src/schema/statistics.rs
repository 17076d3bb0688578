//! `CREATE STATISTICS` entries (from `pg_get_statisticsobjdef`), with a
//! statistics target where one was set.

use super::graph::{Graph, Node};
use super::{owner_sql, quote, Ctx};
use crate::catalog::{ObjClass, ObjRef};
use crate::format::toc::ObjectKind;

pub(super) fn add(ctx: &Ctx, g: &mut Graph) {
    for s in &ctx.cat.statistics {
        let Some(table) = g.node_of(ObjRef::new(ObjClass::Relation, s.table)) else {
            continue;
        };
        let name = quote::qualified(&s.schema, &s.name);
        let mut def = format!("{};\n", s.definition.trim_end());
        if let Some(t) = s.target {
            def.push_str(&format!("ALTER STATISTICS {name} SET STATISTICS {t};\n"));
        }
        let node = Node::new(
            ObjectKind::Statistics,
            Some(&s.schema),
            &s.name,
            Some(&s.owner),
        )
        .sql(def, format!("DROP STATISTICS IF EXISTS {name};\n"))
        .owned(owner_sql("STATISTICS", &name, &s.owner))
        .part_of(table);
        let id = g.add(node);
        g.map(ObjRef::new(ObjClass::Statistics, s.oid), id);
    }
}
