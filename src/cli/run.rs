//! Validates flags into engine options, runs the command, prints its report.
//! Returns the process exit code.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use super::args::{
    BackupArgs, Cli, Command, ConnFlags, EncryptFlags, KeyFlags, KeygenArgs, ListArgs, RestoreArgs,
    SelectFlags, VerifyArgs,
};
use super::logging::{self, SUMMARY};
use super::ops;
use super::progress;
use crate::crypt::{self, Encryption, Keyring};
use crate::engine::{
    self, BackupOptions, BackupReport, Error, Outcome, Output, ProgressHandle, RestoreCheckOptions,
    RestoreCheckReport, RestoreOptions,
};
use crate::format::toc::Section;
use crate::format::MAX_FRAME_RAW;
use crate::notify;
use crate::ops::metadata::{self, Verification};
use crate::ops::time::rfc3339;
use crate::ops::time::utc_stamp;
use crate::ops::BackupDir;
use crate::pg::{ConnArgs, ConnParams};
use crate::schema::{Pattern, Selection};
use crate::storage::Location;

/// Runs the parsed command line; returns the exit code. Ends with the run's
/// summary event (see `logging`).
pub async fn run(cli: Cli) -> i32 {
    let json = logging::json(&cli);
    let name = cli.command.name();
    let started = Instant::now();
    let bars = progress::handle(&cli, cli.no_progress);
    match parse_duration(&cli.storage_timeout) {
        Ok(t) => {
            let _ = STORAGE_TIMEOUT.set(t);
        }
        Err(e) => {
            eprintln!("pgsnap: error: --storage-timeout: {e}");
            return 2;
        }
    }
    let res = match cli.command {
        Command::Backup(a) => backup(*a, bars).await,
        Command::Restore(a) => restore(a, bars).await,
        Command::List(a) => list(a),
        Command::Verify(a) => match verify_target(&a) {
            Ok(file) if a.restore_check => restore_check(a, file).await,
            Ok(file) => verify(a, file, &bars),
            Err(e) => Err(e),
        },
        Command::Backups(a) => ops::backups(a),
        Command::Prune(a) => ops::prune(a),
        Command::Health(a) => {
            let code = ops::health(a);
            tracing::info!(
                target: SUMMARY,
                command = name,
                exit_code = code,
                seconds = started.elapsed().as_secs_f64(),
                "pgsnap {name}: exit {code} ({})",
                ["OK", "WARNING", "CRITICAL", "UNKNOWN"][code.clamp(0, 3) as usize]
            );
            return code;
        }
        Command::Keygen(a) => keygen(a),
        Command::Demo(a) => crate::demo::run(a.rows, a.jobs, a.bindir).await,
    };
    let seconds = started.elapsed().as_secs_f64();
    match res {
        Ok(()) => {
            tracing::info!(
                target: SUMMARY,
                command = name,
                exit_code = 0,
                seconds,
                "pgsnap {name}: ok in {seconds:.1} s"
            );
            0
        }
        Err(e) => {
            let code = e.exit_code();
            if !json {
                eprintln!("pgsnap: error: {e}");
            }
            tracing::error!(
                target: SUMMARY,
                command = name,
                exit_code = code,
                seconds,
                "pgsnap {name}: failed in {seconds:.1} s (exit {code}): {e}"
            );
            code
        }
    }
}

/// How long one storage request may take (`--storage-timeout`), set once by `run`.
static STORAGE_TIMEOUT: std::sync::OnceLock<Duration> = std::sync::OnceLock::new();

/// The `--storage-timeout` in force.
pub(super) fn storage_timeout() -> Duration {
    STORAGE_TIMEOUT
        .get()
        .copied()
        .unwrap_or(Duration::from_secs(60))
}

/// A path or object-store URL as given on the command line.
fn location(p: &std::path::Path) -> Result<Location, Error> {
    let timeout = STORAGE_TIMEOUT
        .get()
        .copied()
        .unwrap_or(Duration::from_secs(60));
    Ok(Location::parse(&p.to_string_lossy(), timeout)?)
}

fn conn_params(f: &ConnFlags) -> Result<ConnParams, Error> {
    let password = match &f.password_file {
        Some(path) => Some(read_password_file(path)?),
        None => None,
    };
    Ok(ConnParams::resolve(&ConnArgs {
        dbname: f.dbname.clone(),
        host: f.host.clone(),
        port: f.port,
        user: f.user.clone(),
        password,
    })?)
}

