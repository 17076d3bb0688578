//! Notifications about a finished backup: a Slack incoming webhook, a generic
//! JSON webhook, and email over SMTP (STARTTLS, implicit TLS or plain, with
//! optional authentication).
//!
//! This module owns the message and its delivery. [`send`] never fails: a
//! channel that cannot be reached is logged as a warning, so a notification
//! never turns a good backup into a failed one. HTTP deliveries are retried
//! (three attempts) on a connection error or a 5xx answer.

use std::sync::Arc;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Serialize;

use crate::ops::inventory::human_size;

/// When to notify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Success,
    Failure,
    Always,
}

impl When {
    pub fn parse(s: &str) -> Option<When> {
        match s {
            "success" => Some(When::Success),
            "failure" => Some(When::Failure),
            "always" => Some(When::Always),
            _ => None,
        }
    }

    fn covers(self, ok: bool) -> bool {
        matches!(
            (self, ok),
            (When::Always, _) | (When::Success, true) | (When::Failure, false)
        )
    }
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS, which the server must offer.
    StartTls,
    /// TLS from the first byte (usually port 465).
    Tls,
    /// No encryption (a relay on localhost).
    None,
}

impl SmtpTls {
    pub fn parse(s: &str) -> Option<SmtpTls> {
        match s {
            "starttls" => Some(SmtpTls::StartTls),
            "tls" => Some(SmtpTls::Tls),
            "none" => Some(SmtpTls::None),
            _ => None,
        }
    }
}

#[derive(Clone)]
pub struct Email {
    pub to: Vec<String>,
    pub from: String,
    pub host: String,
    pub port: Option<u16>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub tls: SmtpTls,
    /// A PEM CA certificate to trust besides the bundled Mozilla roots (an
    /// internal relay's).
    pub ca_file: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Email {{ to: {:?}, from: {:?}, host: {:?}, port: {:?}, user: {:?}, tls: {:?} }}",
            self.to, self.from, self.host, self.port, self.username, self.tls
        )
    }
}

/// Where notifications go; every channel is optional.
#[derive(Debug, Clone, Default)]
pub struct Channels {
    pub slack: Option<String>,
    pub webhook: Option<String>,
    pub email: Option<Email>,
}

impl Channels {
    pub fn is_empty(&self) -> bool {
        self.slack.is_none() && self.webhook.is_none() && self.email.is_none()
    }
}

/// What happened, as the notification tells it.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    /// `backup`.
    pub command: &'static str,
    pub ok: bool,
    pub database: String,
    /// The connection, without password.
    pub server: String,
    /// The archive's file name (named backups) or path.
    pub backup: Option<String>,
    pub bytes: Option<u64>,
    pub duration_seconds: f64,
    pub error: Option<String>,
    pub finished_at: String,
}

impl Event {
    pub fn subject(&self) -> String {
        if self.ok {
            format!("pgsnap {}: {} OK", self.command, self.database)
        } else {
            format!("pgsnap {}: {} FAILED", self.command, self.database)
        }
    }

    pub fn text(&self) -> String {
        let what = self.backup.as_deref().unwrap_or("(no archive)");
        if self.ok {
            format!(
                "pgsnap {} of database {} on {} succeeded: {what}, {} in {:.1} s (finished {}).",
                self.command,
                self.database,
                self.server,
                self.bytes.map(human_size).unwrap_or_else(|| "-".into()),
                self.duration_seconds,
                self.finished_at
            )
        } else {
            format!(
                "pgsnap {} of database {} on {} FAILED after {:.1} s (finished {}): {}",
                self.command,
                self.database,
                self.server,
                self.duration_seconds,
                self.finished_at,
                self.error.as_deref().unwrap_or("unknown error")
            )
        }
    }
}

/// Sends `event` to every channel if `when` covers it; failures are logged.
pub async fn send(channels: &Channels, when: When, event: &Event) {
    if channels.is_empty() || !when.covers(event.ok) {
        return;
    }
    let http = match http_client() {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::warn!("notification: cannot set up HTTPS: {e}");
            None
        }
    };
    let text = event.text();
    let slack = async {
        if let (Some(url), Some(c)) = (&channels.slack, &http) {
            let body = serde_json::json!({ "text": text });
            report("Slack", post(c, url, &body).await);
        }
    };
    let webhook = async {
        if let (Some(url), Some(c)) = (&channels.webhook, &http) {
            let mut body = serde_json::to_value(event).expect("event serialises");
            body["text"] = serde_json::Value::String(text.clone());
            body["subject"] = serde_json::Value::String(event.subject());
            report("webhook", post(c, url, &body).await);
        }
    };
    let email = async {
        if let Some(e) = &channels.email {
            report("email", mail(e, event).await);
        }
    };
    tokio::join!(slack, webhook, email);
}

fn report(channel: &str, res: Result<(), String>) {
    match res {
        Ok(()) => tracing::info!("notification sent by {channel}"),
        Err(e) => tracing::warn!(
            "notification by {channel} failed: {e}; the backup's own result is unaffected"
        ),
    }
}

