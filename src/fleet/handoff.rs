//! Handing a player to another server of the fleet. Exactly one process writes a player's progress
//! at a time: from the tick a hand-off is asked for, this server reads nothing the client sends
//! ([`HandedOff`]), so the player changes no more here; the `Redirect` goes out on a later tick —
//! once this tick's changes are recorded — when nothing of the player waits for the database
//! (asking for a flush now if something does; the tick never waits). The server forgets the player
//! as soon as it disconnects; the next one loads it from the database and finds it whole.

use crate::persistence::{FlushNow, Progress};
use arbiter_components::messages::Outbound;
use arbiter_components::protocol::ServerMessage;
use arbiter_components::session::HandedOff;
use arbiter_components::tick::ServerTick;
use bevy_app::App;
use bevy_ecs::entity::Entity;
use bevy_ecs::message::MessageWriter;
use bevy_ecs::resource::Resource;
use bevy_ecs::system::{Commands, Query, Res, ResMut};

/// Redirects waiting for their player's progress to be stored.
#[derive(Resource, Debug, Default)]
pub struct PendingHandoffs(Vec<Handoff>);

#[derive(Debug)]
struct Handoff {
    player: Entity,
    redirect: ServerMessage,
    /// The tick the hand-off began (set by [`hand_off`] when it first sees it).
    since: Option<u64>,
}

impl PendingHandoffs {
    /// Sends `redirect` to `player` once its progress is stored.
    pub fn push(&mut self, player: Entity, redirect: ServerMessage) {
        self.0.push(Handoff {
            player,
            redirect,
            since: None,
        });
    }
}

/// The resource and the message the hand-off needs (with or without persistence installed).
pub fn add_handoffs(app: &mut App) {
    app.init_resource::<PendingHandoffs>()
        .add_message::<FlushNow>()
        .add_message::<Outbound>();
}

/// Stops reading the players of new hand-offs; sends the redirects begun on an earlier tick (whose
/// changes are all recorded by now) whose players have nothing waiting for the database, and asks
/// for a flush of those that have unsaved changes. A player gone meanwhile is dropped.
pub fn hand_off(
    mut commands: Commands,
    mut pending: ResMut<PendingHandoffs>,
    tick: Res<ServerTick>,
    players: Query<Option<&Progress>>,
    mut outbound: MessageWriter<Outbound>,
    mut flush: MessageWriter<FlushNow>,
) {
    let now = tick.get();
    pending.0.retain_mut(|handoff| {
        let Ok(progress) = players.get(handoff.player) else {
            return false;
        };
        let since = *handoff.since.get_or_insert_with(|| {
            commands.entity(handoff.player).try_insert(HandedOff);
            now
        });
        let settled = progress.is_none_or(Progress::is_settled);
        if since < now && settled {
            outbound.write(Outbound {
                player: handoff.player,
                message: handoff.redirect.clone(),
            });
            return false;
        }
        if progress.is_some_and(Progress::has_unsaved) {
            flush.write(FlushNow(handoff.player));
        }
        true
    });
}
