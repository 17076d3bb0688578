//! `TABLE DATA` entries and the COPY plan for each table, including the
//! choice between binary and text COPY.
//!
//! Binary COPY of arrays and composite values embeds type OIDs, and user
//! types get new OIDs in the target database: a table whose columns hold
//! such values is copied as text. So is one with an object identifier type
//! (`regclass`, `regtype`, ...): in binary it is the OID, which names another
//! object (or none) in the target; as text it is the object's name. Other
//! built-in types' binary forms are the same in every version from 13 to 18
//! (the cross-version tests restore a table of each into every newer major).

use std::collections::HashMap;

use super::graph::{Graph, Node};
use super::{Ctx, TableCopy};
use crate::catalog::{ObjClass, ObjRef, Oid, RelKind, TypeInfo, FIRST_NORMAL_OID};
use crate::format::toc::{CopyFormat, DumpId, ObjectKind};

/// Adds one `TABLE DATA` entry per table that holds rows of its own; returns
/// each with its node (the dump id is filled in once the order is known).
pub(super) fn add(ctx: &Ctx, g: &mut Graph) -> Vec<(usize, TableCopy)> {
    let mut out = Vec::new();
    for rel in ctx
        .cat
        .relations
        .iter()
        .filter(|r| r.kind == RelKind::Table)
    {
        let Some(table) = g.node_of(ObjRef::new(ObjClass::Relation, rel.oid)) else {
            continue;
        };
        let columns: Vec<_> = rel.columns.iter().filter(|c| !c.generated).collect();
        let binary_ok = columns
            .iter()
            .all(|c| !unsafe_type(&ctx.types, c.type_oid, 0));
        let node = Node::new(
            ObjectKind::TableData,
            Some(&rel.schema),
            &rel.name,
            Some(&rel.owner),
        );
        let id = g.add(node);
        g.belong(id, table);
        out.push((
            id,
            TableCopy {
                entry: DumpId(0),
                schema: rel.schema.clone(),
                table: rel.name.clone(),
                columns: columns.iter().map(|c| c.name.clone()).collect(),
                format: if binary_ok {
                    CopyFormat::Binary
                } else {
                    CopyFormat::Text
                },
                relpages: 0,
                query: None,
            },
        ));
    }
    out
}

/// The object identifier types but `oid` itself: `regproc`, `regprocedure`,
/// `regoper`, `regoperator`, `regclass`, `regtype`, `regconfig`,
/// `regdictionary`, `regnamespace`, `regrole`, `regcollation`.
const REG_TYPES: [Oid; 11] = [
    24, 2202, 2203, 2204, 2205, 2206, 3734, 3769, 4089, 4096, 4191,
];

/// Whether binary COPY of values of type `oid` could fail to load elsewhere.
fn unsafe_type(types: &HashMap<Oid, &TypeInfo>, oid: Oid, depth: u8) -> bool {
    let Some(t) = types.get(&oid) else {
        return true;
    };
    if depth > 16 || !t.binary_io || REG_TYPES.contains(&oid) {
        return true;
    }
    let user_or_unsafe = |o: Oid| o >= FIRST_NORMAL_OID || unsafe_type(types, o, depth + 1);
    if t.array_elem != 0 {
        let elem_is_domain = types.get(&t.array_elem).is_none_or(|e| e.typtype == 'd');
        return elem_is_domain || user_or_unsafe(t.array_elem);
    }
    match t.typtype {
        'c' => match &t.attr_types {
            Some(attrs) => attrs.iter().any(|&a| user_or_unsafe(a)),
            // The row type of a table or view: not worth looking into.
            None => t.oid >= FIRST_NORMAL_OID,
        },
        'd' => {
            let base_is_array = types.get(&t.domain_base).is_none_or(|b| b.array_elem != 0);
            base_is_array || unsafe_type(types, t.domain_base, depth + 1)
        }
        'r' => user_or_unsafe(t.range_subtype),
        'm' => t.oid >= FIRST_NORMAL_OID,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(oid: Oid, typtype: char) -> TypeInfo {
        TypeInfo {
            oid,
            typtype,
            array_elem: 0,
            domain_base: 0,
            range_subtype: 0,
            relid: 0,
            attr_types: None,
            binary_io: true,
        }
    }

    #[test]
    fn binary_safety() {
        let int4 = ty(23, 'b');
        let int4_arr = TypeInfo {
            array_elem: 23,
            ..ty(1007, 'b')
        };
        let no_io = TypeInfo {
            binary_io: false,
            ..ty(20000, 'b')
        };
        let enum_t = ty(20001, 'e');
        let enum_arr = TypeInfo {
            array_elem: 20001,
            ..ty(20002, 'b')
        };
        let comp_builtin = TypeInfo {
            attr_types: Some(vec![23, 1007]),
            ..ty(20003, 'c')
        };
        let comp_user = TypeInfo {
            attr_types: Some(vec![23, 20001]),
            ..ty(20004, 'c')
        };
        let dom = TypeInfo {
            domain_base: 23,
            ..ty(20005, 'd')
        };
        let dom_arr = TypeInfo {
            array_elem: 20005,
            ..ty(20006, 'b')
        };
        let dom_over_arr = TypeInfo {
            domain_base: 1007,
            ..ty(20007, 'd')
        };
        let range_builtin = TypeInfo {
            range_subtype: 23,
            ..ty(3904, 'r')
        };
        let regclass = ty(2205, 'b');
        let regclass_arr = TypeInfo {
            array_elem: 2205,
            ..ty(2210, 'b')
        };
        let all = [
            regclass,
            regclass_arr,
            int4,
            int4_arr,
            no_io,
            enum_t,
            enum_arr,
            comp_builtin,
            comp_user,
            dom,
            dom_arr,
            dom_over_arr,
            range_builtin,
        ];
        let types: HashMap<Oid, &TypeInfo> = all.iter().map(|t| (t.oid, t)).collect();
        let safe = |o| !unsafe_type(&types, o, 0);
        assert!(safe(23));
        assert!(safe(1007));
        assert!(!safe(20000));
        assert!(safe(20001));
        assert!(!safe(20002));
        assert!(safe(20003));
        assert!(!safe(20004));
        assert!(safe(20005));
        assert!(!safe(20006));
        assert!(!safe(20007));
        assert!(safe(3904));
        assert!(!safe(2205), "regclass is an OID in binary");
        assert!(!safe(2210));
        assert!(!safe(99999));
    }
}