/// An HTTPS client that trusts the bundled Mozilla roots (so it works in a
/// `FROM scratch` container without a CA bundle).
fn http_client() -> Result<reqwest::Client, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .timeout(Duration::from_secs(15))
        .user_agent(concat!("pgsnap/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| e.to_string())
}

const ATTEMPTS: u32 = 3;

async fn post(client: &reqwest::Client, url: &str, body: &serde_json::Value) -> Result<(), String> {
    let mut last = String::new();
    for attempt in 1..=ATTEMPTS {
        match client.post(url).json(body).send().await {
            Ok(r) if r.status().is_success() => return Ok(()),
            Ok(r) if r.status().is_server_error() => {
                last = format!("{} answered {}", redact(url), r.status());
            }
            Ok(r) => return Err(format!("{} answered {}", redact(url), r.status())),
            // The URL's path is a secret (Slack's): never print it.
            Err(e) => last = format!("{}: {}", redact(url), error_chain(&e.without_url())),
        }
        if attempt < ATTEMPTS {
            tokio::time::sleep(Duration::from_millis(500 * u64::from(attempt))).await;
        }
    }
    Err(format!("{last} ({ATTEMPTS} attempts)"))
}

/// A webhook URL's secret is its path: show only the scheme and host.
fn redact(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => format!(
            "{}://{}{}",
            u.scheme(),
            u.host_str().unwrap_or("?"),
            u.port().map(|p| format!(":{p}")).unwrap_or_default()
        ),
        Err(_) => "the webhook URL".into(),
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

async fn mail(e: &Email, event: &Event) -> Result<(), String> {
    let from: Mailbox = e
        .from
        .parse()
        .map_err(|err| format!("SMTP_FROM {:?} is not an address: {err}", e.from))?;
    let mut builder = Message::builder().from(from).subject(event.subject());
    for to in &e.to {
        let mailbox: Mailbox = to
            .parse()
            .map_err(|err| format!("recipient {to:?} is not an address: {err}"))?;
        builder = builder.to(mailbox);
    }
    let message = builder
        .body(event.text())
        .map_err(|err| format!("cannot build the message: {err}"))?;
    let (tls, default_port) = match e.tls {
        SmtpTls::None => (Tls::None, 25),
        SmtpTls::StartTls => (Tls::Required(tls_parameters(e)?), 587),
        SmtpTls::Tls => (Tls::Wrapper(tls_parameters(e)?), 465),
    };
    let mut transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&e.host)
        .port(e.port.unwrap_or(default_port))
        .tls(tls)
        .timeout(Some(Duration::from_secs(20)));
    if let Some(user) = &e.username {
        transport = transport.credentials(Credentials::new(
            user.clone(),
            e.password.clone().unwrap_or_default(),
        ));
    }
    transport
        .build()
        .send(message)
        .await
        .map(|_| ())
        .map_err(|err| format!("SMTP {}: {}", e.host, error_chain(&err)))
}

/// TLS for the SMTP host: the bundled roots, plus `ca_file` when given.
fn tls_parameters(e: &Email) -> Result<TlsParameters, String> {
    let mut b = TlsParameters::builder(e.host.clone());
    if let Some(path) = &e.ca_file {
        let pem = std::fs::read(path)
            .map_err(|err| format!("cannot read SMTP_CA_FILE {}: {err}", path.display()))?;
        let cert = Certificate::from_pem(&pem)
            .map_err(|err| format!("SMTP_CA_FILE {}: {err}", path.display()))?;
        b = b.add_root_certificate(cert);
    }
    b.build_rustls()
        .map_err(|err| format!("TLS for SMTP host {:?}: {err}", e.host))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(ok: bool) -> Event {
        Event {
            command: "backup",
            ok,
            database: "shop".into(),
            server: "backup@db1:5432/shop".into(),
            backup: Some("shop_20261124_020000.pgsnap".into()),
            bytes: Some(3 << 20),
            duration_seconds: 12.34,
            error: (!ok).then(|| "connection refused".into()),
            finished_at: "2026-11-24T02:00:12Z".into(),
        }
    }

    #[test]
    fn messages_carry_database_backup_size_duration_and_error() {
        let ok = event(true);
        assert_eq!(ok.subject(), "pgsnap backup: shop OK");
        assert!(ok
            .text()
            .contains("succeeded: shop_20261124_020000.pgsnap, 3.0 MiB in 12.3 s"));
        let bad = event(false);
        assert_eq!(bad.subject(), "pgsnap backup: shop FAILED");
        assert!(bad
            .text()
            .ends_with("FAILED after 12.3 s (finished 2026-11-24T02:00:12Z): connection refused"));
    }

    #[test]
    fn when_and_tls_parse_and_select() {
        assert!(When::parse("failure").unwrap().covers(false));
        assert!(!When::parse("failure").unwrap().covers(true));
        assert!(When::parse("always").unwrap().covers(true));
        assert!(When::parse("sometimes").is_none());
        assert_eq!(SmtpTls::parse("starttls"), Some(SmtpTls::StartTls));
        assert!(SmtpTls::parse("ssl").is_none());
        assert_eq!(
            redact("https://hooks.slack.com/services/T000/B000/XXXX"),
            "https://hooks.slack.com"
        );
    }
}
