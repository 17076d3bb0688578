//! The dependency graph of schema entries and the restore order: a sort key
//! per entry (kind priority, schema, name, as `pg_dump_sort.c` does), then a
//! topological sort that keeps that order wherever dependencies allow.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};

use crate::catalog::{ObjRef, Oid};
use crate::format::toc::{ObjectKind, Section};

/// Where an entry goes when nothing forces it elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct SortKey {
    priority: u8,
    schema: String,
    name: String,
    /// Tells apart entries that share an object's key (its comments).
    sub: String,
}

/// One entry before dump ids are assigned; `deps` are node indexes.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub kind: ObjectKind,
    pub section: Section,
    pub schema: Option<String>,
    pub name: String,
    pub owner: Option<String>,
    pub definition: String,
    pub drop: String,
    /// `ALTER ... OWNER TO`, kept apart so a restore can skip it.
    pub owner_sql: String,
    pub deps: Vec<usize>,
    /// The node of the object this one is part of (see `SchemaEntry::belongs_to`).
    pub belongs_to: Option<usize>,
    pub key: SortKey,
}

impl Node {
    pub fn new(kind: ObjectKind, schema: Option<&str>, name: &str, owner: Option<&str>) -> Node {
        Node {
            kind,
            section: section(kind),
            schema: schema.map(str::to_owned),
            name: name.to_owned(),
            owner: owner.map(str::to_owned),
            definition: String::new(),
            drop: String::new(),
            owner_sql: String::new(),
            deps: Vec::new(),
            belongs_to: None,
            key: SortKey {
                priority: priority(kind),
                schema: schema.unwrap_or_default().to_owned(),
                name: name.to_owned(),
                sub: String::new(),
            },
        }
    }

    pub fn sql(mut self, definition: String, drop: String) -> Node {
        self.definition = definition;
        self.drop = drop;
        self
    }

    pub fn owned(mut self, owner_sql: String) -> Node {
        self.owner_sql = owner_sql;
        self
    }

    /// Marks this node as part of node `object` (and dependent on it).
    pub fn part_of(mut self, object: usize) -> Node {
        self.belongs_to = Some(object);
        self.deps.push(object);
        self
    }

    /// A node that belongs with `object` (a comment): same section, sorted
    /// right after it, in `sub` order among the nodes attached to it.
    pub fn attached_to(mut self, object: &Node, sub: String) -> Node {
        self.section = object.section;
        self.key = SortKey {
            sub,
            ..object.key.clone()
        };
        self
    }

    /// `KIND schema.name`, for messages.
    pub fn describe(&self) -> String {
        match &self.schema {
            Some(s) => format!("{} {}.{}", self.kind.as_str(), s, self.name),
            None => format!("{} {}", self.kind.as_str(), self.name),
        }
    }
}

/// pg_dump's section for each kind (comments take their object's instead).
fn section(kind: ObjectKind) -> Section {
    use ObjectKind::*;
    match kind {
        Extension
        | Schema
        | Collation
        | Type
        | Domain
        | Function
        | Aggregate
        | Sequence
        | Table
        | TableAttach
        | SequenceOwnedBy
        | Default
        | View
        | MaterializedView
        | LargeObjects
        | ShellType
        | Cast
        | AccessMethod
        | Operator
        | TextSearchParser
        | TextSearchTemplate
        | TextSearchDictionary
        | TextSearchConfiguration
        | OperatorFamily
        | OperatorClass
        | ForeignDataWrapper
        | ForeignServer
        | UserMapping
        | Transform
        | ForeignTable
        | ProceduralLanguage
        | Conversion
        | Role
        | RoleMembership
        | Tablespace => Section::PreData,
        TableData | SequenceSet | LargeObjectData => Section::Data,
        Index
        | IndexAttach
        | Constraint
        | CheckConstraint
        | FkConstraint
        | Statistics
        | Trigger
        | Rule
        | Policy
        | RowSecurity
        | RefreshMaterializedView
        | Comment
        | SecurityLabel
        | Acl
        | DefaultAcl
        | EventTrigger
        | DatabaseProperties
        | Subscription
        | Publication
        | PublicationTable
        | PublicationSchema => Section::PostData,
    }
}

