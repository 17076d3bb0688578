//! Choosing part of a schema plan or of an archive: `pg_dump`'s and
//! `pg_restore`'s selection options (`-n/-N`, `-t/-T`,
//! `--exclude-table-data`, `--schema-only`, `--data-only`, `--section`,
//! `--no-owner`, `--no-acl`, `--no-comments`), applied to entries.
//!
//! Whole objects are chosen by kind, schema and name; an entry that is part
//! of an object (`belongs_to`: a table's data, indexes and policies, an
//! object's comment and ACL) goes with it. As in `pg_dump`, `-n` or `-t`
//! drop the database-wide objects (extensions, event triggers), and `-t`
//! keeps only tables, views and sequences (plus sequences owned by a chosen
//! table), not the functions or types they use. Each `-n` and `-t` pattern
//! must match something: a typo fails loudly instead of making a partial
//! backup that looks complete.

use std::collections::{HashMap, HashSet};

use super::pattern::Pattern;
use super::SchemaError;
use crate::format::toc::{DumpId, ObjectKind, SchemaEntry, Section};

/// What to keep. The default keeps everything.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// `-n`: only objects in matching schemas.
    pub schemas: Vec<Pattern>,
    /// `-N`: no objects in matching schemas.
    pub exclude_schemas: Vec<Pattern>,
    /// `-t`: only matching tables, views, materialized views and sequences.
    pub tables: Vec<Pattern>,
    /// `-T`: not these tables (nor their data, indexes, ...).
    pub exclude_tables: Vec<Pattern>,
    /// `--exclude-table-data`: the tables' definitions, not their rows.
    pub exclude_table_data: Vec<Pattern>,
    /// `--schema-only`: no data section, no materialized-view refreshes.
    pub schema_only: bool,
    /// `--data-only`: table data, sequence values and refreshes only.
    pub data_only: bool,
    /// `--section`: only these sections (empty: all).
    pub sections: Vec<Section>,
    /// `--no-owner`: no `ALTER ... OWNER TO`.
    pub no_owner: bool,
    /// `--no-acl`: no privileges, no default privileges.
    pub no_acl: bool,
    /// `--no-comments`.
    pub no_comments: bool,
    /// `--no-security-labels`.
    pub no_security_labels: bool,
    /// `--large-objects` (`Some(true)`: also with `-n`/`-t`) or
    /// `--no-large-objects` (`Some(false)`); by default large objects go
    /// with a whole-database selection only.
    pub large_objects: Option<bool>,
}

fn is_relation(kind: ObjectKind) -> bool {
    matches!(
        kind,
        ObjectKind::Table
            | ObjectKind::View
            | ObjectKind::MaterializedView
            | ObjectKind::Sequence
            | ObjectKind::ForeignTable
    )
}

/// The entry at the top of `e`'s `belongs_to` chain.
fn root(by_id: &HashMap<DumpId, &SchemaEntry>, e: &SchemaEntry) -> DumpId {
    let mut id = e.id;
    let mut next = e.belongs_to;
    // A well-formed archive has short chains; the bound guards a crafted loop.
    for _ in 0..64 {
        match next.and_then(|b| by_id.get(&b)) {
            Some(p) => {
                id = p.id;
                next = p.belongs_to;
            }
            None => break,
        }
    }
    id
}

impl Selection {
    /// Whether this selection keeps everything as it is.
    pub fn is_everything(&self) -> bool {
        self.schemas.is_empty()
            && self.exclude_schemas.is_empty()
            && self.tables.is_empty()
            && self.exclude_tables.is_empty()
            && self.exclude_table_data.is_empty()
            && !self.schema_only
            && !self.data_only
            && self.sections.is_empty()
            && !self.no_owner
            && !self.no_acl
            && !self.no_comments
            && !self.no_security_labels
            && self.large_objects != Some(false)
    }

