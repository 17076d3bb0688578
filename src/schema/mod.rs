//! The schema planner: turns a [`Catalog`] into restore-ordered entries (DDL
//! per object kind, one file each) and the COPY plan for table data.
//!
//! Pure: no I/O, and the same catalog always gives the same plan. Ordering
//! follows `pg_dump_sort.c`: a sort key per entry (kind priority, schema,
//! name; comments right after their object), then a topological sort over
//! the dependencies from `pg_depend` plus structural ones, which keeps that
//! order wherever the dependencies allow.
//!
//! The SQL assumes the restore session runs with an empty `search_path`
//! (names are schema-qualified as `pg_dump` prints them) and
//! `check_function_bodies = off`, as `pg_dump` scripts set them.

mod access_methods;
mod acl;
mod aggregates;
mod base_types;
mod casts;
mod collations;
mod comments;
mod constraints;
mod data;
mod database;
mod depends;
mod error;
mod event_triggers;
mod extensions;
mod foreign;
mod functions;
mod graph;
mod indexes;
mod languages;
mod large_objects;
mod namespaces;
mod opclasses;
mod operators;
mod pattern;
mod policies;
mod publications;
pub mod quote;
mod roles;
mod rules;
mod select;
mod sequences;
mod statistics;
mod subscriptions;
mod tables;
#[cfg(test)]
mod tests;
mod text_search;
mod transforms;
mod triggers;
mod types;
mod views;

use std::collections::{HashMap, HashSet};

pub use error::SchemaError;
pub use large_objects::{STREAM_SCHEMA as LARGE_OBJECT_SCHEMA, STREAM_TABLE as LARGE_OBJECT_TABLE};
pub use pattern::Pattern;
pub use select::Selection;

use crate::catalog::{
    Catalog, Constraint, ConstraintKind, Index, ObjClass, ObjRef, Oid, Relation, Sequence, TypeInfo,
};
use crate::format::toc::{CopyFormat, DumpId, ObjectKind, SchemaEntry};

/// Everything to restore, in order, and what to copy.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaPlan {
    /// Entries in restore order, with dump ids 1..=n in that order.
    pub entries: Vec<SchemaEntry>,
    /// One per `TABLE DATA` entry, in entry order.
    pub tables: Vec<TableCopy>,
}

/// How to copy one table's rows.
#[derive(Debug, Clone, PartialEq)]
pub struct TableCopy {
    /// The `TABLE DATA` entry of this table.
    pub entry: DumpId,
    /// Unquoted schema name.
    pub schema: String,
    /// Unquoted table name.
    pub table: String,
    /// Unquoted names of the columns to copy (not dropped, not generated), in attnum order.
    pub columns: Vec<String>,
    /// Binary unless a column's values would embed type OIDs of this database.
    pub format: CopyFormat,
    /// Blocks in the table's main fork: the size for largest-first scheduling
    /// and the range for splitting into ctid ranges. The catalog does not
    /// know it; the backup fills it in once the table is locked
    /// (`pg_relation_size` is not transactional).
    pub relpages: i64,
    /// A query to copy instead of the table (the large objects' contents).
    pub query: Option<String>,
}

/// Plans the restore of `catalog`. A dependency loop through a CHECK
/// constraint written inside `CREATE TABLE` (a check that calls a function
/// taking the table's row type, say) is broken the way `pg_dump` breaks it:
/// that check becomes a separate post-data entry, and planning starts over.
pub fn build(catalog: &Catalog) -> Result<SchemaPlan, SchemaError> {
    let mut split_checks = HashSet::new();
    loop {
        let ctx = Ctx::new(catalog, &split_checks);
        let (g, copies) = graph_of(&ctx);
        match graph::sort(&g.nodes) {
            Ok(order) => return finish(g, copies, order),
            Err(cycle) => {
                let fixes = g.check_edges_in(&cycle);
                let before = split_checks.len();
                split_checks.extend(fixes);
                if split_checks.len() == before {
                    return Err(SchemaError::cycle(
                        cycle.iter().map(|&n| g.nodes[n].describe()).collect(),
                    ));
                }
            }
        }
    }
}

