//! Hostile identifiers in every object kind this version dumps: quotes,
//! backslashes, semicolons, dollar quotes, unicode, reserved words and
//! 63-byte names must round-trip and never run as SQL.

use crate::support::*;

#[tokio::test]
async fn hostile_identifiers_round_trip() {
    let src = TestDb::new("quoting").await;
    let long = "x".repeat(63);
    src.exec(&format!(
        r#"
        CREATE SCHEMA "we""ird; DROP SCHEMA public --";
        CREATE SCHEMA "Üñí©ødé $$";
        CREATE TYPE "we""ird; DROP SCHEMA public --"."mo'od" AS ENUM ('it''s', 'back\slash', '$$;', 'ünï');
        CREATE DOMAIN "Üñí©ødé $$"."dom""ain" AS text CHECK (VALUE <> 'x'';--');
        CREATE TABLE "we""ird; DROP SCHEMA public --"."select" (
            "from" int PRIMARY KEY,
            "col""quote" text DEFAULT 'it''s $$ ; --',
            "back\slash" "we""ird; DROP SCHEMA public --"."mo'od",
            "Ünïcødé" "Üñí©ødé $$"."dom""ain",
            "{long}" int
        );
        CREATE TABLE "Üñí©ødé $$"."{long}" (id int PRIMARY KEY, ref int REFERENCES "we""ird; DROP SCHEMA public --"."select" ("from"));
        CREATE INDEX "idx; DROP TABLE x" ON "we""ird; DROP SCHEMA public --"."select" ("col""quote");
        CREATE VIEW "Üñí©ødé $$"."view ""v""" AS SELECT "from", "col""quote" FROM "we""ird; DROP SCHEMA public --"."select";
        CREATE FUNCTION "Üñí©ødé $$"."f$$" (a text) RETURNS text LANGUAGE sql AS $body$ SELECT a || '$$;' $body$;
        CREATE SEQUENCE "we""ird; DROP SCHEMA public --"."seq'; --";
        SELECT setval('"we""ird; DROP SCHEMA public --"."seq''; --"', 42);
        COMMENT ON TABLE "we""ird; DROP SCHEMA public --"."select" IS 'comment with ''quotes'' and $$ and ; --';
        COMMENT ON COLUMN "we""ird; DROP SCHEMA public --"."select"."col""quote" IS E'multi\nline';
        INSERT INTO "we""ird; DROP SCHEMA public --"."select" VALUES
            (1, 'a''b', 'it''s', 'ünï', 1), (2, NULL, '$$;', NULL, 2), (3, E'tab\there', 'back\slash', 'ok', NULL);
        INSERT INTO "Üñí©ødé $$"."{long}" VALUES (1, 1), (2, 3);
        "#
    ))
    .await;
    let dir = Scratch::new("quoting");
    let file = dir.path("q.pgsnap");
    backup_ok(&src, &file, &["-j", "2"]);
    ok(&pgsnap(&["verify", path_str(&file)]));
    ok(&pgsnap(&["list", path_str(&file)]));
    let target = restore_copy(&src, &file, "restored", &["-j", "2"]);
    assert_same(&src.cluster, &src.name, &target).await;
    // Nothing ran that the names spell out: the public schema is still there.
    let public: i64 = connect(&src.cluster, &target)
        .await
        .query_one(
            "SELECT count(*) FROM pg_namespace WHERE nspname = 'public'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(public, 1);
}
