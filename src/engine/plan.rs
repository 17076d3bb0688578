//! The restore plan after pre-data: one job per data stream and per post-data
//! entry, with the jobs each must wait for. A post-data entry waits for the
//! post-data entries it depends on and for the data of every table it reaches
//! through its dependencies (directly, or through pre-data objects such as the
//! views a materialized view reads), so an index is built as soon as its table
//! is loaded rather than after all data.
//!
//! Pure: built from the TOC alone, so it is unit-testable and `--dry-run`-able.

use std::collections::{HashMap, HashSet};

use crate::format::toc::{DumpId, ObjectKind, Section, Toc};

/// Something a restore worker does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Job {
    /// Load `toc.streams[i]`.
    Stream(usize),
    /// Run the post-data entry with this id.
    Entry(DumpId),
}

/// Jobs in the order to prefer among those that are ready, with their prerequisites.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestorePlan {
    pub order: Vec<Job>,
    pub deps: HashMap<Job, Vec<Job>>,
}

impl RestorePlan {
    /// Ready post-data entries come first (their tables are loaded, and an index
    /// build overlaps well with other tables' loads), largest table first; then
    /// data streams, largest first.
    ///
    /// `toc` is a selection out of `full` (`--section`, `-t`, ...; the same TOC
    /// when everything is restored):
    /// what a post-data entry waits for is found through `full`, so an entry
    /// whose table's definition was not selected still waits for its data.
    pub fn build_selected(toc: &Toc, full: &Toc) -> RestorePlan {
        let selected: HashSet<DumpId> = toc.entries.iter().map(|e| e.id).collect();
        let by_id: HashMap<DumpId, usize> = full
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id, i))
            .collect();
        // TABLE DATA entry id -> its streams.
        let mut streams_of: HashMap<DumpId, Vec<usize>> = HashMap::new();
        for (i, s) in toc.streams.iter().enumerate() {
            streams_of.entry(s.entry).or_default().push(i);
        }
        // Table entry id -> its TABLE DATA entry id.
        let mut data_of: HashMap<DumpId, DumpId> = HashMap::new();
        for e in full
            .entries
            .iter()
            .filter(|e| e.kind == ObjectKind::TableData)
        {
            for d in &e.deps {
                data_of.insert(*d, e.id);
            }
        }
        // Table entry id -> tables whose rows a query on it also reads
        // (partitions, inheritance children): tables that depend on a table.
        let mut children: HashMap<DumpId, Vec<DumpId>> = HashMap::new();
        for e in full.entries.iter().filter(|e| e.kind == ObjectKind::Table) {
            for d in &e.deps {
                if by_id
                    .get(d)
                    .is_some_and(|&i| full.entries[i].kind == ObjectKind::Table)
                {
                    children.entry(*d).or_default().push(e.id);
                }
            }
        }
        let links = Links {
            toc: full,
            by_id: &by_id,
            data_of: &data_of,
            children: &children,
        };
        let mut deps: HashMap<Job, Vec<Job>> = HashMap::new();
        let mut post: Vec<(u64, usize, Job)> = Vec::new();
        for (pos, e) in toc.entries.iter().enumerate() {
            if e.section != Section::PostData {
                continue;
            }
            let mut data = HashSet::new();
            let mut seen = HashSet::new();
            let mut job_deps = Vec::new();
            // A selection drops dependencies on entries it leaves out: take
            // them from the full TOC.
            let all_deps = by_id.get(&e.id).map_or(&e.deps, |&i| &full.entries[i].deps);
            for d in all_deps {
                match by_id.get(d).map(|&i| &full.entries[i]) {
                    Some(dep) if dep.section == Section::PostData && selected.contains(d) => {
                        job_deps.push(Job::Entry(*d))
                    }
                    Some(dep) if dep.section == Section::PostData => {}
                    Some(_) => links.needed_data(*d, true, &mut seen, &mut data),
                    None => {}
                }
            }
            let mut bytes = 0;
            let mut data: Vec<DumpId> = data.into_iter().collect();
            data.sort();
            for d in data {
                for &s in streams_of.get(&d).into_iter().flatten() {
                    bytes += toc.streams[s].raw_bytes;
                    job_deps.push(Job::Stream(s));
                }
            }
            deps.insert(Job::Entry(e.id), job_deps);
            post.push((bytes, pos, Job::Entry(e.id)));
        }
        post.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut streams: Vec<usize> = (0..toc.streams.len()).collect();
        streams.sort_by(|&a, &b| {
            toc.streams[b]
                .raw_bytes
                .cmp(&toc.streams[a].raw_bytes)
                .then(toc.streams[a].id.cmp(&toc.streams[b].id))
        });
        let mut order: Vec<Job> = post.into_iter().map(|(_, _, j)| j).collect();
        for s in streams {
            deps.insert(Job::Stream(s), Vec::new());
            order.push(Job::Stream(s));
        }
        RestorePlan { order, deps }
    }
}

