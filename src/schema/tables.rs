//! DDL for tables: ordinary, unlogged, partitioned, partitions and
//! inheritance children (`INHERITS`), with column defaults, generated and
//! identity columns, NOT NULL and validated CHECK constraints inline.
//!
//! As pg_dump does, a partition is created on its own, with all its columns
//! and constraints, and attached afterwards: it keeps its column order, and
//! a restore into 18+ (where NOT NULL constraints are catalog entries) names
//! its NOT NULL constraints as pg_restore does.

use super::graph::{Graph, Node};
use super::{owner_sql, quote, sequences, with_options, Ctx};
use crate::catalog::{Column, ObjClass, ObjRef, RelKind, Relation};
use crate::format::toc::ObjectKind;

pub(super) fn add(ctx: &Ctx, g: &mut Graph) {
    let tables: Vec<&Relation> = ctx
        .cat
        .relations
        .iter()
        .filter(|r| {
            matches!(
                r.kind,
                RelKind::Table | RelKind::PartitionedTable | RelKind::ForeignTable
            )
        })
        .collect();
    let mut ids = Vec::with_capacity(tables.len());
    for rel in &tables {
        let name = quote::qualified(&rel.schema, &rel.name);
        let def = super::in_tablespace(rel.tablespace.as_deref(), create_table(ctx, rel, &name));
        let (kind, word) = match rel.kind {
            RelKind::ForeignTable => (ObjectKind::ForeignTable, "FOREIGN TABLE"),
            _ => (ObjectKind::Table, "TABLE"),
        };
        let node = Node::new(kind, Some(&rel.schema), &rel.name, Some(&rel.owner));
        let id = g.add(
            node.sql(def, format!("DROP {word} IF EXISTS {name};\n"))
                .owned(owner_sql(word, &name, &rel.owner)),
        );
        g.map(ObjRef::new(ObjClass::Relation, rel.oid), id);
        // Inline and inherited checks are created with the table.
        let checks = ctx.checks_of(rel.oid).filter(|c| ctx.inline_check(c));
        for c in checks {
            g.map(ObjRef::new(ObjClass::Constraint, c.oid), id);
        }
        for col in &rel.columns {
            if let Some(seq) = ctx.identity_sequence(rel.oid, &col.name) {
                g.map(ObjRef::new(ObjClass::Relation, seq.oid), id);
            }
        }
        ids.push(id);
    }
    for (rel, &id) in tables.iter().zip(&ids) {
        for &p in &rel.parents {
            if let Some(parent) = g.node_of(ObjRef::new(ObjClass::Relation, p)) {
                g.depend(id, parent);
            }
        }
        let parent = rel.parents.first().and_then(|p| ctx.rels.get(p));
        if let (Some(parent), Some(bound)) = (parent, &rel.partition_bound) {
            add_attach(g, rel, parent, bound, id);
        }
        let parents: Vec<&Relation> = rel
            .parents
            .iter()
            .filter_map(|p| ctx.rels.get(p).copied())
            .collect();
        if inherits_later(rel, &parents) {
            add_inherit(g, rel, &parents, id);
        }
    }
}

/// `ALTER TABLE ONLY child INHERIT parent` for each parent, after all of them.
fn add_inherit(g: &mut Graph, rel: &Relation, parents: &[&Relation], child: usize) {
    let name = quote::qualified(&rel.schema, &rel.name);
    let def: String = parents
        .iter()
        .map(|p| {
            format!(
                "ALTER TABLE ONLY {name} INHERIT {};\n",
                quote::qualified(&p.schema, &p.name)
            )
        })
        .collect();
    add_join(g, rel, parents, def, child);
}

/// `ALTER TABLE ONLY parent ATTACH PARTITION child FOR VALUES ...`, after both.
fn add_attach(g: &mut Graph, rel: &Relation, parent: &Relation, bound: &str, child: usize) {
    let def = format!(
        "ALTER TABLE ONLY {} ATTACH PARTITION {} {bound};\n",
        quote::qualified(&parent.schema, &parent.name),
        quote::qualified(&rel.schema, &rel.name)
    );
    add_join(g, rel, &[parent], def, child);
}

