//! TLS to one server of the cluster, trusted only if its certificate chains to a given CA: the
//! Kubernetes API (the service account's `ca.crt`), and agones-allocator, which also asks for a
//! client certificate by default (mutual TLS: Agones' `allocator-tls-ca`, and the client
//! certificate and key of an `allocator-client` secret). rustls with ring: nothing to install, and
//! the same crypto library the game transport already uses.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::path::Path;
use std::sync::Arc;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// Why TLS could not be set up from its files.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("{path}: {error}")]
    Pem {
        path: String,
        error: rustls::pki_types::pem::Error,
    },
    #[error("{0}: holds no certificate")]
    NoCertificate(String),
    #[error("{path}: {error}")]
    Rustls { path: String, error: rustls::Error },
    #[error("the endpoint's host {0:?} is not a DNS name or an IP address")]
    ServerName(String),
}

/// Connects to one server over TLS, presenting a client certificate where it has one.
#[derive(Clone)]
pub struct TlsClient {
    connector: TlsConnector,
    server_name: ServerName<'static>,
}

impl std::fmt::Debug for TlsClient {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("TlsClient")
            .field("server_name", &self.server_name)
            .finish_non_exhaustive()
    }
}

impl TlsClient {
    /// Trusts the certificates in the PEM file `ca` (and only those) for `endpoint` (`host:port`,
    /// whose host the server's certificate must name), and presents the certificate chain in
    /// `cert` with the private key in `key`.
    pub fn mutual(
        ca: &Path,
        cert: &Path,
        key: &Path,
        endpoint: &str,
    ) -> Result<Self, TlsSetupError> {
        let key = PrivateKeyDer::from_pem_file(key).map_err(|error| pem_error(key, error))?;
        let config = builder(ca)?
            .with_client_auth_cert(certificates(cert)?, key)
            .map_err(|error| rustls_error(cert, error))?;
        Self::new(config, endpoint)
    }

    /// Trusts the certificates in the PEM file `ca` (and only those) for `endpoint`, presenting
    /// no certificate of its own.
    pub fn trusting(ca: &Path, endpoint: &str) -> Result<Self, TlsSetupError> {
        Self::new(builder(ca)?.with_no_client_auth(), endpoint)
    }

    fn new(config: rustls::ClientConfig, endpoint: &str) -> Result<Self, TlsSetupError> {
        let host = endpoint
            .rsplit_once(':')
            .map_or(endpoint, |(host, _)| host)
            .trim_start_matches('[')
            .trim_end_matches(']');
        let server_name = ServerName::try_from(host.to_owned())
            .map_err(|_| TlsSetupError::ServerName(host.to_owned()))?;
        Ok(Self {
            connector: TlsConnector::from(Arc::new(config)),
            server_name,
        })
    }

    /// The TLS session over `stream`, once both sides accepted each other's certificates.
    pub async fn connect(&self, stream: TcpStream) -> std::io::Result<TlsStream<TcpStream>> {
        self.connector
            .connect(self.server_name.clone(), stream)
            .await
    }
}

/// A client configuration trusting the certificates in the PEM file `ca`, and only those.
fn builder(
    ca: &Path,
) -> Result<
    rustls::ConfigBuilder<rustls::ClientConfig, rustls::client::WantsClientCert>,
    TlsSetupError,
> {
    let mut roots = rustls::RootCertStore::empty();
    for certificate in certificates(ca)? {
        roots
            .add(certificate)
            .map_err(|error| rustls_error(ca, error))?;
    }
    #[expect(
        deprecated,
        reason = "ring, not aws-lc-rs: the tree already builds ring, and a hop inside the \
                  cluster needs no post-quantum key exchange"
    )]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| rustls_error(ca, error))?
        .with_root_certificates(roots))
}

/// Every certificate in the PEM file at `path`; at least one.
fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let certificates = CertificateDer::pem_file_iter(path)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|error| pem_error(path, error))?;
    match certificates.is_empty() {
        true => Err(TlsSetupError::NoCertificate(path.display().to_string())),
        false => Ok(certificates),
    }
}

fn pem_error(path: &Path, error: rustls::pki_types::pem::Error) -> TlsSetupError {
    TlsSetupError::Pem {
        path: path.display().to_string(),
        error,
    }
}

fn rustls_error(path: &Path, error: impl Into<rustls::Error>) -> TlsSetupError {
    TlsSetupError::Rustls {
        path: path.display().to_string(),
        error: error.into(),
    }
}