    /// Keeps the chosen entries of `entries` (dependencies on dropped
    /// entries are dropped too) and returns the ids kept.
    pub fn apply(&self, entries: &mut Vec<SchemaEntry>) -> Result<HashSet<DumpId>, SchemaError> {
        if self.schema_only && self.data_only {
            return Err(SchemaError::selection(
                "--schema-only and --data-only cannot be used together".to_owned(),
            ));
        }
        self.check_patterns_match(entries)?;
        let by_id: HashMap<DumpId, &SchemaEntry> = entries.iter().map(|e| (e.id, e)).collect();
        let mut chosen: HashSet<DumpId> = entries
            .iter()
            .filter(|e| e.belongs_to.is_none() && self.whole_object(e))
            .map(|e| e.id)
            .collect();
        // Sequences owned by a chosen table go with it (pg_dump's rule).
        for e in entries
            .iter()
            .filter(|e| e.kind == ObjectKind::SequenceOwnedBy)
        {
            if let Some(seq) = e.belongs_to {
                if e.deps.iter().any(|d| {
                    *d != seq
                        && chosen.contains(d)
                        && by_id.get(d).is_some_and(|t| t.kind == ObjectKind::Table)
                }) {
                    chosen.insert(seq);
                }
            }
        }
        // A publication's table goes only with both the publication and the table.
        let table_left_out = |e: &SchemaEntry| {
            e.kind == ObjectKind::PublicationTable
                && e.deps.iter().any(|d| {
                    by_id.get(d).is_some_and(|t| is_relation(t.kind)) && !chosen.contains(d)
                })
        };
        let keep: HashSet<DumpId> = entries
            .iter()
            .filter(|e| {
                chosen.contains(&root(&by_id, e))
                    && self.keeps_kind(e, &by_id)
                    && !table_left_out(e)
            })
            .map(|e| e.id)
            .collect();
        drop(by_id);
        entries.retain(|e| keep.contains(&e.id));
        for e in entries.iter_mut() {
            e.deps.retain(|d| keep.contains(d));
            e.belongs_to = e.belongs_to.filter(|b| keep.contains(b));
            if self.no_owner {
                e.owner_sql.clear();
            }
        }
        Ok(keep)
    }

    fn schema_ok(&self, schema: &str) -> bool {
        (self.schemas.is_empty() || self.schemas.iter().any(|p| p.matches_name(schema)))
            && !self.exclude_schemas.iter().any(|p| p.matches_name(schema))
    }

    /// Whether an entry that is an object of its own is chosen.
    fn whole_object(&self, e: &SchemaEntry) -> bool {
        let everything = self.schemas.is_empty() && self.tables.is_empty();
        // The public schema's privileges are the one object-less entry.
        if matches!(
            e.kind,
            ObjectKind::LargeObjects | ObjectKind::LargeObjectData
        ) {
            return self.large_objects.unwrap_or(everything);
        }
        let schema = match (e.kind, &e.schema) {
            (ObjectKind::Schema, _) => Some(e.name.as_str()),
            (ObjectKind::Acl, None) => Some("public"),
            (_, s) => s.as_deref(),
        };
        let Some(schema) = schema else {
            return everything; // extensions, event triggers, global default privileges
        };
        if !self.schema_ok(schema) {
            return false;
        }
        if is_relation(e.kind) {
            let table = |ps: &[Pattern]| ps.iter().any(|p| p.matches(schema, &e.name));
            (self.tables.is_empty() || table(&self.tables)) && !table(&self.exclude_tables)
        } else {
            self.tables.is_empty()
        }
    }

    /// The kind- and section-level filters.
    fn keeps_kind(&self, e: &SchemaEntry, by_id: &HashMap<DumpId, &SchemaEntry>) -> bool {
        let data = matches!(
            e.kind,
            ObjectKind::TableData
                | ObjectKind::SequenceSet
                | ObjectKind::RefreshMaterializedView
                | ObjectKind::LargeObjects
                | ObjectKind::LargeObjectData
        );
        if (self.schema_only && data) || (self.data_only && !data) {
            return false;
        }
        if !self.sections.is_empty() && !self.sections.contains(&e.section) {
            return false;
        }
        match e.kind {
            ObjectKind::Comment => !self.no_comments,
            ObjectKind::SecurityLabel => !self.no_security_labels,
            ObjectKind::Acl | ObjectKind::DefaultAcl => !self.no_acl,
            ObjectKind::TableData => {
                let table = e.belongs_to.and_then(|b| by_id.get(&b));
                !table.is_some_and(|t| {
                    let schema = t.schema.as_deref().unwrap_or_default();
                    self.exclude_table_data
                        .iter()
                        .any(|p| p.matches(schema, &t.name))
                })
            }
            _ => true,
        }
    }

    /// Every `-n` and `-t` pattern must match at least one object.
    fn check_patterns_match(&self, entries: &[SchemaEntry]) -> Result<(), SchemaError> {
        for p in &self.schemas {
            let hit = entries.iter().any(|e| match e.kind {
                ObjectKind::Schema => p.matches_name(&e.name),
                _ => e.schema.as_deref().is_some_and(|s| p.matches_name(s)),
            });
            if !hit {
                return Err(SchemaError::selection(format!(
                    "no schema matches -n {p}: check the name (patterns are case-folded unless \
                     double-quoted)"
                )));
            }
        }
        for p in &self.tables {
            let hit = entries.iter().any(|e| {
                is_relation(e.kind) && p.matches(e.schema.as_deref().unwrap_or_default(), &e.name)
            });
            if !hit {
                return Err(SchemaError::selection(format!(
                    "no table, view or sequence matches -t {p}: check the name (patterns are \
                     case-folded unless double-quoted; write schema.table to pick a schema)"
                )));
            }
        }
        Ok(())
    }
}