/// Asks for the password on the terminal, as pg_dump does: always with -W;
/// without it, only when no password is known, the server asks for one and
/// standard input is a terminal; never with -w.
async fn ask_password(conn: &mut ConnParams, f: &ConnFlags) -> Result<(), Error> {
    use std::io::IsTerminal;
    if f.no_password {
        return Ok(());
    }
    if !f.prompt_password {
        if conn.has_password() || !std::io::stdin().is_terminal() {
            return Ok(());
        }
        match conn.connect("pgsnap").await {
            Err(e) if e.is_missing_password() => {}
            _ => return Ok(()),
        }
    }
    let prompt = format!("Password for user {}: ", conn.user());
    let typed = tokio::task::spawn_blocking(move || rpassword::prompt_password(prompt))
        .await
        .map_err(|e| Error::failed(format!("password prompt failed: {e}")))?
        .map_err(|e| {
            Error::usage(format!(
                "cannot ask for the password (no terminal?): {e}; use PGPASSWORD or a password file"
            ))
        })?;
    conn.set_password(&typed);
    Ok(())
}

/// The first line of a password file; warns when others may read it.
fn read_password_file(path: &std::path::Path) -> Result<String, Error> {
    use std::os::unix::fs::PermissionsExt;
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::usage(format!(
            "cannot read --password-file {}: {e}",
            path.display()
        ))
    })?;
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(
                "password file {} is readable by other users; chmod 600 it",
                path.display()
            );
        }
    }
    Ok(text.lines().next().unwrap_or_default().to_string())
}

fn backup_options(a: &BackupArgs, progress: ProgressHandle) -> Result<BackupOptions, Error> {
    if !(0..=22).contains(&a.level) {
        return Err(Error::usage(
            "-Z/--compress must be between 0 (none) and 22",
        ));
    }
    let chunk = a.chunk_kib.saturating_mul(1024);
    if chunk < 64 * 1024 || chunk > MAX_FRAME_RAW as usize {
        return Err(Error::usage(format!(
            "--chunk-kib must be between 64 and {}",
            MAX_FRAME_RAW / 1024
        )));
    }
    let output = match &a.file {
        Some(p) if p.as_os_str() == "-" => Output::Stdout,
        Some(p) => match location(p)? {
            Location::Local(p) => Output::File(p),
            Location::Object(o) => Output::Object(o),
        },
        None => {
            if let Some(name) = &a.name {
                if name.is_empty() || name.contains('/') || name.starts_with('.') {
                    return Err(Error::usage(
                        "--name must be a plain file name prefix (no '/', not starting with '.')",
                    ));
                }
            }
            let prefix = a.name.as_deref().unwrap_or("backup");
            let file = format!("{prefix}_{}.pgsnap", utc_stamp(SystemTime::now()));
            match ops::backup_dir(&a.dir)? {
                BackupDir::Store(_) => match ops::backup_dir(&a.dir)?.join(&file) {
                    Location::Object(o) => Output::Object(o),
                    Location::Local(p) => Output::File(p),
                },
                BackupDir::Local(dir) => {
                    std::fs::DirBuilder::new()
                        .recursive(true)
                        .mode(0o700)
                        .create(&dir)
                        .map_err(|e| {
                            Error::failed(format!(
                                "cannot create backup directory {}: {e}",
                                dir.display()
                            ))
                        })?;
                    Output::File(dir.join(file))
                }
            }
        }
    };
    Ok(BackupOptions {
        conn: conn_params(&a.conn)?,
        output,
        jobs: a.jobs,
        level: a.level,
        chunk_size: chunk,
        split_bytes: a.split_mib.saturating_mul(1 << 20),
        lock_wait: a
            .lock_wait_timeout
            .as_deref()
            .map(parse_duration)
            .transpose()?,
        selection: selection(&a.select, &[])?,
        globals: a.globals.then_some(a.role_passwords),
        encryption: encryption(&a.encrypt)?,
        progress,
    })
}

