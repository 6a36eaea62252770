//! agones-allocator's mutual TLS, against a stand-in that asks for a client certificate as the
//! allocator does by default (its own CA for its server certificate, another for its clients).
//! The matchmaker's allocation goes through with the right files and is refused, with no request
//! answered, with a client certificate from elsewhere, with a server it was not told to trust, and
//! over plain HTTP.

use arbiter::fleet::agones::Allocator;
use arbiter::fleet::agones::allocator::AllocatorError;
use arbiter::fleet::agones::http::HttpError;
use arbiter::fleet::agones::tls::{MutualTls, TlsSetupError};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use rcgen::{BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, KeyPair};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A certificate authority of the test.
struct Authority {
    certificate: rcgen::Certificate,
    key: KeyPair,
}

impl Authority {
    fn new() -> Self {
        let key = KeyPair::generate().expect("a key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let certificate = params.self_signed(&key).expect("a CA certificate");
        Self { certificate, key }
    }

    /// A certificate for `names` with `usage`, signed here: (certificate PEM, key PEM).
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

    fn pem(&self) -> String {
        self.certificate.pem()
    }
}

/// What the stand-in saw: the allocation requests it answered.
type Answered = Arc<Mutex<Vec<Value>>>;

/// The stand-in on a loopback port: TLS with the server certificate `server` of `server_ca`,
/// admitting only clients whose certificate chains to `client_ca`; answers `POST
/// /gameserverallocation` with a game server at 127.0.0.1:7777.
fn stand_in(
    runtime: &tokio::runtime::Runtime,
    server: (String, String),
    client_ca: &Authority,
    answered: Answered,
) -> SocketAddr {
    #[expect(
        deprecated,
        reason = "the ring provider, as the matchmaker's own TLS uses"
    )]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut clients = rustls::RootCertStore::empty();
    clients
        .add(CertificateDer::from_pem_slice(client_ca.pem().as_bytes()).expect("CA PEM"))
        .expect("a root");
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(clients), provider.clone())
        .build()
        .expect("a client verifier");
    let chain = vec![CertificateDer::from_pem_slice(server.0.as_bytes()).expect("cert PEM")];
    let key = PrivateKeyDer::from_pem_slice(server.1.as_bytes()).expect("key PEM");
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .expect("a server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("a loopback port");
    let address = listener.local_addr().expect("bound");
    runtime.spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, answered) = (acceptor.clone(), answered.clone());
            tokio::spawn(async move {
                // A refused handshake ends here: nothing is answered.
                let Ok(stream) = acceptor.accept(stream).await else {
                    return;
                };
                let service =
                    hyper::service::service_fn(move |request| allocate(request, answered.clone()));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    address
}

async fn allocate(
    request: hyper::Request<hyper::body::Incoming>,
    answered: Answered,
) -> Result<hyper::Response<Full<Bytes>>, hyper::Error> {
    assert_eq!(request.uri().path(), "/gameserverallocation");
    let body = request.into_body().collect().await?.to_bytes();
    let body: Value = serde_json::from_slice(&body).expect("a JSON request");
    answered.lock().expect("not poisoned").push(body);
    let allocation = json!({
        "gameServerName": "arbiter-game-x1",
        "address": "127.0.0.1",
        "ports": [{ "name": "game", "port": 7777 }],
    });
    Ok(hyper::Response::new(Full::new(Bytes::from(
        allocation.to_string(),
    ))))
}

/// Writes `text` to `name` in `dir`.
fn file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("written");
    path
}

fn allocator(endpoint: String, tls: Option<MutualTls>) -> Allocator {
    Allocator {
        endpoint,
        namespace: "default".into(),
        fleet: "arbiter-game".into(),
        counter: "matches".into(),
        tls,
    }
}

