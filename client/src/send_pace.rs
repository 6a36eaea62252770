//! When a client's renet packets go out: at every flush that has something to carry or to
//! acknowledge, and while idle (a lobby) about every [`IDLE_SEND_INTERVAL`] — see there why not
//! more often.

use crate::netcode::random_bytes;
use arbiter_components::protocol::IDLE_SEND_INTERVAL;
use renet::{ChannelConfig, ConnectionConfig, RenetClient, SendType};
use std::time::Duration;

/// An idle client sends its acks at least this much before netcode's keep-alive would be due
/// (which it then replaces), so an idle connection sends one datagram per interval, not two.
const BEFORE_KEEP_ALIVE: Duration = Duration::from_millis(20);

#[derive(Debug)]
pub(crate) struct SendPace {
    /// A message was queued since the last send.
    queued: bool,
    /// A reliable message arrived since the last send: its ack goes out at the next flush, so the
    /// server does not resend it. An unreliable one (a snapshot, a pong) is acknowledged with
    /// whatever goes out next: nothing is resent for want of its ack, and an idle client (a lobby
    /// that pings) would otherwise send a datagram of acks for every pong.
    heard: bool,
    /// The client's reliable channels and their memory: less free means a message awaits its ack.
    reliable: Vec<(u8, usize)>,
    /// A reliable message may still await its ack: set when one is queued, cleared once renet's
    /// reliable channels all have their memory free again. Until then renet is not asked (in
    /// play most frames queue nothing on renet, and its channels are cold memory by then).
    awaiting_ack: bool,
    /// The server's reliable channels: what arrives on them is acknowledged at once.
    reliable_incoming: Vec<u8>,
    /// How long this idle stretch lasts: between three quarters of the interval and the whole of
    /// it, drawn anew after each send. Clients that connected together (a lobby after a restart)
    /// would otherwise send in the same tick, every interval, for as long as they stay.
    idle_for: Duration,
    /// State of the draw (xorshift64; seeded from the system's random source).
    seed: u64,
}

impl SendPace {
    pub(crate) fn new(config: &ConnectionConfig) -> Self {
        let reliable = reliable_channels(&config.client_channels_config)
            .map(|channel| (channel.channel_id, channel.max_memory_usage_bytes))
            .collect();
        let reliable_incoming = reliable_channels(&config.server_channels_config)
            .map(|channel| channel.channel_id)
            .collect();
        let mut pace = Self {
            queued: false,
            heard: false,
            reliable,
            awaiting_ack: false,
            reliable_incoming,
            idle_for: IDLE_SEND_INTERVAL,
            // xorshift's state must not be zero.
            seed: u64::from_le_bytes(random_bytes()) | 1,
        };
        pace.draw_idle_stretch();
        pace
    }

    pub(crate) fn queued(&mut self) {
        self.queued = true;
        self.awaiting_ack = true;
    }

    /// A message arrived on `channel`: a reliable one is acknowledged at the next flush.
    pub(crate) fn arrived(&mut self, channel: u8) {
        self.heard |= self.reliable_incoming.contains(&channel);
    }

    /// Whether to send now, the connection having sent nothing for `quiet`: something was
    /// queued or arrived to be acknowledged, a reliable message awaits its ack (renet resends it
    /// on its channel's schedule, which needs a send each frame), or it was quiet long enough.
    pub(crate) fn due(&mut self, quiet: Option<Duration>, renet: &RenetClient) -> bool {
        if self.awaiting_ack && !self.queued {
            self.awaiting_ack = self
                .reliable
                .iter()
                .any(|&(channel, memory)| renet.channel_available_memory(channel) < memory);
        }
        self.queued
            || self.heard
            || self.awaiting_ack
            || quiet.is_none_or(|quiet| quiet + BEFORE_KEEP_ALIVE >= self.idle_for)
    }

    pub(crate) fn sent(&mut self) {
        self.queued = false;
        self.heard = false;
        self.draw_idle_stretch();
    }

