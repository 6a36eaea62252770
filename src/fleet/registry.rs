//! Game servers without Kubernetes: each reports itself (address, region, capacity in matches, the
//! matches it runs) every heartbeat; a matchmaker reserves a slot on one for a formed match.
//!
//! Free slots = capacity − running − reserved. A reservation waits for the match's players until a
//! deadline and then lapses by itself (the slot is offered again from the server's next report), so
//! a matchmaker that reserves and dies, or players that never arrive, leak nothing; the game server
//! settles a reservation by naming the match in its next
//! report. A server whose heartbeat lapses is dropped at the next allocation that meets it.

use super::{Fleet, FleetError, millis};
use redis::Script;
use std::sync::LazyLock;
use std::time::Duration;

static REPORT: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("scripts/report.lua")));
static ALLOCATE: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("scripts/allocate.lua")));

/// What a game server says about itself each heartbeat.
#[derive(Debug, Clone)]
pub struct ServerReport<'a> {
    /// Unique per process (a restarted server is a new one).
    pub id: &'a str,
    /// Where players connect (UDP), as it goes into their connect tokens.
    pub address: std::net::SocketAddr,
    pub region: &'a str,
    /// Matches it can run at once.
    pub capacity: u32,
    /// The matches it runs now.
    pub running: &'a [u64],
    /// Draining: keep the entry (its matches finish) but take no new match.
    pub draining: bool,
    /// How long the entry lives without another report.
    pub ttl: Duration,
}

/// A slot reserved for a match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    pub server_id: String,
    pub address: std::net::SocketAddr,
}

impl Fleet {
    /// Registers or refreshes a game server; returns its free slots after this report.
    pub async fn report(&self, report: &ServerReport<'_>) -> Result<i64, FleetError> {
        let mut invocation = REPORT.prepare_invoke();
        invocation
            .arg(self.prefix())
            .arg(report.id)
            .arg(report.address.to_string())
            .arg(report.region)
            .arg(report.capacity)
            .arg(millis(report.ttl))
            .arg(u8::from(report.draining));
        for match_id in report.running {
            invocation.arg(match_id);
        }
        Ok(self.link().script(&invocation).await?)
    }

    /// Reserves a slot for `match_id` on the fullest live server with room, trying `regions` in
    /// order; `None` when none has room. The reservation lapses after `deadline` unless the server
    /// reports the match running. Asking again for the same match returns the same server.
    pub async fn allocate(
        &self,
        match_id: u64,
        regions: &[&str],
        deadline: Duration,
    ) -> Result<Option<Allocation>, FleetError> {
        let mut invocation = ALLOCATE.prepare_invoke();
        invocation
            .arg(self.prefix())
            .arg(match_id)
            .arg(millis(deadline));
        for region in regions {
            invocation.arg(*region);
        }
        let reply: Option<(String, String)> = self.link().script(&invocation).await?;
        reply
            .map(|(server_id, address)| {
                let address = address
                    .parse()
                    .map_err(|_| FleetError::Reply(format!("server address {address:?}")))?;
                Ok(Allocation { server_id, address })
            })
            .transpose()
    }
}
