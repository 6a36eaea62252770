//! When a client's renet packets go out: at every flush that has something to carry, and while
//! idle (a lobby) about every [`IDLE_SEND_INTERVAL`] — see there why not more often.

use arbiter_components::protocol::IDLE_SEND_INTERVAL;
use renet::{ConnectionConfig, RenetClient, SendType};
use std::time::Duration;

/// An idle client sends its acks this much before netcode's keep-alive would be due (which it
/// then replaces), so an idle connection sends one datagram per interval, not two.
const BEFORE_KEEP_ALIVE: Duration = Duration::from_millis(20);

#[derive(Debug)]
pub(crate) struct SendPace {
    /// A message was queued since the last send.
    queued: bool,
    /// The reliable channels and their memory: less free means a message awaits its ack.
    reliable: Vec<(u8, usize)>,
}

impl SendPace {
    pub(crate) fn new(config: &ConnectionConfig) -> Self {
        let reliable = config
            .client_channels_config
            .iter()
            .filter(|channel| {
                matches!(
                    channel.send_type,
                    SendType::ReliableOrdered { .. } | SendType::ReliableUnordered { .. }
                )
            })
            .map(|channel| (channel.channel_id, channel.max_memory_usage_bytes))
            .collect();
        Self {
            queued: false,
            reliable,
        }
    }

    pub(crate) fn queued(&mut self) {
        self.queued = true;
    }

    /// Whether to send now, the connection having sent nothing for `quiet`: something was
    /// queued, a reliable message awaits its ack (renet resends it on its channel's schedule,
    /// which needs a send each frame), or it was quiet long enough.
    pub(crate) fn due(&self, quiet: Option<Duration>, renet: &RenetClient) -> bool {
        self.queued
            || self
                .reliable
                .iter()
                .any(|&(channel, memory)| renet.channel_available_memory(channel) < memory)
            || quiet.is_none_or(|quiet| quiet + BEFORE_KEEP_ALIVE >= IDLE_SEND_INTERVAL)
    }

    pub(crate) fn sent(&mut self) {
        self.queued = false;
    }
}
