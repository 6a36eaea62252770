//! The renet channels: which messages travel reliably and which may be lost.

use core::time::Duration;
use renet::{ChannelConfig, ConnectionConfig, SendType};

/// Resend interval of the server's reliable channel; short, as game events matter more than bandwidth.
const RELIABLE_RESEND: Duration = Duration::from_millis(200);
/// Resend interval of the client's commands: about one frame, so every unacknowledged command rides
/// again in each packet until the server acknowledges it. A lost `Fire` then costs one frame, not a
/// 200 ms wait that also holds back every command behind it — the delay and bunching that made
/// honest shots look late (`bad_tick`) or fast (`too_fast`) on lossy links. Commands are few and
/// small; the copies cost a few hundred bytes a second.
const COMMAND_RESEND: Duration = Duration::from_millis(15);

/// How often an idle client sends its renet packets (acks). renet acknowledges every packet, acks
/// included, so two idle peers sending whenever an ack is pending would trade datagrams every tick
/// forever. So a client sends at once only what carries a message, or acknowledges one it
/// received, or while its own reliable message awaits an ack; otherwise about this often (netcode's
/// keep-alives at the same pace). The server answers a datagram only when it carried more than
/// acks. An idle player (a lobby) then costs about one datagram a second each way, and a
/// matchmaker holds thousands; waiting here never delays a message.
pub const IDLE_SEND_INTERVAL: Duration = Duration::from_secs(1);

/// Channels from client to server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ClientChannel {
    /// `Input`: unreliable; a lost input is superseded by the next one.
    Input = 0,
    /// Everything else (`Fire`, `JoinQueue`, `LeaveQueue`, `Ping`): reliable, ordered.
    Command = 1,
}

/// Channels from server to client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ServerChannel {
    /// `Snapshot`, `DeltaSnapshot`, `Pong`: unreliable; a lost snapshot is superseded by the next
    /// one, a lost pong by the next ping's.
    Snapshot = 0,
    /// Everything else: reliable, ordered.
    Event = 1,
}

impl ClientChannel {
    pub const ALL: [ClientChannel; 2] = [ClientChannel::Input, ClientChannel::Command];
}

impl ServerChannel {
    pub const ALL: [ServerChannel; 2] = [ServerChannel::Snapshot, ServerChannel::Event];
}

impl From<ClientChannel> for u8 {
    fn from(channel: ClientChannel) -> u8 {
        channel as u8
    }
}

impl From<ServerChannel> for u8 {
    fn from(channel: ServerChannel) -> u8 {
        channel as u8
    }
}

/// Channel configuration shared by server and clients. `send_budget_bytes_per_tick` caps what one
/// connection may send per update, in bytes.
pub fn connection_config(send_budget_bytes_per_tick: u64) -> ConnectionConfig {
    ConnectionConfig {
        available_bytes_per_tick: send_budget_bytes_per_tick,
        client_channels_config: vec![
            channel(ClientChannel::Input.into(), SendType::Unreliable, 64 * 1024),
            channel(
                ClientChannel::Command.into(),
                SendType::ReliableOrdered {
                    resend_time: COMMAND_RESEND,
                },
                256 * 1024,
            ),
        ],
        server_channels_config: vec![
            channel(
                ServerChannel::Snapshot.into(),
                SendType::Unreliable,
                1024 * 1024,
            ),
            channel(
                ServerChannel::Event.into(),
                SendType::ReliableOrdered {
                    resend_time: RELIABLE_RESEND,
                },
                1024 * 1024,
            ),
        ],
    }
}

fn channel(channel_id: u8, send_type: SendType, max_memory_usage_bytes: usize) -> ChannelConfig {
    ChannelConfig {
        channel_id,
        max_memory_usage_bytes,
        send_type,
    }
}
