//! DDL for post-data constraints: primary key, unique and exclusion
//! constraints, foreign keys, and CHECK and NOT NULL constraints not yet
//! validated.
//! (Validated checks are inline in `CREATE TABLE`, see `tables`.)

use super::graph::{Graph, Node};
use super::{indexes, quote, Ctx};
use crate::catalog::{ConstraintKind, ObjClass, ObjRef, RelKind};
use crate::format::toc::ObjectKind;

pub(super) fn add(ctx: &Ctx, g: &mut Graph) {
    for c in &ctx.cat.constraints {
        let Some(rel) = ctx.rels.get(&c.table) else {
            continue;
        };
        let Some(table) = g.node_of(ObjRef::new(ObjClass::Relation, rel.oid)) else {
            continue;
        };
        let partitioned = rel.kind == RelKind::PartitionedTable;
        let has_children = ctx.has_children.contains(&rel.oid);
        let (kind, only) = match c.kind {
            ConstraintKind::PrimaryKey | ConstraintKind::Unique | ConstraintKind::Exclusion => {
                (ObjectKind::Constraint, true)
            }
            // Cloned onto a partition by the parent's foreign key.
            ConstraintKind::ForeignKey if c.parent != 0 => continue,
            ConstraintKind::ForeignKey => (ObjectKind::FkConstraint, !partitioned),
            ConstraintKind::Check if !c.is_local || ctx.inline_check(c) => continue,
            ConstraintKind::Check => (ObjectKind::CheckConstraint, !has_children),
            ConstraintKind::NotNull if !c.is_local => continue,
            ConstraintKind::NotNull => (ObjectKind::CheckConstraint, !has_children),
        };
        let name = quote::qualified(&rel.schema, &rel.name);
        let only = if only { "ONLY " } else { "" };
        let index_tablespace = ctx
            .indexes
            .get(&c.index)
            .filter(|_| c.kind != ConstraintKind::ForeignKey)
            .and_then(|i| i.tablespace.as_deref());
        let mut def = super::in_tablespace(
            index_tablespace,
            format!(
                "ALTER TABLE {only}{name} ADD CONSTRAINT {} {};\n",
                quote::ident(&c.name),
                c.definition
            ),
        );
        if c.kind != ConstraintKind::ForeignKey {
            if let Some(idx) = ctx.indexes.get(&c.index) {
                def.push_str(&indexes::extras(idx, &name));
            }
        }
        // An attached partition's constraint goes away with the parent's.
        let drop = if c.parent != 0 {
            String::new()
        } else {
            let only = if partitioned || has_children {
                ""
            } else {
                "ONLY "
            };
            format!(
                "ALTER TABLE IF EXISTS {only}{name} DROP CONSTRAINT IF EXISTS {};\n",
                quote::ident(&c.name)
            )
        };
        let tag = format!("{} {}", rel.name, c.name);
        let id = g.add(Node::new(kind, Some(&rel.schema), &tag, Some(&rel.owner)).sql(def, drop));
        g.belong(id, table);
        g.map(ObjRef::new(ObjClass::Constraint, c.oid), id);
        if c.kind != ConstraintKind::ForeignKey && c.index != 0 {
            g.map(ObjRef::new(ObjClass::Relation, c.index), id);
        }
    }
}
