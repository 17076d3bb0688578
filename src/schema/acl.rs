//! `GRANT`/`REVOKE` entries: privileges restored as the difference between an
//! object's ACL and the ACL a freshly created object has, the way
//! `pg_dump`'s `buildACLCommands` computes it, so the restored ACL lists the
//! same items in the same order. Default privileges the same way, as
//! `ALTER DEFAULT PRIVILEGES`.

use std::collections::HashMap;

use super::graph::{Graph, Node};
use super::{quote, Ctx};
use crate::catalog::{Acl, DefaultAcl, ObjClass};
use crate::format::toc::ObjectKind;

/// One parsed `aclitem`: `grantee=privs/grantor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AclItem {
    /// Empty for `PUBLIC`.
    pub grantee: String,
    pub grantor: String,
    /// Privilege keywords without and with grant option, in letter order.
    pub privs: Vec<&'static str>,
    pub privs_grant: Vec<&'static str>,
}

/// The privilege a letter of the `aclitem` text form stands for.
fn privilege(letter: char) -> Option<&'static str> {
    Some(match letter {
        'a' => "INSERT",
        'r' => "SELECT",
        'w' => "UPDATE",
        'd' => "DELETE",
        'D' => "TRUNCATE",
        'x' => "REFERENCES",
        't' => "TRIGGER",
        'X' => "EXECUTE",
        'U' => "USAGE",
        'C' => "CREATE",
        'T' => "TEMPORARY",
        'c' => "CONNECT",
        's' => "SET",
        'A' => "ALTER SYSTEM",
        'm' => "MAINTAIN",
        _ => return None,
    })
}

/// Reads one role name of an `aclitem` (quoted the way `putid` quotes),
/// returning it and the rest of the input.
fn role_name(s: &str) -> Option<(String, &str)> {
    let Some(rest) = s.strip_prefix('"') else {
        let end = s.find(['=', '/']).unwrap_or(s.len());
        return Some((s[..end].to_owned(), &s[end..]));
    };
    let mut name = String::new();
    let mut chars = rest.char_indices().peekable();
    while let Some((i, ch)) = chars.next() {
        if ch == '"' {
            if chars.peek().map(|&(_, c)| c) == Some('"') {
                chars.next();
                name.push('"');
            } else {
                return Some((name, &rest[i + 1..]));
            }
        } else {
            name.push(ch);
        }
    }
    None
}

/// Parses the text form of an `aclitem`; `None` if it is malformed.
pub(crate) fn parse_item(item: &str) -> Option<AclItem> {
    let (grantee, rest) = role_name(item)?;
    let rest = rest.strip_prefix('=')?;
    let (letters, grantor) = rest.split_once('/')?;
    let (grantor, tail) = role_name(grantor)?;
    if !tail.is_empty() {
        return None;
    }
    let mut privs = Vec::new();
    let mut privs_grant = Vec::new();
    let mut letters = letters.chars().peekable();
    while let Some(l) = letters.next() {
        let p = privilege(l)?;
        if letters.next_if_eq(&'*').is_some() {
            privs_grant.push(p);
        } else {
            privs.push(p);
        }
    }
    Some(AclItem {
        grantee,
        grantor,
        privs,
        privs_grant,
    })
}

fn grantee_sql(name: &str) -> String {
    if name.is_empty() {
        "PUBLIC".to_owned()
    } else {
        quote::ident(name)
    }
}

