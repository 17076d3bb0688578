//! Flags as the user types them (pg_dump-style names).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "pgsnap",
    version,
    about = "PostgreSQL logical backups: one snapshot, parallel binary COPY, a checksummed archive",
    after_help = "Exit codes: 0 success, 1 operation failed or damage found, 2 usage or connection error."
)]
pub struct Cli {
    /// Only print errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// More log output (-v info details, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Log format, on stderr and in --log-file: text or json (one object per line).
    #[arg(
        long = "log-format",
        global = true,
        env = "PGSNAP_LOG_FORMAT",
        default_value = "text",
        value_parser = ["text", "json"]
    )]
    pub log_format: String,
    /// Also append the log, with timestamps, to FILE (every level the run logs,
    /// ending with its summary line).
    #[arg(
        long = "log-file",
        global = true,
        env = "PGSNAP_LOG_FILE",
        value_name = "FILE"
    )]
    pub log_file: Option<PathBuf>,
    /// How long one object-store request may take (e.g. 60s, 2min); requests
    /// are retried with backoff on transient errors.
    #[arg(
        long = "storage-timeout",
        global = true,
        env = "PGSNAP_STORAGE_TIMEOUT",
        default_value = "60s"
    )]
    pub storage_timeout: String,
    /// No progress bars (they are drawn only on a terminal anyway).
    #[arg(
        long = "no-progress",
        global = true,
        env = "PGSNAP_NO_PROGRESS",
        value_parser = clap::builder::BoolishValueParser::new(),
        num_args = 0,
        default_missing_value = "true"
    )]
    pub no_progress: bool,
    /// Read settings from this TOML file: its keys are the environment variables'
    /// names (either case); the environment and flags take precedence.
    #[arg(long, global = true, env = "PGSNAP_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Back up one database into an archive.
    Backup(Box<BackupArgs>),
    /// Restore an archive into a database.
    Restore(RestoreArgs),
    /// Show an archive's table of contents (like pg_restore -l).
    List(ListArgs),
    /// Check every frame, checksum, stream and row count of an archive, offline.
    Verify(VerifyArgs),
    /// List the backups in a directory, newest first.
    Backups(BackupsArgs),
    /// Delete old backups from a directory by retention rules.
    Prune(PruneArgs),
    /// Judge a backup directory for monitoring (Nagios/Icinga exit codes,
    /// perfdata, JSON, a Prometheus textfile).
    Health(HealthArgs),
    /// Make a key pair for encrypted archives: writes the secret identity,
    /// prints the public recipient for `backup --recipient`.
    Keygen(KeygenArgs),
    /// Start a throwaway local cluster, load sample data, back it up, verify,
    /// restore and compare; then clean up.
    Demo(DemoArgs),
}

impl Command {
    /// The subcommand as typed.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Backup(_) => "backup",
            Command::Restore(_) => "restore",
            Command::List(_) => "list",
            Command::Verify(_) => "verify",
            Command::Backups(_) => "backups",
            Command::Prune(_) => "prune",
            Command::Health(_) => "health",
            Command::Keygen(_) => "keygen",
            Command::Demo(_) => "demo",
        }
    }
}

/// Connection flags, as in pg_dump; the libpq environment fills in the rest.
#[derive(Debug, Args, Clone)]
pub struct ConnFlags {
    /// Database name, conninfo string ("host=... dbname=...") or postgresql:// URI.
    #[arg(short = 'd', long = "dbname")]
    pub dbname: Option<String>,
    /// Server host name or socket directory.
    #[arg(short = 'h', long = "host")]
    pub host: Option<String>,
    /// Server port.
    #[arg(short = 'p', long = "port")]
    pub port: Option<u16>,
    /// User name.
    #[arg(short = 'U', long = "username")]
    pub user: Option<String>,
    /// Read the password from this file (its first line), e.g. a mounted secret.
    #[arg(
        long = "password-file",
        env = "PGSNAP_PASSWORD_FILE",
        value_name = "FILE"
    )]
    pub password_file: Option<std::path::PathBuf>,
    /// Ask for the password on the terminal before connecting (as pg_dump -W).
    /// Without it, pgsnap asks only when the server wants a password that no
    /// other source gave and standard input is a terminal.
    #[arg(short = 'W', long = "password", conflicts_with = "no_password")]
    pub prompt_password: bool,
    /// Never ask for a password (as pg_dump -w): fail instead.
    #[arg(short = 'w', long = "no-password")]
    pub no_password: bool,
}

