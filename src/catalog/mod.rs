//! The catalog model: plain data read from the system catalogs of the source
//! database, and the queries that read it.
//!
//! This module owns *what* we read and *how* (SQL per concept, one file each);
//! turning it into DDL and a restore order is `crate::schema`'s job, which never
//! talks to the server. [`load`] runs inside the backup leader's
//! `REPEATABLE READ` snapshot transaction, so everything it returns, sequence
//! values included, describes the database at that snapshot.
//!
//! Every `pg_get_*def` and `format_type` result is produced with an empty
//! `search_path` (set transaction-locally by [`load`]), so names in the
//! returned SQL fragments are schema-qualified wherever they need to be.
//! Objects that belong to an extension (`pg_depend.deptype = 'e'`) and objects
//! in system schemas are never loaded.

mod access_methods;
mod acls;
mod aggregates;
mod base_types;
mod casts;
mod collations;
mod comments;
mod constraints;
mod database;
mod depends;
mod error;
mod event_triggers;
mod extensions;
mod foreign;
mod functions;
mod indexes;
mod languages;
mod large_objects;
mod namespaces;
mod opclasses;
mod operators;
mod policies;
mod publications;
mod relations;
mod roles;
mod rules;
mod sequences;
mod statistics;
mod subscriptions;
mod text_search;
mod transforms;
mod triggers;
mod types;
mod unsupported;

pub use access_methods::AccessMethod;
pub use acls::{Acl, DefaultAcl};
pub use aggregates::Aggregate;
pub use base_types::BaseType;
pub use casts::Cast;
pub use collations::Collation;
pub use comments::{Comment, SecurityLabel};
pub use constraints::{Constraint, ConstraintKind};
pub use database::Database;
pub use depends::{Depend, ObjClass, ObjRef};
pub use error::CatalogError;
pub use event_triggers::EventTrigger;
pub use extensions::{Extension, ExtensionMember};
pub use foreign::{ForeignKind, ForeignObject};
pub use functions::Function;
pub use indexes::Index;
pub use languages::LanguageOrConversion;
pub use large_objects::LargeObject;
pub use namespaces::Namespace;
pub use opclasses::{OpClass, OpFamily, OpMember};
pub use operators::Operator;
pub use policies::Policy;
pub use publications::{Publication, PublicationSchema, PublicationTable};
pub use relations::{Column, RelKind, Relation};
pub use roles::{load as load_roles, load_tablespaces, Membership, Role, Tablespace};
pub use rules::Rule;
pub use sequences::{Sequence, SequenceOwner};
pub use statistics::Statistics;
pub use subscriptions::Subscription;
pub use text_search::{TextSearchKind, TextSearchObject};
pub use transforms::Transform;
pub use triggers::Trigger;
pub use types::{CompositeAttr, TypeInfo, UserType, UserTypeKind};

/// A PostgreSQL object identifier.
pub type Oid = u32;

/// OIDs below this belong to objects created by `initdb` (`FirstNormalObjectId`);
/// they are the same in every database of every cluster of a major version.
pub const FIRST_NORMAL_OID: Oid = 16384;

/// Everything the schema planner needs, read at one snapshot.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalog {
    /// `server_version_num` of the source server.
    pub server_version_num: i32,
    /// The database's own properties.
    pub database: Database,
    /// Roles the database refers to and their memberships (`--globals`;
    /// empty unless the backup asked for them, see [`load_roles`]).
    pub roles: Vec<Role>,
    pub memberships: Vec<Membership>,
    /// Tablespaces the database uses (`--globals`, like `roles`).
    pub tablespaces: Vec<Tablespace>,
    /// User schemas, `public` included (it is flagged, never created).
    pub namespaces: Vec<Namespace>,
    pub extensions: Vec<Extension>,
    /// Member objects of those extensions.
    pub extension_members: Vec<ExtensionMember>,
    pub collations: Vec<Collation>,
    /// Every type of the database (system ones too), for binary-COPY safety.
    pub types: Vec<TypeInfo>,
    /// Enums, domains and standalone composite types in user schemas.
    pub user_types: Vec<UserType>,
    pub functions: Vec<Function>,
    pub subscriptions: Vec<Subscription>,
    /// Procedural languages and conversions.
    pub languages: Vec<LanguageOrConversion>,
    pub transforms: Vec<Transform>,
    /// Foreign-data wrappers, servers and user mappings.
    pub foreign: Vec<ForeignObject>,
    pub op_families: Vec<OpFamily>,
    pub op_classes: Vec<OpClass>,
    pub op_members: Vec<OpMember>,
    pub text_search: Vec<TextSearchObject>,
    pub operators: Vec<Operator>,
    pub access_methods: Vec<AccessMethod>,
    pub base_types: Vec<BaseType>,
    /// Shell types never completed: (oid, schema, name, owner).
    pub shell_types: Vec<(Oid, String, String, String)>,
    pub casts: Vec<Cast>,
    pub large_objects: Vec<LargeObject>,
    pub aggregates: Vec<Aggregate>,
    /// Sequences, identity sequences included.
    pub sequences: Vec<Sequence>,
    /// Tables, partitioned tables, views and materialized views, with columns.
    pub relations: Vec<Relation>,
    /// Table and domain constraints (check, primary key, unique, exclusion, foreign key).
    pub constraints: Vec<Constraint>,
    pub indexes: Vec<Index>,
    /// User triggers (no internal ones, no clones on partitions).
    pub triggers: Vec<Trigger>,
    pub comments: Vec<Comment>,
    pub security_labels: Vec<SecurityLabel>,
    /// Rewrite rules that are not a view's definition.
    pub rules: Vec<Rule>,
    pub policies: Vec<Policy>,
    pub publications: Vec<Publication>,
    pub publication_tables: Vec<PublicationTable>,
    pub publication_schemas: Vec<PublicationSchema>,
    pub event_triggers: Vec<EventTrigger>,
    pub statistics: Vec<Statistics>,
    /// Privileges of objects whose ACL is not the default one.
    pub acls: Vec<Acl>,
    pub default_acls: Vec<DefaultAcl>,
    /// Objects of kinds this version does not back up (described).
    pub not_backed_up: Vec<String>,
    /// `pg_depend` rows of kind normal and auto between user objects, with
    /// column defaults and view rules already resolved to their relation.
    pub depends: Vec<Depend>,
}

