//! One matchmaker leads at a time (registry mode): a lease in Redis, renewed well before it lapses.
//! Each new leadership has a higher epoch, which fences the claims it makes (see [`super`]).

use super::{Fleet, FleetError, millis};
use redis::Script;
use std::sync::LazyLock;
use std::time::Duration;

static LEAD: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("scripts/lead.lua")));
static RESIGN: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("scripts/resign.lua")));

/// A leadership term: claims made with it are accepted only while it is the current one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Epoch(pub u64);

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

    /// Gives the lease up at once (a clean shutdown), if `node` still holds it in `epoch`.
    pub async fn resign(&self, node: &str, epoch: Epoch) -> Result<bool, FleetError> {
        let mut invocation = RESIGN.prepare_invoke();
        invocation.arg(self.prefix()).arg(epoch.0).arg(node);
        let resigned: u8 = self.link().script(&invocation).await?;
        Ok(resigned == 1)
    }
}
