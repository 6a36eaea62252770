//! The client's view of the trade its player is in: the newest `TradeChanged` of it, dropped when
//! `TradeEnded` comes, and the requests that name its current version. The server holds the
//! trade; this copy is for showing it and for accepting exactly what was shown.

use arbiter_components::protocol::{
    ClientMessage, ServerMessage, TradeOffer, TradeOutcome, TradeRequest, TradeView,
};

/// The trade the player is in, as the server last said, and how the last one ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TradeTracker {
    me: Option<u64>,
    current: Option<TradeView>,
    ended: Option<(u64, TradeOutcome)>,
}

impl TradeTracker {
    /// Folds `message` in if it is about trades (or is the `Welcome` naming the player); returns
    /// whether it was.
    pub fn observe(&mut self, message: &ServerMessage) -> bool {
        match message {
            ServerMessage::Welcome { player_id, .. } => self.me = Some(*player_id),
            ServerMessage::TradeChanged(view) => self.current = Some(TradeView::clone(view)),
            ServerMessage::TradeEnded { trade, outcome } => {
                if self
                    .current
                    .as_ref()
                    .is_some_and(|view| view.trade == *trade)
                {
                    self.current = None;
                }
                self.ended = Some((*trade, outcome.clone()));
            }
            ServerMessage::TradeRefused { .. } => {}
            _ => return false,
        }
        true
    }

    /// The trade in progress, if any.
    pub fn current(&self) -> Option<&TradeView> {
        self.current.as_ref()
    }

    /// The last trade that ended, and how.
    pub fn last_ended(&self) -> Option<&(u64, TradeOutcome)> {
        self.ended.as_ref()
    }

    /// This player's side of the current trade (0 if it invited), once welcomed.
    pub fn my_side(&self) -> Option<usize> {
        let me = self.me?;
        let view = self.current.as_ref()?;
        view.sides.iter().position(|side| side.player_id == me)
    }

    /// What this player and the other side offer now.
    pub fn offers(&self) -> Option<(&TradeOffer, &TradeOffer)> {
        let side = self.my_side()?;
        let sides = &self.current.as_ref()?.sides;
        Some((&sides[side], &sides[1 - side]))
    }

    /// Accepts the current trade as it was last shown (its version), if there is one.
    pub fn accept(&self) -> Option<ClientMessage> {
        let view = self.current.as_ref()?;
        Some(ClientMessage::Trade(TradeRequest::Accept {
            trade: view.trade,
            version: view.version,
        }))
    }

    /// Cancels the current trade, if there is one.
    pub fn cancel(&self) -> Option<ClientMessage> {
        let trade = self.current.as_ref()?.trade;
        Some(ClientMessage::Trade(TradeRequest::Cancel { trade }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arbiter_components::protocol::{TradeCancel, TradePhase};

    fn view(version: u32, phase: TradePhase) -> ServerMessage {
        let offer = |player_id| TradeOffer {
            player_id,
            stacks: vec![("medkit".into(), 1)],
            instances: Vec::new(),
            currencies: Vec::new(),
            accepted: false,
        };
        ServerMessage::TradeChanged(Box::new(TradeView {
            trade: 9,
            phase,
            version,
            sides: [offer(4), offer(7)],
        }))
    }

    #[test]
    fn it_follows_the_newest_version_accepts_it_and_forgets_an_ended_trade() {
        let mut tracker = TradeTracker::default();
        assert!(!tracker.observe(&ServerMessage::QueueTimedOut));
        tracker.observe(&ServerMessage::Welcome {
            player_id: 7,
            server_tick: 1,
            tick_rate_hz: 60,
        });
        assert_eq!(tracker.accept(), None, "no trade yet");
        tracker.observe(&view(1, TradePhase::Offer));
        tracker.observe(&view(3, TradePhase::Review));
        assert_eq!(tracker.my_side(), Some(1), "invited");
        assert_eq!(tracker.offers().map(|(mine, _)| mine.player_id), Some(7));
        assert_eq!(
            tracker.accept(),
            Some(ClientMessage::Trade(TradeRequest::Accept {
                trade: 9,
                version: 3
            }))
        );
        let ended = (9, TradeOutcome::Cancelled(TradeCancel::Idle));
        tracker.observe(&ServerMessage::TradeEnded {
            trade: ended.0,
            outcome: ended.1.clone(),
        });
        assert_eq!(tracker.current(), None);
        assert_eq!(tracker.last_ended(), Some(&ended));
        assert_eq!(tracker.cancel(), None);
    }
}
