//! One matchmaker leads at a time: a lease in Redis, renewed well before it lapses, or one a
//! Kubernetes Lease chose ([`super::kubernetes::lease`]), recorded in Redis. Each new leadership
//! has a higher epoch, which fences the claims it makes (see [`super`]).

use super::{Fleet, FleetError, millis};
use redis::Script;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

static LEAD: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("scripts/lead.lua")));
static LEAD_AS: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("scripts/lead_as.lua")));
static RESIGN: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("scripts/resign.lua")));

/// A leadership term: claims made with it are accepted only while it is the current one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Epoch(pub u64);

/// Where a matchmaker stands, as its lease task last learnt it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Leading(Epoch),
    /// Another matchmaker holds the lease: this one's clients belong there.
    Following,
    /// Not known: Redis did not answer (or this process never asks, a game server).
    Unknown,
}

/// A matchmaker's standing, shared by its lease task, its placements and its tick.
#[derive(Debug, Clone, Default)]
pub struct Leadership(Arc<AtomicU64>);

/// [`Leadership`]'s encoding: an epoch is never 0 nor `u64::MAX`.
const UNKNOWN: u64 = 0;
const FOLLOWING: u64 = u64::MAX;

impl Leadership {
    pub fn standing(&self) -> Standing {
        decode(self.0.load(Ordering::Relaxed))
    }

    /// Records `standing`; the one it replaces.
    pub fn set(&self, standing: Standing) -> Standing {
        let encoded = match standing {
            Standing::Leading(epoch) => epoch.0,
            Standing::Following => FOLLOWING,
            Standing::Unknown => UNKNOWN,
        };
        decode(self.0.swap(encoded, Ordering::Relaxed))
    }

    /// The epoch this matchmaker leads in, if it leads.
    pub fn epoch(&self) -> Option<Epoch> {
        match self.standing() {
            Standing::Leading(epoch) => Some(epoch),
            Standing::Following | Standing::Unknown => None,
        }
    }
}

fn decode(encoded: u64) -> Standing {
    match encoded {
        UNKNOWN => Standing::Unknown,
        FOLLOWING => Standing::Following,
        epoch => Standing::Leading(Epoch(epoch)),
    }
}

impl Fleet {
    /// Takes the lease if nobody holds it, or renews it if `node` does; the epoch `node` leads in,
    /// or `None` when another node leads. A renewal that returns a different epoch than before
    /// means the lease lapsed in between: work begun in the old epoch will be fenced.
    pub async fn lead(&self, node: &str, lease: Duration) -> Result<Option<Epoch>, FleetError> {
        let mut invocation = LEAD.prepare_invoke();
        invocation.arg(self.prefix()).arg(node).arg(millis(lease));
        let epoch: u64 = self.link().script(&invocation).await?;
        Ok((epoch > 0).then_some(Epoch(epoch)))
    }

    /// Records `node` as the leader a Kubernetes Lease chose in `term`: the epoch it leads in, or
    /// `None` when Redis holds a later term of another node (this node's Lease is stale).
    pub async fn lead_as(
        &self,
        node: &str,
        lease: Duration,
        term: u32,
    ) -> Result<Option<Epoch>, FleetError> {
        let mut invocation = LEAD_AS.prepare_invoke();
        invocation
            .arg(self.prefix())
            .arg(node)
            .arg(millis(lease))
            .arg(term);
        let epoch: u64 = self.link().script(&invocation).await?;
        Ok((epoch > 0).then_some(Epoch(epoch)))
    }

    /// Gives the lease up at once (a clean shutdown), if `node` still holds it in `epoch`.
    pub async fn resign(&self, node: &str, epoch: Epoch) -> Result<bool, FleetError> {
        let mut invocation = RESIGN.prepare_invoke();
        invocation.arg(self.prefix()).arg(epoch.0).arg(node);
        let resigned: u8 = self.link().script(&invocation).await?;
        Ok(resigned == 1)
    }
}