/// How entries lead to table data.
struct Links<'a> {
    toc: &'a Toc,
    by_id: &'a HashMap<DumpId, usize>,
    data_of: &'a HashMap<DumpId, DumpId>,
    children: &'a HashMap<DumpId, Vec<DumpId>>,
}

impl Links<'_> {
    /// TABLE DATA entries that must be loaded before something depending on
    /// `id` (a pre-data or data entry) may run: the table's own data, its
    /// partitions' and children's, and that of whatever it depends on. A
    /// partition's or child's own dependency on its parent does not pull in
    /// its siblings (`with_children` is false there).
    fn needed_data(
        &self,
        id: DumpId,
        with_children: bool,
        seen: &mut HashSet<(DumpId, bool)>,
        out: &mut HashSet<DumpId>,
    ) {
        if !seen.insert((id, with_children)) {
            return;
        }
        if let Some(d) = self.data_of.get(&id) {
            out.insert(*d);
        }
        if with_children {
            for child in self.children.get(&id).into_iter().flatten() {
                self.needed_data(*child, true, seen, out);
            }
        }
        let Some(&i) = self.by_id.get(&id) else {
            return;
        };
        let e = &self.toc.entries[i];
        if e.kind == ObjectKind::TableData {
            out.insert(e.id);
        }
        for d in &e.deps {
            let Some(dep) = self.by_id.get(d).map(|&j| &self.toc.entries[j]) else {
                continue;
            };
            if dep.section != Section::PostData {
                let parent_link = e.kind == ObjectKind::Table && dep.kind == ObjectKind::Table;
                self.needed_data(*d, !parent_link, seen, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::toc::{CopyFormat, SchemaEntry, StreamId, StreamInfo};

    fn entry(id: u32, section: Section, kind: ObjectKind, deps: &[u32]) -> SchemaEntry {
        SchemaEntry {
            id: DumpId(id),
            section,
            kind,
            schema: Some("s".into()),
            name: format!("e{id}"),
            owner: None,
            definition: String::new(),
            drop: String::new(),
            deps: deps.iter().map(|d| DumpId(*d)).collect(),
            owner_sql: String::new(),
            belongs_to: None,
        }
    }

    fn stream(id: u32, entry: u32, raw_bytes: u64) -> StreamInfo {
        StreamInfo {
            id: StreamId(id),
            entry: DumpId(entry),
            schema: "s".into(),
            table: format!("t{entry}"),
            columns: vec![],
            format: CopyFormat::Binary,
            frames: vec![],
            raw_bytes,
            rows: 0,
            crc32: 0,
            part: None,
        }
    }

    fn toc(entries: Vec<SchemaEntry>, streams: Vec<StreamInfo>) -> Toc {
        Toc::for_tests(entries, streams)
    }

    #[test]
    fn post_data_waits_for_exactly_the_data_it_needs() {
        use ObjectKind::*;
        use Section::*;
        let t = toc(
            vec![
                entry(1, PreData, Table, &[]),             // table a
                entry(2, PreData, Table, &[]),             // table b
                entry(3, PreData, MaterializedView, &[2]), // reads b
                entry(4, Data, TableData, &[1]),
                entry(5, Data, TableData, &[2]),
                entry(6, PostData, Constraint, &[1]), // pk on a
                entry(7, PostData, FkConstraint, &[1, 2, 6]), // b -> a
                entry(8, PostData, RefreshMaterializedView, &[3]),
            ],
            // Table a in two parts, b in one.
            vec![stream(1, 4, 10), stream(2, 4, 30), stream(3, 5, 20)],
        );
        let plan = RestorePlan::build_selected(&t, &t);
        let deps = |id: u32| {
            let mut d = plan.deps[&Job::Entry(DumpId(id))].clone();
            d.sort_by_key(|j| format!("{j:?}"));
            d
        };
        assert_eq!(deps(6), vec![Job::Stream(0), Job::Stream(1)]);
        assert_eq!(
            deps(7),
            vec![
                Job::Entry(DumpId(6)),
                Job::Stream(0),
                Job::Stream(1),
                Job::Stream(2)
            ]
        );
        assert_eq!(deps(8), vec![Job::Stream(2)]);
        // Post-data first (biggest data first), then streams largest first.
        assert_eq!(
            plan.order,
            vec![
                Job::Entry(DumpId(7)),
                Job::Entry(DumpId(6)),
                Job::Entry(DumpId(8)),
                Job::Stream(1),
                Job::Stream(2),
                Job::Stream(0)
            ]
        );
    }

    #[test]
    fn reading_a_partitioned_table_waits_for_every_partition() {
        use ObjectKind::*;
        use Section::*;
        let t = toc(
            vec![
                entry(1, PreData, Table, &[]),  // partitioned parent, no data
                entry(2, PreData, Table, &[1]), // partition a
                entry(3, PreData, Table, &[1]), // partition b
                entry(4, PreData, MaterializedView, &[1]), // reads the parent
                entry(5, Data, TableData, &[2]),
                entry(6, Data, TableData, &[3]),
                entry(7, PostData, RefreshMaterializedView, &[4]),
                entry(8, PostData, Index, &[2]),
            ],
            vec![stream(1, 5, 10), stream(2, 6, 10)],
        );
        let plan = RestorePlan::build_selected(&t, &t);
        let mut d = plan.deps[&Job::Entry(DumpId(7))].clone();
        d.sort_by_key(|j| format!("{j:?}"));
        assert_eq!(d, vec![Job::Stream(0), Job::Stream(1)]);
        assert_eq!(plan.deps[&Job::Entry(DumpId(8))], vec![Job::Stream(0)]);
    }

    #[test]
    fn a_selection_without_pre_data_still_waits_for_the_data() {
        use ObjectKind::*;
        use Section::*;
        let full = toc(
            vec![
                entry(1, PreData, Table, &[]),
                entry(2, PreData, Table, &[]),
                entry(4, Data, TableData, &[1]),
                entry(5, Data, TableData, &[2]),
                entry(6, PostData, Constraint, &[1]),
                entry(7, PostData, FkConstraint, &[1, 2, 6]),
            ],
            vec![stream(1, 4, 10), stream(2, 5, 20)],
        );
        // --section data --section post-data: the tables' entries are gone.
        let mut selected = full.clone();
        selected.entries.retain(|e| e.section != PreData);
        for e in &mut selected.entries {
            e.deps.retain(|d| d.0 > 3);
        }
        let plan = RestorePlan::build_selected(&selected, &full);
        let mut d = plan.deps[&Job::Entry(DumpId(7))].clone();
        d.sort_by_key(|j| format!("{j:?}"));
        assert_eq!(
            d,
            vec![Job::Entry(DumpId(6)), Job::Stream(0), Job::Stream(1)]
        );
        // Only post-data of the foreign key: it waits for no entry that will not run.
        let mut only_fk = full.clone();
        only_fk.entries.retain(|e| e.id == DumpId(7));
        only_fk.streams.clear();
        let plan = RestorePlan::build_selected(&only_fk, &full);
        assert_eq!(plan.deps[&Job::Entry(DumpId(7))], vec![]);
    }
}