/// Who `backup` encrypts for; `None` (a plain archive) when nobody.
fn encryption(f: &EncryptFlags) -> Result<Option<Encryption>, Error> {
    let recipients = crypt::parse_recipients(&f.recipients)?;
    let passphrase = f
        .passphrase_file
        .as_deref()
        .map(crypt::read_passphrase_file)
        .transpose()?;
    Ok(Encryption::new(recipients, passphrase))
}

/// The keys `--identity` and `--passphrase-file` name.
pub(super) fn keyring(f: &KeyFlags) -> Result<Keyring, Error> {
    Ok(Keyring::load(&f.identity, f.passphrase_file.as_deref())?)
}

/// `pgsnap keygen`: a new identity file, or the recipients of one.
fn keygen(a: KeygenArgs) -> Result<(), Error> {
    use age::secrecy::ExposeSecret;
    if let Some(file) = &a.recipient_of {
        for r in crypt::recipients_of(file)? {
            println!("{r}");
        }
        return Ok(());
    }
    let Some(out) = &a.output else {
        return Err(Error::usage(
            "pass -o KEYFILE (where to write the secret identity; - for standard output), \
             or -y KEYFILE to print an identity's public recipient",
        ));
    };
    let id = crypt::generate_identity(&rfc3339(SystemTime::now()));
    if out.as_os_str() == "-" {
        print!("{}", id.file.expose_secret());
    } else {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(out)
            .map_err(|e| {
                Error::failed(format!(
                    "cannot create {}: {e} (keygen never overwrites a key file)",
                    out.display()
                ))
            })?;
        f.write_all(id.file.expose_secret().as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(|e| Error::failed(format!("cannot write {}: {e}", out.display())))?;
        eprintln!(
            "wrote the secret identity to {}: keep it off the backup host, it decrypts every archive made for its recipient",
            out.display()
        );
    }
    eprintln!("public key (for backup --recipient):");
    println!("{}", id.recipient);
    Ok(())
}

/// The selection the flags ask for; a malformed pattern or section is a usage error.
fn selection(f: &SelectFlags, sections: &[String]) -> Result<Selection, Error> {
    let many = |texts: &[String], parse: fn(&str) -> Result<Pattern, String>| {
        texts
            .iter()
            .map(|t| parse(t).map_err(Error::usage))
            .collect::<Result<Vec<_>, _>>()
    };
    let sections = sections
        .iter()
        .map(|s| match s.as_str() {
            "pre-data" => Ok(Section::PreData),
            "data" => Ok(Section::Data),
            "post-data" => Ok(Section::PostData),
            other => Err(Error::usage(format!(
                "--section {other:?}: use pre-data, data or post-data"
            ))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    if f.schema_only && f.data_only {
        return Err(Error::usage(
            "--schema-only and --data-only cannot be used together",
        ));
    }
    Ok(Selection {
        schemas: many(&f.schemas, Pattern::schema)?,
        exclude_schemas: many(&f.exclude_schemas, Pattern::schema)?,
        tables: many(&f.tables, Pattern::qualified)?,
        exclude_tables: many(&f.exclude_tables, Pattern::qualified)?,
        exclude_table_data: many(&f.exclude_table_data, Pattern::qualified)?,
        schema_only: f.schema_only,
        data_only: f.data_only,
        sections,
        no_owner: f.no_owner,
        no_acl: f.no_acl,
        no_comments: f.no_comments,
        no_security_labels: f.no_security_labels,
        large_objects: match (f.large_objects, f.no_large_objects) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        },
    })
}

async fn backup(a: BackupArgs, progress: ProgressHandle) -> Result<(), Error> {
    let (channels, when) = ops::notify_config(&a.notify)?;
    let started = SystemTime::now();
    let res = run_backup(&a, progress).await;
    let (database, server) = match conn_params(&a.conn) {
        Ok(c) => (c.dbname().to_string(), c.describe()),
        Err(_) => ("?".to_string(), "?".to_string()),
    };
    let finished = SystemTime::now();
    let event = notify::Event {
        command: "backup",
        ok: res.is_ok(),
        database: res.as_ref().map(|r| r.database.clone()).unwrap_or(database),
        server,
        backup: res.as_ref().ok().and_then(|r| {
            r.path.as_ref().map(|p| {
                p.file_name()
                    .unwrap_or(p.as_os_str())
                    .to_string_lossy()
                    .into_owned()
            })
        }),
        bytes: res.as_ref().ok().map(|r| r.archive_bytes),
        duration_seconds: finished
            .duration_since(started)
            .unwrap_or_default()
            .as_secs_f64(),
        error: res.as_ref().err().map(|e| e.to_string()),
        finished_at: rfc3339(finished),
    };
    notify::send(&channels, when, &event).await;
    res.map(|_| ())
}

async fn run_backup(a: &BackupArgs, progress: ProgressHandle) -> Result<BackupReport, Error> {
    let rules = ops::prune_rules_for_backup(a.prune, &a.retention, a.file.is_none())?;
    let mut opts = backup_options(a, progress)?;
    ask_password(&mut opts.conn, &a.conn).await?;
    let upload = ops::upload_target(a.upload.as_deref());
    if upload.is_some() && !matches!(opts.output, Output::File(_)) {
        return Err(Error::usage(
            "--upload (or S3_BACKUP_BUCKET / GCS_BACKUP_BUCKET) copies a local archive; to \
             write straight to a store, give the URL to -f",
        ));
    }
    let started = SystemTime::now();
    let res = tokio::select! {
        r = engine::backup(&opts) => r.map_err(|e| e.note("no archive was written")),
        s = shutdown_signal() => Err(Error::failed(format!("interrupted by {s}; no archive was written"))),
    };
    let report = match res {
        Ok(r) => r,
        Err(e) => {
            ops::record_failure(&opts.output, &opts.conn, started, &e);
            return Err(e);
        }
    };
    ops::record_success(&opts.output, &report, &opts.conn)?;
    let ratio = if report.archive_bytes > 0 {
        report.raw_bytes as f64 / report.archive_bytes as f64
    } else {
        0.0
    };
    let dest = match &opts.output {
        Output::File(p) => p.display().to_string(),
        Output::Object(o) => o.url.clone(),
        Output::Stdout => "standard output".to_string(),
    };
    tracing::info!(
        "backup written to {dest}: {} bytes ({} raw, {ratio:.1}x), {} entries, {} tables, {} rows in {:.1} s",
        report.archive_bytes,
        report.raw_bytes,
        report.entries,
        report.tables,
        report.rows,
        report.elapsed.as_secs_f64()
    );
    if let (Some(target), Output::File(local)) = (upload, &opts.output) {
        let timeout = STORAGE_TIMEOUT
            .get()
            .copied()
            .unwrap_or(Duration::from_secs(60));
        let url = ops::upload(local, &target, timeout).await.map_err(|e| {
            e.note(format!(
                "the local archive {} is complete; upload it again later",
                local.display()
            ))
        })?;
        tracing::info!("uploaded {} to {url}", local.display());
    }
    if let Some(rules) = rules {
        ops::prune_after_backup(&ops::backup_dir(&a.dir)?, &rules);
    }
    Ok(report)
}

async fn restore(a: RestoreArgs, progress: ProgressHandle) -> Result<(), Error> {
    let mut overrides = Vec::new();
    for s in &a.settings {
        let (name, value) = s
            .split_once('=')
            .filter(|(n, _)| {
                !n.is_empty()
                    && n.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
            })
            .ok_or_else(|| Error::usage(format!("--set expects NAME=VALUE, got {s:?}")))?;
        overrides.push((name.to_string(), value.to_string()));
    }
    let mut opts = RestoreOptions {
        conn: conn_params(&a.conn)?,
        input: location(&a.file)?,
        jobs: a.jobs,
        create: a.create,
        clean: a.clean,
        settings: engine::restore_settings(&overrides),
        single_transaction: a.single_transaction,
        selection: selection(&a.select, &a.sections)?,
        globals: a.globals,
        space_check: !a.no_space_check,
        analyze: !a.no_analyze,
        reindex: a.reindex,
        force: a.force,
        keys: keyring(&a.keys)?,
        progress,
    };
    ask_password(&mut opts.conn, &a.conn).await?;
    confirm_production(&a, &opts.conn).await?;
    let report = tokio::select! {
        r = engine::restore(&opts) => r?,
        s = shutdown_signal() => return Err(Error::failed(if a.single_transaction {
            format!("interrupted by {s}; nothing was committed (--single-transaction)")
        } else {
            format!("interrupted by {s}; the target database is partly restored: drop it, or restore again with --clean")
        })),
    };
    tracing::info!(
        "restored {} into database {:?}: {} entries, {} tables, {} rows in {:.1} s",
        a.file.display(),
        report.database,
        report.entries,
        report.tables,
        report.rows,
        report.elapsed.as_secs_f64()
    );
    Ok(())
}

/// A restore into production needs `--yes`, or the database's name typed
/// on a terminal. Production: `--production`, `PGSNAP_ENVIRONMENT=production`,
/// or the target database's `pgsnap.environment` setting.
async fn confirm_production(a: &RestoreArgs, conn: &ConnParams) -> Result<(), Error> {
    use std::io::{BufRead, IsTerminal, Write};
    let env = std::env::var("PGSNAP_ENVIRONMENT").unwrap_or_default();
    let why = if a.production {
        "--production".to_string()
    } else if env.trim().eq_ignore_ascii_case("production") {
        "PGSNAP_ENVIRONMENT=production".to_string()
    } else if engine::marked_production(conn).await? {
        format!(
            "the database sets {}=production",
            engine::ENVIRONMENT_SETTING
        )
    } else {
        return Ok(());
    };
    let db = conn.dbname();
    if a.yes {
        tracing::warn!("restoring into production database {db:?} ({why}); confirmed by --yes");
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::usage(format!(
            "database {db:?} is production ({why}): confirm with --yes, or run on a terminal \
             to be asked"
        )));
    }
    eprint!(
        "Database {db:?} on {} is production ({why}).\nType its name to restore into it: ",
        conn.describe()
    );
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    if line.trim_end_matches(['\r', '\n']) == db {
        Ok(())
    } else {
        Err(Error::failed(
            "not confirmed: nothing was restored".to_string(),
        ))
    }
}

fn list(a: ListArgs) -> Result<(), Error> {
    let listing = engine::list(&location(&a.file)?, &keyring(&a.keys)?)?;
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&listing).expect("listing serialises")
        );
    } else {
        print!("{}", listing.render());
    }
    Ok(())
}

