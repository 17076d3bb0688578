//! `build` on small hand-made catalogs (no server needed).

use super::*;
use crate::catalog::{
    Column, Depend, Namespace, ObjClass, ObjRef, RelKind, SequenceOwner, FIRST_NORMAL_OID,
};
use crate::format::toc::{ObjectKind, Section};

const NS: Oid = FIRST_NORMAL_OID;
const TABLE: Oid = NS + 1;
const SEQ: Oid = NS + 2;
const PK: Oid = NS + 3;
const PK_INDEX: Oid = NS + 4;
const FK: Oid = NS + 5;

fn column(num: i16, name: &str, type_oid: Oid, type_sql: &str) -> Column {
    Column {
        num,
        name: name.into(),
        type_oid,
        type_sql: type_sql.into(),
        collation: None,
        not_null: false,
        not_null_name: None,
        not_null_no_inherit: false,
        not_null_local: false,
        default: None,
        generated: false,
        virtual_generated: false,
        identity: None,
        is_local: true,
        stat_target: None,
        storage: None,
        compression: None,
        options: vec![],
        fdw_options: None,
    }
}

fn constraint(oid: Oid, name: &str, kind: ConstraintKind, index: Oid, def: &str) -> Constraint {
    Constraint {
        oid,
        name: name.into(),
        kind,
        table: TABLE,
        domain: 0,
        index,
        parent: 0,
        is_local: true,
        validated: true,
        definition: def.into(),
    }
}

/// `app.items (id serial PRIMARY KEY, parent integer REFERENCES app.items, total numeric GENERATED ...)`.
fn catalog() -> Catalog {
    let int4 = TypeInfo {
        oid: 23,
        typtype: 'b',
        array_elem: 0,
        domain_base: 0,
        range_subtype: 0,
        relid: 0,
        attr_types: None,
        binary_io: true,
    };
    let id = Column {
        not_null: true,
        not_null_local: true,
        default: Some("nextval('app.items_id_seq'::regclass)".into()),
        ..column(1, "id", 23, "integer")
    };
    let doubled = Column {
        generated: true,
        default: Some("(id * 2)".into()),
        ..column(3, "doubled", 23, "integer")
    };
    let rel = |class, oid| ObjRef::new(class, oid);
    Catalog {
        namespaces: vec![Namespace {
            oid: NS,
            name: "app".into(),
            owner: "alice".into(),
        }],
        types: vec![int4],
        relations: vec![Relation {
            oid: TABLE,
            schema: "app".into(),
            name: "items".into(),
            owner: "alice".into(),
            kind: RelKind::Table,
            unlogged: false,
            options: vec![],
            partition_bound: None,
            partition_key: None,
            view_def: None,
            populated: true,
            parents: vec![],
            columns: vec![id, column(2, "parent", 23, "integer"), doubled],
            row_security: false,
            force_row_security: false,
            replica_identity: 'd',
            access_method: None,
            of_type: None,
            foreign: None,
            tablespace: None,
        }],
        sequences: vec![Sequence {
            oid: SEQ,
            schema: "app".into(),
            name: "items_id_seq".into(),
            owner: "alice".into(),
            data_type: "integer".into(),
            start: 1,
            increment: 1,
            min: 1,
            max: i64::from(i32::MAX),
            cache: 1,
            cycle: false,
            unlogged: false,
            owned_by: Some(SequenceOwner {
                table: TABLE,
                column: "id".into(),
                identity: false,
            }),
            last_value: 42,
            is_called: true,
        }],
        constraints: vec![
            constraint(
                PK,
                "items_pkey",
                ConstraintKind::PrimaryKey,
                PK_INDEX,
                "PRIMARY KEY (id)",
            ),
            constraint(
                FK,
                "items_parent_fkey",
                ConstraintKind::ForeignKey,
                PK_INDEX,
                "FOREIGN KEY (parent) REFERENCES app.items(id)",
            ),
        ],
        depends: vec![
            // The default uses the sequence; the sequence is owned by the column.
            Depend {
                obj: rel(ObjClass::Relation, TABLE),
                on: rel(ObjClass::Relation, SEQ),
                auto: false,
            },
            Depend {
                obj: rel(ObjClass::Relation, SEQ),
                on: rel(ObjClass::Relation, TABLE),
                auto: true,
            },
            Depend {
                obj: rel(ObjClass::Constraint, FK),
                on: rel(ObjClass::Relation, PK_INDEX),
                auto: false,
            },
        ],
        ..Catalog::default()
    }
}

