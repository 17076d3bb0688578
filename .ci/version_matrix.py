#!/usr/bin/env python3
"""The README's table of tested PostgreSQL versions, made from what CI ran.

.ci/run collects records while it tests (one per line):
  suite whole M            the whole integration suite passed against major M
  suite roundtrip M        the round-trip suites passed against major M
  restore F T CORPUS       tests/versions.rs restored CORPUS (src: the
                           round-trip corpus, fid: the schema-fidelity one)
                           from F into T, equal to T's pg_dump + pg_restore
  refused-then-forced N O  an archive from N was refused by O, then forced

usage: version_matrix.py RECORDS --check README.md   (exit 1 if it differs)
       version_matrix.py RECORDS --write README.md   (after a CI run here)
"""
import sys

BEGIN = "<!-- version matrix: made by .ci/version_matrix.py from what CI ran; do not edit -->"
END = "<!-- end of version matrix -->"
CORPORA = {"src", "fid"}


def table(lines):
    suites, restores, refused = {}, {}, []
    for line in lines:
        f = line.split()
        if not f:
            continue
        if f[0] == "suite":
            suites.setdefault(int(f[2]), set()).add(f[1])
        elif f[0] == "restore":
            restores.setdefault((int(f[1]), int(f[2])), set()).add(f[3])
        elif f[0] == "refused-then-forced":
            refused.append((int(f[1]), int(f[2])))
        else:
            raise SystemExit(f"unknown record: {line!r}")
    majors = sorted(set(suites) | {m for pair in restores for m in pair})
    if not majors:
        raise SystemExit("no records: did the tests run with PGSNAP_TEST_MATRIX set?")
    newest = max(t for _, t in restores) if restores else None
    both = {pair for pair, corpora in restores.items() if corpora >= CORPORA}

    def row(label, cell):
        return "| " + label + " | " + " | ".join(cell(m) for m in majors) + " |"

    out = [
        "| PostgreSQL | " + " | ".join(str(m) for m in majors) + " |",
        "|---" * (len(majors) + 1) + "|",
        row("whole integration suite", lambda m: "yes" if "whole" in suites.get(m, ()) else ""),
        row(
            "round trips (`roundtrip`, `select`, `quoting`, `encryption`)",
            lambda m: "yes" if suites.get(m) else "",
        ),
    ]
    if newest is not None:
        nxt = dict(zip(majors, majors[1:]))
        out.append(
            row(
                f"backed up, restored into {newest} (both corpora)",
                lambda m: "yes" if (m, newest) in both else "",
            )
        )
        out.append(
            row(
                "backed up, restored into the next major (both corpora)",
                lambda m: str(nxt[m]) if (m, nxt.get(m)) in both else "",
            )
        )
    for new, old in refused:
        out.append(
            row(f"an archive from {new}: refused, then `--force`", lambda m: "yes" if m == old else "")
        )
    return [BEGIN] + out + [END]


def main():
    if len(sys.argv) != 4 or sys.argv[2] not in ("--check", "--write"):
        raise SystemExit(__doc__)
    records, mode, readme = sys.argv[1:]
    with open(records) as f:
        want = table(f.read().splitlines())
    with open(readme) as f:
        text = f.read().splitlines()
    try:
        start, end = text.index(BEGIN), text.index(END)
    except ValueError:
        raise SystemExit(f"{readme} has no version matrix markers ({BEGIN})")
    if mode == "--write":
        text[start : end + 1] = want
        with open(readme, "w") as f:
            f.write("\n".join(text) + "\n")
    elif text[start : end + 1] != want:
        print(f"{readme}'s version matrix differs from what CI ran; it should be:", file=sys.stderr)
        print("\n".join(want), file=sys.stderr)
        print(f"(python3 .ci/version_matrix.py {records} --write {readme} writes it)", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
