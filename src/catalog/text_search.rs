//! Text search parsers, templates, dictionaries and configurations
//! (`pg_ts_parser`, `pg_ts_template`, `pg_ts_dict`, `pg_ts_config` with
//! `pg_ts_config_map`). Function and dictionary names are as the server
//! prints them with an empty `search_path`.

use super::{get, not_extension_member, query, regproc_or_null, CatalogError, Oid, USER_NAMESPACE};

/// Which text search object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextSearchKind {
    Parser,
    Template,
    Dictionary,
    Configuration,
}

/// One text search object, with the options of its `CREATE` statement
/// (`NAME = value`, or a dictionary's own option text) and, for a
/// configuration, its mappings: (token type, dictionaries).
#[derive(Debug, Clone, PartialEq)]
pub struct TextSearchObject {
    pub kind: TextSearchKind,
    pub oid: Oid,
    pub schema: String,
    pub name: String,
    /// Parsers and templates have no owner.
    pub owner: Option<String>,
    pub options: Vec<String>,
    pub mappings: Vec<(String, Vec<String>)>,
}

pub(super) async fn load(
    client: &tokio_postgres::Client,
) -> Result<Vec<TextSearchObject>, CatalogError> {
    const WHAT: &str = "text search objects";
    let member = |catalog: &str| not_extension_member(catalog, "x.oid");
    let sql = format!(
        "SELECT 'p', x.oid, n.nspname::text, x.prsname::text, NULL::text, \
           ARRAY['START = ' || {start}, 'GETTOKEN = ' || {token}, 'END = ' || {end}, \
                 'LEXTYPES = ' || {lex}, 'HEADLINE = ' || {head}] \
         FROM pg_catalog.pg_ts_parser x JOIN pg_catalog.pg_namespace n ON n.oid = x.prsnamespace \
         WHERE {USER_NAMESPACE} AND {m_prs} \
         UNION ALL \
         SELECT 't', x.oid, n.nspname::text, x.tmplname::text, NULL::text, \
           ARRAY['INIT = ' || {init}, 'LEXIZE = ' || {lexize}] \
         FROM pg_catalog.pg_ts_template x JOIN pg_catalog.pg_namespace n ON n.oid = x.tmplnamespace \
         WHERE {USER_NAMESPACE} AND {m_tmpl} \
         UNION ALL \
         SELECT 'd', x.oid, n.nspname::text, x.dictname::text, pg_catalog.pg_get_userbyid(x.dictowner)::text, \
           ARRAY[(SELECT 'TEMPLATE = ' || pg_catalog.format('%I.%I', tn.nspname, t.tmplname) \
                  FROM pg_catalog.pg_ts_template t JOIN pg_catalog.pg_namespace tn ON tn.oid = t.tmplnamespace \
                  WHERE t.oid = x.dicttemplate), x.dictinitoption] \
         FROM pg_catalog.pg_ts_dict x JOIN pg_catalog.pg_namespace n ON n.oid = x.dictnamespace \
         WHERE {USER_NAMESPACE} AND {m_dict} \
         UNION ALL \
         SELECT 'c', x.oid, n.nspname::text, x.cfgname::text, pg_catalog.pg_get_userbyid(x.cfgowner)::text, \
           ARRAY[(SELECT 'PARSER = ' || pg_catalog.format('%I.%I', pn.nspname, p.prsname) \
                  FROM pg_catalog.pg_ts_parser p JOIN pg_catalog.pg_namespace pn ON pn.oid = p.prsnamespace \
                  WHERE p.oid = x.cfgparser)] \
         FROM pg_catalog.pg_ts_config x JOIN pg_catalog.pg_namespace n ON n.oid = x.cfgnamespace \
         WHERE {USER_NAMESPACE} AND {m_cfg} \
         ORDER BY 1, 3, 4",
        start = regproc_or_null("x.prsstart"),
        token = regproc_or_null("x.prstoken"),
        end = regproc_or_null("x.prsend"),
        lex = regproc_or_null("x.prslextype"),
        head = regproc_or_null("x.prsheadline"),
        init = regproc_or_null("x.tmplinit"),
        lexize = regproc_or_null("x.tmpllexize"),
        m_prs = member("pg_ts_parser"),
        m_tmpl = member("pg_ts_template"),
        m_dict = member("pg_ts_dict"),
        m_cfg = member("pg_ts_config"),
    );
    let mut out = Vec::new();
    for r in query(client, WHAT, &sql).await? {
        let kind = match get::<String>(&r, WHAT, 0)?.as_str() {
            "p" => TextSearchKind::Parser,
            "t" => TextSearchKind::Template,
            "d" => TextSearchKind::Dictionary,
            _ => TextSearchKind::Configuration,
        };
        let options: Vec<Option<String>> = get(&r, WHAT, 5)?;
        out.push(TextSearchObject {
            kind,
            oid: get(&r, WHAT, 1)?,
            schema: get(&r, WHAT, 2)?,
            name: get(&r, WHAT, 3)?,
            owner: get(&r, WHAT, 4)?,
            options: options.into_iter().flatten().collect(),
            mappings: Vec::new(),
        });
    }
    const MAPS: &str = "text search configuration mappings";
    let sql = "SELECT m.mapcfg, (SELECT t.alias FROM pg_catalog.ts_token_type(c.cfgparser) t \
                 WHERE t.tokid = m.maptokentype), \
                ARRAY_AGG(m.mapdict::pg_catalog.regdictionary::text ORDER BY m.mapseqno) \
               FROM pg_catalog.pg_ts_config_map m JOIN pg_catalog.pg_ts_config c ON c.oid = m.mapcfg \
               WHERE m.mapcfg >= 16384 \
               GROUP BY m.mapcfg, c.cfgparser, m.maptokentype ORDER BY m.mapcfg, m.maptokentype";
    for r in query(client, MAPS, sql).await? {
        let cfg: Oid = get(&r, MAPS, 0)?;
        if let Some(c) = out
            .iter_mut()
            .find(|o| o.oid == cfg && o.kind == TextSearchKind::Configuration)
        {
            c.mappings.push((get(&r, MAPS, 1)?, get(&r, MAPS, 2)?));
        }
    }
    Ok(out)
}
