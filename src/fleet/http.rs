//! One HTTP/1.1 request on a fresh connection (over TLS, with a client certificate or a bearer
//! token where the server asks for one): all the Agones SDK sidecar, agones-allocator and the
//! Kubernetes API's Leases need here (the sidecar is asked about once a second and may restart;
//! an allocation is one request per match; a Lease, one or two per heartbeat). A fresh connection
//! per request means no pool to go stale when any of them restarts.

use super::tls::TlsClient;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use std::time::Duration;

/// How long one request may take, connection included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

/// Why a request got no usable answer.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("cannot connect to {0}: {1}")]
    Connect(String, std::io::Error),
    #[error("TLS with {0} failed: {1}")]
    Tls(String, std::io::Error),
    #[error("{0}")]
    Protocol(#[from] hyper::Error),
    #[error("no answer within {REQUEST_TIMEOUT:?}")]
    Timeout,
    #[error("answered {status}: {body}")]
    Status { status: StatusCode, body: String },
    #[error("bad request: {0}")]
    Request(#[from] hyper::http::Error),
}

/// Where a request goes: `host:port`, over TLS when given, with a bearer token when given.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub server: &'a str,
    pub tls: Option<&'a TlsClient>,
    pub bearer: Option<&'a str>,
}

impl<'a> Target<'a> {
    /// Plain HTTP, no credentials (the SDK sidecar on localhost).
    pub fn plain(server: &'a str) -> Self {
        Self {
            server,
            tls: None,
            bearer: None,
        }
    }
}

/// Sends `method path` with a JSON `body` to `target`; the answer's body when the status is 2xx.
pub async fn request(
    target: Target<'_>,
    method: Method,
    path: &str,
    body: Option<String>,
) -> Result<Bytes, HttpError> {
    tokio::time::timeout(REQUEST_TIMEOUT, send(target, method, path, body))
        .await
        .map_err(|_| HttpError::Timeout)?
}

async fn send(
    target: Target<'_>,
    method: Method,
    path: &str,
    body: Option<String>,
) -> Result<Bytes, HttpError> {
    let server = target.server;
    let stream = tokio::net::TcpStream::connect(server)
        .await
        .map_err(|error| HttpError::Connect(server.to_owned(), error))?;
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header(hyper::header::HOST, server)
        .header(hyper::header::CONTENT_TYPE, "application/json");
    if let Some(token) = target.bearer {
        request = request.header(hyper::header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let request = request.body(Full::new(Bytes::from(body.unwrap_or_default())))?;
    match target.tls {
        None => exchange(stream, request).await,
        Some(tls) => {
            let stream = tls
                .connect(stream)
                .await
                .map_err(|error| HttpError::Tls(server.to_owned(), error))?;
            exchange(stream, request).await
        }
    }
}

/// One request and its answer on a connection made for it.
async fn exchange<Stream>(stream: Stream, request: Request<Full<Bytes>>) -> Result<Bytes, HttpError>
where
    Stream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let response = sender.send_request(request).await?;
    let status = response.status();
    let bytes = response.into_body().collect().await?.to_bytes();
    if !status.is_success() {
        return Err(HttpError::Status {
            status,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        });
    }
    Ok(bytes)
}