/// Restore priority of each kind, after `pg_dump_sort.c`'s `dbObjectTypePriority`.
/// Privileges come after every object they could name, default privileges
/// after those (so they never apply to objects the restore creates), and
/// event triggers last (so they never fire during the restore).
fn priority(kind: ObjectKind) -> u8 {
    use ObjectKind::*;
    match kind {
        Role | RoleMembership | Tablespace | Extension => 0,
        Schema => 1,
        Collation | ProceduralLanguage => 2,
        ShellType | Type | Domain => 3,
        Function | Aggregate => 4,
        Cast
        | AccessMethod
        | Operator
        | TextSearchParser
        | TextSearchTemplate
        | TextSearchDictionary
        | TextSearchConfiguration
        | OperatorFamily
        | OperatorClass
        | ForeignDataWrapper
        | ForeignServer
        | UserMapping
        | Transform
        | Conversion => 5,
        Sequence => 5,
        Table | ForeignTable => 6,
        TableAttach => 7,
        SequenceOwnedBy => 8,
        Default => 9,
        View | MaterializedView => 10,
        LargeObjects => 10,
        TableData => 11,
        SequenceSet | LargeObjectData => 12,
        Index => 13,
        IndexAttach => 14,
        Constraint => 15,
        CheckConstraint => 16,
        Statistics => 17,
        Rule => 18,
        Trigger => 19,
        FkConstraint => 20,
        Policy | RowSecurity | Publication | PublicationTable | PublicationSchema
        | Subscription => 21,
        RefreshMaterializedView => 22,
        Comment | SecurityLabel => 23,
        Acl => 24,
        DefaultAcl => 25,
        EventTrigger => 26,
        DatabaseProperties => 27,
    }
}

/// Nodes plus which node creates each catalog object.
#[derive(Debug, Default)]
pub(crate) struct Graph {
    pub nodes: Vec<Node>,
    /// Edges that only inline CHECK constraints (by oid) make.
    check_edges: HashMap<(usize, usize), Vec<Oid>>,
    /// Edges made for any other reason.
    other_edges: HashSet<(usize, usize)>,
    objects: HashMap<ObjRef, usize>,
    schemas: HashMap<String, usize>,
}

impl Graph {
    /// Adds a node. A pre-data object depends on its schema's node when that
    /// schema is dumped; later entries reach the schema through their object.
    pub fn add(&mut self, mut node: Node) -> usize {
        let id = self.nodes.len();
        let in_schema = node.section == Section::PreData
            && !matches!(node.kind, ObjectKind::Comment | ObjectKind::SecurityLabel);
        if node.kind == ObjectKind::Schema {
            self.schemas.insert(node.name.clone(), id);
        } else if let Some(&s) = node
            .schema
            .as_ref()
            .filter(|_| in_schema)
            .and_then(|s| self.schemas.get(s))
        {
            node.deps.push(s);
        }
        self.nodes.push(node);
        id
    }

    /// Records that `node` creates `obj`.
    pub fn map(&mut self, obj: ObjRef, node: usize) {
        self.objects.insert(obj, node);
    }

    /// The node that creates `obj`, if it is dumped.
    pub fn node_of(&self, obj: ObjRef) -> Option<usize> {
        self.objects.get(&obj).copied()
    }

    /// Marks `node` as part of `object` (and dependent on it).
    pub fn belong(&mut self, node: usize, object: usize) {
        self.nodes[node].belongs_to = Some(object);
        self.depend(node, object);
    }

    pub fn depend(&mut self, node: usize, on: usize) {
        if node != on {
            self.nodes[node].deps.push(on);
            self.other_edges.insert((node, on));
        }
    }

    /// `node` depends on `on` because CHECK constraint `check`, written
    /// inside `node`'s `CREATE TABLE`, does.
    pub fn depend_via_check(&mut self, node: usize, on: usize, check: Oid) {
        if node != on {
            self.nodes[node].deps.push(on);
            self.check_edges.entry((node, on)).or_default().push(check);
        }
    }

    /// The CHECK constraints that alone make edges of `cycle` (a loop as
    /// [`sort`] reports it: each node depends on the next, the last on the first).
    pub fn check_edges_in(&self, cycle: &[usize]) -> Vec<Oid> {
        let mut out = Vec::new();
        for (i, &a) in cycle.iter().enumerate() {
            let b = cycle[(i + 1) % cycle.len()];
            if self.other_edges.contains(&(a, b)) {
                continue;
            }
            if let Some(checks) = self.check_edges.get(&(a, b)) {
                out.extend(checks);
            }
        }
        out
    }
}

