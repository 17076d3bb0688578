//! Notifications against real receivers on loopback: an HTTP listener for the
//! Slack and generic webhooks (with a 500 to exercise the retry), and an
//! aiosmtpd SMTP server (installed by `.ci/setup`). A failing channel never
//! changes the backup's exit code.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::*;

/// An HTTP/1.1 listener that answers each request with the next status from
/// `statuses` (then 200) and hands over (path, body).
fn http_listener(statuses: Vec<u16>) -> (String, mpsc::Receiver<(String, Value)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut statuses = statuses.into_iter();
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { break };
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let path = line.split(' ').nth(1).unwrap_or_default().to_string();
            let mut len = 0;
            loop {
                let mut h = String::new();
                reader.read_line(&mut h).unwrap();
                if h == "\r\n" || h.is_empty() {
                    break;
                }
                if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; len];
            reader.read_exact(&mut body).unwrap();
            let status = statuses.next().unwrap_or(200);
            let _ = write!(
                conn,
                "HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
            let _ = tx.send((path, serde_json::from_slice(&body).unwrap_or(Value::Null)));
        }
    });
    (base, rx)
}

struct Smtp {
    child: Child,
    port: u16,
}

impl Smtp {
    fn start() -> Smtp {
        let port = free_port();
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 -m aiosmtpd (.ci/setup installs it)");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "aiosmtpd did not start on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Smtp { child, port }
    }

