//! The table of contents: everything a reader needs to know about an archive
//! apart from the data bytes themselves.
//!
//! This module owns the TOC *model* (pure data, serde-serialisable). How the
//! TOC is laid out on disk is `super::tocio`'s concern; what the fields mean is
//! specified in `format-spec/v1.md`.

use serde::{Deserialize, Serialize};

/// Identifies a schema entry inside one archive (pg_dump's "dump id").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DumpId(pub u32);

/// Identifies a data stream inside one archive; frame headers carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StreamId(pub u32);

/// Where an entry belongs in a restore (pg_dump's sections).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Section {
    PreData,
    Data,
    PostData,
}

impl Section {
    pub fn as_str(self) -> &'static str {
        match self {
            Section::PreData => "pre-data",
            Section::Data => "data",
            Section::PostData => "post-data",
        }
    }
}

/// The kind of object an entry creates. Serialised as pg_dump's tag words
/// ("TABLE DATA", "FK CONSTRAINT", ...) so `list` reads like `pg_restore -l`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ObjectKind {
    #[serde(rename = "SCHEMA")]
    Schema,
    #[serde(rename = "EXTENSION")]
    Extension,
    #[serde(rename = "TYPE")]
    Type,
    #[serde(rename = "DOMAIN")]
    Domain,
    #[serde(rename = "FUNCTION")]
    Function,
    #[serde(rename = "SEQUENCE")]
    Sequence,
    #[serde(rename = "SEQUENCE OWNED BY")]
    SequenceOwnedBy,
    #[serde(rename = "TABLE")]
    Table,
    #[serde(rename = "TABLE ATTACH")]
    TableAttach,
    #[serde(rename = "DEFAULT")]
    Default,
    #[serde(rename = "VIEW")]
    View,
    #[serde(rename = "MATERIALIZED VIEW")]
    MaterializedView,
    #[serde(rename = "TABLE DATA")]
    TableData,
    #[serde(rename = "SEQUENCE SET")]
    SequenceSet,
    #[serde(rename = "INDEX")]
    Index,
    #[serde(rename = "INDEX ATTACH")]
    IndexAttach,
    #[serde(rename = "CONSTRAINT")]
    Constraint,
    #[serde(rename = "CHECK CONSTRAINT")]
    CheckConstraint,
    #[serde(rename = "FK CONSTRAINT")]
    FkConstraint,
    #[serde(rename = "TRIGGER")]
    Trigger,
    #[serde(rename = "RULE")]
    Rule,
    #[serde(rename = "COMMENT")]
    Comment,
    #[serde(rename = "SECURITY LABEL")]
    SecurityLabel,
    #[serde(rename = "ACL")]
    Acl,
    #[serde(rename = "MATERIALIZED VIEW DATA")]
    RefreshMaterializedView,
    #[serde(rename = "COLLATION")]
    Collation,
    #[serde(rename = "STATISTICS")]
    Statistics,
    #[serde(rename = "POLICY")]
    Policy,
    #[serde(rename = "ROW SECURITY")]
    RowSecurity,
    #[serde(rename = "DEFAULT ACL")]
    DefaultAcl,
    #[serde(rename = "EVENT TRIGGER")]
    EventTrigger,
    #[serde(rename = "AGGREGATE")]
    Aggregate,
    #[serde(rename = "DATABASE PROPERTIES")]
    DatabaseProperties,
    #[serde(rename = "PUBLICATION")]
    Publication,
    #[serde(rename = "PUBLICATION TABLE")]
    PublicationTable,
    #[serde(rename = "PUBLICATION TABLES IN SCHEMA")]
    PublicationSchema,
    #[serde(rename = "LARGE OBJECTS")]
    LargeObjects,
    #[serde(rename = "LARGE OBJECT DATA")]
    LargeObjectData,
    #[serde(rename = "SHELL TYPE")]
    ShellType,
    #[serde(rename = "CAST")]
    Cast,
    #[serde(rename = "ACCESS METHOD")]
    AccessMethod,
    #[serde(rename = "OPERATOR")]
    Operator,
    #[serde(rename = "TEXT SEARCH PARSER")]
    TextSearchParser,
    #[serde(rename = "TEXT SEARCH TEMPLATE")]
    TextSearchTemplate,
    #[serde(rename = "TEXT SEARCH DICTIONARY")]
    TextSearchDictionary,
    #[serde(rename = "TEXT SEARCH CONFIGURATION")]
    TextSearchConfiguration,
    #[serde(rename = "OPERATOR FAMILY")]
    OperatorFamily,
    #[serde(rename = "OPERATOR CLASS")]
    OperatorClass,
    #[serde(rename = "FOREIGN DATA WRAPPER")]
    ForeignDataWrapper,
    #[serde(rename = "SERVER")]
    ForeignServer,
    #[serde(rename = "USER MAPPING")]
    UserMapping,
    #[serde(rename = "TRANSFORM")]
    Transform,
    #[serde(rename = "FOREIGN TABLE")]
    ForeignTable,
    #[serde(rename = "PROCEDURAL LANGUAGE")]
    ProceduralLanguage,
    #[serde(rename = "CONVERSION")]
    Conversion,
    #[serde(rename = "ROLE")]
    Role,
    #[serde(rename = "ROLE MEMBERSHIP")]
    RoleMembership,
    #[serde(rename = "SUBSCRIPTION")]
    Subscription,
    #[serde(rename = "TABLESPACE")]
    Tablespace,
}

