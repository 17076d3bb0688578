//! `--globals`: the roles a database refers to, created only where missing
//! (a restore never changes a role that exists), their memberships, and the
//! tablespaces its objects are in. Role entries are `DO` blocks that check
//! first; a tablespace entry is run by the restore only where it is missing.

use std::collections::HashMap;

use super::graph::{Graph, Node};
use super::{database, quote, Ctx};
use crate::format::toc::ObjectKind;

/// Wraps PL/pgSQL `body` in a `DO` block whose dollar quote it cannot close.
fn do_block(body: &str) -> String {
    let mut tag = "pgsnap".to_owned();
    while body.contains(&format!("${tag}$")) {
        tag.push('_');
    }
    format!("DO ${tag}$BEGIN\n{body}END${tag}$;\n")
}

pub(super) fn add(ctx: &Ctx, g: &mut Graph) {
    let mut nodes = HashMap::new();
    for r in &ctx.cat.roles {
        let name = quote::ident(&r.name);
        let mut body = format!(
            "IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = {}) THEN\n\
             CREATE ROLE {name};\nALTER ROLE {name} WITH {};\n",
            quote::literal(&r.name),
            r.attributes.join(" ")
        );
        for s in &r.settings {
            if let Some(set) = database::set_clause(s) {
                body.push_str(&format!("ALTER ROLE {name} {set};\n"));
            }
        }
        body.push_str("END IF;\n");
        let node =
            Node::new(ObjectKind::Role, None, &r.name, None).sql(do_block(&body), String::new());
        nodes.insert(r.name.as_str(), g.add(node));
    }
    for t in &ctx.cat.tablespaces {
        // CREATE TABLESPACE cannot run in a DO block (nor any transaction):
        // the restore runs it only when the tablespace is missing.
        let name = quote::ident(&t.name);
        let mut def = format!(
            "CREATE TABLESPACE {name} OWNER {} LOCATION {};\n",
            quote::ident(&t.owner),
            quote::literal(&t.location)
        );
        if !t.options.is_empty() {
            def.push_str(&format!(
                "ALTER TABLESPACE {name} SET ({});\n",
                super::with_options(t.options.iter())
            ));
        }
        let node = Node::new(ObjectKind::Tablespace, None, &t.name, Some(&t.owner))
            .sql(def, String::new());
        let id = g.add(node);
        if let Some(&owner) = nodes.get(t.owner.as_str()) {
            g.depend(id, owner);
        }
    }
    for m in &ctx.cat.memberships {
        let body = format!(
            "IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members a \
             WHERE a.roleid = {}::pg_catalog.regrole AND a.member = {}::pg_catalog.regrole) THEN\n\
             GRANT {} TO {}{};\nEND IF;\n",
            quote::literal(&quote::ident(&m.role)),
            quote::literal(&quote::ident(&m.member)),
            quote::ident(&m.role),
            quote::ident(&m.member),
            if m.admin { " WITH ADMIN OPTION" } else { "" }
        );
        let tag = format!("{} TO {}", m.role, m.member);
        let node = Node::new(ObjectKind::RoleMembership, None, &tag, None)
            .sql(do_block(&body), String::new());
        let id = g.add(node);
        for role in [&m.role, &m.member] {
            if let Some(&n) = nodes.get(role.as_str()) {
                g.depend(id, n);
            }
        }
    }
}
