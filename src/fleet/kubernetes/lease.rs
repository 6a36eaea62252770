//! Leadership through a Kubernetes Lease (`coordination.k8s.io/v1`), as Kubernetes' own
//! controllers elect theirs: the holder renews it; another node takes it once it has lapsed,
//! adding one to `leaseTransitions`, which numbers the terms. Every write names the version it
//! read (`resourceVersion`), so of two nodes that both saw a lapsed lease only one takes it; the
//! other gets a conflict and follows.
//!
//! A lease has lapsed when it has not changed for its duration by this node's own clock, counted
//! from when this node first saw that version, as client-go judges it: no two clocks need agree,
//! and `renewTime` is written for people reading the Lease, not read.

use super::{KubeApi, KubeError};
use crate::fleet::http::HttpError;
use hyper::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A Lease as read: its version and who holds it in which term.
#[derive(Debug, Deserialize)]
struct LeaseJson {
    metadata: Metadata,
    #[serde(default)]
    spec: Spec,
}

#[derive(Debug, Deserialize)]
struct Metadata {
    #[serde(rename = "resourceVersion")]
    resource_version: String,
}

#[derive(Debug, Default, Deserialize)]
struct Spec {
    #[serde(rename = "holderIdentity", default)]
    holder: Option<String>,
    #[serde(rename = "leaseTransitions", default)]
    transitions: Option<u32>,
    #[serde(rename = "acquireTime", default)]
    acquired: Option<String>,
}

/// One node's side of a Lease.
#[derive(Debug)]
pub struct KubeLease {
    api: KubeApi,
    name: String,
    node: String,
    duration: Duration,
    /// The version last seen and when this node first saw it.
    observed: Option<(String, Instant)>,
}

impl KubeLease {
    /// `node`'s side of the Lease `name` in the API's namespace, held for `duration` per renewal.
    pub fn new(api: KubeApi, name: &str, node: &str, duration: Duration) -> Self {
        Self {
            api,
            name: name.to_owned(),
            node: node.to_owned(),
            duration,
            observed: None,
        }
    }

    fn collection(&self) -> String {
        format!(
            "/apis/coordination.k8s.io/v1/namespaces/{}/leases",
            self.api.namespace()
        )
    }

    fn path(&self) -> String {
        format!("{}/{}", self.collection(), self.name)
    }

    /// The Lease with `spec`, replacing `version` (none: a new Lease).
    fn document(&self, version: Option<&str>, spec: serde_json::Value) -> serde_json::Value {
        let mut metadata = json!({ "name": self.name, "namespace": self.api.namespace() });
        if let Some(version) = version {
            metadata["resourceVersion"] = json!(version);
        }
        json!({
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": metadata,
            "spec": spec,
        })
    }

    /// Renews the lease if this node holds it, takes it if it lapsed (or was given up), creates it
    /// if there is none: the term this node holds it in, or `None` while another node does.
    pub async fn try_hold(&mut self) -> Result<Option<u32>, KubeError> {
        let current = match self.api.call(Method::GET, &self.path(), None).await {
            Ok(bytes) => serde_json::from_slice::<LeaseJson>(&bytes)?,
            Err(KubeError::Http(HttpError::Status {
                status: StatusCode::NOT_FOUND,
                ..
            })) => return self.write(None, 0, None).await,
            Err(error) => return Err(error),
        };
        let now = Instant::now();
        let version = current.metadata.resource_version;
        let unchanged_since = match &self.observed {
            Some((seen, since)) if *seen == version => *since,
            _ => now,
        };
        self.observed = Some((version.clone(), unchanged_since));
        let term = current.spec.transitions.unwrap_or(0);
        let holder = current.spec.holder.unwrap_or_default();
        if holder == self.node {
            let acquired = current.spec.acquired;
            return self.write(Some(&version), term, acquired).await;
        }
        let lapsed = holder.is_empty() || now.duration_since(unchanged_since) >= self.duration;
        if !lapsed {
            return Ok(None);
        }
        self.write(Some(&version), term.saturating_add(1), None)
            .await
    }

    /// Writes the lease as held by this node in `term` (over `version`, or creating it), acquired
    /// at `acquired` (now when not given); `None` when another node wrote first.
    async fn write(
        &mut self,
        version: Option<&str>,
        term: u32,
        acquired: Option<String>,
    ) -> Result<Option<u32>, KubeError> {
        let now = micro_time(SystemTime::now());
        let body = self.document(
            version,
            json!({
                "holderIdentity": self.node,
                "leaseDurationSeconds": self.duration.as_secs().max(1),
                "acquireTime": acquired.unwrap_or_else(|| now.clone()),
                "renewTime": now,
                "leaseTransitions": term,
            }),
        );
        let (method, path) = match version {
            Some(_) => (Method::PUT, self.path()),
            None => (Method::POST, self.collection()),
        };
        match self.api.call(method, &path, Some(body.to_string())).await {
            Ok(bytes) => {
                let written: LeaseJson = serde_json::from_slice(&bytes)?;
                self.observed = Some((written.metadata.resource_version, Instant::now()));
                Ok(Some(term))
            }
            Err(KubeError::Http(HttpError::Status {
                status: StatusCode::CONFLICT,
                ..
            })) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Gives the lease up if this node holds it (a clean shutdown): another node takes it at its
    /// next try instead of waiting for it to lapse.
    pub async fn release(&mut self) -> Result<(), KubeError> {
        let bytes = self.api.call(Method::GET, &self.path(), None).await?;
        let current: LeaseJson = serde_json::from_slice(&bytes)?;
        if current.spec.holder.as_deref() != Some(self.node.as_str()) {
            return Ok(());
        }
        let body = self.document(
            Some(&current.metadata.resource_version),
            json!({
                "holderIdentity": "",
                "leaseDurationSeconds": 1,
                "renewTime": micro_time(SystemTime::now()),
                "leaseTransitions": current.spec.transitions.unwrap_or(0),
            }),
        );
        self.api
            .call(Method::PUT, &self.path(), Some(body.to_string()))
            .await?;
        Ok(())
    }
}

/// Kubernetes' `MicroTime`: RFC 3339 in UTC with microseconds (`2026-12-05T05:30:00.000000Z`).
fn micro_time(time: SystemTime) -> String {
    let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since_epoch.as_secs();
    let (days, of_day) = (secs / 86_400, secs % 86_400);
    // Days to a civil date (proleptic Gregorian), after Howard Hinnant's days_from_civil inverse.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        of_day / 3_600,
        of_day / 60 % 60,
        of_day % 60,
        since_epoch.subsec_micros()
    )
}

#[cfg(test)]
mod tests {
    use super::micro_time;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn micro_time_is_rfc_3339_in_utc_with_microseconds() {
        let at = |secs: u64, micros: u64| {
            micro_time(UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_micros(micros))
        };
        assert_eq!(at(0, 0), "1970-01-01T00:00:00.000000Z");
        // 2000-02-29 (a leap day of a century leap year) 23:59:59.
        assert_eq!(at(951_868_799, 7), "2000-02-29T23:59:59.000007Z");
        assert_eq!(at(1_796_448_600, 123_456), "2026-12-05T05:30:00.123456Z");
        assert_eq!(at(4_107_542_400, 0), "2100-03-01T00:00:00.000000Z");
    }
}