/// Orders `nodes` for restore: every node after its dependencies and,
/// among the nodes that are ready, the one with the smallest sort key first
/// (Kahn's algorithm on a min-heap). On a dependency loop, returns the nodes
/// of one loop instead.
pub(crate) fn sort(nodes: &[Node]) -> Result<Vec<usize>, Vec<usize>> {
    let mut by_key: Vec<usize> = (0..nodes.len()).collect();
    by_key.sort_by(|&a, &b| nodes[a].key.cmp(&nodes[b].key).then(a.cmp(&b)));
    let mut rank = vec![0; nodes.len()];
    for (r, &n) in by_key.iter().enumerate() {
        rank[n] = r;
    }
    let mut waiting = vec![0usize; nodes.len()];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (n, node) in nodes.iter().enumerate() {
        let mut deps = node.deps.clone();
        deps.sort_unstable();
        deps.dedup();
        waiting[n] = deps.len();
        for d in deps {
            dependents[d].push(n);
        }
    }
    let mut ready: BinaryHeap<Reverse<(usize, usize)>> = (0..nodes.len())
        .filter(|&n| waiting[n] == 0)
        .map(|n| Reverse((rank[n], n)))
        .collect();
    let mut order = Vec::with_capacity(nodes.len());
    while let Some(Reverse((_, n))) = ready.pop() {
        order.push(n);
        for &m in &dependents[n] {
            waiting[m] -= 1;
            if waiting[m] == 0 {
                ready.push(Reverse((rank[m], m)));
            }
        }
    }
    if order.len() == nodes.len() {
        Ok(order)
    } else {
        Err(find_cycle(nodes, &waiting))
    }
}

/// One dependency loop among the nodes still `waiting` after the sort.
fn find_cycle(nodes: &[Node], waiting: &[usize]) -> Vec<usize> {
    // Every stuck node has a stuck dependency: walk those until a node repeats.
    let stuck = |n: usize| waiting[n] > 0;
    let Some(mut n) = (0..nodes.len()).find(|&n| stuck(n)) else {
        return Vec::new();
    };
    let mut seen = HashMap::new();
    let mut path = Vec::new();
    while !seen.contains_key(&n) {
        seen.insert(n, path.len());
        path.push(n);
        match nodes[n].deps.iter().copied().filter(|&d| stuck(d)).min() {
            Some(d) => n = d,
            None => break,
        }
    }
    let start = seen.get(&n).copied().unwrap_or(0);
    path.split_off(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(kind: ObjectKind, name: &str, deps: &[usize]) -> Node {
        let mut n = Node::new(kind, Some("s"), name, None);
        n.deps = deps.to_vec();
        n
    }

    #[test]
    fn priority_order_without_dependencies() {
        let nodes = vec![
            node(ObjectKind::Index, "i", &[]),
            node(ObjectKind::Table, "b", &[]),
            node(ObjectKind::Table, "a", &[]),
            node(ObjectKind::Schema, "s", &[]),
            node(ObjectKind::TableData, "a", &[]),
        ];
        assert_eq!(sort(&nodes).unwrap(), vec![3, 2, 1, 4, 0]);
    }

    #[test]
    fn dependencies_override_priority_and_name() {
        // Table "a" uses a type that sorts after it by name and a function
        // that depends on view "v" (a later priority).
        let nodes = vec![
            node(ObjectKind::Table, "a", &[1, 2]),
            node(ObjectKind::Type, "z", &[]),
            node(ObjectKind::Function, "f", &[3]),
            node(ObjectKind::View, "v", &[4]),
            node(ObjectKind::Table, "b", &[]),
        ];
        assert_eq!(sort(&nodes).unwrap(), vec![1, 4, 3, 2, 0]);
    }

    #[test]
    fn comment_follows_its_object() {
        let t = node(ObjectKind::Table, "a", &[]);
        let mut c =
            Node::new(ObjectKind::Comment, Some("s"), "TABLE a", None).attached_to(&t, "a".into());
        c.deps = vec![0];
        let nodes = vec![t, node(ObjectKind::Table, "b", &[]), c];
        assert_eq!(sort(&nodes).unwrap(), vec![0, 2, 1]);
        assert_eq!(nodes[2].section, Section::PreData);
    }

    #[test]
    fn deterministic_for_equal_keys() {
        let nodes = vec![
            node(ObjectKind::Table, "a", &[]),
            node(ObjectKind::Table, "a", &[]),
        ];
        assert_eq!(sort(&nodes).unwrap(), vec![0, 1]);
    }

    #[test]
    fn cycle_is_reported() {
        let nodes = vec![
            node(ObjectKind::Table, "free", &[]),
            node(ObjectKind::Table, "a", &[2]),
            node(ObjectKind::Function, "f", &[3]),
            node(ObjectKind::Type, "t", &[1]),
            node(ObjectKind::View, "v", &[1]),
        ];
        let mut cycle = sort(&nodes).unwrap_err();
        cycle.sort_unstable();
        assert_eq!(cycle, vec![1, 2, 3]);
    }

    #[test]
    fn sections_follow_kinds() {
        assert_eq!(section(ObjectKind::View), Section::PreData);
        assert_eq!(section(ObjectKind::SequenceSet), Section::Data);
        assert_eq!(
            section(ObjectKind::RefreshMaterializedView),
            Section::PostData
        );
    }
}