/// The archive `verify` is asked about: the named one, or with --latest the
/// newest successful backup in --dir.
fn verify_target(a: &VerifyArgs) -> Result<PathBuf, Error> {
    match (&a.file, &a.dir) {
        (Some(f), _) => Ok(f.clone()),
        (None, Some(dir)) => ops::latest_archive(dir),
        (None, None) => Err(Error::usage(
            "--latest needs --dir (or BACKUP_DIR): where the backups are",
        )),
    }
}

fn verify(a: VerifyArgs, file: PathBuf, progress: &ProgressHandle) -> Result<(), Error> {
    let keys = keyring(&a.keys)?;
    let res = location(&file).and_then(|l| engine::verify_with_progress(&l, &keys, progress));
    let verification = Verification {
        at: rfc3339(SystemTime::now()),
        method: "offline".into(),
        passed: res.is_ok(),
        checks: Vec::new(),
        error: res.as_ref().err().map(|e| e.to_string()),
    };
    // A damaged or missing archive is reported as such, not as a metadata
    // problem; an archive that was not opened (no key) was not verified.
    let unopened = res.as_ref().is_err_and(|e| e.exit_code() == 2);
    if !unopened
        && (res.is_ok() || file.exists() || crate::storage::is_url(&file.to_string_lossy()))
    {
        if let Err(e) = record_verification(&file, verification) {
            tracing::warn!("{e}");
        }
    }
    let report = res?;
    if a.json {
        println!(
            "{}",
            serde_json::json!({
                "file": file,
                "ok": true,
                "entries": report.entries,
                "streams": report.streams,
                "frames": report.frames,
                "rows": report.rows,
                "raw_bytes": report.raw_bytes,
            })
        );
    } else {
        println!(
            "{}: OK ({} entries, {} streams, {} frames, {} rows, {} raw bytes)",
            file.display(),
            report.entries,
            report.streams,
            report.frames,
            report.rows,
            report.raw_bytes
        );
    }
    Ok(())
}

