-- Schema-fidelity corpus: the object kinds beyond tests/corpus/app.sql —
-- extensions, privileges (object, column, default, grants by a non-owner),
-- row-level security, rules, event triggers, extended statistics,
-- collations, column storage settings, replica identity, CLUSTER ON.
-- Needs the roles regress_owner, regress_reader, regress_writer and
-- "regress Odd ""Role""" (the test harness creates them in its cluster).

CREATE SCHEMA ext;
CREATE EXTENSION citext WITH SCHEMA ext;
CREATE EXTENSION hstore;
CREATE EXTENSION pg_trgm WITH SCHEMA ext;
COMMENT ON EXTENSION hstore IS 'key/value pairs, in public';

GRANT CREATE ON SCHEMA public TO regress_writer;
CREATE SCHEMA sec AUTHORIZATION regress_owner;
GRANT USAGE ON SCHEMA sec TO regress_reader, regress_writer;
GRANT USAGE ON SCHEMA ext TO PUBLIC;
GRANT ALL ON SCHEMA sec TO "regress Odd ""Role""" WITH GRANT OPTION;

CREATE COLLATION public.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE COLLATION public.c_copy FROM "C";
COMMENT ON COLLATION public.ci IS 'case-insensitive';

CREATE TABLE sec.accounts (
    id int PRIMARY KEY,
    owner_name text NOT NULL,
    email ext.citext,
    aliases ext.citext[],
    attrs public.hstore,
    nick text COLLATE public.ci,
    code text COLLATE public.c_copy,
    balance numeric DEFAULT 0,
    notes text
);
ALTER TABLE sec.accounts OWNER TO regress_owner;
ALTER TABLE sec.accounts ALTER COLUMN notes SET STORAGE EXTERNAL;
-- @since 14
ALTER TABLE sec.accounts ALTER COLUMN notes SET COMPRESSION lz4;
-- @end
ALTER TABLE sec.accounts ALTER COLUMN owner_name SET STATISTICS 400;
ALTER TABLE sec.accounts ALTER COLUMN balance SET (n_distinct = 100);
ALTER TABLE sec.accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE sec.accounts FORCE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON sec.accounts FOR SELECT TO regress_reader USING (owner_name = CURRENT_USER);
CREATE POLICY no_negative ON sec.accounts AS RESTRICTIVE FOR UPDATE TO regress_writer, regress_reader
    USING (true) WITH CHECK (balance >= 0);
CREATE POLICY small_inserts ON sec.accounts FOR INSERT WITH CHECK (balance < 1000);
COMMENT ON POLICY own_rows ON sec.accounts IS 'readers see their own rows';
CREATE INDEX accounts_nick ON sec.accounts (nick);
CREATE INDEX accounts_email_trgm ON sec.accounts USING gin ((email::text) ext.gin_trgm_ops);
CREATE INDEX accounts_lower ON sec.accounts (lower(owner_name));
ALTER INDEX sec.accounts_lower ALTER COLUMN 1 SET STATISTICS 250;
ALTER TABLE sec.accounts CLUSTER ON accounts_nick;
GRANT SELECT ON sec.accounts TO regress_reader;
GRANT SELECT, INSERT, UPDATE ON sec.accounts TO regress_writer WITH GRANT OPTION;
GRANT SELECT (id, email), UPDATE (balance) ON sec.accounts TO PUBLIC;
SET ROLE regress_writer;
GRANT SELECT, UPDATE ON sec.accounts TO "regress Odd ""Role""";
RESET ROLE;

-- @since 15
CREATE UNIQUE INDEX accounts_code_nnd ON sec.accounts (code) NULLS NOT DISTINCT;
ALTER TABLE sec.accounts ADD CONSTRAINT accounts_nick_code_nnd UNIQUE NULLS NOT DISTINCT (nick, code);
-- @end
-- @since 17
GRANT MAINTAIN ON sec.accounts TO regress_writer;
-- @end
CREATE STATISTICS sec.accounts_deps (dependencies, ndistinct) ON id, owner_name FROM sec.accounts;
ALTER STATISTICS sec.accounts_deps OWNER TO regress_owner;
ALTER STATISTICS sec.accounts_deps SET STATISTICS 500;
COMMENT ON STATISTICS sec.accounts_deps IS 'id and owner move together';