/// Keys that open encrypted archives.
#[derive(Debug, Args, Clone, Default)]
pub struct KeyFlags {
    /// Identity file (`pgsnap keygen -o`, or age-keygen's) that opens
    /// encrypted archives (repeatable; the variable takes a comma-separated list).
    #[arg(
        long = "identity",
        env = "PGSNAP_IDENTITY",
        value_name = "KEYFILE",
        value_delimiter = ','
    )]
    pub identity: Vec<PathBuf>,
    /// File whose first line is the passphrase the archive was encrypted with.
    #[arg(
        long = "passphrase-file",
        env = "PGSNAP_PASSPHRASE_FILE",
        value_name = "FILE"
    )]
    pub passphrase_file: Option<PathBuf>,
}

/// Who a backup is encrypted for.
#[derive(Debug, Args, Clone, Default)]
pub struct EncryptFlags {
    /// Encrypt the archive for this public key (age1..., from `pgsnap keygen`), or
    /// for every key listed in this file (repeatable; the variable takes a
    /// comma-separated list). The backup host needs no secret key.
    #[arg(
        long = "recipient",
        env = "PGSNAP_RECIPIENTS",
        value_name = "PUBLIC|FILE",
        value_delimiter = ','
    )]
    pub recipients: Vec<String>,
    /// Encrypt the archive with the passphrase on this file's first line (also
    /// together with --recipient: either opens it).
    #[arg(
        long = "passphrase-file",
        env = "PGSNAP_PASSPHRASE_FILE",
        value_name = "FILE"
    )]
    pub passphrase_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Write the secret identity to this file (created with mode 0600; an
    /// existing file is never overwritten); "-" writes it to standard output.
    #[arg(short = 'o', long = "output", value_name = "KEYFILE")]
    pub output: Option<PathBuf>,
    /// Print the public recipient(s) of an existing identity file instead.
    #[arg(
        short = 'y',
        long = "recipient-of",
        value_name = "KEYFILE",
        conflicts_with = "output"
    )]
    pub recipient_of: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct BackupArgs {
    #[command(flatten)]
    pub conn: ConnFlags,
    /// Output file; "-" writes the archive to standard output.
    #[arg(short = 'f', long = "file")]
    pub file: Option<PathBuf>,
    /// Directory for automatically named backups (when -f is not given).
    #[arg(long, env = "BACKUP_DIR", default_value = "backups")]
    pub dir: PathBuf,
    /// Name prefix for automatically named backups: NAME_YYYYMMDD_HHMMSS.pgsnap (UTC).
    #[arg(long, env = "BACKUP_NAME")]
    pub name: Option<String>,
    /// Parallel worker connections.
    #[arg(short = 'j', long = "jobs", env = "PGSNAP_JOBS", default_value_t = 2)]
    pub jobs: usize,
    /// zstd compression level (0 = none, 1-22). Level 1 is the default: on the
    /// benchmark dataset it was 20% faster than level 3 at the same size.
    #[arg(
        short = 'Z',
        long = "compress",
        env = "PGSNAP_COMPRESS",
        default_value_t = 1
    )]
    pub level: i32,
    /// Raw bytes per frame, in KiB.
    #[arg(long = "chunk-kib", env = "PGSNAP_CHUNK_KIB", default_value_t = 4096)]
    pub chunk_kib: usize,
    /// Read tables larger than this many MiB as several ctid ranges in parallel
    /// (PostgreSQL 14+); 0 never splits.
    #[arg(long = "split-mib", env = "PGSNAP_SPLIT_MIB", default_value_t = 128)]
    pub split_mib: u64,
    /// Fail instead of waiting longer than this for a table lock (e.g. 30s, 500ms,
    /// or plain milliseconds as in pg_dump); by default wait.
    #[arg(
        long = "lock-wait-timeout",
        env = "PGSNAP_LOCK_WAIT_TIMEOUT",
        value_name = "DURATION"
    )]
    pub lock_wait_timeout: Option<String>,
    /// After a successful named backup, apply the retention rules to --dir
    /// (rule flags below, else BACKUP_RETENTION_DAYS / BACKUP_RETENTION_COUNT).
    #[arg(long)]
    pub prune: bool,
    #[command(flatten)]
    pub retention: RetentionFlags,
    #[command(flatten)]
    pub select: SelectFlags,
    /// Also back up the roles the database refers to (attributes, memberships,
    /// role settings), for `restore --globals`.
    #[arg(long)]
    pub globals: bool,
    /// With --globals: include the roles' password hashes (needs a superuser).
    #[arg(long = "role-passwords", requires = "globals")]
    pub role_passwords: bool,
    #[command(flatten)]
    pub encrypt: EncryptFlags,
    /// After a successful backup to a local file, upload the archive and its
    /// metadata here: an object URL, or a prefix ending in '/' (default from
    /// S3_BACKUP_BUCKET or GCS_BACKUP_BUCKET: that bucket's top level).
    #[arg(long, env = "PGSNAP_UPLOAD", value_name = "URL")]
    pub upload: Option<String>,
    #[command(flatten)]
    pub notify: NotifyFlags,
    /// Print help.
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
}

