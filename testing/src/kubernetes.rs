//! A stand-in for the Kubernetes API's Leases (`coordination.k8s.io/v1`), over TLS with a bearer
//! token, as a pod reaches the API: get, create (409 if it exists), and replace only over the
//! version last written (`metadata.resourceVersion`, else 409), which is what makes two nodes'
//! takeovers exclusive. Plus the service account's files a server is pointed at.

use crate::tls::{Authority, acceptor, serve};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, StatusCode};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The token the stand-in accepts.
pub const TOKEN: &str = "service-account-token";
/// The namespace of the service account.
pub const NAMESPACE: &str = "arbiter";

/// What the stand-in holds: Leases by name, each with its version.
#[derive(Debug, Default)]
pub struct Leases {
    leases: std::collections::BTreeMap<String, (u64, Value)>,
    version: u64,
    /// Every write it accepted: (lease, holder, term).
    pub writes: Vec<(String, String, u64)>,
    /// Requests refused for their token.
    pub unauthorized: usize,
}

impl Leases {
    /// The holder and term of lease `name`, if it exists.
    pub fn holder(&self, name: &str) -> Option<(String, u64)> {
        self.leases.get(name).map(|(_, lease)| {
            (
                lease["spec"]["holderIdentity"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned(),
                lease["spec"]["leaseTransitions"].as_u64().unwrap_or(0),
            )
        })
    }
}

/// The stand-in, running.
#[derive(Debug, Clone)]
pub struct KubernetesStandIn {
    pub address: SocketAddr,
    pub leases: Arc<Mutex<Leases>>,
}

impl KubernetesStandIn {
    /// Starts on a loopback port with a certificate for `localhost` from `authority`, and writes
    /// the service account's files (`token`, `ca.crt`, `namespace`) into `credentials`.
    pub fn start(
        runtime: &tokio::runtime::Runtime,
        authority: &Authority,
        credentials: &Path,
    ) -> Self {
        for (file, text) in [
            ("token", format!("{TOKEN}\n")),
            ("ca.crt", authority.pem()),
            ("namespace", NAMESPACE.to_owned()),
        ] {
            std::fs::write(credentials.join(file), text).expect("credentials written");
        }
        let leases = Arc::new(Mutex::new(Leases::default()));
        let state = leases.clone();
        let server = authority.server(&["localhost"]);
        let address = serve(runtime, acceptor(&server, None), move |request| {
            answer(request, state.clone())
        });
        Self { address, leases }
    }

    /// `host:port` as a server names it (the certificate's name).
    pub fn endpoint(&self) -> String {
        format!("localhost:{}", self.address.port())
    }

    pub fn leases(&self) -> std::sync::MutexGuard<'_, Leases> {
        self.leases.lock().expect("not poisoned")
    }
}

async fn answer(
    request: hyper::Request<hyper::body::Incoming>,
    leases: Arc<Mutex<Leases>>,
) -> hyper::Response<Full<Bytes>> {
    let authorized = request
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .is_some_and(|value| value.as_bytes() == format!("Bearer {TOKEN}").as_bytes());
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let body = request
        .into_body()
        .collect()
        .await
        .map(|body| body.to_bytes())
        .unwrap_or_default();
    let mut leases = leases.lock().expect("not poisoned");
    if !authorized {
        leases.unauthorized += 1;
        return status(StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    let collection = format!("/apis/coordination.k8s.io/v1/namespaces/{NAMESPACE}/leases");
    let Some(rest) = path.strip_prefix(&collection) else {
        return status(StatusCode::NOT_FOUND, "NotFound");
    };
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    match (method, rest.strip_prefix('/')) {
        (Method::GET, Some(name)) => match leases.leases.get(name) {
            Some((_, lease)) => ok(StatusCode::OK, lease),
            None => status(StatusCode::NOT_FOUND, "NotFound"),
        },
        (Method::POST, None) => {
            let name = body["metadata"]["name"].as_str().unwrap_or("").to_owned();
            if leases.leases.contains_key(&name) {
                return status(StatusCode::CONFLICT, "AlreadyExists");
            }
            store(&mut leases, name, body, StatusCode::CREATED)
        }
        (Method::PUT, Some(name)) => {
            let Some((version, _)) = leases.leases.get(name) else {
                return status(StatusCode::NOT_FOUND, "NotFound");
            };
            if body["metadata"]["resourceVersion"].as_str() != Some(&version.to_string()) {
                return status(StatusCode::CONFLICT, "Conflict");
            }
            store(&mut leases, name.to_owned(), body, StatusCode::OK)
        }
        _ => status(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed"),
    }
}

/// Keeps `lease` under a new version and answers it.
fn store(
    leases: &mut Leases,
    name: String,
    mut lease: Value,
    code: StatusCode,
) -> hyper::Response<Full<Bytes>> {
    leases.version += 1;
    lease["metadata"]["resourceVersion"] = json!(leases.version.to_string());
    let holder = lease["spec"]["holderIdentity"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    let term = lease["spec"]["leaseTransitions"].as_u64().unwrap_or(0);
    leases.writes.push((name.clone(), holder, term));
    let answer = ok(code, &lease);
    leases.leases.insert(name, (leases.version, lease));
    answer
}

fn ok(code: StatusCode, body: &Value) -> hyper::Response<Full<Bytes>> {
    let mut response = hyper::Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = code;
    response
}

/// A Kubernetes `Status` answer.
fn status(code: StatusCode, reason: &str) -> hyper::Response<Full<Bytes>> {
    ok(
        code,
        &json!({ "kind": "Status", "status": "Failure", "reason": reason, "code": code.as_u16() }),
    )
}