/// Connections lent one query at a time, in the order asked for: each query
/// runs on whichever connection is free first, so all of them finish at
/// about the same time whatever each query costs on this database.
struct Lender<'a> {
    clients: &'a [&'a tokio_postgres::Client],
    free: std::sync::Mutex<Vec<usize>>,
    permits: tokio::sync::Semaphore,
}

impl<'a> Lender<'a> {
    fn new(clients: &'a [&'a tokio_postgres::Client]) -> Lender<'a> {
        Lender {
            clients,
            free: std::sync::Mutex::new((0..clients.len()).rev().collect()),
            permits: tokio::sync::Semaphore::new(clients.len()),
        }
    }

    /// Runs `f` on a free connection, waiting for one.
    async fn on<T>(&self, f: impl AsyncFnOnce(&'a tokio_postgres::Client) -> T) -> T {
        let _permit = self.permits.acquire().await.expect("never closed");
        let i = self
            .free
            .lock()
            .expect("lender lock")
            .pop()
            .expect("a permit means a free connection");
        let out = f(self.clients[i]).await;
        self.free.lock().expect("lender lock").push(i);
        out
    }
}

/// Reads the catalog. Every client must be inside a transaction on the same
/// snapshot (the leader's, or one that imported it) with an empty
/// `search_path`; the queries are spread over them and run concurrently.
pub async fn load(clients: &[&tokio_postgres::Client]) -> Result<Catalog, CatalogError> {
    assert!(
        !clients.is_empty(),
        "catalog::load needs at least one client"
    );
    let lend = Lender::new(clients);
    for client in clients {
        client
            .execute("SELECT pg_catalog.set_config('search_path', '', true)", &[])
            .await
            .map_err(|e| CatalogError::query("session settings", e))?;
    }
    let version = query(
        clients[0],
        "server version",
        "SELECT pg_catalog.current_setting('server_version_num')::int4",
    )
    .await?;
    let server_version_num: i32 = match version.first() {
        Some(row) => get(row, "server version", 0)?,
        None => 0,
    };
    // Heaviest first (at 10,000 tables: columns, pg_depend, constraints,
    // indexes); the rest fill in as connections come free.
    let (heavy, light) = tokio::try_join!(
        async {
            tokio::try_join!(
                lend.on(async |c| relations::load_columns(c, server_version_num).await),
                lend.on(async |c| depends::load(c).await),
                lend.on(async |c| constraints::load(c).await),
                lend.on(async |c| indexes::load(c).await),
                lend.on(async |c| relations::load(c).await),
                lend.on(async |c| types::load_all(c).await),
                lend.on(async |c| namespaces::load(c).await),
                lend.on(async |c| types::load_user(c).await),
                lend.on(async |c| sequences::load(c).await),
                lend.on(async |c| functions::load(c).await),
                lend.on(async |c| triggers::load(c, server_version_num).await),
                lend.on(async |c| comments::load(c).await),
            )
        },
        async {
            tokio::try_join!(
                lend.on(async |c| extensions::load(c).await),
                lend.on(async |c| extensions::load_members(c).await),
                lend.on(async |c| collations::load(c).await),
                lend.on(async |c| rules::load(c).await),
                lend.on(async |c| policies::load(c).await),
                lend.on(async |c| event_triggers::load(c).await),
                lend.on(async |c| statistics::load(c).await),
                lend.on(async |c| acls::load(c).await),
                lend.on(async |c| acls::load_defaults(c).await),
                lend.on(async |c| unsupported::load(c).await),
                lend.on(async |c| aggregates::load(c).await),
                lend.on(async |c| database::load(c).await),
                lend.on(async |c| publications::load(c, server_version_num).await),
                lend.on(async |c| large_objects::load(c).await),
                lend.on(async |c| base_types::load(c).await),
                lend.on(async |c| casts::load(c).await),
                lend.on(async |c| access_methods::load(c).await),
                lend.on(async |c| operators::load(c).await),
                lend.on(async |c| base_types::load_shells(c).await),
                lend.on(async |c| text_search::load(c).await),
                lend.on(async |c| opclasses::load(c).await),
                lend.on(async |c| foreign::load(c).await),
                lend.on(async |c| transforms::load(c).await),
                lend.on(async |c| languages::load(c).await),
                lend.on(async |c| subscriptions::load(c).await),
                lend.on(async |c| comments::load_labels(c).await),
            )
        },
    )?;
    let (
        columns,
        depends,
        constraints,
        indexes,
        mut relations,
        types,
        namespaces,
        user_types,
        sequences,
        functions,
        triggers,
        comments,
    ) = heavy;
    relations::attach_columns(&mut relations, columns, server_version_num);
    let (
        extensions,
        extension_members,
        collations,
        rules,
        policies,
        event_triggers,
        statistics,
        acls,
        default_acls,
        not_backed_up,
        aggregates,
        database,
        (publications, publication_tables, publication_schemas),
        large_objects,
        base_types,
        casts,
        access_methods,
        operators,
        shell_types,
        text_search,
        (op_families, op_classes, op_members),
        foreign,
        transforms,
        languages,
        subscriptions,
        security_labels,
    ) = light;
    Ok(Catalog {
        subscriptions,
        roles: Vec::new(),
        memberships: Vec::new(),
        tablespaces: Vec::new(),
        languages,
        foreign,
        transforms,
        op_families,
        op_classes,
        op_members,
        shell_types,
        text_search,
        access_methods,
        operators,
        large_objects,
        base_types,
        casts,
        publications,
        publication_tables,
        publication_schemas,
        server_version_num,
        database,
        namespaces,
        extensions,
        extension_members,
        collations,
        rules,
        policies,
        event_triggers,
        statistics,
        acls,
        default_acls,
        not_backed_up,
        types,
        user_types,
        functions,
        aggregates,
        sequences,
        relations,
        constraints,
        indexes,
        triggers,
        comments,
        security_labels,
        depends,
    })
}

