//! DDL for sequences: `CREATE SEQUENCE`, `OWNED BY` (its own entry, after
//! the table), the options of identity columns, and `SEQUENCE SET` entries
//! that restore each sequence's value at the snapshot.

use super::graph::{Graph, Node};
use super::{owner_sql, quote, Ctx};
use crate::catalog::{ObjClass, ObjRef, Sequence};
use crate::format::toc::ObjectKind;

/// The sequence options after `CREATE SEQUENCE name` or inside an identity
/// column's parentheses, one per element, defaults spelled `NO MINVALUE` etc.
pub(super) fn options(seq: &Sequence) -> Vec<String> {
    let (type_min, type_max) = match seq.data_type.as_str() {
        "smallint" => (i64::from(i16::MIN), i64::from(i16::MAX)),
        "integer" => (i64::from(i32::MIN), i64::from(i32::MAX)),
        _ => (i64::MIN, i64::MAX),
    };
    let (default_min, default_max) = if seq.increment > 0 {
        (1, type_max)
    } else {
        (type_min, -1)
    };
    let mut out = vec![
        format!("START WITH {}", seq.start),
        format!("INCREMENT BY {}", seq.increment),
    ];
    out.push(if seq.min == default_min {
        "NO MINVALUE".to_owned()
    } else {
        format!("MINVALUE {}", seq.min)
    });
    out.push(if seq.max == default_max {
        "NO MAXVALUE".to_owned()
    } else {
        format!("MAXVALUE {}", seq.max)
    });
    out.push(format!("CACHE {}", seq.cache));
    if seq.cycle {
        out.push("CYCLE".to_owned());
    }
    out
}

/// Sequences that are not identity sequences: `CREATE SEQUENCE` entries.
pub(super) fn add(ctx: &Ctx, g: &mut Graph) {
    for seq in ctx.cat.sequences.iter().filter(|s| !is_identity(s)) {
        let name = quote::qualified(&seq.schema, &seq.name);
        let mut def = format!(
            "CREATE {}SEQUENCE {name}\n",
            if seq.unlogged { "UNLOGGED " } else { "" }
        );
        if seq.data_type != "bigint" {
            def.push_str(&format!("    AS {}\n", seq.data_type));
        }
        for o in options(seq) {
            def.push_str(&format!("    {o}\n"));
        }
        def.pop();
        def.push_str(";\n");
        let drop = format!("DROP SEQUENCE IF EXISTS {name};\n");
        let node = Node::new(
            ObjectKind::Sequence,
            Some(&seq.schema),
            &seq.name,
            Some(&seq.owner),
        );
        let id = g.add(
            node.sql(def, drop)
                .owned(owner_sql("SEQUENCE", &name, &seq.owner)),
        );
        g.map(ObjRef::new(ObjClass::Relation, seq.oid), id);
    }
}

/// `ALTER SEQUENCE ... OWNED BY` entries; call after the tables are added.
pub(super) fn add_owned_by(ctx: &Ctx, g: &mut Graph) {
    for seq in &ctx.cat.sequences {
        let Some(owner) = seq.owned_by.as_ref().filter(|o| !o.identity) else {
            continue;
        };
        let (Some(rel), Some(seq_node), Some(table_node)) = (
            ctx.rels.get(&owner.table),
            g.node_of(ObjRef::new(ObjClass::Relation, seq.oid)),
            g.node_of(ObjRef::new(ObjClass::Relation, owner.table)),
        ) else {
            continue;
        };
        let def = format!(
            "ALTER SEQUENCE {} OWNED BY {}.{};\n",
            quote::qualified(&seq.schema, &seq.name),
            quote::qualified(&rel.schema, &rel.name),
            quote::ident(&owner.column)
        );
        let node = Node::new(
            ObjectKind::SequenceOwnedBy,
            Some(&seq.schema),
            &seq.name,
            Some(&seq.owner),
        );
        let id = g.add(node.sql(def, String::new()).part_of(seq_node));
        g.depend(id, table_node);
    }
}

/// `SEQUENCE SET` entries for every dumped sequence, identity ones included.
pub(super) fn add_values(ctx: &Ctx, g: &mut Graph) {
    for seq in &ctx.cat.sequences {
        let Some(seq_node) = g.node_of(ObjRef::new(ObjClass::Relation, seq.oid)) else {
            continue;
        };
        let def = format!(
            "SELECT pg_catalog.setval({}, {}, {});\n",
            quote::literal(&quote::qualified(&seq.schema, &seq.name)),
            seq.last_value,
            seq.is_called
        );
        let node = Node::new(
            ObjectKind::SequenceSet,
            Some(&seq.schema),
            &seq.name,
            Some(&seq.owner),
        );
        g.add(node.sql(def, String::new()).part_of(seq_node));
    }
}

fn is_identity(seq: &Sequence) -> bool {
    seq.owned_by.as_ref().is_some_and(|o| o.identity)
}