#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct RestoreArgs {
    #[command(flatten)]
    pub conn: ConnFlags,
    /// The archive to restore.
    pub file: PathBuf,
    #[command(flatten)]
    pub keys: KeyFlags,
    /// Parallel worker connections.
    #[arg(short = 'j', long = "jobs", env = "PGSNAP_JOBS", default_value_t = 2)]
    pub jobs: usize,
    /// Create the target database if it does not exist.
    #[arg(short = 'C', long)]
    pub create: bool,
    /// Drop the archive's objects from the target before restoring.
    #[arg(short = 'c', long)]
    pub clean: bool,
    /// A session setting for the restore workers, NAME=VALUE (repeatable). Defaults:
    /// synchronous_commit=off, maintenance_work_mem=256MB.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub settings: Vec<String>,
    /// Restore everything in one transaction on one connection (all or nothing; -j is ignored).
    #[arg(short = '1', long = "single-transaction")]
    pub single_transaction: bool,
    #[command(flatten)]
    pub select: SelectFlags,
    /// Create the archive's roles (backup --globals) that the target cluster lacks.
    #[arg(long)]
    pub globals: bool,
    /// Restore only this section: pre-data, data or post-data (repeatable).
    #[arg(long = "section", value_name = "SECTION")]
    pub sections: Vec<String>,
    /// With --clean: drop with IF EXISTS (pgsnap always does; accepted for pg_restore scripts).
    #[arg(long = "if-exists")]
    pub if_exists: bool,
    /// Stop at the first error (pgsnap always does; accepted for pg_restore scripts).
    #[arg(short = 'e', long = "exit-on-error")]
    pub exit_on_error: bool,
    /// Do not ANALYZE the restored tables afterwards.
    #[arg(long = "no-analyze")]
    pub no_analyze: bool,
    /// REINDEX the restored tables afterwards.
    #[arg(long)]
    pub reindex: bool,
    /// Start even when the target's volume looks too small for the archive.
    #[arg(long = "no-space-check")]
    pub no_space_check: bool,
    /// Treat the target as production: ask for confirmation (or --yes). Also set by
    /// PGSNAP_ENVIRONMENT=production or the database setting pgsnap.environment.
    #[arg(long)]
    pub production: bool,
    /// Confirm a restore into a production target without asking.
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Restore into an older PostgreSQL major version than the archive's
    /// source (refused otherwise: its SQL may use what the older server lacks).
    #[arg(long)]
    pub force: bool,
    /// Print help.
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
}