async fn restore_check(a: VerifyArgs, file: PathBuf) -> Result<(), Error> {
    let mut opts = RestoreCheckOptions {
        conn: conn_params(&a.conn)?,
        input: location(&file)?,
        jobs: a.jobs,
        keys: keyring(&a.keys)?,
    };
    ask_password(&mut opts.conn, &a.conn).await?;
    let report = engine::restore_check(&opts, shutdown_signal()).await?;
    let verification = Verification {
        at: report.finished_at.clone(),
        method: "restore-check".into(),
        passed: report.passed,
        checks: report
            .checks
            .iter()
            .map(|c| {
                format!(
                    "{} {}: {}",
                    c.number,
                    c.name,
                    c.outcome.as_str().to_lowercase()
                )
            })
            .collect(),
        error: report
            .checks
            .iter()
            .find(|c| c.outcome == Outcome::Fail)
            .map(|c| c.detail.clone()),
    };
    if let Err(e) = record_verification(&file, verification) {
        tracing::warn!("{e}");
    }
    if let Some(path) = &a.report {
        std::fs::write(path, check_markdown(&report)).map_err(|e| {
            Error::failed(format!("cannot write the report {}: {e}", path.display()))
        })?;
    }
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("report serialises")
        );
    } else {
        for c in &report.checks {
            println!(
                "[{}] {}. {}: {}",
                c.outcome.as_str(),
                c.number,
                c.name,
                c.detail
            );
        }
        println!(
            "{}: restore check {} (temporary database {} dropped)",
            file.display(),
            if report.passed { "PASSED" } else { "FAILED" },
            report.temporary_database
        );
    }
    if report.passed {
        Ok(())
    } else {
        Err(Error::failed(format!(
            "{} failed its restore check",
            file.display()
        )))
    }
}