/// SQL condition: the namespace aliased `n` is a user schema (or `public`).
const USER_NAMESPACE: &str = "n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'";

/// SQL condition: the object `objid` of catalog `catalog` is no extension member.
fn not_extension_member(catalog: &str, objid: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e \
         WHERE e.classid = 'pg_catalog.{catalog}'::pg_catalog.regclass \
         AND e.objid = {objid} AND e.deptype = 'e')"
    )
}

/// SQL expression: the function `col` names, as `regproc` prints it with an
/// empty `search_path`, or NULL when `col` is 0.
fn regproc_or_null(col: &str) -> String {
    format!("CASE WHEN {col} <> 0 THEN {col}::pg_catalog.regproc::text END")
}

/// Runs one catalog query, naming `what` in the error if it fails.
async fn query(
    client: &tokio_postgres::Client,
    what: &'static str,
    sql: &str,
) -> Result<Vec<tokio_postgres::Row>, CatalogError> {
    let started = std::time::Instant::now();
    let rows = match client.query(sql, &[]).await {
        Ok(rows) => rows,
        Err(e) => {
            // Queries share connections and run at once: after one fails,
            // the others queued on its connection fail only with "current
            // transaction is aborted". Those wait a moment so that the
            // failure that says what went wrong is the one reported.
            if e.code() == Some(&tokio_postgres::error::SqlState::IN_FAILED_SQL_TRANSACTION) {
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
            return Err(CatalogError::query(what, e));
        }
    };
    tracing::debug!(
        rows = rows.len(),
        ms = started.elapsed().as_millis() as u64,
        "catalog: {what}"
    );
    Ok(rows)
}

/// Reads column `idx` of a row, naming `what` in the error if decoding fails.
fn get<'a, T: postgres_types::FromSql<'a>>(
    row: &'a tokio_postgres::Row,
    what: &'static str,
    idx: usize,
) -> Result<T, CatalogError> {
    row.try_get(idx).map_err(|e| CatalogError::query(what, e))
}