/// A `TABLE ATTACH` entry that joins table `rel` (entry `child`) to its
/// `parents` with `def`, after all of them.
fn add_join(g: &mut Graph, rel: &Relation, parents: &[&Relation], def: String, child: usize) {
    let node = Node::new(
        ObjectKind::TableAttach,
        Some(&rel.schema),
        &rel.name,
        Some(&rel.owner),
    )
    .sql(def, String::new());
    let id = g.add(node);
    g.belong(id, child);
    for p in parents {
        if let Some(n) = g.node_of(ObjRef::new(ObjClass::Relation, p.oid)) {
            g.depend(id, n);
        }
    }
}

/// Whether inheritance child `rel` is created on its own and joined to its
/// parents afterwards (`ALTER TABLE ... INHERIT`, as it was made): when its
/// columns, all of them its own, are in another order than `INHERITS` would
/// give them (the parents' columns first). pg_dump cannot keep that order.
fn inherits_later(rel: &Relation, parents: &[&Relation]) -> bool {
    if parents.is_empty()
        || rel.partition_bound.is_some()
        || !rel.columns.iter().all(|c| c.is_local)
    {
        return false;
    }
    let mut expected: Vec<&str> = Vec::new();
    for p in parents {
        for c in &p.columns {
            if !expected.contains(&c.name.as_str()) {
                expected.push(&c.name);
            }
        }
    }
    for c in &rel.columns {
        if !expected.contains(&c.name.as_str()) {
            expected.push(&c.name);
        }
    }
    let actual: Vec<&str> = rel.columns.iter().map(|c| c.name.as_str()).collect();
    actual != expected
}