/// pg_dump's and pg_restore's selection options (see `schema::select`).
#[derive(Debug, Args, Default)]
pub struct SelectFlags {
    /// Only objects in schemas matching PATTERN (repeatable; * and ? wildcards).
    #[arg(short = 'n', long = "schema", value_name = "PATTERN")]
    pub schemas: Vec<String>,
    /// No objects in schemas matching PATTERN (repeatable).
    #[arg(short = 'N', long = "exclude-schema", value_name = "PATTERN")]
    pub exclude_schemas: Vec<String>,
    /// Only tables, views and sequences matching PATTERN ([schema.]name; repeatable).
    #[arg(short = 't', long = "table", value_name = "PATTERN")]
    pub tables: Vec<String>,
    /// Not the tables matching PATTERN (repeatable).
    #[arg(short = 'T', long = "exclude-table", value_name = "PATTERN")]
    pub exclude_tables: Vec<String>,
    /// The definitions of the tables matching PATTERN, not their rows (repeatable).
    #[arg(long = "exclude-table-data", value_name = "PATTERN")]
    pub exclude_table_data: Vec<String>,
    /// Only the schema (definitions), no data.
    #[arg(short = 's', long = "schema-only")]
    pub schema_only: bool,
    /// Only the data (rows, sequence values, materialized-view refreshes).
    #[arg(short = 'a', long = "data-only")]
    pub data_only: bool,
    /// No ALTER ... OWNER TO: objects belong to the restoring role.
    #[arg(short = 'O', long = "no-owner")]
    pub no_owner: bool,
    /// No privileges (GRANT/REVOKE) and no default privileges.
    #[arg(short = 'x', long = "no-acl", visible_alias = "no-privileges")]
    pub no_acl: bool,
    /// No COMMENT ON.
    #[arg(long = "no-comments")]
    pub no_comments: bool,
    /// No SECURITY LABEL.
    #[arg(long = "no-security-labels")]
    pub no_security_labels: bool,
    /// Large objects also with -n/-t (they come with a whole database by default).
    #[arg(short = 'b', long = "large-objects", visible_alias = "blobs")]
    pub large_objects: bool,
    /// No large objects.
    #[arg(
        short = 'B',
        long = "no-large-objects",
        visible_alias = "no-blobs",
        conflicts_with = "large_objects"
    )]
    pub no_large_objects: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// The archive.
    pub file: PathBuf,
    #[command(flatten)]
    pub keys: KeyFlags,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct VerifyArgs {
    /// The archive (or --latest).
    #[arg(required_unless_present = "latest")]
    pub file: Option<PathBuf>,
    /// Verify the newest successful backup in --dir instead of a named file.
    #[arg(long, conflicts_with = "file")]
    pub latest: bool,
    /// With --latest: the backup directory (or store prefix).
    #[arg(long, env = "BACKUP_DIR", requires = "latest")]
    pub dir: Option<PathBuf>,
    #[command(flatten)]
    pub keys: KeyFlags,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also restore the archive into a temporary database (created beside the
    /// one -d names, always dropped) and compare it with the archive.
    #[arg(long = "restore-check")]
    pub restore_check: bool,
    #[command(flatten)]
    pub conn: ConnFlags,
    /// Parallel connections for the test restore.
    #[arg(short = 'j', long = "jobs", env = "PGSNAP_JOBS", default_value_t = 2)]
    pub jobs: usize,
    /// With --restore-check: also write the report as Markdown to FILE.
    #[arg(long, value_name = "FILE", requires = "restore_check")]
    pub report: Option<PathBuf>,
    /// Print help.
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Rows in the demo's large table (sets the sample database's size).
    #[arg(long, default_value_t = 300_000)]
    pub rows: u32,
    /// Parallel jobs for backup and restore.
    #[arg(short = 'j', long = "jobs", default_value_t = 4)]
    pub jobs: usize,
    /// Directory with the PostgreSQL server binaries (initdb, pg_ctl, postgres).
    #[arg(long, env = "PGSNAP_PG_BINDIR")]
    pub bindir: Option<PathBuf>,
}

/// Retention rules (restic/borg semantics); a backup is kept if any rule keeps it.
/// Without any, BACKUP_RETENTION_DAYS (= --keep-within Nd) and
/// BACKUP_RETENTION_COUNT (= --keep-last N) apply.
#[derive(Debug, Args, Clone, Default)]
pub struct RetentionFlags {
    /// Keep the N newest backups.
    #[arg(long = "keep-last", value_name = "N")]
    pub keep_last: Option<usize>,
    /// Keep backups younger than this (e.g. 30d, 12h, 2w).
    #[arg(long = "keep-within", value_name = "DURATION")]
    pub keep_within: Option<String>,
    /// Keep the newest backup of each of the last N days that have one (UTC).
    #[arg(long = "keep-daily", value_name = "N")]
    pub keep_daily: Option<usize>,
    /// Keep the newest backup of each of the last N weeks (Monday to Sunday, UTC).
    #[arg(long = "keep-weekly", value_name = "N")]
    pub keep_weekly: Option<usize>,
    /// Keep the newest backup of each of the last N months (UTC).
    #[arg(long = "keep-monthly", value_name = "N")]
    pub keep_monthly: Option<usize>,
}

