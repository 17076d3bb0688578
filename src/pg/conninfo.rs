//! Pulls the TLS options that tokio-postgres does not understand out of a
//! conninfo string (`key=value ...`) or a `postgresql://` URI, so that
//! `sslmode=verify-full`, `sslrootcert`, `sslcert` and `sslkey` work as in libpq.

/// Keys handled by pgsnap itself rather than tokio-postgres.
pub const TLS_KEYS: [&str; 4] = ["sslmode", "sslrootcert", "sslcert", "sslkey"];

/// Returns the string without the TLS keys, and the TLS keys' values.
pub fn split_tls(s: &str) -> Result<(String, Vec<(String, String)>), String> {
    if s.starts_with("postgres://") || s.starts_with("postgresql://") {
        Ok(split_uri(s))
    } else {
        split_keyword_value(s)
    }
}

fn split_uri(s: &str) -> (String, Vec<(String, String)>) {
    let Some((base, query)) = s.split_once('?') else {
        return (s.to_string(), Vec::new());
    };
    let mut kept = Vec::new();
    let mut tls = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_decode(k);
        if TLS_KEYS.contains(&key.as_str()) {
            tls.push((key, percent_decode(v)));
        } else {
            kept.push(pair);
        }
    }
    if kept.is_empty() {
        (base.to_string(), tls)
    } else {
        (format!("{base}?{}", kept.join("&")), tls)
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn split_keyword_value(s: &str) -> Result<(String, Vec<(String, String)>), String> {
    let mut kept = Vec::new();
    let mut tls = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') {
            return Err(format!("missing \"=\" after {key:?} in connection string"));
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next() {
                    Some('\\') => value.extend(chars.next()),
                    Some('\'') => break,
                    Some(c) => value.push(c),
                    None => return Err("unterminated quoted value in connection string".into()),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    value.extend(chars.next());
                } else {
                    value.push(c);
                }
            }
        }
        if TLS_KEYS.contains(&key.as_str()) {
            tls.push((key, value));
        } else {
            let quoted = value.replace('\\', "\\\\").replace('\'', "\\'");
            kept.push(format!("{key}='{quoted}'"));
        }
    }
    Ok((kept.join(" "), tls))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyword_value_strings() {
        let (rest, tls) = split_tls(
            "host=db port = 5433 sslmode=verify-full sslrootcert='/a b/ca.crt' password='it\\'s'",
        )
        .unwrap();
        assert_eq!(rest, "host='db' port='5433' password='it\\'s'");
        assert_eq!(
            tls,
            vec![
                ("sslmode".to_string(), "verify-full".to_string()),
                ("sslrootcert".to_string(), "/a b/ca.crt".to_string())
            ]
        );
        assert!(split_tls("host").is_err());
        assert!(split_tls("host='x").is_err());
    }

    #[test]
    fn uris() {
        let (rest, tls) = split_tls(
            "postgresql://u@h/db?sslmode=verify-ca&application_name=x&sslrootcert=%2Ftmp%2Fca.crt",
        )
        .unwrap();
        assert_eq!(rest, "postgresql://u@h/db?application_name=x");
        assert_eq!(tls[0].1, "verify-ca");
        assert_eq!(tls[1].1, "/tmp/ca.crt");
        assert_eq!(split_tls("postgres://h/db").unwrap().0, "postgres://h/db");
        assert_eq!(
            split_tls("postgres://h/db?sslmode=require").unwrap().0,
            "postgres://h/db"
        );
    }
}
