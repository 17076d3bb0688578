//! TLS for server connections, with libpq's `sslmode` semantics on rustls:
//!
//! | sslmode | encryption | server certificate check |
//! |---|---|---|
//! | disable | never | - |
//! | allow, prefer | if the server offers it | chain, if a root certificate is available; else none |
//! | require | always | chain, if a root certificate is available; else none |
//! | verify-ca | always | chain against the root certificate (required) |
//! | verify-full | always | chain and host name (root certificate required) |
//!
//! Root certificates come from `sslrootcert` / `PGSSLROOTCERT` (a PEM file, or
//! `system` for the bundled Mozilla roots), else `~/.postgresql/root.crt`. A client
//! certificate comes from `sslcert`/`sslkey` (`PGSSLCERT`/`PGSSLKEY`), else
//! `~/.postgresql/postgresql.crt` and `.key` when both exist.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

use super::error::PgError;

/// libpq's `sslmode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    pub fn parse(s: &str) -> Result<SslMode, PgError> {
        Ok(match s {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(PgError::config(format!(
                    "invalid sslmode {other:?}: use disable, allow, prefer, require, verify-ca or verify-full"
                )))
            }
        })
    }

    /// Whether the connection must be encrypted.
    pub fn required(self) -> bool {
        matches!(
            self,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull
        )
    }
}

/// Where trusted root certificates come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootCerts {
    File(PathBuf),
    System,
}

/// The TLS settings of a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    pub mode: SslMode,
    pub root: Option<RootCerts>,
    pub client_cert: Option<(PathBuf, PathBuf)>,
}

impl TlsSettings {
    /// Resolves the settings from explicit values (conninfo, then environment)
    /// and the files in `~/.postgresql`.
    pub fn resolve(
        mode: Option<&str>,
        root: Option<&str>,
        cert: Option<&str>,
        key: Option<&str>,
        home: Option<&Path>,
    ) -> Result<TlsSettings, PgError> {
        let mode = SslMode::parse(mode.unwrap_or("prefer"))?;
        let dot = home.map(|h| h.join(".postgresql"));
        let root = match root {
            Some("system") => Some(RootCerts::System),
            Some(p) => Some(RootCerts::File(PathBuf::from(p))),
            None => dot
                .as_ref()
                .map(|d| d.join("root.crt"))
                .filter(|p| p.is_file())
                .map(RootCerts::File),
        };
        let client_cert = match (cert, key) {
            (Some(c), Some(k)) => Some((PathBuf::from(c), PathBuf::from(k))),
            (Some(_), None) | (None, Some(_)) => {
                return Err(PgError::config(
                    "sslcert and sslkey must be given together (or PGSSLCERT and PGSSLKEY)",
                ))
            }
            (None, None) => dot.and_then(|d| {
                let (c, k) = (d.join("postgresql.crt"), d.join("postgresql.key"));
                (c.is_file() && k.is_file()).then_some((c, k))
            }),
        };
        if matches!(mode, SslMode::VerifyCa | SslMode::VerifyFull) && root.is_none() {
            return Err(PgError::config(
                "sslmode=verify-ca/verify-full needs a root certificate: set sslrootcert=FILE (or \
                 PGSSLROOTCERT), put it at ~/.postgresql/root.crt, or use sslrootcert=system",
            ));
        }
        Ok(TlsSettings {
            mode,
            root,
            client_cert,
        })
    }

    /// The rustls configuration, or `None` when TLS is disabled.
    pub fn client_config(&self) -> Result<Option<ClientConfig>, PgError> {
        if self.mode == SslMode::Disable {
            return Ok(None);
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let algs = provider.signature_verification_algorithms;
        let mut roots = RootCertStore::empty();
        match &self.root {
            Some(RootCerts::System) => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
            Some(RootCerts::File(p)) => {
                for cert in read_certs(p)? {
                    roots.add(cert).map_err(|e| {
                        PgError::config(format!(
                            "root certificate in {} is not usable: {e}",
                            p.display()
                        ))
                    })?;
                }
            }
            None => {}
        }
        let chain = if self.root.is_some() {
            Some(
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
                    .build()
                    .map_err(|e| {
                        PgError::config(format!("cannot use the root certificates: {e}"))
                    })?,
            )
        } else {
            None
        };
        let verifier = Arc::new(Verifier {
            chain,
            check_name: self.mode == SslMode::VerifyFull,
            algs,
        });
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| PgError::config(format!("TLS setup failed: {e}")))?
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        let config = match &self.client_cert {
            Some((cert, key)) => {
                let chain = read_certs(cert)?;
                let key = PrivateKeyDer::from_pem_file(key).map_err(|e| {
                    PgError::config(format!("cannot read the client key {}: {e}", key.display()))
                })?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| PgError::config(format!("client certificate not usable: {e}")))?
            }
            None => builder.with_no_client_auth(),
        };
        Ok(Some(config))
    }
}

fn read_certs(p: &Path) -> Result<Vec<CertificateDer<'static>>, PgError> {
    let certs: Vec<_> = CertificateDer::pem_file_iter(p)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| {
            PgError::config(format!(
                "cannot read certificates from {}: {e}",
                p.display()
            ))
        })?;
    if certs.is_empty() {
        return Err(PgError::config(format!(
            "no PEM certificate in {}",
            p.display()
        )));
    }
    Ok(certs)
}

/// Checks the chain when there are roots to check against, and the host name
/// only for verify-full; always checks the handshake signatures.
#[derive(Debug)]
struct Verifier {
    chain: Option<Arc<WebPkiServerVerifier>>,
    check_name: bool,
    algs: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.check_name => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_modes_need_a_root_certificate() {
        assert!(TlsSettings::resolve(Some("verify-full"), None, None, None, None).is_err());
        let s =
            TlsSettings::resolve(Some("verify-full"), Some("system"), None, None, None).unwrap();
        assert_eq!(s.root, Some(RootCerts::System));
        assert!(s.client_config().unwrap().is_some());
        assert!(
            TlsSettings::resolve(Some("disable"), None, None, None, None)
                .unwrap()
                .client_config()
                .unwrap()
                .is_none()
        );
        assert!(TlsSettings::resolve(Some("bogus"), None, None, None, None).is_err());
        assert!(TlsSettings::resolve(None, None, Some("c.crt"), None, None).is_err());
    }
}
