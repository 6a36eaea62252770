//! Per-client limits: a client whose messages keep breaking the rules is kicked with a reason.

use super::transport::GameServer;
use crate::settings::NetSettings;
use crate::telemetry::metrics::MESSAGES_DROPPED_TOTAL;
use arbiter_components::protocol::KickReason;
use arbiter_components::session::Session;
use arbiter_components::tick::{ServerTick, TickRate};
use bevy_ecs::component::Component;
use bevy_ecs::system::{Query, Res, ResMut};

/// What a connection did wrong in the current window.
#[derive(Component, Debug, Clone, Default, PartialEq, Eq)]
pub struct Abuse {
    window_started_tick: u64,
    /// Messages over the per-tick rate or size limit.
    flooding: u32,
    /// Messages that did not decode or held out-of-range values.
    malformed: u32,
}

/// One broken rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    OverRateLimit,
    Oversized,
    Malformed,
    WrongChannel,
}

impl Violation {
    const ALL: [Violation; 4] = [
        Violation::OverRateLimit,
        Violation::Oversized,
        Violation::Malformed,
        Violation::WrongChannel,
    ];

    /// Each violation's series of dropped messages exists from the start (at 0), for dashboards.
    pub(super) fn count_from_zero() {
        for violation in Self::ALL {
            metrics::counter!(MESSAGES_DROPPED_TOTAL, "reason" => violation.label()).increment(0);
        }
    }

    fn label(self) -> &'static str {
        match self {
            Violation::OverRateLimit => "rate_limited",
            Violation::Oversized => "oversized",
            Violation::Malformed => "malformed",
            Violation::WrongChannel => "wrong_channel",
        }
    }
}

impl Abuse {
    /// Counts a violation and the message it dropped.
    pub fn record(&mut self, violation: Violation) {
        metrics::counter!(MESSAGES_DROPPED_TOTAL, "reason" => violation.label()).increment(1);
        match violation {
            Violation::OverRateLimit | Violation::Oversized => self.flooding += 1,
            Violation::Malformed | Violation::WrongChannel => self.malformed += 1,
        }
    }

    fn total(&self) -> u32 {
        self.flooding + self.malformed
    }
}

/// Kicks clients over `max_violations_per_window`; starts a fresh window every `abuse_window_secs`.
pub(super) fn enforce_abuse_limits(
    mut server: ResMut<GameServer>,
    tick: Res<ServerTick>,
    net: Res<NetSettings>,
    rate: Res<TickRate>,
    mut clients: Query<(&Session, &mut Abuse)>,
) {
    let window_ticks = rate.ticks_in_secs(net.abuse_window_secs);
    for (session, mut abuse) in &mut clients {
        if abuse.total() > net.max_violations_per_window {
            let reason = if abuse.flooding >= abuse.malformed {
                KickReason::Flooding
            } else {
                KickReason::Malformed
            };
            server.kick(session.client_id, reason);
            *abuse = Abuse {
                window_started_tick: tick.get(),
                ..Abuse::default()
            };
        } else if tick.get().saturating_sub(abuse.window_started_tick) >= window_ticks {
            *abuse = Abuse {
                window_started_tick: tick.get(),
                ..Abuse::default()
            };
        }
    }
}
