//! Following a fleet: a matchmaker hands the client to a game server with a `Redirect`, the game
//! server hands it back the same way after the match, and each gives it a `Fallback` for when the
//! server it moves to goes silent. [`crate::ArbiterClient`] follows both by itself, so an
//! application — a Rust game, or any engine through the C API — sees a new `Welcome` on the next
//! server and plays on.

use crate::netcode::ConnectToken;
use arbiter_components::protocol::ServerMessage;

#[derive(Debug, Default)]
pub(crate) struct FleetPath {
    /// Where to go if the server goes silent.
    fallback: Option<ConnectToken>,
    redirects: u64,
    fallbacks: u64,
}

impl FleetPath {
    /// Reads what arrived: keeps the newest fallback (dropped at a kick), and returns the server to
    /// move to if a `Redirect` came (the last one, if several). A redirect back to the lobby is
    /// also the way back until the lobby gives its own fallback: its token names every lobby
    /// address, while the game server's fallback (a requeue: the match did not happen) is wrong
    /// once the match ended. Without it, a lobby that dies before it welcomes the player would
    /// leave the client nowhere to go.
    pub(crate) fn observe(&mut self, messages: &[ServerMessage]) -> Option<ConnectToken> {
        let mut move_to = None;
        for message in messages {
            match message {
                ServerMessage::Fallback { token } => {
                    self.fallback = ConnectToken::from_bytes(token).ok();
                }
                ServerMessage::Redirect { match_id, token } => {
                    move_to = ConnectToken::from_bytes(token).ok();
                    if match_id.is_none() {
                        self.fallback.clone_from(&move_to);
                    }
                }
                // Sent away on purpose: going back would only be refused again.
                ServerMessage::Kicked { .. } => self.fallback = None,
                _ => {}
            }
        }
        self.redirects += u64::from(move_to.is_some());
        move_to
    }

    /// The way back after the server went silent, used at most once.
    pub(crate) fn take_fallback(&mut self) -> Option<ConnectToken> {
        let fallback = self.fallback.take();
        self.fallbacks += u64::from(fallback.is_some());
        fallback
    }

    pub(crate) fn redirects(&self) -> u64 {
        self.redirects
    }

    pub(crate) fn fallbacks(&self) -> u64 {
        self.fallbacks
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::insecure_token;
    use std::net::SocketAddr;

    fn token(port: u16) -> Vec<u8> {
        insecure_token(1, SocketAddr::from(([127, 0, 0, 1], port))).to_bytes()
    }

    fn server_of(token: &ConnectToken) -> u16 {
        token.server_addresses[0].port()
    }

    #[test]
    fn the_last_redirect_is_followed_and_back_to_the_lobby_its_token_is_the_fallback() {
        let mut path = FleetPath::default();
        let to_game = [
            ServerMessage::Fallback { token: token(1) },
            ServerMessage::Redirect {
                match_id: Some(9),
                token: token(2),
            },
        ];
        let next = path.observe(&to_game).expect("a redirect");
        assert_eq!(server_of(&next), 2);
        let on_game = [ServerMessage::Fallback { token: token(3) }];
        assert!(path.observe(&on_game).is_none());
        let fallback = path.take_fallback().expect("the newest fallback");
        assert_eq!(server_of(&fallback), 3);
        assert!(path.take_fallback().is_none(), "used once");
        assert_eq!((path.redirects(), path.fallbacks()), (1, 1));

        path.observe(&[ServerMessage::Fallback { token: token(4) }]);
        let back = [ServerMessage::Redirect {
            match_id: None,
            token: token(5),
        }];
        assert_eq!(server_of(&path.observe(&back).expect("a redirect")), 5);
        let again = path
            .take_fallback()
            .expect("the lobby's token, until it gives its own");
        assert_eq!(server_of(&again), 5, "not the game server's requeue");
        path.observe(&back);
        path.observe(&[ServerMessage::Fallback { token: token(6) }]);
        assert_eq!(
            server_of(&path.take_fallback().expect("the lobby's own")),
            6
        );
    }

    #[test]
    fn a_kick_drops_the_fallback() {
        let mut path = FleetPath::default();
        path.observe(&[ServerMessage::Fallback { token: token(1) }]);
        path.observe(&[ServerMessage::Kicked {
            reason: arbiter_components::protocol::KickReason::NotExpected,
        }]);
        assert!(path.take_fallback().is_none());
    }
}
