//! Certificates made for a test, and the TLS server side of a stand-in (agones-allocator, the
//! Kubernetes API): an authority issues server and client certificates; an acceptor presents one
//! and, when given a client authority, admits only clients it issued.

use http_body_util::Full;
use hyper::body::Bytes;
use rcgen::{BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, KeyPair};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use std::sync::Arc;

/// A certificate authority of the test.
pub struct Authority {
    certificate: rcgen::Certificate,
    key: KeyPair,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Authority").finish_non_exhaustive()
    }
}

impl Default for Authority {
    fn default() -> Self {
        Self::new()
    }
}

impl Authority {
    pub fn new() -> Self {
        let key = KeyPair::generate().expect("a key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let certificate = params.self_signed(&key).expect("a CA certificate");
        Self { certificate, key }
    }

    /// A server certificate for `names` (certificate PEM, key PEM).
    pub fn server(&self, names: &[&str]) -> (String, String) {
        self.issue(names, ExtendedKeyUsagePurpose::ServerAuth)
    }

    /// A client certificate (certificate PEM, key PEM).
    pub fn client(&self) -> (String, String) {
        self.issue(&["client"], ExtendedKeyUsagePurpose::ClientAuth)
    }

    fn issue(&self, names: &[&str], usage: ExtendedKeyUsagePurpose) -> (String, String) {
        let key = KeyPair::generate().expect("a key");
        let names: Vec<String> = names.iter().map(|name| (*name).to_owned()).collect();
        let mut params = CertificateParams::new(names).expect("params");
        params.extended_key_usages = vec![usage];
        let certificate = params
            .signed_by(&key, &self.certificate, &self.key)
            .expect("a certificate");
        (certificate.pem(), key.serialize_pem())
    }

    /// The authority's own certificate, PEM: what a client or server is told to trust.
    pub fn pem(&self) -> String {
        self.certificate.pem()
    }
}

/// A TLS acceptor presenting `server` (certificate PEM, key PEM); with `clients`, it asks for a
/// client certificate and admits only those `clients` issued.
pub fn acceptor(
    server: &(String, String),
    clients: Option<&Authority>,
) -> tokio_rustls::TlsAcceptor {
    #[expect(
        deprecated,
        reason = "the ring provider, as the server's own TLS client uses"
    )]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("versions");
    let builder = match clients {
        None => builder.with_no_client_auth(),
        Some(clients) => {
            let mut roots = rustls::RootCertStore::empty();
            roots
                .add(CertificateDer::from_pem_slice(clients.pem().as_bytes()).expect("CA PEM"))
                .expect("a root");
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .expect("a client verifier");
            builder.with_client_cert_verifier(verifier)
        }
    };
    let chain = vec![CertificateDer::from_pem_slice(server.0.as_bytes()).expect("cert PEM")];
    let key = PrivateKeyDer::from_pem_slice(server.1.as_bytes()).expect("key PEM");
    let config = builder
        .with_single_cert(chain, key)
        .expect("a server config");
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

/// Serves HTTP/1.1 over TLS with `handle` on a loopback port, on `runtime`; its address. A client
/// the acceptor refuses gets no answer.
pub fn serve<Handle, Answer>(
    runtime: &tokio::runtime::Runtime,
    acceptor: tokio_rustls::TlsAcceptor,
    handle: Handle,
) -> std::net::SocketAddr
where
    Handle: Fn(hyper::Request<hyper::body::Incoming>) -> Answer + Clone + Send + Sync + 'static,
    Answer: Future<Output = hyper::Response<Full<Bytes>>> + Send + 'static,
{
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("a loopback port");
    let address = listener.local_addr().expect("bound");
    runtime.spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, handle) = (acceptor.clone(), handle.clone());
            tokio::spawn(async move {
                let Ok(stream) = acceptor.accept(stream).await else {
                    return;
                };
                let service = hyper::service::service_fn(move |request| {
                    let answer = handle(request);
                    async move { Ok::<_, std::convert::Infallible>(answer.await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    address
}
