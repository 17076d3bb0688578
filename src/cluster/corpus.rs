//! The sample SQL the demo and the tests load (`tests/corpus/`), as a server
//! of a given major version takes it: the lines between `-- @since N` and
//! `-- @end` are kept from major N on, those between an `-- @else` and its
//! `-- @end` (the older servers' stand-in) below N.

/// `sql` for a server of major version `major`.
pub fn for_major(sql: &str, major: u32) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut keep = true;
    for line in sql.lines() {
        if let Some(n) = line.strip_prefix("-- @since ") {
            keep = n.trim().parse::<u32>().map_or(true, |n| major >= n);
        } else if line == "-- @else" {
            keep = !keep;
        } else if line == "-- @end" {
            keep = true;
        } else if keep {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_what_the_version_has() {
        let sql =
            "a;\n-- @since 15\nnew;\n-- @else\nold;\n-- @end\n-- @since 14\nx;\n-- @end\nb;\n";
        assert_eq!(for_major(sql, 13), "a;\nold;\nb;\n");
        assert_eq!(for_major(sql, 14), "a;\nold;\nx;\nb;\n");
        assert_eq!(for_major(sql, 18), "a;\nnew;\nx;\nb;\n");
    }
}