/// Every entry of `ctx`'s catalog, with its dependencies.
fn graph_of(ctx: &Ctx) -> (graph::Graph, Vec<(usize, TableCopy)>) {
    let mut g = graph::Graph::default();
    roles::add(ctx, &mut g);
    namespaces::add(ctx, &mut g);
    extensions::add(ctx, &mut g);
    collations::add(ctx, &mut g);
    types::add(ctx, &mut g);
    let base_types = base_types::add(ctx, &mut g);
    functions::add(ctx, &mut g);
    aggregates::add(ctx, &mut g);
    casts::add(ctx, &mut g);
    access_methods::add(ctx, &mut g);
    operators::add(ctx, &mut g);
    text_search::add(ctx, &mut g);
    opclasses::add(ctx, &mut g);
    foreign::add(ctx, &mut g);
    transforms::add(ctx, &mut g);
    languages::add(ctx, &mut g);
    sequences::add(ctx, &mut g);
    tables::add(ctx, &mut g);
    sequences::add_owned_by(ctx, &mut g);
    let refreshes = views::add(ctx, &mut g);
    constraints::add(ctx, &mut g);
    indexes::add(ctx, &mut g);
    triggers::add(ctx, &mut g);
    statistics::add(ctx, &mut g);
    rules::add(ctx, &mut g);
    policies::add(ctx, &mut g);
    publications::add(ctx, &mut g);
    subscriptions::add(ctx, &mut g);
    let event_triggers = event_triggers::add(ctx, &mut g);
    let mut copies = data::add(ctx, &mut g);
    copies.extend(large_objects::add(ctx, &mut g));
    sequences::add_values(ctx, &mut g);
    depends::add(ctx, &mut g);
    base_types::break_loops(&mut g, &base_types);
    views::chain_refreshes(&mut g, &refreshes);
    comments::add(ctx, &mut g);
    acl::add(ctx, &mut g);
    acl::add_defaults(ctx, &mut g);
    database::add(ctx, &mut g);
    event_triggers::run_last(&mut g, &event_triggers);
    (g, copies)
}

/// Whether an entry of this kind may move from pre-data to post-data when
/// it depends on a post-data entry (a view that relies on a primary key for
/// its GROUP BY, say), as `pg_dump` postpones such views. Nothing that data
/// is loaded into, or that holds it, may move.
fn postponable(kind: ObjectKind) -> bool {
    use ObjectKind::*;
    matches!(
        kind,
        View | MaterializedView | Function | Aggregate | Comment | SecurityLabel | Acl | Default
    )
}

/// Assigns dump ids in `order`, moves entries that depend on a later
/// section into it where that is allowed, and checks that no entry depends
/// on one restored in a later section.
fn finish(
    mut g: graph::Graph,
    copies: Vec<(usize, TableCopy)>,
    order: Vec<usize>,
) -> Result<SchemaPlan, SchemaError> {
    // In order, so every dependency's section is final when it is read.
    for &n in &order {
        let latest = g.nodes[n].deps.iter().map(|&d| g.nodes[d].section).max();
        if let Some(latest) = latest {
            if latest > g.nodes[n].section && postponable(g.nodes[n].kind) {
                g.nodes[n].section = latest;
            }
        }
    }
    let mut ids = vec![DumpId(0); g.nodes.len()];
    for (pos, &n) in order.iter().enumerate() {
        ids[n] = DumpId(u32::try_from(pos + 1).unwrap_or(u32::MAX));
    }
    let mut entries = Vec::with_capacity(order.len());
    for &n in &order {
        let node = &g.nodes[n];
        for &d in &node.deps {
            if g.nodes[d].section > node.section {
                return Err(SchemaError::section(
                    node.describe(),
                    node.section.as_str(),
                    g.nodes[d].describe(),
                    g.nodes[d].section.as_str(),
                ));
            }
        }
        let mut deps: Vec<DumpId> = node.deps.iter().map(|&d| ids[d]).collect();
        deps.sort_unstable();
        deps.dedup();
        // The SQL moves out of the graph (each node is visited once): one
        // copy of every definition at a time, not two.
        let node = &mut g.nodes[n];
        entries.push(SchemaEntry {
            id: ids[n],
            section: node.section,
            kind: node.kind,
            schema: node.schema.clone(),
            name: node.name.clone(),
            owner: node.owner.clone(),
            definition: std::mem::take(&mut node.definition),
            drop: std::mem::take(&mut node.drop),
            deps,
            owner_sql: std::mem::take(&mut node.owner_sql),
            belongs_to: node.belongs_to.map(|b| ids[b]),
        });
    }
    let mut tables: Vec<TableCopy> = copies
        .into_iter()
        .map(|(n, t)| TableCopy { entry: ids[n], ..t })
        .collect();
    tables.sort_by_key(|t| t.entry);
    Ok(SchemaPlan { entries, tables })
}