CREATE FUNCTION sec.balance_of(int) RETURNS numeric LANGUAGE sql STABLE
    AS $$ SELECT balance FROM sec.accounts WHERE id = $1 $$;
REVOKE EXECUTE ON FUNCTION sec.balance_of(int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sec.balance_of(int) TO regress_reader;
CREATE PROCEDURE sec.touch(int) LANGUAGE sql AS $$ UPDATE sec.accounts SET balance = balance WHERE id = $1 $$;
GRANT EXECUTE ON PROCEDURE sec.touch(int) TO regress_writer;
CREATE SEQUENCE sec.ticket_seq;
GRANT USAGE, SELECT ON SEQUENCE sec.ticket_seq TO regress_writer;
CREATE TYPE sec.mood AS ENUM ('ok', 'meh');
REVOKE USAGE ON TYPE sec.mood FROM PUBLIC;
GRANT USAGE ON TYPE sec.mood TO regress_reader;
CREATE DOMAIN sec.positive AS int CHECK (VALUE > 0);
GRANT USAGE ON DOMAIN sec.positive TO regress_writer;
CREATE VIEW sec.account_names AS SELECT id, owner_name FROM sec.accounts;
GRANT SELECT ON sec.account_names TO regress_reader;
GRANT SELECT (owner_name) ON sec.account_names TO regress_writer;

ALTER DEFAULT PRIVILEGES FOR ROLE regress_owner IN SCHEMA sec GRANT SELECT ON TABLES TO regress_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE regress_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE regress_owner IN SCHEMA sec GRANT USAGE ON SEQUENCES TO regress_writer;
ALTER DEFAULT PRIVILEGES FOR ROLE regress_writer GRANT USAGE ON TYPES TO regress_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE regress_owner GRANT USAGE ON SCHEMAS TO regress_reader;
SET ROLE regress_owner;
CREATE TABLE sec.audit (at timestamptz DEFAULT now(), what text);
CREATE FUNCTION sec.audit_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM sec.audit $$;
RESET ROLE;

CREATE TABLE public.log_src (id int PRIMARY KEY, v text);
ALTER TABLE public.log_src REPLICA IDENTITY FULL;
CREATE TABLE public.log_dst (id int NOT NULL, v text, at timestamptz DEFAULT now());
CREATE UNIQUE INDEX log_dst_id ON public.log_dst (id);
ALTER TABLE public.log_dst REPLICA IDENTITY USING INDEX log_dst_id;
CREATE TABLE public.nothing_ident (x int);
ALTER TABLE public.nothing_ident REPLICA IDENTITY NOTHING;
CREATE RULE log_ins AS ON INSERT TO public.log_src DO ALSO
    INSERT INTO public.log_dst (id, v) VALUES (NEW.id, NEW.v);
CREATE RULE keep_dst AS ON DELETE TO public.log_dst DO INSTEAD NOTHING;
CREATE RULE back_to_src AS ON UPDATE TO public.log_dst DO ALSO
    UPDATE public.log_src SET v = NEW.v WHERE id = NEW.id;
ALTER TABLE public.log_dst DISABLE RULE keep_dst;
COMMENT ON RULE log_ins ON public.log_src IS 'copy every insert';
-- @since 14
CREATE STATISTICS public.log_expr ON (lower(v)), id FROM public.log_src;
-- @else
CREATE STATISTICS public.log_expr ON v, id FROM public.log_src;
-- @end

CREATE FUNCTION public.note_ddl() RETURNS event_trigger LANGUAGE plpgsql
    AS $$ BEGIN RAISE NOTICE 'ddl: %', tg_tag; END $$;
CREATE EVENT TRIGGER note_ddl ON ddl_command_end WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE')
    EXECUTE FUNCTION public.note_ddl();
CREATE EVENT TRIGGER note_drop ON sql_drop EXECUTE FUNCTION public.note_ddl();
ALTER EVENT TRIGGER note_drop DISABLE;
COMMENT ON EVENT TRIGGER note_ddl IS 'says what DDL ran';

INSERT INTO sec.accounts (id, owner_name, email, aliases, attrs, nick, code, balance, notes)
SELECT g, 'owner' || (g % 7), 'User' || g || '@Example.COM',
       ARRAY['A' || g, 'b' || g]::ext.citext[], ('k=>' || g)::public.hstore,
       CASE WHEN g % 2 = 0 THEN 'Nick' ELSE 'nick' END, 'c' || g, g * 1.5, repeat('n', g)
FROM generate_series(1, 300) g;
INSERT INTO public.log_src SELECT g, 'v' || g FROM generate_series(1, 50) g;
INSERT INTO sec.audit (what) VALUES ('created');

-- Aggregates: plain with a final function and initial state, moving,
-- ordered-set, hypothetical-set, zero-argument, parallel-safe with combine.
CREATE FUNCTION public.avg_step(state numeric[], v numeric) RETURNS numeric[] LANGUAGE sql IMMUTABLE
    AS $$ SELECT ARRAY[state[1] + v, state[2] + 1] $$;
CREATE FUNCTION public.avg_back(state numeric[], v numeric) RETURNS numeric[] LANGUAGE sql IMMUTABLE
    AS $$ SELECT ARRAY[state[1] - v, state[2] - 1] $$;
CREATE FUNCTION public.avg_final(state numeric[]) RETURNS numeric LANGUAGE sql IMMUTABLE
    AS $$ SELECT CASE WHEN state[2] = 0 THEN NULL ELSE state[1] / state[2] END $$;
CREATE AGGREGATE public.my_avg(numeric) (
    SFUNC = public.avg_step, STYPE = numeric[], FINALFUNC = public.avg_final, INITCOND = '{0,0}',
    MSFUNC = public.avg_step, MINVFUNC = public.avg_back, MSTYPE = numeric[],
    MFINALFUNC = public.avg_final, MINITCOND = '{0,0}');
COMMENT ON AGGREGATE public.my_avg(numeric) IS 'average, also as a moving aggregate';
CREATE AGGREGATE public.my_sum(int) (SFUNC = int4pl, STYPE = int, COMBINEFUNC = int4pl, PARALLEL = SAFE);
CREATE AGGREGATE public.my_max(int) (SFUNC = int4larger, STYPE = int, SORTOP = >);
CREATE FUNCTION public.count_step(bigint) RETURNS bigint LANGUAGE sql IMMUTABLE AS 'SELECT $1 + 1';
CREATE AGGREGATE public.my_count(*) (SFUNC = public.count_step, STYPE = bigint, INITCOND = '0');
CREATE FUNCTION public.pick_final(internal, float8, anyelement) RETURNS anyelement LANGUAGE internal
    IMMUTABLE AS 'percentile_disc_final';
CREATE AGGREGATE public.my_pick(float8 ORDER BY anyelement) (
    SFUNC = ordered_set_transition, STYPE = internal, FINALFUNC = public.pick_final,
    FINALFUNC_EXTRA);
CREATE FUNCTION public.rank_final(internal, VARIADIC "any") RETURNS bigint LANGUAGE internal
    IMMUTABLE AS 'hypothetical_rank_final';
CREATE AGGREGATE public.my_rank(VARIADIC "any" ORDER BY VARIADIC "any") (
    SFUNC = ordered_set_transition_multi, STYPE = internal, FINALFUNC = public.rank_final,
    FINALFUNC_EXTRA, HYPOTHETICAL);
REVOKE EXECUTE ON FUNCTION public.my_sum(int) FROM PUBLIC;
CREATE VIEW public.agg_use AS SELECT public.my_avg(balance) AS a, public.my_sum(id) AS s FROM sec.accounts;

-- A dependency loop pg_dump breaks: a CHECK constraint calls a function
-- that takes the table's row type (the check becomes its own entry).
CREATE TABLE public.check_loop (a int, b int);
CREATE FUNCTION public.check_loop_ok(public.check_loop) RETURNS bool LANGUAGE sql
    AS 'SELECT $1.a < 100';
ALTER TABLE public.check_loop ADD CONSTRAINT loop_ok CHECK (public.check_loop_ok(check_loop.*));
INSERT INTO public.check_loop VALUES (1, 2);

-- Publications: all tables; selected tables with a column list and a row
-- filter; tables in a schema; only some operations; via partition root.
CREATE PUBLICATION pub_all FOR ALL TABLES WITH (publish = 'insert, update');
CREATE PUBLICATION pub_some WITH (publish_via_partition_root = true);
-- @since 15
ALTER PUBLICATION pub_some ADD TABLE ONLY public.log_src (id, v) WHERE (id > 10);
-- @else
ALTER PUBLICATION pub_some ADD TABLE ONLY public.log_src;
-- @end
ALTER PUBLICATION pub_some ADD TABLE ONLY sec.audit;
ALTER PUBLICATION pub_some OWNER TO regress_owner;
-- @since 15
CREATE PUBLICATION pub_schema FOR TABLES IN SCHEMA ext WITH (publish = 'delete, truncate');
-- @else
CREATE PUBLICATION pub_schema FOR TABLE public.nothing_ident WITH (publish = 'delete, truncate');
-- @end
COMMENT ON PUBLICATION pub_some IS 'for the reporting replica';

-- A base type (shell type first, I/O functions, then the full type), with
-- casts of every method, a comment, a privilege, and a table that uses it.
CREATE TYPE public.myint;
CREATE FUNCTION public.myint_in(cstring) RETURNS public.myint LANGUAGE internal IMMUTABLE STRICT AS 'int4in';
CREATE FUNCTION public.myint_out(public.myint) RETURNS cstring LANGUAGE internal IMMUTABLE STRICT AS 'int4out';
CREATE TYPE public.myint (INPUT = public.myint_in, OUTPUT = public.myint_out, INTERNALLENGTH = 4,
    PASSEDBYVALUE, ALIGNMENT = int4, CATEGORY = 'N', DEFAULT = '7');
COMMENT ON TYPE public.myint IS 'an int4 in disguise';
REVOKE USAGE ON TYPE public.myint FROM PUBLIC;
CREATE CAST (public.myint AS integer) WITHOUT FUNCTION AS IMPLICIT;
CREATE CAST (integer AS public.myint) WITH INOUT AS ASSIGNMENT;
CREATE FUNCTION public.myint_text(public.myint) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT $1::integer::text';
CREATE CAST (public.myint AS text) WITH FUNCTION public.myint_text(public.myint);
COMMENT ON CAST (public.myint AS text) IS 'spelled out';
CREATE TABLE public.uses_myint (id int, v public.myint, vs public.myint[]);
INSERT INTO public.uses_myint VALUES (1, '41', '{1,2}'), (2, DEFAULT, NULL);

-- Odds and ends from PostgreSQL's regression database: typed tables, TOAST
-- and materialized-view column settings, privileges changed on a system
-- catalog, an identity sequence whose persistence differs from its table,
-- a partition's trigger with its own enabled state, a standalone shell type,
-- a generated column merged with its parent's, a table access method, and
-- operators with commutators and negators.
CREATE TYPE public.person_type AS (id int, name text);
CREATE TABLE public.persons OF public.person_type (id WITH OPTIONS NOT NULL, name DEFAULT 'nobody');
INSERT INTO public.persons VALUES (1, 'ann');
CREATE TABLE public.toasty (t text) WITH (fillfactor = 90, toast.autovacuum_enabled = false);
CREATE MATERIALIZED VIEW public.compress_mv AS SELECT 'x'::text AS x;
-- @since 14
ALTER TABLE public.compress_mv ALTER COLUMN x SET COMPRESSION lz4;
-- @end
GRANT SELECT (prosrc) ON pg_catalog.pg_proc TO regress_reader;
CREATE UNLOGGED TABLE public.ident_logged (a int GENERATED ALWAYS AS IDENTITY);
-- @since 15
ALTER SEQUENCE public.ident_logged_a_seq SET LOGGED;
-- @end
CREATE TABLE public.trig_parted (a int) PARTITION BY LIST (a);
CREATE TABLE public.trig_parted_1 PARTITION OF public.trig_parted FOR VALUES IN (1);
CREATE FUNCTION public.trig_noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER after_row AFTER INSERT ON public.trig_parted FOR EACH ROW EXECUTE FUNCTION public.trig_noop();
ALTER TABLE public.trig_parted_1 DISABLE TRIGGER after_row;
CREATE TYPE public.never_defined;
CREATE TABLE public.gen_parent (a int, b int GENERATED ALWAYS AS (a * 2) STORED);
-- @since 18
CREATE TABLE public.gen_virtual (a int, b int GENERATED ALWAYS AS (a + 1) VIRTUAL, c text);
INSERT INTO public.gen_virtual (a, c) VALUES (1, 'one'), (2, NULL);
-- NOT NULL constraints as catalog entries: one not yet valid (a row
-- breaks it), one NO INHERIT, one named.
CREATE TABLE public.nn_kinds (a int, b int NOT NULL NO INHERIT, c int CONSTRAINT c_present NOT NULL);
INSERT INTO public.nn_kinds VALUES (NULL, 1, 1), (2, 2, 2);
ALTER TABLE public.nn_kinds ADD CONSTRAINT a_checked_later NOT NULL a NOT VALID;
-- @end
CREATE TABLE public.gen_child (a int, b int GENERATED ALWAYS AS (a * 2) STORED);
ALTER TABLE public.gen_child INHERIT public.gen_parent;
INSERT INTO public.gen_child (a) VALUES (21);
CREATE ACCESS METHOD heap_copy TYPE TABLE HANDLER heap_tableam_handler;
CREATE TABLE public.in_heap_copy (a int) USING heap_copy;
INSERT INTO public.in_heap_copy VALUES (1), (2);
CREATE FUNCTION public.int_eq(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT $1 = $2';
CREATE FUNCTION public.int_ne(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT $1 <> $2';
CREATE OPERATOR public.=== (FUNCTION = public.int_eq, LEFTARG = int, RIGHTARG = int,
    COMMUTATOR = OPERATOR(public.===), NEGATOR = OPERATOR(public.!==),
    RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);
CREATE OPERATOR public.!== (FUNCTION = public.int_ne, LEFTARG = int, RIGHTARG = int,
    NEGATOR = OPERATOR(public.===));
COMMENT ON OPERATOR public.=== (int, int) IS 'equal, spelled loudly';
CREATE OPERATOR public.@@@ (FUNCTION = int4um, RIGHTARG = int);

-- Text search: a template (of built-in functions), a dictionary with
-- options, a configuration with its own mappings, a parser.
CREATE TEXT SEARCH TEMPLATE public.my_simple_tmpl (INIT = dsimple_init, LEXIZE = dsimple_lexize);
CREATE TEXT SEARCH DICTIONARY public.my_stop (TEMPLATE = public.my_simple_tmpl, STOPWORDS = english, ACCEPT = false);
CREATE TEXT SEARCH PARSER public.my_parser (START = prsd_start, GETTOKEN = prsd_nexttoken,
    END = prsd_end, LEXTYPES = prsd_lextype, HEADLINE = prsd_headline);
CREATE TEXT SEARCH CONFIGURATION public.my_ts (PARSER = public.my_parser);
ALTER TEXT SEARCH CONFIGURATION public.my_ts ADD MAPPING FOR word, asciiword WITH public.my_stop, english_stem;
ALTER TEXT SEARCH CONFIGURATION public.my_ts ADD MAPPING FOR "int" WITH simple;
COMMENT ON TEXT SEARCH CONFIGURATION public.my_ts IS 'words without stop words';
CREATE TABLE public.docs_ts (body text, tsv tsvector GENERATED ALWAYS AS (to_tsvector('public.my_ts', body)) STORED);
INSERT INTO public.docs_ts (body) VALUES ('the quick brown foxes');

-- Operator families and classes: a class in an explicit family, a loose
-- family member added afterwards, a class whose family it made itself, and
-- an index that uses a class.
CREATE OPERATOR FAMILY public.my_int_fam USING btree;
CREATE OPERATOR CLASS public.my_int_ops FOR TYPE int USING btree FAMILY public.my_int_fam AS
    OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >,
    FUNCTION 1 btint4cmp(int, int);
ALTER OPERATOR FAMILY public.my_int_fam USING btree ADD
    OPERATOR 1 < (int, bigint), FUNCTION 1 btint48cmp(int, bigint);
CREATE OPERATOR CLASS public.empty_ops FOR TYPE int USING btree AS STORAGE int;
COMMENT ON OPERATOR CLASS public.my_int_ops USING btree IS 'plain int order';
CREATE TABLE public.opclass_use (a int);
CREATE INDEX opclass_use_a ON public.opclass_use (a public.my_int_ops);
INSERT INTO public.opclass_use VALUES (3), (1), (2);

-- Foreign data: a wrapper with a validator and options, servers with type,
-- version and options, user mappings for a role and for PUBLIC.
CREATE FOREIGN DATA WRAPPER my_fdw OPTIONS (debug 'true');
CREATE FOREIGN DATA WRAPPER checked_fdw VALIDATOR postgresql_fdw_validator;
CREATE SERVER my_server TYPE 'pg' VERSION '15' FOREIGN DATA WRAPPER my_fdw
    OPTIONS (host 'db.example', dbname 'shop');
CREATE SERVER plain_server FOREIGN DATA WRAPPER my_fdw;
ALTER SERVER plain_server OWNER TO regress_owner;
CREATE USER MAPPING FOR regress_reader SERVER my_server OPTIONS (user 'reader', password 'it''s secret');
CREATE USER MAPPING FOR PUBLIC SERVER plain_server;
COMMENT ON SERVER my_server IS 'the shop database';

-- A transform (built-in functions standing in for real ones).
CREATE TRANSFORM FOR int LANGUAGE sql (FROM SQL WITH FUNCTION prsd_lextype(internal),
    TO SQL WITH FUNCTION int4recv(internal));

-- Column order that PARTITION OF / INHERITS would not keep: a partition and
-- an inheritance child whose columns are in another order than their
-- parent's; a materialized view in another table access method.
CREATE TABLE public.ord_parent (a int, b text, c date) PARTITION BY LIST (a);
CREATE TABLE public.ord_part (c date, b text, a int);
ALTER TABLE public.ord_parent ATTACH PARTITION public.ord_part FOR VALUES IN (1, 2);
INSERT INTO public.ord_parent VALUES (1, 'one', '2024-01-01');
CREATE TABLE public.inh_parent (a int, b int CHECK (b > 0));
CREATE TABLE public.inh_child (z text, b int CONSTRAINT inh_parent_b_check CHECK (b > 0), a int);
ALTER TABLE public.inh_child INHERIT public.inh_parent;
INSERT INTO public.inh_child VALUES ('z', 1, 2);
CREATE MATERIALIZED VIEW public.mv_heap_copy USING heap_copy AS SELECT 1 AS one;

-- Foreign tables: with table and column options, a constraint, and as a
-- partition of a partitioned table.
CREATE FOREIGN TABLE public.remote_orders (
    id int OPTIONS (column_name 'order_id') NOT NULL,
    total numeric CHECK (total >= 0)
) SERVER my_server OPTIONS (schema_name 'sales', table_name 'orders');
COMMENT ON FOREIGN TABLE public.remote_orders IS 'lives elsewhere';
GRANT SELECT ON public.remote_orders TO regress_reader;
CREATE TABLE public.hybrid (a int, b text) PARTITION BY LIST (a);
CREATE TABLE public.hybrid_local PARTITION OF public.hybrid FOR VALUES IN (1);
CREATE FOREIGN TABLE public.hybrid_remote PARTITION OF public.hybrid FOR VALUES IN (2) SERVER plain_server;
INSERT INTO public.hybrid_local VALUES (1, 'here');

-- A procedural language of its own (plpgsql's handler under another name)
-- with a function in it, and a conversion.
CREATE FUNCTION public.my_lang_handler() RETURNS language_handler LANGUAGE c
    AS '$libdir/plpgsql', 'plpgsql_call_handler';
CREATE TRUSTED LANGUAGE my_plpgsql HANDLER public.my_lang_handler;
CREATE FUNCTION public.in_my_lang() RETURNS int LANGUAGE my_plpgsql AS $$ BEGIN RETURN 7; END $$;
COMMENT ON LANGUAGE my_plpgsql IS 'plpgsql again';
CREATE CONVERSION public.my_conv FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8;