#[test]
fn the_allocator_is_reached_over_mutual_tls_and_refused_with_the_wrong_certificates() {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let dir = tempfile::tempdir().expect("a temp dir");
    let (server_ca, client_ca, stranger) = (Authority::new(), Authority::new(), Authority::new());
    let answered = Answered::default();
    let server = server_ca.issue(&["localhost"], ExtendedKeyUsagePurpose::ServerAuth);
    let port = stand_in(&runtime, server, &client_ca, answered.clone()).port();
    let endpoint = format!("localhost:{port}");
    let ca_file = file(dir.path(), "ca.pem", &server_ca.pem());
    let (cert, key) = client_ca.issue(&["matchmaker"], ExtendedKeyUsagePurpose::ClientAuth);
    let (cert_file, key_file) = (
        file(dir.path(), "client.pem", &cert),
        file(dir.path(), "client.key", &key),
    );
    let allocate = |tls: Option<MutualTls>| {
        runtime.block_on(allocator(endpoint.clone(), tls).allocate(
            42,
            &["eu"],
            Duration::from_secs(10),
        ))
    };
    let answered_count = || answered.lock().expect("not poisoned").len();

    // The files a matchmaker is given: the allocation goes through.
    let tls =
        MutualTls::from_files(&ca_file, &cert_file, &key_file, &endpoint).expect("TLS set up");
    let placed = allocate(Some(tls))
        .expect("allocated over mutual TLS")
        .expect("a game server");
    assert_eq!(placed.game_server, "arbiter-game-x1");
    assert_eq!(placed.address, SocketAddr::from(([127, 0, 0, 1], 7777)));
    assert_eq!(answered_count(), 1);
    assert_eq!(
        answered.lock().expect("not poisoned")[0]["namespace"],
        "default"
    );

    // A client certificate from another CA: refused, nothing answered.
    let (cert, key) = stranger.issue(&["matchmaker"], ExtendedKeyUsagePurpose::ClientAuth);
    let strange = MutualTls::from_files(
        &ca_file,
        &file(dir.path(), "stranger.pem", &cert),
        &file(dir.path(), "stranger.key", &key),
        &endpoint,
    )
    .expect("TLS set up");
    let refused = allocate(Some(strange)).expect_err("a client the allocator does not know");
    assert!(
        matches!(
            refused,
            AllocatorError::Http(HttpError::Tls(..) | HttpError::Protocol(_))
        ),
        "{refused}"
    );

    // A server certificate the matchmaker was not told to trust: refused before anything is sent.
    let other_ca = file(dir.path(), "other-ca.pem", &stranger.pem());
    let distrusting =
        MutualTls::from_files(&other_ca, &cert_file, &key_file, &endpoint).expect("TLS set up");
    let refused = allocate(Some(distrusting)).expect_err("an allocator it does not trust");
    assert!(
        matches!(&refused, AllocatorError::Http(HttpError::Tls(_, error)) if error.to_string().contains("certificate")),
        "{refused}"
    );

    // Plain HTTP to a TLS allocator: no answer.
    assert!(allocate(None).is_err());
    assert_eq!(
        answered_count(),
        1,
        "only the mutual-TLS request was answered"
    );
}

#[test]
fn broken_tls_files_are_named_in_the_error() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let authority = Authority::new();
    let ca = file(dir.path(), "ca.pem", &authority.pem());
    let (cert, key) = authority.issue(&["matchmaker"], ExtendedKeyUsagePurpose::ClientAuth);
    let (cert, key) = (
        file(dir.path(), "client.pem", &cert),
        file(dir.path(), "client.key", &key),
    );
    let missing = dir.path().join("missing.pem");
    let not_pem = file(dir.path(), "notes.txt", "not a certificate\n");
    let endpoint = "agones-allocator.agones-system.svc.cluster.local:443";

    let error = MutualTls::from_files(&missing, &cert, &key, endpoint).expect_err("no CA file");
    assert!(error.to_string().contains("missing.pem"), "{error}");
    let error = MutualTls::from_files(&ca, &not_pem, &key, endpoint).expect_err("no certificate");
    assert!(
        matches!(error, TlsSetupError::NoCertificate(ref path) if path.ends_with("notes.txt")),
        "{error}"
    );
    let error = MutualTls::from_files(&ca, &cert, &not_pem, endpoint).expect_err("no key");
    assert!(error.to_string().contains("notes.txt"), "{error}");
    let error = MutualTls::from_files(&ca, &cert, &key, "bad host!:443").expect_err("a bad host");
    assert!(matches!(error, TlsSetupError::ServerName(_)), "{error}");
    MutualTls::from_files(&ca, &cert, &key, endpoint).expect("the right files");
}
