//! Dependencies between user objects (`pg_depend`), keyed by the catalogs we
//! model. A column default (`pg_attrdef`) and a view's `_RETURN` rule are
//! resolved to their relation here, since that is the object we recreate.

use std::collections::HashMap;

use super::{get, query, CatalogError, Oid, FIRST_NORMAL_OID};

/// The system catalog an object lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjClass {
    Namespace,
    /// `pg_class`: tables, views, sequences, indexes, composite types' relations.
    Relation,
    Type,
    Function,
    Constraint,
    Trigger,
    Extension,
    Policy,
    /// `pg_rewrite`: rules other than a view's `_RETURN` rule.
    Rule,
    EventTrigger,
    Statistics,
    Collation,
    Publication,
    /// `pg_largeobject`: the class large objects are named by.
    LargeObject,
    Cast,
    AccessMethod,
    Operator,
    TsParser,
    TsTemplate,
    TsDictionary,
    TsConfiguration,
    OperatorFamily,
    OperatorClass,
    ForeignDataWrapper,
    ForeignServer,
    UserMapping,
    Transform,
    Language,
    Conversion,
    Subscription,
}

impl ObjClass {
    /// The fixed OIDs of the catalogs themselves (`pg_class.oid` of `pg_namespace`, ...).
    const CATALOGS: [(Oid, ObjClass); 30] = [
        (2615, ObjClass::Namespace),
        (1259, ObjClass::Relation),
        (1247, ObjClass::Type),
        (1255, ObjClass::Function),
        (2606, ObjClass::Constraint),
        (2620, ObjClass::Trigger),
        (3079, ObjClass::Extension),
        (3256, ObjClass::Policy),
        (2618, ObjClass::Rule),
        (3466, ObjClass::EventTrigger),
        (3381, ObjClass::Statistics),
        (3456, ObjClass::Collation),
        (6104, ObjClass::Publication),
        (2613, ObjClass::LargeObject),
        (2605, ObjClass::Cast),
        (2601, ObjClass::AccessMethod),
        (2617, ObjClass::Operator),
        (3601, ObjClass::TsParser),
        (3764, ObjClass::TsTemplate),
        (3600, ObjClass::TsDictionary),
        (3602, ObjClass::TsConfiguration),
        (2753, ObjClass::OperatorFamily),
        (2616, ObjClass::OperatorClass),
        (2328, ObjClass::ForeignDataWrapper),
        (1417, ObjClass::ForeignServer),
        (1418, ObjClass::UserMapping),
        (3576, ObjClass::Transform),
        (2612, ObjClass::Language),
        (2607, ObjClass::Conversion),
        (6100, ObjClass::Subscription),
    ];

    /// The class of catalog `oid`, if we model it.
    pub fn from_catalog_oid(oid: Oid) -> Option<ObjClass> {
        Self::CATALOGS
            .iter()
            .find(|(o, _)| *o == oid)
            .map(|(_, c)| *c)
    }
}

/// An object: which catalog, which row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjRef {
    pub class: ObjClass,
    pub oid: Oid,
}

impl ObjRef {
    pub const fn new(class: ObjClass, oid: Oid) -> Self {
        ObjRef { class, oid }
    }
}

/// `obj` depends on `on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Depend {
    pub obj: ObjRef,
    pub on: ObjRef,
    /// An automatic dependency (`deptype 'a'`), as opposed to a normal one.
    pub auto: bool,
}

/// `pg_attrdef`, `pg_rewrite` and `pg_class`: fixed catalog OIDs.
const ATTRDEF: Oid = 2604;
const REWRITE: Oid = 2618;
const CLASS: Oid = 1259;

pub(super) async fn load(client: &tokio_postgres::Client) -> Result<Vec<Depend>, CatalogError> {
    const WHAT: &str = "dependencies";
    // Every catalog we model, plus pg_attrdef (resolved to its relation below).
    let classes = format!(
        "({}, {ATTRDEF})",
        ObjClass::CATALOGS
            .iter()
            .map(|(oid, _)| oid.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    // The rows as they are; defaults and view rules are resolved here rather
    // than by a subquery per row on the server (a 30x dearer query at 10,000
    // tables).
    let sql = format!(
        "SELECT d.classid, d.objid, d.refclassid, d.refobjid, d.deptype = 'a' \
         FROM pg_catalog.pg_depend d \
         WHERE d.deptype IN ('n', 'a') AND d.objid >= {FIRST_NORMAL_OID} \
          AND d.refobjid >= {FIRST_NORMAL_OID} AND d.classid IN {classes} AND d.refclassid IN {classes}"
    );
    let defaults = format!(
        "SELECT ad.oid, ad.adrelid FROM pg_catalog.pg_attrdef ad WHERE ad.oid >= {FIRST_NORMAL_OID}"
    );
    let views = format!(
        "SELECT rw.oid, rw.ev_class FROM pg_catalog.pg_rewrite rw \
         WHERE rw.rulename = '_RETURN' AND rw.oid >= {FIRST_NORMAL_OID}"
    );
    let (rows, defaults, views) = tokio::try_join!(
        query(client, WHAT, &sql),
        query(client, WHAT, &defaults),
        query(client, WHAT, &views)
    )?;
    let map = |rows: Vec<tokio_postgres::Row>| -> Result<HashMap<Oid, Oid>, CatalogError> {
        rows.iter()
            .map(|r| Ok((get(r, WHAT, 0)?, get(r, WHAT, 1)?)))
            .collect()
    };
    let (defaults, views) = (map(defaults)?, map(views)?);
    // A default counts as its relation, and so does a view's _RETURN rule.
    let resolve = |class: Oid, oid: Oid| -> Option<(Oid, Oid)> {
        match class {
            ATTRDEF => defaults.get(&oid).map(|&rel| (rel, CLASS)),
            REWRITE => Some(views.get(&oid).map_or((oid, REWRITE), |&rel| (rel, CLASS))),
            _ => Some((oid, class)),
        }
    };
    let mut resolved = Vec::with_capacity(rows.len());
    for r in &rows {
        let obj = resolve(get(r, WHAT, 0)?, get(r, WHAT, 1)?);
        let on = resolve(get(r, WHAT, 2)?, get(r, WHAT, 3)?);
        if let (Some(obj), Some(on)) = (obj, on) {
            resolved.push((obj, on, get::<bool>(r, WHAT, 4)?));
        }
    }
    resolved.sort_unstable();
    resolved.dedup();
    Ok(resolved
        .into_iter()
        .filter_map(|((oid, class), (ref_oid, ref_class), auto)| {
            Some(Depend {
                obj: obj_ref(class, Some(oid))?,
                on: obj_ref(ref_class, Some(ref_oid))?,
                auto,
            })
        })
        .collect())
}

fn obj_ref(class: Oid, oid: Option<Oid>) -> Option<ObjRef> {
    Some(ObjRef {
        class: ObjClass::from_catalog_oid(class)?,
        oid: oid?,
    })
}