fn create_table(ctx: &Ctx, rel: &Relation, name: &str) -> String {
    let parents: Vec<&Relation> = rel
        .parents
        .iter()
        .filter_map(|p| ctx.rels.get(p).copied())
        .collect();
    // A partition is created on its own and attached to its parent later.
    let partition_of = rel.partition_bound.as_ref().and(parents.first().copied());
    let standalone = partition_of.is_some() || inherits_later(rel, &parents);
    let parents = if standalone { Vec::new() } else { parents };
    let mut elems = Vec::new();
    if rel.of_type.is_some() {
        // A typed table's columns come from its type: only their options.
        for col in &rel.columns {
            let mut e = quote::ident(&col.name);
            if let Some(d) = col.default.as_ref().filter(|_| !col.generated) {
                e.push_str(&format!(" DEFAULT {d}"));
            }
            if col.not_null {
                e.push_str(&not_null(&rel.name, col));
            }
            if e.len() > quote::ident(&col.name).len() {
                elems.push(e);
            }
        }
    } else {
        let own = |c: &&Column| c.is_local || standalone;
        for col in rel.columns.iter().filter(own) {
            // A generated column merged with a parent's takes the parent's
            // expression: the child must not repeat it.
            let inherits_generation = col.generated
                && parents.iter().any(|p| {
                    p.columns
                        .iter()
                        .any(|pc| pc.name == col.name && pc.generated)
                });
            let identity_of_parent = partition_of.is_some_and(|p| {
                p.columns
                    .iter()
                    .any(|pc| pc.name == col.name && pc.identity.is_some())
            });
            elems.push(column_sql(
                ctx,
                rel,
                col,
                inherits_generation,
                identity_of_parent,
                standalone,
            ));
        }
    }
    // A partition attached later needs its parent's checks before ATTACH.
    let checks = ctx
        .checks_of(rel.oid)
        .filter(|c| (c.is_local || standalone) && ctx.inline_check(c));
    for c in checks {
        elems.push(format!(
            "CONSTRAINT {} {}",
            quote::ident(&c.name),
            c.definition
        ));
    }
    let mut s = format!(
        "CREATE {}TABLE {name}",
        match (rel.unlogged, rel.kind) {
            (_, RelKind::ForeignTable) => "FOREIGN ",
            (true, _) => "UNLOGGED ",
            _ => "",
        }
    );
    if let Some(t) = &rel.of_type {
        s.push_str(&format!(" OF {t}"));
    }
    if !elems.is_empty() {
        s.push_str(&format!(" (\n    {}\n)", elems.join(",\n    ")));
    } else if rel.of_type.is_none() {
        s.push_str(" (\n)");
    }
    if !parents.is_empty() {
        let names: Vec<String> = parents
            .iter()
            .map(|p| quote::qualified(&p.schema, &p.name))
            .collect();
        s.push_str(&format!("\nINHERITS ({})", names.join(", ")));
    }
    if let Some(key) = &rel.partition_key {
        s.push_str(&format!("\nPARTITION BY {key}"));
    }
    if let Some(server) = &rel.foreign {
        s.push_str(&format!("\n{server}"));
    }
    if let Some(am) = &rel.access_method {
        s.push_str(&format!("\nUSING {}", quote::ident(am)));
    }
    if !rel.options.is_empty() {
        s.push_str(&format!("\nWITH ({})", with_options(rel.options.iter())));
    }
    s.push_str(";\n");
    // Columns that come from a parent: only what differs from the parent.
    for col in rel.columns.iter().filter(|c| !standalone && !c.is_local) {
        let from_parents: Vec<&Column> = parents
            .iter()
            .filter_map(|p| p.columns.iter().find(|pc| pc.name == col.name))
            .collect();
        let alter = format!(
            "ALTER TABLE ONLY {name} ALTER COLUMN {}",
            quote::ident(&col.name)
        );
        let parent_default = from_parents.first().and_then(|p| p.default.as_ref());
        if !col.generated && col.default.as_ref() != parent_default {
            match &col.default {
                Some(d) => s.push_str(&format!("{alter} SET DEFAULT {d};\n")),
                None => s.push_str(&format!("{alter} DROP DEFAULT;\n")),
            }
        }
        if col.not_null && col.not_null_local {
            match own_not_null_name(&rel.name, col) {
                Some(c) => s.push_str(&format!(
                    "ALTER TABLE ONLY {name} ADD CONSTRAINT {} NOT NULL {};\n",
                    quote::ident(c),
                    quote::ident(&col.name)
                )),
                None => s.push_str(&format!("{alter} SET NOT NULL;\n")),
            }
        }
    }
    for col in &rel.columns {
        s.push_str(&column_settings(name, col));
        s.push_str(&pre15_logged_identity(ctx, rel, col));
    }
    // Foreign tables have none (their `relreplident` is always n).
    let identity = match rel.kind {
        RelKind::ForeignTable => 'd',
        _ => rel.replica_identity,
    };
    match identity {
        'f' => s.push_str(&format!("ALTER TABLE ONLY {name} REPLICA IDENTITY FULL;\n")),
        'n' => s.push_str(&format!(
            "ALTER TABLE ONLY {name} REPLICA IDENTITY NOTHING;\n"
        )),
        _ => {}
    }
    s
}

/// Before 15 every sequence was logged, an unlogged table's identity
/// sequence too; from 15 on it follows its table unless told otherwise. So
/// that a restore into 15+ keeps it logged (as pg_restore does) and one into
/// the source's own version still parses, the `SET LOGGED` runs only there.
fn pre15_logged_identity(ctx: &Ctx, rel: &Relation, col: &Column) -> String {
    if ctx.cat.server_version_num >= 150_000 || !rel.unlogged || col.identity.is_none() {
        return String::new();
    }
    let Some(seq) = ctx.identity_sequence(rel.oid, &col.name) else {
        return String::new();
    };
    let alter = format!(
        "ALTER SEQUENCE {} SET LOGGED",
        quote::qualified(&seq.schema, &seq.name)
    );
    format!(
        "DO $pgsnap$BEGIN IF pg_catalog.current_setting('server_version_num')::int >= 150000 \
         THEN EXECUTE {}; END IF; END$pgsnap$;\n",
        quote::literal(&alter)
    )
}

