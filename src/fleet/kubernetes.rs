//! The Kubernetes API as a pod reaches it: at `KUBERNETES_SERVICE_HOST:KUBERNETES_SERVICE_PORT`
//! (set in every pod), over TLS trusting the service account's `ca.crt`, with its token (re-read
//! for each request: the kubelet rotates projected tokens) in the namespace it names. Only what a
//! [`lease`] needs.

pub mod lease;

use super::http::{HttpError, Target, request};
use super::tls::{TlsClient, TlsSetupError};
use hyper::Method;
use hyper::body::Bytes;
use std::path::{Path, PathBuf};

/// Why the API cannot be reached as configured.
#[derive(Debug, thiserror::Error)]
pub enum KubeSetupError {
    #[error(
        "no Kubernetes API address: KUBERNETES_SERVICE_HOST is not set (not in a pod?) and \
         fleet.kubernetes_api is empty"
    )]
    NoAddress,
    #[error("{0}: {1}")]
    Read(String, std::io::Error),
    #[error("{0}")]
    Tls(#[from] TlsSetupError),
}

/// A pod's way to the Kubernetes API.
#[derive(Debug, Clone)]
pub struct KubeApi {
    endpoint: String,
    tls: TlsClient,
    token_file: PathBuf,
    namespace: String,
}

impl KubeApi {
    /// The API at `endpoint` (`host:port`; empty: the pod's environment), with the service
    /// account mounted in `credentials` (`token`, `ca.crt`, `namespace`).
    pub fn in_cluster(endpoint: &str, credentials: &Path) -> Result<Self, KubeSetupError> {
        let endpoint = match endpoint {
            "" => {
                let host = std::env::var("KUBERNETES_SERVICE_HOST")
                    .map_err(|_| KubeSetupError::NoAddress)?;
                let port =
                    std::env::var("KUBERNETES_SERVICE_PORT").unwrap_or_else(|_| "443".to_owned());
                match host.contains(':') {
                    true => format!("[{host}]:{port}"),
                    false => format!("{host}:{port}"),
                }
            }
            given => given.to_owned(),
        };
        let namespace_file = credentials.join("namespace");
        let namespace = std::fs::read_to_string(&namespace_file)
            .map_err(|error| KubeSetupError::Read(namespace_file.display().to_string(), error))?
            .trim()
            .to_owned();
        let tls = TlsClient::trusting(&credentials.join("ca.crt"), &endpoint)?;
        Ok(Self {
            endpoint,
            tls,
            token_file: credentials.join("token"),
            namespace,
        })
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// `method path` with a JSON `body`, as the service account.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
    ) -> Result<Bytes, KubeError> {
        let token = std::fs::read_to_string(&self.token_file)
            .map_err(|error| KubeError::Token(self.token_file.display().to_string(), error))?;
        let target = Target {
            server: &self.endpoint,
            tls: Some(&self.tls),
            bearer: Some(token.trim()),
        };
        Ok(request(target, method, path, body).await?)
    }
}

/// Why a call to the API failed.
#[derive(Debug, thiserror::Error)]
pub enum KubeError {
    #[error("the Kubernetes API: {0}")]
    Http(#[from] HttpError),
    #[error("the service account token {0}: {1}")]
    Token(String, std::io::Error),
    #[error("the Kubernetes API answered unexpectedly: {0}")]
    Json(#[from] serde_json::Error),
}
