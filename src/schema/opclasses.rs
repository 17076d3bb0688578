//! Operator families and classes. Every family is created first (`CREATE
//! OPERATOR FAMILY`, plus `ALTER OPERATOR FAMILY ... ADD` for the members
//! that belong to no class), then each class in its family.

use super::graph::{Graph, Node};
use super::{owner_sql, quote, Ctx};
use crate::catalog::{ObjClass, ObjRef, OpMember};
use crate::format::toc::ObjectKind;

/// Makes `node` depend on the operators and functions `members` use.
fn depend_on_members(g: &mut Graph, node: usize, members: &[&OpMember]) {
    for m in members {
        let class = if m.is_operator {
            ObjClass::Operator
        } else {
            ObjClass::Function
        };
        if let Some(n) = g.node_of(ObjRef::new(class, m.uses)) {
            g.depend(node, n);
        }
    }
}

pub(super) fn add(ctx: &Ctx, g: &mut Graph) {
    for f in &ctx.cat.op_families {
        let name = quote::qualified(&f.schema, &f.name);
        let using = format!("{name} USING {}", quote::ident(&f.method));
        let loose: Vec<&OpMember> = ctx
            .cat
            .op_members
            .iter()
            .filter(|m| m.family == f.oid && m.opclass == 0)
            .collect();
        let mut def = format!("CREATE OPERATOR FAMILY {using};\n");
        if !loose.is_empty() {
            let items: Vec<&str> = loose.iter().map(|m| m.item.as_str()).collect();
            def.push_str(&format!(
                "ALTER OPERATOR FAMILY {using} ADD\n    {};\n",
                items.join(",\n    ")
            ));
        }
        let node = Node::new(
            ObjectKind::OperatorFamily,
            Some(&f.schema),
            &f.name,
            Some(&f.owner),
        )
        .sql(def, format!("DROP OPERATOR FAMILY IF EXISTS {using};\n"))
        .owned(owner_sql("OPERATOR FAMILY", &using, &f.owner));
        let id = g.add(node);
        g.map(ObjRef::new(ObjClass::OperatorFamily, f.oid), id);
        depend_on_members(g, id, &loose);
    }
    for c in &ctx.cat.op_classes {
        let name = quote::qualified(&c.schema, &c.name);
        let using = format!("{name} USING {}", quote::ident(&c.method));
        let members: Vec<&OpMember> = ctx
            .cat
            .op_members
            .iter()
            .filter(|m| m.opclass == c.oid)
            .collect();
        let mut items: Vec<String> = members.iter().map(|m| m.item.clone()).collect();
        // `AS` needs at least one item: a class without members names its
        // storage type even when it is the indexed type (as pg_dump does).
        match &c.storage {
            Some(s) => items.push(format!("STORAGE {s}")),
            None if items.is_empty() => items.push(format!("STORAGE {}", c.for_type)),
            None => {}
        }
        let def = format!(
            "CREATE OPERATOR CLASS {name}\n    {}FOR TYPE {} USING {} FAMILY {} AS\n    {};\n",
            if c.is_default { "DEFAULT " } else { "" },
            c.for_type,
            quote::ident(&c.method),
            c.family,
            items.join(",\n    ")
        );
        let node = Node::new(
            ObjectKind::OperatorClass,
            Some(&c.schema),
            &c.name,
            Some(&c.owner),
        )
        .sql(def, format!("DROP OPERATOR CLASS IF EXISTS {using};\n"))
        .owned(owner_sql("OPERATOR CLASS", &using, &c.owner));
        let id = g.add(node);
        g.map(ObjRef::new(ObjClass::OperatorClass, c.oid), id);
        if let Some(fam) = g.node_of(ObjRef::new(ObjClass::OperatorFamily, c.family_oid)) {
            g.depend(id, fam);
        }
        depend_on_members(g, id, &members);
    }
}