/// A column's statistics target, storage, compression and options, as
/// `ALTER TABLE` statements.
pub(super) fn column_settings(table: &str, col: &Column) -> String {
    let alter = format!(
        "ALTER TABLE ONLY {table} ALTER COLUMN {}",
        quote::ident(&col.name)
    );
    let mut s = String::new();
    if let Some(t) = col.stat_target {
        s.push_str(&format!("{alter} SET STATISTICS {t};\n"));
    }
    let storage = match col.storage {
        Some('p') => Some("PLAIN"),
        Some('e') => Some("EXTERNAL"),
        Some('m') => Some("MAIN"),
        Some('x') => Some("EXTENDED"),
        _ => None,
    };
    if let Some(st) = storage {
        s.push_str(&format!("{alter} SET STORAGE {st};\n"));
    }
    let compression = match col.compression {
        Some('p') => Some("pglz"),
        Some('l') => Some("lz4"),
        _ => None,
    };
    if let Some(c) = compression {
        s.push_str(&format!("{alter} SET COMPRESSION {c};\n"));
    }
    if !col.options.is_empty() {
        s.push_str(&format!(
            "{alter} SET ({});\n",
            with_options(col.options.iter())
        ));
    }
    s
}

/// `[CONSTRAINT name] NOT NULL`: the name where the source has one (18+)
/// and it is not the one PostgreSQL would choose (as pg_dump, which keeps
/// the SQL valid for older versions where it can).
fn not_null(table: &str, col: &Column) -> String {
    let no_inherit = if col.not_null_no_inherit {
        " NO INHERIT"
    } else {
        ""
    };
    match own_not_null_name(table, col) {
        Some(c) => format!(" CONSTRAINT {} NOT NULL{no_inherit}", quote::ident(c)),
        None => format!(" NOT NULL{no_inherit}"),
    }
}

/// The NOT NULL constraint's name unless it is the default
/// `<table>_<column>_not_null`.
fn own_not_null_name<'c>(table: &str, col: &'c Column) -> Option<&'c str> {
    let name = col.not_null_name.as_deref()?;
    (name != format!("{table}_{}_not_null", col.name)).then_some(name)
}

/// A column in `CREATE TABLE`. `standalone`: the table is created on its own
/// and joined to its parents later, so it states every NOT NULL itself.
fn column_sql(
    ctx: &Ctx,
    rel: &Relation,
    col: &Column,
    inherits_generation: bool,
    identity_of_parent: bool,
    standalone: bool,
) -> String {
    let mut s = format!("{} {}", quote::ident(&col.name), col.type_sql);
    if let Some(c) = &col.collation {
        s.push_str(&format!(" COLLATE {c}"));
    }
    let identity = col.identity.filter(|_| !identity_of_parent);
    match (col.generated, identity, &col.default) {
        (true, _, _) if inherits_generation => {}
        (true, _, Some(expr)) => {
            let kind = if col.virtual_generated {
                "VIRTUAL"
            } else {
                "STORED"
            };
            s.push_str(&format!(" GENERATED ALWAYS AS ({expr}) {kind}"));
        }
        (_, Some(kind), _) => {
            let kind = if kind == 'a' { "ALWAYS" } else { "BY DEFAULT" };
            s.push_str(&format!(" GENERATED {kind} AS IDENTITY"));
            if let Some(seq) = ctx.identity_sequence(rel.oid, &col.name) {
                let mut opts = vec![format!(
                    "SEQUENCE NAME {}",
                    quote::qualified(&seq.schema, &seq.name)
                )];
                // An identity sequence whose persistence differs from its
                // table's (from 15 on; before, see `pre15_logged_identity`).
                match (seq.unlogged, rel.unlogged) {
                    (true, false) => opts.push("UNLOGGED".to_owned()),
                    (false, true) if ctx.cat.server_version_num >= 150_000 => {
                        opts.push("LOGGED".to_owned())
                    }
                    _ => {}
                }
                opts.extend(sequences::options(seq));
                s.push_str(&format!(" ({})", opts.join(" ")));
            }
        }
        (_, None, Some(d)) => s.push_str(&format!(" DEFAULT {d}")),
        _ => {}
    }
    if let Some(o) = &col.fdw_options {
        s.push_str(o);
    }
    if col.not_null && (col.not_null_local || standalone) {
        s.push_str(&not_null(&rel.name, col));
    }
    s
}