/// Lookups over the catalog that several DDL files share.
struct Ctx<'a> {
    cat: &'a Catalog,
    /// Local CHECK constraints restored as separate entries (loop breaking).
    split_checks: &'a HashSet<Oid>,
    rels: HashMap<Oid, &'a Relation>,
    types: HashMap<Oid, &'a TypeInfo>,
    indexes: HashMap<Oid, &'a Index>,
    sequences: HashSet<Oid>,
    /// Relations that are some relation's parent.
    has_children: HashSet<Oid>,
    /// Identity sequences by (table, column).
    identity: HashMap<(Oid, &'a str), &'a Sequence>,
    /// CHECK constraints by table.
    checks: HashMap<Oid, Vec<&'a Constraint>>,
    /// The extension each extension member belongs to.
    extension_members: HashMap<ObjRef, Oid>,
    /// User schemas by name.
    schemas: HashMap<&'a str, Oid>,
}

impl<'a> Ctx<'a> {
    fn new(cat: &'a Catalog, split_checks: &'a HashSet<Oid>) -> Self {
        let mut checks: HashMap<Oid, Vec<&Constraint>> = HashMap::new();
        for c in &cat.constraints {
            if c.kind == ConstraintKind::Check && c.table != 0 {
                checks.entry(c.table).or_default().push(c);
            }
        }
        Ctx {
            checks,
            split_checks,
            extension_members: cat
                .extension_members
                .iter()
                .map(|m| (m.obj, m.extension))
                .collect(),
            schemas: cat
                .namespaces
                .iter()
                .map(|n| (n.name.as_str(), n.oid))
                .collect(),
            cat,
            rels: cat.relations.iter().map(|r| (r.oid, r)).collect(),
            types: cat.types.iter().map(|t| (t.oid, t)).collect(),
            indexes: cat.indexes.iter().map(|i| (i.oid, i)).collect(),
            sequences: cat.sequences.iter().map(|s| s.oid).collect(),
            has_children: cat
                .relations
                .iter()
                .flat_map(|r| r.parents.iter().copied())
                .collect(),
            identity: cat
                .sequences
                .iter()
                .filter_map(|s| {
                    let o = s.owned_by.as_ref().filter(|o| o.identity)?;
                    Some(((o.table, o.column.as_str()), s))
                })
                .collect(),
        }
    }

    /// The CHECK constraints of table `table`.
    fn checks_of(&self, table: Oid) -> impl Iterator<Item = &'a Constraint> + '_ {
        self.checks.get(&table).into_iter().flatten().copied()
    }

    /// Whether CHECK constraint `c` is written inside its table's `CREATE
    /// TABLE` (validated and not split out), or comes from a parent.
    fn inline_check(&self, c: &Constraint) -> bool {
        (c.validated || !c.is_local) && !self.split_checks.contains(&c.oid)
    }

    fn identity_sequence(&self, table: Oid, column: &str) -> Option<&'a Sequence> {
        self.identity.get(&(table, column)).copied()
    }

    /// The entry of the extension that `obj` is a member of.
    fn extension_of(&self, obj: ObjRef, g: &graph::Graph) -> Option<usize> {
        let x = self.extension_members.get(&obj)?;
        g.node_of(ObjRef::new(ObjClass::Extension, *x))
    }

    /// The entry that creates schema `name` (none for `public`).
    fn schema_node(&self, g: &graph::Graph, name: &str) -> Option<usize> {
        let oid = self.schemas.get(name)?;
        g.node_of(ObjRef::new(ObjClass::Namespace, *oid))
    }
}

/// `sql` run with `default_tablespace` set to `tablespace` (as pg_dump
/// does: the clause goes in different places in different statements).
fn in_tablespace(tablespace: Option<&str>, sql: String) -> String {
    match tablespace {
        Some(t) => format!(
            "SET default_tablespace = {};\n{sql}RESET default_tablespace;\n",
            quote::ident(t)
        ),
        None => sql,
    }
}

/// `ALTER <word> <name> OWNER TO <owner>;`
fn owner_sql(word: &str, name: &str, owner: &str) -> String {
    format!("ALTER {word} {name} OWNER TO {};\n", quote::ident(owner))
}

/// `reloptions` (`name=value`) as the inside of a `WITH (...)` clause.
fn with_options<'s>(options: impl Iterator<Item = &'s String>) -> String {
    options
        .map(|o| match o.split_once('=') {
            Some((k, v)) => match k.strip_prefix("toast.") {
                Some(k) => format!("toast.{}={}", quote::ident(k), quote::literal(v)),
                None => format!("{}={}", quote::ident(k), quote::literal(v)),
            },
            None => quote::ident(o),
        })
        .collect::<Vec<_>>()
        .join(", ")
}
