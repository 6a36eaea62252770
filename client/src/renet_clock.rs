//! renet's clock brought up to date only when a connection is used: its `update` only adds the
//! time and drops what aged out, so one late call with the sum does what one call a frame (or a
//! tick) would. A player in play sends and receives outside renet every frame; renet is touched
//! only for commands and events.

use renet::RenetClient;
use std::time::Duration;

/// Advances `renet`, last brought up to `clock`, to `now`.
pub fn catch_up(renet: &mut RenetClient, clock: &mut Duration, now: Duration) {
    let behind = now.saturating_sub(*clock);
    if !behind.is_zero() {
        renet.update(behind);
        *clock = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arbiter_components::protocol::{ClientChannel, connection_config};

    #[test]
    fn one_late_catch_up_resends_an_unacknowledged_message_as_frame_by_frame_updates_would() {
        let mut renet = RenetClient::new(connection_config(16 * 1024));
        renet.set_connected();
        renet.send_message(ClientChannel::Command, vec![1]);
        assert!(!renet.get_packets_to_send().is_empty(), "first send");
        let mut clock = Duration::ZERO;
        catch_up(&mut renet, &mut clock, Duration::from_millis(5));
        assert!(renet.get_packets_to_send().is_empty(), "not due yet");
        catch_up(&mut renet, &mut clock, Duration::from_secs(1));
        assert_eq!(clock, Duration::from_secs(1));
        assert!(!renet.get_packets_to_send().is_empty(), "resent once due");
        catch_up(&mut renet, &mut clock, Duration::from_millis(10));
        assert_eq!(clock, Duration::from_secs(1), "a clock never goes back");
    }
}