    fn draw_idle_stretch(&mut self) {
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        let quarter = IDLE_SEND_INTERVAL / 4;
        let share = (self.seed >> 11) as f64 / (1u64 << 53) as f64;
        self.idle_for = IDLE_SEND_INTERVAL - quarter.mul_f64(share);
    }
}

/// The channels renet resends on until they are acknowledged.
fn reliable_channels(channels: &[ChannelConfig]) -> impl Iterator<Item = &ChannelConfig> {
    channels.iter().filter(|channel| {
        matches!(
            channel.send_type,
            SendType::ReliableOrdered { .. } | SendType::ReliableUnordered { .. }
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arbiter_components::protocol::{ClientChannel, ServerChannel, connection_config};

    #[test]
    fn idle_stretches_vary_between_three_quarters_and_the_whole_interval() {
        let mut pace = SendPace::new(&connection_config(1024));
        let stretches: Vec<Duration> = (0..200)
            .map(|_| {
                pace.sent();
                pace.idle_for
            })
            .collect();
        assert!(stretches.iter().all(|stretch| {
            *stretch >= IDLE_SEND_INTERVAL * 3 / 4 && *stretch <= IDLE_SEND_INTERVAL
        }));
        let (shortest, longest) = (
            stretches.iter().min().copied(),
            stretches.iter().max().copied(),
        );
        assert!(
            longest
                .zip(shortest)
                .is_some_and(|(longest, shortest)| { longest - shortest > IDLE_SEND_INTERVAL / 8 }),
            "the stretches spread over the quarter: {shortest:?} to {longest:?}"
        );
    }

    /// How long ago a pace made by [`right_after_a_send`] sent.
    const JUST_SENT: Duration = Duration::from_millis(10);

    /// A pace that has just sent, and the renet connection it paces.
    fn right_after_a_send() -> (SendPace, RenetClient) {
        let mut pace = SendPace::new(&connection_config(1024));
        pace.sent();
        (pace, RenetClient::new(connection_config(1024)))
    }

    #[test]
    fn a_message_heard_is_acknowledged_at_the_next_flush_and_then_the_pace_is_idle() {
        let (mut pace, renet) = right_after_a_send();
        let just_sent = Some(JUST_SENT);
        assert!(!pace.due(just_sent, &renet), "idle right after a send");
        pace.arrived(ServerChannel::Event.into());
        assert!(pace.due(just_sent, &renet), "an arrival is acknowledged");
        pace.sent();
        assert!(!pace.due(just_sent, &renet));
        assert!(
            pace.due(Some(IDLE_SEND_INTERVAL), &renet),
            "a whole interval"
        );
    }

    #[test]
    fn an_unreliable_arrival_waits_for_the_next_send_and_a_reliable_one_does_not() {
        let (mut pace, renet) = right_after_a_send();
        let just_sent = Some(JUST_SENT);
        pace.arrived(ServerChannel::Snapshot.into());
        assert!(
            !pace.due(just_sent, &renet),
            "a snapshot or a pong is not resent"
        );
        pace.arrived(ServerChannel::Event.into());
        assert!(
            pace.due(just_sent, &renet),
            "an event is, until acknowledged"
        );
    }

    #[test]
    fn a_reliable_message_keeps_the_pace_due_until_acknowledged_and_then_renet_is_not_asked() {
        let (mut pace, mut renet) = right_after_a_send();
        let just_sent = Some(JUST_SENT);
        renet.send_message(ClientChannel::Command, vec![1]);
        pace.queued();
        assert!(pace.due(just_sent, &renet));
        pace.sent();
        assert!(
            pace.due(just_sent, &renet),
            "sent, not acknowledged: renet resends it"
        );
        // A connection that holds nothing stands for this one once the ack came.
        let acknowledged = RenetClient::new(connection_config(1024));
        assert!(!pace.due(just_sent, &acknowledged));
        assert!(
            !pace.due(just_sent, &renet),
            "renet is asked again only once something is queued"
        );
    }
}