    /// Stops the server and returns what it printed (the messages).
    fn messages(mut self) -> String {
        let _ = self.child.kill();
        let out = std::mem::replace(&mut self.child, Command::new("true").spawn().unwrap())
            .wait_with_output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn next(rx: &mpsc::Receiver<(String, Value)>) -> (String, Value) {
    rx.recv_timeout(Duration::from_secs(30))
        .expect("the notification arrived")
}

#[tokio::test]
async fn a_backup_notifies_slack_a_webhook_and_email() {
    let db = TestDb::new("notify").await;
    db.exec("CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 100);")
        .await;
    let dir = Scratch::new("notify");
    let (slack, slack_rx) = http_listener(vec![]);
    // The webhook fails once with a 500: the retry delivers it.
    let (hook, hook_rx) = http_listener(vec![500]);
    let smtp = Smtp::start();
    let port = smtp.port.to_string();
    let conn = db.conninfo();
    let slack_url = format!("{slack}/services/T0/B0/secret");
    let hook_url = format!("{hook}/pgsnap");
    let out = pgsnap_env(
        &[
            "backup",
            "-d",
            &conn,
            "--dir",
            path_str(&dir.0),
            "--name",
            "n",
            "--notify-on",
            "always",
            "--smtp-tls",
            "none",
        ],
        &[
            ("SLACK_WEBHOOK_URL", slack_url.as_str()),
            ("PGSNAP_WEBHOOK_URL", hook_url.as_str()),
            ("BACKUP_EMAIL_RECIPIENT", "ops@example.com, dba@example.com"),
            ("SMTP_HOST", "127.0.0.1"),
            ("SMTP_PORT", port.as_str()),
            ("SMTP_FROM", "pgsnap@example.com"),
        ],
    );
    ok(&out);
    let (path, body) = next(&slack_rx);
    assert_eq!(path, "/services/T0/B0/secret");
    let text = body["text"].as_str().unwrap();
    assert!(
        text.contains(&format!("database {} on", db.name)) && text.contains("succeeded: n_"),
        "{text}"
    );
    let (_, first) = next(&hook_rx);
    let (path, body) = next(&hook_rx);
    assert_eq!(first, body, "the retry sends the same event");
    assert_eq!(path, "/pgsnap");
    assert_eq!(body["ok"], true);
    assert_eq!(body["database"], db.name.as_str());
    assert!(body["backup"].as_str().unwrap().starts_with("n_"), "{body}");
    assert!(body["bytes"].as_u64().unwrap() > 0);
    assert!(body["duration_seconds"].as_f64().unwrap() > 0.0);
    assert!(body["error"].is_null());
    let mail = smtp.messages();
    assert!(
        mail.contains(&format!("Subject: pgsnap backup: {} OK", db.name)),
        "{mail}"
    );
    assert!(
        mail.contains("To: ops@example.com, dba@example.com"),
        "{mail}"
    );
    assert!(mail.contains("From: pgsnap@example.com"), "{mail}");
    assert!(!stderr(&out).contains("secret"), "{}", stderr(&out));

    // --notify-on failure (the default) says nothing about a success.
    ok(&pgsnap_env(
        &[
            "backup",
            "-d",
            &conn,
            "-f",
            path_str(&dir.path("quiet.pgsnap")),
        ],
        &[("PGSNAP_WEBHOOK_URL", hook_url.as_str())],
    ));
    assert!(hook_rx.recv_timeout(Duration::from_millis(500)).is_err());
}

#[tokio::test]
async fn failures_are_notified_and_a_failing_channel_changes_nothing() {
    let db = TestDb::new("notifyfail").await;
    db.exec("CREATE TABLE t (id int);").await;
    let dir = Scratch::new("notifyfail");
    let (hook, hook_rx) = http_listener(vec![]);
    let hook_url = format!("{hook}/h");
    let closed = free_port().to_string();
    let smtp_env = [
        ("BACKUP_EMAIL_RECIPIENT", "ops@example.com"),
        ("SMTP_HOST", "127.0.0.1"),
        ("SMTP_PORT", closed.as_str()),
        ("SMTP_TLS", "none"),
    ];

    // A failed backup: the webhook hears the error; the unreachable SMTP
    // server is a warning; the exit code is the backup's own.
    let missing = db.cluster.conninfo("no_such_db_for_notify");
    let mut env = smtp_env.to_vec();
    env.push(("PGSNAP_WEBHOOK_URL", hook_url.as_str()));
    let out = pgsnap_env(
        &[
            "backup",
            "-d",
            &missing,
            "-f",
            path_str(&dir.path("x.pgsnap")),
        ],
        &env,
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let (_, body) = next(&hook_rx);
    assert_eq!(body["ok"], false);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("no_such_db_for_notify"),
        "{body}"
    );
    assert!(body["text"].as_str().unwrap().contains("FAILED"), "{body}");
    assert!(
        stderr(&out).contains("notification by email failed"),
        "{}",
        stderr(&out)
    );

    // A good backup whose only channel fails is still a good backup.
    let conn = db.conninfo();
    let out = pgsnap_env(
        &[
            "backup",
            "-d",
            &conn,
            "-f",
            path_str(&dir.path("ok.pgsnap")),
            "--notify-on",
            "success",
        ],
        &smtp_env,
    );
    ok(&out);
    assert!(
        stderr(&out).contains("notification by email failed"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("the backup's own result is unaffected"));

    // Email without an SMTP host is a usage error, found before the backup runs.
    let out = pgsnap_env(
        &["backup", "-d", &conn, "-f", path_str(&dir.path("u.pgsnap"))],
        &[("BACKUP_EMAIL_RECIPIENT", "ops@example.com")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("need SMTP_HOST"), "{}", stderr(&out));
    assert!(!dir.path("u.pgsnap").exists());
}

/// Email over STARTTLS with authentication, the way a real relay takes it;
/// a wrong password is a warning, not a failed backup.
#[tokio::test]
async fn email_goes_over_starttls_with_authentication() {
    let db = TestDb::new("notifytls").await;
    db.exec("CREATE TABLE t (id int);").await;
    let dir = Scratch::new("notifytls");
    make_certs(&dir.0, "ca");
    let (ca, cert, key) = (
        path_str(&dir.path("ca.crt")).to_string(),
        path_str(&dir.path("server.crt")).to_string(),
        path_str(&dir.path("server.key")).to_string(),
    );
    let port = free_port();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp/starttls_server.py");
    let mut server = Command::new("python3")
        .args([script, &port.to_string(), &cert, &key, "pgsnap", "s3cret"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, lines) = mpsc::channel();
    let stdout = server.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    assert_eq!(
        lines.recv_timeout(Duration::from_secs(30)).unwrap(),
        "READY"
    );
    let port = port.to_string();
    let conn = db.conninfo();
    let env = |password: &'static str| {
        vec![
            ("BACKUP_EMAIL_RECIPIENT", "ops@example.com"),
            ("SMTP_HOST", "127.0.0.1"),
            ("SMTP_PORT", port.as_str()),
            ("SMTP_USERNAME", "pgsnap"),
            ("SMTP_PASSWORD", password),
            ("SMTP_FROM", "pgsnap@example.com"),
            ("SMTP_CA_FILE", ca.as_str()),
            ("PGSNAP_NOTIFY_ON", "always"),
        ]
    };
    let out = pgsnap_env(
        &["backup", "-d", &conn, "-f", path_str(&dir.path("a.pgsnap"))],
        &env("s3cret"),
    );
    ok(&out);
    assert!(
        stderr(&out).contains("notification sent by email"),
        "{}",
        stderr(&out)
    );
    let mut mail = Vec::new();
    loop {
        let line = lines
            .recv_timeout(Duration::from_secs(30))
            .expect("the message");
        if line == "END-MESSAGE" {
            break;
        }
        mail.push(line);
    }
    let mail = mail.join("\n");
    assert!(mail.starts_with("AUTH pgsnap TLS True"), "{mail}");
    assert!(
        mail.contains(&format!("Subject: pgsnap backup: {} OK", db.name)),
        "{mail}"
    );

    let out = pgsnap_env(
        &["backup", "-d", &conn, "-f", path_str(&dir.path("b.pgsnap"))],
        &env("wrong"),
    );
    ok(&out);
    assert!(
        stderr(&out).contains("notification by email failed"),
        "{}",
        stderr(&out)
    );
    assert!(
        !stderr(&out).contains("wrong"),
        "the password is never shown"
    );
    let _ = server.kill();
    let _ = server.wait();
}
