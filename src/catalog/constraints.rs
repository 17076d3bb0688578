//! Table and domain constraints (`pg_constraint`): check, primary key,
//! unique, exclusion and foreign key. NOT NULL is a column property here,
//! but for a table's NOT NULL not yet validated (18+), which is added after
//! the data as a NOT VALID check is.

use super::{get, query, CatalogError, Oid, USER_NAMESPACE};

/// What a constraint enforces (`pg_constraint.contype`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstraintKind {
    Check,
    PrimaryKey,
    Unique,
    Exclusion,
    ForeignKey,
    /// A table's NOT NULL constraint not yet validated (18+).
    NotNull,
}

/// One constraint, on a table (`table != 0`) or a domain (`domain != 0`).
#[derive(Debug, Clone, PartialEq)]
pub struct Constraint {
    pub oid: Oid,
    pub name: String,
    pub kind: ConstraintKind,
    pub table: Oid,
    pub domain: Oid,
    /// The index behind a primary key, unique or exclusion constraint (for a
    /// foreign key: the referenced index).
    pub index: Oid,
    /// The constraint of the partitioned parent this one was cloned from, else 0.
    pub parent: Oid,
    /// Defined on this table itself, not only inherited.
    pub is_local: bool,
    pub validated: bool,
    /// `pg_get_constraintdef`: `CHECK ((x > 0))`, `PRIMARY KEY (id)`, ... (with `NOT VALID`).
    pub definition: String,
}

pub(super) async fn load(client: &tokio_postgres::Client) -> Result<Vec<Constraint>, CatalogError> {
    const WHAT: &str = "constraints";
    let sql = format!(
        "SELECT co.oid, co.conname::text, co.contype::text, co.conrelid, co.contypid, co.conindid, \
          co.conparentid, co.conislocal, co.convalidated, pg_catalog.pg_get_constraintdef(co.oid) \
         FROM pg_catalog.pg_constraint co JOIN pg_catalog.pg_namespace n ON n.oid = co.connamespace \
         WHERE (co.contype IN ('c', 'p', 'u', 'x', 'f') \
                OR (co.contype = 'n' AND co.conrelid <> 0 AND NOT co.convalidated)) \
           AND {USER_NAMESPACE} \
         ORDER BY co.conrelid, co.contypid, co.conname, co.oid"
    );
    query(client, WHAT, &sql)
        .await?
        .iter()
        .map(|r| {
            let contype: String = get(r, WHAT, 2)?;
            Ok(Constraint {
                oid: get(r, WHAT, 0)?,
                name: get(r, WHAT, 1)?,
                kind: match contype.as_str() {
                    "p" => ConstraintKind::PrimaryKey,
                    "u" => ConstraintKind::Unique,
                    "x" => ConstraintKind::Exclusion,
                    "f" => ConstraintKind::ForeignKey,
                    "n" => ConstraintKind::NotNull,
                    _ => ConstraintKind::Check,
                },
                table: get(r, WHAT, 3)?,
                domain: get(r, WHAT, 4)?,
                index: get(r, WHAT, 5)?,
                parent: get(r, WHAT, 6)?,
                is_local: get(r, WHAT, 7)?,
                validated: get(r, WHAT, 8)?,
                definition: get(r, WHAT, 9)?,
            })
        })
        .collect()
}
