//! agones-allocator's mutual TLS, against a stand-in that asks for a client certificate as the
//! allocator does by default (its own CA for its server certificate, another for its clients).
//! The matchmaker's allocation goes through with the right files and is refused, with no request
//! answered, with a client certificate from elsewhere, with a server it was not told to trust, and
//! over plain HTTP.

use arbiter::fleet::agones::Allocator;
use arbiter::fleet::agones::allocator::AllocatorError;
use arbiter::fleet::http::HttpError;
use arbiter::fleet::tls::{TlsClient, TlsSetupError};
use arbiter_testing::tls::{Authority, acceptor, serve};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the stand-in saw: the allocation requests it answered.
type Answered = Arc<Mutex<Vec<Value>>>;

/// The stand-in on a loopback port: TLS with the server certificate `server`, admitting only
/// clients whose certificate `client_ca` issued; answers `POST /gameserverallocation` with a game
/// server at 127.0.0.1:7777.
fn stand_in(
    runtime: &tokio::runtime::Runtime,
    server: (String, String),
    client_ca: &Authority,
    answered: Answered,
) -> SocketAddr {
    serve(
        runtime,
        acceptor(&server, Some(client_ca)),
        move |request| allocate(request, answered.clone()),
    )
}

async fn allocate(
    request: hyper::Request<hyper::body::Incoming>,
    answered: Answered,
) -> hyper::Response<Full<Bytes>> {
    assert_eq!(request.uri().path(), "/gameserverallocation");
    let body = request
        .into_body()
        .collect()
        .await
        .expect("a request body")
        .to_bytes();
    let body: Value = serde_json::from_slice(&body).expect("a JSON request");
    answered.lock().expect("not poisoned").push(body);
    let allocation = json!({
        "gameServerName": "arbiter-game-x1",
        "address": "127.0.0.1",
        "ports": [{ "name": "game", "port": 7777 }],
    });
    hyper::Response::new(Full::new(Bytes::from(allocation.to_string())))
}

/// Writes `text` to `name` in `dir`.
fn file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("written");
    path
}

fn allocator(endpoint: String, tls: Option<TlsClient>) -> Allocator {
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
    let server = server_ca.server(&["localhost"]);
    let port = stand_in(&runtime, server, &client_ca, answered.clone()).port();
    let endpoint = format!("localhost:{port}");
    let ca_file = file(dir.path(), "ca.pem", &server_ca.pem());
    let (cert, key) = client_ca.client();
    let (cert_file, key_file) = (
        file(dir.path(), "client.pem", &cert),
        file(dir.path(), "client.key", &key),
    );
    let allocate = |tls: Option<TlsClient>| {
        runtime.block_on(allocator(endpoint.clone(), tls).allocate(
            42,
            &["eu"],
            Duration::from_secs(10),
        ))
    };
    let answered_count = || answered.lock().expect("not poisoned").len();

    // The files a matchmaker is given: the allocation goes through.
    let tls = TlsClient::mutual(&ca_file, &cert_file, &key_file, &endpoint).expect("TLS set up");
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
    let (cert, key) = stranger.client();
    let strange = TlsClient::mutual(
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
        TlsClient::mutual(&other_ca, &cert_file, &key_file, &endpoint).expect("TLS set up");
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
    let (cert, key) = authority.client();
    let (cert, key) = (
        file(dir.path(), "client.pem", &cert),
        file(dir.path(), "client.key", &key),
    );
    let missing = dir.path().join("missing.pem");
    let not_pem = file(dir.path(), "notes.txt", "not a certificate\n");
    let endpoint = "agones-allocator.agones-system.svc.cluster.local:443";

    let error = TlsClient::mutual(&missing, &cert, &key, endpoint).expect_err("no CA file");
    assert!(error.to_string().contains("missing.pem"), "{error}");
    let error = TlsClient::mutual(&ca, &not_pem, &key, endpoint).expect_err("no certificate");
    assert!(
        matches!(error, TlsSetupError::NoCertificate(ref path) if path.ends_with("notes.txt")),
        "{error}"
    );
    let error = TlsClient::mutual(&ca, &cert, &not_pem, endpoint).expect_err("no key");
    assert!(error.to_string().contains("notes.txt"), "{error}");
    let error = TlsClient::mutual(&ca, &cert, &key, "bad host!:443").expect_err("a bad host");
    assert!(matches!(error, TlsSetupError::ServerName(_)), "{error}");
    TlsClient::mutual(&ca, &cert, &key, endpoint).expect("the right files");
}
