//! The database's own properties: owner, settings (`ALTER DATABASE ...
//! SET`, `ALTER ROLE ... IN DATABASE ... SET`), connection limit, template
//! flag, comment and privileges. The statements name the database through
//! `current_database()`, so they apply to whatever database the archive is
//! restored into; a restore runs them last, and only when it created that
//! database (`--create`), as `pg_restore` does.

use super::acl;
use super::graph::{Graph, Node};
use super::{quote, Ctx};
use crate::catalog::Database;
use crate::format::toc::ObjectKind;

/// Stands for the database's name in a statement passed to [`on_current`].
const DB: &str = "\u{0}";

/// Runs `statement` (with [`DB`] where the database's name goes) against
/// the current database.
fn on_current(statement: &str) -> String {
    let template = statement.replace('%', "%%").replace(DB, "%I");
    format!(
        "DO $pgsnap$BEGIN EXECUTE pg_catalog.format({}, pg_catalog.current_database()); END$pgsnap$;\n",
        quote::literal(template.trim_end().trim_end_matches(';'))
    )
}

/// Settings whose value is a list of (possibly double-quoted) names: the
/// server quotes a single string given to them once more, so each element
/// is given as its own literal (`pg_dump`'s `variable_is_guc_list_quote`).
const LIST_SETTINGS: &[&str] = &[
    "local_preload_libraries",
    "search_path",
    "session_preload_libraries",
    "shared_preload_libraries",
    "temp_tablespaces",
    "unix_socket_directories",
];

/// Splits `a, "B c", "d""e"` into `a`, `B c`, `d"e`.
fn split_list(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = value.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur).trim().to_owned()),
            (c, _) => cur.push(c),
        }
    }
    out.push(cur.trim().to_owned());
    out
}

/// `SET name TO 'value'` for one `name=value` setting.
pub(super) fn set_clause(setting: &str) -> Option<String> {
    let (name, value) = setting.split_once('=')?;
    let value = if LIST_SETTINGS.contains(&name.to_ascii_lowercase().as_str()) {
        split_list(value)
            .iter()
            .map(|v| quote::literal(v))
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        quote::literal(value)
    };
    Some(format!("SET {} TO {value}", quote::ident(name)))
}

pub(super) fn add(ctx: &Ctx, g: &mut Graph) {
    let db: &Database = &ctx.cat.database;
    if db.owner.is_empty() {
        return;
    }
    let mut def = String::new();
    for (role, setting) in &db.settings {
        let Some(set) = set_clause(setting) else {
            continue;
        };
        let stmt = match role {
            None => format!("ALTER DATABASE {DB} {set}"),
            Some(r) => format!("ALTER ROLE {} IN DATABASE {DB} {set}", quote::ident(r)),
        };
        def.push_str(&on_current(&stmt));
    }
    if db.connection_limit != -1 {
        let stmt = format!(
            "ALTER DATABASE {DB} CONNECTION LIMIT = {}",
            db.connection_limit
        );
        def.push_str(&on_current(&stmt));
    }
    if db.is_template {
        def.push_str(&on_current(&format!(
            "ALTER DATABASE {DB} IS_TEMPLATE = true"
        )));
    }
    let owner = on_current(&format!(
        "ALTER DATABASE {DB} OWNER TO {}",
        quote::ident(&db.owner)
    ));
    let props = g.add(
        Node::new(
            ObjectKind::DatabaseProperties,
            None,
            "DATABASE",
            Some(&db.owner),
        )
        .sql(def, String::new())
        .owned(owner),
    );
    if let Some(c) = &db.comment {
        let sql = on_current(&format!(
            "COMMENT ON DATABASE {DB} IS {}",
            quote::literal(c)
        ));
        let node = Node::new(ObjectKind::Comment, None, "DATABASE", Some(&db.owner))
            .attached_to(&g.nodes[props], String::new())
            .sql(sql, String::new());
        let id = g.add(node);
        g.belong(id, props);
    }
    for (provider, label) in &db.security_labels {
        let sql = on_current(&format!(
            "SECURITY LABEL FOR {} ON DATABASE {DB} IS {}",
            quote::ident(provider),
            quote::literal(label)
        ));
        let node = Node::new(ObjectKind::SecurityLabel, None, "DATABASE", Some(&db.owner))
            .attached_to(&g.nodes[props], String::new())
            .sql(sql, String::new());
        let id = g.add(node);
        g.belong(id, props);
    }
    if let Some(items) = &db.acl {
        let grants = acl::commands(
            "",
            &format!("DATABASE {DB}"),
            None,
            items,
            &db.base_acl,
            &db.owner,
        );
        let sql: String = grants
            .lines()
            .map(|l| {
                if l.contains(DB) {
                    on_current(l)
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        if !sql.is_empty() {
            let node = Node::new(ObjectKind::Acl, None, "DATABASE", Some(&db.owner))
                .attached_to(&g.nodes[props], "acl".to_owned())
                .sql(sql, String::new());
            let id = g.add(node);
            g.belong(id, props);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_settings_are_given_element_by_element() {
        assert_eq!(
            set_clause("search_path=\"$user\", public, \"a\"\"b, c\"").unwrap(),
            "SET search_path TO '$user', 'public', 'a\"b, c'"
        );
        assert_eq!(
            set_clause("work_mem=12MB").unwrap(),
            "SET work_mem TO '12MB'"
        );
        assert!(set_clause("broken").is_none());
    }

    #[test]
    fn statements_name_the_current_database() {
        assert_eq!(
            on_current(&format!("ALTER DATABASE {DB} SET x TO '100%'")),
            "DO $pgsnap$BEGIN EXECUTE pg_catalog.format('ALTER DATABASE %I SET x TO ''100%%''', \
             pg_catalog.current_database()); END$pgsnap$;\n"
        );
    }
}