#[derive(Debug, Args)]
pub struct BackupsArgs {
    /// The backup directory.
    #[arg(long, env = "BACKUP_DIR")]
    pub dir: PathBuf,
    /// Print a JSON array instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    /// The backup directory.
    #[arg(long, env = "BACKUP_DIR")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub retention: RetentionFlags,
    /// Print the plan (keep/delete and why) and delete nothing.
    #[arg(long = "dry-run")]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct HealthArgs {
    /// The backup directory.
    #[arg(long, env = "BACKUP_DIR")]
    pub dir: PathBuf,
    /// Keys to authenticate an encrypted latest archive's frames (without them
    /// health checks what it can: structure, checksums, SHA-256).
    #[command(flatten)]
    pub keys: KeyFlags,
    /// WARNING when the latest successful backup is older than this (e.g. 26h, 2d).
    #[arg(
        long = "age-warning",
        env = "PGSNAP_AGE_WARNING",
        default_value = "26h"
    )]
    pub age_warning: String,
    /// CRITICAL when the latest successful backup is older than this.
    #[arg(
        long = "age-critical",
        env = "PGSNAP_AGE_CRITICAL",
        default_value = "50h"
    )]
    pub age_critical: String,
    /// WARNING when fewer backups than this are kept.
    #[arg(long = "min-backups", env = "PGSNAP_MIN_BACKUPS", default_value_t = 1)]
    pub min_backups: usize,
    /// WARNING when less than this percentage of the backup volume is free.
    #[arg(
        long = "disk-warning",
        env = "PGSNAP_DISK_WARNING",
        default_value_t = 20.0
    )]
    pub disk_warning: f64,
    /// CRITICAL when less than this percentage of the backup volume is free.
    #[arg(
        long = "disk-critical",
        env = "PGSNAP_DISK_CRITICAL",
        default_value_t = 10.0
    )]
    pub disk_critical: f64,
    /// WARNING when the latest archive is this many percent smaller or larger
    /// than the median of the previous ones.
    #[arg(
        long = "size-change",
        env = "PGSNAP_SIZE_CHANGE",
        default_value_t = 50.0
    )]
    pub size_change: f64,
    /// How many previous archives the size check takes the median of.
    #[arg(long = "size-window", env = "PGSNAP_SIZE_WINDOW", default_value_t = 5)]
    pub size_window: usize,
    /// Check only the latest archive's header, trailer and TOC, not every frame.
    #[arg(long)]
    pub quick: bool,
    /// Print the verdict as JSON instead of plugin text.
    #[arg(long)]
    pub json: bool,
    /// Also write the verdict as a node-exporter textfile here (atomically).
    #[arg(long, value_name = "FILE")]
    pub prometheus: Option<PathBuf>,
}

/// Where and when `backup` sends notifications. The SMTP password comes only
/// from `SMTP_PASSWORD` (never a flag, which `ps` would show).
#[derive(Debug, Args, Clone, Default)]
pub struct NotifyFlags {
    /// When to notify: success, failure or always.
    #[arg(long = "notify-on", env = "PGSNAP_NOTIFY_ON", default_value = "failure", value_parser = ["success", "failure", "always"])]
    pub notify_on: String,
    /// Slack incoming webhook URL.
    #[arg(long = "slack-webhook", env = "SLACK_WEBHOOK_URL", value_name = "URL")]
    pub slack_webhook: Option<String>,
    /// A URL that receives the result as a JSON POST.
    #[arg(long = "webhook", env = "PGSNAP_WEBHOOK_URL", value_name = "URL")]
    pub webhook: Option<String>,
    /// Email recipients (comma-separated).
    #[arg(
        long = "email-to",
        env = "BACKUP_EMAIL_RECIPIENT",
        value_name = "ADDRESSES"
    )]
    pub email_to: Option<String>,
    /// SMTP server.
    #[arg(long = "smtp-host", env = "SMTP_HOST")]
    pub smtp_host: Option<String>,
    /// SMTP port (default 587 with starttls, 465 with tls, 25 with none).
    #[arg(long = "smtp-port", env = "SMTP_PORT")]
    pub smtp_port: Option<u16>,
    /// SMTP user name (the password is read from SMTP_PASSWORD).
    #[arg(long = "smtp-username", env = "SMTP_USERNAME")]
    pub smtp_username: Option<String>,
    /// Sender address.
    #[arg(long = "smtp-from", env = "SMTP_FROM")]
    pub smtp_from: Option<String>,
    /// A PEM CA certificate to trust for the SMTP server (besides the bundled roots).
    #[arg(long = "smtp-ca-file", env = "SMTP_CA_FILE", value_name = "FILE")]
    pub smtp_ca_file: Option<PathBuf>,
    /// SMTP security: starttls, tls or none.
    #[arg(long = "smtp-tls", env = "SMTP_TLS", default_value = "starttls", value_parser = ["starttls", "tls", "none"])]
    pub smtp_tls: String,
}
