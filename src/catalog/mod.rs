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

mod comments;
mod constraints;
mod depends;
mod error;
mod functions;
mod indexes;
mod namespaces;
mod relations;
mod sequences;
mod triggers;
mod types;

pub use comments::Comment;
pub use constraints::{Constraint, ConstraintKind};
pub use depends::{Depend, ObjClass, ObjRef};
pub use error::CatalogError;
pub use functions::Function;
pub use indexes::Index;
pub use namespaces::Namespace;
pub use relations::{Column, RelKind, Relation};
pub use sequences::{Sequence, SequenceOwner};
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
    /// User schemas, `public` included (it is flagged, never created).
    pub namespaces: Vec<Namespace>,
    /// Every type of the database (system ones too), for binary-COPY safety.
    pub types: Vec<TypeInfo>,
    /// Enums, domains and standalone composite types in user schemas.
    pub user_types: Vec<UserType>,
    pub functions: Vec<Function>,
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
    /// `pg_depend` rows of kind normal and auto between user objects, with
    /// column defaults and view rules already resolved to their relation.
    pub depends: Vec<Depend>,
}

/// Reads the catalog. Call it inside the snapshot transaction; it changes
/// `search_path` for the rest of that transaction only (`set_config(.., true)`).
pub async fn load(client: &tokio_postgres::Client) -> Result<Catalog, CatalogError> {
    client
        .execute("SELECT pg_catalog.set_config('search_path', '', true)", &[])
        .await
        .map_err(|e| CatalogError::query("session settings", e))?;
    let relations = relations::load(client).await?;
    let sequences = sequences::load(client).await?;
    Ok(Catalog {
        namespaces: namespaces::load(client).await?,
        types: types::load_all(client).await?,
        user_types: types::load_user(client).await?,
        functions: functions::load(client).await?,
        sequences,
        relations,
        constraints: constraints::load(client).await?,
        indexes: indexes::load(client).await?,
        triggers: triggers::load(client).await?,
        comments: comments::load(client).await?,
        depends: depends::load(client).await?,
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

/// Runs one catalog query, naming `what` in the error if it fails.
async fn query(
    client: &tokio_postgres::Client,
    what: &'static str,
    sql: &str,
) -> Result<Vec<tokio_postgres::Row>, CatalogError> {
    client
        .query(sql, &[])
        .await
        .map_err(|e| CatalogError::query(what, e))
}

/// Reads column `idx` of a row, naming `what` in the error if decoding fails.
fn get<'a, T: postgres_types::FromSql<'a>>(
    row: &'a tokio_postgres::Row,
    what: &'static str,
    idx: usize,
) -> Result<T, CatalogError> {
    row.try_get(idx).map_err(|e| CatalogError::query(what, e))
}