/// The privilege list of a GRANT: `SELECT,UPDATE`, or `SELECT(col)` per
/// privilege for a column.
fn privilege_list(privs: &[&str], column: Option<&str>) -> String {
    privs
        .iter()
        .map(|p| match column {
            Some(c) => format!("{p}({c})"),
            None => (*p).to_owned(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The SQL that turns `base` into `acl` on `on` (`TABLE s.t`): REVOKE ALL
/// from every grantee of a `base` item that `acl` lacks, then a GRANT for
/// every `acl` item that `base` lacks, in `acl` order, as its grantor when
/// that is not `owner`. `prefix` goes before each statement (default
/// privileges). Malformed items are skipped (the server wrote them).
pub(crate) fn commands(
    prefix: &str,
    on: &str,
    column: Option<&str>,
    acl: &[String],
    base: &[String],
    owner: &str,
) -> String {
    let mut sql = String::new();
    let col = column.map(quote::ident);
    for b in base.iter().filter(|b| !acl.contains(b)) {
        let Some(item) = parse_item(b) else { continue };
        let all = match &col {
            Some(c) => format!("ALL({c})"),
            None => "ALL".to_owned(),
        };
        sql.push_str(&format!(
            "{prefix}REVOKE {all} ON {on} FROM {};\n",
            grantee_sql(&item.grantee)
        ));
    }
    for a in acl.iter().filter(|a| !base.contains(a)) {
        let Some(item) = parse_item(a) else { continue };
        let other_grantor = !item.grantor.is_empty() && item.grantor != owner;
        if other_grantor {
            sql.push_str(&format!(
                "SET SESSION AUTHORIZATION {};\n",
                quote::ident(&item.grantor)
            ));
        }
        let grantee = grantee_sql(&item.grantee);
        if !item.privs.is_empty() {
            sql.push_str(&format!(
                "{prefix}GRANT {} ON {on} TO {grantee};\n",
                privilege_list(&item.privs, col.as_deref())
            ));
        }
        if !item.privs_grant.is_empty() {
            sql.push_str(&format!(
                "{prefix}GRANT {} ON {on} TO {grantee} WITH GRANT OPTION;\n",
                privilege_list(&item.privs_grant, col.as_deref())
            ));
        }
        if other_grantor {
            sql.push_str("RESET SESSION AUTHORIZATION;\n");
        }
    }
    sql
}

/// Adds an ACL entry per object (or column) whose privileges differ from a
/// new object's. Privileges changed on an extension's member objects hang on
/// the extension's entry.
pub(super) fn add(ctx: &Ctx, g: &mut Graph) {
    // Schemas first: granting as another role needs that role's USAGE on
    // the schema, so every other ACL entry waits for its schema's.
    let (schemas, others): (Vec<&Acl>, Vec<&Acl>) = ctx
        .cat
        .acls
        .iter()
        .partition(|a| a.obj.class == ObjClass::Namespace);
    let mut schema_acl = HashMap::new();
    for a in schemas.into_iter().chain(others) {
        let object = g.node_of(a.obj).or_else(|| ctx.extension_of(a.obj, g));
        let public_schema = a.obj.class == ObjClass::Namespace
            && ctx
                .cat
                .namespaces
                .iter()
                .any(|n| n.oid == a.obj.oid && n.is_public());
        if object.is_none() && !public_schema && !a.system {
            continue;
        }
        let on = format!("{} {}", a.word, a.target);
        let sql = commands("", &on, a.column.as_deref(), &a.acl, &a.base, &a.owner);
        if sql.is_empty() {
            continue;
        }
        let (schema, tag) = acl_tag(g, a, object);
        let node = Node::new(ObjectKind::Acl, schema.as_deref(), &tag, Some(&a.owner))
            .sql(sql, String::new());
        let id = g.add(node);
        if let Some(o) = object {
            g.belong(id, o);
        }
        if a.obj.class == ObjClass::Namespace {
            let name = if public_schema {
                "public".to_owned()
            } else {
                object.map(|o| g.nodes[o].name.clone()).unwrap_or_default()
            };
            schema_acl.insert(name, id);
        } else if let Some(&s) = schema.as_ref().and_then(|s| schema_acl.get(s)) {
            g.depend(id, s);
        }
    }
}

/// The schema and tag of an object's ACL entry: `TABLE t`, `COLUMN t.c`, ...
fn acl_tag(g: &Graph, a: &Acl, object: Option<usize>) -> (Option<String>, String) {
    let Some(o) = object.map(|o| &g.nodes[o]) else {
        let name = match &a.column {
            Some(c) => format!("COLUMN {}.{c}", a.target),
            None if a.system => format!("{} {}", a.word, a.target),
            None => "SCHEMA public".to_owned(),
        };
        return (None, name);
    };
    let name = match (&a.column, o.kind) {
        (Some(c), _) => format!("COLUMN {}.{c}", o.name),
        (None, ObjectKind::Schema) => format!("SCHEMA {}", o.name),
        (None, ObjectKind::Extension | ObjectKind::LargeObjects) => {
            format!("{} {}", a.word, a.target)
        }
        (None, _) => format!("{} {}", a.word, o.name),
    };
    (o.schema.clone(), name)
}

/// The keyword `ALTER DEFAULT PRIVILEGES ... ON` takes for `defaclobjtype`.
fn default_acl_word(objtype: char) -> Option<&'static str> {
    Some(match objtype {
        'r' => "TABLES",
        'S' => "SEQUENCES",
        'f' => "FUNCTIONS",
        'T' => "TYPES",
        'n' => "SCHEMAS",
        _ => return None,
    })
}

/// Adds one `DEFAULT ACL` entry per `pg_default_acl` row.
pub(super) fn add_defaults(ctx: &Ctx, g: &mut Graph) {
    for d in &ctx.cat.default_acls {
        let Some(word) = default_acl_word(d.objtype) else {
            continue;
        };
        let mut prefix = format!(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {}",
            quote::ident(&d.role)
        );
        if let Some(s) = &d.schema {
            prefix.push_str(&format!(" IN SCHEMA {}", quote::ident(s)));
        }
        prefix.push(' ');
        let sql = commands(&prefix, word, None, &d.acl, &d.base, &d.role);
        if sql.is_empty() {
            continue;
        }
        let tag = default_tag(d, word);
        let node = Node::new(
            ObjectKind::DefaultAcl,
            d.schema.as_deref(),
            &tag,
            Some(&d.role),
        )
        .sql(sql, String::new());
        let id = g.add(node);
        if let Some(s) = d.schema.as_ref().and_then(|s| ctx.schema_node(g, s)) {
            g.depend(id, s);
        }
    }
}

fn default_tag(d: &DefaultAcl, word: &str) -> String {
    format!("DEFAULT PRIVILEGES FOR {} {}", word, d.role)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn parses_items_with_quotes_and_grant_options() {
        let i = parse_item("\"we\"\"ird=/\"=r*w/owner").unwrap();
        assert_eq!(i.grantee, "we\"ird=/");
        assert_eq!(i.grantor, "owner");
        assert_eq!(i.privs, vec!["UPDATE"]);
        assert_eq!(i.privs_grant, vec!["SELECT"]);
        let p = parse_item("=X/\"Bob\"").unwrap();
        assert_eq!(p.grantee, "");
        assert_eq!(p.grantor, "Bob");
        assert!(parse_item("bob=r").is_none());
        assert!(parse_item("bob=q/x").is_none());
        assert!(parse_item("\"open=r/x").is_none());
    }

    #[test]
    fn grants_only_the_difference_from_the_default() {
        let base = v(&["owner=arwdDxt/owner"]);
        let acl = v(&["owner=arwdDxt/owner", "reader=r/owner", "writer=arw*/owner"]);
        assert_eq!(
            commands("", "TABLE s.t", None, &acl, &base, "owner"),
            "GRANT SELECT ON TABLE s.t TO reader;\n\
             GRANT INSERT,SELECT ON TABLE s.t TO writer;\n\
             GRANT UPDATE ON TABLE s.t TO writer WITH GRANT OPTION;\n"
        );
    }

    #[test]
    fn revokes_what_the_default_has_and_the_acl_lacks() {
        let base = v(&["=X/owner", "owner=X/owner"]);
        let acl = v(&["owner=X/owner", "app=X/owner"]);
        assert_eq!(
            commands("", "FUNCTION s.f()", None, &acl, &base, "owner"),
            "REVOKE ALL ON FUNCTION s.f() FROM PUBLIC;\nGRANT EXECUTE ON FUNCTION s.f() TO app;\n"
        );
    }

    #[test]
    fn grants_by_another_role_run_as_that_role() {
        let sql = commands(
            "",
            "TABLE s.t",
            Some("Col"),
            &v(&["r=r/\"Other Role\""]),
            &[],
            "owner",
        );
        assert_eq!(
            sql,
            "SET SESSION AUTHORIZATION \"Other Role\";\n\
             GRANT SELECT(\"Col\") ON TABLE s.t TO r;\n\
             RESET SESSION AUTHORIZATION;\n"
        );
    }

    #[test]
    fn nothing_when_acl_equals_base() {
        let base = v(&["owner=arwdDxt/owner"]);
        assert_eq!(commands("", "TABLE t", None, &base, &base, "owner"), "");
    }
}
