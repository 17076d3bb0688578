//! Password file lookup (`PGPASSFILE` or `~/.pgpass`), with libpq's format:
//! `hostname:port:database:username:password`, `*` as a wildcard, `\` escapes.

use std::path::Path;

/// Finds the password for the first matching line, if any.
pub fn lookup(path: &Path, host: &str, port: u16, db: &str, user: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let port = port.to_string();
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .find_map(|line| {
            let fields = split(line);
            if fields.len() < 5 {
                return None;
            }
            let want = [host, port.as_str(), db, user];
            let matches = fields[..4]
                .iter()
                .zip(want)
                .all(|(f, w)| f == "*" || f == w);
            matches.then(|| fields[4..].join(":"))
        })
}

fn split(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    out.last_mut().expect("non-empty").push(n);
                }
            }
            ':' => out.push(String::new()),
            _ => out.last_mut().expect("non-empty").push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_wildcards_and_escapes() {
        let dir = std::env::temp_dir().join(format!("pgsnap-pgpass-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("pgpass");
        std::fs::write(
            &f,
            "# comment\nother:5432:*:bob:nope\nlocalhost:*:app:bob:se\\:cret\n*:*:*:*:fallback\n",
        )
        .unwrap();
        assert_eq!(
            lookup(&f, "localhost", 5433, "app", "bob").as_deref(),
            Some("se:cret")
        );
        assert_eq!(
            lookup(&f, "db1", 5432, "x", "y").as_deref(),
            Some("fallback")
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