impl ObjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Schema => "SCHEMA",
            ObjectKind::Extension => "EXTENSION",
            ObjectKind::Type => "TYPE",
            ObjectKind::Domain => "DOMAIN",
            ObjectKind::Function => "FUNCTION",
            ObjectKind::Sequence => "SEQUENCE",
            ObjectKind::SequenceOwnedBy => "SEQUENCE OWNED BY",
            ObjectKind::Table => "TABLE",
            ObjectKind::TableAttach => "TABLE ATTACH",
            ObjectKind::Default => "DEFAULT",
            ObjectKind::View => "VIEW",
            ObjectKind::MaterializedView => "MATERIALIZED VIEW",
            ObjectKind::TableData => "TABLE DATA",
            ObjectKind::SequenceSet => "SEQUENCE SET",
            ObjectKind::Index => "INDEX",
            ObjectKind::IndexAttach => "INDEX ATTACH",
            ObjectKind::Constraint => "CONSTRAINT",
            ObjectKind::CheckConstraint => "CHECK CONSTRAINT",
            ObjectKind::FkConstraint => "FK CONSTRAINT",
            ObjectKind::Trigger => "TRIGGER",
            ObjectKind::Rule => "RULE",
            ObjectKind::Comment => "COMMENT",
            ObjectKind::SecurityLabel => "SECURITY LABEL",
            ObjectKind::Acl => "ACL",
            ObjectKind::RefreshMaterializedView => "MATERIALIZED VIEW DATA",
            ObjectKind::Collation => "COLLATION",
            ObjectKind::Statistics => "STATISTICS",
            ObjectKind::Policy => "POLICY",
            ObjectKind::RowSecurity => "ROW SECURITY",
            ObjectKind::DefaultAcl => "DEFAULT ACL",
            ObjectKind::EventTrigger => "EVENT TRIGGER",
            ObjectKind::Aggregate => "AGGREGATE",
            ObjectKind::DatabaseProperties => "DATABASE PROPERTIES",
            ObjectKind::Publication => "PUBLICATION",
            ObjectKind::PublicationTable => "PUBLICATION TABLE",
            ObjectKind::PublicationSchema => "PUBLICATION TABLES IN SCHEMA",
            ObjectKind::LargeObjects => "LARGE OBJECTS",
            ObjectKind::LargeObjectData => "LARGE OBJECT DATA",
            ObjectKind::ShellType => "SHELL TYPE",
            ObjectKind::Cast => "CAST",
            ObjectKind::AccessMethod => "ACCESS METHOD",
            ObjectKind::Operator => "OPERATOR",
            ObjectKind::TextSearchParser => "TEXT SEARCH PARSER",
            ObjectKind::TextSearchTemplate => "TEXT SEARCH TEMPLATE",
            ObjectKind::TextSearchDictionary => "TEXT SEARCH DICTIONARY",
            ObjectKind::TextSearchConfiguration => "TEXT SEARCH CONFIGURATION",
            ObjectKind::OperatorFamily => "OPERATOR FAMILY",
            ObjectKind::OperatorClass => "OPERATOR CLASS",
            ObjectKind::ForeignDataWrapper => "FOREIGN DATA WRAPPER",
            ObjectKind::ForeignServer => "SERVER",
            ObjectKind::UserMapping => "USER MAPPING",
            ObjectKind::Transform => "TRANSFORM",
            ObjectKind::ForeignTable => "FOREIGN TABLE",
            ObjectKind::ProceduralLanguage => "PROCEDURAL LANGUAGE",
            ObjectKind::Conversion => "CONVERSION",
            ObjectKind::Role => "ROLE",
            ObjectKind::RoleMembership => "ROLE MEMBERSHIP",
            ObjectKind::Subscription => "SUBSCRIPTION",
            ObjectKind::Tablespace => "TABLESPACE",
        }
    }
}