fn entry(plan: &SchemaPlan, kind: ObjectKind) -> &SchemaEntry {
    plan.entries.iter().find(|e| e.kind == kind).unwrap()
}

#[test]
fn serial_table_in_restore_order() {
    let plan = build(&catalog()).unwrap();
    let kinds: Vec<ObjectKind> = plan.entries.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            ObjectKind::Schema,
            ObjectKind::Sequence,
            ObjectKind::Table,
            ObjectKind::SequenceOwnedBy,
            ObjectKind::TableData,
            ObjectKind::SequenceSet,
            ObjectKind::Constraint,
            ObjectKind::FkConstraint,
        ]
    );
    for (i, e) in plan.entries.iter().enumerate() {
        assert_eq!(e.id, DumpId(u32::try_from(i).unwrap() + 1));
        assert!(e.deps.iter().all(|d| *d < e.id), "{e:?}");
    }
    let id = |k| entry(&plan, k).id;
    assert_eq!(
        entry(&plan, ObjectKind::Table).deps,
        [id(ObjectKind::Schema), id(ObjectKind::Sequence)]
    );
    assert_eq!(
        entry(&plan, ObjectKind::TableData).deps,
        [id(ObjectKind::Table)]
    );
    assert_eq!(entry(&plan, ObjectKind::TableData).section, Section::Data);
    assert_eq!(
        entry(&plan, ObjectKind::FkConstraint).deps,
        [id(ObjectKind::Table), id(ObjectKind::Constraint)]
    );
}

#[test]
fn generated_sql() {
    let plan = build(&catalog()).unwrap();
    let table = entry(&plan, ObjectKind::Table);
    assert_eq!(
        table.definition,
        "CREATE TABLE app.items (\n    id integer DEFAULT nextval('app.items_id_seq'::regclass) NOT NULL,\n    \
         parent integer,\n    doubled integer GENERATED ALWAYS AS ((id * 2)) STORED\n);\n"
    );
    assert_eq!(table.owner_sql, "ALTER TABLE app.items OWNER TO alice;\n");
    assert_eq!(table.drop, "DROP TABLE IF EXISTS app.items;\n");
    assert_eq!(table.owner.as_deref(), Some("alice"));
    assert_eq!(
        entry(&plan, ObjectKind::Sequence).definition,
        "CREATE SEQUENCE app.items_id_seq\n    AS integer\n    START WITH 1\n    INCREMENT BY 1\n    \
         NO MINVALUE\n    NO MAXVALUE\n    CACHE 1;\n"
    );
    assert_eq!(
        entry(&plan, ObjectKind::SequenceOwnedBy).definition,
        "ALTER SEQUENCE app.items_id_seq OWNED BY app.items.id;\n"
    );
    assert_eq!(
        entry(&plan, ObjectKind::SequenceSet).definition,
        "SELECT pg_catalog.setval('app.items_id_seq', 42, true);\n"
    );
    assert_eq!(
        entry(&plan, ObjectKind::Constraint).definition,
        "ALTER TABLE ONLY app.items ADD CONSTRAINT items_pkey PRIMARY KEY (id);\n"
    );
    let copy = &plan.tables[0];
    assert_eq!(copy.entry, entry(&plan, ObjectKind::TableData).id);
    assert_eq!(copy.columns, ["id", "parent"]);
    assert_eq!(copy.format, CopyFormat::Binary);
    assert_eq!(copy.relpages, 0, "sizes are read by the backup, under lock");
}

#[test]
fn deterministic() {
    assert_eq!(build(&catalog()).unwrap(), build(&catalog()).unwrap());
}

#[test]
fn dependency_loop_is_an_error() {
    let mut cat = catalog();
    // Make the sequence need the table too (not as an OWNED BY auto dependency).
    cat.depends.push(Depend {
        obj: ObjRef::new(ObjClass::Relation, SEQ),
        on: ObjRef::new(ObjClass::Relation, TABLE),
        auto: false,
    });
    let err = build(&cat).unwrap_err().to_string();
    assert!(err.contains("dependency loop"), "{err}");
    assert!(
        err.contains("SEQUENCE app.items_id_seq") && err.contains("TABLE app.items"),
        "{err}"
    );
}