/// Records a verification in the archive's metadata, on disk or in a store.
fn record_verification(file: &std::path::Path, v: Verification) -> Result<(), Error> {
    match location(file)? {
        Location::Local(p) => metadata::record_verification(&p, v).map(|_| ()),
        Location::Object(o) => BackupDir::record_verification(&o, v),
    }
}

/// The restore check as a Markdown report.
fn check_markdown(r: &RestoreCheckReport) -> String {
    let mut out = format!(
        "# pgsnap restore check: {}

- Result: **{}**
- Archive: `{}`
- Server: `{}`
- Temporary database: `{}` (dropped)
- Started: {}
- Finished: {}

| # | Check | Result | Seconds | Detail |\n|---|---|---|---|---|\n",
        r.file,
        if r.passed { "PASSED" } else { "FAILED" },
        r.file,
        r.server,
        r.temporary_database,
        r.started_at,
        r.finished_at
    );
    for c in &r.checks {
        out.push_str(&format!(
            "| {} | {} | {} | {:.3} | {} |\n",
            c.number,
            c.name,
            c.outcome.as_str(),
            c.seconds,
            c.detail.replace('|', "\\|").replace('\n', " ")
        ));
    }
    out
}

/// Resolves with the signal's name on SIGINT or SIGTERM. The handlers are
/// installed when this is called, not when it is first polled: a signal that
/// comes before the work first waits on it is this future's result, not the
/// default (an abrupt death that leaves a temporary database behind; found
/// by CI under load).
fn shutdown_signal() -> impl std::future::Future<Output = &'static str> {
    use tokio::signal::unix::{signal, SignalKind};
    let int = signal(SignalKind::interrupt());
    let term = signal(SignalKind::terminate());
    async move {
        match (int, term) {
            (Ok(mut int), Ok(mut term)) => tokio::select! {
                _ = int.recv() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            },
            (Ok(mut int), Err(_)) => {
                int.recv().await;
                "SIGINT"
            }
            (Err(_), _) => {
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
}

/// `500ms`, `30s`, `2min`, `1h`, or a plain number of milliseconds (pg_dump's form).
fn parse_duration(s: &str) -> Result<Duration, Error> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| Error::usage(format!("invalid duration {s:?}: use e.g. 500ms, 30s, 2min")))?;
    let ms = match unit.trim() {
        "" | "ms" => n,
        "s" => n * 1000,
        "min" | "m" => n * 60_000,
        "h" => n * 3_600_000,
        other => {
            return Err(Error::usage(format!(
                "invalid duration unit {other:?} in {s:?}: use ms, s, min or h"
            )))
        }
    };
    if ms == 0 {
        return Err(Error::usage("a duration must be positive"));
    }
    Ok(Duration::from_millis(ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_like_postgres_settings() {
        assert_eq!(parse_duration("1500").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("2min").unwrap(), Duration::from_secs(120));
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("5 parsecs").is_err());
    }
}