/// One object of the schema, with the SQL that creates and drops it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchemaEntry {
    pub id: DumpId,
    pub section: Section,
    pub kind: ObjectKind,
    /// Schema the object lives in; `None` for schemas themselves and global-ish objects.
    pub schema: Option<String>,
    /// The object's tag: its name (for columns-level entries, `table column`).
    pub name: String,
    pub owner: Option<String>,
    /// SQL that creates the object; may hold several statements. Empty for TABLE DATA.
    pub definition: String,
    /// SQL that drops the object (used by `restore --clean`); empty if none.
    pub drop: String,
    /// Entries that must be restored before this one.
    pub deps: Vec<DumpId>,
    /// `ALTER ... OWNER TO` statements, run after `definition` unless the
    /// restore is told to skip ownership (format 1.1; empty before).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub owner_sql: String,
    /// The entry of the object this one is part of (a table's index, data or
    /// policy; an object's comment or ACL), which selection follows (1.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub belongs_to: Option<DumpId>,
}

/// How a stream's bytes are encoded (the COPY format PostgreSQL produced).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CopyFormat {
    Binary,
    Text,
}

impl CopyFormat {
    pub fn as_sql(self) -> &'static str {
        match self {
            CopyFormat::Binary => "binary",
            CopyFormat::Text => "text",
        }
    }
}

/// Where one frame of a stream lies in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameRef {
    /// Byte offset of the frame header from the start of the file.
    pub offset: u64,
    /// Length of the frame's payload once decompressed.
    pub raw_len: u32,
    /// Length of the payload as stored (after the frame header).
    pub stored_len: u32,
}

/// One data stream: the COPY output of one table (or one range of it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamInfo {
    pub id: StreamId,
    /// The TABLE DATA entry this stream belongs to.
    pub entry: DumpId,
    pub schema: String,
    pub table: String,
    /// Explicit column list the COPY used, in order.
    pub columns: Vec<String>,
    pub format: CopyFormat,
    /// Frames in sequence order (frame `seq` = index in this list).
    pub frames: Vec<FrameRef>,
    /// Sum of `raw_len` over all frames.
    pub raw_bytes: u64,
    pub rows: u64,
    /// CRC-32 (IEEE) of the concatenated raw bytes of all frames.
    pub crc32: u32,
    /// Set when the table was split into ctid ranges: which part this is.
    /// Each part is a complete COPY stream of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<StreamPart>,
}

/// One ctid range of a table that was read by several workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamPart {
    /// 0-based position of this part among the table's parts.
    pub index: u32,
    /// How many parts the table was split into.
    pub count: u32,
    /// First block of the range (`ctid >= '(first_block,0)'`).
    pub first_block: u64,
    /// Block where the range ends, exclusive (`ctid < '(end_block,0)'`); `None`
    /// for the last part, which reads to the end of the table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_block: Option<u64>,
}

/// Compression settings the writer used (informational; every frame says its own codec).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompressionInfo {
    pub codec: String,
    pub level: i32,
}

/// The database's locale provider where it is not libc (PostgreSQL 15+),
/// which `CREATE DATABASE` must name: it cannot be changed afterwards.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatabaseLocale {
    /// `icu` or `builtin` (17+).
    pub provider: String,
    /// The ICU locale (`daticulocale`, 15-16; `datlocale`, 17+) or the
    /// builtin provider's locale (`datlocale`).
    pub locale: String,
    /// ICU tailoring rules (`daticurules`, 16+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icu_rules: Option<String>,
}

/// The whole table of contents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Toc {
    pub format_major: u16,
    pub format_minor: u16,
    pub tool_version: String,
    /// `server_version` as the server reports it, e.g. "15.18 (Debian 15.18-0+deb12u1)".
    pub server_version: String,
    /// `server_version_num`, e.g. 150018.
    pub server_version_num: u32,
    pub database: String,
    pub encoding: String,
    pub collate: String,
    pub ctype: String,
    /// The locale provider, where not libc (format 1.2 / 2.1; absent before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<DatabaseLocale>,
    /// The snapshot's time, as the server's `now()` inside the snapshot transaction (RFC 3339).
    pub snapshot_time: String,
    pub compression: CompressionInfo,
    /// Schema entries in restore order.
    pub entries: Vec<SchemaEntry>,
    pub streams: Vec<StreamInfo>,
}

#[cfg(test)]
impl Toc {
    /// A TOC of these entries and streams with placeholder facts, for tests.
    pub(crate) fn for_tests(entries: Vec<SchemaEntry>, streams: Vec<StreamInfo>) -> Toc {
        Toc {
            format_major: super::FORMAT_MAJOR,
            format_minor: super::FORMAT_MINOR,
            tool_version: String::new(),
            server_version: String::new(),
            server_version_num: 150000,
            database: String::new(),
            encoding: String::new(),
            collate: String::new(),
            ctype: String::new(),
            locale: None,
            snapshot_time: String::new(),
            compression: CompressionInfo {
                codec: "zstd".into(),
                level: 1,
            },
            entries,
            streams,
        }
    }
}
