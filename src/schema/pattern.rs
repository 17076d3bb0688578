//! `pg_dump`'s name patterns (`-n`, `-t` and friends): `*` matches any
//! run of characters, `?` any one character, letters outside double quotes
//! are folded to lower case, `"..."` matches its contents literally (`""` is
//! a quote), and an unquoted `.` separates a schema pattern from a name
//! pattern. Regular-expression syntax beyond `*` and `?` is not supported.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Any,
    One,
    Lit(char),
}

/// One pattern, as given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    text: String,
    schema: Option<Vec<Tok>>,
    name: Vec<Tok>,
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Pattern {
    /// A pattern for a qualified name (`-t`): `schema.name` or `name` (any schema).
    pub fn qualified(text: &str) -> Result<Pattern, String> {
        let mut parts = split(text)?;
        match parts.len() {
            1 => Ok(Pattern {
                text: text.to_owned(),
                schema: None,
                name: parts.remove(0),
            }),
            2 => {
                let name = parts.remove(1);
                Ok(Pattern {
                    text: text.to_owned(),
                    schema: Some(parts.remove(0)),
                    name,
                })
            }
            _ => Err(format!(
                "pattern {text:?} has too many dotted parts: give schema.table (quote names that contain dots)"
            )),
        }
    }

    /// A pattern for a schema name (`-n`).
    pub fn schema(text: &str) -> Result<Pattern, String> {
        let mut parts = split(text)?;
        if parts.len() != 1 {
            return Err(format!(
                "schema pattern {text:?} contains a dot: quote a schema name that contains one, \
                 and use -t for schema.table"
            ));
        }
        Ok(Pattern {
            text: text.to_owned(),
            schema: None,
            name: parts.remove(0),
        })
    }

    /// Whether the object `name` in schema `schema` matches.
    pub fn matches(&self, schema: &str, name: &str) -> bool {
        self.schema.as_ref().is_none_or(|s| glob(s, schema)) && glob(&self.name, name)
    }

    /// Whether the schema `name` matches (for schema patterns).
    pub fn matches_name(&self, name: &str) -> bool {
        glob(&self.name, name)
    }
}

/// Splits at unquoted dots into token lists.
fn split(text: &str) -> Result<Vec<Vec<Tok>>, String> {
    let mut parts = vec![Vec::new()];
    let mut in_quotes = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let part = parts.last_mut().expect("never empty");
        match (c, in_quotes) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                part.push(Tok::Lit('"'));
            }
            ('"', _) => in_quotes = !in_quotes,
            (c, true) => part.push(Tok::Lit(c)),
            ('.', false) => parts.push(Vec::new()),
            ('*', false) => part.push(Tok::Any),
            ('?', false) => part.push(Tok::One),
            (c, false) => part.push(Tok::Lit(c.to_ascii_lowercase())),
        }
    }
    if in_quotes {
        return Err(format!("pattern {text:?} has an unterminated double quote"));
    }
    Ok(parts)
}

/// Wildcard match of the whole of `s` (iterative, with one backtrack point).
fn glob(p: &[Tok], s: &str) -> bool {
    let s: Vec<char> = s.chars().collect();
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some(Tok::Any) => {
                star = Some((pi, si));
                pi += 1;
            }
            Some(Tok::One) => {
                pi += 1;
                si += 1;
            }
            Some(Tok::Lit(c)) if *c == s[si] => {
                pi += 1;
                si += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|t| *t == Tok::Any)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_case_folding_and_quotes() {
        let p = Pattern::qualified("App*.Item?").unwrap();
        assert!(p.matches("app_1", "items"));
        assert!(!p.matches("App", "items"));
        assert!(!p.matches("app", "item"));
        let q = Pattern::qualified("\"My.Schema\".\"T*\"").unwrap();
        assert!(q.matches("My.Schema", "T*"));
        assert!(!q.matches("My.Schema", "Tx"));
        let any_schema = Pattern::qualified("orders").unwrap();
        assert!(any_schema.matches("sales", "orders"));
        assert!(!any_schema.matches("sales", "orders2"));
        let quote = Pattern::qualified("\"a\"\"b\"").unwrap();
        assert!(quote.matches("x", "a\"b"));
        assert!(Pattern::qualified("*").unwrap().matches("s", ""));
        assert!(Pattern::qualified("a*b*c").unwrap().matches("s", "aXbYbZc"));
    }

    #[test]
    fn bad_patterns_are_refused() {
        assert!(Pattern::qualified("a.b.c").is_err());
        assert!(Pattern::qualified("\"open").is_err());
        assert!(Pattern::schema("a.b").is_err());
        assert!(Pattern::schema("\"a.b\"").unwrap().matches_name("a.b"));
    }
}
